"""Many networks at once: µs per network-step of cr.Ensemble on 100 XOR networks, beside 100 separate fits.

Seed 000's 2-2-1 sigmoid network (N(0, 1) init, ½-squared error summed, full
batch of 4, SGD at lr 0.1, float64), K networks with seeds 0..K-1: one
``cr.Ensemble(...).fit`` against K ``cr.Network(...).fit`` calls. Both end at
the same weights, bit for bit (checked here). The row ``floor`` times only
the step's 5 stacked matrix products (``np.matmul`` over the model axis, into
preallocated arrays: 2 forward, 2 weight gradients, 1 δ), the least a NumPy
engine that keeps each model's BLAS products (and so the bits of separate fits)
can spend. Best of ``--repeats``, with the load average before and after (the
machine may be shared).

Usage: ``python benchmarks/ensemble.py [--networks 100] [--steps 2000] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule.datasets import xor

OPTIONS = {"init": "normal", "loss": "half_squared_error", "reduction": "sum"}


def ensemble(k: int, steps: int) -> tuple[float, np.ndarray]:
    X, Y = xor()
    ens = cr.Ensemble([2, 2, 1], seeds=range(k), **OPTIONS)
    t0 = time.perf_counter()
    ens.fit(X, Y, epochs=steps, learning_rate=0.1)
    return time.perf_counter() - t0, ens.params.copy()


def separate(k: int, steps: int) -> tuple[float, np.ndarray]:
    X, Y = xor()
    nets = [cr.Network([2, 2, 1], seed=s, **OPTIONS) for s in range(k)]
    t0 = time.perf_counter()
    for net in nets:
        net.fit(X, Y, epochs=steps, learning_rate=0.1)
    return time.perf_counter() - t0, np.stack([net.params for net in nets])


def products(k: int, steps: int) -> tuple[float, None]:
    """The floor: the 5 stacked products of a 2-2-1 step for k models, nothing else."""
    X, _ = xor()
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((k, 2, 2)), rng.standard_normal((k, 1, 2))
    a1, a2, d1 = np.empty((k, 4, 2)), np.empty((k, 4, 1)), np.empty((k, 4, 2))
    g1, g2 = np.empty_like(W1), np.empty_like(W2)
    t0 = time.perf_counter()
    for _ in range(steps):
        np.matmul(X, W1.mT, out=a1)
        np.matmul(a1, W2.mT, out=a2)
        np.matmul(a2.mT, a1, out=g2)
        np.matmul(a2, W2, out=d1)
        np.matmul(d1.mT, X, out=g1)
    return time.perf_counter() - t0, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--networks", type=int, default=100)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-separate", action="store_true", help="time the ensemble only")
    args = parser.parse_args()
    k, steps = args.networks, args.steps
    load = Path("/proc/loadavg").read_text().split()[:3]
    best = {"ensemble": float("inf"), "separate": float("inf"), "floor": float("inf")}
    for _ in range(args.repeats):
        best["floor"] = min(best["floor"], products(k, steps)[0])
        t, p_ens = ensemble(k, steps)
        best["ensemble"] = min(best["ensemble"], t)
        if not args.no_separate:
            t, p_sep = separate(k, steps)
            best["separate"] = min(best["separate"], t)
            assert np.array_equal(p_ens, p_sep), "the ensemble and the separate fits must end at the same weights"
    after = Path("/proc/loadavg").read_text().split()[:3]
    print(f"{k} XOR 2-2-1 networks, {steps} full-batch steps each, best of {args.repeats}; numpy {np.__version__}")
    print(f"load average before {' '.join(load)}, after {' '.join(after)}")
    print("peer                        µs/network-step  vs floor")
    labels = {
        "ensemble": "cr.Ensemble (one fit)",
        "separate": f"{k} separate Network.fit",
        "floor": "floor (5 stacked products)",
    }
    for name, t in best.items():
        if t < float("inf"):
            print(f"{labels[name]:<28}{t / (k * steps) * 1e6:>10.3f}{t / best['floor']:>13.2f}x")


if __name__ == "__main__":
    main()
