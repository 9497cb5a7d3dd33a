"""The engine: the chain rule, layer by layer.

Activations, losses, initialisers, the dense layer, the network (forward and
backward passes over one flat parameter vector) and the finite-difference
gradient check. This layer imports only NumPy and the package's floor
(:mod:`chainrule.errors`, :mod:`chainrule._validation`).
"""

from .activations import ACTIVATIONS, Activation, get_activation
from .gradcheck import gradcheck
from .initializers import INITIALIZERS, get_initializer
from .layers import Dense
from .losses import LOSSES, REDUCTIONS, Loss, get_loss
from .network import BackwardPass, ForwardPass, Network, Workspace

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "LOSSES",
    "REDUCTIONS",
    "Activation",
    "BackwardPass",
    "Dense",
    "ForwardPass",
    "Loss",
    "Network",
    "Workspace",
    "get_activation",
    "get_initializer",
    "get_loss",
    "gradcheck",
]
