"""Fault injection: ``kill -9`` at random moments during checkpointed training.

Each trial runs ``chainrule train`` on a CSV with ``--checkpoint`` saved
after every epoch (a 2-64-64-2 network on 4,000 two-moons points, batch
32, so saves are frequent and kills land inside saves as well as between
them), resuming (``--resume``) from the checkpoint the last kill left, and
sends SIGKILL after a random delay. Then it checks what the kill left:

- the checkpoint, once one was written, loads (``chainrule.load``), has
  the right sizes and at least the epochs of the one before: a save is
  atomic, so the file is the previous complete checkpoint or the new one,
  never a torn one;
- the next trial resumes from it (a run that exits before its kill, i.e.
  with an error, breaks the rule);
- no orphan: after the next save into the directory (one ``net.save`` of a
  fresh network beside the checkpoint), no ``.chainrule-*.npz.tmp`` file
  is left, although a killed save leaves one behind.

Prints one line per outcome and a summary; exits 1 if any trial broke one
of the rules. This is a benchmark (a soak), not a unit test: it takes
about a minute per 50 trials on 2 cores.

Usage::

    python benchmarks/kill_soak.py                 # 100 trials
    python benchmarks/kill_soak.py --trials 20 --seed 1
"""

from __future__ import annotations

import argparse
import glob
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import chainrule as cr


def _data(path: str) -> None:
    X, y = cr.datasets.moons(4000, noise=0.2, seed=0)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("x1,x2,label\n")
        for row, label in zip(X, y):
            fh.write(f"{row[0]:.6f},{row[1]:.6f},{int(label)}\n")


def _train_command(data: str, checkpoint: str, resume: bool) -> list[str]:
    return [
        sys.executable,
        "-m",
        "chainrule",
        "train",
        data,
        "--layers",
        "64,64",
        "--batch-size",
        "32",
        "--epochs",
        "100000",  # killed long before
        "--quiet",
        "--checkpoint",
        checkpoint,
        *(["--resume", checkpoint] if resume else []),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-delay", type=float, default=4.0, help="kill after up to this many seconds")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    counts = {
        "started fresh": 0,
        "resumed from the last survivor": 0,
        "killed before its first checkpoint": 0,
        "checkpoint loaded after the kill": 0,
        "orphan left by the kill": 0,
    }
    failures: list[str] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "moons.csv")
        _data(data)
        checkpoint = os.path.join(tmp, "ck.npz")
        log = os.path.join(tmp, "stderr.txt")
        trained = 0
        for trial in range(args.trials):
            resume = os.path.exists(checkpoint)
            counts["resumed from the last survivor" if resume else "started fresh"] += 1
            with open(log, "w") as err:
                process = subprocess.Popen(
                    _train_command(data, checkpoint, resume), stdout=subprocess.DEVNULL, stderr=err
                )
                time.sleep(rng.uniform(0.3, args.max_delay))  # python and numpy start in about 0.3 s
                status = process.poll()
                process.send_signal(signal.SIGKILL)
                process.wait()
            if status is not None:  # it ended before the kill: only an error ends a run of 100,000 epochs
                with open(log) as err:
                    failures.append(f"trial {trial}: train exited {status} before the kill: {err.read()[-300:]}")
                continue
            orphans = glob.glob(os.path.join(tmp, ".chainrule-*.npz.tmp"))
            counts["orphan left by the kill"] += bool(orphans)
            if not os.path.exists(checkpoint):
                counts["killed before its first checkpoint"] += 1
            else:
                try:
                    net = cr.load(checkpoint)
                    if net.sizes != [2, 64, 64, 2]:
                        raise ValueError(f"sizes {net.sizes}")
                    if net.epochs_trained_ < trained:
                        raise ValueError(f"{net.epochs_trained_} epochs, fewer than the {trained} saved before")
                    trained = net.epochs_trained_
                    counts["checkpoint loaded after the kill"] += 1
                except Exception as exc:  # a torn, wrong or older file: the rules this soak exists for
                    failures.append(f"trial {trial}: the checkpoint does not load or went back: {exc}")
                    os.remove(checkpoint)
            cr.Network([2, 3, 1], seed=0).save(os.path.join(tmp, "next.npz"))
            left = glob.glob(os.path.join(tmp, ".chainrule-*.npz.tmp"))
            if left:
                failures.append(f"trial {trial}: orphans left after the next save: {left}")
        print(
            f"{args.trials} trials of kill -9 during checkpointed training, {trained} epochs trained in all "
            f"(load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after)"
        )
    for what, n in counts.items():
        print(f"  {what}: {n}")
    print(f"  rules broken: {len(failures)}")
    for line in failures:
        print("   ", line)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
