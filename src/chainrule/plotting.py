"""Plots with matplotlib (the optional extra ``pip install chainrule[plot]``).

Each function returns a :class:`matplotlib.figure.Figure` (or draws into
the ``ax`` it is given and returns that axes' figure). Figures are made
with matplotlib's object-oriented API and an Agg canvas: no pyplot, no
global backend switch, nothing shown on screen; ``fig.savefig("x.png")``
writes a PNG anywhere, including machines without a display. In a Jupyter
notebook a returned figure displays itself.

- :func:`plot_history`: loss and accuracy curves, train and validation.
- :func:`plot_decision_boundary`: the classes a network gives to every point
  of a 2-D plane, with the data on top (XOR, moons, circles, spirals).
- :func:`plot_confusion_matrix` (and :func:`confusion_matrix`).
- :func:`plot_network`: the diagram, weights as edge width and colour,
  activations as node colour.
- :func:`save_training_plots`: all that apply, as PNG files in a directory
  (``chainrule train --plot DIR``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ._validation import check_positive_int
from .training.loop import History

__all__ = [
    "confusion_matrix",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_history",
    "plot_network",
    "require_matplotlib",
    "save_training_plots",
]


def require_matplotlib() -> None:
    """Raise ImportError, saying how to install it, when matplotlib is missing (``chainrule train --plot``
    asks before it trains, so that a missing extra loses no work)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(
            "chainrule's plots need matplotlib: pip install 'chainrule[plot]' (or pip install matplotlib)"
        ) from None


def _figure(ax: Any = None, figsize: tuple[float, float] = (6.0, 4.0), ncols: int = 1):
    """(figure, axes list): a new Agg-backed figure, or the figure of the given axes."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if ax is not None:
        if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
            raise TypeError(f"ax must be a matplotlib Axes; got {type(ax).__name__}")
        return ax.figure, [ax]
    fig = Figure(figsize=(figsize[0] * ncols, figsize[1]), layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def plot_history(history, ax: Any = None):
    """Loss (and, for classifiers, accuracy) per epoch, train and validation.

    Parameters
    ----------
    history : History
        What ``fit`` returned.
    ax : matplotlib Axes, optional
        Draw the loss only, into this axes.

    Returns
    -------
    matplotlib.figure.Figure
        One axes "loss", and a second "accuracy" when the history has one.
    """

    if not isinstance(history, History):
        raise TypeError(f"history must be the History that fit returned; got {type(history).__name__}")
    if not len(history):
        raise ValueError("history has no epochs to plot")
    has_accuracy = bool(history.accuracy or history.val_accuracy) and ax is None
    fig, axes = _figure(ax, ncols=2 if has_accuracy else 1)
    epochs = np.arange(1, len(history) + 1)
    panels = [("loss", history.loss, history.val_loss)]
    if has_accuracy:
        panels.append(("accuracy", history.accuracy, history.val_accuracy))
    for axis, (name, train, val) in zip(axes, panels):
        if train:
            axis.plot(epochs[: len(train)], train, label=f"train {name}", color="#2563eb")
        if val:
            axis.plot(epochs[: len(val)], val, label=f"validation {name}", color="#ea580c")
        axis.set_xlabel("epoch")
        axis.set_ylabel(name)
        axis.set_title(name.capitalize())
        axis.grid(True, alpha=0.3)
        axis.legend()
    return fig


def _class_scores(net, X: np.ndarray) -> tuple[np.ndarray, int]:
    """(predicted class per row, number of classes) of a classifier or a one-output network."""
    out = net.predict(X)
    if out.shape[1] == 1:  # one output: class 1 when it is above 0.5
        return (out[:, 0] > 0.5).astype(np.int64), 2
    return out.argmax(axis=1), out.shape[1]


def plot_decision_boundary(net, X: Any, y: Any, ax: Any = None, resolution: int = 200, padding: float = 0.5):
    """The class the network gives every point of the plane, with the data on top.

    Parameters
    ----------
    net : Network
        Two inputs. One output (class 1 where it exceeds 0.5: XOR, BCE) or
        one output per class (argmax: softmax + cross-entropy).
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,) or (n_samples, 1)
        Class labels (0/1 floats are accepted for one-output networks).
    ax : matplotlib Axes, optional
    resolution : int >= 2
        Grid points along each axis.
    padding : float >= 0
        Margin around the data, in input units.

    Returns
    -------
    matplotlib.figure.Figure
    """

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n_samples, 2) for a decision boundary; got {X.shape}")
    if net.n_inputs != 2:
        raise ValueError(f"net must have 2 inputs for a decision boundary; it has {net.n_inputs}")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must hold one class label per row of X, shape ({X.shape[0]},); got {y.shape}")
    resolution = check_positive_int(resolution, "resolution")
    if resolution < 2:
        raise ValueError(f"resolution must be >= 2; got {resolution}")
    if not float(padding) >= 0:
        raise ValueError(f"padding must be >= 0; got {padding!r}")
    fig, (axis,) = _figure(ax, figsize=(5.0, 5.0))
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    classes, n_classes = _class_scores(net, grid.astype(net.dtype))
    from matplotlib.colors import ListedColormap

    palette = [
        "#3b82f6",
        "#f97316",
        "#22c55e",
        "#a855f7",
        "#ef4444",
        "#14b8a6",
        "#eab308",
        "#ec4899",
        "#64748b",
        "#84cc16",
    ]
    colours = [palette[k % len(palette)] for k in range(n_classes)]
    cmap = ListedColormap(colours)
    axis.contourf(gx, gy, classes.reshape(gx.shape), levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.3)
    labels = np.rint(y.astype(np.float64)).astype(np.int64)
    for k in np.unique(labels):
        mask = labels == k
        axis.scatter(
            X[mask, 0],
            X[mask, 1],
            s=18,
            color=colours[int(k) % len(colours)],
            edgecolor="black",
            linewidth=0.4,
            label=f"class {int(k)}",
        )
    predicted, _ = _class_scores(net, X.astype(net.dtype))
    axis.set_title(f"Decision boundary (accuracy {np.mean(predicted == labels):.3f})")
    axis.set_xlabel("x[0]")
    axis.set_ylabel("x[1]")
    axis.set_xlim(lo[0], hi[0])
    axis.set_ylim(lo[1], hi[1])
    axis.legend(loc="best", fontsize="small")
    return fig


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int | None = None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_samples,)
    n_classes : int, optional
        Default: one more than the largest label.

    Returns
    -------
    ndarray of shape (n_classes, n_classes), int64
        Row i, column j: samples of class i predicted as j.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2]).tolist()
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    for name, value in (("y_true", y_true), ("y_pred", y_pred)):
        if value.ndim != 1 or not np.issubdtype(value.dtype, np.integer):
            raise TypeError(
                f"{name} must be a 1-D array of integer labels; got shape {value.shape}, dtype {value.dtype}"
            )
        if value.size and value.min() < 0:
            raise ValueError(f"{name} must hold labels >= 0; got {value.min()}")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same length; got {y_true.size} and {y_pred.size}")
    if n_classes is None:
        n_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    elif max(y_true.max(initial=-1), y_pred.max(initial=-1)) >= n_classes:
        raise ValueError(f"labels must be < n_classes={n_classes}")
    out = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(out, (y_true, y_pred), 1)
    return out


def plot_confusion_matrix(y_true: Any, y_pred: Any, class_names: Any = None, ax: Any = None, normalize: bool = False):
    """The confusion matrix as an annotated image.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_samples,)
    class_names : sequence of str, optional
        Tick labels (default: the class numbers).
    ax : matplotlib Axes, optional
    normalize : bool
        Show each row as shares of its true class instead of counts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    counts = confusion_matrix(y_true, y_pred, None if class_names is None else len(list(class_names)))
    n = counts.shape[0]
    names = [str(k) for k in range(n)] if class_names is None else [str(c) for c in class_names]
    values = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts
    fig, (axis,) = _figure(ax, figsize=(2.5 + 0.45 * max(n, 4), 2.0 + 0.45 * max(n, 4)))
    image = axis.imshow(values, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=axis, shrink=0.8)
    top = values.max() if values.size else 0
    if n <= 20:
        for i in range(n):
            for j in range(n):
                text = f"{values[i, j]:.2f}" if normalize else f"{int(values[i, j])}"
                axis.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if values[i, j] > top / 2 else "black",
                )
    axis.set_xticks(
        range(n),
        names,
        rotation=45 if max(map(len, names)) > 3 else 0,
        ha="right" if max(map(len, names)) > 3 else "center",
    )
    axis.set_yticks(range(n), names)
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    axis.set_title(f"Confusion matrix (accuracy {accuracy:.3f})")
    return fig


def plot_network(net, X: Any = None, ax: Any = None, max_neurons: int = 16):
    """The network as a diagram: weights as edge width and colour, activations as node colour.

    Parameters
    ----------
    net : Network
    X : array-like of shape (n_inputs,) or (1, n_inputs), optional
        One sample: node colours show its activations (inputs for the
        input layer, a for the others). Without it nodes are plain.
    ax : matplotlib Axes, optional
    max_neurons : int
        Layers larger than this show their first ``max_neurons`` neurons
        and a "+N more" mark.

    Returns
    -------
    matplotlib.figure.Figure
        Blue edges are positive weights, red negative; width grows with |w|.
    """
    from matplotlib.colors import Normalize
    from matplotlib.patches import Circle

    max_neurons = check_positive_int(max_neurons, "max_neurons")
    values = None
    if X is not None:
        sample = np.asarray(X, dtype=np.float64).reshape(1, -1) if np.ndim(X) == 1 else np.asarray(X, dtype=np.float64)
        if sample.shape != (1, net.n_inputs):
            raise ValueError(
                f"X must be one sample of {net.n_inputs} inputs, shape ({net.n_inputs},) or "
                f"(1, {net.n_inputs}); got {sample.shape}"
            )
        fwd = net.forward(net.check_X(sample, "X"))
        values = [np.asarray(a, dtype=np.float64)[0] for a in fwd.activations]
    sizes = net.sizes
    shown = [min(n, max_neurons) for n in sizes]
    gap = max(1.6, 0.5 * max(shown))  # columns apart, in neuron spacings
    width_units, height_units = gap * (len(sizes) - 1) + 1.4, max(shown) + 1.8
    inch = min(0.6, 9.0 / max(width_units, height_units))
    fig, (axis,) = _figure(
        ax,
        figsize=(max(4.0, inch * width_units + (1.2 if X is not None else 0.3)), max(3.0, inch * height_units + 0.4)),
    )

    def position(c, j):
        return gap * c, (max(shown) - 1) / 2.0 - (shown[c] - 1) / 2.0 + j

    scale = max((np.max(np.abs(layer.weights)) for layer in net.layers), default=1.0) or 1.0
    for l, layer in enumerate(net.layers):
        W = np.asarray(layer.weights, dtype=np.float64)
        for j in range(shown[l + 1]):
            for i in range(shown[l]):
                (x1, y1), (x2, y2) = position(l, i), position(l + 1, j)
                w = W[j, i]
                axis.plot(
                    [x1, x2],
                    [y1, y2],
                    color="#2563eb" if w >= 0 else "#dc2626",
                    linewidth=0.3 + 3.5 * abs(w) / scale,
                    alpha=0.75,
                    zorder=1,
                )
    cmap = __import__("matplotlib").colormaps["viridis"]
    norm = None
    if values is not None:
        everything = np.concatenate(values)
        norm = Normalize(
            vmin=float(everything.min()),
            vmax=float(everything.max()) if everything.max() > everything.min() else float(everything.min()) + 1.0,
        )
    for c, n in enumerate(shown):
        for j in range(n):
            x, y = position(c, j)
            face = "white" if values is None else cmap(norm(values[c][j]))
            axis.add_patch(Circle((x, y), 0.18, facecolor=face, edgecolor="black", linewidth=1.0, zorder=2))
        if sizes[c] > n:
            axis.text(gap * c, position(c, n - 1)[1] + 0.45, f"+{sizes[c] - n} more", ha="center", fontsize=8)
        name = "input" if c == 0 else f"layers[{c - 1}]\n{net.layers[c - 1].activation.name}"
        axis.text(gap * c, -0.45, name, ha="center", va="bottom", fontsize=9)
    if values is not None:
        from matplotlib.cm import ScalarMappable

        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axis, shrink=0.7, label="activation")
    axis.set_xlim(-0.7, gap * (len(sizes) - 1) + 0.7)
    axis.set_ylim(max(shown) - 0.3, -1.5)
    axis.set_aspect("equal")
    axis.axis("off")
    axis.set_title(f"Network {'-'.join(map(str, sizes))} (blue w > 0, red w < 0, width ∝ |w|)", fontsize=10)
    return fig


def save_training_plots(
    net, history, directory: str | os.PathLike, X: Any = None, y: Any = None, dpi: int = 100
) -> list[Path]:
    """Write the plots that apply as PNG files; returns their paths.

    ``history.png`` always; with data (X, integer labels y): ``confusion.png``
    for classifiers, ``boundary.png`` for 2-D inputs; ``network.png`` for
    networks of at most 64 neurons per layer.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []

    def save(fig, name):
        path = directory / name
        fig.savefig(path, dpi=dpi)
        written.append(path)

    save(plot_history(history), "history.png")
    classifier = net.loss_function.is_classification or net.n_outputs == 1
    if X is not None and y is not None:
        X = np.asarray(X)
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        integral = labels.ndim == 1 and np.all(labels == np.rint(labels))
        if classifier and integral:
            pred, _ = _class_scores(net, np.asarray(X, dtype=net.dtype))
            save(plot_confusion_matrix(np.rint(labels).astype(np.int64), pred), "confusion.png")
            if X.shape[1] == 2:
                save(plot_decision_boundary(net, X, labels), "boundary.png")
    if max(net.sizes) <= 64:
        sample = None if X is None else np.asarray(X, dtype=np.float64)[:1]
        save(plot_network(net, sample), "network.png")
    return written
