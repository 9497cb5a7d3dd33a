"""Network: construction, the forward pass written out, bad input (table-driven,
through fit, predict, loss and gradients), the caller's arrays left alone, and
the behaviour of fit (continuation, determinism, batches, verbose, float32)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.core.network import Workspace

SIZES = [3, 4, 2]


def _net(**kwargs):
    return cr.Network(SIZES, **{"seed": 0, **kwargs})


def _xy(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)), rng.random((n, 2))


# -- construction and the forward pass ----------------------------------------------
def test_layers_shapes_and_names():
    net = cr.Network([3, 5, 4, 2], seed=0)
    assert [(l.n_in, l.n_out) for l in net.layers] == [(3, 5), (5, 4), (4, 2)]
    assert [l.weights.shape for l in net.layers] == [(5, 3), (4, 5), (2, 4)]
    assert [l.bias.shape for l in net.layers] == [(5,), (4,), (2,)]
    assert net.parameter_names() == [
        "layers[0].weights",
        "layers[0].bias",
        "layers[1].weights",
        "layers[1].bias",
        "layers[2].weights",
        "layers[2].bias",
    ]
    assert net.n_parameters == 5 * 3 + 5 + 4 * 5 + 4 + 2 * 4 + 2
    assert (net.n_inputs, net.n_outputs) == (3, 2)
    bias_free = cr.Network([3, 5, 2], bias=False, seed=0)
    assert bias_free.parameter_names() == ["layers[0].weights", "layers[1].weights"]
    assert all(l.bias is None for l in bias_free.layers)


def test_forward_by_hand():
    # Seed 000's 2-2-1 sigmoid network with chosen weights, computed neuron by neuron.
    net = cr.Network([2, 2, 1], seed=0)
    net.layers[0].weights = [[0.1, 0.2], [0.3, 0.4]]
    net.layers[0].bias = [0.5, 0.6]
    net.layers[1].weights = [[0.7, 0.8]]
    net.layers[1].bias = [0.9]
    s = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
    x = [1.0, 2.0]
    h = [s(0.1 * x[0] + 0.2 * x[1] + 0.5), s(0.3 * x[0] + 0.4 * x[1] + 0.6)]
    out = s(0.7 * h[0] + 0.8 * h[1] + 0.9)
    assert net.predict([x])[0, 0] == pytest.approx(out, rel=1e-15)
    fwd = net.forward(np.array([x]))
    assert fwd.activations[0].tolist() == [x]
    np.testing.assert_allclose(fwd.activations[1], [h], rtol=1e-15)
    # the loss is ½(a − y)² for the seeds' default, with reduction "mean" over one sample
    assert net.loss([x], [[0.0]]) == pytest.approx(0.5 * out**2, rel=1e-15)


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, ["sigmoid", "sigmoid"]),
        ({"activation": "relu"}, ["relu", "identity"]),
        ({"activation": "tanh", "loss": "mse"}, ["tanh", "identity"]),
        ({"activation": "relu", "loss": "cross_entropy"}, ["relu", "softmax"]),
        ({"activation": "tanh", "loss": "binary_cross_entropy"}, ["tanh", "sigmoid"]),
        ({"activation": "relu", "output_activation": "tanh"}, ["relu", "tanh"]),
        ({"activation": "sigmoid", "output_activation": "softmax"}, ["sigmoid", "softmax"]),
    ],
)
def test_default_output_activation(kwargs, expected):
    assert [l.activation.name for l in _net(**kwargs).layers] == expected


def test_reduction_mean_is_sum_over_n(rng):
    X, Y = _xy(6)
    total = _net(reduction="sum")
    mean = _net(reduction="mean")
    assert total.loss(X, Y) == pytest.approx(6 * mean.loss(X, Y), rel=1e-14)
    for (gs, bs), (gm, bm) in zip(total.gradients(X, Y), mean.gradients(X, Y)):
        np.testing.assert_allclose(gs, 6 * gm, rtol=1e-13)
        np.testing.assert_allclose(bs, 6 * bm, rtol=1e-13)


def test_gradients_shapes_and_copies():
    net = _net()
    X, Y = _xy()
    first = net.gradients(X, Y)
    assert [(g.shape, b.shape) for g, b in first] == [((4, 3), (4,)), ((2, 4), (2,))]
    kept = [(g.copy(), b.copy()) for g, b in first]
    net.gradients(X * 2, 1 - Y)  # another backward pass must not overwrite what was returned
    for (g, b), (gk, bk) in zip(first, kept):
        np.testing.assert_array_equal(g, gk)
        np.testing.assert_array_equal(b, bk)
    assert all(b is None for _, b in cr.Network(SIZES, bias=False, seed=0).gradients(X, Y))


def test_predict_one_sample_and_lists():
    net = _net()
    assert net.predict([[0.1, 0.2, 0.3]]).shape == (1, 2)
    np.testing.assert_array_equal(net.predict([[1, 2, 3]]), net.predict(np.array([[1.0, 2.0, 3.0]])))
    np.testing.assert_array_equal(net.predict([[True, False, True]]), net.predict([[1.0, 0.0, 1.0]]))


def test_seed_none_is_recorded_and_repeatable():
    net = cr.Network(SIZES)
    again = cr.Network(SIZES, seed=net.seed_)
    for p, q in zip(net.parameters(), again.parameters()):
        np.testing.assert_array_equal(p, q)


def test_repr():
    assert repr(_net()) == (
        "Network(sizes=[3, 4, 2], activations=['sigmoid', 'sigmoid'], "
        "loss='half_squared_error', reduction='mean', bias=True, dtype='float64')"
    )


# -- bad input: construction -----------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"sizes": [3]},
            ValueError,
            r"sizes must name at least an input and an output layer, such as \[2, 1\]; got \[3\]",
        ),
        ({"sizes": []}, ValueError, r"sizes must name at least an input and an output layer.*got \[\]"),
        ({"sizes": 5}, TypeError, r"sizes must be a list of layer sizes such as \[2, 2, 1\]; got 5"),
        ({"sizes": "321"}, TypeError, r"sizes must be a list of layer sizes such as \[2, 2, 1\]; got '321'"),
        ({"sizes": [3, 0, 2]}, ValueError, r"sizes\[1\] must be an integer >= 1; got 0"),
        ({"sizes": [3, 4, -2]}, ValueError, r"sizes\[2\] must be an integer >= 1; got -2"),
        ({"sizes": [3, 2.5, 1]}, TypeError, r"sizes\[1\] must be an integer >= 1; got float 2.5"),
        ({"sizes": [3, True, 1]}, TypeError, r"sizes\[1\] must be an integer >= 1; got bool True"),
        (
            {"activation": "swish"},
            ValueError,
            r"unknown activation 'swish'; valid names are: exp, identity, leaky_relu, relu, sigmoid, softmax, tanh",
        ),
        ({"activation": 3}, TypeError, r"activation must be a name \(str\), one of \[.*'relu'.*\]; got int 3"),
        (
            {"sizes": [3, 4, 4, 2], "activation": ["relu"]},
            ValueError,
            r"activation must be one name or one per hidden layer \(2\); got 1: \['relu'\]",
        ),
        (
            {"activation": "softmax"},
            ValueError,
            r"activation 'softmax' is for the output layer only; use output_activation='softmax'",
        ),
        (
            {"sizes": [3, 4, 4, 2], "activation": ["relu", "softmax"]},
            ValueError,
            r"activation 'softmax' is for the output",
        ),
        (
            {"output_activation": "swish"},
            ValueError,
            r"unknown output_activation 'swish'; valid names are: exp, identity, ",
        ),
        (
            {"loss": "hinge"},
            ValueError,
            r"unknown loss 'hinge'; valid names are: binary_cross_entropy, cross_entropy, "
            r"half_squared_error, mae, mse, poisson, squared_error",
        ),
        ({"loss": None}, TypeError, r"loss must be a name \(str\), one of \[.*\]; got NoneType None"),
        (
            {"init": "zeros"},
            ValueError,
            r"unknown init 'zeros'; valid names are: auto, glorot, he, normal, uniform, xavier",
        ),
        ({"reduction": "avg"}, ValueError, r"unknown reduction 'avg'; valid names are: mean, sum"),
        ({"dtype": "float16"}, ValueError, r"dtype must be 'float64' or 'float32'; got 'float16'"),
        ({"dtype": None}, ValueError, r"dtype must be 'float64' or 'float32'; got None"),
        ({"dtype": "int32"}, ValueError, r"dtype must be 'float64' or 'float32'; got 'int32'"),
        ({"dtype": "double-ish"}, ValueError, r"dtype must be 'float64' or 'float32'; got 'double-ish'"),
        ({"bias": "yes"}, TypeError, r"bias must be True or False; got str 'yes'"),
        ({"seed": -1}, ValueError, r"seed must be a non-negative int or None; got -1"),
        ({"seed": 1.5}, ValueError, r"seed must be a non-negative int or None; got 1.5"),
        (
            {"loss": "cross_entropy", "output_activation": "sigmoid"},
            ValueError,
            r"loss 'cross_entropy' needs output_activation in \['softmax'\]; got 'sigmoid' "
            r"\(leave output_activation=None to get the right one\)",
        ),
        (
            {"loss": "binary_cross_entropy", "output_activation": "softmax"},
            ValueError,
            r"loss 'binary_cross_entropy' needs output_activation in \['sigmoid'\]; got 'softmax'",
        ),
        (
            {"loss": "binary_cross_entropy", "output_activation": "identity"},
            ValueError,
            r"loss 'binary_cross_entropy' needs output_activation in \['sigmoid'\]; got 'identity'",
        ),
    ],
)
def test_bad_construction(kwargs, error, message):
    sizes = kwargs.pop("sizes", SIZES)
    with pytest.raises(error, match=message):
        cr.Network(sizes, **kwargs)


# -- bad input: data, through every entry point ----------------------------------------
GOOD_X = np.ones((4, 3))
GOOD_Y = np.full((4, 2), 0.5)
_nan_X = GOOD_X.copy()
_nan_X[1, 2] = np.nan
_inf_X = GOOD_X.copy()
_inf_X[3, 0] = np.inf

BAD_X = [
    pytest.param(
        np.ones((4, 2)),
        ValueError,
        r"X must have 3 columns \(the network's input size, sizes\[0\]\); got shape \(4, 2\)",
        id="width",
    ),
    pytest.param(
        np.ones(3),
        ValueError,
        r"X must be a 2-D array; got shape \(3,\); a single sample needs shape "
        r"\(1, n_columns\): use X.reshape\(1, -1\), and one column per sample "
        r"X.reshape\(-1, 1\)",
        id="1-D",
    ),
    pytest.param(np.ones((4, 3, 1)), ValueError, r"X must be a 2-D array; got shape \(4, 3, 1\)", id="3-D"),
    pytest.param(5.0, ValueError, r"X must be a 2-D array; got shape \(\)", id="scalar"),
    pytest.param(np.empty((0, 3)), ValueError, r"X must not be empty; got shape \(0, 3\)", id="empty-rows"),
    pytest.param([[]], ValueError, r"X must not be empty; got shape \(1, 0\)", id="empty-columns"),
    pytest.param(_nan_X, ValueError, r"X must be finite; found nan at index \(1, 2\)", id="nan"),
    pytest.param(_inf_X, ValueError, r"X must be finite; found inf at index \(3, 0\)", id="inf"),
    pytest.param(-_inf_X, ValueError, r"X must be finite; found -inf at index \(3, 0\)", id="-inf"),
    pytest.param([["a", "b", "c"]] * 4, TypeError, r"X must hold numbers; got an array of dtype <U1", id="strings"),
    pytest.param(
        np.array([[1, None, 2]] * 4, dtype=object),
        TypeError,
        r"X must hold numbers; got an array of dtype object",
        id="objects",
    ),
    pytest.param(None, TypeError, r"X must hold numbers; got an array of dtype object", id="None"),
    pytest.param([[1, 2, 3], [1, 2]], TypeError, r"X must be a numeric array; could not convert it", id="ragged"),
    pytest.param(
        np.ones((4, 3)) * 1j, TypeError, r"X must hold real numbers; got complex dtype complex128", id="complex"
    ),
]


def _call(net, method, X, Y):
    if method == "predict":
        return net.predict(X)
    if method == "fit":
        return net.fit(X, Y, epochs=1)
    if method == "gradcheck":
        return cr.gradcheck(net, X, Y)
    return getattr(net, method)(X, Y)


@pytest.mark.parametrize("method", ["fit", "predict", "loss", "gradients", "gradcheck"])
@pytest.mark.parametrize("X, error, message", BAD_X)
def test_bad_X(method, X, error, message):
    net = _net()
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(error, match=message):
        _call(net, method, X, GOOD_Y)
    for p, b in zip(net.parameters(), before):  # a refused call changes nothing
        np.testing.assert_array_equal(p, b)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_check_X_on_a_large_array(dtype, order):
    # Over a million elements the check is one reduction (x·x for a contiguous float array), and the
    # elements one by one only when it is not finite: a bad value is found, a huge finite one is not refused.
    net = cr.Network([300, 1], dtype=dtype)
    X = np.ones((4000, 300), dtype=dtype, order=order)
    assert net.check_X(X) is X  # nothing converted, nothing copied
    X[3999, 299] = 1e30  # finite, but its square overflows float32
    assert net.check_X(X) is X
    for bad, shown in ((np.nan, "nan"), (-np.inf, "-inf")):
        X[1234, 56] = bad
        with pytest.raises(ValueError, match=rf"X must be finite; found {shown} at index \(1234, 56\)"):
            net.check_X(X)
        X[1234, 56] = 0.0


_nan_Y = GOOD_Y.copy()
_nan_Y[2, 1] = np.nan

BAD_Y = [
    pytest.param(
        {}, np.full((3, 2), 0.5), ValueError, r"Y must have as many rows as X \(4\); got shape \(3, 2\)", id="rows"
    ),
    pytest.param(
        {},
        np.full((4, 3), 0.5),
        ValueError,
        r"Y must have 2 columns \(the network's output size, sizes\[-1\]\); got shape \(4, 3\)",
        id="width",
    ),
    pytest.param(
        {},
        np.full(4, 0.5),
        ValueError,
        r"Y must be a 2-D array; got shape \(4,\); a single sample needs shape \(1, n_columns\): "
        r"use Y.reshape\(1, -1\), and one column per sample Y.reshape\(-1, 1\)",
        id="1-D",
    ),
    pytest.param({}, np.empty((0, 2)), ValueError, r"Y must not be empty; got shape \(0, 2\)", id="empty"),
    pytest.param({}, _nan_Y, ValueError, r"Y must be finite; found nan at index \(2, 1\)", id="nan"),
    pytest.param({}, _nan_Y * np.inf, ValueError, r"Y must be finite; found inf at index \(0, 0\)", id="inf"),
    pytest.param({}, [["x", "y"]] * 4, TypeError, r"Y must hold numbers; got an array of dtype <U1", id="strings"),
    pytest.param(
        {},
        np.array([[0.5, {}]] * 4, dtype=object),
        TypeError,
        r"Y must hold numbers; got an array of dtype object",
        id="objects",
    ),
    pytest.param(
        {"loss": "binary_cross_entropy"},
        np.full((4, 2), 1.5),
        ValueError,
        r"Y for binary_cross_entropy must be probabilities in \[0, 1\]; got values in \[1.5, 1.5\]",
        id="bce-above-1",
    ),
    pytest.param(
        {"loss": "binary_cross_entropy"},
        np.full((4, 2), -0.5),
        ValueError,
        r"Y for binary_cross_entropy must be probabilities in \[0, 1\]; got values in \[-0.5, -0.5\]",
        id="bce-below-0",
    ),
    pytest.param(
        {"loss": "cross_entropy"},
        np.array([0, 1, 2, 1]),
        ValueError,
        r"Y class labels must be in \[0, 2\) for 2 outputs; got 2",
        id="ce-label-too-big",
    ),
    pytest.param(
        {"loss": "cross_entropy"},
        np.array([0, -1, 1, 1]),
        ValueError,
        r"Y class labels must be in \[0, 2\) for 2 outputs; got -1",
        id="ce-label-negative",
    ),
    pytest.param(
        {"loss": "cross_entropy"},
        np.array([0, 1, 1]),
        ValueError,
        r"Y must have one label per row of X \(4\); got 3",
        id="ce-label-count",
    ),
    pytest.param(
        {"loss": "cross_entropy"},
        np.array([0.0, 1.0, 1.0, 0.0]),
        TypeError,
        r"Y as 1-D class labels must hold integers in \[0, 2\); got dtype float64 "
        r"\(use labels.astype\(int\), or one-hot rows of width 2\)",
        id="ce-float-labels",
    ),
    pytest.param(
        {"loss": "cross_entropy"},
        np.array(["a", "b", "a", "b"]),
        TypeError,
        r"Y as 1-D class labels must hold integers in \[0, 2\); got dtype <U1",
        id="ce-string-labels",
    ),
    pytest.param(
        {"loss": "cross_entropy"},
        np.eye(3)[[0, 1, 2, 0]],
        ValueError,
        r"Y must have 2 columns \(the network's output size, sizes\[-1\]\); got shape \(4, 3\)",
        id="ce-one-hot-width",
    ),
    pytest.param(
        {"loss": "cross_entropy"},
        np.ones((4, 2)),
        ValueError,
        r"Y for cross_entropy must be one-hot \(or probability\) rows summing to 1; row 0 sums to 2",
        id="ce-rows-not-summing-to-1",
    ),
    pytest.param(
        {"loss": "cross_entropy"},
        np.array([[2.0, -1.0]] * 4),
        ValueError,
        r"Y for cross_entropy must be probabilities in \[0, 1\]; got values in \[-1.0, 2.0\]",
        id="ce-outside-0-1",
    ),
]


@pytest.mark.parametrize("method", ["fit", "loss", "gradients", "gradcheck"])
@pytest.mark.parametrize("kwargs, Y, error, message", BAD_Y)
def test_bad_Y(method, kwargs, Y, error, message):
    net = _net(**kwargs)
    with pytest.raises(error, match=message):
        _call(net, method, GOOD_X, Y)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"learning_rate": 0}, ValueError, r"learning_rate must be a finite number > 0; got 0.0"),
        ({"learning_rate": -0.1}, ValueError, r"learning_rate must be a finite number > 0; got -0.1"),
        ({"learning_rate": float("nan")}, ValueError, r"learning_rate must be a finite number > 0; got nan"),
        ({"learning_rate": float("inf")}, ValueError, r"learning_rate must be a finite number > 0; got inf"),
        ({"learning_rate": "0.1"}, TypeError, r"learning_rate must be a real number; got str '0.1'"),
        (
            {"learning_rate": 0.1, "optimizer": cr.SGD(0.5)},
            ValueError,
            r"the SGD instance has its own \(learning_rate=0.5\)",
        ),
        ({"epochs": -1}, ValueError, r"epochs must be an integer >= 0; got -1"),
        ({"epochs": 2.5}, TypeError, r"epochs must be an integer >= 0; got float 2.5"),
        ({"batch_size": 0}, ValueError, r"batch_size must be an integer >= 1; got 0"),
        ({"batch_size": -3}, ValueError, r"batch_size must be an integer >= 1; got -3"),
        ({"batch_size": 1.5}, TypeError, r"batch_size must be an integer >= 1; got float 1.5"),
        ({"verbose": -1}, ValueError, r"verbose must be an integer >= 0; got -1"),
        ({"shuffle": "yes"}, TypeError, r"shuffle must be True or False; got str 'yes'"),
        (
            {"optimizer": "lamb"},
            ValueError,
            r"unknown optimizer 'lamb'; valid names are: adam, adamw, lbfgs, rmsprop, sgd",
        ),
        (
            {"optimizer": "lbfgs", "learning_rate": 0.1},
            ValueError,
            r"optimizer='lbfgs' takes no learning_rate: it runs full batch, with its own step lengths",
        ),
        ({"max_iter": 5}, ValueError, r"max_iter is for optimizer='lbfgs'; gradient descent runs `epochs` epochs"),
        (
            {"optimizer": 3},
            TypeError,
            r"optimizer must be a name \(str\), one of \['adam', 'adamw', 'lbfgs', 'rmsprop', 'sgd'\]; got int 3",
        ),
    ],
)
def test_bad_fit_arguments(kwargs, error, message):
    net = _net()
    X, Y = _xy()
    before = [p.copy() for p in net.parameters()]
    with pytest.raises(error, match=message):
        net.fit(X, Y, **kwargs)
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(p, b)
    assert net.epochs_trained_ == 0


# -- the caller's arrays are never modified --------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("loss", ["half_squared_error", "cross_entropy", "binary_cross_entropy"])
@pytest.mark.parametrize("fit_kwargs", [{}, {"batch_size": 2}, {"batch_size": 1, "optimizer": "adam"}])
def test_user_arrays_untouched(dtype, loss, fit_kwargs):
    net = cr.Network([3, 4, 2], loss=loss, dtype=dtype, seed=1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 3)).astype(dtype)  # already the network's dtype: no conversion copy
    Y = rng.integers(0, 2, 5) if loss == "cross_entropy" else rng.random((5, 2)).astype(dtype)
    X0, Y0 = X.copy(), Y.copy()
    net.fit(X, Y, epochs=2, **fit_kwargs)
    net.predict(X)
    net.loss(X, Y)
    net.gradients(X, Y)
    cr.gradcheck(net, X, Y, max_per_array=2)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
    assert X.dtype == X0.dtype and Y.dtype == Y0.dtype


def test_predict_returns_a_fresh_array_each_time():
    net = _net(activation="relu", output_activation="identity")
    X = np.ones((2, 3))
    first = net.predict(X)
    kept = first.copy()
    net.fit(X, np.zeros((2, 2)), epochs=2)
    net.predict(X * 3)
    np.testing.assert_array_equal(first, kept)


# -- fit: continuation, determinism, batches, verbose -----------------------------------
@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_refit_with_a_new_learning_rate_continues_the_optimiser(optimizer):
    """fit(lr=a) then fit(lr=b) is one optimiser whose learning rate changes, as in torch.optim."""
    X, Y = _xy(10, seed=2)
    net = cr.Network([3, 4, 2], seed=5)
    net.fit(X, Y, epochs=3, learning_rate=0.05, optimizer=optimizer)
    kept = net.optimizer_
    net.fit(X, Y, epochs=2, learning_rate=0.01, optimizer=optimizer)
    assert net.optimizer_ is kept and kept.iterations == 5 and kept.learning_rate == 0.01

    reference = cr.Network([3, 4, 2], seed=5)
    opt = cr.OPTIMIZERS[optimizer](0.05)
    reference.fit(X, Y, epochs=3, optimizer=opt)
    opt.set_learning_rate(0.01)
    reference.fit(X, Y, epochs=2, optimizer=opt)
    np.testing.assert_array_equal(net.params, reference.params)


def test_refit_with_other_settings_starts_a_new_optimiser():
    X, Y = _xy(10, seed=2)
    net = cr.Network([3, 4, 2], seed=5)
    net.fit(X, Y, epochs=2, optimizer="adam")
    first = net.optimizer_
    net.fit(X, Y, epochs=1, optimizer="adam", weight_decay=0.01)
    assert net.optimizer_ is not first and net.optimizer_.iterations == 1


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("batch_size", [None, 3])
def test_fit_twice_equals_fit_once(dtype, optimizer, batch_size):
    X, Y = _xy(10, seed=2)
    kwargs = {"learning_rate": 0.05, "optimizer": optimizer, "batch_size": batch_size, "shuffle": True}
    once = cr.Network([3, 4, 2], seed=5, dtype=dtype)
    h6 = once.fit(X, Y, epochs=6, **kwargs)
    twice = cr.Network([3, 4, 2], seed=5, dtype=dtype)
    h3a = twice.fit(X, Y, epochs=3, **kwargs)
    h3b = twice.fit(X, Y, epochs=3, **kwargs)
    for p, q in zip(once.parameters(), twice.parameters()):
        np.testing.assert_array_equal(p, q)  # bit for bit
    assert h3a.loss + h3b.loss == h6.loss
    assert h3a.epochs == [0, 1, 2] and h3b.epochs == [3, 4, 5] and h6.epochs == list(range(6))
    assert twice.epochs_trained_ == 6


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_same_seed_same_results(optimizer):
    X, Y = _xy(9, seed=3)
    runs = []
    for _ in range(2):
        net = cr.Network([3, 5, 2], activation="tanh", seed=42)
        history = net.fit(X, Y, epochs=4, batch_size=2, optimizer=optimizer, learning_rate=0.01)
        runs.append((history.loss, [p.copy() for p in net.parameters()]))
    assert runs[0][0] == runs[1][0]
    for p, q in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(p, q)


def test_different_seed_different_shuffles():
    X, Y = _xy(8, seed=3)
    a, b = cr.Network([3, 4, 2], seed=1), cr.Network([3, 4, 2], seed=1)
    b.shuffle_rng = np.random.default_rng(999)  # same start, different shuffling stream
    a.fit(X, Y, epochs=2, batch_size=1)
    b.fit(X, Y, epochs=2, batch_size=1)
    assert not np.array_equal(a.layers[0].weights, b.layers[0].weights)


@pytest.mark.parametrize("batch_size, steps_per_epoch", [(None, 1), (1, 10), (3, 4), (5, 2), (10, 1), (64, 1)])
def test_batch_size_counts_optimizer_steps(batch_size, steps_per_epoch):
    X, Y = _xy(10)
    net = _net()
    net.fit(X, Y, epochs=3, batch_size=batch_size)
    assert net.optimizer_.iterations == 3 * steps_per_epoch


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("batch_size", [None, 1, 3])
def test_batches_are_consecutive_rows_without_shuffle(reduction, batch_size):
    # The semantics written out: one plain gradient step per batch of consecutive rows,
    # the last batch smaller (and, with "mean", averaged over its own rows).
    X, Y = _xy(7, seed=4)
    lr = 0.3
    net = _net(reduction=reduction)
    ref = _net(reduction=reduction)
    history = net.fit(X, Y, epochs=2, learning_rate=lr, batch_size=batch_size, shuffle=False)
    expected_losses = []
    for _ in range(2):
        size = batch_size or 7
        total = 0.0
        for start in range(0, 7, size):
            xb, yb = X[start : start + size], Y[start : start + size]
            batch_loss = ref.loss(xb, yb)
            total += batch_loss * len(xb) if reduction == "mean" else batch_loss
            for layer, (gw, gb) in zip(ref.layers, ref.gradients(xb, yb)):
                layer.weights = layer.weights - lr * gw
                layer.bias = layer.bias - lr * gb
        expected_losses.append(total / 7 if reduction == "mean" else total)
    for p, q in zip(net.parameters(), ref.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(history.loss, expected_losses, rtol=1e-13)


def test_full_batch_history_is_the_loss_before_each_update(xor):
    X, Y = xor
    net = cr.Network([2, 2, 1], seed=0)
    ref = cr.Network([2, 2, 1], seed=0)
    history = net.fit(X, Y, epochs=3, learning_rate=0.5)
    expected = []
    for _ in range(3):
        expected.append(ref.loss(X, Y))
        ref.fit(X, Y, epochs=1, learning_rate=0.5)
    assert history.loss == pytest.approx(expected, rel=1e-15)


def test_shuffle_changes_the_order():
    X, Y = _xy(8, seed=5)
    a, b = _net(), _net()
    a.fit(X, Y, epochs=1, batch_size=1, shuffle=True)
    b.fit(X, Y, epochs=1, batch_size=1, shuffle=False)
    assert not np.array_equal(a.layers[0].weights, b.layers[0].weights)


def test_full_batch_ignores_shuffle():
    X, Y = _xy(8, seed=5)
    a, b = _net(), _net()
    a.fit(X, Y, epochs=2, shuffle=True)
    b.fit(X, Y, epochs=2, shuffle=False)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("epochs, every, printed", [(5, 2, [0, 2, 4]), (3, 1, [0, 1, 2]), (4, 0, [])])
def test_verbose_prints_every_n_epochs(capsys, epochs, every, printed):
    net = _net()
    X, Y = _xy()
    history = net.fit(X, Y, epochs=epochs, verbose=every)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"Epoch {e}, Loss: {history.loss[e]}" for e in printed]


def test_silent_by_default(capsys, xor):
    net = cr.Network([2, 2, 1], seed=0)
    net.fit(*xor, epochs=3)
    net.predict(xor[0])
    net.loss(*xor)
    net.gradients(*xor)
    cr.gradcheck(net, *xor)
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("epochs", [0, 1, 7])
def test_history_lengths(epochs):
    net = _net()
    X, Y = _xy()
    before = [p.copy() for p in net.parameters()]
    history = net.fit(X, Y, epochs=epochs)
    assert len(history) == len(history.loss) == len(history.epochs) == epochs
    assert all(isinstance(v, float) and np.isfinite(v) for v in history.loss)
    if epochs == 0:
        for p, b in zip(net.parameters(), before):
            np.testing.assert_array_equal(p, b)


def test_training_reduces_the_loss(xor):
    net = cr.Network([2, 4, 1], activation="tanh", loss="binary_cross_entropy", seed=3)
    history = net.fit(*xor, epochs=300, learning_rate=0.5, optimizer="adam")
    assert history.loss[-1] < 0.1 * history.loss[0]
    assert ((net.predict(xor[0]) > 0.5) == (xor[1] > 0.5)).all()


# -- float32 ---------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_float32_trains_and_stays_float32(optimizer, xor):
    net = cr.Network([2, 4, 1], activation="tanh", loss="binary_cross_entropy", seed=3, dtype="float32")
    history = net.fit(*xor, epochs=200, learning_rate=0.5 if optimizer == "sgd" else 0.05, optimizer=optimizer)
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert net.predict(xor[0]).dtype == np.float32
    assert all(g.dtype == np.float32 for pair in net.gradients(*xor) for g in pair)
    assert history.loss[-1] < 0.5 * history.loss[0]


def test_float32_gradients_close_to_float64():
    X, Y = _xy(6)
    n64 = cr.Network([3, 5, 2], activation="tanh", seed=8)
    n32 = cr.Network([3, 5, 2], activation="tanh", seed=8, dtype="float32")
    for (g64, b64), (g32, b32) in zip(n64.gradients(X, Y), n32.gradients(X, Y)):
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(b32, b64, rtol=1e-4, atol=1e-6)


# -- numerical stability through the network --------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "loss, output",
    [
        ("half_squared_error", "sigmoid"),
        ("squared_error", "softmax"),
        ("mse", "tanh"),
        ("binary_cross_entropy", None),
        ("cross_entropy", None),
    ],
)
def test_saturated_network_stays_finite(dtype, loss, output):
    # Pre-activations of ±1e4 in every layer; filterwarnings=error fails on any overflow warning.
    net = cr.Network([2, 3, 3], activation="sigmoid", output_activation=output, loss=loss, seed=0, dtype=dtype)
    net.layers[0].weights = [[1e4, 0.0], [-1e4, 0.0], [0.0, 1e4]]
    net.layers[1].weights = [[1e4, -1e4, 1e4], [-1e4, 1e4, -1e4], [1e4, 1e4, 1e4]]
    X = np.array([[1.0, -1.0], [-1.0, 1.0]])
    Y = np.array([0, 2]) if loss == "cross_entropy" else np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    out = net.predict(X)
    assert np.isfinite(out).all()
    assert np.isfinite(net.loss(X, Y))
    assert all(np.isfinite(g).all() for pair in net.gradients(X, Y) for g in pair)
    history = net.fit(X, Y, epochs=2, learning_rate=0.1)
    assert np.isfinite(history.loss).all()
    assert all(np.isfinite(p).all() for p in net.parameters())


@pytest.mark.parametrize("batch_size", [None, 3])
@pytest.mark.parametrize(
    "loss", ["half_squared_error", "squared_error", "mse", "binary_cross_entropy", "cross_entropy"]
)
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "identity"])
def test_float32_training_follows_float64(activation, loss, batch_size):
    # float32 trains through its own buffered step: the float64 path is its oracle.
    rng = np.random.default_rng(6)
    X = rng.normal(size=(7, 3))
    Y = rng.integers(0, 2, 7) if loss == "cross_entropy" else rng.random((7, 2))
    nets = {
        # N(0, 1) biases: with zero biases some gradients start near 0, where Adam's g/√v amplifies float noise.
        dtype: cr.Network([3, 4, 4, 2], activation=activation, loss=loss, init="normal", seed=9, dtype=dtype)
        for dtype in ("float64", "float32")
    }
    histories = {
        dtype: net.fit(X, Y, epochs=3, learning_rate=0.1, batch_size=batch_size, optimizer="adam")
        for dtype, net in nets.items()
    }
    np.testing.assert_allclose(histories["float32"].loss, histories["float64"].loss, rtol=1e-4)
    for p32, p64 in zip(nets["float32"].parameters(), nets["float64"].parameters()):
        assert p32.dtype == np.float32
        np.testing.assert_allclose(p32, p64, rtol=1e-4, atol=1e-5)


# -- input_scale: a₀ = s·x, integer inputs read as they are ------------------------------
def _pixels(n=6, width=3, seed=0, dtype=np.uint8):
    info = np.iinfo(dtype)
    return np.random.default_rng(seed).integers(max(info.min, -300), min(info.max, 300), (n, width), dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("integers", [np.uint8, np.uint16, np.int8, np.int64])
def test_input_scale_forward_is_the_forward_pass_on_the_scaled_floats(dtype, integers):
    U = _pixels(dtype=integers)
    s = 1 / 255
    F = U.astype(dtype) * np.array(s, dtype)
    plain, scaled = _net(dtype=dtype), _net(dtype=dtype, input_scale=s)
    X = scaled.check_X(U)
    assert X is U  # kept as it is: no copy, no conversion
    fwd, ref = scaled.forward(X), plain.forward(F)
    assert fwd.activations[0].dtype == np.dtype(dtype)
    np.testing.assert_array_equal(fwd.activations[0], F)  # activations[0] is a₀ = s·x
    for a, b in zip(fwd.zs + fwd.activations, ref.zs + ref.activations):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(scaled.predict(U.tolist()), plain.predict(F))  # lists of ints too
    Y = np.random.default_rng(1).random((len(U), 2))
    assert scaled.loss(U, Y) == plain.loss(F, Y)
    for (gw, gb), (hw, hb) in zip(scaled.gradients(U, Y), plain.gradients(F, Y)):  # backward reads a₀
        np.testing.assert_array_equal(gw, hw)
        np.testing.assert_array_equal(gb, hb)


@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_input_scale_forward_in_a_workspace_scales_into_its_buffer(dropout):
    U = _pixels(n=5)
    s = 1 / 255
    plain, scaled = _net(dtype="float32"), _net(dtype="float32", input_scale=s)
    work = Workspace(scaled, 8, dropout, x_dtype=np.uint8)
    ref_work = Workspace(plain, 8, dropout)
    assert work.x.dtype == np.uint8 and work.a0.dtype == np.float32 and ref_work.a0 is None
    fwd = scaled.forward(U, work)
    ref = plain.forward(U.astype(np.float32) * np.float32(s), ref_work)
    assert np.shares_memory(fwd.activations[0], work.a0)
    for a, b in zip(fwd.zs + fwd.activations, ref.zs + ref.activations):
        np.testing.assert_array_equal(a, b)
    Y = np.random.default_rng(1).random((5, 2)).astype(np.float32)
    assert scaled.backward(fwd, Y, work).loss == plain.backward(ref, Y, ref_work).loss
    np.testing.assert_array_equal(scaled.grads, plain.grads)


def test_input_scale_also_scales_float_inputs_and_converts_bool():
    s = 0.5
    scaled, plain = _net(input_scale=s), _net()
    X = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    assert scaled.check_X(X).dtype == np.float64  # floats are converted as without input_scale
    np.testing.assert_array_equal(scaled.predict(X), plain.predict(X.astype(np.float64) * s))
    B = np.array([[True, False, True]])
    assert scaled.check_X(B).dtype == np.float64  # true/false are not kept as integers
    np.testing.assert_array_equal(scaled.predict(B), plain.predict([[s, 0.0, s]]))
    U = _pixels()
    assert plain.check_X(U).dtype == np.float64  # without input_scale nothing changes: integers converted
    with pytest.raises(
        TypeError, match=r"X for the engine must be a 2-D float64 ndarray with 3 columns; got dtype uint8 "
    ):
        plain.forward(U)
    with pytest.raises(TypeError, match=r"must be a 2-D float64 \(or integer\) ndarray with 3 columns; got dtype bool"):
        scaled.forward(B)


@pytest.mark.parametrize(
    "value, error, message",
    [
        ("1/255", TypeError, r"input_scale must be a real number > 0 \(1/255 for pixels 0..255\) or None; got str"),
        (True, TypeError, r"input_scale must be a real number > 0 .*; got bool True"),
        ([0.5], TypeError, r"input_scale must be a real number > 0 .*; got list"),
        (0, ValueError, r"input_scale must be a finite number > 0 in float64 \(1/255 for pixels 0..255\), or None"),
        (-1 / 255, ValueError, r"input_scale must be a finite number > 0 in float64 .*; got -0.0039"),
        (math.nan, ValueError, r"input_scale must be a finite number > 0 in float64 .*; got nan"),
        (math.inf, ValueError, r"input_scale must be a finite number > 0 in float64 .*; got inf"),
    ],
)
def test_bad_input_scale(value, error, message):
    with pytest.raises(error, match=message):
        _net(input_scale=value)
    net = _net()
    with pytest.raises(error, match=message):
        net.input_scale = value
    assert net.input_scale is None


def test_input_scale_must_stay_a_number_in_the_network_dtype():
    with pytest.raises(ValueError, match=r"input_scale must be a finite number > 0 in float32 .*; got 1e-50"):
        _net(dtype="float32", input_scale=1e-50)  # 0 in float32
    with pytest.raises(ValueError, match=r"input_scale must be a finite number > 0 in float32 .*; got 1e\+39"):
        _net(dtype="float32", input_scale=1e39)  # inf in float32
    net = _net(input_scale=1e-50)  # a float64 number
    with pytest.raises(ValueError, match=r"in float32 .*; got 1e-50"):
        net.astype("float32")
    assert _net(input_scale=np.float32(0.5)).input_scale == 0.5  # any real number, kept as a Python float


def test_input_scale_travels_with_astype_copies_and_repr():
    net = _net(input_scale=1 / 255)
    assert net.astype("float32").input_scale == 1 / 255
    assert copy.deepcopy(net).input_scale == 1 / 255
    assert repr(net) == (
        "Network(sizes=[3, 4, 2], activations=['sigmoid', 'sigmoid'], loss='half_squared_error', "
        "reduction='mean', bias=True, dtype='float64', input_scale=0.00392156862745098)"
    )
    assert "inputs scaled by 0.00392157" in net._repr_html_()
    assert "input_scale" not in repr(_net()) and "scaled" not in _net()._repr_html_()


def test_stack_carries_the_input_scale_and_refuses_two():
    s = 1 / 255
    nets = [_net(seed=k, input_scale=s) for k in range(3)]
    stack = cr.Network.stack(nets)
    assert stack.input_scale == s
    U = _pixels()
    per_model = np.stack([U, U[::-1], U])  # (K, n, n_inputs) uint8
    out = stack.forward(per_model).activations[-1]
    for k, net in enumerate(nets):
        np.testing.assert_array_equal(out[k], net.predict(per_model[k]))
    np.testing.assert_array_equal(stack.forward(U).activations[-1][1], nets[1].predict(U))
    with pytest.raises(
        ValueError, match=r"networks\[1\] has input_scale None, networks\[0\] 0.0039.*and input_scale\)"
    ):
        cr.Network.stack([nets[0], _net(seed=1)])
