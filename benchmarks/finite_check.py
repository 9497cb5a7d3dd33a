"""The cost of the finite checks in a training step (issue 15): with them, without them, and the separate pass.

A step of ``fit`` checks twice: before the update, that the loss and the
gradient are finite (one dot product ‖g‖²), and after it, that every updated
parameter and optimiser state value is finite. The built-in optimisers fold
the second check into their update (``step`` returns it: ``kernels.py``);
an optimiser whose ``step`` returns None gets a separate pass
(``updated_values_finite``). This times one ``train_step`` of the
Fashion-MNIST recipe's network (784-256-128-10, ReLU, Adam, batch 128,
float32, random data of that shape) three ways, in interleaved rounds:

- ``no check``: ``check_finite=False``;
- ``checked``: ``check_finite=True``, as ``fit`` runs (the flag from the update);
- ``checked + separate pass``: as above, plus ``updated_values_finite`` after
  each step, what a flag-less optimiser costs.

Prints the best and mean µs per step of each and the differences, with the
load average before and after; the kernels path in use (numba with the
``fast`` extra, else NumPy) is printed too. A benchmark, not a test.

Usage::

    python benchmarks/finite_check.py                 # 7 rounds of 200 steps
    python benchmarks/finite_check.py --rounds 11 --steps 300
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import chainrule as cr
from chainrule.core.network import Workspace
from chainrule.training import kernels
from chainrule.training.loop import train_step, updated_values_finite


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    rng = np.random.default_rng(0)
    X = rng.random((args.batch_size, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.batch_size)
    net = cr.Network([784, 256, 128, 10], activation="relu", loss="cross_entropy", seed=0, dtype="float32")
    X, y = net.check_XY(X, y)  # as fit hands them to the engine
    opt = cr.Adam(1e-3)
    work = Workspace(net, args.batch_size, 0.0, gather=False)

    def no_check():
        train_step(net, opt, X, y, work, None, False)

    def checked():
        train_step(net, opt, X, y, work, None, True)

    def separate():
        train_step(net, opt, X, y, work, None, True)
        updated_values_finite(net.params, opt)

    ways = {"no check": no_check, "checked": checked, "checked + separate pass": separate}
    times: dict[str, list[float]] = {name: [] for name in ways}
    with np.errstate(over="ignore", invalid="ignore"):
        for step in ways.values():  # warm-up: buffers, the compiled kernels
            for _ in range(5):
                step()
        for _ in range(args.rounds):
            for name, step in ways.items():
                start = time.perf_counter()
                for _ in range(args.steps):
                    step()
                times[name].append((time.perf_counter() - start) / args.steps * 1e6)
    load_after = os.getloadavg()
    print(
        f"one train_step of 784-256-128-10 (Adam, batch {args.batch_size}, float32, {net.params.size:,} parameters), "
        f"kernels: {kernels.kernels_in_use(net.params.size)}; best and mean of {args.rounds} interleaved rounds "
        f"of {args.steps} steps"
    )
    print(
        f"load average before {load_before[0]:.2f} {load_before[1]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f}"
    )
    base = min(times["no check"])
    print(f"{'':26} {'best µs':>9} {'mean µs':>9} {'best − no check':>16}")
    for name, values in times.items():
        best = min(values)
        print(f"{name:26} {best:9.1f} {np.mean(values):9.1f} {best - base:+13.1f} ({(best - base) / base:+.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
