"""Learning-rate schedules: the rate of each epoch from the base rate.

A schedule is a small object with ``rate(base, epoch)``, the learning rate
of epoch ``epoch`` (0-based, counted by the optimiser across ``fit`` calls)
for a base rate ``base``. The formulas are those of ``torch.optim.lr_scheduler``
stepped once per epoch:

============== ============================================== =====================
name           rate(base, t)                                  PyTorch
============== ============================================== =====================
step           base · γ^⌊t / step_size⌋                       ``StepLR``
exponential    base · γ^t                                     ``ExponentialLR``
cosine         η_min + (base − η_min)·(1 + cos(π·t/T))/2      ``CosineAnnealingLR``
invscaling     base / (t + 1)^power_t                         scikit-learn's ``invscaling``
============== ============================================== =====================

``invscaling`` is scikit-learn's SGD schedule, ``learning_rate_init /
pow(t + 1, power_t)`` (its docs write ``pow(t, power_t)``; the code counts
from t + 1, so the first rate is the base). Its clock t is whatever the
caller counts: the optimiser's epochs in ``Network.fit``, the samples seen
so far (``t_``) in the estimators, as scikit-learn does.

Examples
--------
>>> from chainrule.training.schedules import StepDecay
>>> [StepDecay(step_size=2, gamma=0.5).rate(1.0, t) for t in range(5)]
[1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import math
from typing import Any

from .._validation import check_positive_float, check_positive_int, lookup

__all__ = [
    "SCHEDULES",
    "CosineDecay",
    "ExponentialDecay",
    "InverseScaling",
    "Schedule",
    "StepDecay",
    "get_schedule",
]


class Schedule:
    """Base class: ``rate(base, epoch)`` and a config that rebuilds it."""

    name = "schedule"

    def rate(self, base: float, epoch: int) -> float:
        """The learning rate of epoch ``epoch`` (0-based) for base rate ``base``."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The schedule's name and parameters (JSON-friendly)."""
        return {"name": self.name}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schedule) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.get_config().items())))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class StepDecay(Schedule):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs (``torch.optim.lr_scheduler.StepLR``)."""

    name = "step"

    def __init__(self, step_size: int = 10, gamma: float = 0.1):
        self.step_size = check_positive_int(step_size, "step_size")
        self.gamma = check_positive_float(gamma, "gamma")

    def rate(self, base, epoch):
        return base * self.gamma ** (epoch // self.step_size)

    def get_config(self):
        return {"name": self.name, "step_size": self.step_size, "gamma": self.gamma}


class ExponentialDecay(Schedule):
    """Multiply the rate by ``gamma`` every epoch (``torch.optim.lr_scheduler.ExponentialLR``)."""

    name = "exponential"

    def __init__(self, gamma: float = 0.95):
        self.gamma = check_positive_float(gamma, "gamma")

    def rate(self, base, epoch):
        return base * self.gamma**epoch

    def get_config(self):
        return {"name": self.name, "gamma": self.gamma}


class CosineDecay(Schedule):
    """Half a cosine from the base rate down to ``min_learning_rate`` over ``epochs`` epochs.

    The closed form of ``torch.optim.lr_scheduler.CosineAnnealingLR`` with
    ``T_max = epochs`` and ``eta_min = min_learning_rate``; after ``epochs``
    epochs the cosine goes on (rising again), as PyTorch's does.
    """

    name = "cosine"

    def __init__(self, epochs: int = 10, min_learning_rate: float = 0.0):
        self.epochs = check_positive_int(epochs, "epochs")
        self.min_learning_rate = check_positive_float(min_learning_rate, "min_learning_rate", allow_zero=True)

    def rate(self, base, epoch):
        low = self.min_learning_rate
        return low + (base - low) * (1.0 + math.cos(math.pi * epoch / self.epochs)) / 2.0

    def get_config(self):
        return {"name": self.name, "epochs": self.epochs, "min_learning_rate": self.min_learning_rate}


class InverseScaling(Schedule):
    """base / (t + 1)^power_t: scikit-learn's ``learning_rate="invscaling"`` (``power_t = 0.5`` there too)."""

    name = "invscaling"

    def __init__(self, power_t: float = 0.5):
        self.power_t = check_positive_float(power_t, "power_t", allow_zero=True)

    def rate(self, base, epoch):
        return base / (epoch + 1) ** self.power_t

    def get_config(self):
        return {"name": self.name, "power_t": self.power_t}


#: The one table of schedule names.
SCHEDULES: dict[str, type[Schedule]] = {
    "step": StepDecay,
    "exponential": ExponentialDecay,
    "cosine": CosineDecay,
    "invscaling": InverseScaling,
}


def get_schedule(schedule: Any) -> Schedule | None:
    """A schedule from ``None``, an instance, a name or a config dict (``{"name": ..., **params}``)."""
    if schedule is None or isinstance(schedule, Schedule):
        return schedule
    if isinstance(schedule, dict):
        params = dict(schedule)
        name = params.pop("name", None)
        return lookup(SCHEDULES, name, "schedule")(**params)
    return lookup(SCHEDULES, schedule, "schedule")()
