"""Plots (Agg canvas, no pyplot), the toy 2-D data sets and ``chainrule plot`` / ``train --plot``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import datasets
from chainrule.cli.main import main

matplotlib = pytest.importorskip("matplotlib", reason="the plots need the optional extra chainrule[plot]")
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.patches import Circle  # noqa: E402

from chainrule import plotting  # noqa: E402


@pytest.fixture(scope="module")
def moons_model():
    X, y = datasets.moons(120, noise=0.1, seed=0)
    net = cr.Network([2, 8, 2], activation="tanh", loss="cross_entropy", seed=0)
    history = net.fit(
        X, y, epochs=30, learning_rate=0.05, batch_size=30, optimizer="adam", validation_data=(X[:30], y[:30])
    )
    return net, history, X, y


# -- data sets --------------------------------------------------------------------


@pytest.mark.parametrize("make", [datasets.moons, datasets.circles, datasets.spirals])
def test_toy_sets_shapes_labels_and_seeds(make):
    X, y = make(101, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [51, 50]
    X2, y2 = make(101, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, make(101, seed=4)[0])
    assert make(10, dtype="float32")[0].dtype == np.float32


def test_toy_sets_geometry_without_noise():
    X, y = datasets.circles(40, noise=0.0, factor=0.3)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(radius[y == 0], 1.0) and np.allclose(radius[y == 1], 0.3)
    X, y = datasets.moons(50, noise=0.0)
    assert np.allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0)  # upper arc: unit circle at 0
    assert np.allclose(np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5), 1.0)  # lower arc: centre (1, 0.5)
    X, y = datasets.spirals(300, noise=0.0, n_classes=3)
    assert np.bincount(y).tolist() == [100, 100, 100]
    assert np.isclose(np.hypot(*X[99]), 1.0)  # each arm ends on the unit circle


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: datasets.moons(0), ValueError, "n_samples"),
        (lambda: datasets.moons(10, noise=-1), ValueError, "noise must be a finite number >= 0; got -1"),
        (lambda: datasets.circles(10, factor=1.5), ValueError, r"factor must be in \[0.0, 1.0\); got 1.5"),
        (lambda: datasets.spirals(10, n_classes=1), ValueError, "n_classes must be >= 2; got 1"),
        (lambda: datasets.spirals(10, turns=0), ValueError, "turns must be a finite number > 0"),
        (lambda: datasets.moons(10, dtype="int8"), ValueError, "dtype must be 'float64' or 'float32'; got 'int8'"),
    ],
)
def test_toy_sets_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# -- figures ----------------------------------------------------------------------


def test_figures_use_agg_without_pyplot(moons_model):
    import sys

    net, history, X, y = moons_model
    before = matplotlib.get_backend() if "matplotlib.pyplot" in sys.modules else None
    fig = plotting.plot_history(history)
    assert type(fig.canvas).__name__ == "FigureCanvasAgg"
    if before is not None:
        assert matplotlib.get_backend() == before  # the global backend is not switched


def test_history_curves(moons_model, tmp_path):
    _, history, _, _ = moons_model
    fig = plotting.plot_history(history)
    loss_ax, acc_ax = fig.axes
    assert (loss_ax.get_xlabel(), loss_ax.get_ylabel(), acc_ax.get_ylabel()) == ("epoch", "loss", "accuracy")
    assert [line.get_label() for line in loss_ax.get_lines()] == ["train loss", "validation loss"]
    assert [line.get_label() for line in acc_ax.get_lines()] == ["train accuracy", "validation accuracy"]
    train = loss_ax.get_lines()[0]
    assert train.get_xdata().tolist() == list(range(1, 31))
    assert np.array_equal(train.get_ydata(), history.loss)
    assert np.array_equal(acc_ax.get_lines()[1].get_ydata(), history.val_accuracy)
    fig.savefig(tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_history_of_a_regressor_has_one_axes():
    net = cr.Network([1, 3, 1], activation="tanh", loss="mse", seed=0)
    history = net.fit(np.linspace(-1, 1, 8).reshape(-1, 1), np.linspace(0, 1, 8).reshape(-1, 1), epochs=4)
    fig = plotting.plot_history(history)
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 1
    with pytest.raises(TypeError, match="history must be the History that fit returned; got dict"):
        plotting.plot_history({"loss": [1.0]})


def test_decision_boundary(moons_model):
    net, _, X, y = moons_model
    fig = plotting.plot_decision_boundary(net, X, y, resolution=50)
    ax = fig.axes[0]
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert [len(s.get_offsets()) for s in scatters] == [np.sum(y == 0), np.sum(y == 1)]
    accuracy = np.mean(net.predict(X).argmax(axis=1) == y)
    assert ax.get_title() == f"Decision boundary (accuracy {accuracy:.3f})"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x[0]", "x[1]")
    assert ax.get_xlim()[0] == pytest.approx(X[:, 0].min() - 0.5)
    assert len(ax.collections) > len(scatters)  # the filled contour regions


def test_decision_boundary_of_one_output_xor_network():
    X, Y = datasets.xor()
    net = cr.Network([2, 2, 1], seed=0)
    net.layers[0].weights = [[6.0, 6.0], [4.0, 4.0]]
    net.layers[0].bias = [-2.5, -6.0]
    net.layers[1].weights = [[6.0, -6.0]]
    net.layers[1].bias = [-2.5]
    assert (net.predict(X)[:, 0] > 0.5).tolist() == [False, True, True, False]  # hand-made XOR solution
    fig = plotting.plot_decision_boundary(net, X, Y, resolution=30)
    assert fig.axes[0].get_title() == "Decision boundary (accuracy 1.000)"
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\) for a decision boundary; got \(4, 3\)"):
        plotting.plot_decision_boundary(net, np.zeros((4, 3)), Y)


def test_confusion_matrix_counts_and_plot():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 2])
    assert plotting.confusion_matrix(y_true, y_pred).tolist() == [[1, 1, 0], [0, 2, 1], [0, 0, 1]]
    fig = plotting.plot_confusion_matrix(y_true, y_pred, class_names=["cat", "dog", "eel"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["1", "1", "0", "0", "2", "1", "0", "0", "1"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "eel"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted class", "true class")
    assert ax.get_title() == "Confusion matrix (accuracy 0.667)"
    assert len(fig.axes) == 2  # the colour bar
    normalised = plotting.plot_confusion_matrix(y_true, y_pred, normalize=True).axes[0]
    assert [t.get_text() for t in normalised.texts][3:6] == ["0.00", "0.67", "0.33"]
    with pytest.raises(TypeError, match="y_true must be a 1-D array of integer labels"):
        plotting.confusion_matrix([0.5, 1.0], [0, 1])


def test_network_diagram_edges_and_nodes():
    net = cr.Network([2, 3, 1], seed=0)
    net.layers[0].weights = [[1.0, -2.0], [0.5, 0.0], [-0.25, 3.0]]
    fig = plotting.plot_network(net, X=[0.2, 0.9])
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert len(lines) == 2 * 3 + 3 * 1
    assert sum(isinstance(p, Circle) for p in ax.patches) == 2 + 3 + 1
    # first edge is layers[0].weights[0][0] = 1.0 (blue); second weights[0][1] = -2.0 (red), wider
    assert matplotlib.colors.to_hex(lines[0].get_color()) == "#2563eb"
    assert matplotlib.colors.to_hex(lines[1].get_color()) == "#dc2626"
    assert lines[1].get_linewidth() > lines[0].get_linewidth()
    assert lines[5].get_linewidth() == pytest.approx(0.3 + 3.5)  # |3.0| is the largest weight
    faces = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches if isinstance(p, Circle)]
    assert len(set(faces)) > 1  # activations colour the nodes
    assert len(fig.axes) == 2  # activation colour bar
    plain = plotting.plot_network(net).axes[0]
    assert {matplotlib.colors.to_hex(p.get_facecolor()) for p in plain.patches} == {"#ffffff"}
    with pytest.raises(ValueError, match=r"X must be one sample of 2 inputs"):
        plotting.plot_network(net, X=[[0, 1], [1, 0]])


def test_big_layers_are_cut_with_a_note():
    fig = plotting.plot_network(cr.Network([30, 4, 2], seed=0), max_neurons=5)
    ax = fig.axes[0]
    assert sum(isinstance(p, Circle) for p in ax.patches) == 5 + 4 + 2
    assert any(t.get_text() == "+25 more" for t in ax.texts)


# -- command line ------------------------------------------------------------------


def write_csv(path, X, y):
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", fmt="%.8g")
    return str(path)


def test_train_plot_and_html_report(tmp_path, capsys):
    X, y = datasets.circles(80, noise=0.05, seed=0)
    csv = write_csv(tmp_path / "c.csv", X, y)
    status = main(
        [
            "train",
            csv,
            "--layers",
            "6",
            "--activation",
            "tanh",
            "--epochs",
            "4",
            "--batch-size",
            "20",
            "--learning-rate",
            "0.05",
            "--quiet",
            "--save",
            str(tmp_path / "m.npz"),
            "--plot",
            str(tmp_path / "plots"),
            "--html-report",
            str(tmp_path / "report"),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    names = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert names == ["boundary.png", "confusion.png", "history.json", "history.png", "network.png"]
    record = json.loads((tmp_path / "plots" / "history.json").read_text())
    assert len(record["loss"]) == 4 and len(record["accuracy"]) == 4
    assert f"wrote {tmp_path / 'report' / 'report.html'}" in out
    page = (tmp_path / "report" / "report.html").read_text()
    assert page.count("<polyline") == 2 and "2 → 6" in page

    assert main(["plot", "history", str(tmp_path / "plots" / "history.json"), "-o", str(tmp_path / "h.png")]) == 0
    assert main(["plot", "boundary", str(tmp_path / "m.npz"), csv, "-o", str(tmp_path / "b.png")]) == 0
    assert (
        main(
            ["plot", "confusion", str(tmp_path / "m.npz"), "circles", "--samples", "30", "-o", str(tmp_path / "c.png")]
        )
        == 0
    )
    assert main(["plot", "network", str(tmp_path / "m.npz"), "--data", "xor", "-o", str(tmp_path / "n.png")]) == 0
    for name in ("h", "b", "c", "n"):
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_plot_usage_errors(tmp_path, capsys):
    assert main(["plot"]) == 2
    assert "the following arguments are required: KIND" in capsys.readouterr().err
    assert main(["plot", "history", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.png")]) == 2
    assert "missing.json: No such file or directory" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("[1, 2]")
    assert main(["plot", "history", str(tmp_path / "bad.json"), "-o", str(tmp_path / "x.png")]) == 2
    assert "not a history file" in capsys.readouterr().err
