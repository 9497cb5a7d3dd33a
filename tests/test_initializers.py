"""Initialisers: shapes, distributions (statistics from large draws) and
determinism from the network's seed."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.core import initializers as I
from chainrule.core.initializers import INITIALIZERS, get_initializer, initializer_for

NAMES = ["normal", "uniform", "xavier", "glorot", "he"]


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_dtype(name):
    weights, bias = get_initializer(name)(np.random.default_rng(0), 3, 5)
    assert weights.shape == (5, 3) and bias.shape == (5,)
    assert weights.dtype == np.float64 and bias.dtype == np.float64


def _draw(name, n_in, n_out, seed=1):
    return get_initializer(name)(np.random.default_rng(seed), n_in, n_out)


def test_normal_statistics():
    w, b = _draw("normal", 300, 200)  # 60 000 weights: standard error of the mean ~0.004
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1.0) < 0.02
    b_all = np.concatenate([_draw("normal", 1, 500, seed=s)[1] for s in range(20)])
    assert abs(b_all.mean()) < 0.1 and abs(b_all.std() - 1.0) < 0.1


def test_uniform_statistics():
    w, b = _draw("uniform", 300, 200)
    assert w.min() >= 0.0 and w.max() < 1.0 and b.min() >= 0.0 and b.max() < 1.0
    assert abs(w.mean() - 0.5) < 0.01 and abs(w.var() - 1 / 12) < 0.005
    assert w.min() < 0.01 and w.max() > 0.99  # spans the interval


@pytest.mark.parametrize("name", ["xavier", "glorot"])
def test_xavier_statistics(name):
    n_in, n_out = 300, 200
    w, b = _draw(name, n_in, n_out)
    limit = np.sqrt(6 / (n_in + n_out))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    assert abs(w.mean()) < 0.01 * limit
    assert w.var() == pytest.approx(2 / (n_in + n_out), rel=0.03)  # Glorot's variance: limit²/3
    np.testing.assert_array_equal(b, 0.0)


def test_he_statistics():
    n_in, n_out = 400, 150
    w, b = _draw("he", n_in, n_out)
    assert abs(w.mean()) < 0.01 * np.sqrt(2 / n_in)
    assert w.std() == pytest.approx(np.sqrt(2 / n_in), rel=0.02)
    np.testing.assert_array_equal(b, 0.0)


def test_weights_drawn_before_bias_layer_by_layer():
    # Seed 000's order: for each layer, its weights, then its bias, from one stream.
    rng = np.random.default_rng(7)
    w, b = I.normal(rng, 2, 3)
    ref = np.random.default_rng(7).standard_normal(9)
    np.testing.assert_array_equal(w.ravel(), ref[:6])
    np.testing.assert_array_equal(b, ref[6:])


# -- through the network's seed -------------------------------------------------------
@pytest.mark.parametrize("init", ["normal", "uniform", "xavier", "he"])
def test_same_seed_same_weights_different_seed_different(init):
    a = cr.Network([4, 6, 3], init=init, seed=11)
    b = cr.Network([4, 6, 3], init=init, seed=11)
    c = cr.Network([4, 6, 3], init=init, seed=12)
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(a.layers[0].weights, c.layers[0].weights)
    assert not np.array_equal(a.layers[1].weights, c.layers[1].weights)


def test_network_uses_the_named_initialiser():
    net = cr.Network([3, 50, 40], init="uniform", seed=0)
    for layer in net.layers:
        assert layer.weights.min() >= 0 and layer.weights.max() < 1
        assert layer.bias.min() >= 0 and layer.bias.max() < 1
    net = cr.Network([30, 50, 40], init="he", seed=0)
    for layer in net.layers:
        np.testing.assert_array_equal(layer.bias, 0.0)
    assert net.layers[0].weights.std() == pytest.approx(np.sqrt(2 / 30), rel=0.1)
    assert net.layers[1].weights.std() == pytest.approx(np.sqrt(2 / 50), rel=0.1)
    assert cr.Network([3, 2], init="Xavier", seed=0).init == "xavier"


def test_float32_and_float64_networks_start_from_the_same_numbers():
    n64 = cr.Network([3, 4, 2], seed=5, dtype="float64")
    n32 = cr.Network([3, 4, 2], seed=5, dtype="float32")
    for p64, p32 in zip(n64.parameters(), n32.parameters()):
        assert p32.dtype == np.float32
        np.testing.assert_array_equal(p32, p64.astype(np.float32))


def test_initialising_does_not_touch_numpy_global_state():
    state = np.random.get_state()[1].copy()
    cr.Network([5, 5, 5], seed=3)
    cr.Network([5, 5, 5], seed=None)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_unknown_init_lists_valid_names():
    with pytest.raises(
        ValueError, match=r"unknown init 'zeros'; valid names are: auto, glorot, he, normal, uniform, xavier"
    ):
        cr.Network([2, 1], init="zeros")


def test_table():
    assert set(INITIALIZERS) == set(NAMES)
    assert INITIALIZERS["glorot"] is INITIALIZERS["xavier"]


# -- auto: the layer's activation chooses --------------------------------------------
@pytest.mark.parametrize(
    "activation, expected",
    [
        ("relu", "he"),
        ("leaky_relu", "he"),
        ("sigmoid", "xavier"),
        ("tanh", "xavier"),
        ("identity", "xavier"),
        ("softmax", "xavier"),
    ],
)
def test_auto_chooses_from_the_activation(activation, expected):
    assert initializer_for("auto", activation) is INITIALIZERS[expected]
    assert initializer_for("normal", activation) is INITIALIZERS["normal"]


def test_auto_is_the_default_and_draws_what_each_layer_needs():
    net = cr.Network([3, 5, 2], activation="relu", loss="cross_entropy", seed=0)
    assert net.init == "auto"
    rng = np.random.default_rng(np.random.SeedSequence(0).spawn(3)[0])
    hidden, _ = INITIALIZERS["he"](rng, 3, 5)
    output, _ = INITIALIZERS["xavier"](rng, 5, 2)
    np.testing.assert_array_equal(net.layers[0].weights, hidden)
    np.testing.assert_array_equal(net.layers[1].weights, output)
    assert not net.layers[0].bias.any() and not net.layers[1].bias.any()


def test_auto_survives_save_and_load(tmp_path):
    net = cr.Network([2, 3, 1], activation="tanh", seed=1)
    net.save(tmp_path / "net")
    again = cr.load(tmp_path / "net")
    assert again.init == "auto"
    np.testing.assert_array_equal(again.params, net.params)
