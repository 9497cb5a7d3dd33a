"""The optimiser step alone: µs per Adam step over the Fashion-MNIST networks' flat float32 vectors.

Sizes: 235,146 parameters (784-256-128-10, the benchmark network) and
1,333,770 (784-1024-512-10, the width-1024 network). Rows:

- ``numpy x1`` / ``numpy xT``: chainrule's NumPy kernels (the reference path,
  ``CHAINRULE_KERNELS=numpy``) on one thread / split over T threads;
- ``numba x1`` / ``numba xT``: the compiled loops of the ``fast`` extra;
- ``torch``: ``torch.optim.Adam`` on one tensor of the same size, with
  ``foreach=False`` (the per-tensor loop), ``foreach=True`` and ``fused=True``
  (when this torch has them on the CPU), on torch's own threads.

chainrule's rows include the finite check folded into the update; torch's
have none. Every row steps the same vector from the same state with the same
gradient; the rows run in interleaved rounds (a burst of load from the rest
of the machine hits one round, not one row), and the table gives the best
and the mean of the rounds, with ratios to torch's best variant. The load
average is printed before and after.

``--sweep`` measures where splitting the update over threads starts to pay
(the thresholds ``MIN_CHUNK`` and ``MIN_CHUNK_COMPILED`` of :mod:`chainrule.training.kernels`): µs per step
for 1 and T threads over sizes from 16k to 1M.

Usage::

    python benchmarks/optimizers.py [--rounds 7] [--steps 50] [--threads T] [--sweep]

This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import chainrule as cr
from chainrule.training import kernels

SIZES = {"784-256-128-10": 235_146, "784-1024-512-10": 1_333_770}


def _chainrule_step(n: int, path: str, threads: int):
    rng = np.random.default_rng(0)
    p = rng.standard_normal(n).astype(np.float32)
    g = (rng.standard_normal(n) * 1e-2).astype(np.float32)
    opt = cr.Adam(1e-3)

    def step():
        kernels.set_kernels(path)
        kernels.set_threads(threads)
        opt.step([p], [g])

    step()  # state made (and numba compiled) before timing
    return step


def _torch_step(n: int, variant: str):
    import torch

    rng = np.random.default_rng(0)
    p = torch.tensor(rng.standard_normal(n).astype(np.float32), requires_grad=True)
    p.grad = torch.tensor((rng.standard_normal(n) * 1e-2).astype(np.float32))
    options = {"loop": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}[variant]
    opt = torch.optim.Adam([p], lr=1e-3, **options)
    opt.step()  # raises here if this torch has no such variant on the CPU
    return opt.step


def _time(step, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps * 1e6


def _rows(n: int, threads: int, torch_ok: bool) -> dict:
    rows = {"numpy x1": _chainrule_step(n, "numpy", 1), f"numpy x{threads}": _chainrule_step(n, "numpy", threads)}
    try:
        import numba  # noqa: F401

        rows["numba x1"] = _chainrule_step(n, "numba", 1)
        rows[f"numba x{threads}"] = _chainrule_step(n, "numba", threads)
    except ImportError:
        print("  (numba not installed: no numba rows; pip install 'chainrule[fast]')")
    if torch_ok:
        for variant in ("loop", "foreach", "fused"):
            try:
                rows[f"torch {variant}"] = _torch_step(n, variant)
            except (RuntimeError, TypeError, ValueError) as exc:
                print(f"  (torch {variant}: not available here: {str(exc).splitlines()[0][:80]})")
    return rows


def table(rounds: int, steps: int, threads: int, torch_ok: bool) -> None:
    for name, n in SIZES.items():
        rows = _rows(n, threads, torch_ok)
        times: dict[str, list[float]] = {row: [] for row in rows}
        for _ in range(rounds):
            for row, step in rows.items():
                times[row].append(_time(step, steps))
        torch_rows = [min(t) for row, t in times.items() if row.startswith("torch")]
        best_torch = min(torch_rows) if torch_rows else None
        print(f"\nAdam, {n:,} float32 parameters ({name}); {rounds} rounds of {steps} steps, µs per step")
        print(f"{'row':<14} {'best':>9} {'mean':>9} {'vs best torch':>14}")
        for row, t in times.items():
            ratio = f"{min(t) / best_torch:.2f}x" if best_torch else "-"
            print(f"{row:<14} {min(t):>9.1f} {sum(t) / len(t):>9.1f} {ratio:>14}")
    kernels.set_kernels(None)
    kernels.set_threads(None)


def sweep(rounds: int, steps: int, threads: int) -> None:
    paths = ["numpy"]
    try:
        import numba  # noqa: F401

        paths.append("numba")
    except ImportError:
        pass
    saved = kernels.MIN_CHUNK, kernels.MIN_CHUNK_COMPILED
    kernels.MIN_CHUNK = kernels.MIN_CHUNK_COMPILED = 1024  # let every size split, to see where it pays
    try:
        print(f"\nAdam float32, µs per step on 1 and {threads} threads (best of {rounds} rounds of {steps} steps)")
        print(f"{'n':>9} " + " ".join(f"{p + ' x' + str(k):>11}" for p in paths for k in (1, threads)))
        for n in (16_384, 32_768, 65_536, 131_072, 262_144, 524_288, 1_048_576):
            steps_of = {(p, k): _chainrule_step(n, p, k) for p in paths for k in (1, threads)}
            best = {key: min(_time(step, steps) for _ in range(rounds)) for key, step in steps_of.items()}
            print(f"{n:>9} " + " ".join(f"{best[(p, k)]:>11.1f}" for p in paths for k in (1, threads)))
    finally:
        kernels.MIN_CHUNK, kernels.MIN_CHUNK_COMPILED = saved
        kernels.set_kernels(None)
        kernels.set_threads(None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--threads", type=int, default=kernels.threads(), help="T (default: every core)")
    parser.add_argument("--sweep", action="store_true", help="also measure the threshold for threads")
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)
    torch_ok = not args.no_torch
    if torch_ok:
        try:
            import torch

            print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
        except ImportError:
            torch_ok = False
    print(f"{os.cpu_count()} cores; load average before {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    table(args.rounds, args.steps, max(1, args.threads), torch_ok)
    if args.sweep:
        sweep(args.rounds, args.steps, max(2, args.threads))
    print(f"\nload average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
