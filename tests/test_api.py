"""The pinned public surface: ``chainrule.__all__`` and its docstrings.

When you add a public name to ``src/chainrule/__init__.py``, add it to
``EXPECTED_PUBLIC_NAMES`` below (and give it a docstring).
"""

from __future__ import annotations

import inspect

import pytest

import chainrule as cr

#: Every name ``import chainrule as cr`` exports. Extend this set when you export a new one.
EXPECTED_PUBLIC_NAMES = {
    # core
    "ACTIVATIONS",
    "LOSSES",
    "INITIALIZERS",
    "OPTIMIZERS",
    "Network",
    "Dense",
    "Ensemble",
    "EnsembleHistory",
    "History",
    "gradcheck",
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSProp",
    "__version__",
    # subpackages and tools built on the core
    "callbacks",
    "datasets",
    "distributed",
    "schedules",
    "load",
    "Trace",
    "Traces",
    "export_onnx",
    "CheckReport",
    "check_example",
    "WorkedExample",
    "load_example",
    "infer_conventions",
    "Exercise",
    "exercise",
    # errors (chainrule.errors)
    "ModelFileError",
    "TrainingDiverged",
    "TrainingWarning",
}

# Classes whose public methods and properties must all be documented too.
CORE_CLASSES = ["Network", "Dense", "History", "Optimizer", "SGD", "Adam", "RMSProp"]


def test_all_is_pinned():
    assert set(cr.__all__) == EXPECTED_PUBLIC_NAMES
    assert len(cr.__all__) == len(set(cr.__all__)), "a name is listed twice in __all__"


@pytest.mark.parametrize("name", sorted(EXPECTED_PUBLIC_NAMES))
def test_every_public_name_exists(name):
    assert hasattr(cr, name)


def test_star_import_gives_exactly_all():
    namespace: dict = {}
    exec("from chainrule import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(cr.__all__)


@pytest.mark.parametrize(
    "name",
    sorted(
        n for n in EXPECTED_PUBLIC_NAMES if callable(getattr(cr, n, None)) or inspect.ismodule(getattr(cr, n, None))
    ),
)
def test_every_public_name_has_a_docstring(name):
    obj = getattr(cr, name)
    own = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__  # a class's own, not inherited
    assert own and own.strip(), f"chainrule.{name} has no docstring"


def test_public_data_names():
    # Data cannot carry a docstring; pin what they are instead.
    assert isinstance(cr.__version__, str) and cr.__version__.count(".") == 2
    for table in (cr.ACTIVATIONS, cr.LOSSES, cr.INITIALIZERS, cr.OPTIMIZERS):
        assert isinstance(table, dict) and table and all(isinstance(k, str) for k in table)
    assert set(cr.OPTIMIZERS.values()) == {cr.SGD, cr.Adam, cr.AdamW, cr.RMSProp}


@pytest.mark.parametrize("class_name", CORE_CLASSES)
def test_core_methods_and_properties_have_docstrings(class_name):
    cls = getattr(cr, class_name)
    missing = []
    for attr, value in vars(cls).items():
        if attr.startswith("_") or not (callable(value) or isinstance(value, property)):
            continue
        if not (inspect.getdoc(getattr(cls, attr)) or "").strip():  # inherited docs count (overrides)
            missing.append(attr)
    assert not missing, f"{class_name} lacks docstrings on {missing}"


def test_modules_declare_all():
    import importlib

    for module in [
        "core.activations",
        "core.losses",
        "core.initializers",
        "core.layers",
        "core.network",
        "core.gradcheck",
        "training.optimizers",
        "training.loop",
        "training.callbacks",
        "training.schedules",
        "teaching.trace",
        "teaching.checker",
        "teaching.examples",
        "teaching.exercise",
    ]:
        mod = importlib.import_module(f"chainrule.{module}")
        assert hasattr(mod, "__all__"), module
        for name in mod.__all__:
            assert hasattr(mod, name), f"chainrule.{module}.__all__ lists missing {name!r}"


def test_py_typed_marker_ships():
    from importlib.resources import files

    assert files("chainrule").joinpath("py.typed").is_file()
