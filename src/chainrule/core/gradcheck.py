"""Finite-difference check of backpropagation's gradients.

For every parameter θ the loss is evaluated at θ ± ε with everything else
fixed; (L(θ+ε) − L(θ−ε)) / 2ε is compared with backprop's ∂L/∂θ. The check
runs in float64 (a float32 network is copied to float64 first), so its
error is ~ε² truncation plus ~1e-16/ε rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_positive_float, check_positive_int

__all__ = ["gradcheck"]


def gradcheck(
    net, X: Any, Y: Any, epsilon: float = 1e-6, max_per_array: int | None = None, seed: int = 0
) -> dict[str, float]:
    """Compare backprop's gradients with central finite differences.

    Parameters
    ----------
    net : Network
        Not modified (a float64 copy is checked).
    X : array-like of shape (n_samples, n_inputs)
    Y : array-like of shape (n_samples, n_outputs), or class labels for cross-entropy
    epsilon : float > 0
        The finite-difference step.
    max_per_array : int, optional
        Check at most this many entries of each array (chosen at random
        from ``seed``); ``None`` checks every entry.

    Returns
    -------
    dict mapping ``"layers[i].weights"`` / ``"layers[i].bias"`` to the worst
    error of that array: max_k |backprop_k − numeric_k| divided by the
    largest magnitude among both gradients of the array (0 where both are
    all zero). Below ~1e-6 means backprop is right.
    """
    epsilon = check_positive_float(epsilon, "epsilon")
    if max_per_array is not None:
        max_per_array = check_positive_int(max_per_array, "max_per_array")
    work = net.astype("float64")
    X, Y = work.check_XY(X, Y)
    analytic = [g.copy() for g in work.backward(work.forward(X), Y).grads]
    rng = np.random.default_rng(seed)

    def loss() -> float:
        fwd = work.forward(X)
        return work.loss_function.value(fwd.zs[-1], fwd.activations[-1], Y) * work.batch_scale(X.shape[0])

    result = {}
    for name, p, g in zip(work.parameter_names(), work.parameters(), analytic):
        flat = p.reshape(-1)  # a view: writing it moves the parameter
        indices = np.arange(flat.size)
        if max_per_array is not None and flat.size > max_per_array:
            indices = rng.choice(flat.size, max_per_array, replace=False)
        numeric = np.empty(len(indices))
        for k, i in enumerate(indices):
            old = flat[i]
            flat[i] = old + epsilon
            plus = loss()
            flat[i] = old - epsilon
            minus = loss()
            flat[i] = old
            numeric[k] = (plus - minus) / (2.0 * epsilon)
        exact = g.reshape(-1)[indices]
        scale = max(np.abs(exact).max(), np.abs(numeric).max())
        result[name] = float(np.abs(exact - numeric).max() / scale) if scale > 0 else 0.0
    return result
