"""cr.Ensemble: K networks trained at once on the engine with a model axis equal K separate fits, bit for bit.

Why bit for bit is possible (and so asserted with ==, not a tolerance): a
stack's product is one BLAS product per model, the same call ``np.dot``
makes for one network; the losses are summed per model in the order one
model's array is summed (``np.vecdot`` is ``np.vdot``'s dot per row); the
optimisers' NumPy passes broadcast a (K, 1) column of rates rounded to the
dtype as NumPy rounds one network's Python float; and the mini-batch orders
come from each model's own generator. Every case below is therefore exact.
"""

from __future__ import annotations

import copy
import importlib.util

import numpy as np
import pytest

import chainrule as cr
from chainrule.datasets import xor
from chainrule.training import kernels, tiny

X4, Y4 = xor()
RNG = np.random.default_rng(7)
X12 = RNG.normal(size=(12, 3))
Y12 = (X12[:, :1] * X12[:, 1:2] > 0).astype(float)
LABELS12 = (X12[:, 0] > 0).astype(int) + (X12[:, 1] > 0).astype(int)  # classes 0, 1, 2

OPTIMIZERS = {
    "sgd": lambda lr: cr.SGD(lr),
    "momentum": lambda lr: cr.SGD(lr, momentum=0.9),
    "nesterov": lambda lr: cr.SGD(lr, momentum=0.9, nesterov=True),
    "adam": lambda lr: cr.Adam(lr),
    "adamw": lambda lr: cr.AdamW(lr),
    "rmsprop": lambda lr: cr.RMSProp(lr),
}


def assert_same(ens, history, nets, histories):
    for k, (net, h) in enumerate(zip(nets, histories)):
        np.testing.assert_array_equal(ens.params[k], net.params)
        assert history.loss[k].tolist() == h.loss
        assert history.accuracy[k].tolist() == h.accuracy
        assert history.learning_rate[k].tolist() == h.learning_rate
    assert not history.diverged.any()


def fit_ensemble(ens, X, Y, rates, optimizer, **fit):
    if optimizer in OPTIMIZERS:
        # one optimiser instance with one rate per model
        return ens.fit(X, Y, optimizer=type(OPTIMIZERS[optimizer](1.0))(**_options(optimizer, rates)), **fit)
    return ens.fit(X, Y, learning_rate=rates, optimizer=optimizer, **fit)


def _options(optimizer, rates):
    options = {"learning_rate": list(rates)}
    if optimizer == "momentum":
        options["momentum"] = 0.9
    if optimizer == "nesterov":
        options.update(momentum=0.9, nesterov=True)
    return options


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("batch_size", [None, 5])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_one_model_gives_the_plain_networks_bits(optimizer, batch_size, dtype):
    net = cr.Network([3, 4, 1], seed=3, dtype=dtype)
    ens = cr.Ensemble.from_networks([net])
    history = fit_ensemble(ens, X12, Y12, [0.3], optimizer, epochs=15, batch_size=batch_size)
    h = net.fit(X12, Y12, optimizer=OPTIMIZERS[optimizer](0.3), epochs=15, batch_size=batch_size)
    assert_same(ens, history, [net], [h])


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("batch_size", [None, 5])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_k_models_are_k_separate_fits_with_their_own_rates_and_data_orders(optimizer, batch_size, dtype):
    seeds, rates = [0, 5, 11, 2], [0.05, 0.2, 0.5, 1.0]
    ens = cr.Ensemble([3, 4, 1], seeds=seeds, dtype=dtype)
    history = fit_ensemble(ens, X12, Y12, rates, optimizer, epochs=12, batch_size=batch_size)
    nets, histories = [], []
    for seed, lr in zip(seeds, rates):
        net = cr.Network([3, 4, 1], seed=seed, dtype=dtype)
        histories.append(net.fit(X12, Y12, optimizer=OPTIMIZERS[optimizer](lr), epochs=12, batch_size=batch_size))
        nets.append(net)
    assert_same(ens, history, nets, histories)
    assert len({tuple(p) for p in ens.params}) == 4  # four different models


@pytest.mark.parametrize(
    ("loss", "Y"),
    [("cross_entropy", LABELS12), ("binary_cross_entropy", Y12), ("mse", Y12), ("mae", Y12), ("squared_error", Y12)],
)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_every_loss_measures_each_model_as_its_own_fit(loss, Y, reduction):
    out = 3 if loss == "cross_entropy" else 1
    seeds = [1, 2, 3]
    ens = cr.Ensemble([3, 5, out], seeds=seeds, loss=loss, reduction=reduction, activation="tanh")
    history = ens.fit(X12, Y, epochs=6, learning_rate=[0.1, 0.2, 0.3], batch_size=4, optimizer="adam")
    nets = [cr.Network([3, 5, out], seed=s, loss=loss, reduction=reduction, activation="tanh") for s in seeds]
    histories = [
        n.fit(X12, Y, epochs=6, learning_rate=lr, batch_size=4, optimizer="adam")
        for n, lr in zip(nets, [0.1, 0.2, 0.3])
    ]
    assert_same(ens, history, nets, histories)
    if loss in ("cross_entropy", "binary_cross_entropy"):
        assert history.accuracy.shape == (3, 6)
    else:
        assert history.accuracy.shape == (3, 0)
    np.testing.assert_array_equal(ens.loss(X12, Y), [n.loss(X12, Y) for n in nets])


def test_a_schedule_weight_decay_on_weights_and_no_shuffle_are_the_separate_fits():
    seeds, rates = [4, 8], [0.5, 0.05]
    ens = cr.Ensemble([3, 3, 1], seeds=seeds)
    options = {"schedule": "exponential", "weight_decay": 0.01, "weight_decay_on": "weights"}
    history = ens.fit(X12, Y12, epochs=7, learning_rate=rates, batch_size=5, shuffle=False, **options)
    for k, (seed, lr) in enumerate(zip(seeds, rates)):
        net = cr.Network([3, 3, 1], seed=seed)
        h = net.fit(X12, Y12, epochs=7, learning_rate=lr, batch_size=5, shuffle=False, **options)
        np.testing.assert_array_equal(ens.params[k], net.params)
        assert history[k].loss == h.loss and history[k].learning_rate == h.learning_rate


def test_a_second_fit_continues_and_a_model_taken_out_continues_as_its_own_fit():
    ens = cr.Ensemble([2, 3, 1], seeds=[0, 1, 2])
    ens.fit(X4, Y4, epochs=10, learning_rate=[0.1, 0.5, 1.0], optimizer="adam", batch_size=2)
    ens.fit(X4, Y4, epochs=5, learning_rate=[0.1, 0.5, 1.0], optimizer="adam", batch_size=2)  # continues Adam
    model = ens[1]
    assert isinstance(model, cr.Network) and model.models is None
    model.fit(X4, Y4, epochs=5, learning_rate=0.5, optimizer="adam", batch_size=2)
    alone = cr.Network([2, 3, 1], seed=1)
    alone.fit(X4, Y4, epochs=20, learning_rate=0.5, optimizer="adam", batch_size=2)
    np.testing.assert_array_equal(model.params, alone.params)
    assert model.epochs_trained_ == alone.epochs_trained_ == 20
    np.testing.assert_array_equal(ens.params[1], ens[1].params)  # the copy's fit did not touch the ensemble
    assert not np.array_equal(ens.params[1], model.params)


def test_models_start_as_networks_built_with_their_seeds_and_from_networks_copies():
    ens = cr.Ensemble([2, 4, 1], seeds=range(5), init="normal", reduction="sum")
    for k in range(5):
        np.testing.assert_array_equal(
            ens.params[k], cr.Network([2, 4, 1], seed=k, init="normal", reduction="sum").params
        )
    nets = [cr.Network([2, 2, 1], seed=s) for s in (3, 4)]
    before = [n.params.copy() for n in nets]
    ens = cr.Ensemble.from_networks(nets)
    ens.fit(X4, Y4, epochs=3)
    assert all(np.array_equal(n.params, b) for n, b in zip(nets, before))
    assert ens.seeds == [3, 4] and len(ens) == ens.models == 2 and ens.sizes == [2, 2, 1]
    assert [n.params.tolist() for n in ens.networks] == ens.params.tolist()


def test_predict_gives_every_models_output_for_shared_or_per_model_inputs():
    ens = cr.Ensemble([2, 3, 2], seeds=[0, 1], activation="relu", loss="mse")
    out = ens.predict(X4)
    assert out.shape == (2, 4, 2)
    for k in range(2):
        np.testing.assert_array_equal(out[k], ens[k].predict(X4))
    per_model = np.stack([X4, X4[::-1]])
    out = ens.predict(per_model)
    np.testing.assert_array_equal(out[1], ens[1].predict(X4[::-1]))


def test_a_diverging_model_is_marked_and_the_others_are_their_separate_fits():
    rates = [0.01, 1e4, 0.05]
    ens = cr.Ensemble([3, 8, 1], seeds=[0, 1, 2], activation="relu", loss="mse")
    history = ens.fit(X12, Y12 * 1e3, epochs=30, learning_rate=rates)
    assert history.diverged.tolist() == [False, True, False]
    assert "1 diverged" in repr(history)
    for k in (0, 2):
        net = cr.Network([3, 8, 1], seed=k, activation="relu", loss="mse")
        h = net.fit(X12, Y12 * 1e3, epochs=30, learning_rate=rates[k], warn=False)
        np.testing.assert_array_equal(ens.params[k], net.params)
        assert history[k].loss == h.loss
    with pytest.raises(cr.TrainingDiverged):
        cr.Network([3, 8, 1], seed=1, activation="relu", loss="mse").fit(
            X12, Y12 * 1e3, epochs=30, learning_rate=1e4, warn=False
        )


# -- the engine with a model axis: gradients against independent oracles -------------------


def _stacked_batch():
    nets = [cr.Network([3, 4, 2], seed=s, activation="tanh", loss="mse") for s in range(3)]
    stack = cr.Network.stack(nets)
    X = np.random.default_rng(1).normal(size=(3, 6, 3))  # one batch per model
    Y = np.random.default_rng(2).normal(size=(3, 6, 2))
    return nets, stack, X, Y


def test_stacked_gradients_match_finite_differences():
    _, stack, X, Y = _stacked_batch()
    back = stack.backward(stack.forward(X), Y)
    grads = stack.grads.copy()
    assert back.loss.shape == (3,)
    eps = 1e-6
    for k in range(3):
        for i in range(stack.params.shape[1]):
            old = stack.params[k, i]
            stack.params[k, i] = old + eps
            up = stack.loss_function.value(*_out(stack, X), Y)[k]
            stack.params[k, i] = old - eps
            down = stack.loss_function.value(*_out(stack, X), Y)[k]
            stack.params[k, i] = old
            numeric = (up - down) / (2 * eps) * stack.batch_scale(6)
            assert grads[k, i] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def _out(stack, X):
    fwd = stack.forward(X)
    return fwd.zs[-1], fwd.activations[-1]


def test_stacked_loss_and_gradients_match_torch_autograd():
    torch = pytest.importorskip("torch")
    nets, stack, X, Y = _stacked_batch()
    back = stack.backward(stack.forward(X), Y)
    for k, net in enumerate(nets):
        params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in net.parameters()]
        W0, b0, W1, b1 = params
        a = torch.tanh(torch.tensor(X[k]) @ W0.T + b0) @ W1.T + b1
        loss = torch.nn.functional.mse_loss(a, torch.tensor(Y[k]))
        loss.backward()
        assert back.loss[k] == pytest.approx(loss.item(), rel=1e-13)
        expected = np.concatenate([p.grad.numpy().ravel() for p in params])
        np.testing.assert_allclose(stack.grads[k], expected, rtol=1e-12, atol=1e-15)


def test_a_stack_runs_each_model_as_its_own_network_bit_for_bit():
    nets, stack, X, Y = _stacked_batch()
    fwd = stack.forward(X)
    back = stack.backward(fwd, Y)
    for k, net in enumerate(nets):
        f = net.forward(X[k])
        b = net.backward(f, Y[k])
        for z, zk in zip(fwd.zs, f.zs):
            np.testing.assert_array_equal(z[k], zk)
        np.testing.assert_array_equal(stack.grads[k], net.grads)
        assert back.loss[k] == b.loss


# -- errors at the API --------------------------------------------------------------------------


def test_bad_input_is_refused_naming_the_problem_and_the_fix():
    ens = cr.Ensemble([2, 2, 1], seeds=[0, 1, 2])
    with pytest.raises(ValueError, match=r"learning_rate has 2 rates for an ensemble of 3 models: give one rate"):
        ens.fit(X4, Y4, learning_rate=[0.1, 0.2])
    with pytest.raises(ValueError, match=r"the optimizer's learning_rate has 4 rates"):
        ens.fit(X4, Y4, optimizer=cr.SGD([0.1] * 4))
    with pytest.raises(ValueError, match=r"learning_rate must be finite numbers > 0; learning_rate\[1\] is -0.1"):
        ens.fit(X4, Y4, learning_rate=[0.1, -0.1, 0.2])
    with pytest.raises(ValueError, match="lbfgs' is not taken by an Ensemble"):
        ens.fit(X4, Y4, optimizer="lbfgs")
    with pytest.raises(ValueError, match="set them on the SGD instance"):
        ens.fit(X4, Y4, learning_rate=0.1, optimizer=cr.SGD(0.1))
    with pytest.raises(ValueError, match="X must have 2 columns"):
        ens.fit(X12, Y12)
    with pytest.raises(ValueError, match=r"shape \(K, n_samples, n_inputs\) = \(3, n, 2\)"):
        ens.predict(np.zeros((2, 4, 2)))
    with pytest.raises(IndexError, match="model 3 is out of range for an ensemble of 3 models"):
        ens[3]
    with pytest.raises(TypeError, match="seeds must be one seed per model, such as range"):
        cr.Ensemble([2, 2, 1], seeds=5)
    with pytest.raises(ValueError, match=r"seeds\[1\] is -1"):
        cr.Ensemble([2, 2, 1], seeds=[0, -1])
    with pytest.raises(ValueError, match="at least one model"):
        cr.Ensemble([2, 2, 1], seeds=[])
    with pytest.raises(TypeError, match="takes seeds"):
        cr.Ensemble([2, 2, 1], seeds=[0], seed=1)
    with pytest.raises(ValueError, match=r"networks\[1\] has sizes \[2, 3, 1\], networks\[0\] \[2, 2, 1\]"):
        cr.Ensemble.from_networks([cr.Network([2, 2, 1]), cr.Network([2, 3, 1])])
    with pytest.raises(ValueError, match=r"networks\[1\] has dtype 'float32'"):
        cr.Ensemble.from_networks([cr.Network([2, 2, 1]), cr.Network([2, 2, 1], dtype="float32")])
    with pytest.raises(ValueError, match=r"networks\[1\] has activations"):
        cr.Ensemble.from_networks([cr.Network([2, 2, 1]), cr.Network([2, 2, 1], activation="tanh")])
    with pytest.raises(TypeError, match="non-empty list of Networks"):
        cr.Ensemble.from_networks(cr.Network([2, 2, 1]))
    with pytest.raises(TypeError, match=r"networks\[0\] is a str"):
        cr.Network.stack(["net"])
    with pytest.raises(ValueError, match="already a stack of 3 models"):
        cr.Network.stack([ens.stack])
    for method, args in (("fit", (X4, Y4)), ("save", ("x.npz",)), ("explain", (X4, Y4))):
        with pytest.raises(TypeError, match=f"{method} is for one network; this is a stack of 3 .*chainrule.Ensemble"):
            getattr(ens.stack, method)(*args)
    copy.deepcopy(ens).fit(X4, Y4)  # a copy is a whole ensemble


# -- the compiled loop (numba): an Ensemble takes it under the rule each model's own fit takes it -------------

needs_numba = pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba (the fast extra) absent")


@pytest.fixture
def calls(monkeypatch):
    """The number of networks in each compiled call (the real loop runs: this only counts)."""
    seen: list[int] = []
    real = tiny.train_many

    def counting(net, params, *args, **kwargs):
        seen.append(params.shape[0])
        return real(net, params, *args, **kwargs)

    monkeypatch.setattr(tiny, "train_many", counting)
    yield seen
    kernels.set_kernels(None)


def _separate_fits(seeds, rates, optimizer, X, Y, epochs, fits=1, **build):
    nets, histories = [], []
    for seed, lr in zip(seeds, rates):
        net = cr.Network([3, 4, 1], seed=seed, **build)
        opt = OPTIMIZERS[optimizer](lr)
        for _ in range(fits):
            histories.append(net.fit(X, Y, optimizer=opt, epochs=epochs))
        nets.append(net)
    return nets, histories[fits - 1 :: fits]


def _assert_same_state(ens, nets):
    for k, net in enumerate(nets):
        counters, arrays = ens[k].optimizer_.get_state()
        counters_alone, arrays_alone = net.optimizer_.get_state()
        assert counters == counters_alone
        assert arrays.keys() == arrays_alone.keys()
        for name in arrays:
            np.testing.assert_array_equal(arrays[name], arrays_alone[name], strict=True)


@needs_numba
@pytest.mark.parametrize("path", ["numba", "numpy"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_on_either_path_k_models_are_k_separate_fits(calls, path, optimizer, dtype):
    kernels.set_kernels(path)
    seeds, rates = [0, 5, 11, 2, 7], [0.05, 0.2, 0.5, 1.0, 0.1]
    ens = cr.Ensemble([3, 4, 1], seeds=seeds, dtype=dtype)
    history = fit_ensemble(ens, X12, Y12, rates, optimizer, epochs=40)
    taken = list(calls)
    nets, histories = _separate_fits(seeds, rates, optimizer, X12, Y12, 40, dtype=dtype)
    assert taken == ([5] if path == "numba" else [])  # the ensemble's one call of five models
    assert calls == ([5] + [1] * 5 if path == "numba" else [])  # and the separate fits took the loop too
    assert_same(ens, history, nets, histories)
    _assert_same_state(ens, nets)
    assert ens.epochs_trained_ == 40 and ens[3].epochs_trained_ == nets[3].epochs_trained_


@needs_numba
@pytest.mark.parametrize("optimizer", ["momentum", "adam", "rmsprop"])
def test_a_second_compiled_fit_continues_the_first(calls, optimizer):
    kernels.set_kernels("numba")
    seeds, rates = [1, 2, 3], [0.1, 0.3, 0.05]
    ens = cr.Ensemble([3, 4, 1], seeds=seeds)
    opt = type(OPTIMIZERS[optimizer](1.0))(**_options(optimizer, rates))
    ens.fit(X12, Y12, optimizer=opt, epochs=25)
    kernels.set_kernels("numpy")  # the second on the NumPy engine
    ens.fit(X12, Y12, optimizer=opt, epochs=10)
    kernels.set_kernels("numba")
    history = ens.fit(X12, Y12, optimizer=opt, epochs=15)
    nets = []
    for seed, lr in zip(seeds, rates):
        net, single = cr.Network([3, 4, 1], seed=seed), OPTIMIZERS[optimizer](lr)
        for path, epochs in (("numba", 25), ("numpy", 10), ("numba", 15)):
            kernels.set_kernels(path)
            h = net.fit(X12, Y12, optimizer=single, epochs=epochs)
        nets.append((net, h))
    assert_same(ens, history, [n for n, _ in nets], [h for _, h in nets])
    _assert_same_state(ens, [n for n, _ in nets])
    assert calls.count(3) == 2


@needs_numba
def test_class_labels_on_the_compiled_loop():
    kernels.set_kernels("numba")
    try:
        ens = cr.Ensemble([3, 5, 3], seeds=[1, 2], loss="cross_entropy", activation="tanh")
        history = ens.fit(X12, LABELS12, epochs=30, learning_rate=[0.1, 0.3], optimizer="adam")
        for k, (seed, lr) in enumerate(zip([1, 2], [0.1, 0.3])):
            net = cr.Network([3, 5, 3], seed=seed, loss="cross_entropy", activation="tanh")
            h = net.fit(X12, LABELS12, epochs=30, learning_rate=lr, optimizer="adam")
            np.testing.assert_array_equal(ens.params[k], net.params)
            assert history[k].loss == h.loss and history[k].accuracy == h.accuracy
    finally:
        kernels.set_kernels(None)


@needs_numba
@pytest.mark.parametrize("epochs, compiled", [(30, True), (29, False)])
@pytest.mark.parametrize("samples, fits", [(12, True), (13, False)])
def test_auto_takes_the_compiled_loop_exactly_where_each_models_fit_does(
    calls, monkeypatch, epochs, compiled, samples, fits
):
    # The thresholds moved to this test's size (the rule is the one function both paths ask): 30 epochs
    # and 12 samples × 21 parameters are in, one epoch fewer or one sample more is out.
    kernels.set_kernels("auto")
    monkeypatch.setattr(tiny, "MIN_EPOCHS", 30)
    monkeypatch.setattr(tiny, "MAX_WORK", 12 * 21)
    X, Y = np.vstack([X12, X12[:1]])[:samples], np.vstack([Y12, Y12[:1]])[:samples]
    seeds, rates = [0, 1, 2, 3], [0.1, 0.2, 0.3, 0.4]
    ens = cr.Ensemble([3, 4, 1], seeds=seeds)
    assert ens.stack.params.shape[1] == 21
    history = fit_ensemble(ens, X, Y, rates, "adam", epochs=epochs)
    nets, histories = _separate_fits(seeds, rates, "adam", X, Y, epochs)
    expected = compiled and fits
    assert calls == ([4] + [1] * 4 if expected else [])
    assert_same(ens, history, nets, histories)
    _assert_same_state(ens, nets)


@needs_numba
@pytest.mark.parametrize("call_work", [None, 12 * 41 * 3 * 2])  # one call, or calls of 2 epochs of 3 models
def test_a_model_that_diverges_on_the_compiled_loop_stops_with_its_own_fits_restored_weights(
    calls, monkeypatch, call_work
):
    kernels.set_kernels("numba")
    if call_work is not None:
        monkeypatch.setattr(tiny, "CALL_WORK", call_work)
    rates = [0.01, 1e4, 0.05]
    ens = cr.Ensemble([3, 8, 1], seeds=[0, 1, 2], activation="relu", loss="mse")
    history = ens.fit(X12, Y12 * 1e3, epochs=30, learning_rate=rates)
    assert history.diverged.tolist() == [False, True, False]
    for k in (0, 2):
        net = cr.Network([3, 8, 1], seed=k, activation="relu", loss="mse")
        h = net.fit(X12, Y12 * 1e3, epochs=30, learning_rate=rates[k], warn=False)
        np.testing.assert_array_equal(ens.params[k], net.params)
        assert history[k].loss == h.loss
    alone = cr.Network([3, 8, 1], seed=1, activation="relu", loss="mse")
    with pytest.raises(cr.TrainingDiverged) as info:
        alone.fit(X12, Y12 * 1e3, epochs=30, learning_rate=1e4, warn=False)
    np.testing.assert_array_equal(ens.params[1], alone.params)  # the weights its own fit restores
    exc = info.value
    failed = exc.epoch  # the losses its fit saw, and that of the failing epoch (finite here: its gradient was not)
    assert history.loss[1, :failed].tolist() == exc.history.loss[:failed]
    np.testing.assert_array_equal(history.loss[1, failed], exc.loss)
    assert np.isnan(history.loss[1, failed + 1 :]).all()  # and none after: it stopped
    if call_work is not None:
        assert calls[:3] == [3, 3, 2]  # it diverged in the second call (epoch 3), and left the later ones


@pytest.mark.parametrize("path", ["numba", "numpy"])
@pytest.mark.parametrize("batch_size", [None, 5])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_uint8_inputs_with_input_scale_give_the_bits_of_the_scaled_floats(calls, path, batch_size, dtype):
    if path == "numba" and importlib.util.find_spec("numba") is None:
        pytest.skip("numba (the fast extra) absent")
    kernels.set_kernels(path)
    U = np.random.default_rng(3).integers(0, 256, (12, 3), dtype=np.uint8)
    F = np.multiply(U, np.array(1 / 255, dtype))
    build = {"seeds": [0, 5, 11], "activation": "tanh", "loss": "cross_entropy", "sizes": [3, 4, 3], "dtype": dtype}
    plain, scaled = cr.Ensemble(**build), cr.Ensemble(**build, input_scale=1 / 255)
    options = {"epochs": 30, "batch_size": batch_size, "optimizer": "adam", "learning_rate": 0.01}
    ha, hb = plain.fit(F, LABELS12, **options), scaled.fit(U, LABELS12, **options)
    assert len(calls) == (2 if path == "numba" and batch_size is None else 0)  # the compiled loop, both times
    np.testing.assert_array_equal(plain.params, scaled.params)
    np.testing.assert_array_equal(ha.loss, hb.loss)
    np.testing.assert_array_equal(plain.predict(F), scaled.predict(U))
    np.testing.assert_array_equal(plain.loss(F, LABELS12), scaled.loss(U, LABELS12))
    per_model = np.stack([U, U[::-1], U])  # one uint8 set per model
    np.testing.assert_array_equal(scaled.predict(per_model), plain.predict(np.stack([F, F[::-1], F])))
    model = scaled[1]
    assert model.input_scale == 1 / 255 and "input_scale=0.00392156862745098" in repr(scaled)
    np.testing.assert_array_equal(model.predict(U), plain[1].predict(F))
