"""Exercises with answer keys: a worked example drawn from a seed, with nice numbers, and its key.

:func:`exercise` (``cr.exercise``, ``chainrule exercise``) draws a network's
starting weights and biases, its inputs and targets with 1 or 2 decimals
(0.35, -0.4, 0.07) from a seed and a specification (sizes, activations, loss
and reduction, bias or not, learning rate, number of steps), and keeps a
draw only when its worked solution is *clean* (:func:`problems`):

* **no ambiguous rounding**: every number the key prints (z, a, the loss,
  ∂L/∂a, f'(z), δ, the gradients, the new weights and biases) lies at least
  ``margin`` (default 2 %) of a unit in its last printed digit away from a
  rounding boundary, so a learner who carries 5 or more significant digits
  rounds to the key's digit;
* **no degenerate step**: no saturated sigmoid or tanh (f'(z) below 20 % of
  its largest value), no softmax output above 0.95, no ReLU on its kink
  (|z| < 0.01), no dead ReLU (unless ``dead_relu=True`` asks for one), no
  update too small to show at the key's digits (a zero gradient), no
  neurons with the same incoming weights, no layer whose z, a or δ are all
  equal, no sample whose inputs are all equal.

Step 1 is the ``[step]`` of a worked-example file (:mod:`.examples`); step
k >= 2 takes a fresh sample (inputs and targets) and starts from the new
weights and biases of step k - 1 *as the key prints them* (to ``digits``
significant digits), which is what the example loader goes on with. The
key is the file's ``[published]`` tables, written from the trace that
``explain`` records, so ``chainrule explain FILE --step K`` shows step K
worked out and ``chainrule check FILE`` says every number agrees.

An :class:`Exercise` renders the sheet and the key as Markdown with LaTeX
(:meth:`Exercise.sheet_markdown`, :meth:`Exercise.key_markdown`), as LaTeX
documents (and PDFs where ``pdflatex`` is installed), and one practice page
per step (:meth:`Exercise.practice_pages`: the page of blanks of
``Trace.to_html(practice=True)``). A teacher's own network (weights,
inputs, targets) gives the same outputs: ``exercise(network=net,
inputs=X, targets=Y, ...)``; its :attr:`Exercise.problems` then lists what
a drawn exercise would have been rejected for.

Same seed and specification, same exercise, bit for bit.

>>> import chainrule as cr
>>> ex = cr.exercise(seed=1, sizes=[2, 2, 1], learning_rate=0.5)
>>> ex.example.check().passed
True
>>> ex.problems
[]
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import check_positive_float, check_positive_int
from ..core.network import Network
from .examples import WorkedExample, example_from_dict
from .notation import Tex, activation_symbol, loss_formula
from .render import format_number, latex_text, render_latex, render_markdown
from .sections import Equation, Matrix, Prose, Section
from .trace import Trace

__all__ = ["ACTIVATIONS", "LOSSES", "Exercise", "exercise", "latex_engine", "problems"]

#: The hidden and output activations an exercise can be drawn with.
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
#: The losses an exercise can be drawn with (softmax outputs for cross_entropy, sigmoid for binary).
LOSSES = ("half_squared_error", "squared_error", "mse", "binary_cross_entropy", "cross_entropy")

_FIELDS = ("z", "a", "grad_a", "derivative", "delta", "grad_weights", "grad_bias", "new_weights", "new_bias")
_SATURATION = {"sigmoid": 0.25 * 0.2, "tanh": 1.0 * 0.2}  # f'(z) below 20 % of its largest value
_KINK = 0.01
_SOFTMAX_MAX = 0.95
_SAMPLE_TRIES = 20  # fresh samples tried for one step before the weights are drawn again

#: How each activation is defined on the sheet (terminal text, LaTeX).
_DEFINITIONS = {
    "sigmoid": Tex("σ(z) = 1/(1 + e^(−z))", r"\sigma(z) = \frac{1}{1 + e^{-z}}"),
    "tanh": Tex("tanh(z) = (e^z − e^(−z))/(e^z + e^(−z))", r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}"),
    "relu": Tex("relu(z) = max(z, 0)", r"\mathrm{relu}(z) = \max(z, 0)"),
    "leaky_relu": Tex("lrelu(z) = z if z > 0 else 0.01·z", r"\mathrm{lrelu}(z) = \max(z, 0.01\,z)"),
    "identity": Tex("id(z) = z", r"\mathrm{id}(z) = z"),
    "softmax": Tex("softmax(z)_k = e^(z_k)/Σ_j e^(z_j)", r"\mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}"),
}


# -- what makes a worked solution clean ------------------------------------
def _ambiguous(values: np.ndarray, digits: int, margin: float) -> np.ndarray:
    """True where a value lies within ``margin`` units of its last printed digit of a rounding boundary."""
    v = np.abs(np.asarray(values, dtype=np.float64))
    out = np.zeros(v.shape, dtype=bool)
    nz = (v > 0) & np.isfinite(v)
    e = np.floor(np.log10(v[nz]))
    scaled = v[nz] / 10.0 ** (e - digits + 1)
    frac = scaled - np.floor(scaled)
    out[nz] = np.abs(frac - 0.5) < margin
    return out


def _path(l: int, name: str, index) -> str:
    return f"layers[{l}].{name}" + "".join(f"[{int(i)}]" for i in index)


def _dead_units(trace: Trace) -> list[list[int]]:
    """Per layer, the ReLU neurons with z <= 0 on every sample (no gradient reaches their weights)."""
    return [
        [int(j) for j in np.flatnonzero((layer.z <= 0).all(axis=0))] if layer.activation == "relu" else []
        for layer in trace.layers
    ]


def problems(trace: Trace, digits: int = 4, margin: float = 0.02, dead_relu: bool = False) -> list[str]:
    """Why one recorded step would make a poor exercise: ambiguous rounding and degenerate values.

    Parameters
    ----------
    trace : Trace
        The step.
    digits : int >= 1
        The significant digits the key prints.
    margin : float in [0, 0.5)
        How close (in units of the last printed digit) a value may come to a rounding boundary.
    dead_relu : bool
        Allow dead ReLU neurons (their zero gradients are then expected).

    Returns
    -------
    list of str
        One line per problem, naming the value by its trace path; empty for a clean step.
    """
    found: list[str] = []

    def unit(value: float) -> str:
        return format_number(value, digits)

    if _ambiguous(np.array([trace.loss]), digits, margin)[0]:
        found.append(f"loss = {trace.loss!r} is near a rounding boundary at {digits} significant digits")
    dead = _dead_units(trace)
    for l, layer in enumerate(trace.layers):
        for name in _FIELDS:
            array = getattr(layer, name)
            if array is None:
                continue
            for index in np.argwhere(_ambiguous(array, digits, margin))[:3]:
                value = float(array[tuple(index)])
                found.append(
                    f"{_path(l, name, index)} = {value!r} is near a rounding boundary at {digits} significant digits"
                )
        if layer.activation in _SATURATION and layer.derivative is not None:
            for index in np.argwhere(layer.derivative < _SATURATION[layer.activation])[:3]:
                found.append(
                    f"{_path(l, 'z', index)} = {unit(layer.z[tuple(index)])}: the {layer.activation} is saturated "
                    f"(f'(z) = {unit(layer.derivative[tuple(index)])})"
                )
        if layer.activation == "softmax" and (layer.a > _SOFTMAX_MAX).any():
            found.append(f"layers[{l}].a: a softmax output above {_SOFTMAX_MAX} (saturated)")
        if layer.activation in ("relu", "leaky_relu"):
            for index in np.argwhere(np.abs(layer.z) < _KINK)[:3]:
                found.append(f"{_path(l, 'z', index)} = {unit(layer.z[tuple(index)])} is on the ReLU's kink")
        if dead[l] and not dead_relu:
            found.append(f"layers[{l}]: dead ReLU neuron{'s' if len(dead[l]) > 1 else ''} {dead[l]} (z <= 0)")
        n_out = layer.z.shape[1]
        for name in ("z", "a", "delta"):
            array = getattr(layer, name)
            for s in range(array.shape[0]):
                if n_out > 1 and len({unit(v) for v in array[s]}) == 1:
                    found.append(f"layers[{l}].{name}[{s}]: all {n_out} values are equal")
        rows = [tuple(row) for row in layer.weights]
        if len(set(rows)) < len(rows):
            found.append(f"layers[{l}].weights: two neurons have the same incoming weights (they stay twins)")
        frozen = set(dead[l]) if dead_relu else set()
        upstream = set(dead[l - 1]) if dead_relu and l else set()
        for j, i in np.ndindex(*layer.weights.shape):
            if j in frozen or i in upstream:
                continue
            if unit(float(layer.new_weights[j, i])) == unit(float(layer.weights[j, i])):
                found.append(
                    f"layers[{l}].new_weights[{j}][{i}]: the update does not show at {digits} significant digits "
                    f"(∂L/∂w = {layer.grad_weights[j, i]!r})"
                )
        if layer.bias is not None:
            assert layer.new_bias is not None and layer.grad_bias is not None
            for j in range(n_out):
                if j not in frozen and unit(layer.new_bias[j]) == unit(layer.bias[j]):
                    found.append(
                        f"layers[{l}].new_bias[{j}]: the update does not show at {digits} significant digits "
                        f"(∂L/∂b = {layer.grad_bias[j]!r})"
                    )
    X = trace.inputs
    for s in range(X.shape[0]):
        if X.shape[1] > 1 and len(set(X[s])) == 1:
            found.append(f"inputs[{s}]: all inputs are equal")
    if len({tuple(row) for row in X}) < X.shape[0]:
        found.append("inputs: two samples are the same")
    return found


# -- drawing ----------------------------------------------------------------
def _nice(rng: np.random.Generator, shape: tuple[int, ...], signed: bool) -> np.ndarray:
    """Numbers with 1 or 2 decimals in [0.05, 0.95] (half of them with one decimal), signed at random."""
    hundredths = rng.integers(5, 96, size=shape)
    tenths = rng.integers(1, 10, size=shape) * 10
    value = np.where(rng.random(shape) < 0.5, tenths, hundredths)
    if signed:
        value = value * rng.choice(np.array([-1, 1]), size=shape)
    return value / 100.0


def _targets(rng: np.random.Generator, net: Network, n_samples: int) -> np.ndarray:
    out = net.layers[-1].activation.name
    n_out = net.n_outputs
    if net.loss_function.name == "cross_entropy":
        return np.eye(n_out)[rng.integers(0, n_out, size=n_samples)]
    if net.loss_function.name == "binary_cross_entropy":
        return rng.integers(0, 2, size=(n_samples, n_out)).astype(np.float64)
    return _nice(rng, (n_samples, n_out), signed=out not in ("sigmoid", "relu", "softmax", "exp"))


def _rounded(trace: Trace, digits: int) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """The new weights and biases as the key prints them: where the next step starts."""

    def cut(array):
        return None if array is None else np.vectorize(lambda v: float(format_number(v, digits)))(array)

    return [(cut(layer.new_weights), cut(layer.new_bias)) for layer in trace.layers]


def _published(trace: Trace, digits: int) -> dict[str, str]:
    """Every number of the step the key prints, trace path -> the number to ``digits`` significant digits."""
    out = {"loss": format_number(trace.loss, digits)}
    for l, layer in enumerate(trace.layers):
        for name in _FIELDS:
            array = getattr(layer, name)
            if array is not None:
                for index in np.ndindex(*array.shape):
                    out[_path(l, name, index)] = format_number(array[index], digits)
    return out


def _set(net: Network, parameters) -> None:
    for layer, (weights, bias) in zip(net.layers, parameters):
        layer.weights = weights
        if bias is not None:
            layer.bias = bias


@dataclass
class _Spec:
    sizes: list[int]
    activation: str | list[str]
    output_activation: str | None
    loss: str
    reduction: str
    bias: bool
    learning_rate: float
    steps: int
    samples: int
    dead_relu: bool

    def network(self) -> Network:
        return Network(
            self.sizes,
            activation=self.activation,
            output_activation=self.output_activation,
            loss=self.loss,
            reduction=self.reduction,
            bias=self.bias,
        )

    def command(self, seed: int, digits: int, margin: float) -> str:
        acts = self.activation if isinstance(self.activation, str) else ",".join(self.activation)
        words = [
            "chainrule exercise",
            f"--seed {seed}",
            f"--sizes {','.join(map(str, self.sizes))}",
            f"--activation {acts}",
        ]
        if self.output_activation is not None:
            words.append(f"--output-activation {self.output_activation}")
        words += [f"--loss {self.loss}", f"--reduction {self.reduction}"]
        if not self.bias:
            words.append("--no-bias")
        words += [f"--learning-rate {self.learning_rate!r}", f"--steps {self.steps}", f"--samples {self.samples}"]
        if self.dead_relu:
            words.append("--dead-relu")
        if digits != 4:
            words.append(f"--digits {digits}")
        if margin != 0.02:
            words.append(f"--margin {margin!r}")
        return " ".join(words)


def _asleep(net: Network) -> bool:
    """True when a first-layer ReLU neuron stays dead for every input in [0.05, 0.95] (redraw its weights)."""
    layer = net.layers[0]
    if layer.activation.name != "relu":
        return False
    w = layer.weights
    best = np.maximum(w * 0.95, w * 0.05).sum(axis=1) + (0.0 if layer.bias is None else layer.bias)
    return bool((best <= 0.1).any())


def _draw(spec: _Spec, rng: np.random.Generator, digits: int, margin: float, max_tries: int):
    """Starting parameters, a sample per step and the steps' traces, with a clean worked solution; or ValueError."""
    net = spec.network()
    for _ in range(max_tries):
        start = [
            (_nice(rng, layer.weights.shape, True), None if layer.bias is None else _nice(rng, layer.bias.shape, True))
            for layer in net.layers
        ]
        _set(net, start)
        if not spec.dead_relu and _asleep(net):
            continue
        data, traces = [], []
        for k in range(spec.steps):
            for _ in range(_SAMPLE_TRIES):
                X = _nice(rng, (spec.samples, spec.sizes[0]), signed=False)
                Y = _targets(rng, net, spec.samples)
                trace = net.explain(X, Y, spec.learning_rate)
                printed = [trace.loss] + [
                    np.ravel(getattr(layer, name))
                    for layer in trace.layers
                    for name in _FIELDS
                    if getattr(layer, name) is not None
                ]
                if _ambiguous(np.hstack(printed), digits, margin).any():  # the usual reason, found at once
                    continue
                if problems(trace, digits, margin, spec.dead_relu):
                    continue
                if spec.dead_relu and k == 0 and not any(_dead_units(trace)):
                    continue
                break
            else:
                break
            data.append((X, Y))
            traces.append(trace)
            _set(net, _rounded(trace, digits))
        if len(data) == spec.steps:
            return start, data, traces
    raise ValueError(
        f"no clean exercise in {max_tries} draws of the weights for this specification; try a larger "
        "learning rate, a smaller network, fewer steps or samples, or a smaller margin"
    )


# -- the exercise -------------------------------------------------------------
@dataclass
class Exercise:
    """A drawn (or given) worked example, its sheet and its answer key.

    Attributes
    ----------
    data : dict
        The worked-example file (:mod:`.examples`): network, starting weights, each step's
        inputs and targets, and the key as its ``[published]`` tables.
    example : WorkedExample
        ``data`` read by the example loader.
    traces : list of Trace
        The key, one step each: ``example.explain(step=k)`` for k = 1..steps.
    digits : int
        Significant digits of every number in the key.
    problems : list of str
        For a teacher's network, what :func:`problems` finds in its steps (empty for a drawn exercise).
    seed : int or None
        The seed it was drawn from (``None`` for a teacher's network).
    """

    data: dict[str, Any]
    example: WorkedExample
    traces: list[Trace]
    digits: int = 4
    problems: list[str] = field(default_factory=list)
    seed: int | None = None

    @property
    def title(self) -> str:
        """The sheet's title (the file's ``title``)."""
        return self.example.title

    @property
    def steps(self) -> int:
        """How many steps of gradient descent the exercise asks for."""
        return len(self.traces)

    # -- the file ----------------------------------------------------------
    def to_json(self) -> str:
        """The worked-example file as JSON (what ``chainrule explain`` and ``check`` read)."""
        return json.dumps(self.data, indent=2, ensure_ascii=False) + "\n"

    def to_toml(self) -> str:
        """The worked-example file as TOML (what ``chainrule explain`` and ``check`` read)."""
        return _toml(self.data)

    # -- the sheet and the key --------------------------------------------
    def sheet_sections(self) -> list[Section]:
        """The sheet: the network, the loss and update conventions, the given numbers, what to find."""
        first = self.traces[0]
        n = first.n_samples
        sections = _block("title", self.title, 0, [_prose(self._instructions())])
        lines: list[Any] = []
        for l, layer in enumerate(first.layers):
            kind = "output" if l == len(first.layers) - 1 else "hidden"
            definition = _DEFINITIONS.get(layer.activation, activation_symbol(layer.activation))
            lines.append(
                Prose(
                    (
                        f"layers[{l}] ({kind}): {first.sizes[l]} → {first.sizes[l + 1]}, "
                        + ("with bias, " if layer.bias is not None else "no bias, ")
                        + "activation ",
                        Tex(definition.text, f"${definition.latex}$"),
                    )
                )
            )
        sections += _block("network", "The network", 1, lines)
        loss = loss_formula(first.loss_name)
        reduce = "summed" if first.reduction == "sum" else "averaged"
        conventions = [
            Equation((loss,)),
            _prose(
                f"the loss {first.loss_name}, {reduce} over the {n} sample{'s' if n != 1 else ''} of a step"
                + (" (K: the number of outputs)" if first.loss_name == "mse" else "")
            ),
            Equation((Tex("δ = ∂L/∂z", r"\delta = \partial L / \partial z"),)),
            Equation(
                (
                    Tex(
                        "w ← w − η·∂L/∂w,  b ← b − η·∂L/∂b",
                        r"w \leftarrow w - \eta\,\partial L/\partial w,"
                        r"\quad b \leftarrow b - \eta\,\partial L/\partial b",
                    ),
                )
            ),
            Prose(("learning rate ", Tex("η", r"$\eta$"), f" = {first.learning_rate!r}")),
        ]
        sections += _block("loss", "The loss and the update", 1, conventions)
        given: list[Any] = [
            _prose("W has a row per neuron (row j: the weights into neuron j); x and y a row per sample.")
        ]
        for l, layer in enumerate(first.layers):
            given.append(Matrix(Tex(f"W[{l}]", rf"W^{{[{l}]}}"), layer.weights))
            if layer.bias is not None:
                given.append(Matrix(Tex(f"b[{l}]", rf"b^{{[{l}]}}"), layer.bias))
        given += [Matrix(Tex("x", "x"), first.inputs), Matrix(Tex("y", "y"), first.targets)]
        sections += _block("step-1", "Step 1", 1, given)
        for k, trace in enumerate(self.traces[1:], start=2):
            lines = [
                _prose(
                    f"Start from the new weights and biases of step {k - 1}, rounded to {self.digits} significant "
                    f"digits (as the key gives them), and take the next sample:"
                ),
                Matrix(Tex("x", "x"), trace.inputs),
                Matrix(Tex("y", "y"), trace.targets),
            ]
            sections += _block(f"step-{k}", f"Step {k}", 1, lines)
        task = (
            "Find every value of "
            + ("the step" if self.steps == 1 else "each step")
            + ": z and a of each layer (forward), the loss L, ∂L/∂a, f'(z) and δ of each layer from the output back, "
            "∂L/∂W and ∂L/∂b, and the new W and b. "
            f"Give each to {self.digits} significant digits."
        )
        sections += _block("task", "What to find", 1, [_prose(task)])
        return sections

    def _instructions(self) -> str:
        pages = ", ".join(f"step-{k}.html" for k in range(1, self.steps + 1))
        return (
            f"One {'step' if self.steps == 1 else f'{self.steps} steps'} of gradient descent by hand. "
            f"The practice page{'s' if self.steps > 1 else ''} ({pages}) check{'' if self.steps > 1 else 's'} "
            "your numbers as you type; the key is key.md."
        )

    def key_sections(self) -> list[Section]:
        """The key: each step worked out, the sections of ``explain`` one level down under a step heading."""
        intro = _prose(
            f"Every number to {self.digits} significant digits, from one step of true backpropagation (float64). "
            + (
                f"Step k >= 2 starts from the new weights and biases of the step before, rounded to {self.digits} "
                "significant digits. "
                if self.steps > 1
                else ""
            )
            + "The exercise file reproduces it: chainrule explain FILE --step K; chainrule check FILE."
        )
        title = f"Answer key: {self.title}"
        sections = _block("key", title, 0, [intro])
        for k, trace in enumerate(self.traces, start=1):
            heading = f"Step {k} of {self.steps}"
            sections.append(Section(f"key-step-{k}", Tex(heading, heading), 0))
            sections += [replace(s, level=s.level + 1) for s in trace.sections()]
        return sections

    def sheet_markdown(self) -> str:
        """The sheet as Markdown with ``$...$`` LaTeX math (renders on GitHub)."""
        return render_markdown(self.sheet_sections(), 12)

    def key_markdown(self) -> str:
        """The key as Markdown with LaTeX math: ``explain``'s Markdown of each step."""
        return render_markdown(self.key_sections(), self.digits)

    def sheet_latex(self) -> str:
        """The sheet as a complete LaTeX document (pdflatex, amsmath)."""
        return _document(self.title, render_latex(self.sheet_sections(), 12))

    def key_latex(self) -> str:
        """The key as a complete LaTeX document (pdflatex, amsmath)."""
        return _document(f"Answer key: {self.title}", render_latex(self.key_sections(), self.digits))

    def practice_pages(self) -> list[str]:
        """One self-contained practice page per step (``Trace.to_html(practice=True)``)."""
        return [
            trace.to_html(title=f"{self.title}: step {k} of {self.steps}", digits=self.digits, practice=True)
            for k, trace in enumerate(self.traces, start=1)
        ]

    # -- writing -------------------------------------------------------------
    def write(
        self, directory: str | Path, pdf: bool | None = None, file_format: str = "toml", overwrite: bool = False
    ) -> list[Path]:
        """Write the exercise into ``directory`` (created if missing); returns the paths written.

        The files: ``exercise.toml`` (or ``.json``: the worked-example file), ``sheet.md``,
        ``key.md``, ``step-1.html`` ... ``step-K.html`` (the practice pages), and
        ``sheet.pdf`` and ``key.pdf`` when a TeX engine is there (``pdf=None``;
        ``True`` requires one, ``False`` skips them).

        Raises
        ------
        FileExistsError
            When a file it would write is already there and ``overwrite`` is False (nothing is written).
        RuntimeError
            When ``pdf=True`` and no TeX engine is installed, or the engine fails.
        """
        if file_format not in ("toml", "json"):
            raise ValueError(f"file_format must be 'toml' or 'json'; got {file_format!r}")
        engine = latex_engine()
        if pdf is True and engine is None:
            raise RuntimeError("a PDF needs pdflatex (Debian: apt-get install texlive-latex-base); none was found")
        directory = Path(directory)
        files: dict[str, str | bytes] = {
            f"exercise.{file_format}": self.to_toml() if file_format == "toml" else self.to_json(),
            "sheet.md": self.sheet_markdown(),
            "key.md": self.key_markdown(),
        }
        for k, page in enumerate(self.practice_pages(), start=1):
            files[f"step-{k}.html"] = page
        if engine is not None and pdf is not False:
            files["sheet.pdf"] = compile_latex(self.sheet_latex(), engine)
            files["key.pdf"] = compile_latex(self.key_latex(), engine)
        paths = [directory / name for name in files]
        if not overwrite:
            there = [str(p) for p in paths if p.exists()]
            if there:
                raise FileExistsError(f"{there[0]} is already there: choose another directory, or overwrite")
        directory.mkdir(parents=True, exist_ok=True)
        for path, content in zip(paths, files.values()):
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return paths


def _prose(text: str) -> Prose:
    return Prose((Tex(text, text),))


def _block(key: str, heading: str, level: int, lines: list[Any]) -> list[Section]:
    """A heading and its lines, each paragraph a section of its own (so Markdown keeps them apart)."""
    out = [Section(key, Tex(heading, heading), level)]
    for line in lines:
        last = out[-1].lines
        if isinstance(line, Prose) or (last and isinstance(last[-1], Prose)):
            out.append(Section(key, None, 1, [line]))
        else:
            last.append(line)
    return out


def exercise(
    seed: int = 0,
    sizes: Sequence[int] | None = None,
    activation: str | Sequence[str] | None = None,
    output_activation: str | None = None,
    loss: str | None = None,
    reduction: str | None = None,
    bias: bool | None = None,
    learning_rate: float = 0.5,
    steps: int = 1,
    samples: int = 1,
    dead_relu: bool = False,
    digits: int = 4,
    margin: float = 0.02,
    *,
    network: Network | None = None,
    inputs: Any = None,
    targets: Any = None,
    title: str | None = None,
    max_tries: int = 2000,
) -> Exercise:
    """Draw a worked-example exercise with nice numbers and its answer key, or make one of a given network.

    Parameters
    ----------
    seed : int
        Every random choice; the same seed and specification give the same exercise, bit for bit.
    sizes : sequence of int, default [2, 2, 1]
        Neurons per layer, input first.
    activation : str or list of str, default "sigmoid"
        Hidden activation(s), among :data:`ACTIVATIONS`.
    output_activation : str, optional
        As for :class:`~chainrule.Network` (by default what suits the loss).
    loss : str, default "half_squared_error"
        Among :data:`LOSSES`; with ``reduction`` ("sum" or "mean", default "sum") the loss's convention.
    bias : bool, default True
    learning_rate : float > 0
    steps : int >= 1
        Steps of gradient descent; each later step takes a fresh sample.
    samples : int >= 1
        Samples per step (the batch).
    dead_relu : bool
        Ask for a dead ReLU neuron in step 1 (its zero gradients are then part of the exercise).
    digits : int >= 1
        Significant digits of the key.
    margin : float in [0, 0.5)
        How close a value of the key may come to a rounding boundary, in units of its last printed digit.
    network : Network, optional
        A teacher's network at its starting weights: nothing is drawn. Give ``inputs`` and ``targets``
        with it, each an array (n_samples, n_in) / (n_samples, n_out) used for every step, or a list of
        them, one per step; leave the specification (sizes ... bias) out.
    title : str, optional
        The sheet's title.
    max_tries : int
        Draws of the starting weights before giving up (ValueError).

    Returns
    -------
    Exercise
    """
    digits = check_positive_int(digits, "digits")
    steps = check_positive_int(steps, "steps")
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 <= margin < 0.5:
        raise ValueError(f"margin must be a number in [0, 0.5) (a fraction of the last printed digit); got {margin!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str; got {type(title).__name__}")
    if network is not None:
        given = {
            "sizes": sizes,
            "activation": activation,
            "output_activation": output_activation,
            "loss": loss,
            "reduction": reduction,
            "bias": bias,
        }
        extra = [name for name, value in given.items() if value is not None]
        if extra:
            raise ValueError(
                f"give either a network or a specification to draw one from, not both; got network and {extra[0]}"
            )
        return _given(network, inputs, targets, learning_rate, steps, digits, margin, dead_relu, title)
    if inputs is not None or targets is not None:
        raise ValueError("inputs and targets go with a teacher's network: give network=... too (or neither)")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an int >= 0; got {seed!r}")
    spec = _spec(sizes, activation, output_activation, loss, reduction, bias, learning_rate, steps, samples, dead_relu)
    tries = check_positive_int(max_tries, "max_tries")
    start, data, traces = _draw(spec, np.random.default_rng(int(seed)), digits, margin, tries)
    net = spec.network()
    _set(net, start)
    title = title or _title(net, spec.steps, f"seed {int(seed)}")
    source = spec.command(int(seed), digits, margin)
    return _build(net, data, learning_rate, digits, title, source, int(seed), traces)


def _spec(sizes, activation, output_activation, loss, reduction, bias, learning_rate, steps, samples, dead_relu):
    sizes = [2, 2, 1] if sizes is None else sizes
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"sizes must be a list of at least 2 layer widths, input first, e.g. [2, 2, 1]; got {sizes!r}")
    sizes = [check_positive_int(s, "sizes") for s in sizes]
    activation = "sigmoid" if activation is None else activation
    names = [activation] if isinstance(activation, str) else list(activation)
    for name in names + ([output_activation] if output_activation is not None else []):
        if name not in ACTIVATIONS:
            raise ValueError(f"an exercise's activations are among {', '.join(ACTIVATIONS)}; got {name!r}")
    loss = "half_squared_error" if loss is None else loss
    if loss not in LOSSES:
        raise ValueError(f"an exercise's loss is one of {', '.join(LOSSES)}; got {loss!r}")
    if loss == "cross_entropy" and sizes[-1] < 2:
        raise ValueError("cross_entropy (softmax) needs at least 2 outputs: make the last of sizes 2 or more")
    if dead_relu and (len(sizes) < 3 or "relu" not in names):
        raise ValueError("dead_relu asks for a dead ReLU neuron: give a hidden layer the relu activation")
    spec = _Spec(
        sizes,
        activation if isinstance(activation, str) else list(activation),
        output_activation,
        loss,
        "sum" if reduction is None else reduction,
        True if bias is None else bias,
        learning_rate,
        steps,
        check_positive_int(samples, "samples"),
        bool(dead_relu),
    )
    if not isinstance(spec.bias, bool):
        raise TypeError(f"bias must be True or False; got {bias!r}")
    spec.network()  # the network's own checks: reduction, widths, activations per layer
    return spec


def _title(net: Network, steps: int, drawn: str) -> str:
    acts = [layer.activation.name for layer in net.layers]
    names = "/".join(sorted(set(acts), key=acts.index))
    return (
        f"Exercise ({drawn}): a {'-'.join(map(str, net.sizes))} {names} network, {net.loss_function.name} "
        f"({net.reduction}), {'bias' if net.layers[0].bias is not None else 'no bias'}, "
        f"{steps} step{'s' if steps != 1 else ''}"
    )


def _given(network, inputs, targets, learning_rate, steps, digits, margin, dead_relu, title) -> Exercise:
    if not isinstance(network, Network):
        raise TypeError(f"network must be a chainrule Network; got {type(network).__name__}")
    if inputs is None or targets is None:
        raise ValueError("a teacher's network needs its inputs and targets: give inputs=... and targets=...")
    net = network.astype("float64")
    per_step_inputs = inputs if isinstance(inputs, list) and inputs and np.ndim(inputs[0]) == 2 else None
    per_step_targets = targets if isinstance(targets, list) and targets and np.ndim(targets[0]) == 2 else None
    if (per_step_inputs is None) != (per_step_targets is None):
        raise ValueError("give inputs and targets alike: both one array for every step, or both a list per step")
    if per_step_inputs is not None:
        assert per_step_targets is not None
        if len(per_step_inputs) != len(per_step_targets):
            raise ValueError(
                f"inputs and targets must list the same number of steps; got {len(per_step_inputs)} "
                f"and {len(per_step_targets)}"
            )
        steps = len(per_step_inputs)
        pairs = list(zip(per_step_inputs, per_step_targets))
    else:
        pairs = [(inputs, targets)] * steps
    data = []
    for k, (X, Y) in enumerate(pairs):
        X = net.check_X(X, f"inputs of step {k + 1}")
        data.append((X, net.check_Y(Y, X.shape[0], f"targets of step {k + 1}")))
    title = title or _title(net, steps, "given")
    ex = _build(net, data, learning_rate, digits, title, "a teacher's network (chainrule.exercise(network=...))")
    for k, trace in enumerate(ex.traces, start=1):
        ex.problems += [f"step {k}: {p}" for p in problems(trace, digits, margin, dead_relu)]
    return ex


def _build(net, data, learning_rate, digits, title, source, seed=None, traces=None) -> Exercise:
    """The worked-example file of the steps, the key written from their traces, read back by the loader.

    ``traces``: the steps as drawing recorded them (each from the rounded new weights of the one before).
    """
    if traces is None:
        work, traces = net.astype("float64"), []
        for X, Y in data:
            traces.append(work.explain(X, Y, learning_rate))
            _set(work, _rounded(traces[-1], digits))
    acts = [layer.activation.name for layer in net.layers]
    hidden = acts[:-1]
    network: dict[str, Any] = {"sizes": list(net.sizes)}
    if hidden:
        network["activation"] = hidden[0] if len(set(hidden)) == 1 else hidden
    network.update(
        output_activation=acts[-1],
        loss=net.loss_function.name,
        reduction=net.reduction,
        bias=net.layers[0].bias is not None,
    )
    layers = []
    for layer in net.layers:
        entry: dict[str, Any] = {"weights": np.asarray(layer.weights, dtype=np.float64).tolist()}
        if layer.bias is not None:
            entry["bias"] = np.asarray(layer.bias, dtype=np.float64).tolist()
        layers.append(entry)
    file: dict[str, Any] = {
        "title": title,
        "source": source,
        "notes": [
            f"The key gives every value to {digits} significant digits"
            + (
                f"; step k >= 2 starts from the new weights and biases of the step before, rounded to {digits} "
                "significant digits as the key gives them."
                if len(data) > 1
                else "."
            )
        ],
        "network": network,
        "layers": layers,
        "step": {
            "inputs": np.asarray(data[0][0]).tolist(),
            "targets": np.asarray(data[0][1]).tolist(),
            "learning_rate": float(learning_rate),
        },
        "published": _published(traces[0], digits),
    }
    if len(data) > 1:
        file["steps"] = [
            {"inputs": np.asarray(X).tolist(), "targets": np.asarray(Y).tolist(), "published": _published(t, digits)}
            for (X, Y), t in zip(data[1:], traces[1:])
        ]
    example = example_from_dict(json.loads(json.dumps(file)))
    key = example.explain_steps()
    return Exercise(file, example, key, digits, [], seed)


# -- files ------------------------------------------------------------------------
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"a worked-example file holds finite numbers; got {value!r}")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml(data: dict[str, Any]) -> str:
    """The exercise file as TOML (plain values and arrays at the top; tables, arrays of tables)."""
    lines = [f"{key} = {_toml_value(value)}" for key, value in data.items() if not isinstance(value, (dict, list))]
    if "notes" in data:
        lines.append("notes = [\n" + "".join(f"    {_toml_value(n)},\n" for n in data["notes"]) + "]")

    def table(name: str, values: dict[str, Any], array: bool = False) -> None:
        lines.append("")
        lines.append(f"[[{name}]]" if array else f"[{name}]")
        for key, value in values.items():
            if isinstance(value, dict):
                continue
            lines.append(f"{_toml_value(key) if not key.isidentifier() else key} = {_toml_value(value)}")
        for key, value in values.items():
            if isinstance(value, dict):
                table(f"{name}.{key}", value)

    table("network", data["network"])
    for entry in data.get("layers", []):
        table("layers", entry, array=True)
    table("step", data["step"])
    table("published", data["published"])
    for entry in data.get("steps", []):
        table("steps", entry, array=True)
    return "\n".join(lines) + "\n"


def _document(title: str, body: str) -> str:
    return (
        "\\documentclass[11pt]{article}\n"
        "\\usepackage[a4paper,margin=2cm]{geometry}\n"
        "\\usepackage{amsmath,amssymb}\n"
        "\\setcounter{MaxMatrixCols}{20}\n"
        "\\renewcommand{\\labelitemi}{$\\bullet$}\n"  # cmsy's bullet: no bitmap font to generate
        "\\ifdefined\\pdftrailerid\\pdftrailerid{}\\pdfinfoomitdate=1\\pdfsuppressptexinfo=-1\\fi\n"
        f"\\title{{{latex_text(title)}}}\\date{{}}\\author{{}}\n"
        "\\setlength{\\parindent}{0pt}\\setlength{\\parskip}{0.5em}\\sloppy\n"
        "\\begin{document}\n"
        f"{body}"
        "\\end{document}\n"
    )


def latex_engine() -> str | None:
    """The path of ``pdflatex`` if it is installed, else None (the PDFs are then not written)."""
    return shutil.which("pdflatex")


def compile_latex(document: str, engine: str | None = None, timeout: float = 120.0) -> bytes:
    """A LaTeX document compiled to PDF bytes with pdflatex (no shell escape; same input, same bytes).

    Raises RuntimeError with the engine's first error line when it fails, or when no engine is installed.
    """
    engine = engine or latex_engine()
    if engine is None:
        raise RuntimeError("a PDF needs pdflatex (Debian: apt-get install texlive-latex-base); none was found")
    with tempfile.TemporaryDirectory(prefix="chainrule-tex-") as tmp:
        (Path(tmp) / "doc.tex").write_text(document, encoding="utf-8")
        env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
        done = subprocess.run(
            [engine, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "doc.tex"],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
        pdf = Path(tmp) / "doc.pdf"
        if done.returncode != 0 or not pdf.exists():
            errors = [line for line in done.stdout.splitlines() if line.startswith("!")]
            raise RuntimeError(f"pdflatex failed: {errors[0] if errors else done.stdout[-300:]}")
        return pdf.read_bytes()
