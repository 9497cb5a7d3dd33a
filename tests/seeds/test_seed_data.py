"""The seeds' data: ``chainrule.datasets.xor``."""

import numpy as np
import pytest

from chainrule.datasets import xor


def test_xor_truth_table():
    X, Y = xor()
    assert X.shape == (4, 2) and Y.shape == (4, 1)
    assert X.dtype == Y.dtype == np.float64
    expected = np.logical_xor(X[:, 0] > 0.5, X[:, 1] > 0.5)
    np.testing.assert_array_equal(Y[:, 0], expected.astype(float))
    assert sorted(map(tuple, X.tolist())) == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_xor_float32_and_fresh_arrays():
    X, Y = xor("float32")
    assert X.dtype == Y.dtype == np.float32
    X[0, 0] = 5.0
    assert xor()[0][0, 0] == 0.0  # each call returns new arrays


def test_xor_rejects_other_dtypes():
    with pytest.raises(ValueError, match=r"dtype must be 'float64' or 'float32'; got 'int8'"):
        xor("int8")
