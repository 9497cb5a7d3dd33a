"""Explain mode: one training step recorded and written out like a textbook.

:func:`explain` (and :meth:`chainrule.Network.explain`) runs *the* training
step, :func:`chainrule.training.train_step`, on a float64 copy of the
network with plain SGD, and keeps what it computed: z, a, f'(z), ∂L/∂a, δ,
the gradients and the new parameters of every layer. Nothing is recomputed
for the record; f'(z) for display comes from the layer's own activation
(``activation.derivative(z, a)``), the same object the backward pass used.

A :class:`Trace` renders as terminal text (:meth:`Trace.to_text`), as
Markdown with LaTeX math for GitHub (:meth:`Trace.to_markdown`) and as a
lossless dict / JSON (:meth:`Trace.to_dict`, :meth:`Trace.to_json`).
Values are addressed by paths such as ``"layers[0].new_weights[1][0]"``
(``z``, ``a``, ``derivative``, ``grad_a`` and ``delta`` are indexed
``[sample][neuron]``, ``weights``/``grad_weights``/``new_weights``
``[neuron][input]``, biases ``[neuron]``).

>>> import chainrule as cr
>>> net = cr.Network([2, 1], loss="half_squared_error", reduction="sum")
>>> net.layers[0].weights = [[0.2, 0.4]]
>>> net.layers[0].bias = [0.1]
>>> trace = net.explain([[0.5, 0.3]], [[1.0]], learning_rate=0.01)
>>> round(trace.get("layers[0].z[0][0]"), 12)
0.32
>>> print(trace.to_text().splitlines()[9])
    z[0] = 0.2·0.5 + 0.4·0.3 + 0.1 = 0.32
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import check_positive_float, check_positive_int
from ..training.loop import train_step
from ..training.optimizers import SGD

__all__ = ["TRACE_FIELDS", "LayerTrace", "Trace", "explain"]

#: The per-layer fields of a trace, in the order a step computes them.
TRACE_FIELDS = (
    "weights",
    "bias",
    "z",
    "a",
    "derivative",
    "grad_a",
    "delta",
    "grad_weights",
    "grad_bias",
    "new_weights",
    "new_bias",
)

_SAMPLE_FIELDS = ("z", "a", "derivative", "grad_a", "delta")  # (n_samples, n_out)


@dataclass
class LayerTrace:
    """One layer's part of a recorded step (float64 arrays).

    Attributes
    ----------
    activation : str
        The activation's name.
    weights, new_weights, grad_weights : ndarray of shape (n_out, n_in)
        W before the step, after it, and ∂L/∂W.
    bias, new_bias, grad_bias : ndarray of shape (n_out,) or None
        b before, after and ∂L/∂b (``None`` for a layer without bias).
    z, a, delta : ndarray of shape (n_samples, n_out)
        Pre-activation, activation and δ = ∂L/∂z.
    derivative : ndarray of shape (n_samples, n_out) or None
        f'(z) from the activation (``None`` for softmax, not element-wise).
    grad_a : ndarray of shape (n_samples, n_out) or None
        ∂L/∂a, reduction included (``None`` for an output layer whose δ
        is fused with the loss: softmax + cross-entropy, sigmoid + BCE).
    """

    activation: str
    weights: np.ndarray
    bias: np.ndarray | None
    z: np.ndarray
    a: np.ndarray
    derivative: np.ndarray | None
    grad_a: np.ndarray | None
    delta: np.ndarray
    grad_weights: np.ndarray
    grad_bias: np.ndarray | None
    new_weights: np.ndarray
    new_bias: np.ndarray | None


@dataclass
class Trace:
    """One training step, recorded from the code that ``fit`` runs.

    Attributes
    ----------
    inputs : ndarray of shape (n_samples, n_inputs)
    targets : ndarray of shape (n_samples, n_outputs)
    learning_rate : float
    loss : float
        The loss before the update, reduced as the network says.
    loss_name : str
    reduction : {"mean", "sum"}
    layers : list of LayerTrace
    notes : list of str
        Anything a reader should know (e.g. a float32 network explained
        through a float64 copy).
    """

    inputs: np.ndarray
    targets: np.ndarray
    learning_rate: float
    loss: float
    loss_name: str
    reduction: str
    layers: list[LayerTrace]
    notes: list[str] = field(default_factory=list)

    # -- addressing -------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def sizes(self) -> list[int]:
        return [int(self.inputs.shape[1])] + [int(layer.z.shape[1]) for layer in self.layers]

    def get(self, path: str) -> float:
        """The value at a path such as ``"layers[1].delta[0][0]"`` or ``"loss"``."""
        key = parse_path(path, self)
        if key is None:
            return float(self.loss)
        layer, name, index = key
        return float(getattr(self.layers[layer], name)[index])

    def paths(self) -> Iterator[str]:
        """Every scalar path of the trace, in the order a step computes them."""
        for l, layer in enumerate(self.layers):
            for name in ("z", "a"):
                yield from _paths_of(l, name, getattr(layer, name))
        yield "loss"
        for l in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[l]
            for name in ("grad_a", "derivative", "delta", "grad_weights", "grad_bias", "new_weights", "new_bias"):
                yield from _paths_of(l, name, getattr(layer, name))

    # -- serialisation ----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; floats are Python floats, so JSON keeps them exactly."""

        def conv(value):
            return None if value is None else np.asarray(value, dtype=np.float64).tolist()

        return {
            "inputs": conv(self.inputs),
            "targets": conv(self.targets),
            "learning_rate": float(self.learning_rate),
            "loss": float(self.loss),
            "loss_name": self.loss_name,
            "reduction": self.reduction,
            "layers": [
                {"activation": layer.activation, **{name: conv(getattr(layer, name)) for name in TRACE_FIELDS}}
                for layer in self.layers
            ],
            "notes": list(self.notes),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (float64 values round-trip exactly)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trace:
        """The inverse of :meth:`to_dict`."""

        def arr(value):
            return None if value is None else np.asarray(value, dtype=np.float64)

        layers = [
            LayerTrace(activation=entry["activation"], **{name: arr(entry[name]) for name in TRACE_FIELDS})
            for entry in data["layers"]
        ]
        return cls(
            arr(data["inputs"]),
            arr(data["targets"]),
            float(data["learning_rate"]),
            float(data["loss"]),
            data["loss_name"],
            data["reduction"],
            layers,
            list(data.get("notes", [])),
        )

    # -- renderings -------------------------------------------------------
    def to_text(self, digits: int = 4, max_neurons: int = 8, max_samples: int = 4) -> str:
        """The step for the terminal, formulas with the numbers substituted.

        Parameters
        ----------
        digits : int >= 1
            Significant digits of every number shown.
        max_neurons, max_samples : int >= 1
            Layers with at most ``max_neurons`` inputs and neurons, for
            batches of at most ``max_samples`` samples, are written neuron
            by neuron; larger ones in matrix form with their shapes.
        """
        return _render(self, _TEXT, digits, max_neurons, max_samples)

    def to_markdown(self, digits: int = 4, max_neurons: int = 8, max_samples: int = 4) -> str:
        """The step as Markdown with ``$...$`` LaTeX math (renders on GitHub); see :meth:`to_text`."""
        return _render(self, _LATEX, digits, max_neurons, max_samples)

    def to_html(self, title: str | None = None, digits: int = 4) -> str:
        """The step as one self-contained interactive HTML page; see :func:`chainrule.web.explainer.explainer_html`."""
        from ..web.explainer import explainer_html

        return explainer_html(self, title=title, digits=digits)


# -- recording -----------------------------------------------------------
class _RecordingSGD(SGD):
    """Plain SGD that copies the network's gradients before its update scales them in place.

    ``gradients`` are the layers' gradient buffers (``layer.gradients()``), views of the
    flat gradient vector the step is handed.
    """

    def __init__(self, learning_rate: float, gradients: list[np.ndarray]):
        super().__init__(learning_rate)
        self.gradients = gradients
        self.recorded: list[np.ndarray] = []

    def step(self, params, grads):
        self.recorded = [np.array(g, dtype=np.float64, copy=True) for g in self.gradients]
        super().step(params, grads)


def explain(net, X: Any, Y: Any, learning_rate: float = 0.1) -> Trace:
    """Record one full-batch SGD step of ``net`` on (X, Y); ``net`` is not modified.

    The step is :func:`chainrule.training.train_step` (what ``fit`` runs)
    on a deep copy of the network, converted to float64 if needed, with
    plain SGD at ``learning_rate``: one ``fit(X, Y, epochs=1,
    learning_rate=learning_rate, batch_size=None)`` step of a float64
    network gives exactly the trace's new weights.

    Parameters
    ----------
    net : Network
    X : array-like of shape (n_samples, n_inputs)
    Y : array-like of shape (n_samples, n_outputs) (integer labels of shape
        (n_samples,) for ``cross_entropy``)
    learning_rate : float > 0

    Returns
    -------
    Trace
    """

    learning_rate = check_positive_float(learning_rate, "learning_rate")
    notes = []
    if net.dtype != np.float64:
        notes.append(
            f"the network is {net.dtype.name}; it is explained through a float64 copy, "
            f"so its own {net.dtype.name} step rounds differently"
        )
    work = net.astype("float64")
    X, Y = work.check_XY(X, Y)
    X = np.array(X, dtype=np.float64, copy=True)
    old = [(layer.weights.copy(), None if layer.bias is None else layer.bias.copy()) for layer in work.layers]
    optimizer = _RecordingSGD(learning_rate, [g for layer in work.layers for g in layer.gradients()])
    fwd, back = train_step(work, optimizer, X, Y)
    recorded = iter(optimizer.recorded)  # ∂L/∂W_0, ∂L/∂b_0, ∂L/∂W_1, ... as parameters() orders them
    grads = [(next(recorded), next(recorded) if layer.bias is not None else None) for layer in work.layers]

    layers = []
    for l, layer in enumerate(work.layers):
        z = np.array(fwd.zs[l], dtype=np.float64)
        a = np.array(fwd.activations[l + 1], dtype=np.float64)
        act = layer.activation
        derivative = np.array(act.derivative(z, a), dtype=np.float64) if act.elementwise else None
        grad_a = back.grad_a[l]
        layers.append(
            LayerTrace(
                activation=act.name,
                weights=old[l][0],
                bias=old[l][1],
                z=z,
                a=a,
                derivative=derivative,
                grad_a=None if grad_a is None else np.array(grad_a, dtype=np.float64),
                delta=np.array(back.deltas[l], dtype=np.float64),
                grad_weights=grads[l][0],
                grad_bias=grads[l][1],
                new_weights=layer.weights.copy(),
                new_bias=None if layer.bias is None else layer.bias.copy(),
            )
        )
    return Trace(
        X,
        np.array(Y, dtype=np.float64),
        learning_rate,
        float(back.loss),
        work.loss_function.name,
        work.reduction,
        layers,
        notes,
    )


# -- paths ---------------------------------------------------------------
_PATH = re.compile(r"^layers\[(\d+)\]\.([a-z_]+)((?:\[\d+\])+)$")


def parse_path(path: Any, trace: Trace) -> tuple[int, str, tuple[int, ...]] | None:
    """``"layers[1].z[0][0]"`` -> (1, "z", (0, 0)); ``"loss"`` -> None.

    Raises ValueError naming the path when it does not address a value of ``trace``.
    """
    if not isinstance(path, str):
        raise TypeError(f"a trace path must be a str such as 'layers[0].z[0][0]'; got {type(path).__name__} {path!r}")
    text = path.strip()
    if text == "loss":
        return None
    match = _PATH.match(text)
    if not match:
        raise ValueError(f"trace path {path!r} is not of the form 'layers[l].field[i][j]' or 'loss'")
    l, name = int(match.group(1)), match.group(2)
    index = tuple(int(i) for i in re.findall(r"\d+", match.group(3)))
    if l >= len(trace.layers):
        raise ValueError(
            f"trace path {path!r}: the network has {len(trace.layers)} layers (0..{len(trace.layers) - 1})"
        )
    if name not in TRACE_FIELDS:
        raise ValueError(f"trace path {path!r}: unknown field {name!r}; fields are: {', '.join(TRACE_FIELDS)}")
    value = getattr(trace.layers[l], name)
    if value is None:
        raise ValueError(f"trace path {path!r}: layers[{l}] has no {name} (none in this network)")
    if len(index) != value.ndim or any(i >= n for i, n in zip(index, value.shape)):
        raise ValueError(f"trace path {path!r}: layers[{l}].{name} has shape {value.shape}; got index {list(index)}")
    return l, name, index


def _paths_of(l: int, name: str, value: np.ndarray | None) -> Iterator[str]:
    if value is None:
        return
    for index in np.ndindex(*value.shape):
        yield f"layers[{l}].{name}" + "".join(f"[{i}]" for i in index)


# -- rendering -----------------------------------------------------------
# An equation is a list of parts: str (the same in both styles), a (text, latex)
# pair, or a float shown with the trace's digits. ``_P(value)`` is a number put
# in parentheses when negative (a factor after "·" or "-").
class _P(float):
    pass


class _Style:
    def __init__(self, latex: bool):
        self.latex = latex

    def num(self, value: float, digits: int) -> str:
        text = f"{float(value):.{digits}g}"
        if text in ("-0", "+0"):
            text = "0"
        if self.latex and "e" in text:
            mantissa, exponent = text.split("e")
            text = f"{mantissa} \\times 10^{{{int(exponent)}}}"
        return text

    def part(self, part: Any, digits: int) -> str:
        if isinstance(part, tuple):
            return part[1] if self.latex else part[0]
        if isinstance(part, str):
            return part
        text = self.num(part, digits)
        if isinstance(part, _P) and float(part) < 0:
            return f"\\left({text}\\right)" if self.latex else f"({text})"
        return text

    def eq(self, parts: list, digits: int) -> str:
        body = "".join(self.part(p, digits) for p in parts)
        return f"- ${body}$" if self.latex else f"    {body}"

    def heading(self, level: int, text: str) -> str:
        if self.latex:
            return "#" * (level + 1) + " " + text if level else "# " + text
        return text if level == 1 else "  " + text

    def para(self, text: str) -> str:
        return text

    def matrix(self, name: tuple, array: np.ndarray, digits: int) -> list[str]:
        if self.latex:
            array = np.atleast_2d(array)
            rows = _elide(array.shape[0])
            cols = _elide(array.shape[1])
            lines = []
            for r in rows:
                if r is None:
                    lines.append(" & ".join(r"\vdots" if c is not None else r"\ddots" for c in cols))
                    continue
                lines.append(" & ".join(r"\cdots" if c is None else self.num(array[r, c], digits) for c in cols))
            body = r" \\ ".join(lines)
            return [f"$${name[1]} = \\begin{{bmatrix}} {body} \\end{{bmatrix}}$$"]
        text = np.array2string(
            array,
            separator=" ",
            threshold=64,
            edgeitems=3,
            max_line_width=100,
            formatter={"float_kind": lambda v: self.num(v, digits)},
        )
        return [f"    {name[0]} ="] + ["      " + line for line in text.splitlines()]


def _elide(n: int, keep: int = 3) -> list:
    if n <= 2 * keep + 1:
        return list(range(n))
    return list(range(keep)) + [None] + list(range(n - keep, n))


_TEXT = _Style(latex=False)
_LATEX = _Style(latex=True)

_MUL = ("·", r" \cdot ")
_ARROW = (" ← ", r" \leftarrow ")
_LOSS_SYMBOLS = {
    "half_squared_error": ("L = ½·Σ(a - y)²", r"L = \tfrac{1}{2}\sum (a - y)^2"),
    "squared_error": ("L = Σ(a - y)²", r"L = \sum (a - y)^2"),
    "mse": ("L = (1/K)·Σ(a - y)²", r"L = \tfrac{1}{K}\sum (a - y)^2"),
    "binary_cross_entropy": ("L = -Σ[y·log a + (1 - y)·log(1 - a)]", r"L = -\sum [y \log a + (1 - y) \log(1 - a)]"),
    "cross_entropy": ("L = -Σ y·log a", r"L = -\sum y \log a"),
}
_F = {
    "sigmoid": ("σ", r"\sigma"),
    "tanh": ("tanh", r"\tanh"),
    "relu": ("relu", r"\mathrm{relu}"),
    "leaky_relu": ("lrelu", r"\mathrm{lrelu}"),
    "identity": ("id", r"\mathrm{id}"),
    "softmax": ("softmax", r"\mathrm{softmax}"),
}


def _sym(base: str, index: tuple, latex_base: str | None = None, prime: bool = False) -> tuple:
    """A symbol with 0-based indices: ``z[1]`` / ``z_{1}``."""
    latex_base = latex_base or base
    idx = ",".join(str(i) for i in index)
    text = f"{base}[{idx}]" if index else base
    latex = f"{latex_base}_{{{idx}}}" if index else latex_base
    return text, latex


def _render(trace: Trace, style: _Style, digits: int, max_neurons: int, max_samples: int) -> str:
    digits = check_positive_int(digits, "digits")
    max_neurons = check_positive_int(max_neurons, "max_neurons")
    max_samples = check_positive_int(max_samples, "max_samples")
    n = trace.n_samples
    batch = n > 1
    out: list[str] = []
    L = len(trace.layers)
    lr = trace.learning_rate
    acts = sorted({layer.activation for layer in trace.layers}, key=[l.activation for l in trace.layers].index)

    def idx(s, j):
        return (s, j) if batch else (j,)

    def samples():
        return range(n)

    def small(l):
        layer = trace.layers[l]
        n_out, n_in = layer.weights.shape
        return n_out <= max_neurons and n_in <= max_neurons and n <= max_samples

    def eq(parts):
        out.append(style.eq(parts, digits))

    def blank():
        out.append("")

    def in_name(l):
        return ("x", "x") if l == 0 else ("in", r"\mathrm{in}")

    def in_value(l):
        return trace.inputs if l == 0 else trace.layers[l - 1].a

    def sum_of_products(pairs):
        parts: list = []
        for k, (u, v) in enumerate(pairs):
            if k:
                parts.append(" + ")
            parts += [u if k == 0 else _P(u), _MUL, _P(v)]
        return parts

    # -- title --------------------------------------------------------------
    loss_sym = _LOSS_SYMBOLS.get(trace.loss_name, (trace.loss_name, trace.loss_name))
    title = "One training step, explained"
    out.append(style.heading(0, title) if style.latex else title)
    blank()
    desc = (
        f"network {trace.sizes}, activations {', '.join(acts)}; loss {trace.loss_name} "
        f"({loss_sym[0]}), reduction {trace.reduction}; learning rate η = {style.num(lr, digits)}; "
        f"{n} sample{'s' if n != 1 else ''}."
    )
    out.append(desc if not style.latex else desc.replace("η", "$\\eta$").replace(loss_sym[0], f"${loss_sym[1]}$"))
    out.append(
        "Indices are 0-based, as in trace paths: layers[l].z[sample][neuron], layers[l].weights[neuron][input]."
        if not style.latex
        else "Indices are 0-based, as in trace paths: `layers[l].z[sample][neuron]`, "
        "`layers[l].weights[neuron][input]`."
    )
    for note in trace.notes:
        out.append(f"Note: {note}.")
    blank()
    if n <= max_samples and trace.inputs.shape[1] <= max_neurons and trace.targets.shape[1] <= max_neurons:
        for s in samples():
            parts: list = []
            for i, v in enumerate(trace.inputs[s]):
                parts += [", " if i else "", _sym("x", idx(s, i)), " = ", v]
            parts.append(("; ", r";\quad "))
            for k, v in enumerate(trace.targets[s]):
                parts += [", " if k else "", _sym("y", idx(s, k)), " = ", v]
            eq(parts)
    else:
        out += style.matrix(("x", "x"), trace.inputs, digits)
        out += style.matrix(("y", "y"), trace.targets, digits)
    blank()

    # -- forward ------------------------------------------------------------
    out.append(style.heading(1, "Forward pass"))
    for l, layer in enumerate(trace.layers):
        n_out, n_in = layer.weights.shape
        f = _F.get(layer.activation, (layer.activation, rf"\mathrm{{{layer.activation}}}"))
        x_name = in_name(l)
        src = "x" if l == 0 else f"layers[{l - 1}].a"
        kind = "output" if l == L - 1 else "hidden"
        if style.latex:
            blank()
        out.append(style.heading(2, f"layers[{l}] ({kind}, {layer.activation}, {n_in} → {n_out}; in = {src})"))
        if style.latex:
            blank()
        if small(l):
            for s in samples():
                for j in range(n_out):
                    parts = [_sym("z", idx(s, j)), " = "]
                    parts += sum_of_products([(layer.weights[j, i], in_value(l)[s, i]) for i in range(n_in)])
                    if layer.bias is not None:
                        parts += [" + ", _P(layer.bias[j])]
                    parts += [" = ", layer.z[s, j]]
                    eq(parts)
            for s in samples():
                for j in range(n_out):
                    if layer.activation == "softmax":
                        eq(
                            [
                                _sym("a", idx(s, j)),
                                " = ",
                                (f"softmax(z[{s}])[{j}]", rf"\mathrm{{softmax}}(z_{{{s}}})_{{{j}}}"),
                                " = ",
                                layer.a[s, j],
                            ]
                        )
                    else:
                        eq([_sym("a", idx(s, j)), " = ", f, "(", layer.z[s, j], ") = ", layer.a[s, j]])
        else:
            shape_b = f" + ({n_out},)" if layer.bias is not None else ""
            eq(
                [
                    ("z = in·Wᵀ" if l else "z = x·Wᵀ", r"z = \mathrm{in} \cdot W^\top" if l else r"z = x \cdot W^\top"),
                    (" + b", " + b") if layer.bias is not None else "",
                    (
                        f"    shape ({n}, {n_out}) = ({n}, {n_in})·({n_in}, {n_out}){shape_b}",
                        rf"\quad ({n}, {n_out}) = ({n}, {n_in}) \cdot ({n_in}, {n_out}){shape_b}",
                    ),
                ]
            )
            out += style.matrix(("z", "z"), layer.z, digits)
            eq([("a = ", "a = "), f, ("(z)", "(z)")])
            out += style.matrix(("a", "a"), layer.a, digits)
        del x_name
    blank()

    # -- loss ---------------------------------------------------------------
    out.append(style.heading(1, "Loss"))
    if style.latex:
        blank()
    last = trace.layers[-1]
    k_out = last.a.shape[1]
    squared = {
        "half_squared_error": ("½·", r"\tfrac{1}{2}", 1.0),
        "squared_error": ("", "", 1.0),
        "mse": (f"(1/{k_out})·", rf"\tfrac{{1}}{{{k_out}}}", 1.0),
    }
    terms = n * k_out
    if trace.loss_name in squared and terms <= 4:
        pre_t, pre_l, _ = squared[trace.loss_name]
        parts = ["L = "]
        if trace.reduction == "mean" and n > 1:
            parts.append((f"(1/{n})·[", rf"\tfrac{{1}}{{{n}}}\Big["))
        for s in samples():
            if s:
                parts.append(" + ")
            parts.append((pre_t, pre_l + " " if pre_l else ""))
            if k_out > 1:
                parts.append(("[", r"\big["))
            for k in range(k_out):
                if k:
                    parts.append(" + ")
                parts += ["(", last.a[s, k], " - ", _P(trace.targets[s, k]), ")", ("²", "^2")]
            if k_out > 1:
                parts.append(("]", r"\big]"))
        if trace.reduction == "mean" and n > 1:
            parts.append(("]", r"\Big]"))
        parts += [" = ", trace.loss]
        eq(parts)
    else:
        reduce = f", {'mean' if trace.reduction == 'mean' else 'sum'} over {n} samples" if n > 1 else ""
        eq([loss_sym, (reduce, rf"\quad\text{{{reduce.lstrip(', ')}}}" if reduce else ""), " = ", trace.loss])
    blank()

    # -- output and hidden errors ------------------------------------------
    scale = 1.0 / n if trace.reduction == "mean" else 1.0
    for l in range(L - 1, -1, -1):
        layer = trace.layers[l]
        n_out = layer.weights.shape[0]
        f = _F.get(layer.activation, (layer.activation, rf"\mathrm{{{layer.activation}}}"))
        title = f"Output error: layers[{l}]" if l == L - 1 else f"Hidden error: layers[{l}]"
        if l < L - 1:
            title += f" (δ' and w' are layers[{l + 1}]'s)"
            if style.latex:
                title = title.replace("δ' and w'", "$\\delta'$ and $w'$")
        out.append(style.heading(1, title))
        if style.latex:
            blank()
        if not small(l):
            if l == L - 1:
                eq(
                    [
                        ("δ = ∂L/∂z", r"\delta = \partial L / \partial z"),
                        (f"    shape ({n}, {n_out})", rf"\quad ({n}, {n_out})"),
                    ]
                )
            else:
                eq(
                    [
                        ("∂L/∂a = δ'·W'", r"\partial L/\partial a = \delta' \cdot W'"),
                        ("    δ = ∂L/∂a ⊙ f'(z)", r"\qquad \delta = \partial L/\partial a \odot f'(z)"),
                        (f"    shape ({n}, {n_out})", rf"\quad ({n}, {n_out})"),
                    ]
                )
            out += style.matrix(("δ", r"\delta"), layer.delta, digits)
            blank()
            continue
        for s in samples():
            for j in range(n_out):
                ga = _sym("∂L/∂a", idx(s, j), r"\partial L/\partial a")
                d = _sym("δ", idx(s, j), r"\delta")
                if l == L - 1 and layer.grad_a is None:
                    # fused with the loss: δ = (a - y)·scale
                    parts = [d, " = ", ("a - y", "a - y")]
                    if scale != 1.0:
                        parts = [d, " = ", (f"(a - y)/{n}", rf"(a - y)/{n}")]
                    parts += [" = "]
                    parts += (
                        ["(", layer.a[s, j], " - ", _P(trace.targets[s, j]), f")/{n}"]
                        if scale != 1.0
                        else [layer.a[s, j], " - ", _P(trace.targets[s, j])]
                    )
                    parts += [" = ", layer.delta[s, j]]
                    eq(parts)
                    continue
                if l == L - 1:
                    parts = [ga, " = "] + _loss_gradient_parts(trace, s, j, scale)
                else:
                    nxt = trace.layers[l + 1]
                    parts = [
                        ga,
                        " = ",
                        (
                            f"Σ_k δ'[k]·w'[k,{j}]" if not batch else f"Σ_k δ'[{s},k]·w'[k,{j}]",
                            rf"\sum_k \delta'_{{k}} w'_{{k,{j}}}"
                            if not batch
                            else rf"\sum_k \delta'_{{{s},k}} w'_{{k,{j}}}",
                        ),
                        " = ",
                    ]
                    parts += sum_of_products([(nxt.delta[s, k], nxt.weights[k, j]) for k in range(nxt.delta.shape[1])])
                    parts += [" = ", layer.grad_a[s, j]]
                eq(parts)
                if layer.derivative is not None:
                    fp = (f"{f[0]}'(z{_sym('', idx(s, j))[0]})", rf"{f[1]}'(z_{{{','.join(map(str, idx(s, j)))}}})")
                    parts = [fp, " = "] + _derivative_parts(layer.activation, layer.z[s, j], layer.a[s, j])
                    parts += [" = ", layer.derivative[s, j]] if len(parts) > 2 else [layer.derivative[s, j]]
                    eq(parts)
                    eq(
                        [
                            d,
                            " = ",
                            ("∂L/∂a·" + f[0] + "'(z)", r"\frac{\partial L}{\partial a} " + f[1] + "'(z)"),
                            " = ",
                            layer.grad_a[s, j],
                            _MUL,
                            _P(layer.derivative[s, j]),
                            " = ",
                            layer.delta[s, j],
                        ]
                    )
                else:
                    eq(
                        [
                            d,
                            " = ",
                            ("(∂L/∂a)·J_softmax", r"\frac{\partial L}{\partial a} J_{\mathrm{softmax}}"),
                            " = ",
                            layer.delta[s, j],
                        ]
                    )
        blank()

    # -- updates ------------------------------------------------------------
    out.append(
        style.heading(
            1,
            "Updates (w ← w - η·∂L/∂w, b ← b - η·∂L/∂b)"
            if not style.latex
            else r"Updates ($w \leftarrow w - \eta\,\partial L/\partial w$)",
        )
    )
    for l in range(L - 1, -1, -1):
        layer = trace.layers[l]
        n_out, n_in = layer.weights.shape
        src = "x" if l == 0 else f"layers[{l - 1}].a"
        if style.latex:
            blank()
        out.append(style.heading(2, f"layers[{l}] (in = {src})"))
        if style.latex:
            blank()
        inp = in_value(l)
        iname = in_name(l)
        if not small(l):
            eq(
                [
                    ("∂L/∂W = δᵀ·in", r"\partial L/\partial W = \delta^\top \cdot \mathrm{in}"),
                    (f"    shape ({n_out}, {n_in})", rf"\quad ({n_out}, {n_in})"),
                ]
            )
            out += style.matrix(("∂L/∂W", r"\partial L/\partial W"), layer.grad_weights, digits)
            eq([("W ← W - η·∂L/∂W", r"W \leftarrow W - \eta \, \partial L/\partial W")])
            out += style.matrix(("W", "W"), layer.new_weights, digits)
            if layer.bias is not None:
                eq([("∂L/∂b = Σ_s δ[s]", r"\partial L/\partial b = \sum_s \delta_{s}")])
                out += style.matrix(("∂L/∂b", r"\partial L/\partial b"), layer.grad_bias, digits)
                out += style.matrix(("b", "b"), layer.new_bias, digits)
            continue
        for j in range(n_out):
            for i in range(n_in):
                g = _sym("∂L/∂w", (j, i), r"\partial L/\partial w")
                name_t = f"δ[{j}]·{iname[0]}[{i}]" if not batch else f"Σ_s δ[s,{j}]·{iname[0]}[s,{i}]"
                name_l = (
                    rf"\delta_{{{j}}} {iname[1]}_{{{i}}}"
                    if not batch
                    else rf"\sum_s \delta_{{s,{j}}} {iname[1]}_{{s,{i}}}"
                )
                parts = [g, " = ", (name_t, name_l), " = "]
                parts += sum_of_products([(layer.delta[s, j], inp[s, i]) for s in samples()])
                parts += [" = ", layer.grad_weights[j, i]]
                eq(parts)
                eq(
                    [
                        _sym("w", (j, i)),
                        _ARROW,
                        layer.weights[j, i],
                        " - ",
                        _P(lr),
                        _MUL,
                        _P(layer.grad_weights[j, i]),
                        " = ",
                        layer.new_weights[j, i],
                    ]
                )
        if layer.bias is not None:
            for j in range(n_out):
                g = _sym("∂L/∂b", (j,), r"\partial L/\partial b")
                parts = [
                    g,
                    " = ",
                    (
                        f"δ[{j}]" if not batch else f"Σ_s δ[s,{j}]",
                        rf"\delta_{{{j}}}" if not batch else rf"\sum_s \delta_{{s,{j}}}",
                    ),
                ]
                if batch:
                    parts += [" = "]
                    for s in samples():
                        parts += [" + " if s else "", _P(layer.delta[s, j]) if s else layer.delta[s, j]]
                parts += [" = ", layer.grad_bias[j]]
                eq(parts)
                eq(
                    [
                        _sym("b", (j,)),
                        _ARROW,
                        layer.bias[j],
                        " - ",
                        _P(lr),
                        _MUL,
                        _P(layer.grad_bias[j]),
                        " = ",
                        layer.new_bias[j],
                    ]
                )
    return "\n".join(out).rstrip() + "\n"


def _loss_gradient_parts(trace: Trace, s: int, j: int, scale: float) -> list:
    """∂L/∂a of the output, with the numbers substituted where the loss is a squared error."""
    layer = trace.layers[-1]
    a, y, value = layer.a[s, j], trace.targets[s, j], layer.grad_a[s, j]
    k_out = layer.a.shape[1]
    factor = {"half_squared_error": 1.0, "squared_error": 2.0, "mse": 2.0 / k_out}.get(trace.loss_name)
    if factor is None:
        return [("∂L/∂a", r"\partial L/\partial a"), " = ", value]
    c = factor * scale
    label_t = "a - y" if c == 1.0 else f"{c:g}·(a - y)"
    label_l = "a - y" if c == 1.0 else rf"{c:g} (a - y)"
    parts: list = [(label_t, label_l), " = "]
    if c == 1.0:
        parts += [a, " - ", _P(y)]
    else:
        parts += [c, _MUL, "(", a, " - ", _P(y), ")"]
    return parts + [" = ", value]


def _derivative_parts(activation: str, z: float, a: float) -> list:
    if activation == "sigmoid":
        return [("a·(1 - a)", r"a (1 - a)"), " = ", a, _MUL, "(1 - ", _P(a), ")"]
    if activation == "tanh":
        return [("1 - a²", "1 - a^2"), " = 1 - ", _P(a), ("²", "^2")]
    return []
