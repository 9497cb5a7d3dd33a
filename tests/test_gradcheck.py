"""cr.gradcheck: small errors for correct backprop, large ones for the classic
mistakes, the network left alone, and its argument checks."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.core import activations as A
from chainrule.core import losses as L


class SigmoidDerivativeTwice(A.Sigmoid):
    """The seeds' slip: σ'(a) = σ(a)(1 − σ(a)) with a already σ(z)."""

    def derivative(self, z, a):
        s = 1 / (1 + np.exp(-a))
        return s * (1 - s)

    backward = A.Activation.backward  # grad_a ⊙ derivative(z, a), not Sigmoid's fused fast path


class HalfSquaredErrorWithoutHalf(L.HalfSquaredError):
    """Value ½Σ(a−y)² but gradient 2(a−y): the factor-of-two slip between conventions."""

    def evaluate(self, z, a, y, activation, scale):
        value, delta, grad_a = super().evaluate(z, a, y, activation, scale)
        return value, 2 * delta, 2 * grad_a


def _data(n=5, n_in=3, n_out=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)), rng.random((n, n_out))


def test_correct_backprop_passes():
    net = cr.Network([3, 4, 2], seed=0)
    errors = cr.gradcheck(net, *_data())
    assert list(errors) == net.parameter_names()
    assert all(isinstance(e, float) and 0 <= e < 1e-6 for e in errors.values())


def test_deep_sigmoid_network_passes_at_the_default_epsilon():
    # Vanishing gradients make the first layers' gradients ~1e-3 of the loss:
    # the default ε must keep finite-difference roundoff well under 1e-6 there too.
    net = cr.Network([3, 6, 6, 6, 6, 2], init="normal", seed=3)  # N(0, 1): saturating, the hard case
    X, Y = _data(10, seed=3)
    first = np.abs(net.gradients(X, Y)[0][0]).max()
    assert first < 1e-2 * net.loss(X, Y)
    assert max(cr.gradcheck(net, X, Y).values()) < 1e-6


def test_detects_the_derivative_applied_twice():
    net = cr.Network([3, 4, 2], activation=SigmoidDerivativeTwice(), output_activation=SigmoidDerivativeTwice(), seed=0)
    errors = cr.gradcheck(net, *_data())
    assert min(errors.values()) > 1e-2, errors


def test_detects_a_wrong_loss_gradient():
    net = cr.Network([3, 4, 2], loss=HalfSquaredErrorWithoutHalf(), seed=0)
    errors = cr.gradcheck(net, *_data())
    assert all(e == pytest.approx(0.5, rel=1e-5) for e in errors.values()), errors  # |2g − g| / |2g|


def test_network_not_modified():
    net = cr.Network([3, 4, 2], seed=0)
    before = [p.copy() for p in net.parameters()]
    arrays = net.parameters()
    cr.gradcheck(net, *_data())
    for p, b, same in zip(net.parameters(), before, arrays):
        np.testing.assert_array_equal(p, b)
        assert p is same


def test_float32_network_is_checked_in_float64():
    net = cr.Network([3, 4, 2], activation="tanh", seed=0, dtype="float32")
    errors = cr.gradcheck(net, *_data())
    assert max(errors.values()) < 1e-6  # float32 arithmetic could not reach this
    assert net.dtype == np.float32 and all(p.dtype == np.float32 for p in net.parameters())


def test_cross_entropy_labels_and_bias_free():
    net = cr.Network([3, 4, 3], activation="relu", loss="cross_entropy", bias=False, seed=1)
    X = np.random.default_rng(0).normal(size=(6, 3))
    errors = cr.gradcheck(net, X, np.array([0, 1, 2, 2, 1, 0]))
    assert list(errors) == ["layers[0].weights", "layers[1].weights"]
    assert max(errors.values()) < 1e-6


def test_zero_gradients_give_zero_error():
    # Every hidden relu is off: no gradient reaches layer 0, and none is measured.
    net = cr.Network([2, 3, 1], activation="relu", seed=0)
    net.layers[0].weights = -np.ones((3, 2))
    net.layers[0].bias = -np.ones(3)
    errors = cr.gradcheck(net, np.ones((4, 2)), np.zeros((4, 1)))
    assert errors["layers[0].weights"] == 0.0 and errors["layers[0].bias"] == 0.0


def test_max_per_array_samples_entries_deterministically():
    net = cr.Network([3, 8, 2], seed=0)
    X, Y = _data()
    a = cr.gradcheck(net, X, Y, max_per_array=3, seed=5)
    b = cr.gradcheck(net, X, Y, max_per_array=3, seed=5)
    assert a == b and list(a) == net.parameter_names()
    assert max(a.values()) < 1e-6


def test_a_large_epsilon_shows_truncation_error():
    # Central differences err by ~ε²: the check is only as good as its step.
    net = cr.Network([3, 4, 2], activation="tanh", seed=0)
    X, Y = _data()
    assert max(cr.gradcheck(net, X, Y, epsilon=0.5).values()) > 1e-3


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"epsilon": 0}, ValueError, r"epsilon must be a finite number > 0; got 0.0"),
        ({"epsilon": -1e-6}, ValueError, r"epsilon must be a finite number > 0; got -1e-06"),
        ({"epsilon": float("nan")}, ValueError, r"epsilon must be a finite number > 0; got nan"),
        ({"epsilon": "small"}, TypeError, r"epsilon must be a real number; got str 'small'"),
        ({"max_per_array": 0}, ValueError, r"max_per_array must be an integer >= 1; got 0"),
        ({"max_per_array": 2.0}, TypeError, r"max_per_array must be an integer >= 1; got float 2.0"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        cr.gradcheck(cr.Network([3, 4, 2], seed=0), *_data(), **kwargs)
