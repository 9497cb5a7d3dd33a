"""Loss functions: the value L and the output error δ = dL/dz of the last layer.

Conventions differ between the seeds and the frameworks by factors of 2 and
of N, so each is its own name:

================== =================================== ==========================
name               per sample                          used by
================== =================================== ==========================
half_squared_error ½·Σ_k (a_k − y_k)²                  seeds 000, 001, 003
squared_error      Σ_k (a_k − y_k)²                    seed 002's prose
mse                (1/K)·Σ_k (a_k − y_k)²              PyTorch ``MSELoss``
binary_cross_entropy −Σ_k y_k log a_k + (1−y_k) log(1−a_k)  sigmoid outputs
cross_entropy      −Σ_k y_k log a_k                    softmax outputs
================== =================================== ==========================

Over a batch of N samples the per-sample losses are reduced by ``"sum"``
(what the seeds' code does) or ``"mean"`` (÷N, the frameworks' default), so
``mse`` with ``"mean"`` is the mean over all N·K elements, as in PyTorch.

Arrays are ``z``, ``a``, ``y`` of shape (n_samples, n_outputs). ``value``
returns the *unreduced* sum over samples; the network multiplies by the
reduction's scale (1 or 1/N) once.
"""

from __future__ import annotations

import numpy as np

from .._validation import lookup

__all__ = [
    "LOSSES",
    "REDUCTIONS",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "HalfSquaredError",
    "Loss",
    "MeanSquaredError",
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
    ``a − y`` (the network then skips the Jacobian).
    """

    name = "loss"
    formula = "L(a, y)"
    output_activations: tuple[str, ...] | None = None
    default_output: str | None = None
    fused: str | None = None

    def value(self, z: np.ndarray, a: np.ndarray, y: np.ndarray) -> float:
        """Σ over samples of the per-sample loss (not yet reduced)."""
        return float(self.per_sample(z, a, y).sum())

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
    exactly where the seeds and the frameworks differ.
    """

    def coefficient(self, n_outputs: int) -> float:
        """c for K = ``n_outputs`` outputs."""
        raise NotImplementedError

    def value(self, z, a, y):
        d = (a - y).ravel()
        return self.coefficient(a.shape[1]) * float(d @ d)

    def per_sample(self, z, a, y):
        d = a - y
        return self.coefficient(a.shape[1]) * np.einsum("ij,ij->i", d, d)

    def gradient(self, a, y):
        g = a - y
        factor = 2.0 * self.coefficient(a.shape[1])
        if factor != 1.0:
            g *= factor
        return g


class HalfSquaredError(_SquaredErrors):
    """½·Σ(a − y)²; dL/da = a − y (seeds 000, 001, 003)."""

    name = "half_squared_error"
    formula = "L = ½·Σ(a−y)²"
    gradient_formula = "∂L/∂a = a − y"

    def coefficient(self, n_outputs):
        return 0.5

    def evaluate(self, z, a, y, activation, scale, out=None, weights=None):
        if weights is not None:
            return self._weighted(z, a, y, activation, scale, out, weights)
        # One subtraction serves the value and the gradient: this is the
        # seeds' loss and the tiny networks' hot path.
        grad_a = a - y
        value = 0.5 * float(np.vdot(grad_a, grad_a))
        if scale != 1.0:
            grad_a *= scale
        return value * scale, activation.backward(z, a, grad_a, out=out), grad_a


class SquaredError(_SquaredErrors):
    """Σ(a − y)²; dL/da = 2·(a − y) (seed 002's prose: "2 * (actual − predicted)")."""

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

    def per_sample(self, z, a, y):
        return np.sum(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), axis=1)

    def gradient(self, a, y):
        return (a - y) / (a * (1 - a))


class CrossEntropy(Loss):
    """−Σ_k y_k·log softmax(z)_k, from z by log-sum-exp (never log 0).

    Targets are one-hot rows (or any probability rows); the network turns
    integer class labels into one-hot rows before they get here. With the
    softmax output, δ = a − y.
    """

    name = "cross_entropy"
    formula = "L = −Σ y·log a"
    gradient_formula = "∂L/∂z = a − y"
    output_activations = ("softmax",)
    default_output = "softmax"
    fused = "softmax"

    def value(self, z, a, y):
        return float(-np.sum(y * (z - _log_sum_exp(z))))

    def per_sample(self, z, a, y):
        return -np.sum(y * (z - _log_sum_exp(z)), axis=1)

    def gradient(self, a, y):
        return -y / a


def _log_sum_exp(z: np.ndarray) -> np.ndarray:
    """log Σ_k e^(z_k) per row, shape (n, 1), without overflow."""
    m = z.max(axis=1, keepdims=True)
    return np.log(np.exp(z - m).sum(axis=1, keepdims=True)) + m


#: The one table of loss names.
LOSSES: dict[str, type[Loss]] = {
    "half_squared_error": HalfSquaredError,
    "squared_error": SquaredError,
    "mse": MeanSquaredError,
    "binary_cross_entropy": BinaryCrossEntropy,
    "cross_entropy": CrossEntropy,
}


def get_loss(name: str | Loss) -> Loss:
    """A :class:`Loss` from its name (or the instance itself)."""
    if isinstance(name, Loss):
        return name
    return lookup(LOSSES, name, "loss")()
