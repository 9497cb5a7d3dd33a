"""Data-parallel training over MPI: 1 rank against 2 on Fashion-MNIST, with the communication's share.

The model of ``benchmarks/fashion_mnist.py``: 784-256-128-10, ReLU, softmax
cross-entropy, Adam (lr 1e-3), global batches of 128, float32, trained with
:func:`chainrule.distributed.fit` on the 60,000 training images, each rank
holding its shard. Every configuration runs ``--repeats`` times in fresh
``mpiexec -n R`` processes of ``--epochs`` epochs (the configurations taking
turns); the table keeps the best epoch of all (best of N), and gives for it:

- ``s/epoch``: wall time of one epoch on rank 0;
- ``comm``: the share of that epoch rank 0 spent inside ``Allreduce`` (the
  transfer and the wait for the slower rank), measured by timing every call;
- ``allreduce``: the time of one bare ``Allreduce`` of the step's buffer
  (235,148 float32 values, 0.94 MB), best of 200, with no compute around it:
  the transfer alone;
- ``step``: the epoch's time per step (469 steps), and ``compute``: its part
  outside ``Allreduce`` (forward, backward, update: half the rows on 2 ranks,
  so about half the 1-rank step when each rank has a core to itself);
- ``loss``: the first epoch's training loss (the same whatever the ranks: the same batches).

It ends with the README's model of N machines (see "Scaling out"): one step
costs T_b/N of forward and backward (T_b: the measured 1-rank step less the
update), plus T_u, the optimiser's update, which every rank makes on all the
weights, plus a ring allreduce of S bytes, 2(N−1)·α + 2(N−1)/N·S/β, for a
network of latency α and bandwidth β (``--latency-us``, ``--bandwidth-gbs``;
10 GbE by default).

Each rank runs one OpenBLAS thread (``OMP_NUM_THREADS=1``; ``--threads``
to change it), so 2 ranks use the 2 cores that 1 rank leaves half idle; the load average before and after
is printed, since other work on the machine slows every figure.

Usage::

    python benchmarks/distributed.py                      # 1 and 2 ranks, 2 epochs, best of 3
    python benchmarks/distributed.py --ranks 1,2 --epochs 3 --repeats 5
    python benchmarks/distributed.py --equality           # 2 ranks against 1 process: the weights' difference

``--equality`` trains the model on 2 ranks and, on rank 0, the same model in
one process (``Network.fit`` on all the rows), and prints the largest
difference of their weights and losses: float64 full batch with
``reduction="sum"`` and ``"mean"`` (6,000 images, 5 epochs), and float32
mini-batches (60,000 images, 1 epoch) with SGD and with Adam, whose
per-weight normalisation amplifies rounding: for scale, the float32 Adam run
is also compared with the same run in float64.

This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

SIZES = (784, 256, 128, 10)
BATCH_SIZE = 128
LEARNING_RATE = 1e-3


class _TimedComm:
    """A communicator that adds up the seconds spent in Allreduce (everything else passes through)."""

    def __init__(self, comm):
        self.comm = comm
        self.seconds = 0.0
        self.calls = 0

    def Allreduce(self, *args, **kwargs):
        start = time.perf_counter()
        self.comm.Allreduce(*args, **kwargs)
        self.seconds += time.perf_counter() - start
        self.calls += 1

    def __getattr__(self, name):
        return getattr(self.comm, name)


def worker(epochs: int, seed: int) -> None:
    """One rank: train ``epochs`` epochs one at a time, time each and its Allreduce; rank 0 prints JSON."""
    import numpy as np

    import chainrule as cr
    from chainrule import distributed

    comm = distributed.world()
    rank = comm.Get_rank()
    (X, y), _ = cr.datasets.load_fashion_mnist(dtype="float32")
    X, y = distributed.shard(X, y, comm=comm)
    net = cr.Network(list(SIZES), activation="relu", loss="cross_entropy", init="he", seed=seed, dtype="float32")
    timed = _TimedComm(comm)
    epochs_out = []
    for _ in range(epochs):
        comm.Barrier()
        timed.seconds, timed.calls = 0.0, 0
        start = time.perf_counter()
        history = distributed.fit(
            net, X, y, comm=timed, epochs=1, batch_size=BATCH_SIZE, optimizer="adam", learning_rate=LEARNING_RATE
        )
        seconds = time.perf_counter() - start
        epochs_out.append({"seconds": seconds, "comm": timed.seconds, "calls": timed.calls, "loss": history.loss[-1]})
    buffer = np.zeros(net.params.size + 2, dtype=np.float32)
    from mpi4py import MPI

    bare = []
    for _ in range(200):
        comm.Barrier()
        start = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        bare.append(time.perf_counter() - start)
    # The update that every rank repeats on all the weights: Adam's step alone, on a copy of the network.
    copy, adam = net.astype("float32"), cr.optimizers.get_optimizer("adam", LEARNING_RATE)
    update = []
    for _ in range(50):
        start = time.perf_counter()
        adam.step([copy.params], [copy.grads])
        update.append(time.perf_counter() - start)
    if rank == 0:
        result = {"epochs": epochs_out, "allreduce": min(bare), "values": int(buffer.size), "update": min(update)}
        print(json.dumps(result))


def equality(seed: int) -> None:
    """2 ranks against one process on the same model and data; rank 0 prints the differences."""
    import numpy as np

    import chainrule as cr
    from chainrule import distributed

    comm = distributed.world()
    (X_all, y_all), _ = cr.datasets.load_fashion_mnist(dtype="float32")
    cases = [
        ("float64 full batch, sum, SGD", "float64", "sum", 6000, None, 5, "sgd", 1e-4),
        ("float64 full batch, mean, Adam", "float64", "mean", 6000, None, 5, "adam", 1e-3),
        ("float32 batches of 128, mean, SGD", "float32", "mean", 60000, BATCH_SIZE, 1, "sgd", 0.05),
        ("float32 batches of 128, mean, Adam", "float32", "mean", 60000, BATCH_SIZE, 1, "adam", 1e-3),
    ]
    for name, dtype, reduction, rows, batch_size, epochs, optimizer, lr in cases:
        X, y = X_all[:rows].astype(dtype), y_all[:rows]

        make = functools.partial(
            cr.Network,
            list(SIZES),
            activation="relu",
            loss="cross_entropy",
            reduction=reduction,
            seed=seed,
            dtype=dtype,
        )
        net = make()
        Xs, ys = distributed.shard(X, y, comm=comm)
        h = distributed.fit(net, Xs, ys, epochs=epochs, batch_size=batch_size, optimizer=optimizer, learning_rate=lr)
        if comm.Get_rank() == 0:
            ref = make()
            hr = ref.fit(X, y, epochs=epochs, batch_size=batch_size, optimizer=optimizer, learning_rate=lr)
            dw = float(np.abs(net.params.astype(float) - ref.params).max())
            dl = max(abs(a - b) / abs(b) for a, b in zip(h.loss, hr.loss))
            moved = float(np.abs(ref.params.astype(float) - make().params).max())
            print(f"{name:<36} max|Δw| {dw:.1e} (weights moved up to {moved:.2f})  max relative Δloss {dl:.1e}")
            if (
                dtype == "float32" and optimizer == "adam"
            ):  # Adam amplifies rounding: float32 against float64, for scale
                wide = cr.Network(list(SIZES), activation="relu", loss="cross_entropy", seed=seed)
                wide.fit(
                    X.astype("float64"), y, epochs=epochs, batch_size=batch_size, optimizer=optimizer, learning_rate=lr
                )
                print(
                    f"{'  (1 process: float32 against float64)':<36} "
                    f"max|Δw| {np.abs(ref.params - wide.params).max():.1e}"
                )


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _mpiexec() -> str:
    found = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which("mpiexec")
    if found is None:
        raise SystemExit("no mpiexec: pip install 'chainrule[mpi]' (mpi4py and MPICH's wheel)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", default="1,2", help="comma-separated rank counts (default 1,2)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per run (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per rank count: best of N (default 3)")
    parser.add_argument("--latency-us", type=float, default=30.0, help="the model's network latency α (default 30)")
    parser.add_argument("--bandwidth-gbs", type=float, default=1.1, help="the model's bandwidth β, GB/s (default 1.1)")
    parser.add_argument("--threads", type=int, default=1, help="OpenBLAS threads per rank (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--equality", action="store_true", help="2 ranks against 1 process: the weights' difference")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        (equality if args.equality else lambda seed: worker(args.epochs, seed))(args.seed)
        return 0
    mpiexec = _mpiexec()
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads))
    if args.equality:
        cmd = [mpiexec, "-n", "2", sys.executable, __file__, "--worker", "--equality", "--seed", str(args.seed)]
        print(subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout, end="")
        return 0
    print(f"load average before: {_load_average()}")
    rows = []
    counts = [int(r) for r in args.ranks.split(",")]
    runs: dict[int, list] = {ranks: [] for ranks in counts}
    for _ in range(args.repeats):  # interleaved, so that a slow spell of the machine hits every rank count
        for ranks in counts:
            cmd = [mpiexec, "-n", str(ranks), sys.executable, __file__, "--worker", "--epochs", str(args.epochs)]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
            runs[ranks].append(json.loads(out.strip().splitlines()[-1]))
    for ranks in counts:
        done = runs[ranks]
        best = min((e for run in done for e in run["epochs"]), key=lambda e: e["seconds"])
        first_loss = done[0]["epochs"][0]["loss"]
        update = min(run["update"] for run in done)
        rows.append((ranks, best, min(run["allreduce"] for run in done), done[0]["values"], first_loss, update))
    print(f"load average after:  {_load_average()}")
    base = rows[0][1]["seconds"]
    print(
        f"\n784-256-128-10, Adam, global batch {BATCH_SIZE}, float32, 60,000 images, {args.threads} BLAS thread(s) "
        f"per rank; best epoch of {args.repeats} runs x {args.epochs} epochs"
    )
    header = ("ranks", "s/epoch", "speed-up", "comm", "step", "compute", "allreduce", "loss 1")
    print("  ".join(f"{h:>{w}}" for h, w in zip(header, (5, 8, 8, 6, 8, 8, 9, 7))))
    steps = -(-60000 // BATCH_SIZE)
    for ranks, best, bare, _, first_loss, _ in rows:
        print(
            f"{ranks:>5}  {best['seconds']:>8.2f}  {base / best['seconds']:>7.2f}x  "
            f"{best['comm'] / best['seconds']:>6.1%}  {1e3 * best['seconds'] / steps:>6.2f}ms  "
            f"{1e3 * (best['seconds'] - best['comm']) / steps:>6.2f}ms  "
            f"{1e3 * bare:>7.3f}ms  {first_loss:>7.4f}"
        )
    values = rows[0][3]
    print(f"(the Allreduce buffer: {values} float32 values = {values * 4 / 1e6:.2f} MB per step)")
    if rows[0][0] == 1:
        _model(rows[0][1]["seconds"] / steps, rows[0][5], values * 4, args)
    return 0


def _model(step_seconds: float, update_seconds: float, size: int, args) -> None:
    """The step on N machines: T_b·B/(128·N) + T_u + a ring allreduce, 2(N−1)α + 2(N−1)/N·S/β.

    T_b is the measured 1-rank step less T_u, the update (every rank updates all the weights: it does not shrink).
    """
    alpha, beta = args.latency_us * 1e-6, args.bandwidth_gbs * 1e9
    t_u = update_seconds
    print(
        f"\nModel, N machines (α = {args.latency_us:g} µs, β = {args.bandwidth_gbs:g} GB/s, S = {size / 1e6:.2f} MB; "
        f"from the 1-rank step above: T_b = {1e3 * (step_seconds - t_u):.2f} ms of forward and backward per batch of "
        f"{BATCH_SIZE}, T_u = {1e3 * t_u:.2f} ms of Adam update)"
    )
    print(f"{'N':>4}  {'batch':>5}  {'compute':>9}  {'allreduce':>9}  {'comm':>6}  {'speed-up':>8}")
    for batch in (BATCH_SIZE, 8 * BATCH_SIZE):
        t_b = (step_seconds - t_u) * batch / BATCH_SIZE
        for n in (1, 2, 4, 8, 16, 32):
            t_ar = 0.0 if n == 1 else 2 * (n - 1) * alpha + 2 * (n - 1) / n * size / beta
            compute = t_b / n + t_u
            step = compute + t_ar
            print(
                f"{n:>4}  {batch:>5}  {1e3 * compute:>7.2f}ms  {1e3 * t_ar:>7.2f}ms  {t_ar / step:>6.1%}  "
                f"{(t_b + t_u) / step:>7.2f}x"
            )


if __name__ == "__main__":
    sys.exit(main())
