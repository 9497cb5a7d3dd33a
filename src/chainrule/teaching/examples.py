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
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.network import Network
from .checker import check_example

__all__ = ["WorkedExample", "example_from_dict", "load_example"]

_TOP = (
    "title",
    "source",
    "notes",
    "network",
    "layers",
    "step",
    "published",
    "annotations",
    "steps",
    "determinations",
    "workings",
)
_NETWORK = ("sizes", "activation", "output_activation", "loss", "reduction", "bias", "init", "seed")
_STEP = ("inputs", "targets", "learning_rate")
_STEP_OPTIONAL = ("update_bias",)
_LATER_STEP = ("inputs", "targets", "learning_rate", "published")


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

    def explain(self, optimizer: Any = None, **options: Any):
        """The true step as a :class:`~chainrule.teaching.trace.Trace`, with the example's ``notes`` among its notes.

        ``optimizer`` (an :class:`~chainrule.training.optimizers.Optimizer`
        instance, with its own learning rate) replaces the example's plain SGD
        at its learning rate; ``options`` are those of
        :meth:`chainrule.Network.explain` (``steps``, ``dropout``, ...): with
        ``steps > 1`` a :class:`~chainrule.teaching.trace.Traces`.
        """
        if optimizer is None:
            trace = self.network.explain(self.inputs, self.targets, self.learning_rate, **options)
        else:
            trace = self.network.explain(self.inputs, self.targets, None, optimizer, **options)
        for step in getattr(trace, "steps", [trace]):
            step.notes += list(self.notes)
        return trace

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


def load_example(path: str | Path) -> WorkedExample:
    """Read a worked-example file (``.json`` or ``.toml``).

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    ValueError, TypeError
        When it cannot be parsed or a field is missing or wrong; the message
        starts with the file name and names the field.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise ValueError(f"{path}: a worked-example file must end in .json or .toml; got {suffix or 'no suffix'!r}")
    text = path.read_text(encoding="utf-8")
    try:
        if suffix == ".json":
            data = json.loads(text)
        else:
            data = _toml().loads(text)
    except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError are ValueErrors
        raise ValueError(f"{path}: not valid {suffix[1:].upper()}: {exc}") from None
    try:
        return example_from_dict(data)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{path}: {exc}") from None


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

    _check_table(data, "the file", _TOP, required=("network", "step"))
    network = data.get("network")
    _check_table(network, "network", _NETWORK, required=("sizes",))
    step = data.get("step")
    _check_table(step, "step", _STEP + _STEP_OPTIONAL, required=_STEP)
    update_bias = step.get("update_bias", True)
    if not isinstance(update_bias, bool):
        raise TypeError(f"step.update_bias must be true or false; got {update_bias!r}")
    net = Network(**network)
    layers = data.get("layers")
    if layers is not None:
        if not isinstance(layers, list) or len(layers) != len(net.layers):
            got = len(layers) if isinstance(layers, list) else type(layers).__name__
            raise ValueError(
                f"layers must be a list of {len(net.layers)} tables (one per layer of sizes {net.sizes}); got {got}"
            )
        for i, entry in enumerate(layers):
            _check_table(entry, f"layers[{i}]", ("weights", "bias"), required=("weights",))
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
        raise ValueError(f"step.learning_rate must be a number > 0; got {lr!r}")
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
        _check_table(entry, name, _LATER_STEP, required=("inputs", "targets", "published"))
        X = net.check_X(entry["inputs"], f"{name}.inputs")
        Y = net.check_Y(entry["targets"], X.shape[0], f"{name}.targets")
        lr = entry.get("learning_rate")
        if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0):
            raise ValueError(f"{name}.learning_rate must be a number > 0; got {lr!r}")
        _check_strings(entry["published"], f"{name}.published")
        out.append({"inputs": X, "targets": Y, "learning_rate": lr, "published": dict(entry["published"])})
    return out


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
