"""Tests for datasets.py: the IDX reader on generated files and the real data, Fashion-MNIST
loading, one-hot, standardisation, the validation split and CSV loading."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule.datasets import (
    load_csv,
    load_fashion_mnist,
    one_hot,
    read_idx,
    standardize,
    train_validation_split,
    write_idx,
)

# -- IDX --------------------------------------------------------------------------


def test_read_idx_on_hand_made_bytes(tmp_path):
    # Header per the IDX spec: 0x00 0x00, type 0x08 (ubyte), 2 dims, sizes 2 and 3 big-endian.
    raw = bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255])
    (tmp_path / "a-idx2-ubyte").write_bytes(raw)
    array = read_idx(tmp_path / "a-idx2-ubyte")
    assert array.dtype == np.uint8
    assert array.tolist() == [[1, 2, 3], [4, 5, 255]]
    (tmp_path / "a.gz").write_bytes(gzip.compress(raw))
    assert read_idx(tmp_path / "a.gz").tolist() == [[1, 2, 3], [4, 5, 255]]


def test_read_idx_big_endian_int32(tmp_path):
    raw = bytes([0, 0, 0x0C, 1, 0, 0, 0, 2]) + (258).to_bytes(4, "big") + (-1).to_bytes(4, "big", signed=True)
    (tmp_path / "b").write_bytes(raw)
    assert read_idx(tmp_path / "b").tolist() == [258, -1]


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("compress", [False, True])
def test_write_then_read_round_trips(tmp_path, rng, dtype, compress):
    array = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    path = tmp_path / ("x.gz" if compress else "x")
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress


def test_read_idx_refuses_other_files(tmp_path):
    (tmp_path / "text").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="is not an IDX file: expected a magic number 0x0000TTDD"):
        read_idx(tmp_path / "text")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]))
    with pytest.raises(ValueError, match=r"announces shape \(5,\) \(5 bytes of data\); got 2 bytes"):
        read_idx(tmp_path / "short")
    (tmp_path / "long").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 1, 1, 2]))
    with pytest.raises(ValueError, match="got more bytes"):
        read_idx(tmp_path / "long")


def test_write_idx_refuses_other_dtypes(tmp_path):
    with pytest.raises(TypeError, match="array must have an IDX dtype"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))


# -- Fashion-MNIST ------------------------------------------------------------------


def _fake_fashion(directory, rng, n_train=12, n_test=5, gz=True):
    os.makedirs(directory, exist_ok=True)
    parts = {}
    for stem, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        suffix = ".gz" if gz else ""
        write_idx(os.path.join(directory, f"{stem}-images-idx3-ubyte{suffix}"), images)
        write_idx(os.path.join(directory, f"{stem}-labels-idx1-ubyte{suffix}"), labels)
        parts[stem] = (images, labels)
    return parts


@pytest.mark.parametrize("gz", [True, False])
def test_load_fashion_mnist_from_a_directory(tmp_path, rng, gz):
    parts = _fake_fashion(tmp_path, rng, gz=gz)
    (X, y), (X_test, y_test) = load_fashion_mnist(tmp_path)
    assert X.shape == (12, 784) and X.dtype == np.float32
    assert X_test.shape == (5, 784)
    np.testing.assert_allclose(X, parts["train"][0].reshape(12, 784) / np.float32(255), rtol=1e-6)
    np.testing.assert_array_equal(y, parts["train"][1])
    assert y.dtype == np.int64
    (Xr, _), _ = load_fashion_mnist(tmp_path, dtype="uint8", flatten=False)
    np.testing.assert_array_equal(Xr, parts["train"][0])


def test_missing_files_say_how_to_install(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match="apt-get install dataset-fashion-mnist.*load_fashion_mnist"
        r"\(path='their/directory'\)",
    ):
        load_fashion_mnist(tmp_path)


def test_load_fashion_mnist_checks_dtype(tmp_path):
    with pytest.raises(ValueError, match="dtype must be 'float32', 'float64' or 'uint8'; got 'int'"):
        load_fashion_mnist(tmp_path, dtype="int")


_REAL = os.path.exists(os.path.join(cr.datasets.FASHION_MNIST_DIR, "t10k-labels-idx1-ubyte.gz"))


@pytest.mark.skipif(
    not _REAL,
    reason="Fashion-MNIST not installed: apt-get install dataset-fashion-mnist "
    "(make test does it via scripts/ensure-fashion-mnist.sh)",
)
def test_real_fashion_mnist_files():
    d = cr.datasets.FASHION_MNIST_DIR
    labels = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz"))
    images = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"))
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,)
    # The test set is balanced: 1,000 images per class.
    assert np.bincount(labels).tolist() == [1000] * 10
    # Labels of the first test images, as published with the data set (ankle boot, pullover, trouser, ...).
    assert labels[:4].tolist() == [9, 2, 1, 1]
    assert len(cr.datasets.FASHION_MNIST_CLASSES) == 10


# -- helpers ----------------------------------------------------------------------------


def test_one_hot():
    assert one_hot(np.array([1, 0, 2])).tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 1]]
    assert one_hot([0], 3, dtype="float32").dtype == np.float32
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\) for n_classes=2; got values in \[0, 2\]"):
        one_hot([0, 2], 2)
    with pytest.raises(TypeError, match="labels must be a 1-D array of integers"):
        one_hot([0.5, 1.0])


def test_standardize_learns_on_train_and_applies_to_test(rng):
    X = rng.standard_normal((200, 3)) * [1, 5, 0] + [0, 10, 7]
    Xs, mean, std = standardize(X)
    np.testing.assert_allclose(Xs.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Xs.std(axis=0)[:2], 1, rtol=1e-12)
    assert np.all(Xs[:, 2] == 0)  # a constant column is only centred
    X_test = X[:5] + 1
    Xt, _, _ = standardize(X_test, mean, std)
    np.testing.assert_allclose(Xt[:, :2], (X_test[:, :2] - mean[:2]) / std[:2])
    with pytest.raises(ValueError, match="mean and std must be given together"):
        standardize(X, mean=mean)


def test_train_validation_split(rng):
    X = np.arange(40).reshape(20, 2)
    y = np.arange(20)
    X_tr, X_val, y_tr, y_val = train_validation_split(X, y, 0.25, seed=1)
    assert len(X_tr) == 15 and len(X_val) == 5
    assert sorted(np.concatenate([y_tr, y_val]).tolist()) == list(range(20))
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay paired
    again = train_validation_split(X, y, 0.25, seed=1)
    np.testing.assert_array_equal(again[3], y_val)
    with pytest.raises(ValueError, match=r"validation_fraction=0.01 of 20 samples leaves an empty part"):
        train_validation_split(X, y, 0.01)
    with pytest.raises(ValueError, match="X and y must have the same number of rows; got 20 and 3"):
        train_validation_split(X, y[:3])


def test_load_csv(tmp_path):
    (tmp_path / "h.csv").write_text("a,b,label\n1,2,0\n3,4.5,1\n")
    X, y = load_csv(tmp_path / "h.csv")
    assert X.tolist() == [[1, 2], [3, 4.5]] and y.tolist() == [0, 1] and y.dtype == np.int64
    X, y = load_csv(tmp_path / "h.csv", target="a")
    assert X.tolist() == [[2, 0], [4.5, 1]] and y.tolist() == [1, 3]
    (tmp_path / "n.csv").write_text("1,2,0.5\n3,4,1.5\n")
    X, y = load_csv(tmp_path / "n.csv")
    assert y.dtype == np.float64 and y.tolist() == [0.5, 1.5]
    X, y = load_csv(tmp_path / "n.csv", target=None)
    assert X.shape == (2, 3) and y is None
    with pytest.raises(ValueError, match=r"target column 'z' not found; the columns are \['a', 'b', 'label'\]"):
        load_csv(tmp_path / "h.csv", target="z")
    (tmp_path / "bad.csv").write_text("a,b\n1,x\n")
    with pytest.raises(ValueError, match="not a numeric CSV file"):
        load_csv(tmp_path / "bad.csv")


# -- CSV: delimiters, line and column numbers, text labels ---------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_load_csv_detects_the_delimiter(tmp_path, delimiter):
    path = tmp_path / "d.csv"
    path.write_text(
        delimiter.join(["a", "b", "label"])
        + "\n"
        + "\n".join(delimiter.join(r) for r in [["1", "2.5", "0"], ["3", "4", "1"]])
    )
    X, y = load_csv(path)
    np.testing.assert_array_equal(X, [[1, 2.5], [3, 4]])
    assert y.tolist() == [0, 1]


def test_load_csv_with_the_wrong_delimiter_names_the_right_one(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("1;2;0\n3;4;1\n")
    with pytest.raises(
        ValueError, match=r"holds ';' but the delimiter is ',': .* pass delimiter=';' \(chainrule: --delimiter ';'\)"
    ):
        load_csv(path, delimiter=",")


def test_load_csv_gives_1_based_line_and_column_with_the_columns_name(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("height,weight,label\n1,2,0\n\n3,heavy,1\n")
    with pytest.raises(ValueError, match=r"line 4, column 2 \('weight'\): could not read 'heavy' as a number"):
        load_csv(path)
    path.write_text("1,2,0\n3,x,1\n")  # no header: no name
    with pytest.raises(ValueError, match=r"line 2, column 2: could not read 'x' as a number$"):
        load_csv(path)
    path.write_text("a,b,c\n1,2,0\n3,4\n")
    with pytest.raises(ValueError, match=r"line 3 has 2 columns; line 2 has 3"):
        load_csv(path)
    path.write_text("a,b,c\n1,inf,0\n")
    with pytest.raises(ValueError, match=r"line 2, column 2 \('b'\): 'inf' is not a finite number"):
        load_csv(path)


def test_load_csv_text_labels_are_refused_with_the_fix_or_encoded_sorted(tmp_path):
    path = tmp_path / "pets.csv"
    path.write_text("h,w,kind\n30,4,cat\n60,20,dog\n25,3,cat\n90,30,emu\n")
    with pytest.raises(
        ValueError, match=r"line 2, column 3 \('kind'\): the target column holds text \('cat'\); .*encode_labels=True"
    ):
        load_csv(path)
    X, y, classes = load_csv(path, encode_labels=True)
    assert classes == ["cat", "dog", "emu"]
    assert y.tolist() == [0, 1, 0, 2]
    np.testing.assert_array_equal(X[:, 0], [30, 60, 25, 90])
    # Text labels in a file without a header: the first line is data, not names.
    path.write_text("30,4,cat\n60,20,dog\n")
    X, y, classes = load_csv(path, encode_labels=True)
    assert X.shape == (2, 2) and classes == ["cat", "dog"]
    # A numeric target: classes is None.
    path.write_text("1,2,0\n3,4,1\n")
    assert load_csv(path, encode_labels=True)[2] is None
