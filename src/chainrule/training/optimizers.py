"""Optimisers: turn gradients into in-place parameter updates.

Each optimiser follows the update rule of its ``torch.optim`` namesake, so
that results can be compared step by step:

- :class:`SGD`: p ← p − η·g, with optional momentum, Nesterov momentum and
  L2 weight decay (g ← g + λ·p).
- :class:`Adam`: Kingma & Ba (2015) with bias correction.
- :class:`AdamW`: Adam with decoupled weight decay, p ← p − η·λ·p apart from
  the moments (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.
- :class:`RMSProp`: v ← α·v + (1−α)·g², p ← p − η·g/(√v + ε).

Weight decay is one mechanism for all of them, in :class:`Optimizer`:
``weight_decay`` λ and ``weight_decay_on``, which names the parameters it
applies to. ``"all"`` (the default) decays every parameter, as a
``torch.optim`` parameter group holding all of them does (and as these
optimisers always did); ``"weights"`` decays the weight matrices only, not
the biases: scikit-learn's ``alpha`` (its penalty ½·α·‖W‖² has no
intercepts) and the usual practice with AdamW. SGD, Adam and RMSProp add
the decay to the gradient (g ← g + λ·p: the gradient of the penalty
½·λ·‖p‖²); AdamW applies it to the parameters directly. The network's flat
parameter vector mixes weights and biases, so the fit loop hands ``step``
the network's :attr:`~chainrule.Network.weight_mask` with it.

``params`` and ``grads`` are equal-length lists of arrays; ``step`` updates
``params`` in place and may overwrite ``grads`` (they are scratch arrays
made by the backward pass). The state (momentum buffers, moments, step
count) is kept on the optimiser, so a second ``fit`` continues where the
first stopped.

Every optimiser takes an optional learning-rate ``schedule`` (see
:mod:`chainrule.training.schedules`): the fit loop calls :meth:`Optimizer.begin_epoch`
before each epoch, which sets the rate used by ``step`` (``lr_``) from the
base ``learning_rate`` and the optimiser's own epoch count ``epochs_``.

The updates are written for speed as well as for reading: each rule is a
function of :mod:`chainrule.training.kernels`, run in place over the whole
array (the fit loop hands the network's one flat parameter vector) with one
scratch array kept in the state, so a step allocates nothing. There each rule
is written twice, as NumPy passes (the reference) and as one loop that numba
compiles (the ``fast`` extra, used when installed), and a large vector is
split over the cores. ``step`` returns whether every updated parameter and
state value is finite: the finite check folded into the update.

One learning rate per model: for a stack of K networks
(:class:`chainrule.Ensemble`), ``learning_rate`` may be K rates, and the
parameter arrays are then the stack's rows, (K, n). Each model's rate
applies to its row (a (K, 1) column in the arrays' dtype, broadcast by the
same NumPy passes), so that row k is updated exactly as one network with
rate k would be, bit for bit; a schedule scales every rate alike.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import check_float_in, check_positive_float, lookup
from . import kernels
from .schedules import Schedule, get_schedule

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "WEIGHT_DECAY_ON",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSProp",
    "get_optimizer",
    "optimizer_from_config",
]

#: The parameters ``weight_decay`` applies to: every one, or the weight matrices only (not the biases).
WEIGHT_DECAY_ON = ("all", "weights")


class Optimizer:
    """Base class: ``learning_rate`` and the state kept between steps."""

    name = "optimizer"

    @property
    def state_names(self) -> tuple[str, ...]:
        """The arrays this optimiser keeps per parameter once it has stepped (saved with the model)."""
        return ()

    def __init__(
        self,
        learning_rate: float = 0.01,
        schedule: Schedule | str | None = None,
        weight_decay: float = 0.0,
        weight_decay_on: str = "all",
    ):
        self.learning_rate = _check_learning_rate(learning_rate)
        self.schedule = get_schedule(schedule)
        self.weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)
        self.weight_decay_on = lookup({k: k for k in WEIGHT_DECAY_ON}, weight_decay_on, "weight_decay_on")
        self.lr_: Any = self.learning_rate
        self.iterations = 0
        self.epochs_ = 0
        self.state: list[dict[str, np.ndarray]] = []

    def set_learning_rate(self, learning_rate: float) -> None:
        """A new base learning rate, keeping the state and counters (the schedule, if any, scales it)."""
        self.learning_rate = _check_learning_rate(learning_rate)
        self._set_rate(self.learning_rate if self.schedule is None else self._scheduled())

    def begin_epoch(self) -> float:
        """Set the learning rate of the coming epoch from the schedule; returns it.

        The fit loop calls this before each epoch and :meth:`end_epoch` after.
        """
        if self.schedule is not None:
            self._set_rate(self._scheduled())
        return self.lr_

    def _scheduled(self) -> Any:
        """The schedule's rate for the coming epoch: a float, or one per model."""
        assert self.schedule is not None
        rate = self.schedule.rate(self.learning_rate, self.epochs_)
        return rate if isinstance(self.learning_rate, np.ndarray) else float(rate)

    def _set_rate(self, rate: Any) -> None:
        """Make ``rate`` the rate of the next steps (``lr_``), telling :meth:`_rate_changed` if it changed."""
        old, self.lr_ = self.lr_, rate
        changed = rate != old
        if changed if isinstance(changed, bool) else np.any(changed):
            self._rate_changed(old, rate)

    def _rate_changed(self, old: float, new: float) -> None:
        """Called when the rate steps use changes (a schedule, a new learning rate): nothing by default."""

    def end_epoch(self) -> None:
        """Count one epoch done (the schedule's clock)."""
        self.epochs_ += 1

    def step(
        self, params: list[np.ndarray], grads: list[np.ndarray], weight_masks: list[np.ndarray] | None = None
    ) -> bool:
        """Update every array of ``params`` in place from ``grads`` (which it may overwrite).

        Returns whether every updated parameter and state value is finite
        (False after a non-finite gradient, or an update that overflowed).

        ``weight_masks`` matter only with ``weight_decay_on="weights"``: one
        array per parameter array, 1 where an element is a weight and 0 where
        it is a bias (the network's :attr:`~chainrule.Network.weight_mask` for
        its flat vector). Without them a 2-D array is a weight matrix and a
        1-D array a bias vector.
        """
        if not self.state:
            self.state = [{} for _ in params]
        self.iterations += 1
        finite = True
        for p, g, s, decay in zip(params, grads, self.state, self._decays(params, weight_masks)):
            finite = self._update(p, g, s, decay) and finite
        return finite

    def _decays(self, params, weight_masks) -> list[np.ndarray | bool | None]:
        """Per array of ``params``, where weight decay applies: None (nowhere), True (everywhere) or a 0/1 mask."""
        if not self.weight_decay:
            return [None] * len(params)
        if self.weight_decay_on == "all":
            return [True] * len(params)
        if weight_masks is not None:
            return list(weight_masks)
        return [True if p.ndim >= 2 else None for p in params]

    def _decay(self, p: np.ndarray, decay: np.ndarray | bool | None) -> dict[str, Any]:
        """The kernels' weight-decay arguments: λ (0 for none) and the 0/1 mask (None: every element), flat."""
        if decay is None or decay is False:
            return {"weight_decay": 0.0, "mask": None}
        return {"weight_decay": self.weight_decay, "mask": None if decay is True else self._view(decay)}

    def _view(self, a: np.ndarray) -> np.ndarray:
        """An array as the kernels take it: flat, or with a rate per model, a stack's (K, n) rows as they are."""
        if isinstance(self.lr_, np.ndarray):
            if a.ndim != 2 or a.shape[0] != self.lr_.shape[0] or not a.flags.c_contiguous:
                raise ValueError(
                    f"{self.lr_.shape[0]} learning rates (one per model) need the stack's parameters as "
                    f"C-contiguous rows of shape ({self.lr_.shape[0]}, n); got shape {a.shape}"
                )
            return a
        return _flat(a)

    def _update(self, p: np.ndarray, g: np.ndarray, s: dict[str, np.ndarray], decay: Any) -> bool:
        """One parameter array's update, ``decay`` as :meth:`_decays` gives it; whether all is finite after it."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The hyperparameters, enough to rebuild an optimiser with no state (JSON-friendly)."""
        rate = self.learning_rate
        rate = rate.tolist() if isinstance(rate, np.ndarray) else rate
        config: dict[str, Any] = {"name": self.name, "learning_rate": rate}
        if self.schedule is not None:
            config["schedule"] = self.schedule.get_config()
        config["weight_decay"] = self.weight_decay
        if self.weight_decay_on != "all":  # the default is left out: configs saved before it existed stay equal
            config["weight_decay_on"] = self.weight_decay_on
        return config

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Counters and state arrays, for saving: (JSON-friendly dict, {key: array}).

        Array keys are ``"{i}.{name}"`` for parameter i; scratch arrays
        (names starting with ``_``) are not state and are left out.
        """
        lr = self.lr_.tolist() if isinstance(self.lr_, np.ndarray) else self.lr_
        counters = {"iterations": self.iterations, "epochs": self.epochs_, "lr": lr, "n_params": len(self.state)}
        arrays = {
            f"{i}.{key}": value for i, s in enumerate(self.state) for key, value in s.items() if not key.startswith("_")
        }
        return counters, arrays

    def set_state(self, counters: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`get_state` returned."""
        self.iterations = int(counters["iterations"])
        self.epochs_ = int(counters["epochs"])
        lr = counters["lr"]
        self.lr_ = np.array(lr, dtype=float) if isinstance(lr, (list, tuple, np.ndarray)) else float(lr)
        self.state = [{} for _ in range(int(counters["n_params"]))]
        for key, value in arrays.items():
            i, name = key.split(".", 1)
            self.state[int(i)][name] = np.array(value)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


def _check_learning_rate(value: Any) -> Any:
    """A finite rate > 0, or one per model: a 1-D sequence of them (a read-only float64 array)."""
    if not isinstance(value, (list, tuple, np.ndarray)):
        return check_positive_float(value, "learning_rate")
    try:
        rates = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"learning_rate must be a number, or one number per model; got {value!r:.80}") from None
    if rates.ndim != 1 or rates.size == 0:
        raise ValueError(
            f"learning_rate as one rate per model must be a non-empty 1-D sequence; got shape {rates.shape}"
        )
    bad = ~np.isfinite(rates) | (rates <= 0)
    if bad.any():
        k = int(np.argmax(bad))
        raise ValueError(f"learning_rate must be finite numbers > 0; learning_rate[{k}] is {float(rates[k])!r}")
    rates.flags.writeable = False
    return rates


def _per_row(value: Any, p: np.ndarray) -> Any:
    """A rate for the kernels: a float as it is; one per model (K,) as a column (K, 1) in p's dtype.

    The column broadcasts over a stack's rows, and has the dtype NumPy rounds a Python
    float operand to: row k's update is then the one a single network with rate k gets.
    """
    if isinstance(value, np.ndarray):
        return value.astype(p.dtype)[:, None]
    return value


def _scratch(s: dict[str, np.ndarray], p: np.ndarray) -> np.ndarray:
    """The parameter's scratch array (same shape and dtype), made once and reused."""
    tmp = s.get("_scratch")
    if tmp is None:
        tmp = s["_scratch"] = np.empty_like(p)
    return tmp


def _flat(a: np.ndarray) -> np.ndarray:
    """A contiguous array as a 1-D view (the kernels work on flat vectors); the network's vector already is."""
    if a.ndim == 1 and a.flags.c_contiguous:
        return a
    if not a.flags.c_contiguous:
        raise ValueError(
            f"optimizers update C-contiguous arrays in place; got a non-contiguous array of shape {a.shape} "
            "(step np.ascontiguousarray(array) and copy it back, or pass the network's flat params)"
        )
    return a.reshape(-1)


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and weight decay.

    With momentum μ > 0: b ← μ·b + g (b = g on the first step), then
    g ← g + μ·b (Nesterov) or g ← b, and p ← p − η·g, as ``torch.optim.SGD``.

    ``momentum_correction``: when the learning rate changes from η to η′ (a
    schedule, :meth:`set_learning_rate`), the buffer is multiplied by η/η′, so
    that the velocity η·b keeps its size (Goyal et al., 2017, "momentum
    correction"). That is scikit-learn's SGD, whose velocity v ← μ·v − η·g
    carries the rate in it; ``torch.optim.SGD`` (the default, False) keeps b
    and so rescales the velocity with the new rate. With a constant rate the
    two are the same.
    """

    name = "sgd"

    @property
    def state_names(self) -> tuple[str, ...]:
        """``("momentum_buffer",)`` with momentum; plain SGD keeps no state."""
        return ("momentum_buffer",) if self.momentum else ()

    def __init__(
        self,
        learning_rate: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        schedule: Schedule | str | None = None,
        weight_decay_on: str = "all",
        momentum_correction: bool = False,
    ):
        super().__init__(learning_rate, schedule, weight_decay, weight_decay_on)
        self.momentum = check_float_in(momentum, "momentum", 0.0, 1.0)
        self.nesterov = bool(nesterov)
        self.momentum_correction = bool(momentum_correction)
        if self.nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0; got momentum=0.0")

    def step(self, params, grads, weight_masks=None):
        if self.momentum == 0.0 and self.weight_decay == 0.0:
            # The plain rule, kept lean: it is the tiny networks' hot path.
            self.iterations += 1
            finite = True
            lr = self.lr_
            rows = isinstance(lr, np.ndarray)  # one rate per model
            for p, g in zip(params, grads):
                if rows:
                    lr = _per_row(self.lr_, self._view(p))
                if p.size < kernels.MIN_CHUNK:
                    g *= lr
                    p -= g
                    finite = kernels.all_finite(p) and finite
                else:
                    finite = kernels.sgd(self._view(p), self._view(g), None, self._view(g), lr=lr) and finite
            return finite
        return super().step(params, grads, weight_masks)

    def _rate_changed(self, old, new):
        if self.momentum_correction:
            for s in self.state:
                buf = s.get("momentum_buffer")
                if buf is not None:
                    buf *= _per_row(np.divide(old, new), buf) if isinstance(new, np.ndarray) else old / new

    def _update(self, p, g, s, decay):
        buf = None
        first = False
        if self.momentum:
            buf = s.get("momentum_buffer")
            first = buf is None
            if buf is None:
                buf = s["momentum_buffer"] = np.empty_like(p)  # b = g on the first step
        view = self._view
        return kernels.sgd(
            view(p),
            view(g),
            None if buf is None else view(buf),
            view(_scratch(s, p)),
            lr=_per_row(self.lr_, p),
            momentum=self.momentum,
            nesterov=self.nesterov,
            first=first,
            **self._decay(p, decay),
        )

    def get_config(self):
        config = {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
        if self.momentum_correction:
            config["momentum_correction"] = True
        return config


class Adam(Optimizer):
    """Adam with bias correction, as ``torch.optim.Adam`` (L2 ``weight_decay`` added to g).

    ``decoupled_weight_decay=True`` is :class:`AdamW` (as the argument of the
    same name of ``torch.optim.Adam``).

    One difference from ``torch.optim.Adam``: every
    :data:`~chainrule.training.kernels.FLUSH_EVERY`-th step, a first moment m
    smaller than the dtype's smallest normal number (1.2e-38 in float32) is set
    to ±0. Such an m (a parameter whose gradient stays 0, decaying by β1 a step)
    makes every operation on it many times slower on the CPU; the flush moves p
    by less than 1e-30 of a step (see :func:`chainrule.training.kernels.adam`).
    """

    name = "adam"
    state_names = ("m", "v")  # the first and second moment estimates

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 0.0,
        schedule: Schedule | str | None = None,
        weight_decay_on: str = "all",
        decoupled_weight_decay: bool = False,
    ):
        super().__init__(learning_rate, schedule, weight_decay, weight_decay_on)
        self.beta1 = check_float_in(beta1, "beta1", 0.0, 1.0)
        self.beta2 = check_float_in(beta2, "beta2", 0.0, 1.0)
        self.epsilon = check_positive_float(epsilon, "epsilon")
        self.decoupled_weight_decay = bool(decoupled_weight_decay)

    def _update(self, p, g, s, decay):
        if "m" not in s:
            s["m"] = np.zeros_like(p)
            s["v"] = np.zeros_like(p)
        t = self.iterations
        # math.sqrt, not np.sqrt: a Python float stays "weak" and keeps a float32
        # update in float32 (a NumPy float64 scalar would make every pass float64).
        root_c2 = math.sqrt(1.0 - self.beta2**t)
        eps = self.epsilon * root_c2
        scale = _per_row(-self.lr_ * root_c2 / (1.0 - self.beta1**t), p)
        # m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,  then
        # p ← p − η/(1−β1^t) · m / (√v/√(1−β2^t) + ε), with √(1−β2^t) moved into the constants (eps, scale).
        # AdamW (decoupled) first takes p ← p − η·λ·p, apart from the moments; Adam's L2 is g ← g + λ·p.
        view = self._view
        return kernels.adam(
            view(p),
            view(g),
            view(s["m"]),
            view(s["v"]),
            view(_scratch(s, p)),
            lr=_per_row(self.lr_, p),
            beta1=self.beta1,
            beta2=self.beta2,
            eps=eps,
            scale=scale,
            decoupled=self.decoupled_weight_decay,
            flush=t % kernels.FLUSH_EVERY == 0,  # subnormal m to ±0: they slow every pass (kernels.adam)
            **self._decay(p, decay),
        )

    def get_config(self):
        config = {**super().get_config(), "beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon}
        if self.decoupled_weight_decay and type(self) is Adam:
            config["decoupled_weight_decay"] = True
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW`` (Loshchilov & Hutter, 2019).

    Each step first shrinks the parameters, p ← p − η·λ·p, then takes
    Adam's step from the moments of the raw gradient: the decay does not go
    through m and v, so it is not scaled down where gradients are large.
    The defaults are torch's (η = 0.001, λ = 0.01). With
    ``weight_decay_on="weights"`` the biases are not decayed.
    """

    name = "adamw"

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 0.01,
        schedule: Schedule | str | None = None,
        weight_decay_on: str = "all",
    ):
        super().__init__(
            learning_rate, beta1, beta2, epsilon, weight_decay, schedule, weight_decay_on, decoupled_weight_decay=True
        )


class RMSProp(Optimizer):
    """RMSProp as ``torch.optim.RMSprop`` (α = 0.99, ε = 1e-8 added outside the root)."""

    name = "rmsprop"
    state_names = ("square_avg",)  # the running average of g²

    def __init__(
        self,
        learning_rate: float = 0.01,
        rho: float = 0.99,
        epsilon: float = 1e-8,
        weight_decay: float = 0.0,
        schedule: Schedule | str | None = None,
        weight_decay_on: str = "all",
    ):
        super().__init__(learning_rate, schedule, weight_decay, weight_decay_on)
        self.rho = check_float_in(rho, "rho", 0.0, 1.0)
        self.epsilon = check_positive_float(epsilon, "epsilon")

    def _update(self, p, g, s, decay):
        if "square_avg" not in s:
            s["square_avg"] = np.zeros_like(p)
        # v ← ρ·v + (1−ρ)·g²,  p ← p − η·g/(√v + ε)  (L2: g ← g + λ·p first)
        view = self._view
        return kernels.rmsprop(
            view(p),
            view(g),
            view(s["square_avg"]),
            view(_scratch(s, p)),
            lr=_per_row(self.lr_, p),
            rho=self.rho,
            eps=self.epsilon,
            **self._decay(p, decay),
        )

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


#: The one table of optimiser names.
OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSProp}


def get_optimizer(name: str | Optimizer, learning_rate: float, **options: Any) -> Optimizer:
    """An optimiser from its name, learning rate and options (an instance is returned as is).

    ``options`` are keyword arguments of the optimiser's class (``momentum``,
    ``weight_decay``, ``schedule``...); those left at ``None`` are not passed.
    """
    if isinstance(name, Optimizer):
        return name
    cls = lookup(OPTIMIZERS, name, "optimizer")
    options = {k: v for k, v in options.items() if v is not None}
    try:
        return cls(learning_rate=learning_rate, **options)
    except TypeError as exc:
        if "unexpected keyword" in str(exc):
            raise TypeError(f"optimizer {cls.name!r} does not take {sorted(options)}: {exc}") from None
        raise


def optimizer_from_config(config: dict[str, Any]) -> Optimizer:
    """Rebuild an optimiser (without state) from :meth:`Optimizer.get_config`."""
    params = dict(config)
    name = params.pop("name")
    return lookup(OPTIMIZERS, name, "optimizer")(**params)
