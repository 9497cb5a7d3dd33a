"""The public engine: ``forward``, ``backward``, the flat ``params``/``grads`` views,
``astype`` and the layers' gradient buffers, as a learner calls them."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def _net(**kwargs):
    return cr.Network([3, 4, 2], **{"seed": 0, **kwargs})


def _xy(net, n=5, seed=1):
    rng = np.random.default_rng(seed)
    return net.check_XY(rng.normal(size=(n, 3)), rng.random((n, 2)))


def test_forward_then_backward_is_what_gradients_returns():
    net = _net()
    X, Y = _xy(net)
    fwd = net.forward(X)
    back = net.backward(fwd, Y)
    np.testing.assert_array_equal(fwd.activations[-1], net.predict(X))
    assert back.loss == net.loss(X, Y)
    expected = [g for pair in net.gradients(X, Y) for g in pair if g is not None]
    for got, want in zip(back.grads, expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_grads_is_the_flat_vector_the_layers_view():
    net = _net()
    X, Y = _xy(net)
    back = net.backward(net.forward(X), Y)
    np.testing.assert_array_equal(net.grads, np.concatenate([g.ravel() for g in back.grads]))
    layer = net.layers[1]
    assert np.shares_memory(layer.grad_weights, net.grads)
    assert np.shares_memory(layer.grad_bias, net.grads)
    assert all(a is b for a, b in zip(layer.gradients(), [layer.grad_weights, layer.grad_bias], strict=True))


def test_params_writes_through_to_the_layers():
    net = _net()
    assert net.params.shape == (net.n_parameters,)
    net.params[...] = np.arange(net.n_parameters)
    np.testing.assert_array_equal(net.layers[0].weights.ravel(), np.arange(12))
    np.testing.assert_array_equal(net.layers[0].bias, np.arange(12, 16))
    with pytest.raises(AttributeError):
        net.params = np.zeros(net.n_parameters)  # the views would come apart


def test_no_bias_layer_has_no_bias_gradient():
    net = _net(bias=False)
    X, Y = _xy(net)
    net.backward(net.forward(X), Y)
    assert net.layers[0].grad_bias is None
    assert len(net.layers[0].gradients()) == 1
    assert net.grads.size == 3 * 4 + 4 * 2


@pytest.mark.parametrize(
    "X, message",
    [
        ([[0.0, 1.0, 2.0]], "got a list (pass it through net.check_X(X) first)"),
        (np.zeros((2, 3), np.float32), "got dtype float32"),
        (np.zeros((2, 4)), "got shape (2, 4)"),
        (np.zeros(3), "got shape (3,)"),
    ],
)
def test_forward_refuses_unchecked_input_and_names_the_fix(X, message):
    with pytest.raises(TypeError) as info:
        _net().forward(X)
    assert message in str(info.value)
    assert "2-D float64 ndarray with 3 columns" in str(info.value)


def test_backward_refuses_bad_arguments():
    net = _net()
    X, Y = _xy(net)
    fwd = net.forward(X)
    with pytest.raises(TypeError, match="ForwardPass that net.forward"):
        net.backward(X, Y)
    with pytest.raises(TypeError, match=r"check_Y\(Y, n_samples\)"):
        net.backward(fwd, Y.tolist())
    with pytest.raises(ValueError, match="as many rows as the forward pass's X"):
        net.backward(fwd, Y[:3])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_backward_takes_class_labels_for_cross_entropy_with_the_bits_of_one_hot_rows(dtype):
    net = cr.Network([3, 5, 4], activation="relu", loss="cross_entropy", seed=0, dtype=dtype)
    rng = np.random.default_rng(2)
    X = net.check_X(rng.normal(size=(9, 3)))
    raw = rng.integers(0, 4, 9)
    labels = net.check_Y(raw, 9, labels=True)
    rows = net.check_Y(raw, 9)
    assert labels.shape == (9,) and labels.dtype == np.intp and rows.shape == (9, 4)
    with_rows = net.backward(net.forward(X), rows)
    expected = [g.copy() for g in with_rows.grads]
    expected_deltas = [d.copy() for d in with_rows.deltas]
    with_labels = net.backward(net.forward(X), labels)
    assert with_labels.loss == with_rows.loss
    for got, want in zip(with_labels.grads, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(with_labels.deltas, expected_deltas, strict=True):
        np.testing.assert_array_equal(got, want)
    assert net.loss(X, raw) == net.loss(X, rows)


def test_backward_takes_labels_only_for_a_loss_that_takes_them():
    net = _net(loss="mse")
    X, _ = _xy(net)
    with pytest.raises(TypeError, match=r"got shape \(5,\) \(pass it through net.check_Y"):
        net.backward(net.forward(X), np.zeros(5, dtype=np.intp))
    ce = _net(loss="cross_entropy")
    with pytest.raises(TypeError, match="got shape"):
        ce.backward(ce.forward(X), np.zeros(5))  # float labels: not labels
    with pytest.raises(ValueError, match="as many rows as the forward pass's X"):
        ce.backward(ce.forward(X), np.zeros(3, dtype=np.intp))


@pytest.mark.parametrize("source, target", [("float32", "float64"), ("float64", "float32"), ("float64", "float64")])
def test_astype_is_an_independent_copy(source, target):
    net = _net(dtype=source)
    copy = net.astype(target)
    assert copy is not net and copy.dtype == np.dtype(target)
    assert all(layer.dtype == np.dtype(target) for layer in copy.layers)
    assert copy.params.dtype == copy.grads.dtype == np.dtype(target)
    np.testing.assert_array_equal(copy.params, net.params.astype(target))
    before = net.params.copy()
    copy.params[...] = 0.0
    np.testing.assert_array_equal(net.params, before)
    assert net.dtype == np.dtype(source)
    # the copy's engine works in its own dtype
    X, Y = copy.check_XY(np.ones((2, 3)), np.full((2, 2), 0.5))
    assert copy.backward(copy.forward(X), Y).grads[0].dtype == np.dtype(target)


def test_float32_to_float64_copy_is_exact():
    net = _net(dtype="float32")
    assert np.array_equal(net.astype("float64").params, net.params.astype(np.float64))


def test_astype_refuses_other_dtypes():
    with pytest.raises(ValueError, match="dtype must be 'float64' or 'float32'"):
        _net().astype("float16")


def test_workspace_forward_matches_plain_forward():
    net = _net()
    X, _ = _xy(net)
    plain = net.forward(X)
    buffered = net.forward(X, cr.core.Workspace(net, rows=8))
    for a, b in zip(plain.activations, buffered.activations, strict=True):
        np.testing.assert_array_equal(a, b)


def test_batch_scale_follows_the_reduction():
    assert _net().batch_scale(4) == 0.25
    assert _net(reduction="sum").batch_scale(4) == 1.0
