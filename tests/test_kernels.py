"""The update kernels: NumPy and numba give the same bits, so does any number of threads;
the finite flag; choosing the path; the fallback when numba is absent.

(Equality with ``torch.optim`` on both paths: tests/test_optimizers.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from chainrule.training import kernels

numba = pytest.importorskip("numba", reason="numba (the fast extra) not installed: nothing to compare with")


@pytest.fixture(autouse=True)
def _restore(monkeypatch):
    # Small chunks, so that short vectors are split as long ones are (the thresholds are tuned for speed).
    monkeypatch.setattr(kernels, "MIN_CHUNK", 4096)
    monkeypatch.setattr(kernels, "MIN_CHUNK_COMPILED", 8192)
    yield
    kernels.set_kernels(None)
    kernels.set_threads(None)


# (rule, options): every branch of each rule; weight decay is added by the test.
RULES = [
    ("sgd", {}),
    ("sgd", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.7, "nesterov": True}),
    ("adam", {}),
    ("adam", {"decoupled": True}),
    ("rmsprop", {}),
]


def _steps(rule, options, p, state, mask, weight_decay, n_steps=4):
    """n_steps updates of p and its state (in place) from a gradient that depends on p; the flags."""
    tmp = np.empty_like(p)
    flags = []
    for t in range(1, n_steps + 1):
        g = (np.sin(3 * p) + 0.3 * p - 0.1).astype(p.dtype)
        decay = {"weight_decay": weight_decay, "mask": mask}
        if rule == "sgd":
            flags.append(kernels.sgd(p, g, state[0], tmp, lr=0.05, first=t == 1, **options, **decay))
        elif rule == "adam":
            root_c2 = (1 - 0.99**t) ** 0.5
            flags.append(
                kernels.adam(
                    p, g, *state, tmp, lr=0.01, beta1=0.8, beta2=0.99, eps=0.1 * root_c2,
                    scale=-0.01 * root_c2 / (1 - 0.8**t), **options, **decay,
                )
            )  # fmt: skip
        else:
            flags.append(kernels.rmsprop(p, g, state[1], tmp, lr=0.01, rho=0.9, eps=1e-3, **decay))
    return flags


def _run(path, rule, options, dtype, n, decay, threads=1):
    kernels.set_kernels(path)
    kernels.set_threads(threads)
    rng = np.random.default_rng(7)
    p = rng.normal(size=n).astype(dtype)
    state = [rng.normal(size=n).astype(dtype), np.abs(rng.normal(size=n)).astype(dtype)]
    mask = (rng.random(n) < 0.8).astype(dtype) if decay == "mask" else None
    flags = _steps(rule, options, p, state, mask, 0.0 if decay == "none" else 0.05)
    return p, state, flags


@pytest.mark.parametrize("rule, options", RULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("decay", ["none", "all", "mask"])
def test_numba_gives_the_numpy_bits(rule, options, dtype, decay):
    # Same IEEE operations in the same order on the same dtype: bit for bit, not merely close.
    n = kernels.SMALL + 101
    p0, s0, f0 = _run("numpy", rule, options, dtype, n, decay)
    p1, s1, f1 = _run("numba", rule, options, dtype, n, decay)
    assert kernels.kernels_in_use(n) == "numba"
    np.testing.assert_array_equal(p1, p0, strict=True)
    for a, b in zip(s1, s0):
        np.testing.assert_array_equal(a, b, strict=True)
    assert f0 == f1 == [True] * 4


@pytest.mark.parametrize("rule, options", RULES)
@pytest.mark.parametrize("path", ["numpy", "numba"])
def test_threads_do_not_change_the_bits(rule, options, path):
    n = 4 * (kernels.MIN_CHUNK if path == "numpy" else kernels.MIN_CHUNK_COMPILED) + 37
    one = _run(path, rule, options, np.float32, n, "mask", threads=1)
    kernels.set_threads(4)
    assert len(kernels.chunks(n, compiled=path == "numba")) == 4
    four = _run(path, rule, options, np.float32, n, "mask", threads=4)
    np.testing.assert_array_equal(four[0], one[0], strict=True)
    for a, b in zip(four[1], one[1]):
        np.testing.assert_array_equal(a, b, strict=True)
    assert four[2] == one[2] == [True] * 4


def test_chunks_cover_the_vector_on_aligned_bounds():
    kernels.set_threads(3)
    n = 5 * kernels.MIN_CHUNK + 11
    bounds = kernels.chunks(n)
    assert len(bounds) == 3
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    assert all(lo % 64 == 0 for lo, _ in bounds)
    assert kernels.chunks(2 * kernels.MIN_CHUNK - 1) == [(0, 2 * kernels.MIN_CHUNK - 1)]  # too short to split
    assert len(kernels.chunks(2 * kernels.MIN_CHUNK_COMPILED - 1, compiled=True)) == 1  # their own threshold
    assert len(kernels.chunks(2 * kernels.MIN_CHUNK_COMPILED, compiled=True)) == 2
    kernels.set_threads(1)
    assert kernels.chunks(n) == [(0, n)]


def _bad_gradient(kind, n, dtype):
    g = np.full(n, 0.25, dtype)
    where = n - 3  # in the last chunk when the update is split
    g[where] = {"nan": np.nan, "inf": np.inf, "huge": np.finfo(dtype).max / 4}[kind]
    return g


@pytest.mark.parametrize("rule, options", RULES)
@pytest.mark.parametrize("path", ["numpy", "numba"])
@pytest.mark.parametrize("kind", ["nan", "inf", "huge"])
def test_the_flag_says_an_update_is_not_finite(rule, options, path, kind):
    # nan, inf: a bad gradient; huge: a finite gradient whose square (Adam's, RMSProp's v) or
    # update overflows. The flag of every chunk counts, and the parameters and state are still updated.
    kernels.set_kernels(path)
    kernels.set_threads(2)
    n = 2 * (kernels.MIN_CHUNK if path == "numpy" else kernels.MIN_CHUNK_COMPILED) + 64
    dtype = np.float32
    p, buf, m, v, tmp = (np.full(n, x, dtype) for x in (1.0, 0.0, 0.0, 0.0, 0.0))
    g = _bad_gradient(kind, n, dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        if rule == "sgd":
            flag = kernels.sgd(p, g, buf, tmp, lr=10.0, first=True, **options)
        elif rule == "adam":
            flag = kernels.adam(p, g, m, v, tmp, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, scale=-0.1, **options)
        else:
            flag = kernels.rmsprop(p, g, v, tmp, lr=0.1, rho=0.9, eps=1e-8)
    finite = np.isfinite(p).all() and np.isfinite(m).all() and np.isfinite(v).all() and np.isfinite(buf).all()
    assert flag is bool(finite)
    if kind != "huge" or rule != "sgd":
        assert flag is False
    p, m, v, g = np.ones(n, dtype), np.zeros(n, dtype), np.zeros(n, dtype), np.full(n, 0.25, dtype)
    assert kernels.adam(p, g, m, v, tmp, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, scale=-0.1) is True


def test_all_finite():
    assert kernels.all_finite(np.array([1.0, -2.0]))
    assert kernels.all_finite(np.zeros(0))
    for bad in (np.nan, np.inf, -np.inf):
        assert not kernels.all_finite(np.array([1.0, bad, 3.0]))
    assert not kernels.all_finite(np.array([[0.0], [np.nan]]), nonnegative=True)


def test_numpy_path_in_threads_keeps_the_callers_error_state():
    # NumPy's error state is per thread: an overflow the caller ignores must not warn from a pool thread.
    kernels.set_kernels("numpy")
    kernels.set_threads(2)
    n = 2 * kernels.MIN_CHUNK + 64
    p, m, v, tmp = np.ones(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32), np.empty(n, np.float32)
    g = np.full(n, 3e30, np.float32)  # g² overflows in every chunk
    with np.errstate(over="ignore", invalid="ignore"):  # g² overflows, then inf − inf
        assert kernels.adam(p, g, m, v, tmp, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, scale=-0.1) is False
    with pytest.warns(RuntimeWarning, match="overflow"), np.errstate(over="warn", invalid="ignore"):
        kernels.adam(p, g, m, v, tmp, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, scale=-0.1)


def test_other_dtypes_take_the_numpy_path():
    kernels.set_kernels("numba")
    p16 = np.ones(8, np.float16)
    g = np.full(8, 0.5, np.float16)
    assert kernels.sgd(p16, g, None, np.empty_like(p16), lr=0.5)
    np.testing.assert_array_equal(p16, np.full(8, 0.75, np.float16))


def test_choosing_the_path():
    kernels.set_kernels("numpy")
    assert kernels.kernels_in_use() == "numpy"
    kernels.set_kernels(" NUMBA ")
    assert kernels.kernels_in_use() == "numba"
    assert kernels.kernels_in_use(10) == "numba"  # asked for: every size
    kernels.set_kernels("auto")
    assert kernels.kernels_in_use() == "numba"  # installed: used
    assert kernels.kernels_in_use(kernels.SMALL - 1) == "numpy"  # but not for a tiny vector
    with pytest.raises(ValueError, match=r"set_kernels must be one of \['auto', 'numpy', 'numba'\]; got 'cuda'"):
        kernels.set_kernels("cuda")
    with pytest.raises(ValueError, match="threads must be an int >= 1 or None; got 0"):
        kernels.set_threads(0)


def test_environment_variables(monkeypatch):
    kernels.set_kernels(None)
    kernels.set_threads(None)
    monkeypatch.setenv("CHAINRULE_KERNELS", "numpy")
    assert kernels.kernels_in_use() == "numpy"
    monkeypatch.setenv("CHAINRULE_KERNELS", "fortran")
    with pytest.raises(ValueError, match="CHAINRULE_KERNELS must be one of"):
        kernels.kernels_in_use()
    monkeypatch.setenv("CHAINRULE_THREADS", "3")
    assert kernels.threads() == 3
    monkeypatch.setenv("CHAINRULE_THREADS", "many")
    with pytest.raises(ValueError, match="CHAINRULE_THREADS must be an int >= 1; got 'many'"):
        kernels.threads()
    monkeypatch.delenv("CHAINRULE_THREADS")
    assert kernels.threads() == len(os.sched_getaffinity(0))


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


def test_without_numba_the_numpy_path_trains():
    done = _without_numba(
        """
        import numpy as np
        import chainrule as cr
        from chainrule.training import kernels
        net = cr.Network([2, 8, 1], activation="tanh", seed=0)
        X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
        history = net.fit(X, [[0], [1], [1], [0]], epochs=50, optimizer="adam", learning_rate=0.05)
        p, g = np.ones(3 * kernels.MIN_CHUNK), np.full(3 * kernels.MIN_CHUNK, 0.5)
        assert kernels.sgd(p, g, None, np.empty_like(p), lr=0.1)
        print(kernels.kernels_in_use(), history.loss[-1] < history.loss[0], p[0])
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["numpy", "True", "0.95"]


def test_without_numba_asking_for_it_names_the_extra():
    done = _without_numba(
        """
        import numpy as np
        import chainrule as cr
        cr.Network([2, 1], seed=0).fit([[0.0, 1.0]], [[1.0]], optimizer="adam")
        """,
        {"CHAINRULE_KERNELS": "numba"},
    )
    assert done.returncode == 1
    assert "ImportError: the numba kernels need numba" in done.stderr
    assert "pip install 'chainrule[fast]'" in done.stderr


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "rmsprop", "sgd"])
def test_a_fit_gives_the_same_bits_on_both_paths(optimizer):
    # float32 mini-batch training, a vector above SMALL (so "auto" compiles), split over two threads.
    import chainrule as cr

    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 128)).astype(np.float32)
    y = rng.integers(0, 10, 300)
    kernels.set_threads(2)
    params, histories = {}, {}
    for path in ("numpy", "auto"):
        kernels.set_kernels(path)
        net = cr.Network([128, 128, 10], activation="relu", loss="cross_entropy", seed=0, dtype="float32")
        assert net.n_parameters > kernels.SMALL and len(kernels.chunks(net.n_parameters, path == "auto")) == 2
        assert kernels.kernels_in_use(net.n_parameters) == ("numpy" if path == "numpy" else "numba")
        history = net.fit(
            X, y, epochs=3, batch_size=32, optimizer=optimizer, learning_rate=0.01, weight_decay_on="weights"
        )
        params[path] = net.params.copy()
        histories[path] = (history.loss, history.accuracy)  # the compiled cross-entropy pass's loss and count
    np.testing.assert_array_equal(params["auto"], params["numpy"], strict=True)
    assert histories["auto"] == histories["numpy"]


def _bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_engine_passes_give_the_engines_numpy_bits(dtype):
    # z + b and max(z, 0) (Dense.forward, ReLU.forward), g·[z > 0] (ReLU.backward), compiled and not:
    # the same bits, the signs of zeros and NaN included.
    import chainrule as cr
    from chainrule.core.activations import ReLU

    rng = np.random.default_rng(0)
    special = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1e-40, -1e-40, -1.0, 2.0], dtype)
    z = rng.normal(size=(37, 19)).astype(dtype)
    z.flat[: special.size] = special
    z.flat[-special.size :] = -special
    g = rng.normal(size=z.shape).astype(dtype)
    g.flat[3 : 3 + special.size] = special
    b = rng.normal(size=z.shape[1]).astype(dtype)
    b[:4] = [0.0, -0.0, np.inf, np.nan]
    kernels.set_kernels("numba")
    passes = kernels.engine_passes(10, dtype)
    assert passes is not None and kernels.engine_passes(10, np.float16) is None
    kernels.set_kernels("numpy")
    assert kernels.engine_passes(10**6, dtype) is None
    with np.errstate(invalid="ignore"):  # inf + (−inf) is NaN
        z_ref = z + b
        a_ref = ReLU().forward(z_ref)
        z1, a1 = z.copy(), np.empty_like(z)
        passes["bias_relu"](z1, b, a1)
    np.testing.assert_array_equal(_bits(z1), _bits(z_ref))
    np.testing.assert_array_equal(_bits(a1), _bits(a_ref))
    assert not np.signbit(a1[a1 == 0]).any()  # max(−0, 0) is +0, as np.maximum's
    with np.errstate(invalid="ignore"):  # inf·0
        d_ref = ReLU().backward(z_ref, a_ref, g)
        d1 = np.empty_like(z)
        passes["relu_backward"](g, z_ref, d1)
    np.testing.assert_array_equal(_bits(d1), _bits(d_ref))
    for rows in (d1, g, g[:1], g[:0]):  # Σ_rows, as Dense.backward's np.add.reduce (−0 + −0 stays −0)
        with np.errstate(invalid="ignore"):  # inf − inf
            s_ref = np.add.reduce(rows, 0)
            s1 = np.full(rows.shape[1], 7.0, dtype)
            passes["column_sum"](rows, s1)
        np.testing.assert_array_equal(_bits(s1), _bits(s_ref))
    rows = (rng.normal(size=(300, 64)) * rng.choice([1e-4, 1.0, 1e4], (300, 64))).astype(dtype)
    s1 = np.empty(64, dtype)
    passes["column_sum"](rows, s1)
    np.testing.assert_array_equal(_bits(s1), _bits(np.add.reduce(rows, 0)))  # rounding in NumPy's order
    # and through the engine: a layer's forward with the passes is its forward without them
    layer = cr.Network([19, 23, 3], activation="relu", seed=1, dtype=np.dtype(dtype).name).layers[0]
    x = rng.normal(size=(37, 19)).astype(dtype)
    outs = [(np.empty((37, 23), dtype), np.empty((37, 23), dtype)) for _ in range(2)]
    layer.forward(x, *outs[0])
    layer.forward(x, *outs[1], passes)
    for plain, compiled in zip(outs[0], outs[1]):
        np.testing.assert_array_equal(_bits(compiled), _bits(plain))
    delta = outs[0][1] - 0.5
    plain = [grad.copy() for grad in layer.backward(delta, x)]
    for grad, compiled in zip(plain, layer.backward(delta, x, passes)):
        np.testing.assert_array_equal(_bits(compiled), _bits(grad))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("integers", [np.uint8, np.int8, np.uint16, np.int16])
def test_the_scale_pass_gives_the_bits_of_scale_inputs(dtype, integers):
    # a₀ = s·x for small integers (uint8 pixels), compiled and by NumPy (Network.scale_inputs): the same
    # bits, over the whole range of the integers, for scales that round, underflow and overflow.
    import chainrule as cr

    info = np.iinfo(integers)
    x = np.arange(info.min, info.max + 1, max(1, (info.max - info.min) // 4000), dtype=np.int64)
    x = np.concatenate([x, [info.min, info.max]]).astype(integers).reshape(-1, 2)
    kernels.set_kernels("numba")
    passes = kernels.engine_passes(10, dtype)
    assert passes is not None
    for s in (1 / 255, 0.3, 1e-30, 3e37 if dtype == np.float32 else 1e305, 7.0):
        net = cr.Network([2, 3, 1], seed=0, dtype=np.dtype(dtype).name, input_scale=s)
        out = np.full(x.shape, 5.0, dtype)
        with np.errstate(over="ignore"):
            assert net.scale_inputs(x, out, passes) is out
            plain = net.scale_inputs(x)
            floats = x.astype(dtype) * dtype(s)
        np.testing.assert_array_equal(_bits(out), _bits(plain))
        np.testing.assert_array_equal(_bits(plain), _bits(floats))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_softmax_pass_gives_the_engines_bits(dtype):
    # z + b then softmax(z) (Dense.forward, Softmax.forward), compiled and as NumPy passes: the same z and a
    # bits, for widths on both sides of NumPy's pairwise-sum blocks (8, 128), with NaN, ±inf, −0, ties,
    # exp's underflow and a bias that is not finite.
    import chainrule as cr
    from chainrule.core.activations import Softmax

    rng = np.random.default_rng(11)
    kernels.set_kernels("numba")
    passes = kernels.engine_passes(10, dtype)
    assert passes is not None
    cases = []
    for n, k in ((1, 1), (7, 1), (5, 2), (9, 7), (9, 8), (9, 9), (37, 10), (128, 10), (6, 127), (6, 129), (3, 1000)):
        z = (rng.normal(size=(n, k)) * rng.choice([0.1, 3.0, 60.0], (n, 1))).astype(dtype)
        cases.append((z, rng.normal(size=k).astype(dtype)))
    z = rng.normal(size=(8, 10)).astype(dtype)
    z[0, 3] = np.nan  # a NaN row
    z[1, :] = 2.0  # all tied
    z[2, 7] = np.inf  # an infinite logit
    z[3, :] = -np.inf  # every logit −inf
    z[4, 2] = -0.0
    z[5, :] = [0.0, -0.0] * 5  # a largest z of either sign
    z[6, 1] = -200.0  # e^(z − max z) underflows to 0 (and a subnormal on the way in float32)
    b = rng.normal(size=10).astype(dtype)
    cases.append((z, b))
    b2 = b.copy()
    b2[[0, 4]] = [np.inf, np.nan]  # a column that is ±inf or NaN in every row
    cases.append((z, b2))
    for z, b in cases:
        with np.errstate(invalid="ignore", over="ignore", under="ignore", divide="ignore"):
            z_ref = z + b
            a_ref = Softmax().forward(z_ref.copy())
            for rules in (None, "compiled"):
                z1, a1 = z.copy(), np.full_like(z, 7.0)
                if rules is None:
                    kernels.bias_softmax(z1, b, a1, np.full(z.shape[0], 9.0, dtype))
                else:
                    passes["bias_softmax"](z1, b, a1)
                np.testing.assert_array_equal(_bits(z1), _bits(z_ref))
                np.testing.assert_array_equal(_bits(a1), _bits(a_ref))
    # and through the engine: an output layer's forward with the passes is its forward without them
    layer = cr.Network([19, 10], output_activation="softmax", seed=1, dtype=np.dtype(dtype).name).layers[0]
    assert layer.activation.name == "softmax"
    x = rng.normal(size=(37, 19)).astype(dtype)
    outs = [(np.empty((37, 10), dtype), np.empty((37, 10), dtype)) for _ in range(2)]
    layer.forward(x, *outs[0])
    assert layer.forward(x, *outs[1], passes)[1] is outs[1][1]
    for plain, compiled in zip(outs[0], outs[1]):
        np.testing.assert_array_equal(_bits(compiled), _bits(plain))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_cross_entropy_pass_gives_the_engines_loss_delta_and_count(dtype):
    # CrossEntropy.evaluate with labels and the accuracy count (loss.hits), compiled and as NumPy passes:
    # the same loss (a float), the same δ bits and the same count, NaN, inf, ties and one output included.
    from chainrule.core.activations import Softmax
    from chainrule.core.losses import CrossEntropy

    rng = np.random.default_rng(5)
    kernels.set_kernels("numba")
    passes = kernels.engine_passes(10, dtype)
    assert passes is not None
    loss = CrossEntropy()
    cases = []
    for n, k in ((1, 1), (7, 1), (5, 2), (37, 10), (128, 10), (3, 200)):
        z = (rng.normal(size=(n, k)) * rng.choice([0.1, 3.0, 60.0], (n, 1))).astype(dtype)
        cases.append(z)
    z = rng.normal(size=(12, 10)).astype(dtype)
    z[0, 3] = np.nan  # a NaN row: NaN loss, NaN δ, argmax the NaN
    z[1, :] = 2.0  # all tied: argmax 0
    z[2, 4:6] = 5.0  # a tie for the largest: the first
    z[3, 7] = np.inf  # an infinite logit
    z[4, :] = -np.inf  # every logit −inf
    z[5, 2] = -0.0
    cases.append(z)
    for z in cases:
        n, k = z.shape
        y = rng.integers(0, k, n).astype(np.intp)
        y[: min(n, 3)] = np.minimum(np.arange(min(n, 3)), k - 1)
        for scale in (1.0, 1.0 / n, 0.3):
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                a = Softmax().forward(z.copy())
                value, delta, _ = loss.evaluate(z, a, y, Softmax(), scale, np.empty_like(a))
                count = int(np.count_nonzero(loss.hits(a, y)))
                results = []
                for rules in (None, "compiled"):
                    d = np.full_like(a, 7.0)
                    scratch = [np.full(n, 9.0, dtype) for _ in range(3)]
                    if rules is None:
                        got = kernels.cross_entropy(z, a, y, scale, d, *scratch)
                    else:
                        got = passes["cross_entropy"](z, a, y, scale, d)
                    results.append((got, d))
            for (got_value, got_count), d in results:
                assert got_count == count
                assert _bits(np.float64(got_value)) == _bits(np.float64(value)) or (
                    np.isnan(got_value) and np.isnan(value)
                )
                np.testing.assert_array_equal(_bits(d), _bits(delta))


@pytest.mark.parametrize("path", ["numpy", "numba"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_flushes_a_subnormal_first_moment_to_zero(path, dtype):
    # A zero gradient lets m decay into the subnormal numbers (slow on every CPU): it is flushed to ±0,
    # on both paths alike; a normal m is kept, and a NaN m still makes the flag False.
    kernels.set_kernels(path)
    tiny = np.finfo(dtype).tiny
    m = np.array([tiny, -tiny, 1.2 * tiny, -1.2 * tiny, tiny / 4, -tiny / 4, 0.5, -0.0] * 600, dtype)
    n = m.size
    p, v, g, tmp = np.ones(n, dtype), np.full(n, 0.25, dtype), np.zeros(n, dtype), np.empty(n, dtype)
    decayed = (m[:8] - g[:8]) * dtype(0.9) + g[:8]  # 0.9·tiny and tiny/4·0.9 are subnormal, 1.08·tiny is not
    m0 = m.copy()
    assert kernels.adam(p, g, m, v, tmp, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, scale=-0.1) is True
    np.testing.assert_array_equal(_bits(m), _bits((m0 - g) * dtype(0.9) + g))  # no flush asked: subnormals stay
    m[:] = m0
    assert kernels.adam(p, g, m, v, tmp, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, scale=-0.1, flush=True) is True
    expected = np.array([0.0, -0.0, decayed[2], decayed[3], 0.0, -0.0, decayed[6], 0.0], dtype)  # −0·0.9 + 0 = +0
    assert expected[2] == dtype(1.2 * tiny) * dtype(0.9) and expected[2] >= tiny
    np.testing.assert_array_equal(_bits(m[:8]), _bits(expected))
    np.testing.assert_array_equal(_bits(m), _bits(np.tile(expected, 600)))
    m[5] = np.nan
    assert kernels.adam(p, g, m, v, tmp, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, scale=-0.1, flush=True) is False
    assert np.isnan(m[5])


def test_adam_flush_gives_the_same_bits_on_both_paths():
    rng = np.random.default_rng(5)
    tiny = np.finfo(np.float32).tiny
    m0 = (rng.normal(size=20000) * tiny * rng.choice([1e-3, 1.0, 10.0, 1e30], 20000)).astype(np.float32)
    g0 = np.where(rng.random(20000) < 0.5, 0.0, rng.normal(size=20000) * 1e-20).astype(np.float32)
    results = []
    for path in ("numpy", "numba"):
        kernels.set_kernels(path)
        p, m, v, g = np.ones(20000, np.float32), m0.copy(), np.full(20000, 1e-6, np.float32), g0.copy()
        for t in range(5):
            kernels.adam(
                p, g, m, v, np.empty_like(p), lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, scale=-0.1, flush=t % 2 == 0
            )
            g[:] = g0
        results.append((p, m, v))
    for a, b in zip(*results):
        np.testing.assert_array_equal(_bits(a), _bits(b))
    assert not ((results[0][1] != 0) & (np.abs(results[0][1]) < tiny)).any()
