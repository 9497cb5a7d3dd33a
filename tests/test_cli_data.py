"""Tests for the shared data-source resolver of the command line (chainrule/cli/data.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import datasets
from chainrule.cli import main
from chainrule.cli.data import FASHION, SOURCES, TOY_SETS, resolve_data, sources_help


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,label,price\n1,2,0,1.5\n3,4,1,2.5\n5,6,2,3.0\n")
    return path


@pytest.fixture
def fashion_dir(tmp_path):
    """A stand-in for the Fashion-MNIST directory: 6 training and 3 test images of 28×28 pixels."""
    rng = np.random.default_rng(0)
    for stem, n in (("train", 6), ("t10k", 3)):
        datasets.write_idx(tmp_path / f"{stem}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        datasets.write_idx(tmp_path / f"{stem}-labels-idx1-ubyte", np.arange(n, dtype=np.uint8))
    return tmp_path


# -- CSV files --------------------------------------------------------------------


def test_csv_target_defaults_to_the_last_column(csv):
    X, y = resolve_data(csv)
    assert X.shape == (3, 3) and X.dtype == np.float64
    np.testing.assert_array_equal(y, [1.5, 2.5, 3.0])
    assert y.dtype == np.float64


@pytest.mark.parametrize("target", [2, "2", -2, "-2", "label"])
def test_csv_target_column_by_index_or_header_name(csv, target):
    X, y = resolve_data(str(csv), target=target)
    np.testing.assert_array_equal(X, [[1, 2, 1.5], [3, 4, 2.5], [5, 6, 3.0]])
    np.testing.assert_array_equal(y, [0, 1, 2])
    assert y.dtype == np.int64  # whole numbers: class labels


def test_csv_without_target_keeps_every_column(csv):
    X, y = resolve_data(csv, target=None)
    assert X.shape == (3, 4) and y is None


def test_csv_bad_target_columns(csv):
    with pytest.raises(ValueError, match=r"target column 'colour' not found; the columns are \['a', 'b', 'label'"):
        resolve_data(csv, target="colour")
    with pytest.raises(ValueError, match="target column 9 out of range for 4 columns"):
        resolve_data(csv, target="9")


def test_csv_bad_files(tmp_path):
    (tmp_path / "words.csv").write_text("a,b\nx,y\n")
    with pytest.raises(ValueError, match="not a numeric CSV file"):
        resolve_data(tmp_path / "words.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="no data rows"):
        resolve_data(tmp_path / "empty.csv")
    with pytest.raises(IsADirectoryError):
        resolve_data(tmp_path)


# -- toy sets ---------------------------------------------------------------------


def test_xor_is_its_four_rows_with_integer_labels():
    X, y = resolve_data("xor", samples=50, seed=3)  # samples and seed do not apply
    assert X.shape == (4, 2)
    assert y.tolist() == [0, 1, 1, 0] and y.dtype == np.int64


@pytest.mark.parametrize("name", ["moons", "circles", "spirals"])
def test_toy_sets_take_samples_and_seed(name):
    X, y = resolve_data(name, samples=30, seed=1)
    assert X.shape == (30, 2) and y.shape == (30,) and y.dtype == np.int64
    np.testing.assert_array_equal(X, resolve_data(name, samples=30, seed=1)[0])
    assert not np.array_equal(X, resolve_data(name, samples=30, seed=2)[0])
    assert resolve_data(name)[0].shape == (200, 2)  # the default size


def test_toy_set_parameters_are_checked():
    with pytest.raises(ValueError, match="n_samples"):
        resolve_data("moons", samples=0)


def test_a_name_wins_over_a_file_of_that_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("xor").write_text("1,2,3\n")
    assert resolve_data("xor")[0].shape == (4, 2)


# -- Fashion-MNIST ------------------------------------------------------------------


def test_fashion_mnist_splits(fashion_dir):
    X, y = resolve_data(FASHION, data_dir=fashion_dir)  # the test set by default
    assert X.shape == (3, 784) and X.dtype == np.float32 and y.tolist() == [0, 1, 2]
    assert X.min() >= 0.0 and X.max() <= 1.0
    X, y = resolve_data(FASHION, split="train", data_dir=fashion_dir)
    assert X.shape == (6, 784) and y.tolist() == list(range(6))


@pytest.mark.parametrize("input_scale", [None, 1 / 255])
def test_fashion_mnist_comes_in_the_units_the_model_reads(fashion_dir, tmp_path, capsys, input_scale):
    # A network with input_scale (trained in Python on the uint8 bytes) gets the bytes 0..255 from evaluate,
    # predict and plot, and scales them itself; one without gets float pixels in [0, 1]: never scaled twice.
    import json

    from chainrule.training.loop import evaluate

    dtype = "float32" if input_scale is None else "uint8"
    (X, y), (X_test, y_test) = datasets.load_fashion_mnist(fashion_dir, dtype=dtype)
    net = cr.Network([784, 8, 10], activation="relu", loss="cross_entropy", seed=0, input_scale=input_scale)
    net.fit(X, y, epochs=2, learning_rate=0.1)
    model = tmp_path / "m.npz"
    net.save(model)
    assert main(["evaluate", str(model), FASHION, "--data-dir", str(fashion_dir), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    loss, accuracy = evaluate(net, net.check_X(X_test), net.check_Y(y_test, 3, labels=True))
    assert printed == {"samples": 3, "loss": loss, "accuracy": accuracy}
    assert main(["predict", str(model), FASHION, "--data-dir", str(fashion_dir), "--probabilities"]) == 0
    rows = [line.split(",") for line in capsys.readouterr().out.splitlines()[1:]]
    # printed with 6 decimals: within half of the last digit
    np.testing.assert_allclose(np.array(rows, float), net.predict(X_test), rtol=0, atol=5.000001e-7)


def test_fashion_mnist_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="Fashion-MNIST files missing in .*apt-get install") as info:
        resolve_data(FASHION, data_dir=tmp_path)
    # The command line's option, not the Python argument.
    assert str(info.value).endswith("or give their directory with --data-dir DIR")
    assert "path=" not in str(info.value) and "train-images-idx3-ubyte" in str(info.value)


def test_bad_split():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'; got 'validation'"):
        resolve_data("xor", split="validation")


# -- unknown sources ------------------------------------------------------------------


def test_unknown_source_names_the_problem_and_the_fix(tmp_path):
    missing = tmp_path / "nothere.csv"
    with pytest.raises(FileNotFoundError) as info:
        resolve_data(missing)
    assert info.value.filename == str(missing)
    message = info.value.strerror
    assert message.startswith("No such file or directory, and not a known data set; ")
    assert message.endswith("give a CSV file's path or one of xor, moons, circles, spirals, fashion-mnist")


@pytest.mark.parametrize(
    "name, nearest", [("moon", "moons"), ("Spiral", "spirals"), ("fashion_mnist", "fashion-mnist")]
)
def test_a_near_miss_suggests_the_name(name, nearest):
    with pytest.raises(FileNotFoundError, match=f"did you mean '{nearest}'"):
        resolve_data(name)


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "moon", "--quiet"],
        ["plot", "network", "{model}", "--data", "moon", "-o", "{png}"],
    ],
)
def test_every_command_reports_an_unknown_source_in_one_line(tmp_path, capsys, argv):
    model = tmp_path / "m.npz"
    cr.Network([2, 2], seed=0).save(model)
    argv = [a.format(model=model, png=tmp_path / "x.png") for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("chainrule: error: moon: No such file or directory, and not a known data set")
    assert "did you mean 'moons'?" in err


def test_train_evaluate_predict_read_toy_sets_too(tmp_path, capsys):
    model = tmp_path / "m.npz"
    assert main(["train", "moons", "--layers", "4", "--epochs", "1", "--quiet", "--save", str(model)]) == 0
    assert cr.load(model).sizes == [2, 4, 2]
    assert main(["evaluate", str(model), "moons", "--json"]) == 0
    assert '"samples": 200' in capsys.readouterr().out
    assert main(["predict", str(model), "xor"]) == 0
    assert capsys.readouterr().out.split() == ["class"] + [
        str(k) for k in cr.load(model).predict(cr.datasets.xor()[0]).argmax(1)
    ]


def test_the_names_and_the_help_text():
    assert SOURCES == (*TOY_SETS, FASHION) == ("xor", "moons", "circles", "spirals", "fashion-mnist")
    assert sources_help() == "a numeric CSV file, or one of xor, moons, circles, spirals, fashion-mnist"
