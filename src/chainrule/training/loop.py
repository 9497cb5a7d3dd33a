"""The fit loop: epochs, batches, shuffling, validation, callbacks and the History it returns.

One training step is :func:`train_step`: forward, backward, optimiser
update. ``Network.fit`` and ``Network.explain`` both run it, so a recorded
step and a training step can never disagree.

float32 training (and any training with dropout) passes the same step a
:class:`~chainrule.core.network.Workspace`: the same code then writes every z, a
and δ into arrays allocated once per ``fit`` and reused by every batch.

Data-parallel training (:mod:`chainrule.distributed`) runs this same loop in
every process, given a ``collective``: an object with ``n_samples`` (the rows
of the whole data set), ``local_rows(rows)`` (this process's rows of a global
batch, as indices into its shard), ``gradient(net, X, Y, work, weights)`` (the
step's forward and backward passes, the gradient summed over the processes)
and ``sum(*numbers)`` (a tuple of sums over the processes).
"""

from __future__ import annotations

import math
import os
import signal
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._svg import svg_curves
from .._validation import check_float_in, check_positive_float, check_positive_int, lookup
from ..core.losses import Loss
from ..core.network import Workspace
from ..errors import TrainingDiverged, TrainingWarning
from . import kernels, lbfgs, tiny
from .callbacks import EarlyStopping, ProgressBar
from .optimizers import OPTIMIZERS, WEIGHT_DECAY_ON, Optimizer, get_optimizer

#: The learning rate of an optimiser given by name when ``fit`` is given none.
DEFAULT_LEARNING_RATE = 0.1

# The advice fit gives (a TrainingWarning each, once per call; fit(warn=False) silences them):
#: a training loss that grows by more than this factor over the first epochs: the steps are too big;
LOSS_GROWTH_FACTOR = 10.0
#: ... measured over this many first epochs of one fit call;
LOSS_GROWTH_EPOCHS = 5
#: an input column whose root-mean-square is above this: far from unit scale, which the init assumes;
INPUT_SCALE_LIMIT = 10.0
#: the default full batch (batch_size=None) on more samples than this: one step per epoch.
FULL_BATCH_LIMIT = 10_000

__all__ = [
    "FULL_BATCH_LIMIT",
    "INPUT_SCALE_LIMIT",
    "LOSS_GROWTH_EPOCHS",
    "LOSS_GROWTH_FACTOR",
    "History",
    "evaluate",
    "train",
    "train_step",
]

#: Rows per chunk when fit measures the validation data (buffers kept for the whole fit).
_VALIDATION_CHUNK = 1024


@dataclass
class History:
    """What one call of ``fit`` measured, one entry per epoch.

    Attributes
    ----------
    epochs : list of int
        The network's epoch index (0-based, counting earlier ``fit`` calls).
    loss : list of float
        The training loss of each epoch: for full batch, the loss of the
        forward pass before that epoch's update (what a hand-worked tutorial prints); for
        mini-batches, the mean (or, with ``reduction="sum"``, the sum) of
        the batch losses, each measured before its own update.
    accuracy : list of float
        For classifiers (``cross_entropy``, ``binary_cross_entropy``): the
        share of training samples classified right, measured like ``loss``.
        Empty for regression losses.
    val_loss, val_accuracy : list of float
        Loss and accuracy on ``validation_data`` after each epoch (empty
        without validation data; ``val_accuracy`` also for regression).
    learning_rate : list of float
        The learning rate each epoch used (it changes with a schedule).
    stopped_early : bool
        Whether early stopping ended the training before ``epochs``.
    best_epoch : int or None
        With early stopping, the epoch (network index) whose weights were kept.
    interrupted : bool
        Whether Ctrl-C (SIGINT, KeyboardInterrupt) or SIGTERM stopped the
        training: the lists hold the epochs completed before it.
    interrupt_signal : int or None
        The signal that stopped it (``signal.SIGINT`` also for a
        KeyboardInterrupt raised by code), None when not interrupted.
    converged, message, n_fun : bool or None, str, int
        For ``optimizer="lbfgs"``, whose epochs are its iterations and whose
        ``loss`` is the objective it minimises (the loss plus ½·λ·‖p‖² with
        ``weight_decay``, measured after each iteration, as is ``accuracy``): whether a tolerance
        stopped it (not ``max_iter``, ``max_fun`` or a line search that
        failed), SciPy's reason, and the number of evaluations of the objective.
        ``None``, ``""`` and 0 for gradient descent; ``learning_rate`` is then empty.
    """

    epochs: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    stopped_early: bool = False
    best_epoch: int | None = None
    interrupted: bool = False
    converged: bool | None = None
    message: str = ""
    n_fun: int = 0
    interrupt_signal: int | None = None

    def __len__(self) -> int:
        return len(self.loss)

    def __repr__(self) -> str:
        last = f", last loss={self.loss[-1]:.6g}" if self.loss else ""
        return f"History({len(self)} epochs{last})"

    def _repr_html_(self) -> str:
        """Jupyter's rendering: the loss (and accuracy) curves as inline SVG, the report page's drawing."""
        plots = [svg_curves({"train": self.loss, "validation": self.val_loss}, "Loss", "loss", 440, 260)]
        if self.accuracy or self.val_accuracy:
            plots.append(
                svg_curves({"train": self.accuracy, "validation": self.val_accuracy}, "Accuracy", "accuracy", 440, 260)
            )
        flags = [name for name in ("stopped_early", "interrupted") if getattr(self, name)]
        status = f" ({', '.join(flags).replace('_', ' ')})" if flags else ""
        return (
            f'<div class="chainrule-history"><p>{self!r}{status}</p>'
            f'<div style="display: flex; flex-wrap: wrap; gap: 8px">{"".join(plots)}</div></div>'
        )


def train_step(
    net,
    optimizer: Optimizer,
    X: np.ndarray,
    Y: np.ndarray,
    work: Workspace | None = None,
    weights: np.ndarray | None = None,
    check_finite: bool = False,
    collective: Any = None,
):
    """One step of gradient descent on a batch; returns (forward pass, backward pass).

    X (n_samples, n_inputs) and Y (n_samples, n_outputs) are already
    checked arrays of the network's dtype (Y may be class labels (n_samples,),
    see :meth:`~chainrule.core.network.Network.backward`). The optimiser updates the
    network's flat parameter vector from its flat gradient vector, of which
    ``layers[i].weights``/``.bias`` and ``back.grads`` are views. With a
    ``work`` space, the arrays of the passes are its buffers (overwritten
    by the next step) and its dropout applies. ``weights`` (n_samples,)
    multiply each sample's loss. With ``check_finite``, a loss or a gradient
    that is not finite (or whose squared norm overflows) raises
    ``_NonFinite`` before the update, leaving the parameters untouched, and
    parameters or optimiser state that the update made non-finite raise it
    after (see :func:`updated_values_finite`).
    With a ``collective``, X and Y are this process's rows of the batch
    (maybe none) and the gradient and loss are the whole batch's.
    """
    if collective is None:
        fwd = net.forward(X, work)
        back = net.backward(fwd, Y, work, weights)
    else:
        fwd, back = collective.gradient(net, X, Y, work, weights)
    if check_finite:
        g = net.grads  # ‖g‖² is finite iff every element is and none is beyond ~1e154 (float64)
        if not (math.isfinite(back.loss) and math.isfinite(np.dot(g, g))):
            raise _NonFinite(back.loss)
    if getattr(optimizer, "weight_decay", 0.0) and getattr(optimizer, "weight_decay_on", "all") == "weights":
        # the flat vector mixes weights and biases: the mask says which is which
        finite = optimizer.step([net.params], [net.grads], [net.weight_mask])
    else:
        finite = optimizer.step([net.params], [net.grads])
    # The built-in optimisers check what they wrote in the update's own pass (kernels.py) and say so;
    # a user's optimiser whose step returns nothing gets the separate pass.
    if check_finite and (finite is False or (finite is None and not updated_values_finite(net.params, optimizer))):
        raise _NonFinite(back.loss, "update")
    return fwd, back


def updated_values_finite(params: np.ndarray, optimizer: Optimizer) -> bool:
    """Whether the parameters (n_parameters,) and every state array of ``optimizer`` are finite after an update.

    One summing pass over each vector, which reads it once and allocates
    nothing: a sum is NaN or infinite when an element is. Only when a sum is
    not finite (an element is not, or finite values too large sum past the
    dtype's range) are the elements looked at one by one, so the answer is
    exact. The built-in optimisers fold the same check into their update
    (their ``step`` returns it); the fit loop calls this one for an optimiser
    whose ``step`` returns None, under
    ``np.errstate(over="ignore", invalid="ignore")`` (a sum that overflows is
    an answer here, not a warning).
    """
    total = float(np.add.reduce(params))
    arrays = list(optimizer.get_state()[1].values())
    for value in arrays:
        total += float(np.add.reduce(value, axis=None))
    if math.isfinite(total):
        return True
    return bool(np.isfinite(params).all()) and all(bool(np.isfinite(value).all()) for value in arrays)


# -- divergence and interruption -------------------------------------------------


class _NonFinite(Exception):
    """A step found a loss, gradient or update that is not finite (internal: fit raises TrainingDiverged).

    ``cause`` is ``"loss"`` (before the update, nothing changed) or ``"update"``
    (after it: the parameters or the optimiser's state are no longer finite).
    """

    def __init__(self, loss: float, cause: str = "loss"):
        super().__init__(loss)
        self.loss = loss
        self.cause = cause


class _Snapshot:
    """The parameters and the optimiser's state at the last epoch boundary, to fall back on."""

    def __init__(self, net, optimizer: Optimizer):
        self.net, self.optimizer = net, optimizer
        self.vector = np.empty_like(net.params)
        self.state: dict[str, np.ndarray] = {}
        self.in_epoch = False  # whether an epoch has started and not finished

    def take(self) -> None:
        # Once per epoch, so once per step in full-batch training: kept lean.
        np.copyto(self.vector, self.net.params)
        self.counters, state = self.optimizer.get_state()  # counters: a fresh dict
        if not state and not self.state:
            return
        kept, self.state = self.state, {}
        for key, value in state.items():
            copy = kept.get(key)
            if copy is None or copy.shape != value.shape or copy.dtype != value.dtype:
                copy = value.copy()
            else:
                np.copyto(copy, value)
            self.state[key] = copy

    def restore(self) -> None:
        self.net.params[...] = self.vector
        self.optimizer.set_state(self.counters, self.state)


class _InterruptRequest:
    """Turns Ctrl-C (SIGINT) and SIGTERM into a request the fit loop honours after the current batch.

    SIGTERM is what ``kill``, Docker, systemd and Slurm send: it is treated
    as Ctrl-C is. Each handler is installed only in the main thread and only
    over the signal's default (Python's KeyboardInterrupt for SIGINT, the
    system's for SIGTERM); a second signal while a request is pending acts
    at once, as usual (KeyboardInterrupt, or the end of the process).
    ``signum`` is the signal that asked.
    """

    _SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self):
        self.requested = False
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def _handler(self, signum, frame):
        if self.requested:
            if signum == signal.SIGINT:
                signal.default_int_handler(signum, frame)
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.requested = True
        self.signum = signum

    def __enter__(self):
        if threading.current_thread() is not threading.main_thread():
            return self
        for name in self._SIGNALS:
            number = getattr(signal, name, None)
            if number is None:
                continue
            default = signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL
            if signal.getsignal(number) is default:
                self._previous[number] = signal.signal(number, self._handler)
        return self

    def __exit__(self, *exc_info):
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        return False


def resolve_optimizer(net, optimizer: Any, learning_rate: float, **options: Any) -> Optimizer:
    """The optimiser a ``fit`` call uses.

    An instance is used as it is. A name gives the network's own optimiser,
    continued with its state (momentum, moments, step count), when the name
    and every setting but the learning rate are the same as before; a new
    learning rate is then set on it, as changing ``lr`` in a
    ``torch.optim`` param group does. Otherwise a new optimiser starts.
    """
    if isinstance(optimizer, Optimizer):
        chosen = optimizer
    else:
        fresh = get_optimizer(optimizer, learning_rate, **options)
        kept = net.optimizer_
        chosen = fresh
        if kept is not None and _settings(kept) == _settings(fresh):
            kept.set_learning_rate(fresh.learning_rate)
            chosen = kept
    net.optimizer_ = chosen
    return chosen


def _settings(optimizer: Optimizer) -> dict[str, Any]:
    """An optimiser's config without its learning rate."""
    return {k: v for k, v in optimizer.get_config().items() if k != "learning_rate"}


def _n_correct(a: np.ndarray, Y: np.ndarray, loss: Loss, weights: np.ndarray | None = None) -> float:
    """How many rows of the output a (n, k) classify their target (row of Y or label) right (Σ of weights, if given)."""
    hits = loss.hits(a, Y)
    return int(np.count_nonzero(hits)) if weights is None else float(weights @ hits)


def evaluate(
    net,
    X: np.ndarray,
    Y: np.ndarray,
    batch_size: int = 4096,
    work: Workspace | None = None,
    weights: np.ndarray | None = None,
) -> tuple[float, float]:
    """(loss, accuracy) of ``net`` on checked arrays X, Y, by chunks of ``batch_size`` rows.

    The loss is reduced as the network's ``reduction`` says; the accuracy
    is the share of rows whose predicted class is the target's (argmax for
    ``cross_entropy``, a > 0.5 per output otherwise), for any loss. With
    ``weights`` (n,), each row's loss is multiplied by its weight (as in
    ``fit``) and the accuracy is Σ w·hit / Σ w. A ``work`` space without
    dropout, of at least ``min(batch_size, n)`` rows, holds the chunks' z
    and a (the fit loop reuses one every epoch, so validation allocates
    nothing big).
    """
    total = 0.0
    correct = 0.0
    loss_fn = net.loss_function
    n = X.shape[0]
    for start in range(0, n, batch_size):
        rows = slice(start, start + batch_size)
        fwd = net.forward(X[rows], work)
        z, a, y = fwd.zs[-1], fwd.activations[-1], Y[rows]
        if weights is None:
            total += loss_fn.value(z, a, y)
            correct += _n_correct(a, y, loss_fn)
        else:
            total += float(loss_fn.per_sample(z, a, y) @ weights[rows])
            correct += _n_correct(a, y, loss_fn, weights[rows])
    return total * net.batch_scale(n), correct / (n if weights is None else float(weights.sum()))


# -- the fit loop -------------------------------------------------------------


def _check_validation(net, validation_data: Any):
    if validation_data is None:
        return None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise TypeError(
            f"validation_data must be a pair (X_val, Y_val) or a triple (X_val, Y_val, sample_weight_val); "
            f"got {type(validation_data).__name__}"
        )
    Xv = net.check_X(validation_data[0], "validation_data[0]")
    Yv = net.check_Y(validation_data[1], Xv.shape[0], "validation_data[1]", labels=True)
    wv = None
    if len(validation_data) == 3 and validation_data[2] is not None:
        wv = net.check_sample_weight(validation_data[2], Xv.shape[0], "validation_data[2]")
    return Xv, Yv, wv


def train(
    net,
    X: Any,
    Y: Any,
    *,
    epochs: int = 1,
    learning_rate: float | None = None,
    batch_size: int | None = None,
    shuffle: bool = True,
    optimizer: Any = "sgd",
    verbose: int = 0,
    validation_data: Any = None,
    dropout: float = 0.0,
    weight_decay: float | None = None,
    weight_decay_on: str | None = None,
    schedule: Any = None,
    early_stopping: int | None = None,
    callbacks: Sequence[Any] = (),
    progress: bool | int = False,
    sample_weight: Any = None,
    max_iter: int | None = None,
    max_fun: int | None = None,
    tol: float | None = None,
    collective: Any = None,
    warn: bool = True,
) -> History:
    """Train ``net`` in place; see :meth:`chainrule.Network.fit` for the arguments.

    ``collective``: for :mod:`chainrule.distributed` (see the module's docstring); X and Y are then this
    process's shard.
    """

    if not isinstance(warn, (bool, np.bool_)):
        raise TypeError(f"warn must be True or False; got {type(warn).__name__} {warn!r}")
    # The input-scale advice sums each column's squares, finite only if X is: that pass is then X's finite check
    # too (one pass over a data set instead of two); a NaN or inf (or a square past the dtype) checks element-wise.
    # An integer X (kept by check_X for a network with input_scale) is finite and needs no such pass.
    advise = bool(warn) and not (isinstance(optimizer, str) and optimizer.strip().lower() == "lbfgs")
    X = net.check_X(X, finite=not advise)
    squares = _column_squares(X) if advise and X.dtype.kind == "f" else None
    if squares is not None and not np.isfinite(squares).all():
        X = net.check_X(X)  # raises for a NaN or an inf
    Y = net.check_Y(Y, X.shape[0], labels=True)  # class labels stay labels: no one-hot matrix of the data set
    weights = None if sample_weight is None else net.check_sample_weight(sample_weight, X.shape[0])
    epochs = check_positive_int(epochs, "epochs", minimum=0)
    if not isinstance(optimizer, Optimizer):
        lookup({**OPTIMIZERS, "lbfgs": None}, optimizer, "optimizer")  # a bad name lists them all
    if isinstance(optimizer, str) and optimizer.strip().lower() == "lbfgs":
        return _train_lbfgs(
            net,
            X,
            Y,
            weights,
            epochs=epochs,
            options={
                "learning_rate": learning_rate,
                "batch_size": batch_size,
                "dropout": dropout,
                "schedule": schedule,
                "early_stopping": early_stopping,
                "progress": progress,
                "collective": collective,  # data-parallel L-BFGS is not supported: refused with the others
            },
            verbose=check_positive_int(verbose, "verbose", minimum=0),
            validation=_check_validation(net, validation_data),
            callbacks=list(callbacks),
            max_iter=200 if max_iter is None else check_positive_int(max_iter, "max_iter"),
            max_fun=15000 if max_fun is None else check_positive_int(max_fun, "max_fun"),
            tol=1e-4 if tol is None else check_positive_float(tol, "tol", allow_zero=True),
            weight_decay=0.0 if weight_decay is None else check_positive_float(weight_decay, "weight_decay", True),
            weight_decay_on=lookup(
                {k: k for k in WEIGHT_DECAY_ON},
                "all" if weight_decay_on is None else weight_decay_on,
                "weight_decay_on",
            ),
        )
    given = [name for name, value in (("max_iter", max_iter), ("max_fun", max_fun), ("tol", tol)) if value is not None]
    if given:
        raise ValueError(
            f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for optimizer='lbfgs'; "
            "gradient descent runs `epochs` epochs (stop it earlier with early_stopping or a callback)"
        )
    if isinstance(optimizer, Optimizer) and learning_rate is not None:
        raise ValueError(
            f"learning_rate is for an optimizer given by name; the {type(optimizer).__name__} instance has its own "
            f"(learning_rate={optimizer.learning_rate:g}): set it there, or pass optimizer={optimizer.name!r}"
        )
    learning_rate = DEFAULT_LEARNING_RATE if learning_rate is None else learning_rate
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False; got {type(shuffle).__name__} {shuffle!r}")
    verbose = check_positive_int(verbose, "verbose", minimum=0)
    dropout = check_float_in(dropout, "dropout", 0.0, 1.0)
    if weight_decay is not None:
        weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)
    validation = _check_validation(net, validation_data)
    callbacks = list(callbacks)
    if early_stopping is not None:
        patience = check_positive_int(early_stopping, "early_stopping")
        if validation is None:
            raise ValueError("early_stopping needs validation_data=(X_val, Y_val) to watch the validation loss")
        callbacks.append(EarlyStopping(patience=patience))
    if progress:
        every = 1 if progress is True else check_positive_int(progress, "progress")
        callbacks.append(ProgressBar(every=every))
    if isinstance(optimizer, Optimizer) and (
        weight_decay is not None or weight_decay_on is not None or schedule is not None
    ):
        raise ValueError(
            "weight_decay, weight_decay_on and schedule are for an optimizer given by name; "
            f"set them on the {type(optimizer).__name__} instance instead"
        )
    opt = resolve_optimizer(
        net,
        optimizer,
        learning_rate,
        weight_decay=weight_decay,
        weight_decay_on=weight_decay_on,
        schedule=schedule,
    )

    n = X.shape[0]
    full_batch = batch_size is None or batch_size >= (n if collective is None else collective.n_samples)
    if advise:
        _warn_about_inputs(X, batch_size is None, epochs, squares, net.input_scale)
    # float32 and dropout training reuse buffers; the tiny float64 networks
    # of hand-worked examples are faster without (a view per array costs more than it saves).
    work = (
        Workspace(
            net,
            n if full_batch or batch_size is None else batch_size,
            dropout,
            gather=not full_batch,
            labels=Y.ndim == 1,
            x_dtype=X.dtype,  # uint8 rows stay uint8 (input_scale): the forward pass scales each batch
        )
        if (net.dtype == np.float32 or dropout)
        else None
    )
    if work is not None:  # the compiled element-wise passes where the update takes the compiled kernels
        work.passes = kernels.engine_passes(net.n_parameters, net.dtype)
    # The per-batch hooks, each called where a callback has it (one may have either or both): a list of
    # (on_epoch_begin or None, on_batch_end or None) per such callback; empty, no per-batch call at all.
    bars = [
        (getattr(cb, "on_epoch_begin", None), getattr(cb, "on_batch_end", None))
        for cb in callbacks
        if hasattr(cb, "on_epoch_begin") or hasattr(cb, "on_batch_end")
    ]
    history = History()
    for cb in callbacks:
        cb.on_train_begin(net, history)
    snapshot = _Snapshot(net, opt)
    val_work = (
        None
        if validation is None
        else Workspace(net, min(_VALIDATION_CHUNK, validation[0].shape[0]), 0.0, gather=False)
    )
    # Overflow is not warned about: a loss or gradient it makes non-finite raises TrainingDiverged.
    with _InterruptRequest() as interrupt, np.errstate(over="ignore", invalid="ignore"):
        run = _Run(
            net,
            opt,
            X,
            Y,
            weights,
            batch_size,
            bool(shuffle),
            full_batch,
            work,
            callbacks,
            bars,
            history,
            validation,
            val_work,
            verbose,
            snapshot,
            interrupt,
            bool(warn),
            collective,
            first_iteration=_iterations(opt),
        )
        try:
            (_compiled_epochs if _compiles(run, epochs) else _epochs)(run, epochs)
        except KeyboardInterrupt:
            # Raised inside a step (not by Ctrl-C, which waits for the batch to end):
            # go back to the start of the unfinished epoch, a consistent state.
            if snapshot.in_epoch:
                snapshot.restore()
                net.epoch_progress_ = run.progress_at_start
            interrupt.requested = True
            interrupt.signum = interrupt.signum or signal.SIGINT
    if interrupt.requested:
        history.interrupted = True
        history.interrupt_signal = int(interrupt.signum or signal.SIGINT)
        for cb in callbacks:
            if hasattr(cb, "on_interrupt"):
                cb.on_interrupt(net, history)
        return history
    for cb in callbacks:
        cb.on_train_end(net, history)
    return history


def _train_lbfgs(
    net,
    X: np.ndarray,
    Y: np.ndarray,
    weights: np.ndarray | None,
    *,
    epochs: int,
    options: dict[str, Any],
    verbose: int,
    validation: tuple | None,
    callbacks: list,
    **settings: Any,
) -> History:
    """:func:`train` with ``optimizer="lbfgs"``: one entry in the History per L-BFGS iteration."""
    not_for_lbfgs = {
        "learning_rate": None,
        "batch_size": None,
        "dropout": 0.0,
        "schedule": None,
        "early_stopping": None,
        "progress": False,
        "collective": None,
    }
    wrong = [name for name, default in not_for_lbfgs.items() if options[name] not in (default, False)]
    if options["batch_size"] is not None and options["batch_size"] >= X.shape[0]:
        wrong.remove("batch_size")  # a batch of every sample is the full batch L-BFGS takes
    if epochs != 1:
        wrong.insert(0, "epochs")
    if wrong:
        raise ValueError(
            f"optimizer='lbfgs' takes no {', '.join(wrong)}: it runs full batch, with its own step lengths "
            "(a line search), until max_iter iterations, max_fun evaluations or tol"
        )
    history = History()
    for cb in callbacks:
        cb.on_train_begin(net, history)
    val_work = (
        None
        if validation is None
        else Workspace(net, min(_VALIDATION_CHUNK, validation[0].shape[0]), 0.0, gather=False)
    )
    classifier = net.loss_function.is_classification
    train_work = Workspace(net, min(_VALIDATION_CHUNK, X.shape[0]), 0.0, gather=False) if classifier else None

    def on_iteration(k: int, loss: float) -> bool:
        epoch = net.epochs_trained_
        net.epochs_trained_ += 1
        history.epochs.append(epoch)
        history.loss.append(loss)
        logs = {"loss": loss}
        if classifier:  # at the iterate, like the loss: one forward pass more per iteration
            _, accuracy = evaluate(net, X, Y, batch_size=_VALIDATION_CHUNK, work=train_work, weights=weights)
            history.accuracy.append(accuracy)
            logs["accuracy"] = accuracy
        if validation is not None:
            Xv, Yv, wv = validation
            val_loss, val_accuracy = evaluate(net, Xv, Yv, batch_size=_VALIDATION_CHUNK, work=val_work, weights=wv)
            history.val_loss.append(val_loss)
            history.val_accuracy.append(val_accuracy)
            logs["val_loss"], logs["val_accuracy"] = val_loss, val_accuracy
        if verbose and epoch % verbose == 0:
            print(f"Iteration {k}, Loss: {loss}")
        stop = False
        for cb in callbacks:
            stop = bool(cb.on_epoch_end(net, epoch, logs)) or stop
        history.stopped_early = stop
        return stop

    try:
        with np.errstate(over="ignore", invalid="ignore"):
            result = lbfgs.minimize(net, X, Y, weights=weights, on_iteration=on_iteration, **settings)
    except KeyboardInterrupt:
        history.interrupted = True
        for cb in callbacks:
            if hasattr(cb, "on_interrupt"):
                cb.on_interrupt(net, history)
        return history
    if not math.isfinite(result.loss):
        exc = TrainingDiverged(epoch=net.epochs_trained_, batch=0, loss=result.loss)
        exc.history = history
        raise exc
    history.converged, history.message = result.converged, result.message
    history.n_fun = result.n_fun
    for cb in callbacks:
        cb.on_train_end(net, history)
    return history


@dataclass
class _Run:
    """One call of :func:`train`: what it trains on and with, fixed for all its epochs."""

    net: Any
    opt: Optimizer
    X: np.ndarray
    Y: np.ndarray
    weights: np.ndarray | None
    batch_size: int | None
    shuffle: bool
    full_batch: bool
    work: Workspace | None
    callbacks: list
    bars: list
    history: History
    validation: tuple | None
    val_work: Workspace | None
    verbose: int
    snapshot: _Snapshot
    interrupt: _InterruptRequest
    warn: bool
    collective: Any = None

    #: The last step's batch (x, y, sample weights, batch index), checked again after its update.
    last_batch: tuple | None = None
    #: The network's epoch_progress_ when this epoch (or fit) began: what a rollback goes back to.
    progress_at_start: dict | None = None
    #: The optimiser's step count when the fit began (no update yet while it is unchanged).
    first_iteration: int = 0


# -- advice -------------------------------------------------------------------
# The stack levels point at the caller of Network.fit: _warn, the check, (_epochs,) train, fit, the caller.


def _warn(message: str, stacklevel: int) -> None:
    warnings.warn(message, TrainingWarning, stacklevel=stacklevel)


def _column_rms(X: np.ndarray, squares: np.ndarray | None, scale: float) -> np.ndarray | None:
    """The root-mean-square of every column of s·X (n_inputs,) float64, where it can pass INPUT_SCALE_LIMIT.

    None when no column can: for an integer X, s·max|x| bounds each column's RMS and is found
    without a copy of X (X.max and X.min in X's own dtype); only when a bound passes the limit
    are the squares summed, in float64 (NumPy's einsum in uint8 would wrap around).
    For a float X, ``squares`` (in X's dtype) decide, summed again in float64 only near the limit
    (or on overflow), for the exact decision.
    """
    n = X.shape[0]
    if squares is None:
        high = np.abs(X.max(axis=0).astype(np.float64))  # abs after the cast: -128 of an int8 fits
        low = np.abs(X.min(axis=0).astype(np.float64))
        if bool(np.all(scale * np.maximum(high, low) <= INPUT_SCALE_LIMIT)):  # RMS <= max|x|, also rounded
            return None
        squares = np.einsum("ij,ij->j", X, X, dtype=np.float64)  # cast in einsum's buffers: no copy of X
    elif squares.dtype != np.float64 and not bool(np.all(squares < 0.9 * (INPUT_SCALE_LIMIT / scale) ** 2 * n)):
        squares = np.einsum("ij,ij->j", X, X, dtype=np.float64)
    return scale * np.sqrt(squares / n, dtype=np.float64)


def _column_squares(X: np.ndarray) -> np.ndarray:
    """Σ x² per column (n_inputs,) in X's own dtype: one pass, no copy (27 ms on Fashion-MNIST's float32 X,
    against 74 ms cast to float64)."""
    return np.einsum("ij,ij->j", X, X)


def _warn_about_inputs(
    X: np.ndarray, default_batch: bool, epochs: int, squares: np.ndarray | None, scale: float | None = None
) -> None:
    """A TrainingWarning for inputs far from unit scale, and for a default full batch on a large set.

    The inputs judged are the first layer's, s·X with the network's ``input_scale`` s.
    ``squares``: :func:`_column_squares` of a float X (finite: X was checked); None for an integer X.
    """
    rms = _column_rms(X, squares, 1.0 if scale is None else scale)
    column = 0 if rms is None else int(np.argmax(rms))
    if rms is not None and rms[column] > INPUT_SCALE_LIMIT:
        pixels = "Network(..., input_scale=1/255)" if scale is not None else "X / 255"
        _warn(
            f"the inputs are far from unit scale: column {column} has root-mean-square {rms[column]:.3g} "
            f"(the initial weights assume inputs of about 1, so training may diverge or stall); standardise them "
            f"(chainrule.datasets.standardize(X)) or divide by their range (pixels: {pixels})",
            5,
        )
    if default_batch and X.shape[0] > FULL_BATCH_LIMIT:
        _warn(
            f"the default full batch takes one step per epoch ({epochs} in all) on {X.shape[0]} samples; "
            f"for a data set this size pass batch_size=128 with optimizer='adam', learning_rate=0.001",
            5,
        )


def _warn_about_growth(run: _Run) -> None:
    """A TrainingWarning when the loss grew by more than LOSS_GROWTH_FACTOR within the first epochs of this call."""
    loss = run.history.loss
    first, last = loss[0], loss[-1]
    if len(loss) < 2 or len(loss) > LOSS_GROWTH_EPOCHS or not first > 0 or not last > LOSS_GROWTH_FACTOR * first:
        return
    run.warn = False  # once per call
    lr = run.history.learning_rate[-1]
    _warn(
        f"the training loss grew from {first:.4g} to {last:.4g} (×{last / first:.3g}) in the first {len(loss)} "
        f"epochs: the steps are too large; lower the learning rate (e.g. {lr / 10:g}, now {lr:g}), or use "
        f"mini-batches with Adam (batch_size=128, optimizer='adam', learning_rate=0.001), and standardised inputs",
        6,
    )


def _epochs(run: _Run, epochs: int) -> None:
    """The epochs of :func:`train` (stopped early by a callback or by Ctrl-C; divergence raises)."""
    net = run.net
    progress = net.epoch_progress_
    if progress is not None and (run.full_batch or not _continues(progress, run)):
        net.epoch_progress_ = progress = None  # another kind of run: the unfinished epoch starts again
    run.progress_at_start = progress
    run.snapshot.take()
    for i in range(epochs):
        run.snapshot.in_epoch = True
        epoch = net.epochs_trained_
        lr = run.opt.begin_epoch()
        measured = _full_batch_epoch(run, epoch, lr) if run.full_batch else _minibatch_epoch(run, epoch, lr)
        if measured is None:
            return  # Ctrl-C: stop after this batch, the epoch unfinished (not in the history)
        if i == epochs - 1:
            _check_last_step(run, epoch, lr)
        run.opt.end_epoch()
        net.epochs_trained_ += 1
        net.epoch_progress_ = run.progress_at_start = None
        run.snapshot.in_epoch = False
        run.snapshot.take()  # the state at the end of every epoch, in buffers reused from epoch to epoch
        stop = _end_epoch(run, epoch, lr, *measured)
        if run.warn:
            _warn_about_growth(run)
        if stop:
            run.history.stopped_early = True
            break
        if run.interrupt.requested:
            return


def _compiles(run: _Run, epochs: int) -> bool:
    """Whether the run takes the compiled loop of :mod:`chainrule.training.tiny` (see which runs qualify there)."""
    return (
        run.full_batch
        and run.collective is None
        and run.weights is None
        and (run.work is None or not run.work.dropout)
        and not run.callbacks
        and run.validation is None
        and not run.verbose
        and tiny.use_compiled(run.net, run.opt, run.X.shape[0], epochs)
    )


def _compiled_epochs(run: _Run, epochs: int) -> None:
    """:func:`_epochs` on the compiled loop, in calls of about ``tiny.CALL_WORK`` multiply-adds (Ctrl-C between).

    The History, the counters, the growth warning and a divergence's message and restored state are
    those of :func:`_epochs` (the loop returns the state after the epochs it completed).
    """
    net, opt, history = run.net, run.opt, run.history
    net.epoch_progress_ = run.progress_at_start = None
    lr = opt.begin_epoch()  # no schedule: the same rate every epoch
    n = run.X.shape[0]
    per_call = max(1, tiny.CALL_WORK // (n * net.n_parameters))
    classifier = net.loss_function.is_classification
    # class labels (n,) as the one-hot rows the compiled loop reads: a tiny set's, so a small matrix
    Y = run.Y if run.Y.ndim == 2 else np.eye(net.n_outputs, dtype=net.dtype)[run.Y]
    left = epochs
    while left:
        count = min(left, per_call)
        left -= count
        run.snapshot.take()  # what a KeyboardInterrupt raised by code before the call is recorded goes back to
        run.snapshot.in_epoch = True
        result = tiny.train_network(net, opt, run.X, Y, count, check_last=not left)
        done = int(result.epochs_done[0])
        first = net.epochs_trained_
        net.epochs_trained_ += done
        losses = result.loss[0, :done].tolist()
        accuracy = (result.correct[0, :done] / n).tolist() if classifier else []
        i = 0
        while run.warn and i < done and len(history.loss) < LOSS_GROWTH_EPOCHS:  # as _epochs warns: epoch by epoch
            history.epochs.append(first + i)
            history.loss.append(losses[i])
            history.learning_rate.append(lr)
            history.accuracy.extend(accuracy[i : i + 1])
            _warn_about_growth(run)
            i += 1
        history.epochs.extend(range(first + i, first + done))
        history.loss.extend(losses[i:])
        history.learning_rate.extend([lr] * (done - i))
        history.accuracy.extend(accuracy[i:])
        run.snapshot.in_epoch = False
        cause = tiny.STATUS[int(result.status[0])]
        if cause != "ok":
            run.snapshot.take()  # the loop put back the state after the epochs completed
            _diverged(run, net.epochs_trained_, 0, float(result.bad_loss[0]), lr, cause)
        if run.interrupt.requested:
            return


def _continues(progress: dict, run: _Run) -> bool:
    """Whether this fit continues the epoch that ``progress`` (an interrupted one) describes."""
    return (
        progress["epoch"] == run.net.epochs_trained_
        and progress["n_samples"] == run.X.shape[0]
        and progress["batch_size"] == run.batch_size
        and progress["shuffle"] == run.shuffle
    )


def _iterations(optimizer: Optimizer) -> int:
    """The optimiser's step count (read through get_state, which wrappers of an optimiser forward)."""
    return int(optimizer.get_state()[0]["iterations"])


def _check_last_step(run: _Run, epoch: int, lr: float) -> None:
    """The loss of the last batch on the weights its update made: no later step will look at them.

    Every other update is followed by a forward pass whose loss is checked;
    the last one of a fit is not, so it is checked here, without dropout
    (which would draw from the network's generator) and without buffers.
    """
    if run.last_batch is None:
        return
    x, y, w, batch = run.last_batch
    fwd = run.net.forward(x)
    z, a = fwd.zs[-1], fwd.activations[-1]
    loss_function = run.net.loss_function
    loss = loss_function.value(z, a, y) if w is None else float(loss_function.per_sample(z, a, y) @ w)
    if run.collective is not None:  # every rank decides alike: a NaN on any rank is in the sum
        (loss,) = run.collective.sum(loss)
    if not math.isfinite(loss):
        _diverged(run, epoch, batch, loss, lr, "last_step")


def _full_batch_epoch(run: _Run, epoch: int, lr: float) -> tuple[float, float]:
    """One full-batch step; returns the loss before the update and the count classified right."""
    try:
        fwd, back = train_step(run.net, run.opt, run.X, run.Y, run.work, run.weights, True, run.collective)
    except _NonFinite as exc:
        _diverged(run, epoch, 0, exc.loss, lr, exc.cause)
    run.last_batch = (run.X, run.Y, run.weights, 0)
    loss_function = run.net.loss_function
    correct = 0.0
    if loss_function.is_classification:
        correct = (
            back.correct
            if back.correct is not None
            else _n_correct(fwd.activations[-1], run.Y, loss_function, run.weights)
        )
    return back.loss, correct


def _minibatch_epoch(run: _Run, epoch: int, lr: float) -> tuple[float, float] | None:
    """One pass over the batches; returns the epoch's loss and count classified right (None if Ctrl-C cut it).

    An epoch that an interruption cut (``net.epoch_progress_``, saved with
    the network) is continued where it stopped: its shuffled order drawn
    again from the generator's state at its start, its first batches
    skipped, its running sums taken back, so that the result is the one an
    uninterrupted run gives, bit for bit.
    """
    net, X, Y, work, weights = run.net, run.X, run.Y, run.work, run.weights
    n = X.shape[0] if run.collective is None else run.collective.n_samples  # the rows of the whole data set
    batch_size = run.batch_size
    assert batch_size is not None
    mean = net.reduction == "mean"
    loss_function = net.loss_function
    classifier = loss_function.is_classification
    progress = net.epoch_progress_
    if progress is not None and progress["shuffle_state"] is not None:
        net.shuffle_rng.bit_generator.state = progress["shuffle_state"]
    shuffle_state = net.shuffle_rng.bit_generator.state if run.shuffle else None
    order = net.shuffle_rng.permutation(n) if run.shuffle else np.arange(n)
    n_batches = -(-n // batch_size)
    for begin, _ in run.bars:
        if begin is not None:
            begin(net, epoch, n_batches)
    first = 0 if progress is None else progress["batch"]
    loss = 0.0 if progress is None else progress["loss"]
    correct = 0.0 if progress is None else progress["correct"]
    seen = 0.0 if progress is None else progress["seen"]  # rows so far (their weights' sum): the bar's accuracy
    for b in range(first, n_batches):
        start = b * batch_size
        rows = order[start : start + batch_size]
        idx = rows if run.collective is None else run.collective.local_rows(rows)
        k = len(idx)  # this process's rows of the batch (all of them in a single process)
        w = None if weights is None else weights[idx]
        seen += k if w is None else float(w.sum())
        if work is None or work.x is None or work.y is None:
            x, y = X[idx], Y[idx]
        else:
            # mode="clip" (idx is in range): with the default "raise", take buffers `out`. The method, not
            # np.take, whose Python wrapper costs a step a microsecond.
            x = X.take(idx, 0, work.x[:k], "clip")
            y = Y.take(idx, 0, work.y[:k], "clip")
        try:
            fwd, back = train_step(net, run.opt, x, y, work, w, True, run.collective)
        except _NonFinite as exc:
            _diverged(run, epoch, b, exc.loss, lr, exc.cause)
        loss += back.loss * len(rows) if mean else back.loss
        if classifier:
            correct += (
                back.correct if back.correct is not None else _n_correct(fwd.activations[-1], y, loss_function, w)
            )
        for _, end in run.bars:
            if end is not None:
                end(b, loss / (start + len(rows)) if mean else loss, correct / seen)
        if run.interrupt.requested and start + len(rows) < n:
            net.epoch_progress_ = {
                "epoch": epoch,
                "batch": b + 1,
                "n_samples": n,
                "batch_size": batch_size,
                "shuffle": run.shuffle,
                "shuffle_state": shuffle_state,
                "loss": loss,
                "correct": correct,
                "seen": seen,
            }
            return None
    run.last_batch = (x, y, w, n_batches - 1)
    return (loss / n if mean else loss), correct


def _end_epoch(run: _Run, epoch: int, lr: float, loss: float, correct: float) -> bool:
    """Record a finished epoch in the History, measure the validation data, call the callbacks.

    Returns True when a callback asks training to stop.
    """
    history, weights = run.history, run.weights
    history.epochs.append(epoch)
    history.loss.append(loss)
    history.learning_rate.append(lr)
    logs = {"loss": loss}
    if run.net.loss_function.is_classification:
        total = run.X.shape[0] if weights is None else float(weights.sum())
        if run.collective is not None:
            correct, total = run.collective.sum(correct, total)
        accuracy = correct / total
        history.accuracy.append(accuracy)
        logs["accuracy"] = accuracy
    if run.validation is not None:
        Xv, Yv, wv = run.validation
        val_loss, val_accuracy = evaluate(run.net, Xv, Yv, batch_size=_VALIDATION_CHUNK, work=run.val_work, weights=wv)
        history.val_loss.append(val_loss)
        history.val_accuracy.append(val_accuracy)
        logs["val_loss"], logs["val_accuracy"] = val_loss, val_accuracy
    if run.verbose and epoch % run.verbose == 0:
        print(f"Epoch {epoch}, Loss: {loss}")
    stop = False
    for cb in run.callbacks:
        stop = bool(cb.on_epoch_end(run.net, epoch, logs)) or stop
    return stop


def _diverged(run: _Run, epoch: int, batch: int, loss: float, lr: float, cause: str):
    """Raise TrainingDiverged with the parameters at their last finite values.

    ``cause`` is ``"loss"`` (the loss or gradient of a batch, before its
    update: nothing to undo), ``"update"`` (the update made the parameters
    or the optimiser's state non-finite) or ``"last_step"`` (the loss on the
    last update's weights); the last two go back to the start of the epoch,
    the last state known to be good. A loss that is not finite before any
    update of this fit is blamed on the data (or the starting weights), not
    on the learning rate.
    """
    net = run.net
    hint = None
    if cause in ("update", "last_step"):
        run.snapshot.restore()
        net.epoch_progress_ = run.progress_at_start
    elif _iterations(run.opt) == run.first_iteration:
        cause = "data"
        with np.errstate(over="ignore", invalid="ignore"):
            if run.X.dtype.kind == "f":
                x = float(np.abs(run.X).max(initial=0.0))
            else:  # integers (input_scale): no |X| copy, and int8's -128 has no int8 absolute value
                x = max(float(run.X.max()), -float(run.X.min()), 0.0)
            x *= net.input_scale or 1.0  # what the first layer sees
            y = float(np.abs(run.Y).max(initial=0.0)) if run.Y.ndim == 2 else 1.0  # labels: one-hot rows' 1
        if run.collective is not None:  # the whole data set's, so that every rank says the same
            x, y = run.collective.largest(x, y)
        with np.errstate(over="ignore", invalid="ignore"):
            hint = (
                f"the largest |X{'' if net.input_scale is None else '·input_scale'}| is {x:.3g}, the largest |Y| "
                f"{y:.3g} and the largest |weight| {float(np.abs(net.params).max()):.3g}; "
                f"standardise the inputs and scale the targets (e.g. to unit variance): "
                f"a lower learning rate cannot help"
            )
    exc = TrainingDiverged(epoch=epoch, batch=batch, loss=loss, learning_rate=lr, cause=cause, hint=hint)
    exc.history = run.history
    raise exc from None
