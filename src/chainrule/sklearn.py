"""scikit-learn estimators: :class:`MLPClassifier` and :class:`MLPRegressor`.

They take scikit-learn's parameter names and fitted attributes, pass its
``check_estimator`` for every solver, and are thin: each epoch of training
is one call of :meth:`chainrule.Network.fit` (the estimator adds
scikit-learn's stopping rules, learning-rate schedules and validation split
between calls); ``solver="lbfgs"`` is one call of
``Network.fit(optimizer="lbfgs")``. The L2 penalty on the weights is the
optimisers' own weight decay with ``weight_decay_on="weights"``.
What scikit-learn's own MLP does not give, they add: a validation-loss
curve, one activation per hidden layer, every layer's activations
(:meth:`MLPClassifier.layer_activations`), dropout, and float32 training.

The objective is scikit-learn's: for the classifier, (binary) cross-entropy
averaged over the batch's samples; for the regressor, its ``loss``
(½·Σ_k(a_k − y_k)² by default) averaged over the samples; both plus
½·α·Σ‖W‖²/n_batch (weights only, not intercepts). With ``sample_weight`` the average is weighted,
Σ w_i·ℓ_i / Σ w_i, and the penalty is divided by Σ w_i: the weights, scaled
to mean 1, go to ``Network.fit(sample_weight=...)``, which makes this exact
for full-batch training and its expectation over mini-batches.

Input of dtype float32 trains a float32 network; anything else float64.

Examples
--------
>>> from chainrule.sklearn import MLPClassifier
>>> clf = MLPClassifier(hidden_layer_sizes=(4,), tol=0.01, random_state=0)  # stops after 11 epochs
>>> clf.fit([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]).predict([[0, 1]]).shape
(1,)
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from .core.network import Network
from .training.optimizers import get_optimizer
from .training.schedules import InverseScaling

__all__ = ["MLPClassifier", "MLPRegressor"]

#: scikit-learn's activation names, and chainrule's own.
_ACTIVATION_NAMES = {
    "identity": "identity",
    "logistic": "sigmoid",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "leaky_relu": "leaky_relu",
}
_SOLVERS = ("adam", "sgd", "rmsprop", "lbfgs")
_LEARNING_RATES = ("constant", "invscaling", "adaptive")
#: The regressor's loss names (scikit-learn's) and chainrule's losses and output activations for them.
_REGRESSION_LOSSES = {
    "squared_error": ("half_squared_error", "identity"),
    "poisson": ("poisson", "exp"),
    "absolute_error": ("mae", "identity"),
}


# -- the estimators ---------------------------------------------------------------


def _stochastic(estimator) -> bool:
    """partial_fit is there for the stochastic solvers only (scikit-learn's ``_check_solver``)."""
    if estimator.solver == "lbfgs":
        raise AttributeError(f"partial_fit is only available for stochastic optimizers; {estimator.solver!r} is not")
    return True


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share (not public)."""

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.dropout = dropout

    # -- parameter checks (in fit, as scikit-learn asks) --------------------------
    def _check_params(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = list(sizes)
        except TypeError:
            raise TypeError(
                f"hidden_layer_sizes must be an int or a sequence of ints such as (100,); got {sizes!r}"
            ) from None
        for i, n in enumerate(sizes):
            if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
                raise ValueError(f"hidden_layer_sizes must hold ints >= 1; got {n!r} at position {i}")
        acts = [self.activation] * len(sizes) if isinstance(self.activation, str) else list(self.activation)
        if not isinstance(self.activation, str) and len(acts) != len(sizes):
            raise ValueError(
                f"activation must be one name or one per hidden layer ({len(sizes)}); got {len(acts)}: {acts!r}"
            )
        for name in acts:
            if not isinstance(name, str) or name not in _ACTIVATION_NAMES:
                raise ValueError(f"activation must be one of {sorted(_ACTIVATION_NAMES)}; got {name!r}")
        if self.solver not in _SOLVERS:
            raise ValueError(f"solver must be one of {list(_SOLVERS)}; got {self.solver!r}")
        if self.learning_rate not in _LEARNING_RATES:
            raise ValueError(f"learning_rate must be one of {list(_LEARNING_RATES)}; got {self.learning_rate!r}")
        checks = [
            ("alpha", self.alpha, 0.0, True),
            ("learning_rate_init", self.learning_rate_init, 0.0, False),
            ("power_t", self.power_t, 0.0, True),
            ("tol", self.tol, 0.0, True),
            ("momentum", self.momentum, 0.0, True),
            ("epsilon", self.epsilon, 0.0, False),
        ]
        for name, value, low, closed in checks:
            if (
                isinstance(value, bool)
                or not isinstance(value, numbers.Real)
                or not (value >= low if closed else value > low)
            ):
                raise ValueError(f"{name} must be a number {'>=' if closed else '>'} {low}; got {value!r}")
        for name, value in [
            ("validation_fraction", self.validation_fraction),
            ("dropout", self.dropout),
            ("beta_1", self.beta_1),
            ("beta_2", self.beta_2),
        ]:
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
                raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")
        if self.early_stopping and self.validation_fraction == 0:
            raise ValueError("validation_fraction must be > 0 with early_stopping=True; got 0")
        if self.momentum > 1:
            raise ValueError(f"momentum must be in [0, 1]; got {self.momentum!r}")
        for name in ("max_iter", "max_fun", "n_iter_no_change"):
            value = getattr(self, name)
            if name == "n_iter_no_change" and value == np.inf:
                continue  # scikit-learn's "never stop for lack of improvement"
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be an int >= 1; got {value!r}")
        if self.solver == "lbfgs" and self.dropout:
            raise ValueError(
                f"dropout is for the stochastic solvers; solver='lbfgs' needs dropout=0.0, got {self.dropout!r}"
            )
        bs = self.batch_size
        if bs != "auto" and (isinstance(bs, bool) or not isinstance(bs, numbers.Integral) or bs < 1):
            raise ValueError(f"batch_size must be 'auto' or an int >= 1; got {bs!r}")
        return [int(n) for n in sizes], [_ACTIVATION_NAMES[a] for a in acts]

    # -- fitting ------------------------------------------------------------------
    def _make_optimizer(self):
        """The solver as a chainrule optimiser; ``alpha`` is its weight decay on the weights (set in ``_fit``)."""
        decay = {"weight_decay_on": "weights"}  # scikit-learn's penalty has no intercepts
        if self.solver == "adam":
            return get_optimizer(
                "adam", self.learning_rate_init, beta1=self.beta_1, beta2=self.beta_2, epsilon=self.epsilon, **decay
            )
        if self.solver == "sgd":
            return get_optimizer(
                "sgd",
                self.learning_rate_init,
                momentum=self.momentum,
                nesterov=bool(self.nesterovs_momentum and self.momentum > 0),
                # scikit-learn's velocity v ← μ·v − η·g keeps its size when invscaling or adaptive change η
                momentum_correction=True,
                **decay,
            )
        return get_optimizer("rmsprop", self.learning_rate_init, epsilon=self.epsilon, **decay)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        sizes, acts = self._check_params()
        first = not (hasattr(self, "network_") and (incremental or self.warm_start))
        X, y = validate_data(
            self,
            X,
            y,
            reset=first,
            multi_output=True,
            dtype=(np.float64, np.float32),
            y_numeric=not self._is_classifier,
        )
        Y = self._encode_targets(y, first, incremental, classes)
        weights = self._sample_weights(X, y, sample_weight)
        if first:
            self._initialize(X, Y, sizes, acts, incremental)
        net = self.network_
        X = X.astype(net.dtype, copy=False)
        if self.solver == "lbfgs":
            return self._fit_lbfgs(X, Y, weights)
        n = X.shape[0]
        batch = min(200, n) if self.batch_size == "auto" else min(int(self.batch_size), n)
        if self._optimizer is None or not incremental:
            # As scikit-learn: every fit starts a new optimiser (warm_start keeps the weights only);
            # partial_fit continues the last one.
            self._optimizer = self._make_optimizer()
        opt = self._optimizer
        early = bool(self.early_stopping) and not incremental
        held_out = None
        if early:
            X, Y, weights, held_out = self._split_validation(X, Y, y, weights)
            n, batch = X.shape[0], min(batch, X.shape[0])
        # scikit-learn's weighted objective is (Σ w·ℓ + ½α‖W‖²) / Σ w over a batch: weights scaled
        # to mean 1 make fit's "mean" reduction (Σ w·ℓ / n) its first part over a full batch, and
        # weight decay α/D on the weights its penalty's gradient, D the batch's Σ w (expected, here).
        denominator = batch
        if weights is not None:
            denominator = batch * float(weights.sum()) / n
            weights = weights * (n / weights.sum())
        opt.weight_decay = float(self.alpha) / denominator
        validation = None
        if held_out is not None:
            X_val, Y_val, _, w_val = held_out
            validation = (
                (X_val, Y_val)
                if w_val is None or not w_val.any()
                else (X_val, Y_val, w_val * (len(w_val) / w_val.sum()))
            )
        best_params = None
        for _ in range(1 if incremental else self.max_iter):
            history = net.fit(
                X,
                Y,
                epochs=1,
                batch_size=batch,
                shuffle=bool(self.shuffle),
                optimizer=opt,
                validation_data=validation,
                dropout=float(self.dropout),
                sample_weight=weights,
                warn=False,  # scikit-learn's estimators take data as it comes, and do not warn about its scale
            )
            self.n_iter_ += 1
            self.t_ += n
            loss = self._record_loss(history.loss[-1], denominator)
            if self.solver == "sgd" and self.learning_rate == "invscaling":
                # scikit-learn's iteration_ends: η = η0 / (t + 1)^power_t, t the samples seen so far
                opt.set_learning_rate(InverseScaling(self.power_t).rate(self.learning_rate_init, self.t_))
            if incremental:
                continue
            if held_out is not None:
                self.validation_loss_curve_.append(history.val_loss[-1])
                if self._record_score(held_out):
                    best_params = net.params.copy()
            else:
                self._record_training_loss(loss)
            if self._converged(opt):
                break
        if early:
            self._no_improvement_count = 0
            if best_params is not None:
                net.params[...] = best_params
        if not early and not incremental:
            self._no_improvement_count = 0
        return self

    def _fit_lbfgs(self, X, Y, weights):
        """scikit-learn's ``_fit_lbfgs``: full batch, its objective, SciPy's L-BFGS-B with its stopping rules."""
        # The objective (Σ w·ℓ + ½α‖W‖²) / Σ w: weights scaled to mean 1, and λ = α / Σ w.
        denominator = float(X.shape[0])
        if weights is not None:
            denominator = float(weights.sum())
            weights = weights * (X.shape[0] / weights.sum())
        history = self.network_.fit(
            X,
            Y,
            optimizer="lbfgs",
            max_iter=int(self.max_iter),
            max_fun=int(self.max_fun),
            tol=float(self.tol),
            weight_decay=float(self.alpha) / denominator,
            weight_decay_on="weights",
            sample_weight=weights,
            verbose=1 if self.verbose else 0,
        )
        # As scikit-learn: n_iter_ counts this fit's iterations (a warm start begins a new run).
        self.n_iter_ = len(history)
        self.loss_curve_ = list(history.loss)
        self.loss_ = history.loss[-1] if history.loss else self._objective(X, Y, weights, denominator)
        if not np.isfinite(self.loss_):
            raise ValueError(f"training diverged: loss {self.loss_} after {self.n_iter_} L-BFGS iterations")
        if not history.converged:
            hint = (
                f" Increase the number of iterations to improve the convergence (max_iter={self.max_iter})."
                if self.n_iter_ >= self.max_iter
                else ""
            )
            warnings.warn(
                f"lbfgs failed to converge after {self.n_iter_} iteration(s): {history.message}.{hint}",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _objective(self, X, Y, weights, denominator):
        """scikit-learn's objective at the network's parameters: the loss plus ½α‖W‖² / denominator."""
        penalty = 0.5 * self.alpha * sum(float(np.vdot(l.weights, l.weights)) for l in self.network_.layers)
        return self.network_.loss(X, Y, sample_weight=weights) + penalty / denominator

    def _sample_weights(self, X, y, sample_weight):
        """The checked per-sample weights times the class weights; None when they are uniform."""
        weights = None
        if sample_weight is not None:
            weights = np.asarray(sample_weight, dtype=np.float64)
            if weights.ndim != 1 or weights.shape[0] != X.shape[0]:
                raise ValueError(f"sample_weight must have shape ({X.shape[0]},); got shape {weights.shape}")
            if not np.isfinite(weights).all() or (weights < 0).any():
                raise ValueError("sample_weight must hold finite numbers >= 0")
            if not weights.any():
                raise ValueError("sample_weight must not be all zero: there would be no sample to learn from")
        weights = self._class_weights(y, weights)
        if weights is not None and np.all(weights == weights[0]) and weights[0] > 0:
            weights = None  # uniform weights change nothing
        return weights

    def _initialize(self, X, Y, sizes, acts, incremental):
        """A new network (its seed drawn from random_state) and empty fitted attributes."""
        rng = check_random_state(self.random_state)
        self._seed = int(rng.randint(np.iinfo(np.int32).max))
        self.network_ = Network(
            [X.shape[1], *sizes, Y.shape[1]],
            activation=acts,
            output_activation=self._output_activation(),
            loss=self._loss_name(),
            # scikit-learn's MLP draws Glorot-uniform weights for every activation; a drop-in does too
            # (measured: He init lowers the digits grid search of tests/test_sklearn.py from > 0.85 to 0.83).
            init="xavier",
            seed=self._seed,
            dtype="float32" if X.dtype == np.float32 else "float64",
        )
        tracked = self.early_stopping and not incremental and self.solver != "lbfgs"
        self.loss_curve_ = []
        self.validation_loss_curve_ = [] if tracked else None
        self.validation_scores_ = [] if tracked else None
        self.best_loss_ = np.inf
        self.best_validation_score_ = -np.inf if tracked else None
        self.n_iter_ = 0
        self.t_ = 0
        self._no_improvement_count = 0
        self._optimizer = None

    def _split_validation(self, X, Y, y, weights):
        """scikit-learn's validation split (stratified for single-label classifiers).

        Returns the training X, Y and weights, and the held-out (X, Y, y, weights).
        """
        stratify = y if self._is_classifier and type_of_target(y) in ("binary", "multiclass") else None
        train_idx, val_idx = train_test_split(
            np.arange(X.shape[0]), random_state=self._seed, test_size=self.validation_fraction, stratify=stratify
        )
        w_val = None if weights is None else weights[val_idx]
        held_out = (X[val_idx], Y[val_idx], y[val_idx], w_val)
        train_weights = None if weights is None else weights[train_idx]
        return X[train_idx], Y[train_idx], train_weights, held_out

    def _record_loss(self, data_loss, denominator):
        """Append this iteration's penalised loss (scikit-learn's) to loss_curve_; raise if it is not finite."""
        penalty = 0.5 * self.alpha * sum(float(np.vdot(l.weights, l.weights)) for l in self.network_.layers)
        loss = data_loss + penalty / denominator
        self.loss_curve_.append(loss)
        self.loss_ = loss
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
        if not np.isfinite(loss):
            raise ValueError(f"training diverged: loss {loss} at iteration {self.n_iter_}; lower learning_rate_init")
        return loss

    def _record_score(self, held_out) -> bool:
        """Score the held-out data, count an iteration without improvement; True for a new best score."""
        X_val, _, y_val, w_val = held_out
        score = self._score_net(X_val, y_val, w_val)
        self.validation_scores_.append(score)
        if score < self.best_validation_score_ + self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if score > self.best_validation_score_:
            self.best_validation_score_ = score
            return True
        return False

    def _record_training_loss(self, loss):
        """Count an iteration whose training loss did not improve by tol."""
        if loss > self.best_loss_ - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if loss < self.best_loss_:
            self.best_loss_ = loss

    def _converged(self, opt) -> bool:
        """scikit-learn's stopping rules: n_iter_no_change iterations without improvement, or max_iter (warned).

        With ``learning_rate="adaptive"`` (sgd) the first rule divides the rate
        by 5 instead, and stops only once the rate is <= 1e-6.
        """
        if self._no_improvement_count > self.n_iter_no_change:
            what = "Validation score" if self.early_stopping else "Training loss"
            message = f"{what} did not improve more than tol={self.tol} for {self.n_iter_no_change} consecutive epochs."
            if self.solver == "sgd" and self.learning_rate == "adaptive" and opt.lr_ > 1e-6:
                opt.set_learning_rate(opt.lr_ / 5.0)
                self._no_improvement_count = 0
                if self.verbose:
                    print(f"{message} Setting learning rate to {opt.lr_:f}")
                return False
            if self.verbose:
                print(f"{message} Stopping.")
            return True
        if self.n_iter_ == self.max_iter:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached and "
                "the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )
        return False

    def _score_net(self, X, y, sample_weight):
        return self.score(X, y, sample_weight=sample_weight)

    def _class_weights(self, y, weights):
        return weights

    # -- using the fitted network -------------------------------------------------
    def _forward_output(self, X):
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        net = self.network_
        return net.forward(X.astype(net.dtype, copy=False)).activations[-1]

    def layer_activations(self, X: Any) -> list[np.ndarray]:
        """Every layer's activations for X: ``[X, a_1, ..., a_L]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        list of ndarray; entry l has shape (n_samples, n_units of layer l)
        (entry 0 is X itself, the last is the output layer's activations).
        """
        check_is_fitted(self, "network_")
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        net = self.network_
        return [a.copy() for a in net.forward(X.astype(net.dtype, copy=False)).activations]

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weights in scikit-learn's layout: entry l has shape (n_in, n_out) (a view, transposed)."""
        check_is_fitted(self, "network_")
        return [layer.weights.T for layer in self.network_.layers]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Biases: entry l has shape (n_out,)."""
        check_is_fitted(self, "network_")
        return [layer.bias for layer in self.network_.layers]

    @property
    def n_layers_(self) -> int:
        check_is_fitted(self, "network_")
        return len(self.network_.layers) + 1

    @property
    def n_outputs_(self) -> int:
        check_is_fitted(self, "network_")
        return self.network_.n_outputs

    @property
    def out_activation_(self) -> str:
        check_is_fitted(self, "network_")
        name = self.network_.layers[-1].activation.name
        return {"sigmoid": "logistic"}.get(name, name)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier, trained by :meth:`chainrule.Network.fit`.

    Binary and multi-label targets use sigmoid outputs and binary
    cross-entropy; multi-class targets softmax and cross-entropy.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
        Neurons per hidden layer.
    activation : str or sequence of str, default "relu"
        ``identity``, ``logistic`` (or ``sigmoid``), ``tanh``, ``relu``,
        ``leaky_relu``; one name for all hidden layers or one per layer.
    solver : {"adam", "sgd", "rmsprop", "lbfgs"}, default "adam"
        ``lbfgs`` is SciPy's L-BFGS-B on the whole data set (scikit-learn's,
        through ``Network.fit(optimizer="lbfgs")``; needs SciPy), with
        ``max_iter``, ``max_fun`` and ``tol`` as its stopping rules.
    alpha : float >= 0
        L2 penalty on the weights (not the intercepts), as scikit-learn: the
        optimisers' ``weight_decay`` α/n with ``weight_decay_on="weights"``.
    batch_size : int or "auto"
        ``"auto"`` is min(200, n_samples).
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        For ``sgd``, scikit-learn's schedules: ``invscaling`` sets the rate
        after each epoch to ``learning_rate_init / (t + 1)^power_t``, t the
        samples seen so far (``t_``); ``adaptive`` divides it by 5 each time
        ``n_iter_no_change`` epochs (plus one) fail to improve the training loss
        (or the validation score) by ``tol``, and stops once it is <= 1e-6.
        scikit-learn's documentation says "2 consecutive epochs"; its code,
        which this follows, counts ``n_iter_no_change``.
    learning_rate_init : float > 0
    power_t : float >= 0, default 0.5
    max_iter : int
        Maximum epochs (``lbfgs``: iterations).
    max_fun : int, default 15000
        ``lbfgs`` only: maximum evaluations of the objective.
    shuffle, random_state, tol, verbose, warm_start, momentum, nesterovs_momentum,
    early_stopping, validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change
        As in :class:`sklearn.neural_network.MLPClassifier` (``tol`` is
        L-BFGS-B's ``gtol`` for ``lbfgs``, as there). With momentum, ``sgd``
        keeps scikit-learn's velocity when the rate changes (``SGD(momentum_correction=True)``).
    dropout : float in [0, 1)
        Inverted dropout on the hidden layers' outputs during training.
    class_weight : dict, "balanced" or None
        Weights per class, multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    loss_curve_ : list of float
        Training objective (loss + L2 penalty) per epoch (``lbfgs``: after
        each iteration; scikit-learn's lbfgs keeps none).
    loss_ : float
        The last entry of ``loss_curve_``.
    validation_loss_curve_ : list of float or None
        With ``early_stopping``: the loss on the validation split per epoch.
    validation_scores_ : list of float or None
        With ``early_stopping``: the accuracy on the validation split per epoch.
    best_validation_score_, best_loss_ : float
    n_iter_ : int
        Epochs run (``lbfgs``: iterations of the last fit).
    coefs_ : list of ndarray of shape (n_in, n_out)
    intercepts_ : list of ndarray of shape (n_out,)
    network_ : chainrule.Network
        The trained network (``coefs_[l]`` is ``network_.layers[l].weights.T``).
    """

    _is_classifier = True

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
        )
        self.class_weight = class_weight

    def _loss_name(self):
        return "binary_cross_entropy" if self._binary_outputs else "cross_entropy"

    def _output_activation(self):
        return "sigmoid" if self._binary_outputs else "softmax"

    def _encode_targets(self, y, first, incremental, classes):
        check_classification_targets(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if first:
            lb = LabelBinarizer()
            if incremental:
                if classes is None:
                    raise ValueError("classes must be passed on the first call to partial_fit")
                lb.fit(np.asarray(classes) if type_of_target(y) != "multilabel-indicator" else y)
            else:
                lb.fit(y)
            if len(lb.classes_) < 2:
                raise ValueError(
                    f"MLPClassifier needs samples of at least 2 classes in the data; "
                    f"got 1 class: {lb.classes_[0].item()!r}"
                )
            self._label_binarizer = lb
            self.classes_ = lb.classes_
            self._binary_outputs = lb.y_type_ in ("binary", "multilabel-indicator")
        else:
            if classes is not None and not np.array_equal(np.asarray(classes), self.classes_):
                raise ValueError(
                    f"classes {np.asarray(classes).tolist()} differ from those of the first fit "
                    f"{self.classes_.tolist()}"
                )
            new = set(unique_labels(y).tolist()) - set(self.classes_.tolist()) if y.ndim == 1 else set()
            if new:
                raise ValueError(
                    f"y has labels not seen in the first fit: {sorted(new)}; "
                    f"expected a subset of {self.classes_.tolist()}"
                )
        return self._label_binarizer.transform(y).astype(np.float64)

    def _class_weights(self, y, weights):
        if self.class_weight is None:
            return weights
        cw = compute_sample_weight(self.class_weight, y)
        return cw if weights is None else weights * cw

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPClassifier:
        """Train on X (n_samples, n_features) and labels y (n_samples,) or a
        label-indicator matrix (n_samples, n_classes); returns self."""
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_stochastic)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None) -> MLPClassifier:
        """One epoch over (X, y), continuing the training; ``classes`` (all
        labels) is required on the first call."""
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), in the order of ``classes_``."""
        a = self._forward_output(X)
        if self._label_binarizer.y_type_ == "binary":
            return np.hstack([1.0 - a, a])
        return a.copy()

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """log of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """Labels, shape (n_samples,) (or (n_samples, n_classes) for multi-label)."""
        a = self._forward_output(X)
        if a.shape[1] == 1:
            a = a.ravel()
        return self._label_binarizer.inverse_transform(a)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor, trained by :meth:`chainrule.Network.fit`.

    Parameters and attributes as :class:`MLPClassifier` (no ``class_weight``;
    ``validation_scores_`` are R²), and:

    loss : {"squared_error", "poisson", "absolute_error"}, default "squared_error"
        What is averaged over the samples (keyword only: scikit-learn puts it
        first, but ``MLPRegressor((32,))`` here means hidden layers as before):

        - ``squared_error``: ½·Σ_k(a_k − y_k)², identity outputs (chainrule's
          ``half_squared_error``; scikit-learn's value also divides by the
          number of targets, its gradient does not);
        - ``poisson``: half the Poisson deviance Σ_k a_k − y_k·log a_k +
          y_k·log y_k − y_k with ``exp`` outputs (the log link), y >= 0, as
          scikit-learn's;
        - ``absolute_error``: (1/K)·Σ_k|a_k − y_k|, identity outputs
          (chainrule's ``mae``, subgradient 0 at a = y), which scikit-learn's
          MLP does not have. A ``"median"``-like fit: robust to outliers.
    """

    _is_classifier = False

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="squared_error",
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
        )
        self.loss = loss

    def _check_params(self):
        if not isinstance(self.loss, str) or self.loss not in _REGRESSION_LOSSES:
            raise ValueError(f"loss must be one of {list(_REGRESSION_LOSSES)}; got {self.loss!r}")
        return super()._check_params()

    def _loss_name(self):
        return _REGRESSION_LOSSES[self.loss][0]

    def _output_activation(self):
        return _REGRESSION_LOSSES[self.loss][1]

    def _encode_targets(self, y, first, incremental, classes):
        y = np.asarray(y, dtype=np.float64)
        if self.loss == "poisson" and y.size and y.min() < 0:
            raise ValueError(
                f"y must be >= 0 for loss='poisson' (counts or rates; the prediction e^z is > 0); got {y.min()}"
            )
        if first:
            self._y_ndim = y.ndim
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Train on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_targets); returns self."""
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_stochastic)
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over (X, y), continuing the training."""
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions, shape (n_samples,) (or (n_samples, n_targets) if fitted on 2-D y)."""
        a = self._forward_output(X)
        return a.ravel() if self._y_ndim == 1 else a.copy()
