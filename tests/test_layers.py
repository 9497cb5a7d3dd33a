"""Dense: the forward formula written out, the backward gradients against
finite differences, parameter assignment and its checks."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.core import activations as A


def _layer(n_in=3, n_out=2, activation="sigmoid", bias=True, dtype=np.float64, seed=0):
    layer = cr.Dense(n_in, n_out, activation, bias=bias, dtype=dtype)
    rng = np.random.default_rng(seed)
    layer.weights = rng.normal(size=(n_out, n_in))
    if bias:
        layer.bias = rng.normal(size=n_out)
    return layer


# -- forward ---------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
def test_forward_is_weighted_sum_plus_bias(bias, rng):
    layer = _layer(3, 2, "tanh", bias=bias)
    a_prev = rng.normal(size=(4, 3))
    z, a = layer.forward(a_prev)
    W, b = layer.weights, layer.bias
    for s in range(4):
        for j in range(2):
            expected = sum(W[j, i] * a_prev[s, i] for i in range(3)) + (b[j] if bias else 0.0)
            assert z[s, j] == pytest.approx(expected, rel=1e-14)
            assert a[s, j] == pytest.approx(np.tanh(expected), rel=1e-14)


def test_forward_seed_000_numbers():
    # One 2-input sigmoid neuron, w = (0.5, −0.5), b = 0.25, x = (1, 0): z = 0.75
    layer = cr.Dense(2, 1, "sigmoid")
    layer.weights = [[0.5, -0.5]]
    layer.bias = [0.25]
    z, a = layer.forward(np.array([[1.0, 0.0]]))
    assert z[0, 0] == 0.75
    assert a[0, 0] == pytest.approx(1 / (1 + np.exp(-0.75)), rel=1e-15)


# -- backward --------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
def test_backward_formulas(bias, rng):
    layer = _layer(3, 2, bias=bias)
    a_prev = rng.normal(size=(5, 3))
    delta = rng.normal(size=(5, 2))
    grads = [g.copy() for g in layer.backward(delta, a_prev)]
    assert len(grads) == (2 if bias else 1)
    np.testing.assert_allclose(grads[0], np.einsum("sj,si->ji", delta, a_prev), rtol=1e-13)
    assert grads[0].shape == (2, 3)
    if bias:
        np.testing.assert_allclose(grads[1], delta.sum(axis=0), rtol=1e-13)
        assert grads[1].shape == (2,)


def test_backward_matches_finite_differences(rng):
    # For L = Σ C ⊙ z, δ = ∂L/∂z = C; backward(C, a_prev) must be ∂L/∂W and ∂L/∂b.
    layer = _layer(3, 2, "identity")
    a_prev = rng.normal(size=(4, 3))
    C = rng.normal(size=(4, 2))
    gw, gb = [g.copy() for g in layer.backward(C, a_prev)]
    h = 1e-6

    def L():
        return float(np.sum(C * layer.forward(a_prev)[0]))

    for array, grad in ((layer.weights, gw), (layer.bias, gb)):
        for idx in np.ndindex(array.shape):
            old = array[idx]
            array[idx] = old + h
            plus = L()
            array[idx] = old - h
            minus = L()
            array[idx] = old
            assert grad[idx] == pytest.approx((plus - minus) / (2 * h), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_dtype_kept(dtype, bias, rng):
    layer = _layer(3, 2, "relu", bias=bias, dtype=dtype)
    assert layer.weights.dtype == dtype
    a_prev = rng.normal(size=(4, 3)).astype(dtype)
    z, a = layer.forward(a_prev)
    assert z.dtype == dtype and a.dtype == dtype and z.shape == (4, 2)
    for g in layer.backward(rng.normal(size=(4, 2)).astype(dtype), a_prev):
        assert g.dtype == dtype
    if bias:
        assert layer.bias.dtype == dtype


# -- parameters ------------------------------------------------------------------------
def test_assignment_copies_values_in_place():
    layer = cr.Dense(2, 2)
    weights_array, bias_array = layer.weights, layer.bias
    source = np.array([[1.0, 2.0], [3.0, 4.0]])
    layer.weights = source
    layer.bias = [5, 6]  # lists and ints are accepted and converted
    assert layer.weights is weights_array and layer.bias is bias_array  # optimisers keep their arrays
    source[0, 0] = 99.0  # the layer holds a copy, not the caller's array
    np.testing.assert_array_equal(layer.weights, [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(layer.bias, [5.0, 6.0])
    assert layer.bias.dtype == np.float64


def test_assignment_casts_to_the_layer_dtype():
    layer = cr.Dense(2, 1, dtype=np.float32)
    layer.weights = np.array([[0.1, 0.2]], dtype=np.float64)
    assert layer.weights.dtype == np.float32
    np.testing.assert_array_equal(layer.weights, np.float32([[0.1, 0.2]]))


def test_parameters_lists_the_arrays_themselves():
    layer = cr.Dense(3, 2)
    assert layer.parameters()[0] is layer.weights and layer.parameters()[1] is layer.bias
    layer = cr.Dense(3, 2, bias=False)
    assert layer.bias is None and len(layer.parameters()) == 1


def test_repr():
    assert repr(cr.Dense(3, 2, "relu", bias=False)) == "Dense(3, 2, activation='relu', bias=False, dtype='float64')"


@pytest.mark.parametrize(
    "attribute, value, error, message",
    [
        (
            "weights",
            np.zeros((3, 2)),
            ValueError,
            r"weights must have shape \(n_out, n_in\) = \(2, 3\) for this layer; "
            r"got shape \(3, 2\)",
        ),
        ("weights", np.zeros(6), ValueError, r"weights must have shape \(n_out, n_in\) = \(2, 3\).*got shape \(6,\)"),
        ("weights", [[1, 2, np.nan], [0, 0, 0]], ValueError, r"weights must be finite; found nan at index \(0, 2\)"),
        ("weights", [[1, 2, np.inf], [0, 0, 0]], ValueError, r"weights must be finite; found inf"),
        (
            "weights",
            [["a", "b", "c"], ["d", "e", "f"]],
            TypeError,
            r"weights must hold numbers; got an array of dtype <U1",
        ),
        ("bias", np.zeros(3), ValueError, r"bias must have shape \(n_out,\) = \(2,\); got shape \(3,\)"),
        ("bias", np.zeros((1, 2)), ValueError, r"bias must have shape \(n_out,\) = \(2,\); got shape \(1, 2\)"),
        ("bias", None, ValueError, r"bias cannot be removed by assigning None; build the network with bias=False"),
        ("bias", [np.nan, 0.0], ValueError, r"bias must be finite; found nan at index \(0,\)"),
        ("bias", [object(), 1], TypeError, r"bias must hold numbers; got an array of dtype object"),
    ],
)
def test_bad_assignment(attribute, value, error, message):
    layer = _layer(3, 2)
    before = [p.copy() for p in layer.parameters()]
    with pytest.raises(error, match=message):
        setattr(layer, attribute, value)
    for p, b in zip(layer.parameters(), before):  # nothing half-written
        np.testing.assert_array_equal(p, b)


def test_bias_on_a_bias_free_layer():
    layer = cr.Dense(3, 2, bias=False)
    with pytest.raises(ValueError, match=r"this layer has no bias \(built with bias=False\); cannot assign bias"):
        layer.bias = [0.0, 0.0]


def test_bias_on_a_bias_free_network_layer():
    net = cr.Network([2, 2, 1], bias=False, seed=0)
    with pytest.raises(ValueError, match=r"this layer has no bias"):
        net.layers[1].bias = [0.0]


@pytest.mark.parametrize(
    "n_in, n_out, error, message",
    [
        (0, 2, ValueError, r"n_in must be an integer >= 1; got 0"),
        (3, -1, ValueError, r"n_out must be an integer >= 1; got -1"),
        (2.5, 2, TypeError, r"n_in must be an integer >= 1; got float 2.5"),
        (3, "2", TypeError, r"n_out must be an integer >= 1; got str '2'"),
    ],
)
def test_bad_sizes(n_in, n_out, error, message):
    # Found by these tests: Dense(0, 3) used to build an empty layer silently.
    with pytest.raises(error, match=message):
        cr.Dense(n_in, n_out)


def test_unknown_activation():
    with pytest.raises(ValueError, match=r"unknown activation 'gelu'; valid names are: exp, identity, leaky_relu"):
        cr.Dense(2, 2, "gelu")


def test_activation_instance_is_used():
    act = A.LeakyReLU(0.5)
    layer = cr.Dense(1, 1, act, bias=False)
    layer.weights = [[1.0]]
    assert layer.activation is act
    np.testing.assert_array_equal(layer.forward(np.array([[-2.0]]))[1], [[-1.0]])


@pytest.mark.parametrize("rows", [1, 2, 3, 4, 8, 9, 40, 130])
@pytest.mark.parametrize("models, units", [(4, 5), (8, 1), (8, 2), (12, 32), (9, 33), (100, 2)])
def test_a_stacks_bias_gradient_is_each_models_own_sum_of_rows(rows, models, units, rng):
    # each model's bits are those of its own layer's np.add.reduce over its rows, the signs of zeros, inf and NaN
    # included, on both sides of the stack's rule for narrow layers (a copy with the rows first: see Dense.backward)
    # and for one unit, whose rows NumPy sums pairwise
    nets = [cr.Network([3, units, 2], seed=k) for k in range(models)]
    stack = cr.Network.stack(nets)
    layer = stack.layers[0]
    delta = rng.normal(size=(models, rows, units)) * rng.choice([1e-8, 1.0, 1e8], (models, rows, units))
    delta[0, :, 0] = -0.0
    delta[1, 0, -1] = np.inf
    delta[2, -1, units // 2] = np.nan
    a_prev = rng.normal(size=(models, rows, 3))
    with np.errstate(invalid="ignore"):
        layer.backward(delta, a_prev)
        for k, net in enumerate(nets):
            net.layers[0].backward(delta[k], a_prev[k])
            np.testing.assert_array_equal(
                layer.grad_bias[k].view(np.uint64), net.layers[0].grad_bias.view(np.uint64), strict=True
            )
