"""Losses: values against their formulas, gradients against finite
differences, reductions, dtypes, and stability for saturated outputs.

Parity with PyTorch's losses is in ``test_oracles.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.core import activations as A
from chainrule.core import losses as L
from chainrule.core.losses import LOSSES, REDUCTIONS, get_loss

SQUARED = ["half_squared_error", "squared_error", "mse"]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def get_activation_for(name):
    """The output activation each loss is tested with (its fused one, else sigmoid)."""
    return {"binary_cross_entropy": A.Sigmoid(), "cross_entropy": A.Softmax(), "poisson": A.Exp()}.get(
        name, A.Sigmoid()
    )


def _softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


# -- values against the formulas -----------------------------------------------------
def test_squared_losses_by_hand():
    a = np.array([[1.0, 2.0], [0.0, -1.0]])
    y = np.array([[0.0, 0.0], [1.0, 1.0]])
    # squared differences 1, 4, 1, 4: sum 10 over N=2 samples, K=2 outputs
    assert L.HalfSquaredError().value(None, a, y) == 5.0
    assert L.SquaredError().value(None, a, y) == 10.0
    assert L.MeanSquaredError().value(None, a, y) == 5.0  # (1/K)·Σ per sample, summed


def test_seed_001_style_half_squared_error():
    # One sigmoid neuron, output 0.75 against target 1: ½(0.25)² = 0.03125
    a = np.array([[0.75]])
    assert L.HalfSquaredError().value(None, a, np.array([[1.0]])) == 0.03125


@pytest.mark.parametrize(
    "name, per_element",
    [
        ("half_squared_error", lambda a, y: 0.5 * (a - y) ** 2),
        ("squared_error", lambda a, y: (a - y) ** 2),
        ("mse", lambda a, y: (a - y) ** 2 / a.shape[1]),
    ],
)
def test_squared_losses_match_formula(name, per_element, rng):
    a, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    assert get_loss(name).value(None, a, y) == pytest.approx(per_element(a, y).sum(), rel=1e-14)


def test_binary_cross_entropy_matches_formula(rng):
    z = rng.normal(0, 2, (6, 2))
    y = rng.random((6, 2))
    a = _sigmoid(z)
    expected = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a))
    assert L.BinaryCrossEntropy().value(z, a, y) == pytest.approx(expected, rel=1e-12)


def test_binary_cross_entropy_known_value():
    # z = 0: a = ½, loss = log 2 whatever y is
    z = np.zeros((1, 1))
    assert L.BinaryCrossEntropy().value(z, _sigmoid(z), np.array([[0.3]])) == pytest.approx(math.log(2), rel=1e-15)


def test_cross_entropy_matches_formula(rng):
    z = rng.normal(0, 2, (6, 4))
    y = np.eye(4)[rng.integers(0, 4, 6)]
    expected = -np.sum(y * np.log(_softmax(z)))
    assert L.CrossEntropy().value(z, _softmax(z), y) == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_uniform_logits_is_log_k():
    z = np.zeros((3, 5))
    y = np.eye(5)[[0, 2, 4]]
    assert L.CrossEntropy().value(z, _softmax(z), y) == pytest.approx(3 * math.log(5), rel=1e-15)


def test_cross_entropy_accepts_probability_targets(rng):
    z = rng.normal(size=(2, 3))
    y = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    expected = -np.sum(y * np.log(_softmax(z)))
    assert L.CrossEntropy().value(z, _softmax(z), y) == pytest.approx(expected, rel=1e-12)


def test_mae_by_hand():
    a = np.array([[1.0, 2.0], [0.0, -1.0]])
    y = np.array([[0.0, 0.0], [1.0, 1.0]])
    # absolute differences 1, 2, 1, 2: (1 + 2)/2 + (1 + 2)/2 over K = 2 outputs
    assert L.MeanAbsoluteError().value(None, a, y) == 3.0
    np.testing.assert_array_equal(L.MeanAbsoluteError().per_sample(None, a, y), [1.5, 1.5])
    # the subgradient at a = y is 0, as np.sign and PyTorch's L1Loss backward
    np.testing.assert_array_equal(
        L.MeanAbsoluteError().gradient(a, np.array([[1.0, 3.0], [0.0, -2.0]])), [[0, -0.5], [0, 0.5]]
    )


def test_poisson_by_hand_and_zero_at_a_perfect_prediction(rng):
    z = rng.normal(size=(4, 2))
    a = np.exp(z)
    y = rng.poisson(2.0, (4, 2)).astype(float)
    # half the deviance, y·log(y/a) − y + a per element (scikit-learn's poisson_loss, 0·log 0 = 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(y > 0, y * np.log(y / a), 0.0) - y + a
    assert L.PoissonDeviance().value(z, a, y) == pytest.approx(expected.sum(), rel=1e-13)
    y = np.array([[0.5, 3.0]])
    assert L.PoissonDeviance().value(np.log(y), y, y) == pytest.approx(0.0, abs=1e-15)


def test_poisson_refuses_negative_targets():
    with pytest.raises(ValueError, match=r"Y for poisson must be counts or rates >= 0 .*got a minimum of -1.0"):
        L.PoissonDeviance().check_targets([[1.0], [-1.0]], 2, 1, np.float64)


# -- gradients against finite differences --------------------------------------------
def _numeric_grad(f, x, h=1e-6):
    g = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        g[idx] = (f(xp) - f(xm)) / (2 * h)
    return g


def _assert_grad_close(analytic, numeric, bound=1e-7):
    """Worst |analytic − numeric| relative to the largest gradient entry (as cr.gradcheck):
    finite differences carry ~1e-16·|L|/h of roundoff, so entry-wise rtol is unfair to tiny entries."""
    assert analytic.shape == numeric.shape
    error = np.abs(analytic - numeric).max() / np.abs(numeric).max()
    assert error < bound, error


@pytest.mark.parametrize("name", [*SQUARED, "mae"])
def test_squared_gradient_matches_finite_differences(name, rng):
    loss = get_loss(name)
    a, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    numeric = _numeric_grad(lambda t: loss.value(None, t, y), a)
    _assert_grad_close(loss.gradient(a, y), numeric)


def test_bce_gradient_on_a_matches_finite_differences(rng):
    a = rng.uniform(0.1, 0.9, (4, 2))
    y = rng.random((4, 2))
    f = lambda t: -np.sum(y * np.log(t) + (1 - y) * np.log(1 - t))  # noqa: E731
    _assert_grad_close(L.BinaryCrossEntropy().gradient(a, y), _numeric_grad(f, a))


def test_ce_gradient_on_a_matches_finite_differences(rng):
    a = rng.uniform(0.1, 0.9, (3, 4))
    y = np.eye(4)[[1, 0, 3]]
    f = lambda t: -np.sum(y * np.log(t))  # noqa: E731
    _assert_grad_close(L.CrossEntropy().gradient(a, y), _numeric_grad(f, a))


@pytest.mark.parametrize(
    "name, act",
    [("binary_cross_entropy", A.Sigmoid()), ("cross_entropy", A.Softmax()), ("poisson", A.Exp())],
)
@pytest.mark.parametrize("scale", [1.0, 0.25])
def test_fused_delta_is_dL_dz(name, act, scale, rng):
    # δ = a − y (times the reduction's scale) must be the true derivative of the value in z.
    loss = get_loss(name)
    z = rng.normal(0, 2, (4, 3))
    y = {
        "binary_cross_entropy": rng.random((4, 3)),
        "cross_entropy": np.eye(3)[[0, 2, 1, 1]],
        "poisson": rng.poisson(1.5, (4, 3)).astype(float),
    }[name]
    value, delta, grad_a = loss.evaluate(z, act.forward(z), y, act, scale)
    assert grad_a is None  # the fused path skips ∂L/∂a
    numeric = _numeric_grad(lambda t: loss.value(t, act.forward(t), y) * scale, z)
    _assert_grad_close(delta, numeric)
    assert value == pytest.approx(loss.value(z, act.forward(z), y) * scale, rel=1e-15)


@pytest.mark.parametrize("name", [*SQUARED, "mae"])
@pytest.mark.parametrize("act", [A.Sigmoid(), A.Tanh(), A.Identity(), A.Softmax()])
@pytest.mark.parametrize("scale", [1.0, 1 / 3])
def test_unfused_evaluate_chains_through_the_activation(name, act, scale, rng):
    loss = get_loss(name)
    z = rng.normal(size=(3, 4))
    y = rng.normal(size=(3, 4))
    value, delta, grad_a = loss.evaluate(z, act.forward(z), y, act, scale)
    np.testing.assert_allclose(grad_a, loss.gradient(act.forward(z), y) * scale, rtol=1e-15)
    numeric = _numeric_grad(lambda t: loss.value(t, act.forward(t), y) * scale, z)
    _assert_grad_close(delta, numeric)
    assert value == pytest.approx(loss.value(z, act.forward(z), y) * scale, rel=1e-15)


@pytest.mark.parametrize("name", list(LOSSES))
def test_evaluate_does_not_modify_inputs(name, rng):
    loss = get_loss(name)
    act = get_activation_for(name)
    z = rng.normal(size=(3, 2))
    a = act.forward(z)
    y = np.eye(2)[[0, 1, 1]] if name == "cross_entropy" else rng.random((3, 2))
    copies = [z.copy(), a.copy(), y.copy()]
    loss.evaluate(z, a, y, act, 0.5)
    for before, after in zip(copies, [z, a, y]):
        np.testing.assert_array_equal(before, after)


# -- dtypes ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(LOSSES))
def test_evaluate_keeps_dtype(name, dtype, rng):
    loss = get_loss(name)
    act = get_activation_for(name)
    z = rng.normal(size=(3, 2)).astype(dtype)
    y = (np.eye(2)[[0, 1, 1]] if name == "cross_entropy" else rng.random((3, 2))).astype(dtype)
    value, delta, grad_a = loss.evaluate(z, act.forward(z), y, act, 0.5)
    assert isinstance(value, float)
    assert delta.dtype == dtype and delta.shape == z.shape
    assert grad_a is None or grad_a.dtype == dtype


# -- stability -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("big", [1e4, 1e30])
def test_bce_saturated_logits(big, dtype):
    z = np.array([[big], [-big], [big], [-big]], dtype=dtype)
    y = np.array([[1.0], [0.0], [0.0], [1.0]], dtype=dtype)
    act = A.Sigmoid()
    value, delta, _ = L.BinaryCrossEntropy().evaluate(z, act.forward(z), y, act, 1.0)
    # right answers cost ~0, confidently wrong ones cost |z| each (log(1+e^|z|) ≈ |z|)
    assert value == pytest.approx(2 * big, rel=1e-6)
    np.testing.assert_allclose(delta, [[0.0], [0.0], [1.0], [-1.0]], atol=1e-30)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("big", [1e4, 1e30])
def test_cross_entropy_saturated_logits(big, dtype):
    z = np.array([[big, -big, 0.0], [big, -big, 0.0]], dtype=dtype)
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)
    act = A.Softmax()
    value, delta, _ = L.CrossEntropy().evaluate(z, act.forward(z), y, act, 1.0)
    assert value == pytest.approx(2 * big, rel=1e-6)  # 0 for the right row, 2·big for the wrong one
    np.testing.assert_allclose(delta, [[0, 0, 0], [1, -1, 0]], atol=1e-30)


@pytest.mark.parametrize("name", SQUARED)
def test_squared_losses_with_saturated_sigmoid(name):
    z = np.array([[1e4, -1e4]])
    act = A.Sigmoid()
    value, delta, grad_a = get_loss(name).evaluate(z, act.forward(z), np.array([[0.0, 1.0]]), act, 1.0)
    assert np.isfinite(value) and value > 0
    assert np.isfinite(delta).all() and np.isfinite(grad_a).all()
    np.testing.assert_allclose(delta, 0.0, atol=1e-300)  # saturated: the error cannot pass σ'


# -- the table of names ---------------------------------------------------------------
def test_table_and_reductions():
    assert set(LOSSES) == {
        "half_squared_error",
        "squared_error",
        "mse",
        "mae",
        "binary_cross_entropy",
        "cross_entropy",
        "poisson",
    }
    for name, cls in LOSSES.items():
        assert cls.name == name
    assert set(REDUCTIONS) == {"mean", "sum"}


def test_fused_pairs_and_required_outputs():
    assert L.CrossEntropy.fused == "softmax" and L.CrossEntropy.output_activations == ("softmax",)
    assert L.BinaryCrossEntropy.fused == "sigmoid" and L.BinaryCrossEntropy.output_activations == ("sigmoid",)
    assert L.PoissonDeviance.fused == "exp" and L.PoissonDeviance.output_activations == ("exp",)
    for name in [*SQUARED, "mae"]:
        assert LOSSES[name].fused is None and LOSSES[name].output_activations is None


def test_get_loss_instance_and_case():
    inst = L.MeanSquaredError()
    assert get_loss(inst) is inst
    assert isinstance(get_loss("MSE"), L.MeanSquaredError)
    assert get_loss("mse") == L.MeanSquaredError() and get_loss("mse") != L.SquaredError()


def test_unknown_loss_lists_valid_names():
    with pytest.raises(
        ValueError,
        match=r"unknown loss 'hinge'; valid names are: binary_cross_entropy, "
        r"cross_entropy, half_squared_error, mae, mse, poisson, squared_error",
    ):
        get_loss("hinge")


# -- what each loss accepts as targets, and how it counts a hit ---------------------
def test_is_classification_is_declared_by_the_loss():
    assert {name for name, cls in LOSSES.items() if cls.takes_labels} == {"cross_entropy"}
    assert {name for name, cls in LOSSES.items() if cls.is_classification} == {
        "binary_cross_entropy",
        "cross_entropy",
    }


def test_cross_entropy_targets_from_labels_are_one_hot():
    Y = L.CrossEntropy().check_targets(np.array([2, 0]), 2, 3, np.float32)
    assert Y.dtype == np.float32
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize(
    "loss, Y, error, message",
    [
        ("cross_entropy", np.array([0, 3]), ValueError, "class labels must be in [0, 3) for 3 outputs; got 3"),
        ("cross_entropy", np.array([0.0, 1.0]), TypeError, "use labels.astype(int)"),
        ("cross_entropy", [[0.5, 0.2, 0.2], [1, 0, 0]], ValueError, "row 0 sums to 0.9"),
        ("binary_cross_entropy", [[0, 1, 2], [1, 0, 0]], ValueError, "must be probabilities in [0, 1]"),
        ("mse", [[0, 1], [1, 0]], ValueError, "must have 3 columns"),
        ("mse", [[0, 1, 2]], ValueError, "as many rows as X (2)"),
    ],
)
def test_check_targets_refuses_and_names_the_problem(loss, Y, error, message):
    with pytest.raises(error) as info:
        L.get_loss(loss).check_targets(Y, 2, 3, np.float64)
    assert message in str(info.value)


def test_squared_errors_take_any_real_targets():
    Y = L.get_loss("half_squared_error").check_targets([[-5.0, 7.5, 0.0]], 1, 3, np.float64)
    np.testing.assert_array_equal(Y, [[-5.0, 7.5, 0.0]])


def test_hits():
    a = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    y = np.array([[1.0, 0, 0], [1.0, 0, 0]])
    np.testing.assert_array_equal(L.CrossEntropy().hits(a, y), [True, False])
    np.testing.assert_array_equal(L.BinaryCrossEntropy().hits(a, (y > 0.5) * 1.0), [True, False])
    np.testing.assert_array_equal(L.CrossEntropy().hits(a[:, :1], y[:, :1]), [True, True])


def _labels_and_rows(rng, n, k, dtype):
    labels = rng.integers(0, k, n)
    return labels.astype(np.intp), np.eye(k, dtype=dtype)[labels]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1.0, 1 / 7])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_labels_give_the_bits_of_their_one_hot_rows(dtype, scale, weighted, rng):
    act = A.Softmax()
    z = rng.normal(0, 3, (7, 5)).astype(dtype)
    z[0] = [40.0, -40.0, 0.0, 1.0, 2.0]  # a saturated row: a_y = 1 exactly, a term of 0
    labels, rows = _labels_and_rows(rng, 7, 5, dtype)
    labels[0] = 0
    rows[0] = np.eye(5, dtype=dtype)[0]
    a = act.forward(z)
    weights = rng.random(7).astype(dtype) if weighted else None
    loss = L.CrossEntropy()
    v_rows, d_rows, g_rows = loss.evaluate(z, a, rows, act, scale, weights=weights)
    out = np.full_like(z, np.nan)
    v_labels, d_labels, g_labels = loss.evaluate(z, a, labels, act, scale, out=out, weights=weights)
    assert v_labels == v_rows and g_labels is None and g_rows is None
    assert d_labels is out and d_labels.dtype == dtype
    np.testing.assert_array_equal(d_labels.view(np.uint8), d_rows.view(np.uint8))  # the same bits, signs of 0 too
    np.testing.assert_array_equal(loss.per_sample(z, a, labels), loss.per_sample(z, a, rows))
    assert loss.value(z, a, labels) == loss.value(z, a, rows)
    np.testing.assert_array_equal(loss.hits(a, labels), loss.hits(a, rows))
    # without out=, a fresh δ; the inputs untouched
    a_before = a.copy()
    _, fresh, _ = loss.evaluate(z, a, labels, act, scale, weights=weights)
    np.testing.assert_array_equal(fresh, d_rows)
    np.testing.assert_array_equal(a, a_before)


def test_cross_entropy_one_log_sum_exp_is_log_sum_exp(rng):
    """log Σ e^z from the softmax's own normaliser, against the two-pass formula and torch."""
    torch = pytest.importorskip("torch")
    z = rng.normal(0, 5, (50, 10))
    z[:5] *= 1e3  # saturated rows
    a = A.Softmax().forward(z)
    got = L._log_sum_exp(z, a)
    m = z.max(axis=1, keepdims=True)
    np.testing.assert_allclose(got, np.log(np.exp(z - m).sum(axis=1, keepdims=True)) + m, rtol=1e-15, atol=1e-13)
    np.testing.assert_allclose(got[:, 0], torch.logsumexp(torch.from_numpy(z), 1).numpy(), rtol=1e-15, atol=1e-13)
    labels = rng.integers(0, 10, 50)
    expected = torch.nn.functional.cross_entropy(torch.from_numpy(z), torch.from_numpy(labels), reduction="sum")
    assert L.CrossEntropy().value(z, a, labels) == pytest.approx(float(expected), rel=1e-14)


def test_cross_entropy_keeps_labels_when_asked():
    loss = L.CrossEntropy()
    labels = loss.check_labels(np.array([2, 0], dtype=np.int32), 2, 3, np.float32)
    assert labels.dtype == np.intp and labels.shape == (2,)
    np.testing.assert_array_equal(labels, [2, 0])
    rows = loss.check_labels([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], 2, 3, np.float32)
    assert rows.shape == (2, 3) and rows.dtype == np.float32  # rows stay rows
    with pytest.raises(ValueError, match=r"class labels must be in \[0, 3\) for 3 outputs; got 3"):
        loss.check_labels(np.array([0, 3]), 2, 3, np.float32)
    with pytest.raises(TypeError, match="use labels.astype"):
        loss.check_labels(np.array([0.0, 1.0]), 2, 3, np.float32)
    # every other loss: check_targets' forms
    np.testing.assert_array_equal(L.MeanSquaredError().check_labels([[1.0, 2.0]], 1, 2, np.float64), [[1.0, 2.0]])


# -- each loss's target rules ------------------------------------------------------


def test_binary_cross_entropy_takes_1d_01_labels_as_one_column():
    net = cr.Network([2, 3, 1], activation="tanh", loss="binary_cross_entropy", seed=0)
    labels = np.array([0, 1, 1, 0])
    np.testing.assert_array_equal(net.check_Y(labels, 4), [[0.0], [1.0], [1.0], [0.0]])
    X = [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert net.loss(X, labels) == net.loss(X, labels.reshape(-1, 1))
    with pytest.raises(ValueError, match=r"must be probabilities in \[0, 1\]"):
        net.check_Y([0, 2, 1, 0], 4)


def test_binary_cross_entropy_1d_labels_need_one_output():
    net = cr.Network([2, 2], loss="binary_cross_entropy")
    with pytest.raises(ValueError, match=r"needs one output \(sizes\[-1\] = 1\) .* use loss='cross_entropy'"):
        net.check_Y([0, 1, 1, 0], 4)


@pytest.mark.parametrize("loss", ["half_squared_error", "squared_error", "mse"])
def test_integer_labels_with_a_squared_error_suggest_cross_entropy(loss):
    net = cr.Network([2, 4, 3], activation="relu", loss=loss)
    with pytest.raises(ValueError, match=r"integer class labels \(shape \(4,\)\).* use loss='cross_entropy'") as info:
        net.check_Y(np.array([0, 2, 1, 0]), 4)
    assert "binary_cross_entropy" not in str(info.value)
    with pytest.raises(ValueError, match=r"or loss='binary_cross_entropy' with sizes\[-1\] = 1, for 0/1 labels"):
        cr.Network([2, 1], loss=loss).check_Y([0, 1, 1, 0], 4)
