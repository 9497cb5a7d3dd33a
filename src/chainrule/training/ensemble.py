"""Many networks at once: K networks of one architecture trained together, on the same engine.

An :class:`Ensemble` is K networks (different seeds, learning rates or data
orders) stacked on a leading model axis by :meth:`chainrule.Network.stack`:
each layer's product is then one batched matrix product over the K models,
and one optimiser step updates the (K, n_parameters) matrix of all their
parameters, each row with its own learning rate. The forward and backward
passes are ``Network.forward`` and ``Network.backward`` themselves (there is
one implementation of backprop); this module holds only the loop around
them, the fit loop of :mod:`chainrule.training.loop` with a model axis.

Model k ends where its own ``fit`` ends, bit for bit: the same initial
weights (``cr.Network(sizes, seed=seeds[k], ...)``), the same shuffled
order of mini-batches (drawn from model k's own generator, as its own fit
draws it), the same products (one BLAS product per model, as ``np.dot``
computes it alone) and the same update (each rate rounded to the dtype as a
single network's is). With numba installed, a tiny full-batch fit goes to
the compiled loop of :mod:`chainrule.training.tiny` under the rule that
sends each model's own fit there (``tiny.use_compiled``), all K models in
one call of its wide loop, each model with its own fit's bits there too.
``tests/test_ensemble.py`` checks it for every optimiser, full batch and
mini-batches, float64 and float32, on both paths.

Why a class and not ``Network(models=K)``: every method of a Network
(``predict``, ``params``, ``save``, ``explain``, the estimators, the CLI)
would change its shapes with one argument; an Ensemble keeps the Network's
contract whole, and ``ensemble[k]`` is model k as an ordinary Network.

Example: seed 000's success rate over 100 initialisations, in one call::

    ens = cr.Ensemble([2, 2, 1], seeds=range(100), init="normal", reduction="sum")
    ens.fit(X, Y, epochs=10_000, learning_rate=0.1)
    solved = ((ens.predict(X) > 0.5) == (Y > 0.5)).all(axis=(1, 2))   # (100,)
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from .._validation import as_float_array, check_positive_int, lookup
from ..core.network import Network
from . import tiny
from .loop import DEFAULT_LEARNING_RATE, History, resolve_optimizer
from .optimizers import OPTIMIZERS, SGD, Optimizer, optimizer_from_config

__all__ = ["Ensemble", "EnsembleHistory"]


@dataclass
class EnsembleHistory:
    """What one :meth:`Ensemble.fit` measured: one row per model, one column per epoch.

    Attributes
    ----------
    epochs : list of int
        The ensemble's epoch index of each column (0-based, counting earlier fits).
    loss : ndarray of shape (K, n_epochs)
        Each model's training loss, measured as :class:`~chainrule.training.loop.History`
        measures it (full batch: before the epoch's update; mini-batches: the
        mean, or with ``reduction="sum"`` the sum, of the batch losses).
    accuracy : ndarray of shape (K, n_epochs)
        For classifiers, each model's share of training samples classified
        right (measured like ``loss``); shape (K, 0) for regression losses.
    learning_rate : ndarray of shape (K, n_epochs)
        The rate each model's epoch used.
    diverged : ndarray of bool, shape (K,)
        The models whose loss or parameters stopped being finite. The others
        are not affected (the models never mix). A separate ``fit`` would have
        raised :class:`chainrule.TrainingDiverged`: lower its learning rate.
        On the NumPy engine a diverged model keeps the non-finite values its
        updates made; on the compiled loop (a tiny full-batch run with numba,
        see :mod:`chainrule.training.tiny`) it stops at the failing epoch with
        the weights its own fit restores, its later columns NaN.

    ``history[k]`` is model k's as an ordinary History.
    """

    epochs: list[int] = field(default_factory=list)
    loss: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    accuracy: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    learning_rate: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    diverged: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        return len(self.epochs)

    def __getitem__(self, k: int) -> History:
        """Model k's History (lists of floats, as its own ``fit`` returns)."""
        return History(
            epochs=list(self.epochs),
            loss=self.loss[k].tolist(),
            accuracy=self.accuracy[k].tolist(),
            learning_rate=self.learning_rate[k].tolist(),
        )

    def __repr__(self) -> str:
        models = self.loss.shape[0]
        diverged = f", {int(self.diverged.sum())} diverged" if self.diverged.any() else ""
        return f"EnsembleHistory({models} models, {len(self)} epochs{diverged})"


class Ensemble:
    """K networks of one architecture, trained together on one engine with a model axis.

    Parameters
    ----------
    sizes : sequence of int
        Neurons per layer, input first, as for :class:`chainrule.Network`.
    seeds : sequence of int
        One seed per model (``range(100)`` for 100 models): model k starts
        with the weights of ``cr.Network(sizes, seed=seeds[k], **options)``
        and shuffles its mini-batches from that seed, as that network would.
    **options
        The other arguments of :class:`chainrule.Network` (``activation``,
        ``loss``, ``reduction``, ``bias``, ``init``, ``dtype``, ``input_scale``...), the same
        for every model.

    Build one from networks you already have with :meth:`from_networks`.

    Attributes
    ----------
    stack : Network
        The engine: the K models as one network with a leading model axis
        (:meth:`chainrule.Network.stack`); ``stack.params`` is (K, n_parameters).

    Examples
    --------
    >>> import chainrule as cr
    >>> ens = cr.Ensemble([2, 2, 1], seeds=range(3))
    >>> X, Y = [[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [1], [1], [0]]
    >>> history = ens.fit(X, Y, epochs=5, learning_rate=[0.1, 0.5, 1.0])
    >>> history.loss.shape, ens.predict(X).shape
    ((3, 5), (3, 4, 1))
    """

    def __init__(self, sizes: Sequence[int], seeds: Sequence[int], **options: Any):
        if isinstance(seeds, (str, bytes)) or not isinstance(seeds, (Sequence, range, np.ndarray)):
            raise TypeError(f"seeds must be one seed per model, such as range(100); got {seeds!r:.80}")
        if len(seeds) == 0:
            raise ValueError("seeds must name at least one model, such as range(100); got none")
        if "seed" in options:
            raise TypeError("Ensemble takes seeds (one per model), not seed: pass seeds=[...]")
        self._setup([Network(sizes, seed=_check_seed(s, k), **options) for k, s in enumerate(seeds)])

    @classmethod
    def from_networks(cls, networks: Sequence[Network]) -> Ensemble:
        """An ensemble of copies of ``networks`` (all of one architecture; they are not changed).

        Each model keeps its network's parameters and generators (so its
        mini-batches are shuffled as that network's own ``fit`` would
        shuffle them). Their optimisers are not taken: the first fit starts one.
        """
        if isinstance(networks, Network) or not isinstance(networks, Sequence) or len(networks) == 0:
            raise TypeError(f"from_networks needs a non-empty list of Networks; got {networks!r:.80}")
        ensemble = cls.__new__(cls)
        ensemble._setup([copy.deepcopy(net) for net in networks])
        return ensemble

    def _setup(self, networks: list[Network]) -> None:
        self.stack = Network.stack(networks)  # checks the architecture, naming the first difference
        # Each model's own Network, kept for its settings and generators (its parameters live in the stack).
        self._models = networks
        self.epochs_trained_ = max(net.epochs_trained_ for net in networks)

    @property
    def optimizer_(self) -> Optimizer | None:
        """The optimiser of the last fit, over the stack's rows (a second fit with the same settings continues it)."""
        return self.stack.optimizer_

    # -- structure ----------------------------------------------------------
    @property
    def models(self) -> int:
        """K, the number of models."""
        return len(self._models)

    def __len__(self) -> int:
        return len(self._models)

    @property
    def sizes(self) -> list[int]:
        """Neurons per layer, input first (every model's)."""
        return list(self.stack.sizes)

    @property
    def seeds(self) -> list[int]:
        """Each model's seed (``seed_`` of its network: the entropy drawn when it was built with None)."""
        return [int(cast(int, net.seed_)) for net in self._models]

    @property
    def params(self) -> np.ndarray:
        """Every model's parameters, shape (K, n_parameters): row k is ``ensemble[k].params`` (a view; writable)."""
        return self.stack.params

    def __getitem__(self, k: int) -> Network:
        """Model k as an ordinary Network: a copy, with its parameters, generators and optimiser.

        Training the copy does not change the ensemble (nor the other way
        round). Its optimiser is model k's part of the ensemble's (the same
        settings, its own learning rate, its rows of the state), so that
        ``ensemble[k].fit(...)`` continues exactly as model k's own fit would.
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"an ensemble is indexed by a model number 0..{self.models - 1}; got {k!r}")
        if not -self.models <= k < self.models:
            raise IndexError(f"model {k} is out of range for an ensemble of {self.models} models")
        net = copy.deepcopy(self._models[k])
        net.params[...] = self.stack.params[k]
        net.epochs_trained_ = self.epochs_trained_
        net.optimizer_ = self._model_optimizer(int(k) % self.models)
        return net

    @property
    def networks(self) -> list[Network]:
        """Every model as an ordinary Network (copies: see :meth:`__getitem__`)."""
        return [self[k] for k in range(self.models)]

    def _model_optimizer(self, k: int) -> Optimizer | None:
        opt = self.optimizer_
        if opt is None or opt.name not in OPTIMIZERS or type(opt) is not OPTIMIZERS[opt.name]:
            return None  # no fit yet, or an optimiser of the user's own that cannot be rebuilt from its config
        config = opt.get_config()
        rates = config["learning_rate"]
        single = optimizer_from_config({**config, "learning_rate": rates[k] if isinstance(rates, list) else rates})
        counters, arrays = opt.get_state()
        lr = counters["lr"]
        single.set_state(
            {**counters, "lr": lr[k] if isinstance(lr, list) else lr}, {n: a[k] for n, a in arrays.items()}
        )
        return single

    def __repr__(self) -> str:
        net = self.stack
        acts = [layer.activation.name for layer in net.layers]
        scale = "" if net.input_scale is None else f", input_scale={net.input_scale!r}"
        return (
            f"Ensemble({self.models} models, sizes={net.sizes}, activations={acts}, loss={net.loss_function.name!r}, "
            f"reduction={net.reduction!r}, dtype={net.dtype.name!r}{scale})"
        )

    # -- using it -----------------------------------------------------------
    def check_X(self, X: Any, argument: str = "X") -> np.ndarray:
        """Inputs (n_samples, n_inputs), the same for every model, or one set per model (K, n_samples, n_inputs)."""
        raw = X if isinstance(X, np.ndarray) else np.asarray(X, dtype=object)
        if raw.ndim != 3:
            return self.stack.check_X(X, argument)
        X = as_float_array(X, argument, self.stack.dtype, ndim=3, keep_integers=self.stack.input_scale is not None)
        if X.shape[0] != self.models or X.shape[2] != self.stack.n_inputs:
            raise ValueError(
                f"{argument} as one set of inputs per model must have shape (K, n_samples, n_inputs) = "
                f"({self.models}, n, {self.stack.n_inputs}); got {X.shape}"
            )
        return X

    def predict(self, X: Any) -> np.ndarray:
        """Every model's output for each row of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_inputs), or (K, n_samples, n_inputs) for one set per model

        Returns
        -------
        ndarray of shape (K, n_samples, n_outputs): ``[k]`` is ``ensemble[k].predict(X)``.
        """
        return self.stack.forward(self.check_X(X)).activations[-1]

    def loss(self, X: Any, Y: Any) -> np.ndarray:
        """Every model's loss on (X, Y), reduced as the networks' ``reduction`` says: shape (K,)."""
        X, Y = self.stack.check_XY(X, Y)
        fwd = self.stack.forward(X)
        return self.stack.loss_function.value(fwd.zs[-1], fwd.activations[-1], Y) * self.stack.batch_scale(len(X))

    def fit(
        self,
        X: Any,
        Y: Any,
        epochs: int = 1,
        learning_rate: float | Sequence[float] | None = None,
        batch_size: int | None = None,
        shuffle: bool = True,
        optimizer: Any = "sgd",
        *,
        weight_decay: float | None = None,
        weight_decay_on: str | None = None,
        schedule: Any = None,
    ) -> EnsembleHistory:
        """Train every model by backpropagation, together; returns an :class:`EnsembleHistory`.

        The arguments are :meth:`chainrule.Network.fit`'s, with one change:
        ``learning_rate`` is one rate for all or one per model (a
        learning-rate sweep in one call). Model k then ends with the
        parameters its own ``fit`` with the same arguments would give it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_inputs)
            The training data, the same for every model (each model shuffles
            its mini-batches in its own order).
        Y : array-like of shape (n_samples, n_outputs) (or class labels, as for Network.fit)
        epochs : int >= 0
        learning_rate : float > 0, or sequence of K floats > 0, optional
            0.1 when not given (for an optimiser given by name). An optimiser
            instance carries its own (which may also be K rates).
        batch_size : int >= 1 or None
            None: full batch.
        shuffle : bool
            Shuffle every epoch, each model from its own generator.
        optimizer : str or Optimizer
            ``sgd``, ``adam``, ``adamw``, ``rmsprop`` or an instance (SGD with
            momentum or Nesterov momentum: ``cr.SGD(0.1, momentum=0.9)``).
        weight_decay, weight_decay_on, schedule
            As for Network.fit.

        Not taken (train such a model alone, with ``ensemble[k].fit``):
        ``optimizer="lbfgs"``, validation data, callbacks, early stopping,
        dropout and sample weights.
        """
        net = self.stack
        X, Y = net.check_XY(X, Y)
        epochs = check_positive_int(epochs, "epochs", minimum=0)
        if not isinstance(optimizer, Optimizer):
            name = lookup({**OPTIMIZERS, "lbfgs": None}, optimizer, "optimizer")
            if name is None:
                raise ValueError(
                    "optimizer='lbfgs' is not taken by an Ensemble (each model's line search takes its own steps): "
                    "use 'sgd', 'adam', 'adamw' or 'rmsprop', or fit ensemble[k] alone with L-BFGS"
                )
        if isinstance(optimizer, Optimizer) and (
            learning_rate is not None or weight_decay is not None or weight_decay_on is not None or schedule is not None
        ):
            raise ValueError(
                "learning_rate, weight_decay, weight_decay_on and schedule are for an optimizer given by name; "
                f"set them on the {type(optimizer).__name__} instance instead"
            )
        rates: Any = DEFAULT_LEARNING_RATE if learning_rate is None else learning_rate
        if isinstance(rates, (list, tuple, np.ndarray, range)):
            rates = self._check_rates(list(rates), "learning_rate")
        if batch_size is not None:
            batch_size = check_positive_int(batch_size, "batch_size")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle must be True or False; got {type(shuffle).__name__} {shuffle!r}")
        opt = resolve_optimizer(
            net, optimizer, rates, weight_decay=weight_decay, weight_decay_on=weight_decay_on, schedule=schedule
        )
        if isinstance(opt.learning_rate, np.ndarray):
            self._check_rates(opt.learning_rate, "the optimizer's learning_rate")
        n = X.shape[0]
        history = EnsembleHistory(
            epochs=list(range(self.epochs_trained_, self.epochs_trained_ + epochs)),
            loss=np.full((self.models, epochs), np.nan),
            accuracy=np.full((self.models, epochs if net.loss_function.is_classification else 0), np.nan),
            learning_rate=np.empty((self.models, epochs)),
            diverged=np.zeros(self.models, dtype=bool),
        )
        # Overflow is not warned about: a model whose numbers stop being finite is marked diverged.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if batch_size is None or batch_size >= n:
                _full_batch_epochs(self, opt, X, Y, history)
            else:
                _minibatch_epochs(self, opt, X, Y, batch_size, bool(shuffle), history)
            history.diverged |= ~np.isfinite(history.loss).all(axis=1) | ~np.isfinite(net.params).all(axis=1)
        self.epochs_trained_ += epochs
        return history

    def _check_rates(self, rates: Any, argument: str) -> Any:
        count = len(rates)
        if count != self.models:
            raise ValueError(
                f"{argument} has {count} rates for an ensemble of {self.models} models: "
                f"give one rate for all, or one per model ({self.models})"
            )
        return rates


def _check_seed(seed: Any, k: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seeds must be non-negative ints, one per model; seeds[{k}] is {seed!r}")
    return int(seed)


def _step(net: Network, opt: Optimizer, x: np.ndarray, y: np.ndarray):
    """One step of every model: the engine's forward and backward passes, then one update of the stack's rows."""
    fwd = net.forward(x)
    back = net.backward(fwd, y)
    if opt.weight_decay and opt.weight_decay_on == "weights":
        opt.step([net.params], [net.grads], [net.weight_mask])
    else:
        opt.step([net.params], [net.grads])
    return fwd, back


def _full_batch_epochs(ensemble: Ensemble, opt: Optimizer, X: np.ndarray, Y: np.ndarray, history) -> None:
    """Every epoch of a full-batch fit: one step each, its loss measured before the update.

    With numba, the compiled loop of :mod:`chainrule.training.tiny` takes over under the rule that
    sends each model's own fit there (:func:`chainrule.training.tiny.use_compiled`: the run's size
    and length, ``CHAINRULE_KERNELS``), so that model k still gets its own fit's bits.
    """
    net = ensemble.stack
    if X.ndim == 2 and tiny.use_compiled(net, opt, X.shape[0], history.loss.shape[1]):
        _compiled_epochs(ensemble, opt, X, Y, history)
        return
    loss_function = net.loss_function
    classifier = loss_function.is_classification
    losses, rates = history.loss, history.learning_rate
    for i in range(losses.shape[1]):
        rates[:, i] = opt.begin_epoch()
        fwd, back = _step(net, opt, X, Y)
        losses[:, i] = back.loss
        if classifier:
            history.accuracy[:, i] = np.count_nonzero(loss_function.hits(fwd.activations[-1], Y), axis=-1) / len(X)
        opt.end_epoch()


def _compiled_epochs(ensemble: Ensemble, opt: Optimizer, X: np.ndarray, Y: np.ndarray, history) -> None:
    """:func:`_full_batch_epochs` on the compiled loop (:func:`chainrule.training.tiny.train_many`).

    The K models go in calls of about ``tiny.CALL_WORK`` multiply-adds each (a KeyboardInterrupt
    is taken between calls), the models still training in each. The optimiser's counters and state
    end as on the NumPy engine (and as each model's own fit leaves them). A model that diverges
    stops there, with the values of its last finite epoch (its own fit would raise
    TrainingDiverged): its columns of the history from then on are NaN but the failing epoch's
    loss, and it is marked diverged.
    """
    stack, model = ensemble.stack, ensemble._models[0]  # the stack's rows; one model for the architecture
    K, P = stack.params.shape
    n, epochs = X.shape[0], history.loss.shape[1]
    classifier = stack.loss_function.is_classification
    rates = np.array(np.broadcast_to(np.asarray(opt.begin_epoch(), dtype=np.float64), (K,)))  # no schedule
    history.learning_rate[...] = rates[:, None]
    # class labels (n,) as the one-hot rows the compiled loop reads, as a single model's fit gives them
    Y = Y if Y.ndim == 2 else np.eye(stack.n_outputs, dtype=stack.dtype)[Y]
    had_state = bool(opt.state)
    state = {name: opt.state[0][name] for name in opt.state_names} if had_state else {}
    iterations = np.full(K, opt.iterations, np.int64)
    per_call = max(1, tiny.CALL_WORK // (n * P * K))
    live = np.arange(K)  # the models still training
    start = 0
    while start < epochs and live.size:
        count = min(epochs - start, per_call)
        if live.size == K:  # in place
            params, part, steps = stack.params, state, iterations
        else:
            params, steps = stack.params[live], iterations[live]
            part = {name: value[live] for name, value in state.items()}
        result = tiny.train_many(model, params, rates[live], X, Y, count, opt, part, steps, check_last=False)
        if live.size != K:
            stack.params[live], iterations[live] = params, steps
            for name, value in part.items():
                state[name][live] = value
        ok = result.status == 0
        history.loss[live[ok], start : start + count] = result.loss[ok]
        if classifier:
            history.accuracy[live[ok], start : start + count] = result.correct[ok] / n
        for row in np.flatnonzero(~ok):  # the models that stopped in this call
            k, done = live[row], int(result.epochs_done[row])
            last = done + 1 if result.status[row] == 2 else done  # status 2: that epoch's loss was measured
            history.loss[k, start : start + last] = result.loss[row, :last]
            if classifier:
                history.accuracy[k, start : start + last] = result.correct[row, :last] / n
            if result.status[row] == 1:
                history.loss[k, start + done] = result.bad_loss[row]
        history.diverged[live[~ok]] = True
        live = live[ok]
        start += count
    opt.iterations += epochs
    opt.epochs_ += epochs
    plain = type(opt) is SGD and not (opt.momentum or opt.weight_decay)
    if not had_state and epochs and not plain:  # the state Optimizer.step makes on its first step
        opt.state = [{**state, "_scratch": np.empty_like(stack.params)}]


def _minibatch_epochs(
    ensemble: Ensemble, opt: Optimizer, X: np.ndarray, Y: np.ndarray, batch_size: int, shuffle: bool, history
) -> None:
    """Every epoch of a mini-batch fit: each model's batches in its own shuffled order.

    Model k's order is drawn from its own network's generator, as its own
    fit draws it, so its batch b holds the rows its own fit's batch b holds;
    the batches of all models are gathered into one (K, b, n_inputs) array.
    """
    net = ensemble.stack
    n = X.shape[0]
    mean = net.reduction == "mean"
    loss_function = net.loss_function
    classifier = loss_function.is_classification
    n_batches = -(-n // batch_size)
    losses, rates = history.loss, history.learning_rate
    for i in range(losses.shape[1]):
        rates[:, i] = opt.begin_epoch()
        if shuffle:
            order = np.stack([model.shuffle_rng.permutation(n) for model in ensemble._models])
        loss = np.zeros(ensemble.models)
        correct = np.zeros(ensemble.models)
        for b in range(n_batches):
            start = b * batch_size
            if shuffle:
                rows = order[:, start : start + batch_size]  # (K, b): model k's rows
                x, y = X[rows], Y[rows]
            else:
                x, y = X[start : start + batch_size], Y[start : start + batch_size]
            fwd, back = _step(net, opt, x, y)
            k = y.shape[-2]
            if mean:
                loss += back.loss * k
            else:
                loss += back.loss
            if classifier:
                correct += np.count_nonzero(loss_function.hits(fwd.activations[-1], y), axis=-1)
        losses[:, i] = loss / n if mean else loss
        if classifier:
            history.accuracy[:, i] = correct / n
        opt.end_epoch()
