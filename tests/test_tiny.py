"""The compiled tiny-network loop: equal to the NumPy engine over the activation × loss grid, the
optimisers and their state, the loop's promises (History, divergence, Ctrl-C, a second fit), the
choice of path, K networks at once, and the NumPy engine when numba is absent.

Tolerances: float64 runs agree to 1e-12 (relative, with an absolute floor of 1e-12 for values near 0):
the two paths do the same operations, except that a matrix product's sum may be taken in another
order than the BLAS's and that numba's exp, log and tanh are the C library's where NumPy has its own
SIMD versions, each a difference of an ulp or so, which a few hundred epochs of gradient descent do
not amplify beyond that. float32 runs are held to 2e-5 relative (about 170 ulps of float32's 1.2e-7):
the same ulp-sized differences, in a dtype with 2^29 times fewer digits, over a hundred epochs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.training import kernels, tiny

numba = pytest.importorskip("numba", reason="numba (the fast extra) not installed: nothing to compare with")

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
LOSSES = ["half_squared_error", "squared_error", "mse", "mae", "binary_cross_entropy", "cross_entropy", "poisson"]
OUTPUTS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "exp", "softmax"]


@pytest.fixture(autouse=True)
def _restore():
    yield
    kernels.set_kernels(None)


@pytest.fixture
def spy(monkeypatch):
    """The number of compiled calls the fit loop makes (the real loop runs: this only counts)."""
    calls = []
    real = tiny.train_network

    def counting(*args, **kwargs):
        calls.append(args[4])  # epochs of the call
        return real(*args, **kwargs)

    monkeypatch.setattr(tiny, "train_network", counting)
    return calls


def _data(loss, n=12, n_in=3, n_out=2, seed=5, dtype="float64"):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in))
    if loss == "cross_entropy":
        Y = np.eye(n_out)[rng.integers(0, n_out, n)]
    elif loss == "binary_cross_entropy":
        Y = (rng.random((n, n_out)) < 0.5).astype(float)
    elif loss == "poisson":
        Y = rng.poisson(2.0, (n, n_out)).astype(float)
    else:
        Y = rng.standard_normal((n, n_out))
    return X.astype(dtype), Y.astype(dtype)


def _fit(path, X, Y, sizes=(3, 4, 3, 2), epochs=300, fits=(None,), **options):
    """A network trained on ``path`` ("numpy" or "numba"); its History (of the last fit) and its optimiser."""
    kernels.set_kernels(path)
    build = {k: options.pop(k) for k in ("activation", "output_activation", "loss", "reduction", "bias", "dtype")
             if k in options}  # fmt: skip
    net = cr.Network(list(sizes), seed=3, **build)
    history = None
    for count in fits:
        history = net.fit(X, Y, epochs=epochs if count is None else count, **options)
    return net, history


def _close(a, b, rtol):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape
    worst = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)) if a.size else 0.0
    assert worst <= rtol, f"differ by {worst:.3g} (relative), more than {rtol:g}"


def _same_run(a, b, rtol=1e-12):
    """Two (network, History) pairs: the same weights, curves, counters and optimiser state, to rtol."""
    (net_a, h_a), (net_b, h_b) = a, b
    _close(net_a.params, net_b.params, rtol)
    _close(h_a.loss, h_b.loss, rtol)
    assert h_a.accuracy == h_b.accuracy  # counts of rows: exactly equal
    assert (h_a.epochs, h_a.learning_rate, h_a.stopped_early, h_a.interrupted) == (
        h_b.epochs, h_b.learning_rate, h_b.stopped_early, h_b.interrupted,
    )  # fmt: skip
    assert net_a.epochs_trained_ == net_b.epochs_trained_ and net_a.epoch_progress_ is net_b.epoch_progress_
    counters_a, state_a = net_a.optimizer_.get_state()
    counters_b, state_b = net_b.optimizer_.get_state()
    assert counters_a == counters_b
    assert state_a.keys() == state_b.keys()
    for key in state_a:
        _close(state_a[key], state_b[key], rtol)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", HIDDEN)
def test_the_compiled_loop_is_the_numpy_engine(spy, activation, loss, reduction, bias):
    X, Y = _data(loss)
    lr = 0.05 / 12 if reduction == "sum" else 0.05  # the same steps: 12 samples; small enough to be stable
    options = {"activation": activation, "loss": loss, "reduction": reduction, "bias": bias, "learning_rate": lr}
    numpy_run = _fit("numpy", X, Y, **options)
    assert spy == []
    compiled = _fit("numba", X, Y, **options)
    assert spy == [300]
    assert len(compiled[1]) == 300 and bool(compiled[1].accuracy) == (loss in ("binary_cross_entropy", "cross_entropy"))
    assert compiled[1].loss[-1] < compiled[1].loss[0]  # it learnt (the comparison is not of two stuck runs)
    _same_run(compiled, numpy_run)


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("loss", ["half_squared_error", "squared_error", "mse", "mae"])
def test_every_output_activation_under_the_unfused_losses(spy, output, loss):
    # softmax and exp outputs under a squared error go through their own backward (no fusion).
    X, Y = _data(loss, n_out=3)
    Y = np.abs(Y) / 3 if output in ("sigmoid", "softmax", "exp") else Y
    options = {"activation": "tanh", "output_activation": output, "loss": loss, "learning_rate": 0.05}
    compiled = _fit("numba", X, Y, sizes=(3, 5, 3), **options)
    assert spy == [300]
    _same_run(compiled, _fit("numpy", X, Y, sizes=(3, 5, 3), **options))


def test_a_leaky_relu_of_another_slope(spy):
    X, Y = _data("mse")
    net = {}
    for path in ("numpy", "numba"):
        kernels.set_kernels(path)
        net[path] = cr.Network([3, 6, 2], activation="leaky_relu", loss="mse", seed=1)
        net[path].layers[0].activation = cr.core.activations.LeakyReLU(0.2)
        net[path].fit(X, Y, epochs=200, learning_rate=0.1)
    assert spy == [200]
    _close(net["numba"].params, net["numpy"].params, 1e-12)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", HIDDEN)
def test_float32(spy, activation, loss):
    X, Y = _data(loss, dtype="float32")
    options = {"activation": activation, "loss": loss, "dtype": "float32", "learning_rate": 0.05, "epochs": 100}
    compiled = _fit("numba", X, Y, **options)
    assert spy == [100] and compiled[0].params.dtype == np.float32
    _same_run(compiled, _fit("numpy", X, Y, **options), rtol=2e-5)


OPTIMIZERS = [
    ("sgd", {"optimizer": cr.SGD(0.05, momentum=0.9)}),
    ("nesterov", {"optimizer": cr.SGD(0.05, momentum=0.8, nesterov=True)}),
    ("sgd decay", {"optimizer": "sgd", "weight_decay": 0.01}),
    ("sgd decay weights", {"optimizer": "sgd", "weight_decay": 0.05, "weight_decay_on": "weights"}),
    ("momentum decay weights", {"optimizer": cr.SGD(0.05, momentum=0.5, weight_decay=0.1, weight_decay_on="weights")}),
    ("adam", {"optimizer": "adam", "learning_rate": 0.01}),
    ("adam decay", {"optimizer": "adam", "learning_rate": 0.01, "weight_decay": 0.01}),
    ("adamw", {"optimizer": "adamw", "learning_rate": 0.01, "weight_decay_on": "weights"}),
    # ε well above the default 1e-8: g/(√v + ε) with a tiny v turns an ulp of g into an ulp of the step
    ("rmsprop", {"optimizer": cr.RMSProp(0.003, epsilon=1e-4, weight_decay=0.001)}),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, options", OPTIMIZERS, ids=[name for name, _ in OPTIMIZERS])
def test_the_optimisers_and_their_state(spy, name, options, dtype):
    X, Y = _data("mse", dtype=dtype)
    rtol = 1e-12 if dtype == "float64" else 2e-5
    # a fresh optimiser instance per run (an instance keeps its state between fits)
    fresh = lambda: {k: (type(v)(**_config(v)) if isinstance(v, cr.Optimizer) else v) for k, v in options.items()}  # noqa: E731
    # float32: 50 epochs, for RMSProp near its minimum turns float32's rounding into visible steps after ~100
    epochs = 150 if dtype == "float64" else 50
    common = {"activation": "tanh", "loss": "mse", "dtype": dtype, "epochs": epochs}
    compiled = _fit("numba", X, Y, **common, **fresh())
    assert spy == [epochs]
    _same_run(compiled, _fit("numpy", X, Y, **common, **fresh()), rtol)
    if name not in ("sgd decay", "sgd decay weights"):
        assert compiled[0].optimizer_.get_state()[1]  # state there was, and it was compared


def _config(optimizer):
    return {k: v for k, v in optimizer.get_config().items() if k != "name"}


@pytest.mark.parametrize("optimizer", ["sgd", "adam", cr.SGD(0.05, momentum=0.9)], ids=["sgd", "adam", "momentum"])
@pytest.mark.parametrize("order", ["numba, numba", "numpy, numba", "numba, numpy"])
def test_a_second_fit_continues_the_first_on_either_path(optimizer, order):
    # 200 + 100 epochs (the paths in the order given) end where 300 on the NumPy engine do.
    X, Y = _data("mse")
    make = lambda: optimizer if isinstance(optimizer, str) else cr.SGD(0.05, momentum=0.9)  # noqa: E731
    rate = 0.02 if isinstance(optimizer, str) else None
    kernels.set_kernels("numpy")
    whole = cr.Network([3, 4, 2], activation="tanh", loss="mse", seed=2)
    h_whole = whole.fit(X, Y, epochs=300, optimizer=make(), learning_rate=rate)
    net = cr.Network([3, 4, 2], activation="tanh", loss="mse", seed=2)
    opt = make()
    losses = []
    for path, epochs in zip(order.split(", "), (200, 100)):
        kernels.set_kernels(path)
        losses += net.fit(X, Y, epochs=epochs, optimizer=opt, learning_rate=rate).loss
    _close(net.params, whole.params, 1e-12)
    _close(losses, h_whole.loss, 1e-12)
    assert net.epochs_trained_ == 300 and net.optimizer_.get_state()[0] == whole.optimizer_.get_state()[0]
    for key, value in whole.optimizer_.get_state()[1].items():
        _close(net.optimizer_.get_state()[1][key], value, 1e-12)


def test_same_seed_same_bits(xor):
    X, Y = xor
    runs = [_fit("numba", X, Y, sizes=(2, 2, 1), epochs=500, learning_rate=0.5) for _ in range(2)]
    np.testing.assert_array_equal(runs[0][0].params, runs[1][0].params, strict=True)
    assert runs[0][1].loss == runs[1][1].loss


def test_the_fit_is_cut_into_calls_and_the_result_is_one_run(spy, monkeypatch, xor):
    # Calls of a few ms each (Ctrl-C is looked at between them); only the last checks the final weights.
    X, Y = xor
    whole = _fit("numba", X, Y, sizes=(2, 2, 1), epochs=1000, learning_rate=0.5)
    assert spy == [1000]
    monkeypatch.setattr(tiny, "CALL_WORK", 9 * 4 * 300)  # 300 epochs a call for 4 rows × 9 parameters
    cut = _fit("numba", X, Y, sizes=(2, 2, 1), epochs=1000, learning_rate=0.5)
    assert spy == [1000, 300, 300, 300, 100]
    np.testing.assert_array_equal(cut[0].params, whole[0].params, strict=True)
    assert cut[1].loss == whole[1].loss and cut[1].epochs == list(range(1000))


def test_ctrl_c_stops_after_the_call_in_progress(monkeypatch, xor):
    X, Y = xor
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a fresh process
    try:
        _ctrl_c(monkeypatch, X, Y)
    finally:
        signal.signal(signal.SIGINT, previous)


def _ctrl_c(monkeypatch, X, Y):
    monkeypatch.setattr(tiny, "CALL_WORK", 9 * 4 * 100)
    real = tiny.train_network

    def interrupted(*args, **kwargs):
        result = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the compiled loop ran
        return result

    monkeypatch.setattr(tiny, "train_network", interrupted)
    net, history = _fit("numba", X, Y, sizes=(2, 2, 1), epochs=1000, learning_rate=0.5)
    assert history.interrupted and history.interrupt_signal == signal.SIGINT
    assert len(history) == 100 and net.epochs_trained_ == 100 and net.optimizer_.iterations == 100
    monkeypatch.setattr(tiny, "train_network", real)
    net.fit(X, Y, epochs=900, learning_rate=0.5)  # continued: the run of 1000 epochs
    whole = _fit("numba", X, Y, sizes=(2, 2, 1), epochs=1000, learning_rate=0.5)[0]
    np.testing.assert_array_equal(net.params, whole.params)


def test_a_keyboard_interrupt_raised_by_code_goes_back_to_the_last_recorded_call(monkeypatch, xor):
    # Not Ctrl-C (which waits for the call to end) but a KeyboardInterrupt raised between a call's
    # return and its recording: the network, the optimiser and the History stay consistent.
    X, Y = xor
    monkeypatch.setattr(tiny, "CALL_WORK", 9 * 4 * 100)
    real = tiny.train_network
    calls = []

    def raising(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(tiny, "train_network", raising)
    net, history = _fit("numba", X, Y, sizes=(2, 2, 1), epochs=1000, learning_rate=0.5)
    assert history.interrupted and len(history) == 200
    assert net.epochs_trained_ == 200 and net.optimizer_.iterations == 200 and net.optimizer_.epochs_ == 200
    monkeypatch.setattr(tiny, "train_network", real)
    np.testing.assert_array_equal(
        net.params, _fit("numba", X, Y, sizes=(2, 2, 1), epochs=200, learning_rate=0.5)[0].params
    )


# -- divergence: the same exception, message, history and restored state on both paths ----------------


def _diverge(path, X, Y, sizes, epochs, **options):
    kernels.set_kernels(path)
    build = {k: options.pop(k) for k in ("activation", "loss", "dtype", "init") if k in options}
    net = cr.Network(list(sizes), seed=0, **build)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cr.TrainingWarning)
        with pytest.raises(cr.TrainingDiverged) as info:
            net.fit(X, Y, epochs=epochs, **options)
    return net, info.value


def _regression(n=32, dtype="float64"):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((n, 3))
    return X.astype(dtype), (X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1).astype(dtype)


DIVERGENCES = [
    # (name, data, sizes, epochs, options, cause)
    ("loss grows", _regression(), (3, 4, 1), 10_000,
     {"activation": "identity", "loss": "mse", "learning_rate": 50.0}, "loss"),
    ("loss grows, adam", _regression(), (3, 4, 1), 10_000,
     {"activation": "identity", "loss": "mse", "learning_rate": 1e200, "optimizer": "adam"}, "loss"),
    ("update overflows", _regression(), (3, 8, 1), 1,
     {"activation": "relu", "loss": "mse", "learning_rate": 3e38, "dtype": "float32"}, "update"),
    ("update overflows, rmsprop", _regression(), (3, 8, 1), 1,
     {"activation": "relu", "loss": "mse", "learning_rate": 1e300, "optimizer": "rmsprop", "dtype": "float32"},
     "update"),
    ("last step, rmsprop", _regression(), (3, 8, 1), 1,
     {"activation": "relu", "loss": "mse", "learning_rate": 1e300, "optimizer": "rmsprop"}, "last_step"),
    ("state overflows", _regression(dtype="float32"), (3, 8, 1), 1,
     {"activation": "relu", "loss": "mse", "learning_rate": 1e-3, "optimizer": "adam", "weight_decay": 1e30,
      "dtype": "float32"}, "update"),
    ("last step", _regression(dtype="float32"), (3, 8, 1), 1,
     {"activation": "relu", "loss": "mse", "learning_rate": 1e37, "dtype": "float32"}, "last_step"),
    ("data", (np.array([[1e200], [-1e200]]), np.array([[0.0], [1.0]])), (1, 1), 3,
     {"activation": "identity", "loss": "squared_error"}, "data"),
]  # fmt: skip


@pytest.mark.parametrize("name, data, sizes, epochs, options, cause", DIVERGENCES, ids=[d[0] for d in DIVERGENCES])
def test_divergence_is_the_same_on_both_paths(spy, name, data, sizes, epochs, options, cause):
    X, Y = data
    numpy_net, numpy_exc = _diverge("numpy", X, Y, sizes, epochs, **dict(options))
    assert spy == []
    net, exc = _diverge("numba", X, Y, sizes, epochs, **dict(options))
    assert spy
    assert exc.cause == numpy_exc.cause == cause
    assert (exc.epoch, exc.batch, exc.learning_rate) == (numpy_exc.epoch, numpy_exc.batch, numpy_exc.learning_rate)
    assert str(exc).split(" became ")[0] == str(numpy_exc).split(" became ")[0]
    if cause == "update":
        _close(exc.loss, numpy_exc.loss, 1e-5)  # the finite loss before the update
        assert str(exc).split("(the loss")[0] == str(numpy_exc).split("(the loss")[0]
    else:
        assert str(exc) == str(numpy_exc)  # the same words and numbers (inf or nan: no rounding)
    assert len(exc.history) == len(numpy_exc.history) and exc.history.epochs == numpy_exc.history.epochs
    _close(exc.history.loss, numpy_exc.history.loss, 1e-10)  # near the overflow: a few more ulps of growth
    _close(net.params, numpy_net.params, 1e-10)
    assert np.isfinite(net.params).all()
    assert net.epochs_trained_ == numpy_net.epochs_trained_
    assert net.optimizer_.get_state()[0] == numpy_net.optimizer_.get_state()[0]
    state, numpy_state = net.optimizer_.get_state()[1], numpy_net.optimizer_.get_state()[1]
    assert state.keys() == numpy_state.keys()
    for key in state:
        _close(state[key], numpy_state[key], 1e-10)


def test_the_growth_warning_is_given_on_the_compiled_path(spy, xor):
    X, Y = _regression()
    grew = r"the training loss grew from .* in the first 2 epochs"
    with pytest.warns(cr.TrainingWarning, match=grew), pytest.raises(cr.TrainingDiverged):
        _fit("numba", X, Y, sizes=(3, 4, 1), epochs=100, activation="identity", loss="mse", learning_rate=50.0)
    assert spy == [100]


# -- which runs take the compiled loop ----------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 4},
        {"dropout": 0.2},
        {"sample_weight": np.ones(12)},
        {"validation_data": "train"},
        {"early_stopping": 3, "validation_data": "train"},
        {"callbacks": "history"},
        {"progress": True},
        {"verbose": 100},
        {"schedule": "cosine"},
        {"optimizer": "lbfgs", "epochs": 1},
    ],
    ids=lambda o: ",".join(o),
)
def test_runs_that_need_python_every_epoch_stay_on_the_numpy_engine(spy, capsys, options):
    X, Y = _data("mse")
    options = dict(options)
    if options.get("validation_data") == "train":
        options["validation_data"] = (X, Y)
    if options.get("callbacks") == "history":
        options["callbacks"] = [cr.training.callbacks.Callback()]
    pytest.importorskip("scipy") if options.get("optimizer") == "lbfgs" else None
    kernels.set_kernels("numba")
    net = cr.Network([3, 4, 2], activation="tanh", loss="mse", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net.fit(X, Y, **{"epochs": 20, **options})
    assert spy == []
    with warnings.catch_warnings():  # after one L-BFGS iteration, lr 0.1 can make the loss grow (SciPy's step)
        warnings.simplefilter("ignore")
        net.fit(X, Y, epochs=20, batch_size=12)  # a batch of every sample is the full batch
    assert spy == [20]


def test_a_user_optimizer_or_loss_stays_on_the_numpy_engine(spy):
    class MySGD(cr.SGD):
        pass

    X, Y = _data("mse")
    kernels.set_kernels("numba")
    net = cr.Network([3, 4, 2], loss="mse", seed=0)
    net.fit(X, Y, epochs=10, optimizer=MySGD(0.1))
    assert spy == []
    assert "MySGD" in tiny.supported(net, MySGD(0.1))
    assert tiny.supported(net, cr.SGD(0.1, schedule="cosine")) == "a learning-rate schedule is called every epoch"
    assert tiny.supported(net, cr.Adam()) is None


def test_choosing_the_path(monkeypatch):
    net = cr.Network([2, 2, 1], seed=0)
    opt = cr.SGD(0.1)
    big = cr.Network([20, 100, 10], seed=0)
    kernels.set_kernels("auto")
    assert tiny.use_compiled(net, opt, 4, tiny.MIN_EPOCHS)
    assert not tiny.use_compiled(net, opt, 4, tiny.MIN_EPOCHS - 1)  # too short to pay for loading numba
    assert not tiny.use_compiled(big, opt, tiny.MAX_WORK // big.n_parameters + 1, tiny.MIN_EPOCHS)  # too big
    assert tiny.use_compiled(big, opt, tiny.MAX_WORK // big.n_parameters, tiny.MIN_EPOCHS)
    kernels.set_kernels("numba")  # asked for: any size and any number of epochs
    assert tiny.use_compiled(net, opt, 4, 1) and tiny.use_compiled(big, opt, 10**6, 1)
    assert not tiny.use_compiled(net, opt, 4, 0)
    kernels.set_kernels("numpy")
    assert not tiny.use_compiled(net, opt, 4, tiny.MIN_EPOCHS)
    kernels.set_kernels(None)
    monkeypatch.setenv("CHAINRULE_KERNELS", "numpy")
    assert not tiny.use_compiled(net, opt, 4, tiny.MIN_EPOCHS)
    monkeypatch.setenv("CHAINRULE_KERNELS", "auto")
    assert tiny.use_compiled(net, opt, 4, tiny.MIN_EPOCHS)


def test_auto_takes_the_compiled_loop_for_a_long_tiny_run(spy, xor):
    X, Y = xor
    kernels.set_kernels("auto")
    net = cr.Network([2, 2, 1], reduction="sum", seed=0)
    history = net.fit(X, Y, epochs=tiny.MIN_EPOCHS, learning_rate=0.1)
    assert spy == [tiny.MIN_EPOCHS] and len(history) == tiny.MIN_EPOCHS
    net.fit(X, Y, epochs=100, learning_rate=0.1)
    assert spy == [tiny.MIN_EPOCHS]  # a short run stays on NumPy


def test_class_labels_take_the_compiled_loop_as_their_one_hot_rows(spy):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 2))
    labels = rng.integers(0, 3, size=12)
    kernels.set_kernels("numba")
    by_labels = cr.Network([2, 4, 3], activation="tanh", loss="cross_entropy", seed=2)
    h1 = by_labels.fit(X, labels, epochs=300, learning_rate=0.1)
    by_rows = cr.Network([2, 4, 3], activation="tanh", loss="cross_entropy", seed=2)
    h2 = by_rows.fit(X, np.eye(3)[labels], epochs=300, learning_rate=0.1)
    assert spy == [300, 300]  # both runs on the compiled loop
    np.testing.assert_array_equal(by_labels.params, by_rows.params)
    assert h1.loss == h2.loss and h1.accuracy == h2.accuracy


# -- K networks in one call ---------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", [cr.SGD(), cr.SGD(momentum=0.9), cr.Adam()], ids=["sgd", "momentum", "adam"])
def test_k_networks_at_once_are_k_single_fits(optimizer, xor):
    X, Y = xor
    nets = [cr.Network([2, 3, 1], loss="binary_cross_entropy", seed=s) for s in range(6)]
    rates = np.array([0.05, 0.1, 0.2, 0.5, 1.0, 2.0])
    params = np.stack([n.params for n in nets])
    state: dict[str, np.ndarray] = {}
    iterations = np.zeros(6, np.int64)
    config = _config(optimizer)
    result = tiny.train_many(nets[0], params, rates, X, Y, 400, type(optimizer)(**config), state, iterations)
    assert list(result.epochs_done) == [400] * 6 and list(result.status) == [0] * 6
    assert list(iterations) == [400] * 6 and sorted(state) == sorted(optimizer.state_names)
    kernels.set_kernels("numpy")
    for k, (net, lr) in enumerate(zip(nets, rates)):
        history = net.fit(X, Y, epochs=400, optimizer=type(optimizer)(**{**config, "learning_rate": lr}))
        _close(params[k], net.params, 1e-12)
        _close(result.loss[k], history.loss, 1e-12)
        assert list(result.correct[k] / 4) == history.accuracy
        for name in optimizer.state_names:
            _close(state[name][k], net.optimizer_.state[0][name], 1e-12)


def test_one_network_diverging_does_not_stop_the_others():
    X, Y = _regression()
    net = cr.Network([3, 4, 1], activation="identity", loss="mse", seed=0)
    params = np.stack([net.params] * 3)
    start = params.copy()
    result = tiny.train_many(net, params, np.array([0.01, 50.0, 0.02]), X, Y, 500, cr.SGD())
    assert list(result.status) == [0, 1, 0] and tiny.STATUS[result.status[1]] == "loss"
    assert result.epochs_done[0] == result.epochs_done[2] == 500 and 0 < result.epochs_done[1] < 500
    assert not np.isfinite(result.bad_loss[1]) and np.isfinite(params).all()
    kernels.set_kernels("numpy")
    for k, lr in ((0, 0.01), (2, 0.02)):
        single = cr.Network([3, 4, 1], activation="identity", loss="mse", seed=0)
        single.params[...] = start[k]
        single.fit(X, Y, epochs=500, learning_rate=lr)
        _close(params[k], single.params, 1e-12)


def test_train_many_refuses_what_it_cannot_train():
    net = cr.Network([2, 2, 1], seed=0)
    X, Y = net.check_XY([[0.0, 1.0]], [[1.0]])
    with pytest.raises(ValueError, match=r"params must be a \(K, 9\) float64 array .* got shape \(9,\)"):
        tiny.train_many(net, net.params.copy(), np.array([0.1]), X, Y, 1, cr.SGD())
    with pytest.raises(ValueError, match=r"learning_rates must have shape \(2,\)"):
        tiny.train_many(net, np.zeros((2, 9)), np.array([0.1]), X, Y, 1, cr.SGD())
    with pytest.raises(ValueError, match=r"X must be a checked \(n_samples, 2\) float64 array"):
        tiny.train_many(net, np.zeros((1, 9)), np.array([0.1]), X.astype(np.float32), Y, 1, cr.SGD())
    with pytest.raises(ValueError, match="the compiled loop cannot train this: a learning-rate schedule"):
        tiny.train_many(net, np.zeros((1, 9)), np.array([0.1]), X, Y, 1, cr.SGD(schedule="step"))


# -- without numba -----------------------------------------------------------------------------------


def _without_numba(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run code in a fresh Python where ``import numba`` fails, as on a machine without the fast extra."""
    prelude = "import sys; sys.modules['numba'] = None  # makes `import numba` raise ImportError\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )


def test_without_numba_a_qualifying_run_trains_on_numpy():
    done = _without_numba(
        f"""
        import numpy as np
        import chainrule as cr
        from chainrule.training import tiny
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
        net = cr.Network([2, 2, 1], reduction="sum", seed=0)
        print(tiny.use_compiled(net, cr.SGD(0.1), 4, {tiny.MIN_EPOCHS}))
        history = net.fit(X, [[0], [1], [1], [0]], epochs={tiny.MIN_EPOCHS}, learning_rate=0.5)
        print(len(history), history.loss[-1] < 0.01, "numba" in sys.modules and sys.modules["numba"] is not None)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", str(tiny.MIN_EPOCHS), "True", "False"]


def test_without_numba_asking_for_it_names_the_extra():
    done = _without_numba(
        """
        import chainrule as cr
        cr.Network([2, 1], seed=0).fit([[0.0, 1.0]], [[1.0]], epochs=5)
        """,
        {"CHAINRULE_KERNELS": "numba"},
    )
    assert done.returncode == 1
    assert "ImportError: the numba kernels need numba" in done.stderr
    assert "pip install 'chainrule[fast]'" in done.stderr


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_compiled_loop_scales_uint8_inputs_to_the_bits_of_the_scaled_floats(spy, dtype):
    rng = np.random.default_rng(4)
    U = rng.integers(0, 256, (10, 3), dtype=np.uint8)
    labels = rng.integers(0, 2, 10)
    F = np.multiply(U, np.array(1 / 255, dtype))  # the float pixels of load_fashion_mnist
    kernels.set_kernels("numba")
    plain = cr.Network([3, 4, 2], activation="tanh", loss="cross_entropy", seed=3, dtype=dtype)
    scaled = cr.Network([3, 4, 2], activation="tanh", loss="cross_entropy", seed=3, dtype=dtype, input_scale=1 / 255)
    ha = plain.fit(F, labels, epochs=200, optimizer="adam", learning_rate=0.01)
    hb = scaled.fit(U, labels, epochs=200, optimizer="adam", learning_rate=0.01)
    assert spy == [200, 200]  # both on the compiled loop
    np.testing.assert_array_equal(plain.params, scaled.params)
    assert ha.loss == hb.loss and ha.accuracy == hb.accuracy
