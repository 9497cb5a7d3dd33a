"""Fuzzing the worked-example loader (``load_example``, JSON and TOML files): a result or a documented error.

``chainrule.teaching.examples.load_example`` documents what it raises for a
file that exists: ``ValueError`` or ``TypeError`` (a message that starts
with the file's name), and ``MemoryError`` (naming the file and the sizes)
for a network too large to build. Every generated file must either load
into a :class:`WorkedExample` whose step is the network's shape, or raise
one of those, naming the file. Anything else (a ``KeyError``, an
``OverflowError``, a ``RecursionError``, a NumPy error, a traceback) fails.

Two kinds of case per format: files built from documents near a valid one
(up to three fields replaced by values of any JSON/TOML type, including
huge integers, non-finite floats, nested lists and tables, booleans, odd
strings), and byte-level mutations of the real example files (flips, cuts,
insertions, non-UTF-8 bytes, deep nesting). ``CHAINRULE_FUZZ_EXAMPLES``
(N) sets the count: N documents and N/4 mutated files per format, each
counted and the count asserted. ``make fuzz`` (which CI runs after
``make test``) sets N = 10,000 (12,500 files per format); ``make test``
and a plain ``pytest`` run use 300, to stay quick. Each
hypothesis example draws a batch of ``BATCH`` cases, which halves the
engine's overhead per case.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule.teaching.examples import WorkedExample, load_example

N_CASES = int(os.environ.get("CHAINRULE_FUZZ_EXAMPLES", "300"))
#: Cases per hypothesis example: drawing a batch at once halves the engine's overhead per case.
BATCH = 10
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
FUZZ_BATCHES = settings(deadline=None, max_examples=-(-N_CASES // BATCH), suppress_health_check=_HEALTH, database=None)
FUZZ_MUTATIONS = settings(FUZZ_BATCHES, max_examples=-(-N_CASES // (4 * BATCH)))
WORKED = Path(__file__).resolve().parent.parent / "examples" / "worked"

#: What load_example documents for a file that exists and can be read.
DOCUMENTED = (ValueError, TypeError, MemoryError)

BASE = {
    "title": "fuzz",
    "notes": ["a note"],
    "network": {"sizes": [2, 2, 1], "activation": "sigmoid", "loss": "half_squared_error", "reduction": "sum"},
    "layers": [
        {"weights": [[0.15, 0.2], [0.25, 0.3]], "bias": [0.35, 0.35]},
        {"weights": [[0.4, 0.45]], "bias": [0.6]},
    ],
    "step": {"inputs": [[0.05, 0.1]], "targets": [[0.01]], "learning_rate": 0.5},
    "published": {"loss": "0.2984", "layers[1].a[0][0]": "0.7514"},
    "annotations": {"loss": "printed rounded"},
}

#: Where a value may be replaced: (table, key) paths into BASE, and whole tables.
PLACES = [
    ("network", "sizes"),
    ("network", "activation"),
    ("network", "output_activation"),
    ("network", "loss"),
    ("network", "reduction"),
    ("network", "bias"),
    ("network", "init"),
    ("network", "seed"),
    ("step", "inputs"),
    ("step", "targets"),
    ("step", "learning_rate"),
    ("published", "loss"),
    ("published", "layers[1].a[0][0]"),
    ("annotations", "loss"),
    (None, "title"),
    (None, "notes"),
    (None, "layers"),
    (None, "network"),
    (None, "step"),
    (None, "published"),
    (None, "unknown"),
    ("layers", 0),
    ("layers", 1),
]

#: Replacements that keep the document valid (the loader must load these).
VALID = [
    (("network", "activation"), "tanh"),
    (("network", "activation"), "relu"),
    (("network", "reduction"), "mean"),
    (("network", "init"), "he"),
    (("network", "seed"), 3),
    (("step", "learning_rate"), 0.1),
    (("step", "targets"), [[0.99]]),
    (("published", "loss"), "0.3"),
    (("annotations", "loss"), "another remark"),
    ((None, "title"), "another title"),
    ((None, "notes"), []),
]

names = st.sampled_from(
    ["sigmoid", "relu", "tanh", "identity", "softmax", "leaky_relu", "mse", "cross_entropy", "sum", "mean", "he"]
)
huge = st.sampled_from([10**12, 2**63, 10**400, -(10**400), 1e308, 1e-320])
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 6)
    | huge
    | st.floats(allow_nan=True, allow_infinity=True)
    | names
    | st.text(st.sampled_from('0123456789.-+eE_ abc\n\t\u2212\uff11[]{}"\\=#'), max_size=8)
    | st.sampled_from(["0.35\n", "1_0", "\uff11", "1e999", "-0", "\u22120.5", " 0.5", "nan", "0x10", ""])
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(names, children, max_size=2),
    max_leaves=5,
)


def _toml_value(value) -> str:
    """A TOML value (inline tables and arrays); None has no TOML form and becomes an empty table."""
    if value is None:
        return "{}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
            if not math.isfinite(value)
            else repr(value)
        )
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _toml(document: dict) -> str:
    return "".join(f"{json.dumps(str(k))} = {_toml_value(v)}\n" for k, v in document.items())


def _check(path: Path, outcomes: list) -> None:
    """Load ``path``: a WorkedExample of consistent shapes, or a documented error naming the file."""
    try:
        example = load_example(path)
    except DOCUMENTED as exc:
        assert str(exc).startswith(f"{path}: "), f"{type(exc).__name__} without the file name: {exc}"
        outcomes.append(type(exc).__name__)
        return
    assert isinstance(example, WorkedExample)
    net = example.network
    assert example.inputs.shape == (example.inputs.shape[0], net.n_inputs)
    assert example.targets.shape == (example.inputs.shape[0], net.n_outputs)
    assert np.isfinite(example.inputs).all() and np.isfinite(example.targets).all()
    assert math.isfinite(example.learning_rate) and example.learning_rate > 0
    assert all(isinstance(v, str) for v in example.published.values())
    outcomes.append("loaded")


def _run(prop, outcomes: list, n: int) -> list:
    prop()
    assert len(outcomes) >= n, f"only {len(outcomes)} cases ran"
    return outcomes


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_documents_near_a_valid_one_load_or_are_refused(tmp_path, suffix):
    path = tmp_path / f"example{suffix}"
    path.write_text(json.dumps(BASE) if suffix == ".json" else _toml(BASE), encoding="utf-8")
    assert _check(path, []) is None and load_example(path).published == BASE["published"]

    outcomes: list = []
    # Any value anywhere, or one that is valid there: so that every batch has documents that must load.
    replacement = st.tuples(st.sampled_from(PLACES), values) | st.sampled_from(VALID)
    replacements = st.lists(replacement, min_size=1, max_size=3)

    @FUZZ_BATCHES
    @given(st.lists(replacements, min_size=BATCH, max_size=BATCH))
    def prop(cases):
        for case in cases:
            document = json.loads(json.dumps(BASE))
            for place, value in case:
                _replace_in(document, place, value)
            text = json.dumps(document, allow_nan=True) if suffix == ".json" else _toml(document)
            path.write_text(text, encoding="utf-8")
            _check(path, outcomes)

    outcomes = _run(prop, outcomes, N_CASES)
    assert "loaded" in outcomes and {"ValueError", "TypeError"} <= set(outcomes)


def _replace_in(document: dict, place, value) -> dict:
    table, key = place
    if table is None:
        document[key] = value
    elif table == "layers" and isinstance(document.get("layers"), list) and len(document["layers"]) > key:
        document["layers"][key] = value
    elif isinstance(document.get(table), dict):
        document[table][key] = value
    return document


def _originals() -> dict[str, bytes]:
    files = {".json": (WORKED / "seed_001.json").read_bytes(), ".toml": (WORKED / "seed_003.toml").read_bytes()}
    return files


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_mutated_bytes_of_the_real_files_load_or_are_refused(tmp_path, suffix):
    original = _originals()[suffix]
    path = tmp_path / f"example{suffix}"
    edits = st.tuples(
        st.sampled_from(["flip", "cut", "insert", "nest"]),
        st.integers(0, len(original)),
        st.integers(0, 255),
        st.binary(max_size=12)
        | st.sampled_from([b"[", b"{", b'"', b"\\", b"\xff\xfe", b"1e999", b"=", b"\n[[layers]]\n"]),
    )

    outcomes: list = []

    @FUZZ_MUTATIONS
    @given(st.lists(st.lists(edits, min_size=1, max_size=4), min_size=BATCH, max_size=BATCH))
    def prop(cases):
        for operations in cases:
            _mutate_and_check(path, original, operations, outcomes)

    outcomes = _run(prop, outcomes, N_CASES // 4)
    assert "ValueError" in outcomes


def _mutate_and_check(path: Path, original: bytes, operations, outcomes: list) -> None:
    data = bytearray(original)
    for kind, position, number, inserted in operations:
        position = min(position, len(data))
        if kind == "flip" and position < len(data):
            data[position] ^= number or 1
        elif kind == "cut":
            del data[position : position + number]
        elif kind == "insert":
            data[position:position] = inserted
        else:  # deep nesting, the kind that overflows a recursive parser
            data[position:position] = b"[" * (number * 400)
    path.write_bytes(bytes(data))
    _check(path, outcomes)


@pytest.mark.parametrize("place, value", VALID)
def test_each_valid_replacement_loads(tmp_path, place, value):
    path = tmp_path / "example.json"
    path.write_text(json.dumps(_replace_in(json.loads(json.dumps(BASE)), place, value)), encoding="utf-8")
    assert isinstance(load_example(path), WorkedExample)
