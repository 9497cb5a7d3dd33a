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
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import check_float_in, check_positive_float, lookup

__all__ = ["Optimizer", "SGD", "Adam", "RMSProp", "OPTIMIZERS", "get_optimizer"]


class Optimizer:
    """Base class: ``learning_rate`` and the state kept between steps."""

    name = "optimizer"

    def __init__(self, learning_rate: float = 0.01):
        self.learning_rate = check_positive_float(learning_rate, "learning_rate")
        self.iterations = 0
        self.state: list[dict[str, np.ndarray]] = []

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
        """The hyperparameters, enough to rebuild an optimiser with no state."""
        return {"name": self.name, "learning_rate": self.learning_rate}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and weight decay.

    With momentum μ > 0: b ← μ·b + g (b = g on the first step), then
    g ← g + μ·b (Nesterov) or g ← b, and p ← p − η·g, as ``torch.optim.SGD``.
    """

    name = "sgd"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        super().__init__(learning_rate)
        self.momentum = check_float_in(momentum, "momentum", 0.0, 1.0)
        self.nesterov = bool(nesterov)
        self.weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)
        if self.nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0; got momentum=0.0")

    def step(self, params, grads):
        if self.momentum == 0.0 and self.weight_decay == 0.0:
            # The plain rule of the seeds, kept lean: it is the tiny networks' hot path.
            lr = self.learning_rate
            self.iterations += 1
            for p, g in zip(params, grads):
                g *= lr
                p -= g
            return
        super().step(params, grads)

    def _update(self, p, g, s):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            buf = s.get("momentum_buffer")
            if buf is None:
                buf = s["momentum_buffer"] = g.copy()
            else:
                buf *= self.momentum
                buf += g
            g = g + self.momentum * buf if self.nesterov else buf
        p -= self.learning_rate * g

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}


class Adam(Optimizer):
    """Adam with bias correction, as ``torch.optim.Adam`` (L2 ``weight_decay`` added to g)."""

    name = "adam"

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(learning_rate)
        self.beta1 = check_float_in(beta1, "beta1", 0.0, 1.0)
        self.beta2 = check_float_in(beta2, "beta2", 0.0, 1.0)
        self.epsilon = check_positive_float(epsilon, "epsilon")
        self.weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)

    def _update(self, p, g, s):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if not s:
            s["m"] = np.zeros_like(p)
            s["v"] = np.zeros_like(p)
        m, v = s["m"], s["v"]
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * (g * g)
        t = self.iterations
        step_size = self.learning_rate / (1.0 - self.beta1 ** t)
        denom = np.sqrt(v) / np.sqrt(1.0 - self.beta2 ** t)
        denom += self.epsilon
        p -= step_size * (m / denom)

    def get_config(self):
        return {**super().get_config(), "beta1": self.beta1, "beta2": self.beta2,
                "epsilon": self.epsilon, "weight_decay": self.weight_decay}


class RMSProp(Optimizer):
    """RMSProp as ``torch.optim.RMSprop`` (α = 0.99, ε = 1e-8 added outside the root)."""

    name = "rmsprop"

    def __init__(self, learning_rate: float = 0.01, rho: float = 0.99, epsilon: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(learning_rate)
        self.rho = check_float_in(rho, "rho", 0.0, 1.0)
        self.epsilon = check_positive_float(epsilon, "epsilon")
        self.weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)

    def _update(self, p, g, s):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if not s:
            s["square_avg"] = np.zeros_like(p)
        v = s["square_avg"]
        v *= self.rho
        v += (1.0 - self.rho) * (g * g)
        denom = np.sqrt(v)
        denom += self.epsilon
        p -= self.learning_rate * (g / denom)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon,
                "weight_decay": self.weight_decay}


#: The one table of optimiser names.
OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "rmsprop": RMSProp}


def get_optimizer(name: str | Optimizer, learning_rate: float) -> Optimizer:
    """An optimiser from its name and learning rate (an instance is returned as is)."""
    if isinstance(name, Optimizer):
        return name
    return lookup(OPTIMIZERS, name, "optimizer")(learning_rate=learning_rate)
