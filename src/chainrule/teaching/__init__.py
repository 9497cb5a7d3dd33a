"""One step recorded and written out like a textbook, and published worked examples checked.

:mod:`.trace` records the step ``fit`` runs; :mod:`.checker` compares a
tutorial's printed numbers with it and names the slip; :mod:`.examples`
reads worked-example files; :mod:`.exercise` draws exercises with nice
numbers and writes their answer keys. This layer imports
:mod:`chainrule.training`, :mod:`chainrule.core` and the floor.
"""

from .checker import CheckReport, check_example
from .examples import WorkedExample, load_example
from .exercise import Exercise  # the function stays chainrule.exercise: teaching.exercise is the module
from .inference import Inference, infer_conventions
from .trace import LayerTrace, OptimizerTrace, Trace, Traces, explain

__all__ = [
    "CheckReport",
    "Exercise",
    "Inference",
    "LayerTrace",
    "OptimizerTrace",
    "Trace",
    "Traces",
    "WorkedExample",
    "check_example",
    "explain",
    "infer_conventions",
    "load_example",
]
