"""Activations: values against their formulas, derivatives against finite
differences, dtypes kept, and no overflow/warning/NaN at |z| = 1e4.

pytest runs with ``filterwarnings = error``, so any RuntimeWarning from
NumPy (overflow, invalid value, divide by zero) fails the test that raised it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule.core import activations as A
from chainrule.core.activations import ACTIVATIONS, get_activation

ELEMENTWISE = ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "exp"]
DTYPES = [np.float32, np.float64]


def _reference(name: str, z: float) -> float:
    """Each activation written out with the math module, element by element."""
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-z))
    if name == "tanh":
        return (math.exp(z) - math.exp(-z)) / (math.exp(z) + math.exp(-z))
    if name == "relu":
        return z if z > 0 else 0.0
    if name == "leaky_relu":
        return z if z > 0 else 0.01 * z
    if name == "identity":
        return z
    if name == "exp":
        return math.exp(z)
    raise AssertionError(name)


def _away_from_zero(rng, shape, low=0.05, high=3.0):
    """Random z with |z| in [low, high]: no finite-difference step crosses relu's kink."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


# -- values --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_forward_matches_formula(name, rng):
    z = _away_from_zero(rng, (5, 3), 0.0, 4.0)
    a = get_activation(name).forward(z)
    expected = np.vectorize(lambda t: _reference(name, t))(z)
    np.testing.assert_allclose(a, expected, rtol=1e-14, atol=1e-300)


def test_sigmoid_known_values():
    a = A.Sigmoid().forward(np.array([[0.0, math.log(3.0), -math.log(3.0)]]))
    np.testing.assert_allclose(a, [[0.5, 0.75, 0.25]], rtol=1e-15)


def test_relu_and_leaky_relu_at_and_around_zero():
    z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(A.ReLU().forward(z), [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(A.LeakyReLU().forward(z), [[-0.02, 0.0, 3.0]])
    # derivative at exactly 0 is 0 for relu and the slope for leaky relu (as PyTorch)
    np.testing.assert_array_equal(A.ReLU().derivative(z, A.ReLU().forward(z)), [[0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(A.LeakyReLU().derivative(z, None), [[0.01, 0.01, 1.0]])


def test_leaky_relu_custom_slope():
    act = A.LeakyReLU(negative_slope=0.2)
    np.testing.assert_allclose(act.forward(np.array([[-5.0, 5.0]])), [[-1.0, 5.0]])
    assert "0.2" in act.formula and "0.2" in repr(act)
    assert act != A.LeakyReLU()
    assert act == A.LeakyReLU(0.2) and hash(act) == hash(A.LeakyReLU(0.2))


def test_softmax_matches_formula_and_rows_sum_to_one(rng):
    z = rng.normal(0, 3, (6, 4))
    a = A.Softmax().forward(z)
    e = np.exp(z)
    np.testing.assert_allclose(a, e / e.sum(axis=1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-15)


def test_softmax_is_shift_invariant_per_row(rng):
    z = rng.normal(size=(3, 5))
    shifted = z + np.array([[100.0], [-50.0], [7.0]])
    np.testing.assert_allclose(A.Softmax().forward(shifted), A.Softmax().forward(z), rtol=1e-12)


@pytest.mark.parametrize("name", ELEMENTWISE + ["softmax"])
def test_forward_does_not_modify_z(name, rng):
    z = rng.normal(size=(4, 3))
    before = z.copy()
    get_activation(name).forward(z)
    np.testing.assert_array_equal(z, before)


# -- derivatives against finite differences -----------------------------------------
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_finite_differences(name, rng):
    act = get_activation(name)
    z = _away_from_zero(rng, (5, 4))
    h = 1e-6
    numeric = (act.forward(z + h) - act.forward(z - h)) / (2 * h)
    analytic = act.derivative(z, act.forward(z))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_backward_is_grad_times_derivative(name, rng):
    act = get_activation(name)
    z = _away_from_zero(rng, (4, 3))
    a = act.forward(z)
    g = rng.normal(size=z.shape)
    np.testing.assert_allclose(act.backward(z, a, g), g * act.derivative(z, a), rtol=1e-15)


def test_softmax_backward_matches_finite_differences(rng):
    # backward gives the vector-Jacobian product gᵀ·∂a/∂z: the gradient of Σ g·softmax(z).
    act = A.Softmax()
    z = rng.normal(size=(3, 4))
    g = rng.normal(size=(3, 4))
    h = 1e-6
    numeric = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        numeric[idx] = (np.sum(g * act.forward(zp)) - np.sum(g * act.forward(zm))) / (2 * h)
    np.testing.assert_allclose(act.backward(z, act.forward(z), g), numeric, rtol=1e-7, atol=1e-10)


def test_softmax_has_no_elementwise_derivative():
    act = A.Softmax()
    assert act.elementwise is False
    with pytest.raises(TypeError, match="softmax is not element-wise"):
        act.derivative(np.zeros((1, 2)), np.full((1, 2), 0.5))


def test_sigmoid_derivative_is_on_the_output_not_applied_twice():
    # Seeds write σ'(x) = x·(1−x) with x already σ(z); chainrule's derivative(z, a)
    # must give σ(z)(1−σ(z)), not σ(σ(z))(1−σ(σ(z))).
    z = np.array([[2.0]])
    act = A.Sigmoid()
    s = 1 / (1 + math.exp(-2.0))
    np.testing.assert_allclose(act.derivative(z, act.forward(z)), [[s * (1 - s)]], rtol=1e-15)
    ss = 1 / (1 + math.exp(-s))
    assert abs(act.derivative(z, act.forward(z))[0, 0] - ss * (1 - ss)) > 1e-2


# -- dtypes and shapes ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ELEMENTWISE + ["softmax"])
def test_dtype_and_shape_kept(name, dtype, rng):
    act = get_activation(name)
    z = rng.normal(size=(5, 3)).astype(dtype)
    a = act.forward(z)
    g = rng.normal(size=(5, 3)).astype(dtype)
    back = act.backward(z, a, g)
    assert a.dtype == dtype and a.shape == z.shape
    assert back.dtype == dtype and back.shape == z.shape
    if act.elementwise:
        d = act.derivative(z, a)
        assert d.dtype == dtype and d.shape == z.shape


# -- numerical stability --------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ELEMENTWISE + ["softmax"])
@pytest.mark.parametrize("scale", [1e4, 1e30])
def test_large_z_is_finite_without_warnings(name, dtype, scale):
    z = np.array([[scale, -scale, 0.0], [-scale, scale, 1.0], [scale, scale, -scale]], dtype=dtype)
    act = get_activation(name)
    a = act.forward(z)
    back = act.backward(z, a, np.ones_like(z))
    assert np.isfinite(a).all() and np.isfinite(back).all()
    if name == "sigmoid":
        np.testing.assert_allclose(a[0], [1.0, 0.0, 0.5], atol=1e-30)
        np.testing.assert_allclose(back[0, :2], [0.0, 0.0], atol=1e-30)  # saturated: no gradient
    if name == "tanh":
        np.testing.assert_array_equal(a[0], [1.0, -1.0, 0.0])
    if name == "exp" and scale == 1e30:  # capped at e^(log(max) − 1), not inf
        assert a[0, 0] == pytest.approx(np.finfo(dtype).max / math.e, rel=1e-5) and a[0, 1] == 0.0
    if name == "softmax":
        np.testing.assert_allclose(a[0], [1.0, 0.0, 0.0], atol=1e-30)
        np.testing.assert_allclose(a[2], [0.5, 0.5, 0.0], atol=1e-30)
        np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_stable_up_to_the_largest_float(name, dtype):
    # The module promises element-wise activations stay finite for any finite z.
    big = np.finfo(dtype).max
    z = np.array([[big, -big, 0.0]], dtype=dtype)
    act = get_activation(name)
    a = act.forward(z)
    assert np.isfinite(a).all() and a.dtype == dtype
    assert np.isfinite(act.derivative(z, a)).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_stable_while_row_spread_is_finite(dtype):
    half = np.finfo(dtype).max / 2
    a = A.Softmax().forward(np.array([[half, -half, 0.0]], dtype=dtype))
    np.testing.assert_array_equal(a, [[1.0, 0.0, 0.0]])


# -- the table of names -------------------------------------------------------------
def test_table_holds_the_seven_activations():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "leaky_relu", "identity", "exp", "softmax"}
    for name, cls in ACTIVATIONS.items():
        assert cls.name == name and issubclass(cls, A.Activation)


def test_get_activation_by_name_instance_and_case():
    assert isinstance(get_activation("  ReLU "), A.ReLU)
    inst = A.Tanh()
    assert get_activation(inst) is inst


def test_unknown_activation_lists_valid_names():
    with pytest.raises(
        ValueError,
        match=r"unknown activation 'swish'; valid names are: exp, identity, leaky_relu, "
        r"relu, sigmoid, softmax, tanh",
    ):
        get_activation("swish")


def test_activation_name_of_wrong_type():
    with pytest.raises(TypeError, match=r"activation must be a name \(str\), one of .*; got int 3"):
        get_activation(3)
