"""Explain mode: one training step recorded and written out like a textbook.

:func:`explain` (and :meth:`chainrule.Network.explain`) runs *the* training
step, :func:`chainrule.training.train_step`, on a float64 copy of the
network with plain SGD, and keeps what it computed: z, a, f'(z), ∂L/∂a, δ,
the gradients and the new parameters of every layer. Nothing is recomputed
for the record; f'(z) for display comes from the layer's own activation
(``activation.derivative(z, a)``), the same object the backward pass used.

A :class:`Trace` is written out as a list of sections
(:meth:`Trace.sections`, built by :mod:`.sections`, one per part of the
step) that :mod:`.render` renders as terminal text (:meth:`Trace.to_text`)
and as Markdown with LaTeX math for GitHub (:meth:`Trace.to_markdown`),
and the HTML explainer page (:meth:`Trace.to_html`) lays out; it is
also a lossless dict / JSON (:meth:`Trace.to_dict`, :meth:`Trace.to_json`).
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
from .render import render_html, render_markdown, render_text
from .sections import Section, build_sections

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

    def scalars(self) -> Iterator[tuple[str, float]]:
        """Every number of the trace with its path: ``"loss"``, ``"inputs[s][i]"``, ``"targets[s][k]"``,
        then each layer's fields in :data:`TRACE_FIELDS` order (``"layers[l].weights[j][i]"``, ...)."""
        yield "loss", float(self.loss)
        for name, array in (("inputs", self.inputs), ("targets", self.targets)):
            for index in np.ndindex(*array.shape):
                yield name + "".join(f"[{i}]" for i in index), float(array[index])
        for l, layer in enumerate(self.layers):
            for name in TRACE_FIELDS:
                array = getattr(layer, name)
                if array is None:
                    continue
                for index in np.ndindex(*array.shape):
                    yield f"layers[{l}].{name}" + "".join(f"[{i}]" for i in index), float(array[index])

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
    def __repr__(self) -> str:
        """A short summary for the REPL (the arrays are in :meth:`to_text`, :meth:`to_dict`)."""
        names = [layer.activation for layer in self.layers]
        acts = "/".join(sorted(set(names), key=names.index))
        n = self.n_samples
        return (
            f"<Trace: one step of a {'-'.join(map(str, self.sizes))} {acts} network, {self.loss_name} "
            f"({self.reduction}), {n} sample{'s' if n != 1 else ''}, learning rate {self.learning_rate:g}, "
            f"loss {self.loss:.6g}; .to_text() shows it worked out>"
        )

    def _repr_html_(self) -> str:
        """Jupyter's rendering: the sections of :meth:`to_text`, formulas typeset as MathML (nothing fetched)."""
        return render_html(self.sections(), 4)

    def _repr_markdown_(self) -> str:
        """Jupyter's Markdown rendering: :meth:`to_markdown`."""
        return self.to_markdown()

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
        digits = check_positive_int(digits, "digits")
        return render_text(self.sections(max_neurons, max_samples), digits)

    def to_markdown(self, digits: int = 4, max_neurons: int = 8, max_samples: int = 4) -> str:
        """The step as Markdown with ``$...$`` LaTeX math (renders on GitHub); see :meth:`to_text`."""
        digits = check_positive_int(digits, "digits")
        return render_markdown(self.sections(max_neurons, max_samples), digits)

    def sections(self, max_neurons: int = 8, max_samples: int = 4) -> list[Section]:
        """The step as a list of sections, the one source of every rendering; see :mod:`.sections`.

        ``max_neurons`` and ``max_samples`` as for :meth:`to_text`: larger
        layers and batches are written as matrices.
        """
        max_neurons = check_positive_int(max_neurons, "max_neurons")
        max_samples = check_positive_int(max_samples, "max_samples")
        return build_sections(self, max_neurons, max_samples)

    def to_html(self, title: str | None = None, digits: int = 4, practice: bool = False) -> str:
        """The step as one self-contained interactive HTML page.

        See :func:`chainrule.web.explainer.explainer_html`; with ``practice=True``, the page of blanks a learner
        fills in, checked as they type (:func:`chainrule.web.practice.practice_html`).
        """
        if practice:
            from ..web.practice import practice_html

            return practice_html(self, title=title, digits=digits)
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

    def step(self, params, grads, weight_masks=None):
        self.recorded = [np.array(g, dtype=np.float64, copy=True) for g in self.gradients]
        super().step(params, grads, weight_masks)


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
