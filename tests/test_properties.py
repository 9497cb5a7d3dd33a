"""Property-based tests (hypothesis) over random architectures, activations, losses and data.

- backprop's gradients match central finite differences of ``net.loss``
  (computed here, independently of :func:`chainrule.core.gradcheck`);
- ``predict`` has shape (n_samples, n_outputs) and is finite for finite input;
- full-batch gradient descent never increases the loss of a convex
  single-layer problem (linear + MSE, logistic, softmax regression) at a
  learning rate below 1/L, L the Lipschitz constant of the gradient.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
LOSSES = ["half_squared_error", "squared_error", "mse", "binary_cross_entropy", "cross_entropy"]
FAST = settings(deadline=None, max_examples=100, database=None)


def _targets(loss, rng, n, k):
    if loss == "cross_entropy":
        return np.eye(k)[rng.integers(0, k, n)]
    if loss == "binary_cross_entropy":
        return rng.random((n, k))
    return rng.standard_normal((n, k))


architectures = st.tuples(
    st.lists(st.integers(1, 4), min_size=2, max_size=4),  # sizes
    st.lists(st.sampled_from(HIDDEN), min_size=2, max_size=2),  # one activation per hidden layer, cut below
    st.sampled_from(LOSSES),
    st.sampled_from(["mean", "sum"]),
    st.booleans(),  # bias
    st.integers(0, 2**32 - 1),  # seed of weights and data
)


def _build(arch, n_samples):
    sizes, acts, loss, reduction, bias, seed = arch
    if loss == "cross_entropy" and sizes[-1] == 1:
        sizes = sizes[:-1] + [2]
    hidden = (acts * 2)[: len(sizes) - 2]
    # N(0, 1) biases: zero biases (init="auto") put a dead-ReLU sample's next z at exactly 0, a kink
    # where finite differences are not the derivative.
    net = cr.Network(sizes, activation=hidden, loss=loss, reduction=reduction, bias=bias, init="normal", seed=seed)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, sizes[0]))
    return net, X, _targets(loss, rng, n_samples, sizes[-1])


@FAST
@given(architectures, st.integers(1, 5))
def test_gradients_match_finite_differences(arch, n_samples):
    net, X, Y = _build(arch, n_samples)
    analytic = np.concatenate([g.ravel() for pair in net.gradients(X, Y) for g in pair if g is not None])
    vector = net.params  # the parameters, in the order of net.gradients
    eps = 1e-6
    numeric = np.empty_like(analytic)
    for i in range(vector.size):
        old = vector[i]
        vector[i] = old + eps
        up = net.loss(X, Y)
        vector[i] = old - eps
        down = net.loss(X, Y)
        vector[i] = old
        numeric[i] = (up - down) / (2 * eps)
    scale = max(1.0, np.abs(analytic).max(), np.abs(numeric).max())
    np.testing.assert_allclose(analytic, numeric, rtol=0, atol=1e-6 * scale)


@FAST
@given(architectures, st.integers(1, 6), st.floats(-1e3, 1e3, allow_nan=False), st.sampled_from(["float32", "float64"]))
def test_predict_has_the_right_shape_and_is_finite(arch, n_samples, value, dtype):
    net, X, _ = _build(arch, n_samples)
    net = cr.Network(
        net.sizes,
        activation=[l.activation.name for l in net.layers[:-1]],
        loss=net.loss_function.name,
        bias=net.bias,
        seed=arch[-1],
        dtype=dtype,
    )
    X = X * value  # inputs as large as ±1e3 and exactly zero
    out = net.predict(X)
    assert out.shape == (n_samples, net.n_outputs)
    assert out.dtype == np.dtype(dtype)
    assert np.isfinite(out).all()


@settings(deadline=None, max_examples=60, database=None)
@given(
    st.sampled_from(["mse", "binary_cross_entropy", "cross_entropy"]),
    st.integers(1, 5),
    st.integers(1, 3),
    st.integers(2, 30),
    st.booleans(),
    st.integers(0, 2**32 - 1),
    st.floats(0.1, 1.0),
)
def test_gradient_descent_never_increases_a_convex_loss(loss, n_in, n_out, n, bias, seed, fraction):
    if loss == "cross_entropy":
        n_out = max(n_out, 2)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in)) * rng.uniform(0.1, 3.0)
    Y = _targets(loss, rng, n, n_out)
    net = cr.Network(
        [n_in, n_out], loss=loss, output_activation="identity" if loss == "mse" else None, bias=bias, seed=seed
    )
    # The loss is convex in (W, b); its gradient is L-Lipschitz with L = c·λ_max(X̃ᵀX̃)/N, where X̃ has a
    # column of ones for the bias: c = 2/n_out for the mean squared error, 1/4 for the logistic loss
    # (σ' <= 1/4) and 1/2 for softmax cross-entropy. Any rate below 2/L decreases the loss.
    Xt = np.hstack([X, np.ones((n, 1))]) if bias else X
    c = {"mse": 2.0 / n_out, "binary_cross_entropy": 0.25, "cross_entropy": 0.5}[loss]
    lipschitz = c * np.linalg.eigvalsh(Xt.T @ Xt / n).max()
    history = net.fit(X, Y, epochs=30, learning_rate=fraction / lipschitz)
    losses = np.array(history.loss + [net.loss(X, Y)])
    assert (np.diff(losses) <= 1e-12 * np.abs(losses[:-1]) + 1e-15).all(), losses
