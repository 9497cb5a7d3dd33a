"""The update and the loop: optimisers, schedules, one training step, the fit loop, callbacks.

Read :func:`chainrule.training.loop.train_step` first: forward, backward,
finite check, optimiser update. This layer imports :mod:`chainrule.core`
and the floor only.
"""

from . import callbacks, schedules
from .ensemble import Ensemble, EnsembleHistory
from .loop import History, evaluate, train, train_step
from .optimizers import OPTIMIZERS, SGD, Adam, AdamW, Optimizer, RMSProp, get_optimizer

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "AdamW",
    "Ensemble",
    "EnsembleHistory",
    "History",
    "Optimizer",
    "RMSProp",
    "callbacks",
    "evaluate",
    "get_optimizer",
    "schedules",
    "train",
    "train_step",
]
