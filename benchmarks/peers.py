"""chainrule against the strongest peers, in one run: PyTorch, JAX, scikit-learn, hand NumPy, the floor.

Three tables, each timed in interleaved rounds (every round runs every
implementation once, in an order that rotates from round to round, so a burst
of load from the rest of the machine hits a round, not an implementation);
each row gives the best and the mean over the rounds and the ratios of its
best to PyTorch's, to JAX's and to the floor's best. The load average is
printed before and after each table.

(a) The width x batch grid: a 784-w-w/2-10 ReLU MLP, softmax cross-entropy,
    Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8), float32, hidden widths
    64/256/1024 x batches 32/128/512, on random data of Fashion-MNIST's shape
    (pixels uniform in [0, 1), labels uniform in 0..9: the speed does not
    depend on the values). Each run is ``--steps`` shuffled mini-batches;
    s/epoch is the time per step x the 60,000 samples' steps per epoch.
    Peers: chainrule (``Network.fit``), PyTorch (autograd, ``torch.optim.Adam``,
    every core), JAX (one ``jax.jit`` step: gather, forward, ``jax.grad``, a
    hand-written Adam; arguments donated), scikit-learn (``MLPClassifier``'s
    ``partial_fit``, alpha 0), and the floor: the step's 8 matrix products
    alone (3 forward, 3 weight gradients, 2 input gradients) with NumPy's BLAS
    into preallocated arrays: the floor of any NumPy-based framework (JAX
    multiplies with XLA's own kernels, which can go under it on some shapes).
(b) XOR 2-2-1 full batch, µs per step: sigmoid, 1/2-squared error summed,
    plain gradient descent at lr 0.1, float64, seed 000's network. chainrule's
    ``fit`` on the NumPy engine and, with numba, on the compiled loop of
    ``chainrule.training.tiny`` (``chainrule compiled``), and that loop alone
    (``chainrule train_many``: one network through ``tiny.train_many``, without the
    History's Python lists that ``fit`` builds, some 0.2 ms per 10,000 epochs, nor fit's
    checks), PyTorch (autograd + ``torch.optim.SGD``, one thread), JAX (the
    whole loop as one ``lax.fori_loop`` in one jitted call, which keeps no loss per step), a lean hand NumPy
    loop, and the floor: a compiled scalar loop (numba), when numba is installed.
(c) 100 XOR networks from 100 initialisations (seeds 0..99), µs per
    network-step: chainrule (one ``cr.Ensemble`` fit; with numba also the
    same fit on the compiled loop, ``chainrule compiled``, and ``chainrule
    train_many``, the 100 networks in one compiled call: both the wide loop with
    the model axis in SIMD lanes; and 100 separate fits), JAX (``vmap`` of (b)'s
    ``fori_loop``), PyTorch (stacked weights, ``torch.bmm``, autograd), a
    stacked-weights NumPy loop (one batched matrix product per layer) and the
    floor: (b)'s compiled scalar loop over the 100 networks.

In (b) and (c) every implementation must end at chainrule's weights (within
1e-6), which the script checks. JAX compiles once per shape before the
timing (a warm-up run, untimed, for every implementation). A peer that is not
installed is skipped, saying so: ``make bench`` installs JAX into
``.bench-venv`` (its own environment; JAX is never a dependency of chainrule).

Usage::

    .bench-venv/bin/python benchmarks/peers.py --rounds 3
    python benchmarks/peers.py --tables xor,ensemble --rounds 5
    python benchmarks/peers.py --smoke      # a few steps of everything: checks that it runs

It runs without ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` (some machines
set them, which pins NumPy's OpenBLAS to a slower kernel and not PyTorch's
BLAS): when either is set, the script runs itself again without them, and says
so (``--keep-blas-env`` keeps them).

This is a benchmark, not a test: all of it runs in one process, the peers one
after another.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import platform
import sys
import time
from collections.abc import Callable

import numpy as np

import chainrule as cr

PEERS = ("chainrule", "torch", "jax", "sklearn", "numpy", "floor")
TABLES = ("grid", "xor", "ensemble")
SAMPLES_PER_EPOCH = 60000
LEARNING_RATE = 1e-3
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float64)
XOR_LR = 0.1
ONE_THREAD_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
_threads: int | None = None  # --one-thread sets 1: PyTorch's intra-op threads (BLAS and XLA are set in main)


def _have(module: str) -> str | None:
    """None when ``module`` imports, else why not (the row is skipped, saying so)."""
    try:
        __import__(module)
    except Exception as exc:  # an ImportError, or a broken install: either way, skip the peer
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)  # XOR is float64; the grid passes float32 arrays explicitly
    return jax


class Runner:
    """One implementation of one workload: ``setup`` (untimed, including a warm-up), then ``run`` (timed)."""

    def __init__(self, setup: Callable[[], Callable[[], object]]):
        self._setup = setup
        self._run: Callable[[], object] | None = None
        self.result: object = None

    def setup(self) -> None:
        self._run = self._setup()
        self.result = self._run()  # warm-up: JAX and numba compile here, the others allocate

    def run(self) -> float:
        assert self._run is not None
        start = time.perf_counter()
        self.result = self._run()
        return time.perf_counter() - start


def _interleave(runners: dict[str, Runner], rounds: int) -> dict[str, list[float]]:
    for runner in runners.values():
        runner.setup()
    times: dict[str, list[float]] = {name: [] for name in runners}
    names = list(runners)
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:  # the order rotates: nobody always goes first
            times[name].append(runners[name].run())
    return times


def _ratio(value: float, base: float | None) -> str:
    return "-" if base is None else f"{value / base:.3g}x"


def _table(rows: list[tuple[str, str, list[float]]], unit: str, scale: float, label: str) -> None:
    """Rows of (group, peer, seconds per run); best and mean in ``unit`` (seconds x ``scale``)."""
    print(f"| {label} | peer | {unit} best | {unit} mean | vs PyTorch | vs JAX | vs floor |")
    print("|---|---|---:|---:|---:|---:|---:|")
    groups: dict[str, dict[str, float]] = {}
    for group, peer, seconds in rows:
        groups.setdefault(group, {})[peer] = min(seconds)
    for group, peer, seconds in rows:
        best, mean = min(seconds) * scale, sum(seconds) / len(seconds) * scale
        bests = groups[group]
        torch, jax, floor = (bests[n] * scale if n in bests else None for n in ("torch", "jax", "floor"))
        print(
            f"| {group} | {peer} | {best:.4g} | {mean:.4g} | {_ratio(best, torch)} | "
            f"{_ratio(best, jax)} | {_ratio(best, floor)} |"
        )


def _blas() -> str:
    """NumPy's BLAS as threadpoolctl sees it (kernel, threads), and the variables that slow OpenBLAS."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS: threadpoolctl not installed"
    infos = [
        f"{i.get('internal_api')} {i.get('version')} {i.get('architecture', '?')} x{i.get('num_threads')}"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    slow = [name for name in SLOW_BLAS_VARIABLES if name in os.environ]
    warning = f" (warning: {', '.join(slow)} set, which can slow OpenBLAS)" if slow else ""
    return f"BLAS: {', '.join(infos) or 'none found'}{warning}"


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


# (a) The width x batch grid ----------------------------------------------------------------------


def _grid_data(batch: int, steps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = batch * steps
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n).astype(np.int64)


def _he_init(sizes: tuple[int, ...], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [
        (
            (rng.standard_normal((i, o)) * math.sqrt(2.0 / i)).astype(np.float32),
            np.zeros(o, np.float32),
        )
        for i, o in zip(sizes[:-1], sizes[1:])
    ]


def grid_chainrule(sizes, X, y, batch, seed):
    net = cr.Network(list(sizes), activation="relu", loss="cross_entropy", init="he", seed=seed, dtype="float32")

    def run():
        net.fit(X, y, epochs=1, batch_size=batch, optimizer="adam", learning_rate=LEARNING_RATE)

    return run


def grid_torch(sizes, X, y, batch, seed):
    import torch

    torch.set_num_threads(_threads or os.cpu_count() or 1)
    torch.manual_seed(seed)
    layers: list[torch.nn.Module] = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(i, o), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=(BETA1, BETA2), eps=EPS)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    generator = torch.Generator().manual_seed(seed)

    def run():
        order = torch.randperm(len(Xt), generator=generator)
        for i in range(0, len(Xt), batch):
            idx = order[i : i + batch]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(Xt[idx]), yt[idx]).backward()
            optimizer.step()

    return run


def grid_jax(sizes, X, y, batch, seed):
    jax = _jax()
    import jax.numpy as jnp

    def loss_fn(params, xb, yb):
        a = xb
        for W, b in params[:-1]:
            a = jax.nn.relu(a @ W + b)
        W, b = params[-1]
        z = a @ W + b
        return jnp.mean(jax.nn.logsumexp(z, axis=1) - jnp.take_along_axis(z, yb[:, None], axis=1)[:, 0])

    def step(params, m, v, t, X, y, idx):
        g = jax.grad(loss_fn)(params, X[idx], y[idx])
        t = t + 1
        m = jax.tree_util.tree_map(lambda m, g: BETA1 * m + (1 - BETA1) * g, m, g)
        v = jax.tree_util.tree_map(lambda v, g: BETA2 * v + (1 - BETA2) * g * g, v, g)
        lr_t = LEARNING_RATE * jnp.sqrt(1 - BETA2**t) / (1 - BETA1**t)
        params = jax.tree_util.tree_map(lambda p, m, v: p - lr_t * m / (jnp.sqrt(v) + EPS), params, m, v)
        return params, m, v, t

    jstep = jax.jit(step, donate_argnums=(0, 1, 2, 3))
    params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in _he_init(sizes, seed)]
    state = [params, jax.tree_util.tree_map(jnp.zeros_like, params), jax.tree_util.tree_map(jnp.zeros_like, params)]
    t = jnp.zeros((), jnp.float32)
    Xd, yd = jnp.asarray(X), jnp.asarray(y)
    rng = np.random.default_rng(seed)

    def run():
        nonlocal state, t
        order = rng.permutation(len(X)).reshape(-1, batch)
        p, m, v = state
        for idx in order:
            p, m, v, t = jstep(p, m, v, t, Xd, yd, idx)
        jax.block_until_ready(p)
        state = [p, m, v]

    return run


def grid_sklearn(sizes, X, y, batch, seed):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=sizes[1:-1],
        activation="relu",
        solver="adam",
        alpha=0.0,
        batch_size=batch,
        learning_rate_init=LEARNING_RATE,
        random_state=seed,
    )
    classes = np.arange(10)

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.partial_fit(X, y, classes=classes)  # one epoch of shuffled mini-batches

    return run


def grid_floor(sizes, X, y, batch, seed):
    """Only the step's 8 matrix products, float32, into preallocated arrays."""
    W = [w.T.copy() for w, _ in _he_init(sizes, seed)]  # (out, in), as the products below read them
    xb = X[:batch].copy()
    a = [np.empty((batch, o), np.float32) for o in sizes[1:]]
    d = [np.empty((batch, o), np.float32) for o in sizes[1:-1]]
    g = [np.empty_like(w) for w in W]
    steps = len(X) // batch

    def run():
        for _ in range(steps):
            np.dot(xb, W[0].T, out=a[0])
            np.dot(a[0], W[1].T, out=a[1])
            np.dot(a[1], W[2].T, out=a[2])
            np.dot(a[2].T, a[1], out=g[2])
            np.dot(a[2], W[2], out=d[1])
            np.dot(d[1].T, a[0], out=g[1])
            np.dot(d[1], W[1], out=d[0])
            np.dot(d[0].T, xb, out=g[0])

    return run


GRID = {
    "chainrule": grid_chainrule,
    "torch": grid_torch,
    "jax": grid_jax,
    "sklearn": grid_sklearn,
    "floor": grid_floor,
}


def table_grid(args, peers: list[str]) -> None:
    print(
        f"\n(a) 784-w-w/2-10 ReLU MLP, Adam, float32, random data of Fashion-MNIST's shape; {args.steps} steps a run, "
        f"s/epoch = s/step x {SAMPLES_PER_EPOCH} samples' steps; {args.rounds} interleaved rounds"
    )
    print(f"before: {_load()}")
    rows = []
    for width in args.widths:
        sizes = (784, width, width // 2, 10)
        for batch in args.batches:
            X, y = _grid_data(batch, args.steps, args.seed)
            runners = {p: Runner(functools.partial(GRID[p], sizes, X, y, batch, args.seed)) for p in peers if p in GRID}
            times = _interleave(runners, args.rounds)
            per_epoch = math.ceil(SAMPLES_PER_EPOCH / batch) / args.steps
            for peer, seconds in times.items():
                rows.append((f"w {width}, batch {batch}", peer, [s * per_epoch for s in seconds]))
            print(f"  done: width {width}, batch {batch} ({_load()})", flush=True)
    _table(rows, "s/epoch", 1.0, "cell")
    print(f"after: {_load()}")


# (b) and (c) XOR ---------------------------------------------------------------------------------


def _xor_inits(count: int) -> list[list[np.ndarray]]:
    return [[p.copy() for p in cr.Network([2, 2, 1], reduction="sum", seed=s).parameters()] for s in range(count)]


def _chainrule_fit(init: list[np.ndarray], steps: int, path: str = "numpy"):
    """``Network.fit`` on the NumPy engine, or (``path="numba"``) on the compiled loop of training/tiny.py.

    The network is built once, untimed, as JAX's parameters are; each run puts its weights back to
    ``init`` and fits (a fresh optimiser every call, as plain SGD keeps no state anyway).
    """
    from chainrule.training import kernels

    net = cr.Network([2, 2, 1], loss="half_squared_error", reduction="sum")

    def run() -> list[np.ndarray]:
        kernels.set_kernels(path)
        for p, v in zip(net.parameters(), init):
            p[...] = v
        net.fit(XOR_X, XOR_Y, epochs=steps, learning_rate=XOR_LR)
        kernels.set_kernels(None)
        return [p.copy() for p in net.parameters()]

    return run


def _chainrule_many(stack: list[list[np.ndarray]], steps: int):
    """All the networks in one compiled call: ``chainrule.training.tiny.train_many``, parameters (K, P)."""
    from chainrule.training import tiny

    net = cr.Network([2, 2, 1], loss="half_squared_error", reduction="sum")
    start = np.stack([np.concatenate([p.ravel() for p in init]) for init in stack])
    X, Y = net.check_XY(XOR_X, XOR_Y)

    def run():
        params = start.copy()
        tiny.train_many(net, params, np.full(len(stack), XOR_LR), X, Y, steps, cr.SGD())
        return [[params[k, :4].reshape(2, 2), params[k, 4:6], params[k, 6:8].reshape(1, 2), params[k, 8:]]
                for k in range(len(stack))]  # fmt: skip

    return run


def _chainrule_ensemble(stack: list[list[np.ndarray]], steps: int, path: str | None = None):
    """The K networks as one cr.Ensemble (from networks holding the inits), trained in one fit call.

    ``path="numba"``: on the compiled loop (train_many's wide loop), where a fit of fewer than
    tiny.MIN_EPOCHS epochs would not go by itself; None: the default choice (the NumPy engine here).
    """
    from chainrule.training import kernels

    nets = []
    for init in stack:
        net = cr.Network([2, 2, 1], loss="half_squared_error", reduction="sum")
        for p, v in zip(net.parameters(), init):
            p[...] = v
        nets.append(net)

    ens = cr.Ensemble.from_networks(nets)  # built once (copying 100 networks takes some 40 ms): not timed
    start = ens.params.copy()

    def run():
        ens.params[...] = start  # every round from the inits (plain SGD keeps no state)
        ens.epochs_trained_ = 0
        kernels.set_kernels(path)
        try:
            ens.fit(XOR_X, XOR_Y, epochs=steps, learning_rate=XOR_LR)
        finally:
            kernels.set_kernels(None)
        layers = ens.stack.layers  # each model's weights and biases: row k of the stack's arrays
        return [[p[k].copy() for layer in layers for p in layer.parameters()] for k in range(len(nets))]

    return run


def _has_numba() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _jax_xor_loop(steps: int):
    """(params) -> params after ``steps`` full-batch steps, as one ``lax.fori_loop``."""
    jax = _jax()
    import jax.numpy as jnp

    X, Y = jnp.asarray(XOR_X), jnp.asarray(XOR_Y)

    def loss(params):
        W1, b1, W2, b2 = params
        a2 = jax.nn.sigmoid(jax.nn.sigmoid(X @ W1.T + b1) @ W2.T + b2)
        return 0.5 * jnp.sum((a2 - Y) ** 2)

    grad = jax.grad(loss)

    def train(params):
        def body(_, p):
            return tuple(q - XOR_LR * g for q, g in zip(p, grad(p)))

        return jax.lax.fori_loop(0, steps, body, params)

    return jax, train


def _torch_xor(stack: list[list[np.ndarray]], steps: int):
    """PyTorch on stacked weights (K networks, ``torch.bmm``); K = 1 is the plain network."""
    import torch

    torch.set_num_threads(1)  # four samples: threads only cost time
    x = torch.tensor(XOR_X).expand(len(stack), 4, 2)
    yt = torch.tensor(XOR_Y)

    def run():
        params = [torch.tensor(np.stack([net[i] for net in stack]), requires_grad=True) for i in range(4)]
        W1, b1, W2, b2 = params
        opt = torch.optim.SGD(params, lr=XOR_LR)
        for _ in range(steps):
            opt.zero_grad()
            a1 = torch.sigmoid(torch.bmm(x, W1.transpose(1, 2)) + b1[:, None, :])
            a2 = torch.sigmoid(torch.bmm(a1, W2.transpose(1, 2)) + b2[:, None, :])
            (0.5 * ((a2 - yt) ** 2).sum()).backward()
            opt.step()
        return [[p[k].detach().numpy().copy() for p in params] for k in range(len(stack))]

    return run


def _numpy_stacked(stack: list[list[np.ndarray]], steps: int):
    """Stacked weights, one batched matrix product per layer: W1 (K, 2, 2), b1 (K, 2), W2 (K, 1, 2), b2 (K, 1)."""

    def run():
        W1, b1, W2, b2 = (np.stack([net[i] for net in stack]) for i in range(4))
        b1, b2 = b1[:, None, :], b2[:, None, :]
        X, Y = XOR_X, XOR_Y
        Xt = X.T
        for _ in range(steps):
            a1 = 1 / (1 + np.exp(-(X @ W1.transpose(0, 2, 1) + b1)))  # (K, 4, 2)
            a2 = 1 / (1 + np.exp(-(a1 @ W2.transpose(0, 2, 1) + b2)))  # (K, 4, 1)
            delta2 = (a2 - Y) * a2 * (1 - a2)
            delta1 = (delta2 @ W2) * a1 * (1 - a1)
            W2 -= XOR_LR * (delta2.transpose(0, 2, 1) @ a1)
            b2 -= XOR_LR * delta2.sum(axis=1, keepdims=True)
            W1 -= XOR_LR * (delta1.transpose(0, 2, 1) @ Xt.T)
            b1 -= XOR_LR * delta1.sum(axis=1, keepdims=True)
        return [[W1[k], b1[k, 0], W2[k], b2[k, 0]] for k in range(len(stack))]

    return run


def _numpy_lean(init: list[np.ndarray], steps: int):
    """One network, the lean loop of benchmarks/xor.py: no class, no calls, no loss."""

    def run():
        W1, b1, W2, b2 = (v.copy() for v in init)
        b1, b2 = b1.reshape(-1, 1), b2.reshape(-1, 1)
        Xc, yc = XOR_X.T.copy(), XOR_Y.T.copy()
        for _ in range(steps):
            a1 = 1 / (1 + np.exp(-(W1 @ Xc + b1)))
            a2 = 1 / (1 + np.exp(-(W2 @ a1 + b2)))
            delta2 = (a2 - yc) * a2 * (1 - a2)
            delta1 = (W2.T @ delta2) * a1 * (1 - a1)
            W2 -= XOR_LR * (delta2 @ a1.T)
            b2 -= XOR_LR * delta2.sum(axis=1, keepdims=True)
            W1 -= XOR_LR * (delta1 @ Xc.T)
            b1 -= XOR_LR * delta1.sum(axis=1, keepdims=True)
        return [[W1, b1.ravel(), W2, b2.ravel()]]

    return run


def _numba_floor(stack: list[list[np.ndarray]], steps: int):
    """The compiled scalar loop: every network in turn, all of its steps, no arrays made inside."""
    import numba

    @numba.njit(cache=False, fastmath=False)
    def train(W1, b1, W2, b2, X, Y, lr, steps):
        gW1 = np.empty_like(W1)
        gb1 = np.empty_like(b1)
        a1 = np.empty(2)
        for _ in range(steps):
            gW1[:] = 0.0
            gb1[:] = 0.0
            gW2_0 = gW2_1 = gb2 = 0.0
            for s in range(4):
                for j in range(2):
                    a1[j] = 1.0 / (1.0 + np.exp(-(W1[j, 0] * X[s, 0] + W1[j, 1] * X[s, 1] + b1[j])))
                a2 = 1.0 / (1.0 + np.exp(-(W2[0, 0] * a1[0] + W2[0, 1] * a1[1] + b2[0])))
                d2 = (a2 - Y[s, 0]) * a2 * (1.0 - a2)
                gW2_0 += d2 * a1[0]
                gW2_1 += d2 * a1[1]
                gb2 += d2
                for j in range(2):
                    d1 = W2[0, j] * d2 * a1[j] * (1.0 - a1[j])
                    gW1[j, 0] += d1 * X[s, 0]
                    gW1[j, 1] += d1 * X[s, 1]
                    gb1[j] += d1
            W2[0, 0] -= lr * gW2_0
            W2[0, 1] -= lr * gW2_1
            b2[0] -= lr * gb2
            for j in range(2):
                W1[j, 0] -= lr * gW1[j, 0]
                W1[j, 1] -= lr * gW1[j, 1]
                b1[j] -= lr * gb1[j]

    def run():
        out = []
        for init in stack:
            W1, b1, W2, b2 = (v.copy() for v in init)
            train(W1, b1, W2, b2, XOR_X, XOR_Y, XOR_LR, steps)
            out.append([W1, b1, W2, b2])
        return out

    return run


def _check(runners: dict[str, Runner], reference: str) -> None:
    ref = runners[reference].result
    assert isinstance(ref, list)
    for name, runner in runners.items():
        nets = runner.result
        assert isinstance(nets, list)
        worst = max(
            float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
            for got, want in zip(nets, ref)
            for a, b in zip(got, want)
        )
        if worst > 1e-6:
            raise SystemExit(f"{name} ended {worst:.2e} away from {reference}'s weights")


def _xor_runners(peers: list[str], stack: list[list[np.ndarray]], steps: int, lean: bool) -> dict[str, Runner]:
    runners: dict[str, Runner] = {}
    if "chainrule" in peers:

        def separate():
            fits = [_chainrule_fit(init, steps) for init in stack]
            return lambda: [run() for run in fits]

        runners["chainrule"] = Runner(separate)
        if _has_numba():  # the compiled loop (the fast extra): through fit for one network, train_many for K
            if len(stack) == 1:
                compiled = _chainrule_fit(stack[0], steps, "numba")
                runners["chainrule compiled"] = Runner(lambda: lambda: [compiled()])
            runners["chainrule train_many"] = Runner(lambda: _chainrule_many(stack, steps))
    if "torch" in peers:
        runners["torch"] = Runner(lambda: _torch_xor(stack, steps))
    if "jax" in peers:

        def jax_setup():
            jax, train = _jax_xor_loop(steps)
            import jax.numpy as jnp

            params = tuple(jnp.asarray(np.stack([net[i] for net in stack])) for i in range(4))
            fn = jax.jit(jax.vmap(train)) if len(stack) > 1 else jax.jit(train)
            if len(stack) == 1:
                params = tuple(p[0] for p in params)

            def run():
                out = [np.asarray(p) for p in jax.block_until_ready(fn(params))]  # one copy to the host each
                if len(stack) == 1:
                    return [out]
                return [[p[k] for p in out] for k in range(len(stack))]

            return run

        runners["jax"] = Runner(jax_setup)
    if "numpy" in peers:
        runners["numpy"] = Runner(lambda: _numpy_lean(stack[0], steps) if lean else _numpy_stacked(stack, steps))
    if "floor" in peers:
        runners["floor"] = Runner(lambda: _numba_floor(stack, steps))
    return runners


def table_xor(args, peers: list[str]) -> None:
    peers = [p for p in peers if p != "sklearn"]
    print(
        f"\n(b) XOR 2-2-1, sigmoid, 1/2-squared error, GD lr {XOR_LR}, float64, full batch: "
        f"{args.xor_steps} steps a run, {args.rounds} interleaved rounds; numpy = the lean hand loop, "
        "floor = a compiled scalar loop (numba), jax = one jitted lax.fori_loop"
    )
    print(f"before: {_load()}")
    runners = _xor_runners(peers, _xor_inits(1), args.xor_steps, lean=True)
    times = _interleave(runners, args.rounds)
    _check(runners, next(iter(runners)))
    print(f"all {len(runners)} ended at the same weights (within 1e-6)")
    _table([("XOR", p, s) for p, s in times.items()], "µs/step", 1e6 / args.xor_steps, "workload")
    print(f"after: {_load()}")


def table_ensemble(args, peers: list[str]) -> None:
    peers = [p for p in peers if p != "sklearn"]
    k, steps = args.networks, args.ensemble_steps
    print(
        f"\n(c) {k} XOR networks from {k} inits (seeds 0..{k - 1}), {steps} full-batch steps each, "
        f"{args.rounds} interleaved rounds; chainrule = one cr.Ensemble fit (compiled: on the compiled loop, "
        f"CHAINRULE_KERNELS=numba), chainrule (separate) = {k} separate fits, jax = vmap of the fori_loop, "
        "torch and numpy = stacked weights (one batched product per layer), floor = the compiled loop over the networks"
    )
    print(f"before: {_load()}")
    stack = _xor_inits(k)
    runners = _xor_runners(peers, stack, steps, lean=False)
    if "chainrule" in runners:
        separate = runners.pop("chainrule")
        compiled = {"chainrule compiled": Runner(lambda: _chainrule_ensemble(stack, steps, "numba"))}
        runners = {
            "chainrule": Runner(lambda: _chainrule_ensemble(stack, steps)),
            **(compiled if _has_numba() else {}),
            "chainrule (separate)": separate,
            **runners,
        }
    times = _interleave(runners, args.rounds)
    _check(runners, next(iter(runners)))
    print(f"all {len(runners)} ended at the same {k} networks' weights (within 1e-6)")
    _table([(f"{k} XOR nets", p, s) for p, s in times.items()], "µs/network-step", 1e6 / (k * steps), "workload")
    print(f"after: {_load()}")


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default=",".join(TABLES), help=f"comma-separated subset of {','.join(TABLES)}")
    parser.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated subset of {','.join(PEERS)}")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--widths", type=_ints, default=[64, 256, 1024], help="hidden widths w (default 64,256,1024)")
    parser.add_argument("--batches", type=_ints, default=[32, 128, 512], help="batch sizes (default 32,128,512)")
    parser.add_argument("--steps", type=int, default=50, help="grid: mini-batch steps a run (default 50)")
    parser.add_argument("--xor-steps", type=int, default=10000, help="XOR: steps a run (default 10000)")
    parser.add_argument("--networks", type=int, default=100, help="ensemble: networks (default 100)")
    parser.add_argument("--ensemble-steps", type=int, default=1000, help="ensemble: steps a network (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--one-thread",
        action="store_true",
        help="every peer on one thread (NumPy's BLAS through threadpoolctl, torch.set_num_threads, "
        "XLA_FLAGS): on a machine whose cores are busy elsewhere, spinning pool threads can cost more than they give",
    )
    parser.add_argument("--smoke", action="store_true", help="a few steps of everything: checks that it runs")
    parser.add_argument(
        "--keep-blas-env",
        action="store_true",
        help=f"run with {' and '.join(SLOW_BLAS_VARIABLES)} as set (by default the script runs itself without them)",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.widths, args.batches, args.steps, args.rounds = [64], [32], 2, 1
        args.xor_steps, args.networks, args.ensemble_steps = 50, 3, 20
    for name in ("rounds", "steps", "xor_steps", "networks", "ensemble_steps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1; got {getattr(args, name)}")
    if any(w < 2 for w in args.widths) or any(b < 1 for b in args.batches):
        parser.error(f"--widths must be >= 2 and --batches >= 1; got {args.widths} and {args.batches}")
    tables = [t.strip() for t in args.tables.split(",") if t.strip()]
    wanted = [p.strip() for p in args.peers.split(",") if p.strip()]
    for kind, chosen, known in (("tables", tables, TABLES), ("peers", wanted, PEERS)):
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            parser.error(f"unknown {kind} {unknown}; choose from {list(known)}")

    if args.one_thread:
        global _threads
        _threads = 1
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {ONE_THREAD_XLA_FLAGS}".strip()
    modules = {"torch": "torch", "jax": "jax", "sklearn": "sklearn", "floor": "numba"}
    peers = []
    for peer in wanted:
        why = _have(modules[peer]) if peer in modules else None
        if why:
            hint = " (make bench installs it in .bench-venv)" if peer == "jax" else ""
            rows = "the XOR tables' floor rows (the grid's floor is NumPy)" if peer == "floor" else f"{peer}'s rows"
            print(f"skipped {rows}: {modules[peer]} is not installed{hint}: {why}")
        else:
            peers.append(peer)
    if args.one_thread:  # after the peers' imports, so that SciPy's OpenBLAS (scikit-learn) is limited too
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)  # kept for the whole run: every BLAS loaded (chainrule, scikit-learn, the floor)
    versions = [f"numpy {np.__version__}", f"chainrule {cr.__version__}"]
    for peer, module in modules.items():
        if peer in peers:
            versions.append(f"{module} {sys.modules[module].__version__}")
    threads = "one thread each (--one-thread)" if args.one_thread else "every core for the grid (the default)"
    print(f"Python {platform.python_version()}; {', '.join(versions)}; {threads}; {_blas()}; {_load()}")
    runners = {"grid": table_grid, "xor": table_xor, "ensemble": table_ensemble}
    for table in tables:
        chosen = list(peers)
        if table == "grid" and "floor" in wanted and "floor" not in chosen:
            chosen.append("floor")  # the grid's floor needs NumPy only
        runners[table](args, chosen)
    return 0


#: Variables that pin OpenBLAS to an older kernel or cache size (some machines set them): they slow NumPy's
#: products and not PyTorch's (its own BLAS), so the script runs without them (as benchmarks/fashion_mnist.py's
#: children do), unless ``--keep-blas-env``. OpenBLAS reads them when it loads: the script runs itself again.
SLOW_BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _without_slow_blas(argv: list[str]) -> None:
    """Run this script again without :data:`SLOW_BLAS_VARIABLES` when any is set (replaces the process)."""
    env = dict(os.environ)
    unset = [f"{name}={env.pop(name)}" for name in SLOW_BLAS_VARIABLES if name in env]
    if unset and "--keep-blas-env" not in argv:
        print(f"running again without {', '.join(unset)} (--keep-blas-env keeps them)", flush=True)
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *argv], env)


if __name__ == "__main__":
    _without_slow_blas(sys.argv[1:])
    sys.exit(main())
