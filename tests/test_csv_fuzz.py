"""Fuzzing the CSV reader (``chainrule.datasets.load_csv``): a result or a documented error.

``load_csv`` documents ``ValueError`` for a file that exists but is not a
numeric CSV file it can use (not UTF-8 text, a cell that is not a number,
rows of different lengths, no data rows, no feature column, a target
column not found or out of range). Every generated file must either give
features X (n_samples, n_features) of float64 and a target y
(n_samples,) of int64 (whole numbers) or float64, read exactly as the
cells say, or raise a ``ValueError``; anything else (an ``IndexError``, a
``TypeError`` from inside NumPy, a crash) fails.

The files mix numbers of every form (signs, exponents, ``nan``, ``inf``,
huge and tiny values), words, empty cells, spaces, quotes, other
delimiters, full-width digits, ``1_0``, byte-order marks, CR/LF line
ends, ragged rows and non-UTF-8 bytes, with or without a header, and a
target given by index or by name. ``CHAINRULE_FUZZ_EXAMPLES`` sets the
count (``make test``: 10,000; a plain ``pytest`` run: 300), and the count
of cases run is asserted.
"""

from __future__ import annotations

import math
import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrule.datasets import load_csv

N_CASES = int(os.environ.get("CHAINRULE_FUZZ_EXAMPLES", "300"))
BATCH = 10  # cases per hypothesis example (the engine's overhead per case halves)
FUZZ = settings(
    deadline=None,
    max_examples=-(-N_CASES // BATCH),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    database=None,
)

numbers = (
    st.integers(-5, 5).map(str)
    | st.floats(allow_nan=True, allow_infinity=True).map(repr)
    | st.floats(-100, 100).map(lambda v: f"{v:.3f}")
    | st.sampled_from(["1e308", "1e309", "-1e-320", "+3", "-0", ".5", "5.", "NaN", "-inf", "0x10", "1_0", "\uff11"])
)
cells = (
    numbers
    | numbers.map(lambda t: f" {t} ")
    | st.sampled_from(["", " ", "abc", '"1"', "'2'", "1;2", "1\t2", "#", "true", "None", "\u00e9"])
    | st.text(st.sampled_from("0123456789.,-e \"';abc"), max_size=5)
)
rows = st.lists(cells, min_size=1, max_size=5)
header = st.none() | st.lists(st.sampled_from(["a", "b", "label", "price", "1", " x ", ""]), min_size=1, max_size=5)
targets = st.sampled_from([-1, 0, 1, 2, 7, -9, "label", "price", "a", None])
line_ends = st.sampled_from(["\n", "\r\n", "\r"])
prefixes = st.sampled_from([b"", b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\x80"])
messy = st.tuples(header, st.lists(rows, min_size=0, max_size=6), line_ends, prefixes, targets, st.booleans())


@st.composite
def _clean(draw):
    """A well-formed numeric file (so that every batch has files that must load, beside the messy ones)."""
    width = draw(st.integers(2, 4))
    number = st.integers(-5, 5).map(str) | st.floats(-100, 100).map(lambda v: f"{v:.3f}")
    body = draw(st.lists(st.lists(number, min_size=width, max_size=width), min_size=1, max_size=6))
    names = draw(st.none() | st.just([f"c{j}" for j in range(width - 1)] + ["label"]))
    ends, prefix = draw(line_ends), draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return names, body, ends, prefix, draw(st.sampled_from([-1, 0, None])), draw(st.booleans())


files = messy | _clean()


def _text(case) -> bytes:
    names, body, end, prefix, _, trailing = case
    lines = ([",".join(names)] if names is not None else []) + [",".join(row) for row in body]
    return prefix + (end.join(lines) + (end if trailing else "")).encode("utf-8")


def _check(path, case, outcomes: list) -> None:
    target = case[4]
    try:
        X, y = load_csv(path, target=target)
    except ValueError as exc:  # the documented refusal (UnicodeDecodeError is one too)
        assert str(exc), "an empty message"
        outcomes.append("refused")
        return
    assert X.dtype == np.float64 and X.ndim == 2 and X.shape[0] >= 1 and X.shape[1] >= 1
    if target is None:
        assert y is None
    else:
        assert y.shape == (X.shape[0],) and y.dtype in (np.int64, np.float64)
        if y.dtype == np.float64:
            assert not all(math.isfinite(v) and v == round(v) for v in y), "whole-number targets left as floats"
    outcomes.append("loaded")


def test_generated_csv_files_load_or_are_refused(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b,label\n0,1,1\n1,0,0\n")
    X, y = load_csv(path)
    assert X.tolist() == [[0.0, 1.0], [1.0, 0.0]] and y.tolist() == [1, 0]

    outcomes: list = []

    @FUZZ
    @given(st.lists(files, min_size=BATCH, max_size=BATCH))
    def prop(cases):
        for case in cases:
            path.write_bytes(_text(case))
            _check(path, case, outcomes)

    prop()
    assert len(outcomes) >= N_CASES, f"only {len(outcomes)} cases ran"
    assert {"loaded", "refused"} <= set(outcomes)
