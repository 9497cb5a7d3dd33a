"""Data-parallel training over MPI: every process trains the same network on its shard of the data.

::

    mpiexec -n 4 python train.py     # train.py: X, Y = shard(X, Y); fit(net, X, Y, ...)

Each process (an MPI rank) holds a shard of the data set, which is the
concatenation of the shards in rank order (:func:`shard` cuts one). The
training is the one :func:`chainrule.training.train` runs, in every process:

- every epoch, every rank draws the same permutation of the *whole* data set
  from the network's seed, so mini-batch b holds the same rows as in a single
  process; each rank runs the forward and backward passes on its rows of it;
- one ``Allreduce`` per step sums the flat gradient vectors (``net.grads``,
  each scaled to the global batch: by k_r/B for ``reduction="mean"``, where
  rank r holds k_r of the batch's B rows), with the batch's loss and a stop
  flag at the end of the same buffer; every rank then applies the same update
  to the same parameters, so the networks stay equal, bit for bit.

Full batch with ``reduction="sum"`` is therefore the serial gradient, summed
in another order; mini-batches are the serial run's batches. Dropout masks
are drawn from one stream per rank (the network's dropout generator, jumped
``rank`` times).

Failures stop every rank, never only one:

- bad input (a shard of the wrong shape, NaN in a shard, ranks that disagree
  on the network or the settings) is checked on every rank and agreed on
  before the first step: every rank raises the same ``ValueError`` (or
  ``TypeError``), naming the rank at fault;
- a loss or gradient that is not finite on one rank is not finite in the sum:
  every rank raises :class:`~chainrule.TrainingDiverged` at the same step;
- Ctrl-C (SIGINT, which ``mpiexec`` forwards to every rank) is a flag in the
  step's buffer: every rank stops at the same step, as ``Network.fit`` does;
- anything else raised on one rank while the others may be waiting for it
  (a failing callback, a full disk) is printed by that rank, which then calls
  ``MPI_Abort``: ``mpiexec`` ends every rank with a non-zero status.

The validation data is the same on every rank (each measures it whole), so
every rank takes the same early-stopping decision. A
:class:`~chainrule.callbacks.Checkpoint` and the progress bar run on rank 0
only (every rank holds the same network); a checkpoint resumes on any number
of ranks, since the batches depend on the data set and the seed only.

mpi4py and an MPI library come with the extra ``mpi``
(``pip install 'chainrule[mpi]'``: mpi4py and MPICH's wheel, whose
``mpiexec`` lands beside ``python``).
"""

from __future__ import annotations

import hashlib
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import Any

import numpy as np

from .core.network import BackwardPass, ForwardPass
from .errors import TrainingDiverged
from .training.callbacks import Checkpoint, ProgressBar
from .training.loop import History, train

__all__ = ["fit", "shard", "world"]


def world() -> Any:
    """``mpi4py.MPI.COMM_WORLD`` (importing mpi4py initialises MPI): every process ``mpiexec`` started."""
    return _mpi().COMM_WORLD


def shard(*arrays: Any, comm: Any = None) -> tuple[np.ndarray, ...]:
    """This rank's rows of each array: contiguous, in rank order, sizes differing by at most one.

    Parameters
    ----------
    *arrays : array-likes with the same number of rows n
    comm : MPI communicator, optional
        Default :func:`world`.

    Returns
    -------
    tuple of ndarray, each of shape (n_r, ...) where n_r is n // size or
    n // size + 1 (the first n % size ranks get one more row), as
    ``numpy.array_split`` cuts.
    """
    comm = world() if comm is None else comm
    if not arrays:
        raise TypeError("shard needs at least one array, such as shard(X, Y)")
    arrays_ = [np.asarray(a) for a in arrays]
    n = arrays_[0].shape[0] if arrays_[0].ndim else 0
    for i, a in enumerate(arrays_):
        if a.ndim == 0 or a.shape[0] != n:
            raise ValueError(f"arrays[{i}] must have {n} rows, as arrays[0] has; got shape {a.shape}")
    size, rank = comm.Get_size(), comm.Get_rank()
    base, extra = divmod(n, size)
    start = rank * base + min(rank, extra)
    rows = slice(start, start + base + (rank < extra))
    return tuple(a[rows] for a in arrays_)


def fit(
    net: Any,
    X: Any,
    Y: Any,
    *,
    comm: Any = None,
    epochs: int = 1,
    batch_size: int | None = None,
    validation_data: Any = None,
    callbacks: Sequence[Any] = (),
    progress: bool = False,
    verbose: int = 0,
    sample_weight: Any = None,
    **options: Any,
) -> History:
    """Train ``net`` on the shards of all ranks, as one process would train it on the whole data set.

    Call it on every rank with the same network (same seed, or the same
    loaded file) and the same settings; each rank passes its shard.

    Parameters
    ----------
    net : Network
        Trained in place; equal on every rank at the end.
    X : array-like of shape (n_r, n_inputs)
        This rank's rows; the data set is the concatenation of the ranks' X
        in rank order (see :func:`shard`). Every rank needs at least one row.
    Y : array-like of shape (n_r, n_outputs) (or integer labels (n_r,) for ``cross_entropy``)
    comm : MPI communicator, optional
        Default :func:`world` (``MPI.COMM_WORLD``).
    epochs, batch_size
        As in :meth:`chainrule.Network.fit`; ``batch_size`` is the *global*
        batch (all ranks' rows together); ``None``: full batch.
    validation_data : (X_val, Y_val) or (X_val, Y_val, w_val), optional
        The same on every rank (checked): each rank measures it whole.
    callbacks : sequence of Callback
        Run on every rank with the global measurements, except
        :class:`~chainrule.callbacks.Checkpoint` instances, which save on
        rank 0 only.
    progress, verbose
        Shown by rank 0 only.
    sample_weight : array-like of shape (n_r,), optional
        This rank's rows' weights.
    **options
        The other keyword arguments of :meth:`chainrule.Network.fit`
        (``learning_rate``, ``optimizer``, ``shuffle``, ``dropout``,
        ``weight_decay``, ``schedule``, ``early_stopping``).

    Returns
    -------
    History
        The whole data set's loss and accuracy per epoch, the same on every rank.

    Raises
    ------
    ValueError, TypeError
        On every rank, when any rank's input is bad (the message names it).
    chainrule.TrainingDiverged
        On every rank, at the same step, as ``Network.fit`` raises it.
    """
    mpi = _mpi()
    comm = mpi.COMM_WORLD if comm is None else comm
    rank, size = comm.Get_rank(), comm.Get_size()
    settings = dict(options, epochs=epochs, batch_size=batch_size)
    try:
        X, Y = net.check_XY(X, Y)
        weights = None if sample_weight is None else net.check_sample_weight(sample_weight, X.shape[0])
        fingerprint = _fingerprint(net, validation_data, settings)
        error = None
    except (ValueError, TypeError) as exc:
        error, fingerprint = exc, ""
    _agree(comm, error)
    prints = comm.allgather(fingerprint)
    if len(set(prints)) > 1:
        odd = next(r for r, p in enumerate(prints) if p != prints[0])
        raise ValueError(
            f"rank {odd} of {size} has another network, validation data or settings than rank 0: every rank must "
            "call fit with the same network (the same seed, or the same loaded file), the same validation_data and "
            "the same settings"
        )
    counts = comm.allgather(int(X.shape[0]))
    collective = _Allreduce(comm, mpi, net, offset=sum(counts[:rank]), n_local=counts[rank], n_samples=sum(counts))
    if rank != 0:
        callbacks = [cb for cb in callbacks if not isinstance(cb, (Checkpoint, ProgressBar))]
    if rank and options.get("dropout"):
        net.dropout_rng = np.random.Generator(net.dropout_rng.bit_generator.jumped(rank))
    try:
        with collective.stop_on_sigint():
            history = train(
                net,
                X,
                Y,
                epochs=epochs,
                batch_size=batch_size,
                validation_data=validation_data,
                callbacks=callbacks,
                progress=progress and rank == 0,
                verbose=verbose if rank == 0 else 0,
                sample_weight=weights,
                collective=collective,
                **options,
            )
    except TrainingDiverged:
        raise  # raised by every rank at the same step: the sum is not finite
    except Exception as exc:
        if size == 1:
            raise
        sys.stderr.write(
            f"chainrule.distributed: rank {rank} of {size} failed and aborts every rank "
            f"(the others would wait for it forever):\n{''.join(traceback.format_exception(exc))}"
        )
        sys.stderr.flush()
        comm.Abort(1)
        raise  # not reached: MPI_Abort ends the process
    if options.get("dropout"):  # the ranks' networks end equal to rank 0's, its dropout stream included
        state = comm.bcast(net.dropout_rng.bit_generator.state if rank == 0 else None, root=0)
        net.dropout_rng.bit_generator.state = state
    return history


class _Allreduce:
    """The collective the fit loop consults (see :mod:`chainrule.training.loop`): one Allreduce per step."""

    def __init__(self, comm: Any, mpi: Any, net: Any, offset: int, n_local: int, n_samples: int):
        self.comm, self.mpi, self.n_samples = comm, mpi, n_samples
        self.offset, self.n_local = offset, n_local  # this rank's shard: rows offset .. offset + n_local - 1
        self.mean = net.reduction == "mean"
        # [gradient..., loss, stop flag]: one buffer, one message per step.
        self.buffer = np.empty(net.params.size + 2, dtype=net.dtype)
        self.batch_rows = n_samples  # the current global batch's size (the whole data set: full batch)
        self.stop_requested = False

    def local_rows(self, rows: np.ndarray) -> np.ndarray:
        """This rank's rows among a global batch's ``rows``, as indices into its shard."""
        self.batch_rows = len(rows)
        mine = rows[(rows >= self.offset) & (rows < self.offset + self.n_local)]
        return mine - self.offset

    def gradient(self, net, X: np.ndarray, Y: np.ndarray, work, weights) -> tuple[ForwardPass, BackwardPass]:
        """The forward and backward passes of this rank's k rows; then the whole batch's gradient and loss."""
        k, B = X.shape[0], self.batch_rows
        self.batch_rows = self.n_samples
        g, buf = net.grads, self.buffer
        fwd = net.forward(X, work)
        if k:
            back = net.backward(fwd, Y, work, weights)
            scale = k / B if self.mean else 1.0  # the local mean (1/k) becomes the global one (1/B)
        else:  # none of this batch's rows is here: this rank adds nothing
            back = BackwardPass(0.0, [], [], [])
            g[...] = 0
            scale = 1.0
        np.multiply(g, scale, out=buf[:-2])
        buf[-2] = back.loss * scale
        buf[-1] = 1.0 if self.stop_requested else 0.0
        self.comm.Allreduce(self.mpi.IN_PLACE, buf, op=self.mpi.SUM)
        g[...] = buf[:-2]
        back.loss = float(buf[-2])
        if buf[-1]:
            raise KeyboardInterrupt  # some rank got Ctrl-C: every rank stops at this step
        return fwd, back

    def sum(self, *numbers: float) -> tuple[float, ...]:
        """Each number summed over the ranks (float64)."""
        local = np.array(numbers, dtype=np.float64)
        self.comm.Allreduce(self.mpi.IN_PLACE, local, op=self.mpi.SUM)
        return tuple(float(v) for v in local)

    def largest(self, *numbers: float) -> tuple[float, ...]:
        """Each number's maximum over the ranks (float64)."""
        local = np.array(numbers, dtype=np.float64)
        self.comm.Allreduce(self.mpi.IN_PLACE, local, op=self.mpi.MAX)
        return tuple(float(v) for v in local)

    def stop_on_sigint(self) -> _StopOnSigint:
        return _StopOnSigint(self)


class _StopOnSigint:
    """Ctrl-C sets the collective's stop flag (a second one raises KeyboardInterrupt at once).

    Installed only in the main thread and over Python's default handler; the
    fit loop then leaves the signal alone, and every rank hears of the flag
    in the next step's Allreduce.
    """

    def __init__(self, collective: _Allreduce):
        self.collective = collective
        self._previous: Any = None

    def _handler(self, signum, frame):
        if self.collective.stop_requested:
            signal.default_int_handler(signum, frame)
        self.collective.stop_requested = True

    def __enter__(self):
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def _agree(comm: Any, error: BaseException | None) -> None:
    """Every rank learns whether any rank's input was bad; then every rank raises the first one's error."""
    errors = comm.allgather(None if error is None else (isinstance(error, TypeError), str(error)))
    failed = [(r, e) for r, e in enumerate(errors) if e is not None]
    if not failed:
        return
    r, (is_type_error, message) = failed[0]
    others = f" (and {len(failed) - 1} more ranks)" if len(failed) > 1 else ""
    cls = TypeError if is_type_error else ValueError
    raise cls(f"rank {r} of {len(errors)}{others}: {message}") from error


def _fingerprint(net: Any, validation_data: Any, settings: dict[str, Any]) -> str:
    """A digest of what every rank must share: the network, its optimiser, the validation data, the settings."""
    h = hashlib.sha256()
    h.update(net.params.tobytes())
    h.update(
        repr(
            (net.sizes, net.reduction, net.input_scale, net.epochs_trained_, net.shuffle_rng.bit_generator.state)
        ).encode()
    )
    if net.optimizer_ is not None:
        counters, arrays = net.optimizer_.get_state()
        h.update(repr((net.optimizer_.get_config(), counters, sorted(arrays))).encode())
        for key in sorted(arrays):
            h.update(np.ascontiguousarray(arrays[key]).tobytes())
    if validation_data is not None:
        for part in validation_data:
            if part is not None:
                h.update(np.ascontiguousarray(np.asarray(part)).tobytes())
    h.update(repr(sorted((k, repr(v)) for k, v in settings.items())).encode())
    return h.hexdigest()


def _mpi() -> Any:
    """mpi4py's MPI module (imported on first use: importing it initialises MPI)."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(
            "chainrule.distributed needs mpi4py and an MPI library: pip install 'chainrule[mpi]' "
            f"(mpi4py with MPICH's wheel) and launch with mpiexec -n N ({exc})"
        ) from exc
    return MPI
