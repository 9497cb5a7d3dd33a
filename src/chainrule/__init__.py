"""chainrule: neural networks trained by backpropagation, from scratch on NumPy.

>>> import chainrule as cr
>>> net = cr.Network([2, 2, 1], seed=0)
>>> history = net.fit([[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [1], [1], [0]], epochs=3)
>>> len(history.loss)
3
"""

from .core.activations import ACTIVATIONS
from .core.gradcheck import gradcheck
from .core.initializers import INITIALIZERS
from .core.layers import Dense
from .core.losses import LOSSES
from .core.network import Network
from .training.optimizers import OPTIMIZERS, SGD, Adam, Optimizer, RMSProp
from .training.loop import History
from . import datasets
from .training import callbacks, optimizers, schedules
from . import core, io, teaching, training
from .io import load
from .onnx_export import export_onnx
from .teaching.trace import Trace
from .teaching.checker import CheckReport, check_example
from .teaching.examples import WorkedExample, load_example
from .errors import ModelFileError, TrainingDiverged

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "Adam",
    "CheckReport",
    "Dense",
    "History",
    "INITIALIZERS",
    "LOSSES",
    "ModelFileError",
    "Network",
    "OPTIMIZERS",
    "Optimizer",
    "RMSProp",
    "SGD",
    "Trace",
    "TrainingDiverged",
    "WorkedExample",
    "callbacks",
    "check_example",
    "datasets",
    "export_onnx",
    "gradcheck",
    "load",
    "load_example",
    "schedules",
    "__version__",
]
