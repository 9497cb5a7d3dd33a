"""The first hour: what a new user types, with the defaults only, and what they must get.

Each test runs as a new user would: the installed command in a subprocess
(``python -m chainrule``, as the console script does) or the library from
Python, never with a setting the first hour would not know to pass. The
Fashion-MNIST runs train on the whole training set, as the claim is about the
defaults on the data set; they take about a minute on two cores and carry the
``slow`` marker (``make test`` runs them; ``pytest -m "not slow"`` leaves them
out while working).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.datasets import FASHION_MNIST_CLASSES, load_fashion_mnist

# The subprocesses run the chainrule these tests import, from any working directory.
_ENV = dict(
    os.environ, PYTHONPATH=os.pathsep.join([str(Path(cr.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])
)


def run(*argv, cwd=None) -> subprocess.CompletedProcess:
    """``chainrule ARGV...`` in a fresh process."""
    command = [sys.executable, "-m", "chainrule", *map(str, argv)]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=_ENV, timeout=600)


def chainrule(*argv, cwd=None) -> subprocess.CompletedProcess:
    """``chainrule ARGV...`` in a fresh process; fails the test on a non-zero exit."""
    done = run(*argv, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done


def evaluated(model, *data) -> dict:
    return json.loads(chainrule("evaluate", model, *data, "--json").stdout)


# -- the command line -------------------------------------------------------------


@pytest.mark.parametrize("toy, floor", [("moons", 0.97), ("circles", 0.97), ("xor", 1.0)])
def test_train_with_the_defaults_learns_the_toy_sets(tmp_path, toy, floor):
    model = tmp_path / f"{toy}.npz"
    done = chainrule("train", toy, "--save", model)
    assert done.stdout.startswith("trained ") and "saved to" in done.stdout
    assert "warning" not in done.stderr
    # Fresh points from another seed (xor has only its 4).
    result = evaluated(model, toy, "--data-seed", "1")
    assert result["accuracy"] >= floor, result


@pytest.mark.slow
def test_train_with_the_defaults_reaches_0_84_on_fashion_mnist_after_3_epochs(tmp_path):
    model = tmp_path / "fm.npz"
    done = chainrule("train", "fashion-mnist", "--epochs", "3", "--quiet", "--save", model)
    assert done.stderr == ""  # no warning: pixels in [0, 1], mini-batches
    result = evaluated(model, "fashion-mnist")  # the 10,000 test images
    assert result["samples"] == 10_000
    assert result["accuracy"] >= 0.84, result
    net = cr.load(model)
    assert net.sizes == [784, 128, 10] and net.class_names == list(FASHION_MNIST_CLASSES)
    lines = chainrule("predict", model, "fashion-mnist").stdout.splitlines()
    assert lines[0] == "class,name" and len(lines) == 10_001
    _, (X_test, _) = load_fashion_mnist()
    predicted = net.predict(X_test[:5]).argmax(1)
    assert lines[1:6] == [f"{k},{FASHION_MNIST_CLASSES[k]}" for k in predicted]


def test_a_semicolon_csv_with_text_labels_trains_and_predicts_with_the_defaults(tmp_path, rng):
    names = rng.choice(["setosa", "versicolor", "virginica"], 150)
    centre = {"setosa": (1.0, 0.2), "versicolor": (4.2, 1.3), "virginica": (5.5, 2.0)}
    X = np.array([centre[n] for n in names]) + 0.25 * rng.standard_normal((150, 2))
    rows = [f"{a:.2f};{b:.2f};{n}" for (a, b), n in zip(X, names)]
    (tmp_path / "iris.csv").write_text("petal_length;petal_width;species\n" + "\n".join(rows) + "\n")
    chainrule("train", "iris.csv", "--save", "iris.npz", cwd=tmp_path)
    assert evaluated(tmp_path / "iris.npz", tmp_path / "iris.csv")["accuracy"] >= 0.9
    lines = chainrule("predict", "iris.npz", "iris.csv", cwd=tmp_path).stdout.splitlines()
    assert lines[0] == "class,name"
    assert sum(line.split(",")[1] == n for line, n in zip(lines[1:], names)) >= 0.9 * len(names)


def test_unscaled_inputs_get_one_warning_line_saying_what_to_do(tmp_path, rng):
    X = rng.integers(0, 256, size=(200, 4))  # raw pixel-like counts
    y = (X[:, 0] > X[:, 1]).astype(int)
    (tmp_path / "raw.csv").write_text("\n".join(",".join(map(str, r)) + f",{t}" for r, t in zip(X, y)) + "\n")
    done = chainrule("train", tmp_path / "raw.csv", "--epochs", "5", "--quiet")
    warning_lines = [line for line in done.stderr.splitlines() if line.startswith("chainrule: warning:")]
    assert len(warning_lines) == 1 and "far from unit scale" in warning_lines[0] and "X / 255" in warning_lines[0]


def test_a_string_label_or_a_wrong_delimiter_is_named_with_its_line_and_column(tmp_path):
    (tmp_path / "bad.csv").write_text("a,b,label\n1,2,cat\n3,x,dog\n")
    done = run("train", tmp_path / "bad.csv")
    assert done.returncode == 2
    assert "line 3, column 2 ('b'): could not read 'x' as a number" in done.stderr


# -- the library ------------------------------------------------------------------


@pytest.fixture(scope="module")
def fashion():
    return load_fashion_mnist()


def test_integer_labels_with_the_default_loss_point_to_cross_entropy(fashion):
    (X, y), _ = fashion
    net = cr.Network([784, 256, 128, 10], activation="relu")
    with pytest.raises(ValueError, match=r"integer class labels .* use loss='cross_entropy' with one output per class"):
        net.fit(X, y, epochs=3)


@pytest.mark.slow
def test_the_textbook_defaults_on_fashion_mnist_warn_to_use_mini_batches(fashion):
    (X, y), (X_test, y_test) = fashion
    net = cr.Network([784, 256, 128, 10], activation="relu", loss="cross_entropy", seed=0)
    with pytest.warns(cr.TrainingWarning, match=r"one step per epoch \(3 in all\) on 60000 samples.*batch_size=128"):
        history = net.fit(X, y, epochs=3)
    assert history.loss[-1] < history.loss[0]  # the scaled init: no blow-up, just too few steps


def test_binary_cross_entropy_takes_scikit_learn_style_labels():
    X, y = cr.datasets.moons(200, seed=0)
    net = cr.Network([2, 16, 1], activation="relu", loss="binary_cross_entropy", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.fit(X, y, epochs=300, batch_size=32, optimizer="adam", learning_rate=0.01)
    X_new, y_new = cr.datasets.moons(200, seed=1)
    assert ((net.predict(X_new)[:, 0] > 0.5) == y_new).mean() >= 0.97


def test_unscaled_inputs_warn_from_python_and_so_does_the_loss_they_blow_up():
    X, y = cr.datasets.moons(200, seed=0)
    net = cr.Network([2, 16, 2], activation="relu", loss="cross_entropy", seed=0)
    with pytest.warns(cr.TrainingWarning) as record:
        net.fit(X * 100, y, epochs=3)  # the textbook defaults on unscaled inputs
    messages = [str(w.message) for w in record]
    assert len(messages) == 2
    assert messages[0].startswith("the inputs are far from unit scale: column ")
    assert messages[1].startswith("the training loss grew from ")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cr.Network([2, 16, 2], activation="relu", loss="cross_entropy", seed=0).fit(X, y, epochs=3)
