"""The wide loop of training/tiny.py (the model axis innermost, in SIMD lanes): each network's bits are the
scalar loop's, over the activation × loss grid, every optimiser rule, float32 and float64, with and without
bias, with networks diverging at different epochs among healthy ones, for K not a multiple of the SIMD width.

Everything here is compared with == (np.testing.assert_array_equal, NaN equal to NaN): the two loops do the
same operations in the same order for each network, so any difference is a bug. The loops' exponential
(training/tiny.py's _exp64) is checked against NumPy's.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.training import tiny

numba = pytest.importorskip("numba", reason="numba (the fast extra) not installed: no compiled loops to compare")

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
LOSSES = ["half_squared_error", "squared_error", "mse", "mae", "binary_cross_entropy", "cross_entropy", "poisson"]
OUTPUTS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "exp", "softmax"]


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


def _starts(net, K, seed=0, spread=1.0):
    """K parameter rows around the network's own (different networks: lanes that do not agree by chance)."""
    rng = np.random.default_rng(seed)
    return np.ascontiguousarray(net.params + spread * rng.standard_normal((K, net.n_parameters)), dtype=net.dtype)


def _both(monkeypatch, net, params, rates, X, Y, epochs, optimizer, state=None, iterations=None, check_last=True):
    """train_many on the scalar loop and on the wide loop, from copies of the same inputs: both results."""
    X, Y = net.check_XY(X, Y)
    runs = []
    for min_wide in (10**9, 1):  # the scalar loop, then the wide loop, whatever K
        monkeypatch.setattr(tiny, "MIN_WIDE", min_wide)
        p = params.copy()
        s = None if state is None else {name: a.copy() for name, a in state.items()}
        it = None if iterations is None else iterations.copy()
        s_out = {} if s is None else s
        it_out = np.zeros(len(p), np.int64) if it is None else it
        result = tiny.train_many(net, p, np.asarray(rates, float), X, Y, epochs, optimizer, s_out, it_out, check_last)
        runs.append((p, s_out, it_out, result))
    return runs


def _assert_same(runs):
    (p_a, s_a, it_a, r_a), (p_b, s_b, it_b, r_b) = runs
    np.testing.assert_array_equal(p_b, p_a, strict=True)
    assert s_a.keys() == s_b.keys()
    for name in s_a:
        np.testing.assert_array_equal(s_b[name], s_a[name], strict=True)
    np.testing.assert_array_equal(it_b, it_a, strict=True)
    for field in ("epochs_done", "status", "bad_loss"):
        np.testing.assert_array_equal(getattr(r_b, field), getattr(r_a, field), strict=True)
    for k, done in enumerate(r_a.epochs_done):  # the epochs a network completed (the rest is not written)
        np.testing.assert_array_equal(r_b.loss[k, :done], r_a.loss[k, :done], strict=True)
        np.testing.assert_array_equal(r_b.correct[k, :done], r_a.correct[k, :done], strict=True)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", HIDDEN)
def test_the_grid_gives_the_scalar_loops_bits(monkeypatch, activation, loss, bias):
    X, Y = _data(loss)
    net = cr.Network([3, 4, 3, 2], activation=activation, loss=loss, bias=bias, seed=3)
    params = _starts(net, 17, spread=0.3)
    rates = np.linspace(0.01, 0.1, 17)
    runs = _both(monkeypatch, net, params, rates, X, Y, 60, cr.SGD())
    _assert_same(runs)
    result = runs[1][3]
    healthy = result.status == 0
    assert healthy.mean() > 0.5 and (result.loss[healthy, -1] < result.loss[healthy, 0]).mean() > 0.5  # they learnt
    assert not np.array_equal(runs[1][0], params)


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("loss", ["half_squared_error", "squared_error", "mse", "mae"])
def test_every_output_activation_under_the_unfused_losses(monkeypatch, output, loss):
    X, Y = _data(loss, n_out=3)
    Y = np.abs(Y) / 3 if output in ("sigmoid", "softmax", "exp") else Y
    net = cr.Network([3, 5, 3], activation="tanh", output_activation=output, loss=loss, seed=1)
    _assert_same(_both(monkeypatch, net, _starts(net, 3, spread=0.2), [0.05, 0.02, 0.08], X, Y, 80, cr.SGD()))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", HIDDEN)
def test_float32(monkeypatch, activation, loss, bias):
    X, Y = _data(loss, dtype="float32")
    net = cr.Network([3, 4, 2], activation=activation, loss=loss, bias=bias, dtype="float32", seed=2)
    params = _starts(net, 5, spread=0.3)
    _assert_same(_both(monkeypatch, net, params, [0.01, 0.03, 0.05, 0.02, 0.04], X, Y, 40, cr.SGD()))


OPTIMIZERS = [
    ("sgd", lambda: cr.SGD(0.05)),
    ("momentum", lambda: cr.SGD(0.05, momentum=0.9)),
    ("nesterov", lambda: cr.SGD(0.05, momentum=0.8, nesterov=True)),
    ("sgd decay", lambda: cr.SGD(0.05, weight_decay=0.01)),
    ("sgd decay weights", lambda: cr.SGD(0.05, weight_decay=0.05, weight_decay_on="weights")),
    ("momentum decay weights", lambda: cr.SGD(0.05, momentum=0.5, weight_decay=0.1, weight_decay_on="weights")),
    ("adam", lambda: cr.Adam(0.01)),
    ("adam decay", lambda: cr.Adam(0.01, weight_decay=0.01)),
    ("adamw", lambda: cr.AdamW(0.01, weight_decay_on="weights")),
    ("rmsprop", lambda: cr.RMSProp(0.003, weight_decay=0.001)),
    ("rmsprop decay weights", lambda: cr.RMSProp(0.003, weight_decay=0.01, weight_decay_on="weights")),
]


@pytest.mark.parametrize("K", [1, 3, 17, 100])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, make", OPTIMIZERS, ids=[name for name, _ in OPTIMIZERS])
def test_every_optimiser_rule_and_its_state(monkeypatch, name, make, dtype, K):
    X, Y = _data("mse", dtype=dtype)
    net = cr.Network([3, 4, 2], activation="tanh", loss="mse", dtype=dtype, seed=4)
    rates = np.geomspace(0.002, 0.05, K)
    runs = _both(monkeypatch, net, _starts(net, K, spread=0.5), rates, X, Y, 50, make())
    _assert_same(runs)
    if make().state_names:
        assert sorted(runs[1][1]) == sorted(make().state_names)
        assert all(np.abs(a).max() > 0 for a in runs[1][1].values())  # state there was, and it was compared


@pytest.mark.parametrize("name, make", OPTIMIZERS[1:3] + OPTIMIZERS[6:], ids=lambda v: v if isinstance(v, str) else "")
def test_state_and_step_counts_given_per_network_continue_as_on_the_scalar_loop(monkeypatch, name, make):
    # Earlier state (a momentum buffer: not the first step), each network at its own step count (Adam's
    # bias correction per lane; equal neighbours share their constants).
    X, Y = _data("mse")
    net = cr.Network([3, 4, 2], activation="tanh", loss="mse", seed=4)
    K = 11
    rng = np.random.default_rng(1)
    state = {n: np.abs(rng.standard_normal((K, net.n_parameters))) * 0.01 for n in make().state_names}
    iterations = np.array([0, 0, 5, 5, 5, 1, 30, 30, 2, 0, 7], np.int64)
    rates = np.array([0.01] * 4 + [0.02] * 7)
    runs = _both(monkeypatch, net, _starts(net, K, spread=0.5), rates, X, Y, 30, make(), state, iterations)
    _assert_same(runs)
    np.testing.assert_array_equal(runs[1][2], iterations + 30)


def test_a_wide_network_is_the_single_network_the_fit_loop_trains(monkeypatch):
    # Row k of the wide loop's K networks is what _train_loop gives network k alone (K = 1).
    X, Y = _data("binary_cross_entropy", n_out=1)
    net = cr.Network([3, 6, 1], activation="relu", loss="binary_cross_entropy", seed=0)
    params = _starts(net, 19, spread=0.4)
    rates = np.linspace(0.05, 0.5, 19)
    monkeypatch.setattr(tiny, "MIN_WIDE", 1)
    wide = params.copy()
    result = tiny.train_many(net, wide, rates, *net.check_XY(X, Y), 200, cr.Adam())
    monkeypatch.setattr(tiny, "MIN_WIDE", 10**9)
    for k in (0, 7, 18):
        alone = params[k : k + 1].copy()
        single = tiny.train_many(net, alone, rates[k : k + 1], *net.check_XY(X, Y), 200, cr.Adam())
        np.testing.assert_array_equal(wide[k], alone[0], strict=True)
        np.testing.assert_array_equal(result.loss[k], single.loss[0], strict=True)
        np.testing.assert_array_equal(result.correct[k], single.correct[0], strict=True)


# -- networks that diverge among healthy ones: statuses, epochs, restored values as on the scalar loop --------


def _regression(n=32, dtype="float64"):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((n, 3))
    return X.astype(dtype), (X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1).astype(dtype)


@pytest.mark.parametrize("K", [3, 17, 100])
@pytest.mark.parametrize(
    "make", [lambda: cr.SGD(), lambda: cr.SGD(momentum=0.9), lambda: cr.Adam(), lambda: cr.RMSProp()],
    ids=["sgd", "momentum", "adam", "rmsprop"],
)  # fmt: skip
def test_networks_that_diverge_at_different_epochs_stop_and_the_others_go_on(monkeypatch, make, K):
    # Rates from safe to overflowing: some networks train, some see an infinite loss after a growth of a
    # few epochs or many (status 1), some an update that overflows (status 2), each at its own epoch.
    X, Y = _regression()
    net = cr.Network([3, 8, 1], activation="relu", loss="mse", seed=0)
    rates = np.geomspace(1e-3, 1e300, K)
    rates[::4] = 1e-3  # healthy ones among them
    runs = _both(monkeypatch, net, _starts(net, K, spread=0.2), rates, X, Y, 300, make())
    _assert_same(runs)
    result = runs[1][3]
    assert (result.status[::4] == 0).all() and (result.epochs_done[::4] == 300).all()
    if K >= 17:
        assert len(set(result.status.tolist())) >= 2
        if isinstance(make(), cr.SGD):  # a step in proportion to the rate: growths of different lengths
            assert {0, 1} <= set(result.status.tolist()) and len(set(result.epochs_done.tolist())) >= 3
    assert np.isfinite(runs[1][0]).all()  # every network holds the values of its last good epoch


@pytest.mark.parametrize("K", [2, 17])
def test_the_last_step_check_and_an_update_overflow_in_one_call(monkeypatch, K):
    # One epoch, float32: rate 3e38 overflows the update (status 2: the weights before it come back),
    # 1e37 gives finite weights whose loss is infinite (status 3), 1e-3 is fine.
    X, Y = _regression(dtype="float32")
    net = cr.Network([3, 8, 1], activation="relu", loss="mse", dtype="float32", seed=0)
    rates = np.resize([1e-3, 3e38, 1e37], K)
    params = _starts(net, K, spread=0.0)
    for check_last in (True, False):
        runs = _both(monkeypatch, net, params, rates, X, Y, 1, cr.SGD(), check_last=check_last)
        _assert_same(runs)
        status = runs[1][3].status
        assert set(status.tolist()) == ({0, 2, 3} if check_last and K > 2 else {0, 2} if K > 1 else {0})
        np.testing.assert_array_equal(runs[1][0][status >= 2], params[status >= 2])  # restored


def test_an_adam_state_overflow_restores_the_state_of_that_network_only(monkeypatch):
    # λ = 1e30 in float32: λ·p overflows the second moment once |p| is above 1e-11 or so: networks 1
    # and 5 (ordinary weights) at once, the others (weights of 1e-20) once their first step has grown them.
    X, Y = _regression(dtype="float32")
    net = cr.Network([3, 8, 1], activation="relu", loss="mse", dtype="float32", seed=0)
    params = _starts(net, 9, spread=0.1)
    params[[0, 2, 3, 4, 6, 7, 8]] *= np.float32(1e-20)
    runs = _both(monkeypatch, net, params, np.full(9, 1e-3), X, Y, 20, cr.Adam(weight_decay=1e30))
    _assert_same(runs)
    result = runs[1][3]
    assert result.status[1] == result.status[5] == 2 and result.epochs_done[1] == result.epochs_done[5] == 0
    assert (result.epochs_done[[0, 2, 3, 4, 6, 7, 8]] >= 1).all()
    assert np.isfinite(runs[1][1]["m"]).all() and np.isfinite(runs[1][1]["v"]).all()


# -- the loops' exponential -------------------------------------------------------------------------------


@numba.njit
def _exp_all(x, out):
    for i in range(x.shape[0]):
        out[i] = tiny._exp(x[i])


def test_the_exponential_of_the_loops_is_numpys_within_3_ulp():
    tiny._compiled()  # the loops' _exp: the arithmetic _exp64 for a float64
    rng = np.random.default_rng(0)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 709.78, 709.79, 710.0, -745.13, -745.14, -708.4, -740.0, 1e-300]
    x = np.concatenate([rng.uniform(-750, 712, 200_000), rng.uniform(-1, 1, 100_000), special, -np.array(special)])
    out = np.empty_like(x)
    _exp_all(x, out)
    with np.errstate(over="ignore"):
        ref = np.exp(x)
    normal = (ref >= np.finfo(np.float64).tiny) & np.isfinite(ref)
    assert np.abs(out[normal].view(np.int64) - ref[normal].view(np.int64)).max() <= 3
    assert (np.abs(out[normal] - ref[normal]) / ref[normal]).max() <= 7e-16  # 3 ulp of 1: far within 1e-12
    subnormal = (ref > 0) & (ref < np.finfo(np.float64).tiny)
    assert subnormal.any() and np.abs(out[subnormal] - ref[subnormal]).max() <= 5e-324
    np.testing.assert_array_equal(out[~(ref > 0) | ~np.isfinite(ref)], ref[~(ref > 0) | ~np.isfinite(ref)])


@pytest.mark.parametrize("K", [1, 9])
@pytest.mark.parametrize("start", [14, 15])  # the step made is 15 (no flush) or 16 (a flush step)
def test_adam_flushes_subnormal_first_moments_on_the_steps_the_numpy_path_does(monkeypatch, K, start):
    # Input 0 is 0 in every row: the weights it feeds get a zero gradient, so their m only decays (m ← β1·m).
    net = cr.Network([2, 3, 1], activation="tanh", loss="half_squared_error", seed=3, dtype="float32")
    X, Y = _data("half_squared_error", n_in=2, n_out=1, dtype="float32")
    X[:, 0] = 0.0
    tiny_m = np.float32(3e-39)  # subnormal in float32
    assert 0 < tiny_m < np.finfo(np.float32).tiny
    idle = np.zeros(net.n_parameters, bool)
    idle[: net.sizes[1] * net.sizes[0]].reshape(net.sizes[1], net.sizes[0])[:, 0] = True  # W1[:, 0]
    state = {"m": np.full((K, net.n_parameters), tiny_m), "v": np.full((K, net.n_parameters), np.float32(1e-6))}
    params = np.ascontiguousarray(np.tile(net.params, (K, 1)))
    runs = _both(monkeypatch, net, params, np.full(K, 1e-3), X, Y, 1, cr.Adam(), state, np.full(K, start, np.int64))
    _assert_same(runs)
    m = runs[0][1]["m"]
    flushed = start + 1 == 16
    # The NumPy engine's Adam from the same state: the same zeros where it flushes, β1·m where it does not.
    monkeypatch.setenv("CHAINRULE_KERNELS", "numpy")
    opt = cr.Adam(learning_rate=1e-3)
    opt.state = [{"m": state["m"][0].copy(), "v": state["v"][0].copy(), "_scratch": np.empty_like(net.params)}]
    opt.iterations = start
    net.fit(X, Y, epochs=1, optimizer=opt)
    expected = np.float32(0.0) if flushed else np.float32(0.9) * tiny_m
    assert (opt.state[0]["m"][idle] == expected).all()
    assert (m[:, idle] == expected).all()
    assert (m[:, ~idle] != 0).all()
