"""Where the compiled tiny-network loop pays: µs per full-batch step, NumPy engine vs compiled, by size.

The sweep trains networks [n_in, h, 1] (sigmoid, ½-squared error, mean, plain SGD) on n random rows
through ``Network.fit``, once with ``CHAINRULE_KERNELS=numpy`` and once with ``numba``, best of
``--repeats``, and prints the work of a step (n_samples × n_parameters, the multiply-adds of one
forward pass) beside both times: the largest work at which the compiled loop still wins is
``chainrule.training.tiny.MAX_WORK``.

``--load`` measures instead what the first compiled fit of a fresh process costs: importing numba and
loading the loop from numba's cache (cache=True), and, with an empty cache (a new NUMBA_CACHE_DIR),
compiling it; ``MIN_EPOCHS`` is that load cost over a NumPy step of the smallest networks.

``--wide`` measures where :func:`chainrule.training.tiny.train_many`'s wide loop (the model axis in SIMD
lanes) beats its scalar loop (network after network): µs per network-step of K networks trained in one
call on each loop, by K, for XOR's 2-2-1 and a [8, 16, 1] network on 64 rows (interleaved, best of
``--repeats``): the smallest K from which the wide loop wins is ``chainrule.training.tiny.MIN_WIDE``.

Usage: ``python benchmarks/tiny_sweep.py [--repeats 3] [--dtype float64] [--load | --wide]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import chainrule as cr
from chainrule.training import kernels

SIZES = [  # (n_samples, n_in, hidden)
    (4, 2, 2),
    (16, 4, 8),
    (32, 4, 8),
    (32, 8, 8),
    (64, 8, 8),
    (64, 8, 16),
    (128, 8, 16),
    (128, 16, 32),
    (512, 32, 64),
]


def step_time(path: str, n: int, n_in: int, hidden: int, dtype: str, repeats: int) -> tuple[float, int]:
    """Best µs per step of a fit on ``path``, and the network's number of parameters."""
    kernels.set_kernels(path)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, n_in)).astype(dtype)
    Y = rng.random((n, 1)).astype(dtype)
    net = cr.Network([n_in, hidden, 1], seed=0, dtype=dtype)
    net.fit(X, Y, epochs=2, learning_rate=0.01)  # warm: numba loaded, buffers touched
    work = n * net.n_parameters
    epochs = max(20, int(2e8 / (work * (3 if path == "numba" else 1) + 30_000)))  # about 0.1-0.3 s a run
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        net.fit(X, Y, epochs=epochs, learning_rate=0.01, warn=False)
        best = min(best, time.perf_counter() - t0)
    return best / epochs * 1e6, net.n_parameters


def _loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def sweep(args) -> None:
    print(f"load before: {_loadavg()}")
    print(f"{'n':>6} {'sizes':>14} {'work n*P':>10} {'numpy µs':>10} {'numba µs':>10} {'ratio':>7}")
    for n, n_in, hidden in SIZES:
        numpy_us, n_params = step_time("numpy", n, n_in, hidden, args.dtype, args.repeats)
        numba_us, _ = step_time("numba", n, n_in, hidden, args.dtype, args.repeats)
        sizes = f"[{n_in},{hidden},1]"
        print(
            f"{n:>6} {sizes:>14} {n * n_params:>10} {numpy_us:>10.2f} {numba_us:>10.2f} {numpy_us / numba_us:>6.2f}x",
            flush=True,
        )
    print(f"load after: {_loadavg()}")


_FIRST_FIT = """
import time
t0 = time.perf_counter()
import numpy as np
import chainrule as cr
from chainrule.training import kernels
kernels.set_kernels("numba")
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
net = cr.Network([2, 2, 1], seed=0, dtype="{dtype}")
t1 = time.perf_counter()
net.fit(X.astype("{dtype}"), [[0], [1], [1], [0]], epochs=1)
t2 = time.perf_counter()
print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}}")
"""


def load(args) -> None:
    print(f"load before: {_loadavg()}")
    code = _FIRST_FIT.format(dtype=args.dtype)
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("empty cache (compiles)", "cached (second process)", "cached (third process)"):
            out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            imports, first_fit = out.stdout.split()
            print(f"{label:<26} import chainrule {imports} s, first compiled fit {first_fit} s (imports numba)")
    print(f"load after: {_loadavg()}")


def wide(args) -> None:
    from chainrule.training import tiny

    print(f"load before: {_loadavg()}")
    print(f"{'sizes':>12} {'n':>4} {'K':>5} {'scalar µs':>10} {'wide µs':>10} {'ratio':>7}   (per network-step)")
    for n, sizes in ((4, [2, 2, 1]), (64, [8, 16, 1])):
        rng = np.random.default_rng(0)
        net = cr.Network(sizes, seed=0, dtype=args.dtype)
        X, Y = net.check_XY(rng.standard_normal((n, sizes[0])), rng.random((n, 1)))
        for K in (1, 2, 3, 4, 6, 8, 12, 16, 32, 100):
            start = np.ascontiguousarray(net.params + 0.1 * rng.standard_normal((K, net.n_parameters)), net.dtype)
            epochs = max(20, int(3e6 / (K * n * net.n_parameters)))
            best = {"scalar": np.inf, "wide": np.inf}
            for _ in range(args.repeats):
                for loop, min_wide in (("scalar", 10**9), ("wide", 1)):
                    tiny.MIN_WIDE = min_wide
                    params = start.copy()
                    t0 = time.perf_counter()
                    tiny.train_many(net, params, np.full(K, 0.01), X, Y, epochs, cr.SGD())
                    best[loop] = min(best[loop], (time.perf_counter() - t0) / (K * epochs) * 1e6)
            print(
                f"{sizes!s:>12} {n:>4} {K:>5} {best['scalar']:>10.3f} {best['wide']:>10.3f} "
                f"{best['scalar'] / best['wide']:>6.2f}x",
                flush=True,
            )
    print(f"load after: {_loadavg()}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--load", action="store_true", help="measure the first compiled fit of a fresh process")
    parser.add_argument("--wide", action="store_true", help="train_many's wide loop against its scalar loop, by K")
    args = parser.parse_args(argv)
    (load if args.load else wide if args.wide else sweep)(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
