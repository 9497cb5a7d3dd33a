"""Loss functions: the value L and the output error δ = dL/dz of the last layer.

Conventions differ between textbook tutorials and the frameworks by factors of 2 and
of N, so each is its own name:

==================== ======================================== ===================== ==========================
name                 per sample                               ∂L/∂a or δ = ∂L/∂z    used by
==================== ======================================== ===================== ==========================
half_squared_error   ½·Σ_k (a_k − y_k)²                       a − y                 textbooks (½ cancels 2)
squared_error        Σ_k (a_k − y_k)²                         2·(a − y)             "sum of squared errors"
mse                  (1/K)·Σ_k (a_k − y_k)²                   2·(a − y)/K           PyTorch ``MSELoss``
mae                  (1/K)·Σ_k |a_k − y_k|                    sign(a − y)/K         PyTorch ``L1Loss``
binary_cross_entropy −Σ_k y_k log a_k + (1−y_k) log(1−a_k)    δ = a − y (sigmoid)   sigmoid outputs
cross_entropy        −Σ_k y_k log a_k                         δ = a − y (softmax)   softmax outputs
poisson              Σ_k a_k − y_k·log a_k + y_k log y_k − y_k δ = a − y (exp)       scikit-learn's ``poisson``
==================== ======================================== ===================== ==========================

``mae``'s subgradient at a = y is 0 (``np.sign(0)``, as PyTorch's ``L1Loss``
backward). ``poisson`` is half the Poisson deviance with the log link, as
scikit-learn's ``MLPRegressor(loss="poisson")``: its output activation is
``exp`` (a = e^z, the predicted mean), targets are counts or rates y >= 0
(0·log 0 = 0), and the value is computed from z as a − y·z + y log y − y;
it is PyTorch's ``PoissonNLLLoss(log_input=True, full=False)`` on z plus the
constant y log y − y, which makes a perfect prediction (a = y) cost 0.

Over a batch of N samples the per-sample losses are reduced by ``"sum"``
(what most hand-worked tutorials do) or ``"mean"`` (÷N, the frameworks' default), so
``mse`` with ``"mean"`` is the mean over all N·K elements, as in PyTorch.

Arrays are ``z``, ``a``, ``y`` of shape (n_samples, n_outputs); for
``cross_entropy`` y may also be integer class labels of shape (n_samples,).
``value`` returns the *unreduced* sum over samples; the network multiplies
by the reduction's scale (1 or 1/N) once. For a stack of K models
(:meth:`chainrule.Network.stack`) z and a are (K, n_samples, n_outputs), y
the same or (n_samples, n_outputs) for all, and ``value`` and the loss of
``evaluate`` are one per model, shape (K,): every sum over outputs and
samples runs along the last two axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_float_array, lookup

__all__ = [
    "LOSSES",
    "REDUCTIONS",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "HalfSquaredError",
    "Loss",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "PoissonDeviance",
    "SquaredError",
    "get_loss",
]

REDUCTIONS = ("mean", "sum")


class Loss:
    """Base class.

    ``output_activations`` lists the output activations the loss accepts
    (``None``: any); ``default_output`` is used when the network gives none
    (``None``: decided by the network, see :class:`chainrule.Network`).
    ``fused`` names the output activation with which δ simplifies to
    ``a − y`` (the network then skips the Jacobian). ``is_classification``
    says the outputs are probabilities of classes: training then reports
    accuracy, and :meth:`hits` says which rows are classified right.
    ``takes_labels``: targets may be integer class labels (n_samples,),
    one output per class (the prediction's argmax is the class).
    """

    name = "loss"
    formula = "L(a, y)"
    output_activations: tuple[str, ...] | None = None
    default_output: str | None = None
    fused: str | None = None
    is_classification = False
    takes_labels = False

    def check_targets(self, Y, n_samples: int, n_outputs: int, dtype, argument: str = "Y") -> np.ndarray:
        """Targets checked for this loss, as an array of shape (n_samples, n_outputs) and ``dtype``.


        Raises where the bad value enters, naming ``argument``: not finite
        numbers, the wrong number of rows or columns, and whatever the loss
        itself refuses (probabilities outside [0, 1], rows not summing to 1).
        """
        Y = as_float_array(Y, argument, dtype)
        if Y.shape[0] != n_samples:
            raise ValueError(f"{argument} must have as many rows as X ({n_samples}); got shape {Y.shape}")
        if Y.shape[1] != n_outputs:
            raise ValueError(
                f"{argument} must have {n_outputs} columns (the network's output size, sizes[-1]); got shape {Y.shape}"
            )
        return Y

    def check_labels(self, Y, n_samples: int, n_outputs: int, dtype, argument: str = "Y") -> np.ndarray:
        """As :meth:`check_targets`, but a loss that ``takes_labels`` keeps 1-D class labels as labels.

        They come back as an intp array of shape (n_samples,), which
        ``value``, ``per_sample``, ``evaluate`` and ``hits`` take in place of
        one-hot rows; every other form (and every other loss) is
        :meth:`check_targets`'s.
        """
        return self.check_targets(Y, n_samples, n_outputs, dtype, argument)

    def hits(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Which rows of the output a (n_samples, n_outputs) classify their target row right: bool (n_samples,).

        Every output on the same side of 0.5 as its target (one or more
        independent yes/no outputs); :class:`CrossEntropy` takes the argmax.
        """
        return ((a > 0.5) == (y > 0.5)).all(axis=-1)

    def value(self, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> Any:
        """Σ over samples of the per-sample loss (not yet reduced): a float, or (K,) for a stack."""
        return _over_samples(self.per_sample(z, a, y))

    def per_sample(self, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The loss of each sample, shape (n_samples,)."""
        raise NotImplementedError

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dL/da per element, not yet reduced, shape of a."""
        raise NotImplementedError

    def evaluate(self, z, a, y, activation, scale: float, out=None, weights=None):
        """(reduced loss, δ = dL/dz of the output layer, dL/da or None).

        ``scale`` is the reduction's factor: 1 for ``"sum"``, 1/N for ``"mean"``.
        dL/da is ``None`` where the fused form δ = (a − y)·scale was used.
        δ is written into ``out`` when given. ``weights`` (n_samples,), if
        given, multiply each sample's loss, and so its row of δ and dL/da.
        """
        if weights is not None:
            return self._weighted(z, a, y, activation, scale, out, weights)
        value = self.value(z, a, y) * scale
        if activation.name == self.fused:
            delta = np.subtract(a, y, out=out)
            if scale != 1.0:
                delta *= scale
            return value, delta, None
        grad_a = self.gradient(a, y)
        if scale != 1.0:
            grad_a *= scale
        return value, activation.backward(z, a, grad_a, out=out), grad_a

    def _weighted(self, z, a, y, activation, scale, out, weights):
        value = float(self.per_sample(z, a, y) @ weights) * scale
        w = (weights * scale)[:, None].astype(a.dtype, copy=False)
        if activation.name == self.fused:
            delta = np.subtract(a, y, out=out)
            delta *= w
            return value, delta, None
        grad_a = self.gradient(a, y)
        grad_a *= w
        return value, activation.backward(z, a, grad_a, out=out), grad_a

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))


class _SquaredErrors(Loss):
    """The squared-error family: c·Σ_k(a_k − y_k)² per sample, dL/da = 2c·(a − y).

    Its members differ only in the constant c (``coefficient``), which is
    exactly where tutorials and the frameworks differ.
    """

    def coefficient(self, n_outputs: int) -> float:
        """c for K = ``n_outputs`` outputs."""
        raise NotImplementedError

    def check_targets(self, Y, n_samples, n_outputs, dtype, argument="Y"):
        """Real-valued rows of shape (n_samples, n_outputs).

        1-D integer (or bool) labels are refused with a message that names
        the classification losses: a squared error would treat the classes
        as numbers on a line.
        """
        raw = _raw(Y)
        if raw is not None and raw.ndim == 1 and (np.issubdtype(raw.dtype, np.integer) or raw.dtype == np.bool_):
            binary = raw.size > 0 and bool(np.isin(raw, (0, 1)).all())
            bce = " (or loss='binary_cross_entropy' with sizes[-1] = 1, for 0/1 labels)" if binary else ""
            raise ValueError(
                f"{argument} holds integer class labels (shape {raw.shape}), but loss {self.name!r} treats targets "
                f"as numbers: for classes use loss='cross_entropy' with one output per class{bce}; "
                f"to regress on the numbers, give {argument}.reshape(-1, 1) as floats"
            )
        return super().check_targets(Y, n_samples, n_outputs, dtype, argument)

    def value(self, z, a, y):
        if a.ndim != 2:
            return self.coefficient(a.shape[-1]) * _dot_per_model(a - y)
        d = (a - y).ravel()
        return self.coefficient(a.shape[1]) * float(d @ d)

    def per_sample(self, z, a, y):
        d = a - y
        return self.coefficient(a.shape[-1]) * np.einsum("...ij,...ij->...i", d, d)

    def gradient(self, a, y):
        g = a - y
        factor = 2.0 * self.coefficient(a.shape[-1])
        if factor != 1.0:
            g *= factor
        return g


class HalfSquaredError(_SquaredErrors):
    """½·Σ(a − y)²; dL/da = a − y (the textbook convention: the ½ cancels the 2)."""

    name = "half_squared_error"
    formula = "L = ½·Σ(a−y)²"
    gradient_formula = "∂L/∂a = a − y"

    def coefficient(self, n_outputs):
        return 0.5

    def evaluate(self, z, a, y, activation, scale, out=None, weights=None):
        if weights is not None:
            return self._weighted(z, a, y, activation, scale, out, weights)
        # One subtraction serves the value and the gradient: this is the
        # textbook loss and the tiny networks' hot path.
        grad_a = a - y
        value: Any
        if grad_a.ndim == 2:
            value = 0.5 * float(np.vdot(grad_a, grad_a))
        else:  # a stack: one value per model
            value = 0.5 * _dot_per_model(grad_a)
        if scale != 1.0:
            grad_a *= scale
        return value * scale, activation.backward(z, a, grad_a, out=out), grad_a


class SquaredError(_SquaredErrors):
    """Σ(a − y)²; dL/da = 2·(a − y) (no ½: the 2 of the derivative stays)."""

    name = "squared_error"
    formula = "L = Σ(a−y)²"
    gradient_formula = "∂L/∂a = 2·(a − y)"

    def coefficient(self, n_outputs):
        return 1.0


class MeanSquaredError(_SquaredErrors):
    """(1/K)·Σ_k(a_k − y_k)² per sample; dL/da = 2·(a − y)/K (PyTorch's MSELoss)."""

    name = "mse"
    formula = "L = (1/K)·Σ(a−y)²"
    gradient_formula = "∂L/∂a = 2·(a − y)/K"

    def coefficient(self, n_outputs):
        return 1.0 / n_outputs


class MeanAbsoluteError(Loss):
    """(1/K)·Σ_k|a_k − y_k| per sample; dL/da = sign(a − y)/K, 0 at a = y (PyTorch's L1Loss).

    With ``reduction="mean"`` the mean over all N·K elements, exactly
    ``torch.nn.L1Loss()``. The subgradient 0 at a kink is NumPy's and
    PyTorch's choice; finite differences agree everywhere else.
    """

    name = "mae"
    formula = "L = (1/K)·Σ|a−y|"
    gradient_formula = "∂L/∂a = sign(a − y)/K"

    def value(self, z, a, y):
        if a.ndim != 2:
            return _sum_per_model(np.abs(a - y)) / a.shape[-1]
        return float(np.abs(a - y).sum()) / a.shape[1]

    def per_sample(self, z, a, y):
        return np.abs(a - y).sum(axis=-1) / a.shape[-1]

    def gradient(self, a, y):
        g = np.sign(a - y)
        g /= a.shape[-1]
        return g


class BinaryCrossEntropy(Loss):
    """−Σ[y·log a + (1−y)·log(1−a)] with a = σ(z), computed from z (never log 0).

    With the sigmoid output, δ = a − y. The value uses the stable form
    max(z, 0) − z·y + log(1 + e^(−|z|)).
    """

    name = "binary_cross_entropy"
    formula = "L = −Σ[y·log a + (1−y)·log(1−a)]"
    gradient_formula = "∂L/∂z = a − y"
    output_activations = ("sigmoid",)
    default_output = "sigmoid"
    fused = "sigmoid"
    is_classification = True

    def check_targets(self, Y, n_samples, n_outputs, dtype, argument="Y"):
        """Probability rows of shape (n_samples, n_outputs), or 0/1 labels of shape (n_samples,) for one output.

        The 1-D form is scikit-learn's ``y``: it becomes one column.
        """
        raw = _raw(Y)
        if raw is not None and raw.ndim == 1:
            if n_outputs != 1:
                raise ValueError(
                    f"{argument} as 1-D labels (shape {raw.shape}) needs one output (sizes[-1] = 1) for "
                    f"binary_cross_entropy; this network has {n_outputs}: give rows of shape (n_samples, {n_outputs}), "
                    f"or use loss='cross_entropy' for class labels 0..{n_outputs - 1}"
                )
            Y = raw.reshape(-1, 1)
        Y = super().check_targets(Y, n_samples, n_outputs, dtype, argument)
        _check_probabilities(Y, self.name, argument)
        return Y

    def per_sample(self, z, a, y):
        return np.sum(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), axis=-1)

    def gradient(self, a, y):
        return (a - y) / (a * (1 - a))


class CrossEntropy(Loss):
    """−Σ_k y_k·log softmax(z)_k = log-sum-exp(z) − Σ_k y_k·z_k for rows that sum to 1 (never log 0).

    Targets are one-hot rows (or any probability rows) of shape
    (n_samples, n_outputs), or integer class labels of shape (n_samples,)
    (:meth:`check_labels`): ``value``, ``per_sample``,
    ``evaluate`` and ``hits`` take either, and give the same bits for a
    label and its one-hot row. With the softmax output, δ = a − y.

    One log-sum-exp: the softmax a = softmax(z) already holds the row's
    normaliser s = Σ_k e^(z_k − max z), since its largest entry is
    e^0/s = 1/s; so log Σ_k e^(z_k) = max z − log max a, with max a >= 1/K
    (never log 0, no second pass of exponentials).
    """

    name = "cross_entropy"
    formula = "L = −Σ y·log a"
    gradient_formula = "∂L/∂z = a − y"
    output_activations = ("softmax",)
    default_output = "softmax"
    fused = "softmax"
    is_classification = True
    takes_labels = True

    def check_targets(self, Y, n_samples, n_outputs, dtype, argument="Y"):
        """One-hot (or probability) rows of shape (n_samples, n_outputs), or integer labels (n_samples,).

        Labels in [0, n_outputs) are turned into one-hot rows of ``dtype``
        (:meth:`check_labels` keeps them as labels).
        """
        return self._check(Y, n_samples, n_outputs, dtype, argument, labels=False)

    def check_labels(self, Y, n_samples, n_outputs, dtype, argument="Y"):
        """As :meth:`check_targets`, but labels (n_samples,) stay labels: intp, no (n_samples, n_outputs) matrix."""
        return self._check(Y, n_samples, n_outputs, dtype, argument, labels=True)

    def _check(self, Y, n_samples, n_outputs, dtype, argument, labels):
        raw = Y if isinstance(Y, np.ndarray) else np.asarray(Y)
        if raw.ndim == 1:
            checked = _check_labels(raw, n_samples, n_outputs, argument)
            return checked.astype(np.intp, copy=False) if labels else _one_hot(checked, n_outputs, dtype)
        Y = super().check_targets(raw, n_samples, n_outputs, dtype, argument)
        _check_probabilities(Y, self.name, argument)
        sums = Y.sum(axis=1)
        if not np.allclose(sums, 1.0, atol=1e-4):
            row = int(np.argmax(np.abs(sums - 1.0)))
            raise ValueError(
                f"{argument} for cross_entropy must be one-hot (or probability) rows summing to 1; "
                f"row {row} sums to {sums[row]:.6g}"
            )
        return Y

    def hits(self, a, y):
        """The argmax of the output is the target's class (labels (n,) or rows (n, K); always, with one output)."""
        if a.shape[-1] == 1:
            return np.ones(a.shape[:-1], dtype=bool)
        return a.argmax(axis=-1) == (y if y.ndim == 1 else y.argmax(axis=-1))

    def value(self, z, a, y):
        per = self.per_sample(z, a, y)
        if per.ndim != 1:  # a stack: (K, n) -> (K,), each row summed as one model's per-sample losses are
            return per.sum(axis=-1).astype(np.float64)
        return float(per.sum())

    def per_sample(self, z, a, y):
        lse = _log_sum_exp(z, a)
        if y.ndim == 1:
            # −(z_y − lse): the one-hot row's only nonzero term, so both forms give the same bits
            return -(z[np.arange(y.shape[0]), y] - lse[:, 0])
        return -np.sum(y * (z - lse), axis=-1)

    def gradient(self, a, y):
        return -y / a

    def evaluate(self, z, a, y, activation, scale, out=None, weights=None):
        """As :meth:`Loss.evaluate`; labels y (n_samples,) give δ = (a − onehot(y))·scale without the one-hot rows."""
        if y.ndim != 1:  # rows (n, K), or a stack's (K, n, K)
            return super().evaluate(z, a, y, activation, scale, out, weights)
        per = self.per_sample(z, a, y)
        value = float(per.sum() if weights is None else per @ weights) * scale
        delta = a.copy() if out is None else out
        if out is not None:
            np.copyto(delta, a)
        delta[np.arange(y.shape[0]), y] -= 1.0  # a − 1 where the one-hot row holds 1, a − 0 = a elsewhere
        if weights is not None:
            delta *= (weights * scale)[:, None].astype(a.dtype, copy=False)
        elif scale != 1.0:
            delta *= scale
        return value, delta, None


class PoissonDeviance(Loss):
    """Half the Poisson deviance, Σ_k [a_k − y_k·log a_k + y_k·log y_k − y_k], with a = e^z.

    scikit-learn's ``MLPRegressor(loss="poisson")``: the log link (``exp``
    output), so δ = a − y, and 0 for a perfect prediction. Computed from z
    (a − y·z, never log 0); the term y log y − y does not depend on the
    network (0·log 0 = 0). Targets must be >= 0.
    """

    name = "poisson"
    formula = "L = Σ[a−y·log a + y·log y−y]"
    gradient_formula = "∂L/∂z = a − y"
    output_activations = ("exp",)
    default_output = "exp"
    fused = "exp"

    def check_targets(self, Y, n_samples, n_outputs, dtype, argument="Y"):
        Y = super().check_targets(Y, n_samples, n_outputs, dtype, argument)
        if Y.size and Y.min() < 0:
            raise ValueError(
                f"{argument} for poisson must be counts or rates >= 0 (the Poisson mean a = e^z is > 0); "
                f"got a minimum of {Y.min()}"
            )
        return Y

    def per_sample(self, z, a, y):
        y_log_y = y * np.log(np.where(y > 0, y, 1))
        return np.sum(a - y * z + y_log_y - y, axis=-1)

    def gradient(self, a, y):
        return 1 - y / a


def _over_samples(per_sample: np.ndarray) -> Any:
    """The sum of per-sample losses: a float for (n_samples,), one per model (K,) for a stack's (K, n_samples)."""
    return float(per_sample.sum()) if per_sample.ndim == 1 else per_sample.sum(axis=-1).astype(np.float64)


def _dot_per_model(d: np.ndarray) -> np.ndarray:
    """Σ d² over each model's samples and outputs, d (K, n, k) -> (K,): the dot product np.vdot takes of one.

    In float64, as one model's ``float(np.vdot(d, d))``: the loss is scaled in double precision.
    """
    rows = d.reshape(d.shape[0], -1)
    return np.vecdot(rows, rows).astype(np.float64)


def _sum_per_model(x: np.ndarray) -> np.ndarray:
    """Σ over each model's samples and outputs, x (K, n, k) -> (K,), summed as one model's array is (in float64)."""
    return x.reshape(x.shape[0], -1).sum(axis=-1).astype(np.float64)


def _raw(Y) -> np.ndarray | None:
    """Y as an array, to look at its shape and dtype (None when it is not array-like: check_targets says why)."""
    if isinstance(Y, np.ndarray):
        return Y
    try:
        return np.asarray(Y)
    except Exception:
        return None


def _check_probabilities(Y: np.ndarray, loss: str, argument: str) -> None:
    if Y.size and (Y.min() < 0 or Y.max() > 1):
        raise ValueError(f"{argument} for {loss} must be probabilities in [0, 1]; got values in [{Y.min()}, {Y.max()}]")


def _check_labels(labels: np.ndarray, n_samples: int, n_outputs: int, argument: str) -> np.ndarray:
    """Integer class labels (n_samples,) checked to lie in [0, n_outputs)."""
    if labels.dtype == object or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(
            f"{argument} as 1-D class labels must hold integers in [0, {n_outputs}); "
            f"got dtype {labels.dtype} (use labels.astype(int), or one-hot rows of width {n_outputs})"
        )
    if len(labels) != n_samples:
        raise ValueError(f"{argument} must have one label per row of X ({n_samples}); got {len(labels)}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_outputs):
        bad = labels[(labels < 0) | (labels >= n_outputs)][0]
        raise ValueError(f"{argument} class labels must be in [0, {n_outputs}) for {n_outputs} outputs; got {int(bad)}")
    return labels


def _one_hot(labels: np.ndarray, n_outputs: int, dtype) -> np.ndarray:
    """Checked class labels (n_samples,) as one-hot rows (n_samples, n_outputs)."""
    onehot = np.zeros((labels.shape[0], n_outputs), dtype=dtype)
    onehot[np.arange(labels.shape[0]), labels] = 1.0
    return onehot


def _log_sum_exp(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """log Σ_k e^(z_k) per row, shape (n, 1) ((K, n, 1) for a stack), from z and its softmax a (see CrossEntropy).

    a's largest entry is 1/s for the normaliser s = Σ_k e^(z_k − max z), so
    log Σ_k e^(z_k) = max z + log s = max z − log max a: no exponential,
    and max a >= 1/K, so never log 0.
    """
    return z.max(axis=-1, keepdims=True) - np.log(a.max(axis=-1, keepdims=True))


#: The one table of loss names.
LOSSES: dict[str, type[Loss]] = {
    "half_squared_error": HalfSquaredError,
    "squared_error": SquaredError,
    "mse": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "binary_cross_entropy": BinaryCrossEntropy,
    "cross_entropy": CrossEntropy,
    "poisson": PoissonDeviance,
}


def get_loss(name: str | Loss) -> Loss:
    """A :class:`Loss` from its name (or the instance itself)."""
    if isinstance(name, Loss):
        return name
    return lookup(LOSSES, name, "loss")()
