"""Seed 002: a bias-free 2-4-1 sigmoid network on XOR, uniform init, lr 0.1, 10,000 epochs.

``seed_code_train`` below is this test's own re-implementation of the seed's
loop, indented as meant. The seed stores weights as (inputs, outputs)
matrices (``X·w1``); chainrule's are (outputs, inputs): transposes.

The seed's prose says the output slope is "2 * (actual − predicted)", the
gradient of Σ(a − y)² (chainrule's ``squared_error``); its code has no 2,
the gradient of ½·Σ(a − y)² (``half_squared_error``). Both are tested.
Also: its code lost its indentation (as printed it is an IndentationError),
and its prose says the activation slope "is 1 for relu" while the code uses
the sigmoid.
"""

import numpy as np
import pytest

import chainrule as cr
from chainrule.datasets import xor


def seed_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def seed_sigmoid_derivative(x):
    return x * (1 - x)


def seed_code_train(w1, w2, X, y, learning_rate, epochs, factor=1.0):
    """The seed's training loop; ``factor=2`` puts in the prose's "2 *"."""
    for _ in range(epochs):
        layer1_output = seed_sigmoid(np.dot(X, w1))
        output = seed_sigmoid(np.dot(layer1_output, w2))
        error = factor * (y - output)
        output_delta = error * seed_sigmoid_derivative(output)
        layer1_error = output_delta.dot(w2.T)
        layer1_delta = layer1_error * seed_sigmoid_derivative(layer1_output)
        w2 += layer1_output.T.dot(output_delta) * learning_rate
        w1 += X.T.dot(layer1_delta) * learning_rate
    return w1, w2


def seed_network(seed, loss="half_squared_error"):
    return cr.Network(
        [2, 4, 1], activation="sigmoid", loss=loss, reduction="sum", bias=False, init="uniform", seed=seed
    )


def test_network_is_bias_free_with_uniform_weights():
    net = seed_network(0)
    assert [layer.bias for layer in net.layers] == [None, None]
    assert net.layers[0].weights.shape == (4, 2)  # the seed's w1 is (2, 4)
    assert net.layers[1].weights.shape == (1, 4)  # the seed's w2 is (4, 1)
    for layer in net.layers:
        assert np.all((layer.weights >= 0) & (layer.weights < 1))  # np.random.uniform's U[0, 1)
    assert net.layers[1].activation.name == "sigmoid"


@pytest.mark.parametrize(("loss", "factor"), [("half_squared_error", 1.0), ("squared_error", 2.0)])
def test_fit_follows_the_seed_trajectory_for_10000_epochs(loss, factor):
    X, Y = xor()
    net = seed_network(0, loss)
    w1, w2 = net.layers[0].weights.T.copy(), net.layers[1].weights.T.copy()
    done = 0
    for stop in [1, 10, 100, 1000, 5000, 10_000]:
        net.fit(X, Y, epochs=stop - done, learning_rate=0.1)
        seed_code_train(w1, w2, X, Y, 0.1, stop - done, factor)
        done = stop
        np.testing.assert_allclose(net.layers[0].weights, w1.T, rtol=0, atol=1e-9)
        np.testing.assert_allclose(net.layers[1].weights, w2.T, rtol=0, atol=1e-9)
    # The seed's last line: print(sigmoid(sigmoid(X·w1)·w2)).
    test_output = seed_sigmoid(np.dot(seed_sigmoid(np.dot(X, w1)), w2))
    np.testing.assert_allclose(net.predict(X), test_output, rtol=0, atol=1e-9)
    # Without biases it still solves XOR from this start (from seeds 0..19 in fact;
    # see examples/seed_002_xor_nobias.py).
    assert np.array_equal(net.predict(X) > 0.5, Y > 0.5)


def test_squared_error_step_is_half_squared_error_step_at_twice_the_rate():
    # d/da Σ(a−y)² = 2·(a−y): the prose's loss at η is the code's loss at 2η.
    # Multiplying by 2 is exact in binary floating point, so the two runs
    # agree bit for bit.
    X, Y = xor()
    prose, code = seed_network(3, "squared_error"), seed_network(3, "half_squared_error")
    h_prose = prose.fit(X, Y, epochs=200, learning_rate=0.05)
    h_code = code.fit(X, Y, epochs=200, learning_rate=0.1)
    for a, b in zip(prose.layers, code.layers):
        np.testing.assert_array_equal(a.weights, b.weights)
    np.testing.assert_array_equal(h_prose.loss, 2 * np.asarray(h_code.loss))
    # and at the same rate they differ:
    other = seed_network(3, "squared_error")
    other.fit(X, Y, epochs=200, learning_rate=0.1)
    assert not np.allclose(other.layers[0].weights, code.layers[0].weights, atol=1e-6)


def test_the_two_conventions_gradients_differ_by_exactly_2():
    X, Y = xor()
    half = seed_network(4, "half_squared_error").gradients(X, Y)
    full = seed_network(4, "squared_error").gradients(X, Y)
    for (g_half, _), (g_full, _) in zip(half, full):
        np.testing.assert_array_equal(g_full, 2 * g_half)


def test_code_as_printed_is_an_indentation_error():
    printed = "import numpy as np\ndef sigmoid(x):\nreturn 1 / (1 + np.exp(-x))\n"
    with pytest.raises(IndentationError, match="expected an indented block"):
        compile(printed, "seed_002", "exec")


def test_the_slope_is_not_1_the_prose_has_relu_in_mind():
    # "slope of activation function, this is 1 for relu": the code's sigmoid
    # has slope σ(z)(1 − σ(z)) <= 1/4, never 1.
    sigmoid = seed_network(0).layers[0].activation
    z = np.linspace(-10, 10, 2001).reshape(1, -1)
    slope = sigmoid.derivative(z, sigmoid.forward(z))
    assert slope.max() == pytest.approx(0.25, abs=1e-12)
    relu = cr.Network([1, 1, 1], activation="relu").layers[0].activation
    assert np.all(relu.derivative(z, relu.forward(z))[z > 0] == 1.0)
