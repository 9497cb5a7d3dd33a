"""Worked-example files: a network, its weights, one step's data, and what a tutorial printed.

A file is JSON or TOML (by its suffix) with these tables::

    title = "Seed 003: 2-2-1 sigmoid network"      # optional
    source = "where the numbers were published"    # optional
    notes = ["anything a reader should know"]      # optional

    [network]            # the arguments of chainrule.Network
    sizes = [2, 2, 1]
    activation = "sigmoid"
    loss = "half_squared_error"
    reduction = "sum"
    bias = false

    [[layers]]           # optional: starting weights (else the network's seeded init)
    weights = [[0.1, 0.8], [0.4, 0.6]]
    [[layers]]
    weights = [[0.3, 0.9]]

    [step]
    inputs = [[0.35, 0.9]]       # (n_samples, n_inputs)
    targets = [[0.5]]            # (n_samples, n_outputs)
    learning_rate = 1.0

    [published]          # optional: trace paths -> numbers as printed (strings)
    "layers[0].z[0][0]" = "0.755"

    [annotations]        # optional: trace paths -> remarks on how a number was printed
    "layers[0].new_weights[0][1]" = "printed as '0.1 + ...' (typo): the old weight is 0.8"

    [[steps]]            # optional: later steps of a multi-step example, in order
    inputs = [[0.35, 0.9]]       # learning_rate: as the step before unless given
    [steps.published]
    "layers[1].a[0][0]" = "0.68"

    [determinations]     # optional: an author's verdict for each published number
    "layers[0].z[0][0]" = "agrees"   # agrees | rounding | convention sign | slip ID | follows PATH | error
    [workings]           # optional: the hand computation behind each determination
    "layers[0].z[0][0]" = "0.1·0.35 + 0.8·0.9 = 0.755"

A later step starts from the weights the example itself went on with: its
own printed ``new_weights``/``new_bias`` of the step before where it printed
them, the true updated values elsewhere (so each step's arithmetic is judged
on its own). ``step.update_bias = false`` freezes the biases, as tutorials
that never update them do. The paths of ``steps[k]`` are reported as
``steps[k].layers[...]``.

TOML needs Python 3.11+ (``tomllib``) or the ``tomli`` package; JSON always works.

Every key the loader accepts is in :data:`FILE_KEYS` (with its meaning and
an example) and every field a trace path can name in :data:`PATH_FIELDS`:
the README's section on the format, ``chainrule explain --help`` and
:func:`template` are written from these tables, so they cannot drift from
the loader. :func:`format_reference` renders them.
"""

from __future__ import annotations

import copy
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.network import Network
from .checker import check_example

__all__ = [
    "FILE_KEYS",
    "PATH_FIELDS",
    "WHY_STRINGS",
    "Key",
    "WorkedExample",
    "example_from_dict",
    "format_reference",
    "load_example",
    "template",
]


@dataclass(frozen=True)
class Key:
    """One key of a worked-example file: its name, whether it must be there, what it means, an example value."""

    name: str
    required: bool
    meaning: str
    example: str


#: The tables of a worked-example file and their keys; ``""`` is the top level. The loader accepts exactly these.
FILE_KEYS: dict[str, tuple[Key, ...]] = {
    "": (
        Key("title", False, "a heading for explain's and check's output", '"Seed 003: 2-2-1 sigmoid network"'),
        Key("source", False, "where the numbers were published", '"nathansamsel/simple_backpropagation_example"'),
        Key("notes", False, "remarks a reader should know, shown with the check", '["The example rounds 0.6637."]'),
        Key("network", True, "a table: the arguments of chainrule.Network (below)", "[network]"),
        Key(
            "layers",
            False,
            "a list of tables, one per layer: the starting weights (else the seeded init)",
            "[[layers]]",
        ),
        Key("step", True, "a table: the one step's data (below)", "[step]"),
        Key(
            "published",
            False,
            "a table: trace paths to the numbers as printed, as strings",
            '"layers[0].z[0][0]" = "0.755"',
        ),
        Key(
            "annotations",
            False,
            "a table: trace paths to remarks on how a number was printed",
            '"layers[0].new_weights[0][1]" = "typo: the old weight is 0.8"',
        ),
        Key(
            "steps",
            False,
            "a list of tables, the later steps of a multi-step example (below), from the weights it went on with",
            "[[steps]]",
        ),
        Key(
            "determinations",
            False,
            "a table: trace paths to an author's verdict (agrees, rounding, convention sign, a slip ID, "
            "follows PATH, error)",
            '"layers[0].z[0][0]" = "agrees"',
        ),
        Key(
            "workings",
            False,
            "a table: trace paths to the hand computation behind each determination",
            '"layers[0].z[0][0]" = "0.1·0.35 + 0.8·0.9 = 0.755"',
        ),
    ),
    "network": (
        Key("sizes", True, "neurons per layer, input first", "[2, 2, 1]"),
        Key("activation", False, "hidden activation: sigmoid (default), tanh, relu, leaky_relu, identity", '"sigmoid"'),
        Key("output_activation", False, "the output layer's (default: what suits the loss)", '"sigmoid"'),
        Key(
            "loss",
            False,
            "half_squared_error (default, ½·Σ(a−y)²), squared_error, mse, binary_cross_entropy, cross_entropy",
            '"half_squared_error"',
        ),
        Key("reduction", False, '"mean" (default) or "sum" over the samples; hand-worked tutorials sum', '"sum"'),
        Key("bias", False, "whether the layers have biases (default true)", "false"),
        Key(
            "init",
            False,
            "the initial weights without [[layers]]: auto (default), normal, uniform, xavier, he",
            '"normal"',
        ),
        Key("seed", False, "the seed of that initialisation", "0"),
    ),
    "layers": (
        Key("weights", True, "(n_out, n_in): row j holds the weights into neuron j", "[[0.1, 0.8], [0.4, 0.6]]"),
        Key("bias", False, "(n_out,): required when the network has biases", "[0.35, 0.35]"),
    ),
    "step": (
        Key("inputs", True, "(n_samples, n_inputs): one row per sample", "[[0.35, 0.9]]"),
        Key("targets", True, "(n_samples, n_outputs); class labels (n_samples,) for cross_entropy", "[[0.5]]"),
        Key("learning_rate", True, "the step size of the plain gradient-descent step, > 0", "1.0"),
        Key("update_bias", False, "false freezes the biases, as tutorials that never update them do", "false"),
    ),
    "steps": (
        Key("inputs", True, "(n_samples, n_inputs) of this step", "[[0.35, 0.9]]"),
        Key("targets", True, "(n_samples, n_outputs) of this step", "[[0.5]]"),
        Key("learning_rate", False, "as the step before unless given", "1.0"),
        Key(
            "published", True, "a table: this step's numbers as printed (paths as in [published])", "[steps.published]"
        ),
    ),
}

#: What a trace path names: ``"loss"`` or ``"layers[l].FIELD[i][j]"`` (l from 0); field -> (meaning and index, example).
#: The fields are :data:`chainrule.teaching.trace.TRACE_FIELDS`, in their order (a test holds them equal).
PATH_FIELDS: dict[str, tuple[str, str]] = {
    "loss": ("the loss before the update, reduced as the network says", "loss"),
    "weights": ("W before the step, [neuron][input]", "layers[0].weights[1][0]"),
    "bias": ("b before the step, [neuron]", "layers[0].bias[1]"),
    "z": ("the pre-activation z = W·a + b, [sample][neuron]", "layers[0].z[0][0]"),
    "a": ("the activation a = f(z), [sample][neuron]", "layers[1].a[0][0]"),
    "derivative": ("f'(z), [sample][neuron] (none for softmax)", "layers[0].derivative[0][1]"),
    "grad_a": ("∂L/∂a, [sample][neuron] (none where δ is fused with the loss)", "layers[1].grad_a[0][0]"),
    "delta": ("δ = ∂L/∂z, [sample][neuron]", "layers[1].delta[0][0]"),
    "grad_weights": ("∂L/∂W, [neuron][input]", "layers[1].grad_weights[0][1]"),
    "grad_bias": ("∂L/∂b, [neuron]", "layers[0].grad_bias[0]"),
    "new_weights": ("W after the step, [neuron][input]", "layers[0].new_weights[0][0]"),
    "new_bias": ("b after the step, [neuron]", "layers[1].new_bias[0]"),
}

#: Why published numbers are strings, in one paragraph (the README and --help say it in these words).
WHY_STRINGS = (
    'Published values are strings, written as the tutorial printed them ("0.5866", "-2.406e-3"): '
    "the checker compares the true value rounded to the digits printed, so it needs those digits; a JSON or "
    "TOML number would lose them (0.50 and 0.5 are the same float) and could not be told apart from a "
    "rounding of its own."
)


_ARRAYS = ("layers", "steps")  # arrays of tables


def _names(table: str) -> tuple[str, ...]:
    return tuple(key.name for key in FILE_KEYS[table])


def _required(table: str) -> tuple[str, ...]:
    return tuple(key.name for key in FILE_KEYS[table] if key.required)


def format_reference(markdown: bool = False) -> str:
    """The file format from :data:`FILE_KEYS` and :data:`PATH_FIELDS`: plain text for ``--help``, or Markdown.

    Examples
    --------
    >>> print(format_reference().splitlines()[0])
    A worked-example file (.toml or .json) has these keys:
    """
    lines = ["A worked-example file (.toml or .json) has these keys:", ""]
    for table, keys in FILE_KEYS.items():
        if markdown:
            heading = "top level" if not table else f"`[{table}]`" if table not in _ARRAYS else f"`[[{table}]]` (each)"
            lines += [f"**{heading}**", "", "| key | required | meaning | example |", "| --- | --- | --- | --- |"]
            for k in keys:
                meaning = k.meaning.replace("|", "\\|")
                lines.append(f"| `{k.name}` | {'yes' if k.required else 'no'} | {meaning} | `{k.example}` |")
        else:
            heading = "top level" if not table else f"[{table}]" if table not in _ARRAYS else f"[[{table}]] (each)"
            lines.append(f"{heading}:")
            width = max(len(k.name) for k in keys) + 2
            for k in keys:
                flag = "required; " if k.required else ""
                lines.append(f"  {k.name:<{width}}{flag}{k.meaning}; e.g. {k.example}")
        lines.append("")
    paths = 'Trace paths (the keys of [published] and [annotations]): "loss", or "layers[l].FIELD[i][j]" with:'
    lines += [paths.replace('"', "`") if markdown else paths, ""]
    if markdown:
        lines += ["| field | meaning and index | example path |", "| --- | --- | --- |"]
        lines += [f"| `{name}` | {meaning} | `{example}` |" for name, (meaning, example) in PATH_FIELDS.items()]
    else:
        width = max(len(name) for name in PATH_FIELDS) + 2
        lines += [f"  {name:<{width}}{meaning}; e.g. {example}" for name, (meaning, example) in PATH_FIELDS.items()]
    extra = (
        "check also reads what tutorials print on the way: layers[L-1].residual (a − y), delta_weights and "
        "delta_bias (−η·g), loss_after (the loss after the update), grad_a_terms[s][i][k] (δ_k·w_ki), and a "
        "softmax layer's exp and sum_exp."
    )
    lines += ["", extra, "", WHY_STRINGS.replace('"', "`") if markdown else WHY_STRINGS]
    return "\n".join(lines) + "\n"


@dataclass
class WorkedExample:
    """A worked example: the network at its starting weights, one step's data, the printed numbers.

    Attributes
    ----------
    network : Network
    inputs : ndarray of shape (n_samples, n_inputs)
    targets : ndarray of shape (n_samples, n_outputs)
    learning_rate : float
    published : dict of str to str
        Trace paths to the numbers as printed.
    title, source : str
    notes : list of str
    annotations : dict of str to str
        Remarks on individual printed numbers (typos and the like).
    steps : list of dict
        Later steps: each with ``inputs``, ``targets`` (arrays), ``learning_rate`` and ``published``.
    update_bias : bool
        False where the example never updates its biases.
    determinations, workings : dict of str to str
        An author's verdict on each published number, and the hand working
        behind it (the corpus in ``tests/worked/`` is judged this way).
    data : dict
        The parsed file it was built from.
    """

    network: Any
    inputs: np.ndarray
    targets: np.ndarray
    learning_rate: float
    published: dict[str, str] = field(default_factory=dict)
    title: str = ""
    source: str = ""
    notes: list[str] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    update_bias: bool = True
    determinations: dict[str, str] = field(default_factory=dict)
    workings: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_steps(self) -> int:
        """How many steps the example works: 1 (``[step]``) plus its later ``[[steps]]``."""
        return 1 + len(self.steps)

    def explain(self, step: int = 1, optimizer: Any = None, **options: Any):
        """The true step as a :class:`~chainrule.teaching.trace.Trace`, with the example's ``notes`` among its notes.

        ``step`` counts from 1 (the ``[step]`` table); step k >= 2 is ``steps[k - 2]``, recorded from the
        weights the example went on with, as :meth:`check` judges it (its own printed new weights of the step
        before, the true ones where it printed none). For step 1, ``optimizer`` (an
        :class:`~chainrule.training.optimizers.Optimizer` instance, with its own learning rate) replaces the
        example's plain SGD at its learning rate, and ``options`` are those of :meth:`chainrule.Network.explain`
        (``steps``, ``dropout``, ...): with ``steps > 1`` a :class:`~chainrule.teaching.trace.Traces`.
        """
        if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= self.n_steps:
            raise ValueError(f"step must be an int from 1 to {self.n_steps} (the example's steps); got {step!r}")
        if step > 1:
            if optimizer is not None or options:
                raise ValueError(
                    f"step {step} is the example's own plain gradient descent, as check judges it; an optimizer, "
                    f"steps or dropout are explained from step 1 (the [step] table)"
                )
            return self.explain_steps(step)[-1]
        if optimizer is None:
            trace = self.network.explain(self.inputs, self.targets, self.learning_rate, **options)
        else:
            trace = self.network.explain(self.inputs, self.targets, None, optimizer, **options)
        for one in getattr(trace, "steps", [trace]):
            one.notes += list(self.notes)
        return trace

    def explain_steps(self, upto: int | None = None) -> list:
        """Steps 1 .. ``upto`` (default: all) as :meth:`explain` gives them, in one walk."""
        upto = self.n_steps if upto is None else upto
        net, published = self.network, self.published
        traces = [net.explain(self.inputs, self.targets, self.learning_rate)]
        lr = self.learning_rate
        for later in self.steps[: upto - 1]:
            net = _went_on_with(net, traces[-1], published, self.update_bias)
            lr, published = later["learning_rate"] or lr, later["published"]
            traces.append(net.explain(later["inputs"], later["targets"], lr))
        for trace in traces:
            trace.notes += list(self.notes)
        return traces

    def check(self):
        """The published numbers checked: a :class:`~chainrule.teaching.checker.CheckReport`."""

        report = check_example(
            self.network, self.inputs, self.targets, self.learning_rate, self.published, update_bias=self.update_bias
        )
        net, published, lr = self.network, self.published, self.learning_rate
        trace = self.explain() if self.steps else None
        for k, later in enumerate(self.steps, start=1):
            assert trace is not None
            net = _went_on_with(net, trace, published, self.update_bias)
            lr, published = later["learning_rate"] or lr, later["published"]
            part = check_example(net, later["inputs"], later["targets"], lr, published, update_bias=self.update_bias)
            prefix = f"steps[{k - 1}]."
            for item in part.agreements + part.disagreements:
                item.path = prefix + item.path
            for d in part.disagreements:
                d.follows_from = None if d.follows_from is None else prefix + d.follows_from
            report.agreements += part.agreements
            report.disagreements += part.disagreements
            report.order += [prefix + p for p in part.order]
            trace = net.explain(later["inputs"], later["targets"], lr)
        notes = list(self.notes) + [f"{path}: {text}" for path, text in self.annotations.items()]
        if self.steps:
            notes.append(
                "each later step starts from the example's own printed new weights and biases of the step "
                "before (the true updated values where it printed none)"
                + ("; the biases are frozen, as the example never updates them" if not self.update_bias else "")
            )
        report.notes = notes
        return report


def _went_on_with(net: Network, trace, published: dict[str, str], update_bias: bool) -> Network:
    """The network a tutorial's next step starts from: its printed updates where printed, else the true ones."""
    nxt = copy.deepcopy(net)
    for l, (layer, recorded) in enumerate(zip(nxt.layers, trace.layers)):
        weights = np.array(recorded.new_weights, dtype=np.float64)
        bias = None if recorded.bias is None else np.array(recorded.bias if not update_bias else recorded.new_bias)
        for path, text in published.items():
            key = path.strip()
            for name, target in (("new_weights", weights), ("new_bias", bias)):
                head = f"layers[{l}].{name}["
                if target is not None and key.startswith(head) and (name != "new_bias" or update_bias):
                    index = tuple(int(i) for i in key[len(head) - 1 :].strip("[]").split("]["))
                    target[index] = float(text.strip().replace("−", "-"))
        layer.weights = weights
        if bias is not None:
            layer.bias = bias
    return nxt


def template(
    sizes: list[int],
    activation: str = "sigmoid",
    loss: str = "half_squared_error",
    reduction: str = "sum",
    bias: bool = True,
    samples: int = 1,
    seed: int = 0,
) -> str:
    """A commented TOML worked-example file for a network of ``sizes``, to fill in with a tutorial's numbers.

    Its weights are the seeded initialisation rounded to 2 decimals, its
    inputs and targets placeholders (0.5, or one-hot rows for
    ``cross_entropy``); it loads and explains as it is. The comments are
    the meanings in :data:`FILE_KEYS`; ``[published]`` lists, commented
    out, one path of each field this network has (:data:`PATH_FIELDS`).

    Examples
    --------
    >>> text = template([2, 3, 1])
    >>> example_from_dict(_toml().loads(text)).network.sizes
    [2, 3, 1]
    """
    net = Network(sizes, activation=activation, loss=loss, reduction=reduction, bias=bias, seed=seed, init="xavier")
    meaning = {(table, k.name): k.meaning for table, keys in FILE_KEYS.items() for k in keys}
    n_out = net.n_outputs
    if net.loss_function.takes_labels:
        targets = [[1.0 if k == s % n_out else 0.0 for k in range(n_out)] for s in range(samples)]
    else:
        targets = [[0.5] * n_out for _ in range(samples)]
    inputs = [[0.5] * net.n_inputs for _ in range(samples)]

    def row(values) -> str:
        return "[" + ", ".join(_toml_number(v) for v in values) + "]"

    def matrix(values) -> str:
        return "[" + ", ".join(row(r) for r in values) + "]"

    def line(assignment: str, table: str, key: str) -> str:
        return f"{assignment:<38}  # {meaning[(table, key)]}"

    out = [
        "# A worked example for chainrule: replace the placeholder numbers with your tutorial's, then run",
        "#   chainrule explain FILE    (the step, worked out)",
        "#   chainrule check FILE      (the numbers in [published] against true backpropagation)",
        "# Every key is described in `chainrule explain --help` and in the README (Worked-example files).",
        "",
        line('title = ""', "", "title"),
        line('source = ""', "", "source"),
        line("notes = []", "", "notes"),
        "",
        line("[network]", "", "network"),
        line(f"sizes = {json.dumps(net.sizes)}", "network", "sizes"),
        line(f"activation = {json.dumps(activation)}", "network", "activation"),
        line(f"loss = {json.dumps(net.loss_function.name)}", "network", "loss"),
        line(f"reduction = {json.dumps(reduction)}", "network", "reduction"),
        line(f"bias = {'true' if bias else 'false'}", "network", "bias"),
        "",
        f"# {meaning[('', 'layers')]}; placeholders (seeded, rounded): put your tutorial's here.",
    ]
    for l, layer in enumerate(net.layers):
        out += ["[[layers]]", line(f"weights = {matrix(np.round(layer.weights, 2))}", "layers", "weights")]
        if layer.bias is not None:
            out.append(line(f"bias = {row(np.zeros(layer.n_out))}", "layers", "bias"))
        if l < len(net.layers) - 1:
            out.append("")
    out += [
        "",
        line("[step]", "", "step"),
        line(f"inputs = {matrix(inputs)}", "step", "inputs"),
        line(f"targets = {matrix(targets)}", "step", "targets"),
        line("learning_rate = 0.5", "step", "learning_rate"),
        "# " + line("update_bias = false", "step", "update_bias"),
        "",
        "[published]",
        f"# {meaning[('', 'published')]}; uncomment and fill in what the tutorial printed.",
        "# One path of each field of this network (loss, then layers[l].FIELD[i][j]):",
    ]
    example = example_from_dict(_toml().loads("\n".join(out) + "\n"))
    trace = example.explain()
    for name, (field_meaning, _) in PATH_FIELDS.items():
        if name == "loss":
            path = "loss"
        else:
            first = next((l for l, t in enumerate(trace.layers) if getattr(t, name) is not None), None)
            if first is None:
                continue
            path = f"layers[{first}].{name}" + "".join("[0]" for _ in getattr(trace.layers[first], name).shape)
        assignment = f'# "{path}" = "..."'
        out.append(f"{assignment:<38}  # {field_meaning}")
    out += ["", "[annotations]", f"# {meaning[('', 'annotations')]}, e.g.", '# "layers[0].z[0][0]" = "a typo"']
    out += [
        "",
        "# Optional, for a tutorial that goes on: uncomment and fill in.",
        "# " + line("[[steps]]", "", "steps"),
        "# " + line(f"inputs = {matrix(inputs)}", "steps", "inputs"),
        "# " + line(f"targets = {matrix(targets)}", "steps", "targets"),
        "# " + line("learning_rate = 0.5", "steps", "learning_rate"),
        "# " + line("[steps.published]", "steps", "published"),
        "",
        "# Optional: your own verdicts, which chainrule check compares with its own.",
        "# " + line("[determinations]", "", "determinations"),
        "# " + line("[workings]", "", "workings"),
    ]
    return "\n".join(out) + "\n"


def _toml_number(value: float) -> str:
    number = float(value)
    return repr(0.0 if number == 0 else number)


def load_example(path: str | Path) -> WorkedExample:
    """Read a worked-example file (``.json`` or ``.toml``).

    Raises
    ------
    FileNotFoundError
        When the file does not exist (``IsADirectoryError`` for a directory,
        other ``OSError`` when it cannot be read).
    ValueError, TypeError
        When it cannot be parsed (not UTF-8, not JSON/TOML, nested too deeply)
        or a field is missing or wrong (a number too large for a float, true
        or false where numbers belong, a published value that is not a
        decimal number as printed); the message starts with the file name and
        names the field.
    MemoryError
        When the network it describes is too large to build; the message
        starts with the file name and names the sizes.

    These are the only exceptions it raises (the fuzz tests hold it to that).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise ValueError(f"{path}: a worked-example file must end in .json or .toml; got {suffix or 'no suffix'!r}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not UTF-8 text (byte {exc.start} is {raw[exc.start : exc.start + 1]!r}); save it as UTF-8"
        ) from None
    try:
        if suffix == ".json":
            data = json.loads(text)
        else:
            data = _toml().loads(text)
    except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError are ValueErrors
        raise ValueError(f"{path}: not valid {suffix[1:].upper()}: {exc}") from None
    except RecursionError:
        raise ValueError(f"{path}: not a worked example: its tables or lists are nested too deeply") from None
    try:
        return example_from_dict(data)
    except (ValueError, TypeError, MemoryError) as exc:
        raise _with_file(exc, path) from None
    except (OverflowError, RecursionError) as exc:  # a huge integer (10**400) where a float goes; deep nesting
        raise ValueError(f"{path}: a value is too large or too deeply nested to read as numbers ({exc})") from None


def _with_file(exc: Exception, path: Path) -> Exception:
    """The same kind of error, its message starting with the file's name."""
    message = f"{path}: {exc}"
    try:
        return type(exc)(message)
    except TypeError:  # a subclass with its own arguments
        base = next(cls for cls in (ValueError, TypeError, MemoryError) if isinstance(exc, cls))
        return base(message)


def _toml():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise ValueError(
                "reading TOML needs Python 3.11+ or the tomli package; use the JSON form of the file instead"
            ) from None
    return tomllib


def example_from_dict(data: Any) -> WorkedExample:
    """Build a :class:`WorkedExample` from the parsed contents of a file."""

    _check_table(data, "the file", _names(""), required=_required(""))
    network = data.get("network")
    _check_table(network, "network", _names("network"), required=_required("network"))
    step = data.get("step")
    _check_table(step, "step", _names("step"), required=_required("step"))
    update_bias = step.get("update_bias", True)
    if not isinstance(update_bias, bool):
        raise TypeError(f"step.update_bias must be true or false; got {update_bias!r}")
    for key, value in (("inputs", step["inputs"]), ("targets", step["targets"])):
        _check_no_bools(value, f"step.{key}")
    net = Network(**network)
    layers = data.get("layers")
    if layers is not None:
        if not isinstance(layers, list) or len(layers) != len(net.layers):
            got = len(layers) if isinstance(layers, list) else type(layers).__name__
            raise ValueError(
                f"layers must be a list of {len(net.layers)} tables (one per layer of sizes {net.sizes}); got {got}"
            )
        for i, entry in enumerate(layers):
            _check_table(entry, f"layers[{i}]", _names("layers"), required=_required("layers"))
            for key in ("weights", "bias"):
                _check_no_bools(entry.get(key), f"layers[{i}].{key}")
            try:
                net.layers[i].weights = entry["weights"]
                if "bias" in entry:
                    net.layers[i].bias = entry["bias"]
            except (ValueError, TypeError) as exc:
                raise type(exc)(f"layers[{i}]: {exc}") from None
            if net.layers[i].bias is not None and "bias" not in entry:
                raise ValueError(
                    f"layers[{i}] needs a bias (the network has biases; set network.bias = false for a network without)"
                )
    published = data.get("published", {})
    _check_strings(published, "published")
    for key, text in published.items():
        _check_printed_number(text, f"published[{key!r}]")
    annotations = data.get("annotations", {})
    _check_strings(annotations, "annotations")
    determinations = data.get("determinations", {})
    _check_strings(determinations, "determinations")
    workings = data.get("workings", {})
    _check_strings(workings, "workings")
    steps = _later_steps(net, data.get("steps", []))
    notes = data.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise TypeError(f"notes must be a list of strings; got {notes!r}")
    X = net.check_X(step["inputs"], "step.inputs")
    Y = net.check_Y(step["targets"], X.shape[0], "step.targets")
    lr = step["learning_rate"]
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
        raise ValueError(f"step.learning_rate must be a number > 0; got {lr!r:.40}")
    if lr > sys.float_info.max or not math.isfinite(float(lr)):  # an int such as 10**400 has no float
        raise ValueError(f"step.learning_rate must be a finite number > 0; got {lr!r:.40}")
    for key in ("title", "source"):
        if not isinstance(data.get(key, ""), str):
            raise TypeError(f"{key} must be a string; got {data[key]!r}")
    return WorkedExample(
        net,
        X,
        Y,
        float(lr),
        dict(published),
        data.get("title", ""),
        data.get("source", ""),
        list(notes),
        dict(annotations),
        steps,
        update_bias,
        dict(determinations),
        dict(workings),
        copy.deepcopy(data),
    )


def _later_steps(net: Network, steps: Any) -> list[dict[str, Any]]:
    if not isinstance(steps, list):
        raise TypeError(f"steps must be a list of tables (one per later step); got {type(steps).__name__}")
    out = []
    for k, entry in enumerate(steps, start=1):
        name = f"steps[{k - 1}]"
        _check_table(entry, name, _names("steps"), required=_required("steps"))
        for key in ("inputs", "targets"):
            _check_no_bools(entry[key], f"{name}.{key}")
        X = net.check_X(entry["inputs"], f"{name}.inputs")
        Y = net.check_Y(entry["targets"], X.shape[0], f"{name}.targets")
        lr = entry.get("learning_rate")
        if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0):
            raise ValueError(f"{name}.learning_rate must be a number > 0; got {lr!r}")
        _check_strings(entry["published"], f"{name}.published")
        out.append({"inputs": X, "targets": Y, "learning_rate": lr, "published": dict(entry["published"])})
    return out


#: A number as a tutorial prints it: ASCII digits, an optional sign (also U+2212) and exponent, nothing around it.
_PRINTED = re.compile(r"[+\-\u2212]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+\-]?[0-9]+)?", re.ASCII)


def _check_printed_number(text: str, name: str) -> None:
    """A published value: a decimal number exactly as printed, finite as a float."""
    if text != text.strip():
        raise ValueError(f"{name} must be the number alone, without spaces or line breaks around it; got {text!r:.40}")
    if not _PRINTED.fullmatch(text):
        raise ValueError(
            f"{name} must be a decimal number as printed, in ASCII digits without separators, such as '0.5866' "
            f"or '-1.2e-3'; got {text!r:.40}"
        )
    if not math.isfinite(float(text.replace("\u2212", "-"))):
        raise ValueError(f"{name} must be a number within float range; got {text!r:.40}")


def _check_no_bools(value: Any, name: str) -> None:
    """No true/false among the numbers of a (nested) list: JSON and TOML booleans are not 1 and 0."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool):
            raise TypeError(f"{name} must hold numbers; got {item!r} (true/false) among them")
        if isinstance(item, list):
            stack.extend(item)


def _check_table(value: Any, name: str, allowed: tuple, required: tuple = ()) -> None:
    if not isinstance(value, dict):
        raise ValueError(
            f"{name} must be a table (object) with keys among {', '.join(allowed)}; got {type(value).__name__}"
        )
    unknown = [k for k in value if k not in allowed]
    if unknown:
        raise ValueError(f"{name} has unknown key {unknown[0]!r}; valid keys are: {', '.join(allowed)}")
    missing = [k for k in required if k not in value]
    if missing:
        raise ValueError(f"{name} is missing {missing[0]!r} (needs: {', '.join(required)})")


def _check_strings(value: Any, name: str) -> None:
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a table of trace paths to strings; got {type(value).__name__}")
    for key, text in value.items():
        if not isinstance(text, str):
            raise TypeError(
                f'{name}[{key!r}] must be a string (the number as printed, e.g. "0.5866"); '
                f"got {type(text).__name__} {text!r}"
            )
