"""Memory: Fashion-MNIST for N epochs, resident set size (RSS) after every epoch.

The model is the Fashion-MNIST recipe's dense network (784-512-256-10,
ReLU, dropout 0.2, Adam, batch 128, float32, validation on the test set
every epoch), on the images as bytes (``dtype="uint8"``, 55 MB) that the
network scales batch by batch (``input_scale=1/255``); ``--float32`` loads
the float32 pixels instead (219 MB), for comparison. RSS is read from
``/proc/self/statm`` (Linux) after the data
are loaded, after the network is built, and at the end of every epoch (a
callback); the run fails (exit 1) when RSS after the last epoch exceeds RSS
after the first by more than ``--tolerance-mb`` (default 2 MB: allocator
noise, not a leak, which would grow with every epoch). The last line gives
the peak RSS of the whole run (``ru_maxrss``, loading included).

Usage::

    python benchmarks/memory.py                 # 10 epochs on the full training set
    python benchmarks/memory.py --epochs 3 --samples 10000

Needs the Fashion-MNIST files (``apt-get install dataset-fashion-mnist``
or ``--data-dir``). This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time


def rss_mb() -> float:
    """The process's resident set size now, in MB (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--samples", type=int, default=None, help="train on the first N images (default all)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--tolerance-mb", type=float, default=2.0)
    parser.add_argument("--float32", action="store_true", help="load float32 pixels (no input_scale), as before")
    args = parser.parse_args(argv)

    import chainrule as cr
    from chainrule.training.callbacks import Callback

    start = rss_mb()
    dtype, scale = ("float32", None) if args.float32 else ("uint8", 1 / 255)
    (X, y), (X_test, y_test) = cr.datasets.load_fashion_mnist(args.data_dir, dtype=dtype)
    if args.samples:
        X, y = X[: args.samples], y[: args.samples]
    loaded = rss_mb()
    net = cr.Network(
        [784, 512, 256, 10],
        activation="relu",
        loss="cross_entropy",
        init="he",
        dtype="float32",
        seed=0,
        input_scale=scale,
    )
    built = rss_mb()

    class Measure(Callback):
        def __init__(self):
            self.rss, self.seconds, self.t = [], [], time.perf_counter()

        def on_epoch_end(self, net, epoch, logs):
            now = time.perf_counter()
            self.rss.append(rss_mb())
            self.seconds.append(now - self.t)
            self.t = now
            print(
                f"epoch {epoch + 1:2d}  RSS {self.rss[-1]:8.1f} MB  loss {logs['loss']:.4f}  "
                f"val_accuracy {logs['val_accuracy']:.4f}  {self.seconds[-1]:.1f} s",
                flush=True,
            )

    measure = Measure()
    print(
        f"python start {start:.1f} MB, data loaded {loaded:.1f} MB ({len(X)} training images, {X.dtype}), "
        f"network built {built:.1f} MB"
    )
    net.fit(
        X,
        y,
        epochs=args.epochs,
        learning_rate=1e-3,
        batch_size=128,
        optimizer="adam",
        dropout=0.2,
        validation_data=(X_test, y_test),
        callbacks=[measure],
    )
    growth = measure.rss[-1] - measure.rss[0]
    print(
        f"RSS after epoch 1: {measure.rss[0]:.1f} MB; after epoch {args.epochs}: {measure.rss[-1]:.1f} MB; "
        f"growth {growth:+.1f} MB; max over epochs {max(measure.rss):.1f} MB"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"peak RSS of the run (ru_maxrss, loading included): {peak:.1f} MB")
    if growth > args.tolerance_mb:
        print(f"FAIL: RSS grew by {growth:.1f} MB after the first epoch (tolerance {args.tolerance_mb} MB)")
        return 1
    print("ok: RSS does not grow after the first epoch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
