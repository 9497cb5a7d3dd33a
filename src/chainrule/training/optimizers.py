"""Optimisers: turn gradients into in-place parameter updates.

Each optimiser follows the update rule of its ``torch.optim`` namesake, so
that results can be compared step by step:

- :class:`SGD`: p ← p − η·g, with optional momentum, Nesterov momentum and
  L2 weight decay (g ← g + λ·p).
- :class:`Adam`: Kingma & Ba (2015) with bias correction.
- :class:`RMSProp`: v ← α·v + (1−α)·g², p ← p − η·g/(√v + ε).

``params`` and ``grads`` are equal-length lists of arrays; ``step`` updates
``params`` in place and may overwrite ``grads`` (they are scratch arrays
made by the backward pass). The state (momentum buffers, moments, step
count) is kept on the optimiser, so a second ``fit`` continues where the
first stopped.

Every optimiser takes an optional learning-rate ``schedule`` (see
:mod:`chainrule.training.schedules`): the fit loop calls :meth:`Optimizer.begin_epoch`
before each epoch, which sets the rate used by ``step`` (``lr_``) from the
base ``learning_rate`` and the optimiser's own epoch count ``epochs_``.

The updates are written for speed as well as for reading: each works in
place, with one scratch array per parameter kept in the state, so a step
allocates nothing (the fit loop hands the network's one flat parameter
vector, so a step is a handful of NumPy calls).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._validation import check_float_in, check_positive_float, lookup
from .schedules import Schedule, get_schedule

__all__ = ["OPTIMIZERS", "SGD", "Adam", "Optimizer", "RMSProp", "get_optimizer", "optimizer_from_config"]


class Optimizer:
    """Base class: ``learning_rate`` and the state kept between steps."""

    name = "optimizer"

    @property
    def state_names(self) -> tuple[str, ...]:
        """The arrays this optimiser keeps per parameter once it has stepped (saved with the model)."""
        return ()

    def __init__(self, learning_rate: float = 0.01, schedule: Schedule | str | None = None):
        self.learning_rate = check_positive_float(learning_rate, "learning_rate")
        self.schedule = get_schedule(schedule)
        self.lr_ = self.learning_rate
        self.iterations = 0
        self.epochs_ = 0
        self.state: list[dict[str, np.ndarray]] = []

    def set_learning_rate(self, learning_rate: float) -> None:
        """A new base learning rate, keeping the state and counters (the schedule, if any, scales it)."""
        self.learning_rate = check_positive_float(learning_rate, "learning_rate")
        self.lr_ = (
            self.learning_rate if self.schedule is None else float(self.schedule.rate(self.learning_rate, self.epochs_))
        )

    def begin_epoch(self) -> float:
        """Set the learning rate of the coming epoch from the schedule; returns it.

        The fit loop calls this before each epoch and :meth:`end_epoch` after.
        """
        if self.schedule is not None:
            self.lr_ = float(self.schedule.rate(self.learning_rate, self.epochs_))
        return self.lr_

    def end_epoch(self) -> None:
        """Count one epoch done (the schedule's clock)."""
        self.epochs_ += 1

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update every array of ``params`` in place from ``grads``."""
        if not self.state:
            self.state = [{} for _ in params]
        self.iterations += 1
        for p, g, s in zip(params, grads, self.state):
            self._update(p, g, s)

    def _update(self, p: np.ndarray, g: np.ndarray, s: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The hyperparameters, enough to rebuild an optimiser with no state (JSON-friendly)."""
        config = {"name": self.name, "learning_rate": self.learning_rate}
        if self.schedule is not None:
            config["schedule"] = self.schedule.get_config()
        return config

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Counters and state arrays, for saving: (JSON-friendly dict, {key: array}).

        Array keys are ``"{i}.{name}"`` for parameter i; scratch arrays
        (names starting with ``_``) are not state and are left out.
        """
        counters = {"iterations": self.iterations, "epochs": self.epochs_, "lr": self.lr_, "n_params": len(self.state)}
        arrays = {
            f"{i}.{key}": value for i, s in enumerate(self.state) for key, value in s.items() if not key.startswith("_")
        }
        return counters, arrays

    def set_state(self, counters: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`get_state` returned."""
        self.iterations = int(counters["iterations"])
        self.epochs_ = int(counters["epochs"])
        self.lr_ = float(counters["lr"])
        self.state = [{} for _ in range(int(counters["n_params"]))]
        for key, value in arrays.items():
            i, name = key.split(".", 1)
            self.state[int(i)][name] = np.array(value)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


def _scratch(s: dict[str, np.ndarray], p: np.ndarray) -> np.ndarray:
    """The parameter's scratch array (same shape and dtype), made once and reused."""
    tmp = s.get("_scratch")
    if tmp is None:
        tmp = s["_scratch"] = np.empty_like(p)
    return tmp


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and weight decay.

    With momentum μ > 0: b ← μ·b + g (b = g on the first step), then
    g ← g + μ·b (Nesterov) or g ← b, and p ← p − η·g, as ``torch.optim.SGD``.
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
    ):
        super().__init__(learning_rate, schedule)
        self.momentum = check_float_in(momentum, "momentum", 0.0, 1.0)
        self.nesterov = bool(nesterov)
        self.weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)
        if self.nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0; got momentum=0.0")

    def step(self, params, grads):
        if self.momentum == 0.0 and self.weight_decay == 0.0:
            # The plain rule, kept lean: it is the tiny networks' hot path.
            lr = self.lr_
            self.iterations += 1
            for p, g in zip(params, grads):
                g *= lr
                p -= g
            return
        super().step(params, grads)

    def _update(self, p, g, s):
        tmp = _scratch(s, p)
        if self.weight_decay:
            np.multiply(p, self.weight_decay, out=tmp)
            tmp += g
            g = tmp  # g + λ·p
        if self.momentum:
            buf = s.get("momentum_buffer")
            if buf is None:
                buf = s["momentum_buffer"] = g.copy()
            else:
                buf *= self.momentum
                buf += g
            if self.nesterov and g is tmp:
                tmp += self.momentum * buf  # g + μ·b, g being λ-decayed in tmp
            elif self.nesterov:
                np.multiply(buf, self.momentum, out=tmp)
                tmp += g
                g = tmp  # g + μ·b
            else:
                g = buf
        np.multiply(g, self.lr_, out=tmp)
        p -= tmp

    def get_config(self):
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
        }


class Adam(Optimizer):
    """Adam with bias correction, as ``torch.optim.Adam`` (L2 ``weight_decay`` added to g)."""

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
    ):
        super().__init__(learning_rate, schedule)
        self.beta1 = check_float_in(beta1, "beta1", 0.0, 1.0)
        self.beta2 = check_float_in(beta2, "beta2", 0.0, 1.0)
        self.epsilon = check_positive_float(epsilon, "epsilon")
        self.weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)

    def _update(self, p, g, s):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if "m" not in s:
            s["m"] = np.zeros_like(p)
            s["v"] = np.zeros_like(p)
        m, v, tmp = s["m"], s["v"], _scratch(s, p)
        t = self.iterations
        # math.sqrt, not np.sqrt: a Python float stays "weak" and keeps a float32
        # update in float32 (a NumPy float64 scalar would make every pass float64).
        root_c2 = math.sqrt(1.0 - self.beta2**t)
        eps = self.epsilon * root_c2
        scale = -self.lr_ * root_c2 / (1.0 - self.beta1**t)
        self._adam(p, g, m, v, tmp, eps, scale)

    def _adam(self, p, g, m, v, tmp, eps, scale):
        """The in-place update (measured: chunking it for the cache gains nothing here)."""
        # m ← β1·m + (1−β1)·g        v ← β2·v + (1−β2)·g²
        # written as m ← β1·(m − g) + g: three passes over memory, no scratch.
        m -= g
        m *= self.beta1
        m += g
        np.multiply(g, g, out=tmp)
        v -= tmp
        v *= self.beta2
        v += tmp
        # p ← p − η/(1−β1^t) · m / (√v/√(1−β2^t) + ε), with √(1−β2^t) moved
        # into the constants (eps, scale) so that the step is five in-place operations.
        np.sqrt(v, out=tmp)
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= scale
        p += tmp

    def get_config(self):
        return {
            **super().get_config(),
            "beta1": self.beta1,
            "beta2": self.beta2,
            "epsilon": self.epsilon,
            "weight_decay": self.weight_decay,
        }


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
    ):
        super().__init__(learning_rate, schedule)
        self.rho = check_float_in(rho, "rho", 0.0, 1.0)
        self.epsilon = check_positive_float(epsilon, "epsilon")
        self.weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)

    def _update(self, p, g, s):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if "square_avg" not in s:
            s["square_avg"] = np.zeros_like(p)
        v, tmp = s["square_avg"], _scratch(s, p)
        v *= self.rho
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.rho
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(g, tmp, out=tmp)
        tmp *= self.lr_
        p -= tmp

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon, "weight_decay": self.weight_decay}


#: The one table of optimiser names.
OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSProp}


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
