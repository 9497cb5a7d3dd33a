"""Fashion-MNIST: chainrule against PyTorch, JAX and scikit-learn, same MLP, same recipe.

The model: 784-256-128-10, ReLU, softmax cross-entropy, Adam (lr 1e-3),
batch 128, float32, He-style initialisation, N epochs. Each framework runs
in a fresh Python process (so imports, memory and thread pools do not mix)
and reports seconds per epoch, test accuracy and peak RSS (the process's
``ru_maxrss``, data loading included). The table gives each framework's
seconds per epoch as a ratio to PyTorch's, to JAX's and to the floor. JAX
(one ``jax.jit`` step, Adam written as torch.optim's) runs where it is
installed: ``make bench`` runs this script in ``.bench-venv``, which has it;
elsewhere its row is skipped, saying so. The row ``floor``
times only the step's 8 matrix products with NumPy's BLAS, the least any
NumPy-based framework can spend on this MLP per epoch.

The chainrule rows keep the images as bytes (``dtype="uint8"``) and build the
network with ``input_scale=1/255``, which scales each mini-batch as it is
drawn (the same bits as the float32 pixels, a quarter of the memory); the
other frameworks get the float32 pixels. ``chainrule`` uses the compiled
update kernels when numba (the ``fast`` extra) is installed;
``chainrule-numpy`` is the same run on the NumPy path
(``CHAINRULE_KERNELS=numpy``). ``--baseline-src DIR`` adds ``chainrule-base``:
the chainrule whose ``src`` directory is DIR (an older checkout, e.g. from
``git archive``), for before/after in the same interleaved rounds.
chainrule's epochs are those of one ``fit(epochs=N)`` call, timed by a
callback at each epoch's end, as torch's are those of one loop: the first
includes fit's set-up (the checks of X and y, the input-scale advice, the
buffers), which ``best`` leaves out.

Usage::

    python benchmarks/fashion_mnist.py --epochs 5
    python benchmarks/fashion_mnist.py --epochs 3 --frameworks chainrule,torch

The children run without ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE``
(some machines set them, which slows a current NumPy's OpenBLAS); the
OpenBLAS kernel each child actually uses is printed from threadpoolctl
when it is installed. ``--blas-threads 1`` runs the NumPy-based frameworks
on one OpenBLAS thread: on a machine whose cores are busy with other work,
OpenBLAS's spinning threads can make a two-thread run many times slower
than a one-thread one. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time

FRAMEWORKS = ("chainrule", "chainrule-numpy", "chainrule-base", "torch", "jax", "sklearn", "floor")
DEFAULT_FRAMEWORKS = ("chainrule", "chainrule-numpy", "torch", "jax", "sklearn", "floor")
SIZES = (784, 256, 128, 10)
LEARNING_RATE = 1e-3
BATCH_SIZE = 128


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def _blas_kernel() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    infos = [
        f"{i.get('internal_api')} {i.get('architecture', '?')} x{i.get('num_threads')}"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    return ", ".join(infos) or "no BLAS found"


def _load(dtype: str = "float32"):
    import chainrule as cr

    return cr.datasets.load_fashion_mnist(dtype=dtype)


def run_chainrule(epochs: int, seed: int) -> dict:
    import inspect

    import chainrule as cr

    # The images as bytes, scaled batch by batch (the bits of the float32 pixels); a baseline
    # chainrule without input_scale (--baseline-src) gets the float32 pixels.
    scaled = "input_scale" in inspect.signature(cr.Network).parameters
    (X, y), (X_test, y_test) = _load("uint8" if scaled else "float32")
    options = {"input_scale": 1 / 255} if scaled else {}
    net = cr.Network(
        list(SIZES), activation="relu", loss="cross_entropy", init="he", seed=seed, dtype="float32", **options
    )
    from chainrule.training.callbacks import Callback

    class EpochTimes(Callback):  # one fit call, its epochs timed as torch's loop times its own
        def __init__(self):
            self.times, self.last = [], time.perf_counter()

        def on_epoch_end(self, net, epoch, logs):
            now = time.perf_counter()
            self.times.append(now - self.last)
            self.last = now

    clock = EpochTimes()  # the first epoch includes fit's set-up (checks, the input advice, buffers)
    net.fit(
        X, y, epochs=epochs, batch_size=BATCH_SIZE, optimizer="adam", learning_rate=LEARNING_RATE, callbacks=[clock]
    )
    times = clock.times
    rss = _peak_rss_mb()
    predicted = [net.predict(X_test[i : i + 2000]).argmax(axis=1) for i in range(0, len(X_test), 2000)]
    import numpy as np

    accuracy = float((np.concatenate(predicted) == y_test).mean())
    return {"times": times, "accuracy": accuracy, "rss_mb": rss, "blas": _blas_kernel()}


def run_torch(epochs: int, seed: int) -> dict:
    import torch

    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(seed)
    (X, y), (X_test, y_test) = _load()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    X_test, y_test = torch.from_numpy(X_test), torch.from_numpy(y_test)
    model = torch.nn.Sequential(
        torch.nn.Linear(SIZES[0], SIZES[1]),
        torch.nn.ReLU(),
        torch.nn.Linear(SIZES[1], SIZES[2]),
        torch.nn.ReLU(),
        torch.nn.Linear(SIZES[2], SIZES[3]),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    n = len(X)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(n, generator=generator)
        for i in range(0, n, BATCH_SIZE):
            idx = order[i : i + BATCH_SIZE]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    rss = _peak_rss_mb()
    with torch.no_grad():
        accuracy = float((model(X_test).argmax(dim=1) == y_test).float().mean())
    return {
        "times": times,
        "accuracy": accuracy,
        "rss_mb": rss,
        "blas": f"torch {torch.__version__}, {torch.get_num_threads()} threads",
    }


def run_jax(epochs: int, seed: int) -> dict:
    """The recipe in JAX: one ``jax.jit`` step (gather the batch, forward, ``jax.grad``, Adam as torch.optim's),
    He-style normal weights and zero biases, a NumPy permutation per epoch; the last, smaller batch
    compiles a second step in the first epoch, which ``best`` leaves out."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    (X, y), (X_test, y_test) = _load()
    rng = np.random.default_rng(seed)
    params = [
        (jnp.asarray((rng.standard_normal((i, o)) * np.sqrt(2.0 / i)).astype(np.float32)), jnp.zeros(o, jnp.float32))
        for i, o in zip(SIZES[:-1], SIZES[1:])
    ]

    def logits(params, xb):
        a = xb
        for W, b in params[:-1]:
            a = jax.nn.relu(a @ W + b)
        W, b = params[-1]
        return a @ W + b

    def loss_fn(params, xb, yb):
        z = logits(params, xb)
        return jnp.mean(jax.nn.logsumexp(z, axis=1) - jnp.take_along_axis(z, yb[:, None], axis=1)[:, 0])

    beta1, beta2, eps = 0.9, 0.999, 1e-8

    def step(params, m, v, t, X, y, idx):
        g = jax.grad(loss_fn)(params, X[idx], y[idx])
        t = t + 1
        m = jax.tree_util.tree_map(lambda m, g: beta1 * m + (1 - beta1) * g, m, g)
        v = jax.tree_util.tree_map(lambda v, g: beta2 * v + (1 - beta2) * g * g, v, g)
        lr_t = LEARNING_RATE * jnp.sqrt(1 - beta2**t) / (1 - beta1**t)
        params = jax.tree_util.tree_map(lambda p, m, v: p - lr_t * m / (jnp.sqrt(v) + eps), params, m, v)
        return params, m, v, t

    jstep = jax.jit(step, donate_argnums=(0, 1, 2, 3))
    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    t = jnp.zeros((), jnp.float32)
    Xd, yd = jnp.asarray(X), jnp.asarray(y.astype(np.int32))
    n = len(X)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(n).astype(np.int32)
        for i in range(0, n, BATCH_SIZE):
            params, m, v, t = jstep(params, m, v, t, Xd, yd, order[i : i + BATCH_SIZE])
        jax.block_until_ready(params)
        times.append(time.perf_counter() - start)
    rss = _peak_rss_mb()
    predict = jax.jit(logits)
    accuracy = float((np.asarray(predict(params, jnp.asarray(X_test))).argmax(axis=1) == y_test).mean())
    return {"times": times, "accuracy": accuracy, "rss_mb": rss, "blas": f"jax {jax.__version__} (XLA, jit)"}


def run_sklearn(epochs: int, seed: int) -> dict:
    import numpy as np
    from sklearn.neural_network import MLPClassifier

    (X, y), (X_test, y_test) = _load()
    model = MLPClassifier(
        hidden_layer_sizes=SIZES[1:-1],
        activation="relu",
        solver="adam",
        alpha=0.0,
        batch_size=BATCH_SIZE,
        learning_rate_init=LEARNING_RATE,
        random_state=seed,
    )
    classes = np.arange(10)
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.partial_fit(X, y, classes=classes)  # one epoch of shuffled mini-batches
        times.append(time.perf_counter() - start)
    rss = _peak_rss_mb()
    accuracy = float((model.predict(X_test) == y_test).mean())
    return {"times": times, "accuracy": accuracy, "rss_mb": rss, "blas": _blas_kernel()}


def run_floor(epochs: int, seed: int) -> dict:
    """The matrix-multiply floor: only the 8 products of each step (3 forward, 3 weight
    gradients, 2 input gradients), float32 into preallocated arrays, over an epoch's
    batches. No framework can train this MLP with NumPy's BLAS faster than this."""
    import numpy as np

    rng = np.random.default_rng(seed)
    f32 = np.float32
    X = rng.random((BATCH_SIZE, SIZES[0]), f32)
    W = [rng.random((o, i), f32) for i, o in zip(SIZES[:-1], SIZES[1:])]
    a = [np.empty((BATCH_SIZE, o), f32) for o in SIZES[1:]]
    d = [np.empty((BATCH_SIZE, o), f32) for o in SIZES[1:-1]]
    g = [np.empty_like(w) for w in W]
    steps = -(-60000 // BATCH_SIZE)

    def step():
        np.dot(X, W[0].T, out=a[0])
        np.dot(a[0], W[1].T, out=a[1])
        np.dot(a[1], W[2].T, out=a[2])
        np.dot(a[2].T, a[1], out=g[2])
        np.dot(a[2], W[2], out=d[1])
        np.dot(d[1].T, a[0], out=g[1])
        np.dot(d[1], W[1], out=d[0])
        np.dot(d[0].T, X, out=g[0])

    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        times.append(time.perf_counter() - start)
    return {"times": times, "accuracy": None, "rss_mb": _peak_rss_mb(), "blas": _blas_kernel()}


RUNNERS = {
    "chainrule": run_chainrule,
    "chainrule-numpy": run_chainrule,
    "chainrule-base": run_chainrule,
    "torch": run_torch,
    "jax": run_jax,
    "sklearn": run_sklearn,
    "floor": run_floor,
}


def _child(
    framework: str, epochs: int, seed: int, blas_threads: int | None = None, baseline_src: str | None = None
) -> dict:
    env = dict(os.environ)
    if framework == "chainrule-numpy":
        env["CHAINRULE_KERNELS"] = "numpy"
    if framework == "chainrule-base":
        if baseline_src is None:
            raise SystemExit("chainrule-base needs --baseline-src DIR (the src directory of the other checkout)")
        env["PYTHONPATH"] = os.path.abspath(baseline_src) + os.pathsep + env.get("PYTHONPATH", "")
    unset = [name for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if env.pop(name, None) is not None]
    if blas_threads is not None and framework != "torch":
        env["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        framework,
        "--epochs",
        str(epochs),
        "--seed",
        str(seed),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{framework} run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["unset"] = unset
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs per framework (default 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--frameworks",
        default=",".join(DEFAULT_FRAMEWORKS),
        help=f"comma-separated subset of {','.join(FRAMEWORKS)}",
    )
    parser.add_argument("--baseline-src", default=None, help="the src directory of the chainrule-base run")
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="OPENBLAS_NUM_THREADS for the NumPy-based runs (chainrule, sklearn); PyTorch always uses every core",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="run the frameworks this many times, one after the other in turn (default 2): "
        "a burst of load from elsewhere then hits one round, not one framework",
    )
    parser.add_argument("--worker", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be >= 1; got {args.epochs}")
    if args.worker:
        print(json.dumps(RUNNERS[args.worker](args.epochs, args.seed)))
        return 0
    chosen = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    if args.baseline_src and "chainrule-base" not in chosen:
        chosen.insert(1, "chainrule-base")
    unknown = sorted(set(chosen) - set(FRAMEWORKS))
    if unknown:
        parser.error(f"unknown frameworks {unknown}; choose from {list(FRAMEWORKS)}")
    for framework, module in (("torch", "torch"), ("jax", "jax"), ("sklearn", "sklearn")):
        if framework in chosen and importlib.util.find_spec(module) is None:
            hint = " (make bench installs it in .bench-venv and runs this script there)" if module == "jax" else ""
            print(f"skipped {framework}: {module} is not installed for {sys.executable}{hint}")
            chosen.remove(framework)
    print(
        f"Fashion-MNIST MLP {'-'.join(map(str, SIZES))}, ReLU, softmax cross-entropy, Adam lr {LEARNING_RATE}, "
        f"batch {BATCH_SIZE}, float32, {args.epochs} epochs; {os.cpu_count()} cores; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1; got {args.rounds}")
    results = {}
    for _round in range(args.rounds):
        for framework in chosen:
            r = _child(framework, args.epochs, args.seed, args.blas_threads, args.baseline_src)
            if framework in results:
                results[framework]["times"] += r["times"]
                results[framework]["rss_mb"] = max(results[framework]["rss_mb"], r["rss_mb"])
                continue
            results[framework] = r
            unset = f"; unset {', '.join(r['unset'])}" if r["unset"] else ""
            print(f"  {framework}: {r['blas']}{unset}", flush=True)
    bests = {framework: min(r["times"]) for framework, r in results.items()}
    print()
    print(f"{args.rounds} round(s) of {args.epochs} epochs; the ratios compare best epochs (the least disturbed)")
    print(
        f"{'framework':<16} {'s/epoch':>8} {'best':>7} {'vs torch':>9} {'vs JAX':>9} {'vs floor':>9} "
        f"{'test acc':>9} {'peak RSS':>9}"
    )
    for framework, r in results.items():
        mean = sum(r["times"]) / len(r["times"])
        best = bests[framework]
        ratios = [f"{best / bests[peer]:.2f}x" if peer in bests else "-" for peer in ("torch", "jax", "floor")]
        accuracy = "-" if r["accuracy"] is None else f"{r['accuracy']:.4f}"
        print(
            f"{framework:<16} {mean:>8.3f} {best:>7.3f} {ratios[0]:>9} {ratios[1]:>9} {ratios[2]:>9} {accuracy:>9} "
            f"{r['rss_mb']:>6.0f} MB"
        )
    print(f"load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
