"""Explain mode: one training step recorded and written out like a textbook.

:func:`explain` (and :meth:`chainrule.Network.explain`) runs *the* training
step, :func:`chainrule.training.train_step`, on a float64 copy of the
network with the optimiser ``fit`` would use (plain SGD by default; SGD with
momentum, Adam, AdamW, RMSProp, weight decay, a schedule, dropout), and keeps
what it computed: z, a, f'(z), ∂L/∂a, δ, the dropout masks, the gradients,
the optimiser's state before and after (read through its ``get_state``) and
the new parameters of every layer; ``steps=k`` records k consecutive steps
(:class:`Traces`). Nothing is recomputed for the record; f'(z) for display
comes from the layer's own activation (``activation.derivative(z, a)``), the
same object the backward pass used, and the few values an optimiser folds
into its constants (Adam's m̂ and v̂) are worked out by :mod:`.sections` from
the recorded state, for display only.

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

import base64
import copy
import hashlib
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, cast, overload

import numpy as np

from .._validation import check_float_in, check_positive_float, check_positive_int
from ..core.network import Workspace
from ..training.loop import DEFAULT_LEARNING_RATE, resolve_optimizer, train_step
from ..training.optimizers import Optimizer
from .render import render_html, render_markdown, render_text
from .sections import Section, build_sections, build_steps_sections

__all__ = ["TRACE_FIELDS", "LayerTrace", "OptimizerTrace", "Trace", "Traces", "explain"]

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
        With dropout, ∂L/∂a of the unmasked output f(z) (the mask applied).
    mask, a_masked : ndarray of shape (n_samples, n_out) or None
        With dropout, a hidden layer's mask m as the step drew it (0 where
        an output is dropped, 1/(1 − p) where it is kept) and a ⊙ m, what
        the next layer was fed (``a`` is then f(z) before the mask).
        ``None`` without dropout and for the output layer.
    state, new_state : dict of str to ndarray
        The optimiser's state for this layer's parameters before and after
        the step, keyed ``"<name>_weights"`` (shape (n_out, n_in)) and
        ``"<name>_bias"`` (shape (n_out,)), ``<name>`` one of the
        optimiser's ``state_names`` (``m``, ``v``; ``momentum_buffer``;
        ``square_avg``). A state the optimiser had not made yet is absent
        from ``state`` (Adam's moments start at 0, SGD's momentum buffer at g).
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
    mask: np.ndarray | None = None
    a_masked: np.ndarray | None = None
    state: dict[str, np.ndarray] = field(default_factory=dict)
    new_state: dict[str, np.ndarray] = field(default_factory=dict)


#: A layer's optional fields (dropout and the optimiser's state), by path name, besides :data:`TRACE_FIELDS`.
_EXTRA_FIELDS = ("mask", "a_masked")


@dataclass
class OptimizerTrace:
    """The optimiser that took a recorded step: its name, settings and step count.

    Attributes
    ----------
    name : str
        ``"sgd"``, ``"adam"``, ``"adamw"`` or ``"rmsprop"``.
    settings : dict
        Its hyperparameters (:meth:`~chainrule.training.optimizers.Optimizer.get_config`
        without the name, learning rate and schedule): ``momentum``,
        ``nesterov``, ``beta1``, ``beta2``, ``epsilon``, ``rho``,
        ``weight_decay``, ``weight_decay_on``, ...
    t : int
        Its step count after this step (1 for a fresh optimiser's first step):
        the t of Adam's bias correction 1 − βᵗ.
    state_names : tuple of str
        The state it keeps per parameter (see :attr:`LayerTrace.state`).
    """

    name: str = "sgd"
    settings: dict[str, Any] = field(default_factory=dict)
    t: int = 1
    state_names: tuple[str, ...] = ()

    @property
    def plain(self) -> bool:
        """Plain SGD: no momentum, no weight decay (w ← w − η·∂L/∂w)."""
        return self.name == "sgd" and not self.settings.get("momentum") and not self.settings.get("weight_decay")

    def setting(self, name: str, default: Any = None) -> Any:
        return self.settings.get(name, default)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "settings": dict(self.settings), "t": self.t, "state_names": list(self.state_names)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OptimizerTrace:
        return cls(data["name"], dict(data["settings"]), int(data["t"]), tuple(data["state_names"]))


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
    optimizer : OptimizerTrace
        The optimiser that took the step (plain SGD by default);
        ``learning_rate`` is the rate it used (a schedule's, if any).
    dropout : float
        The dropout probability p of the hidden layers (0: none).
    """

    inputs: np.ndarray
    targets: np.ndarray
    learning_rate: float
    loss: float
    loss_name: str
    reduction: str
    layers: list[LayerTrace]
    notes: list[str] = field(default_factory=list)
    optimizer: OptimizerTrace = field(default_factory=OptimizerTrace)
    dropout: float = 0.0

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
        return float(cast(np.ndarray, _field(self.layers[layer], name))[index])

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
        then each layer's fields in :data:`TRACE_FIELDS` order (``"layers[l].weights[j][i]"``, ...), then its
        dropout mask and optimiser state, if any (``"layers[l].mask[s][j]"``, ``"layers[l].new_m_weights[j][i]"``)."""
        yield "loss", float(self.loss)
        for name, array in (("inputs", self.inputs), ("targets", self.targets)):
            for index in np.ndindex(*array.shape):
                yield name + "".join(f"[{i}]" for i in index), float(array[index])
        for l, layer in enumerate(self.layers):
            for name in _field_names(layer):
                found = _field(layer, name)
                if found is None:
                    continue
                for index in np.ndindex(*found.shape):
                    yield f"layers[{l}].{name}" + "".join(f"[{i}]" for i in index), float(found[index])

    # -- serialisation ----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; floats are Python floats, so JSON keeps them exactly."""

        def conv(value):
            return None if value is None else np.asarray(value, dtype=np.float64).tolist()

        def layer_dict(layer: LayerTrace) -> dict[str, Any]:
            entry: dict[str, Any] = {"activation": layer.activation}
            entry.update({name: conv(getattr(layer, name)) for name in TRACE_FIELDS + _EXTRA_FIELDS})
            entry["state"] = {k: conv(v) for k, v in layer.state.items()}
            entry["new_state"] = {k: conv(v) for k, v in layer.new_state.items()}
            return entry

        return {
            "inputs": conv(self.inputs),
            "targets": conv(self.targets),
            "learning_rate": float(self.learning_rate),
            "loss": float(self.loss),
            "loss_name": self.loss_name,
            "reduction": self.reduction,
            "layers": [layer_dict(layer) for layer in self.layers],
            "notes": list(self.notes),
            "optimizer": self.optimizer.to_dict(),
            "dropout": float(self.dropout),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (float64 values round-trip exactly)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trace:
        """The inverse of :meth:`to_dict`."""

        def arr(value):
            return None if value is None else np.asarray(value, dtype=np.float64)

        def states(entry: dict[str, Any] | None) -> dict[str, np.ndarray]:
            return {k: np.asarray(v, dtype=np.float64) for k, v in (entry or {}).items()}

        layers = [
            LayerTrace(
                activation=entry["activation"],
                **{name: arr(entry[name]) for name in TRACE_FIELDS},
                **{name: arr(entry.get(name)) for name in _EXTRA_FIELDS},
                state=states(entry.get("state")),
                new_state=states(entry.get("new_state")),
            )
            for entry in data["layers"]
        ]
        optimizer = data.get("optimizer")
        return cls(
            arr(data["inputs"]),
            arr(data["targets"]),
            float(data["learning_rate"]),
            float(data["loss"]),
            data["loss_name"],
            data["reduction"],
            layers,
            list(data.get("notes", [])),
            OptimizerTrace() if optimizer is None else OptimizerTrace.from_dict(optimizer),
            float(data.get("dropout", 0.0)),
        )

    # -- renderings -------------------------------------------------------
    def __repr__(self) -> str:
        """A short summary for the REPL (the arrays are in :meth:`to_text`, :meth:`to_dict`)."""
        names = [layer.activation for layer in self.layers]
        acts = "/".join(sorted(set(names), key=names.index))
        n = self.n_samples
        opt = "" if self.optimizer.plain else f"{self.optimizer.name} step t={self.optimizer.t}, "
        return (
            f"<Trace: one step of a {'-'.join(map(str, self.sizes))} {acts} network, {self.loss_name} "
            f"({self.reduction}), {n} sample{'s' if n != 1 else ''}, {opt}learning rate {self.learning_rate:g}, "
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
            if not self.optimizer.plain or self.dropout:
                raise ValueError(
                    "the practice page checks a plain SGD step without dropout (its slip tables replay that step); "
                    "explain with optimizer='sgd' and no weight decay, momentum or dropout, or write "
                    "to_html() without practice"
                )
            from ..web.practice import practice_html

            return practice_html(self, title=title, digits=digits)
        from ..web.explainer import explainer_html

        return explainer_html(self, title=title, digits=digits)


# -- recording -----------------------------------------------------------
class _Recorder:
    """Stands in for the optimiser in :func:`~chainrule.training.train_step`: records what its step is handed.

    ``step`` copies the flat gradient (the update may scale it in place) and
    the optimiser's state, lets the optimiser itself take the step, then
    copies the state again. ``weight_decay`` and ``weight_decay_on`` are the
    optimiser's, so that ``train_step`` hands it the weight mask as ``fit`` does.
    """

    def __init__(self, optimizer: Optimizer):
        self.optimizer = optimizer
        self.weight_decay = optimizer.weight_decay
        self.weight_decay_on = optimizer.weight_decay_on
        self.gradient = np.empty(0)
        self.before: dict[str, np.ndarray] = {}
        self.after: dict[str, np.ndarray] = {}

    def step(self, params, grads, weight_masks=None) -> bool:
        (gradient,) = grads  # train_step hands the network's one flat vector
        self.gradient = np.array(gradient, dtype=np.float64, copy=True)
        self.before = self._state()
        finite = self.optimizer.step(params, grads, weight_masks)
        self.after = self._state()
        return finite

    def _state(self) -> dict[str, np.ndarray]:
        """The optimiser's state arrays by name, copied (the flat vector's: ``get_state``'s ``"0.<name>"``)."""
        _, arrays = self.optimizer.get_state()
        return {key.split(".", 1)[1]: np.array(value, dtype=np.float64, copy=True) for key, value in arrays.items()}


def _optimizer_for(work, optimizer: Any, learning_rate: float | None, **options: Any) -> Optimizer:
    """The optimiser ``fit`` would use on ``work`` (an instance is copied: the caller's is not stepped)."""
    if isinstance(optimizer, Optimizer):
        if learning_rate is not None:
            raise ValueError(
                f"learning_rate is for an optimizer given by name; the {type(optimizer).__name__} instance has its "
                f"own (learning_rate={optimizer.learning_rate:g}): set it there, or pass optimizer={optimizer.name!r}"
            )
        given = [name for name, value in options.items() if value is not None]
        if given:
            raise ValueError(
                f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for an optimizer given by name; "
                f"set {'it' if len(given) == 1 else 'them'} on the {type(optimizer).__name__} instance instead"
            )
        optimizer = copy.deepcopy(optimizer)
    elif isinstance(optimizer, str) and optimizer.strip().lower() == "lbfgs":
        raise ValueError(
            "optimizer='lbfgs' cannot be explained: its direction comes from curvature pairs and a line search, "
            "not from one update rule; explain 'sgd', 'adam', 'adamw' or 'rmsprop'"
        )
    lr = check_positive_float(DEFAULT_LEARNING_RATE if learning_rate is None else learning_rate, "learning_rate")
    if work.optimizer_ is not None:  # the network's own, continued as fit continues it: its state in float64
        counters, arrays = work.optimizer_.get_state()
        work.optimizer_.set_state(counters, {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()})
    return resolve_optimizer(work, optimizer, lr, **options)


def _per_layer(flat: np.ndarray, work) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """A flat vector laid out as ``work.params`` cut into (weights, bias) per layer, as copies."""
    out = []
    offset = 0
    for layer in work.layers:
        parts: list[np.ndarray | None] = []
        for p in (layer.weights, layer.bias):
            if p is None:
                parts.append(None)
                continue
            parts.append(np.array(flat[offset : offset + p.size].reshape(p.shape), dtype=np.float64))
            offset += p.size
        out.append((cast(np.ndarray, parts[0]), parts[1]))
    return out


def _layer_states(state: dict[str, np.ndarray], work) -> list[dict[str, np.ndarray]]:
    """The optimiser's flat state arrays cut per layer: ``{"m_weights": ..., "m_bias": ...}``."""
    out: list[dict[str, np.ndarray]] = [{} for _ in work.layers]
    for name, flat in state.items():
        for l, (w, b) in enumerate(_per_layer(flat, work)):
            out[l][f"{name}_weights"] = w
            if b is not None:
                out[l][f"{name}_bias"] = b
    return out


@overload
def explain(
    net,
    X: Any,
    Y: Any,
    learning_rate: float | None = None,
    optimizer: Any = "sgd",
    *,
    steps: Literal[1] = 1,
    weight_decay: float | None = None,
    weight_decay_on: str | None = None,
    schedule: Any = None,
    dropout: float = 0.0,
) -> Trace: ...


@overload
def explain(
    net,
    X: Any,
    Y: Any,
    learning_rate: float | None = None,
    optimizer: Any = "sgd",
    *,
    steps: int,
    weight_decay: float | None = None,
    weight_decay_on: str | None = None,
    schedule: Any = None,
    dropout: float = 0.0,
) -> Trace | Traces: ...


def explain(
    net,
    X: Any,
    Y: Any,
    learning_rate: float | None = None,
    optimizer: Any = "sgd",
    *,
    steps: int = 1,
    weight_decay: float | None = None,
    weight_decay_on: str | None = None,
    schedule: Any = None,
    dropout: float = 0.0,
) -> Trace | Traces:
    """Record full-batch training steps of ``net`` on (X, Y), as ``fit`` takes them; ``net`` is not modified.

    Each step is :func:`chainrule.training.train_step` (what ``fit`` runs)
    on a deep copy of the network, converted to float64 if needed, with the
    optimiser ``fit`` would use: ``steps`` consecutive steps give exactly the
    weights and optimiser state of ``fit(X, Y, epochs=steps,
    learning_rate=learning_rate, batch_size=None, optimizer=optimizer, ...)``
    on a float64 network. The optimiser's state is recorded before and after
    each step (a name with the settings of the network's own optimiser
    continues it, as ``fit`` does; an instance is copied, not stepped).

    Parameters
    ----------
    net : Network
    X : array-like of shape (n_samples, n_inputs)
    Y : array-like of shape (n_samples, n_outputs) (integer labels of shape
        (n_samples,) for ``cross_entropy``)
    learning_rate : float > 0, optional
        For an optimiser given by name (0.1 when not given, as ``fit``).
    optimizer : str or Optimizer
        ``sgd``, ``adam``, ``adamw``, ``rmsprop`` or an instance (e.g.
        ``SGD(0.1, momentum=0.9, nesterov=True)``), as for ``fit``.
    steps : int >= 1
        Consecutive steps to record.
    weight_decay, weight_decay_on, schedule, dropout
        As for :meth:`chainrule.Network.fit`; dropout masks come from the
        network's seed, the same masks ``fit`` draws.

    Returns
    -------
    Trace
        For ``steps=1``.
    Traces
        For ``steps > 1``: one :class:`Trace` per step.
    """
    if net.input_scale is not None:
        raise ValueError(
            f"explain shows the inputs as given, and this network scales them (input_scale={net.input_scale!r}): "
            f"pass X * {net.input_scale!r} to a copy without input_scale (work = net.astype(net.dtype.name); "
            f"work.input_scale = None)"
        )
    steps = check_positive_int(steps, "steps")
    dropout = check_float_in(dropout, "dropout", 0.0, 1.0)
    if weight_decay is not None:
        weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)
    notes = []
    if net.dtype != np.float64:
        notes.append(
            f"the network is {net.dtype.name}; it is explained through a float64 copy, "
            f"so its own {net.dtype.name} step rounds differently"
        )
    work = net.astype("float64")
    X, Y = work.check_XY(X, Y)
    X = np.array(X, dtype=np.float64, copy=True)
    Y = np.array(Y, dtype=np.float64, copy=True)
    opt = _optimizer_for(
        work, optimizer, learning_rate, weight_decay=weight_decay, weight_decay_on=weight_decay_on, schedule=schedule
    )
    recorder = _Recorder(opt)
    space = Workspace(work, X.shape[0], dropout, gather=False) if dropout else None  # as fit's, with dropout
    config = opt.get_config()
    settings = {k: v for k, v in config.items() if k not in ("name", "learning_rate", "schedule")}
    traces = []
    for _ in range(steps):
        old = _per_layer(work.params, work)
        rate = opt.begin_epoch()  # the schedule's rate for this step (fit: one full-batch step per epoch)
        fwd, back = train_step(work, cast(Optimizer, recorder), X, Y, space)
        opt.end_epoch()
        work.epochs_trained_ += 1
        record = _OptimizerStep(
            OptimizerTrace(opt.name, settings, opt.iterations, tuple(opt.state_names)),
            _per_layer(recorder.gradient, work),
            _layer_states(recorder.before, work),
            _layer_states(recorder.after, work),
        )
        traces.append(_trace(work, fwd, back, old, X, Y, rate, record, dropout, list(notes)))
    return traces[0] if steps == 1 else Traces(traces)


@dataclass
class _OptimizerStep:
    """What the recorder saw of one step, cut per layer."""

    optimizer: OptimizerTrace
    grads: list[tuple[np.ndarray, np.ndarray | None]]
    state: list[dict[str, np.ndarray]]
    new_state: list[dict[str, np.ndarray]]


def _trace(work, fwd, back, old, X, Y, rate: float, record: _OptimizerStep, dropout: float, notes) -> Trace:
    """One step's :class:`Trace` from its passes (copied: a workspace's buffers are reused by the next step)."""
    layers = []
    for l, layer in enumerate(work.layers):
        z = np.array(fwd.zs[l], dtype=np.float64)
        masked = fwd.masks is not None and fwd.masks[l] is not None
        a = np.array(fwd.outputs[l] if masked else fwd.activations[l + 1], dtype=np.float64)
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
                grad_weights=record.grads[l][0],
                grad_bias=record.grads[l][1],
                new_weights=layer.weights.copy(),
                new_bias=None if layer.bias is None else layer.bias.copy(),
                mask=np.array(fwd.masks[l], dtype=np.float64) if masked else None,
                a_masked=np.array(fwd.activations[l + 1], dtype=np.float64) if masked else None,
                state=record.state[l],
                new_state=record.new_state[l],
            )
        )
    return Trace(
        X,
        Y,
        float(rate),
        float(back.loss),
        work.loss_function.name,
        work.reduction,
        layers,
        notes,
        record.optimizer,
        dropout,
    )


@dataclass
class Traces:
    """Consecutive training steps, one :class:`Trace` each (``explain(..., steps=k)``).

    ``traces[k]`` is step k + 1; each step starts from the weights and
    optimiser state the one before left. Rendered as one document: the
    header once, then every step's parts under a ``Step k of K`` heading.
    """

    steps: list[Trace]

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, k: int) -> Trace:
        return self.steps[k]

    def __iter__(self) -> Iterator[Trace]:
        return iter(self.steps)

    def __repr__(self) -> str:
        first = self.steps[0]
        losses = ", ".join(f"{t.loss:.6g}" for t in self.steps[:6]) + (", ..." if len(self.steps) > 6 else "")
        return (
            f"<Traces: {len(self)} {first.optimizer.name} steps of a {'-'.join(map(str, first.sizes))} network, "
            f"losses {losses}; .to_text() shows them worked out>"
        )

    def sections(self, max_neurons: int = 8, max_samples: int = 4) -> list[Section]:
        """The steps as one list of sections (see :func:`.sections.build_steps_sections`)."""
        max_neurons = check_positive_int(max_neurons, "max_neurons")
        max_samples = check_positive_int(max_samples, "max_samples")
        return build_steps_sections(self.steps, max_neurons, max_samples)

    def to_text(self, digits: int = 4, max_neurons: int = 8, max_samples: int = 4) -> str:
        """Every step for the terminal; see :meth:`Trace.to_text`."""
        digits = check_positive_int(digits, "digits")
        return render_text(self.sections(max_neurons, max_samples), digits)

    def to_markdown(self, digits: int = 4, max_neurons: int = 8, max_samples: int = 4) -> str:
        """Every step as Markdown with LaTeX math; see :meth:`Trace.to_markdown`."""
        digits = check_positive_int(digits, "digits")
        return render_markdown(self.sections(max_neurons, max_samples), digits)

    def _repr_html_(self) -> str:
        """Jupyter's rendering: every step's sections, formulas as MathML."""
        return render_html(self.sections(), 4)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def to_html(self, title: str | None = None, digits: int = 4) -> str:
        """Every step as one self-contained HTML page (formulas as MathML; nothing fetched).

        Each step's interactive explainer page is ``traces[k].to_html()``.
        """
        digits = check_positive_int(digits, "digits")
        heading = title or f"{len(self)} training steps, explained"
        h1 = "" if title is None else f"<h1>{html.escape(title, quote=False)}</h1>\n"
        style = (
            "body { font: 18px/1.5 system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; }"
            " math { font-size: 1.1em; } li { margin: 0.2em 0; }"
        )
        body = render_html(self.sections(), digits)
        # no script at all; only its own style sheet and the fragment's style attributes, each by its hash
        attributes = sorted(set(re.findall(r'style="([^"]*)"', body)))
        sources = ["'unsafe-hashes'"] if attributes else []  # CSP's keyword for hashed style attributes
        sources += [f"'{_sha256(text)}'" for text in [style, *attributes]]
        policy = f"default-src 'none'; style-src {' '.join(sources)}"
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
            f"<title>{html.escape(heading, quote=False)}</title>\n"
            f"<style>{style}</style>\n</head>\n<body>\n"
            f"{h1}{body}</body>\n</html>\n"
        )

    def to_dict(self) -> dict[str, Any]:
        """``{"steps": [trace.to_dict(), ...]}`` (JSON-ready, lossless)."""
        return {"steps": [trace.to_dict() for trace in self.steps]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Traces:
        return cls([Trace.from_dict(entry) for entry in data["steps"]])


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
    names = _field_names(trace.layers[l])
    if name not in TRACE_FIELDS + tuple(names):
        raise ValueError(f"trace path {path!r}: unknown field {name!r}; fields are: {', '.join(names)}")
    value = _field(trace.layers[l], name)
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


def _sha256(text: str) -> str:
    """A Content-Security-Policy source allowing exactly this inline style: ``sha256-…``."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _field_names(layer: LayerTrace) -> list[str]:
    """A layer's path names: :data:`TRACE_FIELDS`, then the dropout mask and the optimiser state it has."""
    names = list(TRACE_FIELDS) + [name for name in _EXTRA_FIELDS if getattr(layer, name) is not None]
    return names + list(layer.state) + ["new_" + key for key in layer.new_state]


def _field(layer: LayerTrace, name: str) -> np.ndarray | None:
    """The array a path name addresses (``"new_m_weights"``: ``layer.new_state["m_weights"]``)."""
    if name in layer.state:
        return layer.state[name]
    if name.startswith("new_") and name[4:] in layer.new_state:
        return layer.new_state[name[4:]]
    return getattr(layer, name, None)
