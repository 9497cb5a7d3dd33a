"""chainrule: neural networks trained by backpropagation, from scratch on NumPy.

>>> import chainrule as cr
>>> net = cr.Network([2, 2, 1], seed=0)
>>> history = net.fit([[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [1], [1], [0]], epochs=3)
>>> len(history.loss)
3
"""

from .activations import ACTIVATIONS
from .gradcheck import gradcheck
from .initializers import INITIALIZERS
from .layers import Dense
from .losses import LOSSES
from .network import Network
from .optimizers import OPTIMIZERS, SGD, Adam, Optimizer, RMSProp
from .training import History
from . import callbacks, datasets, schedules
from .io import load
from .onnx_export import export_onnx
from .explain import Trace
from .checking import CheckReport, check_example
from .specfile import WorkedExample, load_example
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
