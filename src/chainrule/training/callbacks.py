"""Callbacks: code the fit loop runs at the start, after every epoch and at the end.

A callback subclasses :class:`Callback` and overrides what it needs:

- ``on_train_begin(net, history)`` before the first epoch;
- ``on_epoch_end(net, epoch, logs) -> bool`` after each epoch, with ``logs``
  holding ``loss`` (and ``accuracy``, ``val_loss``, ``val_accuracy`` when
  measured); returning ``True`` stops the training;
- ``on_train_end(net, history)`` after the last epoch;
- ``on_interrupt(net, history)`` instead of ``on_train_end`` when Ctrl-C
  stopped the training (after the batch in progress; ``history.interrupted``).

Callbacks with ``on_epoch_begin(net, epoch, n_batches)`` or
``on_batch_end(batch, loss, accuracy)`` (either or both) also hear about every
mini-batch epoch and every mini-batch (the progress bar has both); the fit loop
makes no per-batch call when no such callback is given.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

import numpy as np

from .._live import live_html
from .._validation import as_float_array, check_positive_float, check_positive_int

__all__ = ["Callback", "Checkpoint", "EarlyStopping", "ProgressBar", "Report", "Snapshots"]


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, net, history) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, net, epoch: int, logs: dict[str, float]) -> bool | None:
        """Called after each epoch; return ``True`` to stop training."""
        return None

    def on_train_end(self, net, history) -> None:
        """Called once after the last epoch (also after an early stop)."""

    def on_interrupt(self, net, history) -> None:
        """Called instead of :meth:`on_train_end` when Ctrl-C stopped the training."""


class EarlyStopping(Callback):
    """Stop when the validation loss has not improved for ``patience`` epochs, and keep the best weights.

    Parameters
    ----------
    patience : int >= 1
        Epochs without improvement tolerated before stopping.
    min_delta : float >= 0
        An improvement must lower the validation loss by more than this.
    restore_best : bool
        At the end of training, put back the weights of the epoch with the
        lowest validation loss (``history.best_epoch``).

    Examples
    --------
    >>> import chainrule as cr
    >>> X, Y = cr.datasets.xor()
    >>> net = cr.Network([2, 3, 1], seed=0)
    >>> h = net.fit(X, Y, epochs=50, learning_rate=1.0, validation_data=(X, Y),
    ...             callbacks=[cr.callbacks.EarlyStopping(patience=3)])
    >>> h.best_epoch is not None
    True
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, restore_best: bool = True):
        self.patience = check_positive_int(patience, "patience")
        self.min_delta = check_positive_float(min_delta, "min_delta", allow_zero=True)
        self.restore_best = bool(restore_best)

    def on_train_begin(self, net, history):
        self.best_loss = np.inf
        self.best_epoch = None
        self.best_parameters: list[np.ndarray] | None = None
        self.waited = 0

    def on_epoch_end(self, net, epoch, logs):
        if "val_loss" not in logs:
            raise ValueError("EarlyStopping needs validation_data=(X_val, Y_val) in fit to watch val_loss")
        val_loss = logs["val_loss"]
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss = val_loss
            self.best_epoch = epoch
            self.best_parameters = [p.copy() for p in net.parameters()]
            self.waited = 0
            return False
        self.waited += 1
        return self.waited >= self.patience

    def on_train_end(self, net, history):
        history.best_epoch = self.best_epoch
        if self.restore_best and self.best_parameters is not None:
            for p, best in zip(net.parameters(), self.best_parameters):
                p[...] = best


class Checkpoint(Callback):
    """Save the network every ``every`` epochs (and after the last epoch) with ``net.save``.

    Parameters
    ----------
    path : str or os.PathLike
        Where to save; ``{epoch}`` in it is replaced by the number of epochs
        trained so far (``net.epochs_trained_``), so each checkpoint gets
        its own file; without it each save replaces the previous one
        (atomically).
    every : int >= 1
        Save after every ``every``-th epoch of the network.

    When Ctrl-C stops the training, the network is saved as it is (maybe in
    the middle of an epoch), with ``{epoch}`` replaced by
    ``"{epochs_trained_}-interrupted"`` so that no epoch's checkpoint is
    overwritten; ``saved[-1]`` is that file.
    """

    def __init__(self, path: str | os.PathLike, every: int = 1):
        self.path = os.fspath(path)
        self.every = check_positive_int(every, "every")
        self.saved: list[str] = []

    def _save(self, net) -> None:
        path = self.path.replace("{epoch}", str(net.epochs_trained_))
        net.save(path)
        if not self.saved or self.saved[-1] != path:
            self.saved.append(path)

    def on_epoch_end(self, net, epoch, logs):
        if net.epochs_trained_ % self.every == 0:
            self._save(net)
        return False

    def on_train_end(self, net, history):
        if history.epochs and net.epochs_trained_ % self.every != 0:
            self._save(net)

    def on_interrupt(self, net, history):
        path = self.path.replace("{epoch}", f"{net.epochs_trained_}-interrupted")
        net.save(path)
        self.saved.append(path)


class Report(Callback):
    """Hand each epoch's measurements to a function: ``report({"epoch": e, "loss": ..., "val_loss": ...})``.

    The bridge to a tuner that watches the training: with Ray Tune's function
    API, ``callbacks=[Report(ray.tune.report)]`` reports every epoch's loss
    and validation loss, and an early-stopping scheduler (ASHA, median
    stopping) ends the trials that fall behind. A ``report`` that returns
    ``True`` stops the training (as a callback's ``on_epoch_end`` does).

    Parameters
    ----------
    report : callable
        Called with a new dict after every epoch: ``epoch`` (the network's
        epoch index, 0-based) and every entry of the epoch's logs (``loss``,
        and ``accuracy``, ``val_loss``, ``val_accuracy`` when measured).

    Examples
    --------
    >>> import chainrule as cr
    >>> X, Y = cr.datasets.xor()
    >>> seen = []
    >>> h = cr.Network([2, 3, 1], seed=0).fit(X, Y, epochs=3, callbacks=[cr.callbacks.Report(seen.append)])
    >>> [sorted(m) for m in seen][0], [m["epoch"] for m in seen]
    (['epoch', 'loss'], [0, 1, 2])
    """

    def __init__(self, report):
        if not callable(report):
            raise TypeError(f"report must be a function taking a dict of metrics; got {type(report).__name__}")
        self.report = report

    def on_epoch_end(self, net, epoch, logs):
        return bool(self.report({"epoch": epoch, **logs}))


class ProgressBar(Callback):
    """A bar per epoch with the running loss and accuracy; a summary line at its end.

    On a terminal the bar is redrawn in place (at most ~10 times a second);
    elsewhere (a file, a pipe, CI logs) only the summary line of each epoch
    is written. ``fit(progress=True)`` adds one writing to standard error.

    Parameters
    ----------
    stream : file object, optional
        Where to write (default ``sys.stderr``).
    width : int
        Characters of the bar.
    every : int >= 1
        Write the summary line of every ``every``-th epoch only (and of the
        last): a thousand epochs of a toy set need not be a thousand lines.
    """

    def __init__(self, stream: TextIO | None = None, width: int = 30, every: int = 1):
        self.stream = stream
        self.width = check_positive_int(width, "width")
        self.every = check_positive_int(every, "every")
        self.pending: str | None = None
        self.seen = 0

    def _out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stderr

    def on_train_begin(self, net, history):
        self.epoch_start = time.perf_counter()
        self.pending, self.seen = None, 0
        self.n_batches = 1
        self.last_draw = 0.0
        stream = self._out()
        self.live = bool(getattr(stream, "isatty", lambda: False)())

    def on_epoch_begin(self, net, epoch, n_batches):
        self.epoch_start = time.perf_counter()
        self.n_batches = n_batches

    def on_batch_end(self, batch, loss, accuracy):
        if not self.live:
            return
        now = time.perf_counter()
        if now - self.last_draw < 0.1 and batch + 1 < self.n_batches:
            return
        self.last_draw = now
        done = (batch + 1) / self.n_batches
        filled = int(round(done * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        self._out().write(f"\r[{bar}] {batch + 1}/{self.n_batches} loss {loss:.4f} acc {accuracy:.4f}")
        self._out().flush()

    def on_epoch_end(self, net, epoch, logs):
        seconds = time.perf_counter() - self.epoch_start
        parts = [f"epoch {epoch + 1}"] + [f"{key} {value:.4f}" for key, value in logs.items()]
        line = "  ".join(parts) + f"  {seconds:.1f}s"
        self.seen += 1
        self.pending = line
        if self.seen % self.every == 0:
            self._write_pending()
        elif self.live:  # the bar of an epoch whose line is not kept: cleared
            self._out().write("\r\x1b[2K")
            self._out().flush()
        self.epoch_start = time.perf_counter()
        return False

    def _write_pending(self) -> None:
        if self.pending is None:
            return
        stream = self._out()
        stream.write(("\r\x1b[2K" if self.live else "") + self.pending + "\n")
        stream.flush()
        self.pending = None

    def on_train_end(self, net, history):
        self._write_pending()  # the last epoch's line, always

    def on_interrupt(self, net, history):
        self._write_pending()


class Snapshots(Callback):
    """Record a 2-D network's decision surface at chosen epochs: the frames of the live view of training.

    Before the first epoch, after every ``every``-th epoch and after the
    last one, a snapshot keeps the network's outputs on a ``grid`` × ``grid``
    grid over the points ``X`` (with a margin), its outputs on ``X`` itself,
    a copy of every weight and bias, and the epoch's logs (the loss, ...);
    the training loss of every epoch is kept too (``curve``). Memory is
    bounded: when a snapshot would make more than ``max_snapshots``, every
    other one is dropped and ``every`` doubles, so at most
    ``max_snapshots`` × (grid² + n_samples) × n_outputs outputs and
    ``max_snapshots`` copies of the parameters are held, however long the
    training.

    In Jupyter a ``Snapshots`` shows itself as the live view (the boundary
    and the loss curve over the epochs, a slider and Play/Pause, a click on
    a point gives its prediction, the snapshot's weights beside it);
    ``report_html(net, history, snapshots=...)`` puts the same view in the
    training report page.

    Parameters
    ----------
    X : array-like of shape (n_samples, 2)
        The points shown (usually the training inputs); the grid covers them.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
        Their targets (class labels, one-hot rows or values), the points' colours.
    every : int >= 1
        Epochs between snapshots.
    grid : int >= 2
        Grid points per axis.
    max_snapshots : int >= 3
        The most snapshots kept (the first, before training, always is).
    margin : float >= 0
        The grid reaches this fraction of the points' range beyond them on each side.

    Attributes
    ----------
    epochs : list of int
        Epochs trained at each snapshot (0: before training).
    logs : list of dict
        The epoch's logs at each snapshot (empty before training).
    surface : list of ndarray of shape (grid, grid, n_outputs)
        ``surface[k][i, j]`` is the output at ``(xs[j], ys[i])``.
    predictions : list of ndarray of shape (n_samples, n_outputs)
    parameters : list of list of ndarray
        Copies of ``net.parameters()`` (names in ``parameter_names``).
    curve : list of float
        The training loss after each epoch.
    xs, ys : ndarray of shape (grid,)

    Examples
    --------
    >>> import chainrule as cr
    >>> X, Y = cr.datasets.xor()
    >>> snaps = cr.callbacks.Snapshots(X, Y, every=10, grid=5)
    >>> h = cr.Network([2, 2, 1], seed=0).fit(X, Y, epochs=25, learning_rate=1.0, callbacks=[snaps])
    >>> snaps.epochs, snaps.surface[0].shape, len(snaps.curve)
    ([0, 10, 20, 25], (5, 5, 1), 25)
    """

    def __init__(
        self,
        X,
        y=None,
        every: int = 1,
        grid: int = 41,
        max_snapshots: int = 100,
        margin: float = 0.15,
    ):
        self.X = as_float_array(X, "X", np.dtype(np.float64))
        if self.X.shape[1] != 2:
            raise ValueError(
                f"Snapshots draws a 2-D decision surface: X must have 2 columns; got shape {self.X.shape} "
                "(for more inputs, plot a 2-D projection yourself)"
            )
        self.y = None
        if y is not None:
            self.y = as_float_array(y, "y", np.dtype(np.float64), ndim=None)
            if self.y.ndim not in (1, 2) or self.y.shape[0] != self.X.shape[0]:
                raise ValueError(
                    f"y must have one target (or one row) per point of X ({self.X.shape[0]}); got shape {self.y.shape}"
                )
        self.every = check_positive_int(every, "every")
        self.grid = check_positive_int(grid, "grid", minimum=2)
        self.max_snapshots = check_positive_int(max_snapshots, "max_snapshots", minimum=3)
        self.margin = check_positive_float(margin, "margin", allow_zero=True)
        low, high = self.X.min(axis=0), self.X.max(axis=0)
        pad = np.where(high > low, high - low, 1.0) * self.margin
        pad = np.where(pad > 0, pad, 0.5)
        self.xs = np.linspace(low[0] - pad[0], high[0] + pad[0], self.grid)
        self.ys = np.linspace(low[1] - pad[1], high[1] + pad[1], self.grid)
        gx, gy = np.meshgrid(self.xs, self.ys)
        self._grid_points = np.column_stack([gx.ravel(), gy.ravel()])
        self._reset()

    def _reset(self) -> None:
        self.epochs: list[int] = []
        self.logs: list[dict[str, float]] = []
        self.surface: list[np.ndarray] = []
        self.predictions: list[np.ndarray] = []
        self.parameters: list[list[np.ndarray]] = []
        self.parameter_names: list[str] = []
        self.curve: list[float] = []
        self.step = self.every

    def __len__(self) -> int:
        return len(self.epochs)

    def __repr__(self) -> str:
        span = f", epochs {self.epochs[0]} to {self.epochs[-1]}" if self.epochs else ""
        return f"<Snapshots: {len(self)} of a {self.grid}×{self.grid} grid{span}, every {self.step} epochs>"

    def _thin(self) -> None:
        """Keep the first snapshot and every other one; snapshots now come every ``2 * step`` epochs."""
        self.epochs = self.epochs[::2]
        self.logs = self.logs[::2]
        self.surface = self.surface[::2]
        self.predictions = self.predictions[::2]
        self.parameters = self.parameters[::2]
        self.step *= 2

    def _due(self, epochs_trained: int) -> bool:
        return (epochs_trained - self.epochs[0]) % self.step == 0

    def _take(self, net, logs: dict[str, float]) -> None:
        outputs = net.predict(self._grid_points.astype(net.dtype, copy=False))
        self.surface.append(np.asarray(outputs, dtype=np.float64).reshape(self.grid, self.grid, -1))
        self.predictions.append(np.asarray(net.predict(self.X.astype(net.dtype, copy=False)), dtype=np.float64))
        self.parameters.append([np.array(p, dtype=np.float64) for p in net.parameters()])
        self.epochs.append(int(net.epochs_trained_))
        self.logs.append({key: float(value) for key, value in logs.items()})

    def on_train_begin(self, net, history):
        if net.n_inputs != 2:
            raise ValueError(f"Snapshots draws a 2-D decision surface: this network has {net.n_inputs} inputs, not 2")
        self._reset()
        self.parameter_names = list(net.parameter_names())
        self._last_logs: dict[str, float] = {}
        self._take(net, {})

    def on_epoch_end(self, net, epoch, logs):
        self.curve.append(float(logs["loss"]))
        self._last_logs = dict(logs)
        if self._due(net.epochs_trained_):
            if len(self.epochs) >= self.max_snapshots:
                self._thin()
            if self._due(net.epochs_trained_):
                self._take(net, logs)
        return False

    def _finish(self, net) -> None:
        """The last epoch's snapshot, when it was not one of the regular ones."""
        if self.epochs and self.epochs[-1] != net.epochs_trained_:
            if len(self.epochs) >= self.max_snapshots:
                self._thin()
            self._take(net, self._last_logs)

    def on_train_end(self, net, history):
        self._finish(net)

    def on_interrupt(self, net, history):
        self._finish(net)

    def _repr_html_(self) -> str:
        """Jupyter's rendering: the live view (boundary and loss over the epochs, slider, Play/Pause)."""
        return live_html(self)
