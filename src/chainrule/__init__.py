"""chainrule: neural networks trained by backpropagation, from scratch on NumPy.

>>> import chainrule as cr
>>> net = cr.Network([2, 2, 1], seed=0)
>>> history = net.fit([[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [1], [1], [0]], epochs=3)
>>> len(history.loss)
3
"""

from . import core, datasets, distributed, io, teaching, training  # noqa: F401  (the layers, as attributes)
from ._version import __version__
from .core.activations import ACTIVATIONS
from .core.gradcheck import gradcheck
from .core.initializers import INITIALIZERS
from .core.layers import Dense
from .core.losses import LOSSES
from .core.network import Network
from .errors import ModelFileError, TrainingDiverged, TrainingWarning
from .io import load
from .onnx_export import export_onnx
from .teaching.checker import CheckReport, check_example
from .teaching.examples import WorkedExample, load_example
from .teaching.exercise import Exercise, exercise
from .teaching.inference import infer_conventions
from .teaching.trace import Trace, Traces
from .training import callbacks, optimizers, schedules  # noqa: F401  (optimizers: an attribute, not in __all__)
from .training.ensemble import Ensemble, EnsembleHistory
from .training.loop import History
from .training.optimizers import OPTIMIZERS, SGD, Adam, AdamW, Optimizer, RMSProp

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "AdamW",
    "CheckReport",
    "Dense",
    "Ensemble",
    "EnsembleHistory",
    "Exercise",
    "History",
    "ModelFileError",
    "Network",
    "Optimizer",
    "RMSProp",
    "Trace",
    "Traces",
    "TrainingDiverged",
    "TrainingWarning",
    "WorkedExample",
    "__version__",
    "callbacks",
    "check_example",
    "datasets",
    "distributed",
    "exercise",
    "export_onnx",
    "gradcheck",
    "infer_conventions",
    "load",
    "load_example",
    "schedules",
]
