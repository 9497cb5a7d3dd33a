"""The ``train``, ``evaluate`` and ``predict`` subcommands of the ``chainrule`` command.

::

    chainrule train DATA --layers 256,128 [--activation relu] [--optimizer adam] [--epochs 10]
                    [--batch-size 128] [--learning-rate 0.001] [--dropout P] [--weight-decay L]
                    [--schedule cosine] [--validation-split F] [--early-stopping N]
                    [--dtype float32] [--seed S] [--save MODEL.npz] [--checkpoint PATH [--checkpoint-every N]] [--quiet]
    chainrule evaluate MODEL.npz DATA [--json]
    chainrule predict MODEL.npz DATA [--output FILE] [--probabilities]

DATA is a numeric CSV file (the target in the last column, or ``--target``;
a header line is detected), the word ``fashion-mnist`` (the training set
for ``train``, the test set for ``evaluate`` and ``predict``; ``--data-dir``
points to the IDX files when they are not where the Debian package puts
them) or a toy set's name (200 points, seed 0); see :mod:`chainrule.cli.data`.
Integer targets make a classifier (softmax + cross-entropy, one output per
class); other targets a regressor (identity output, ``mse``).

``--mpi`` trains one network over the processes ``mpiexec -n N chainrule train ... --mpi`` starts
(extra ``mpi``; :mod:`chainrule.distributed`): each reads the data, keeps its shard of the training
rows and the whole validation split; rank 0 alone prints, checkpoints and saves.

``--checkpoint PATH`` saves after every epoch (every N-th with
``--checkpoint-every N``, and after the last); Ctrl-C stops ``train`` after
the batch in progress, saves there, prints where, and exits with status 130.

Every handler returns an exit status; bad input raises ``ValueError`` or
``OSError``, which ``chainrule.cli.main`` turns into status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from typing import Any

import numpy as np

from .. import distributed
from ..core.activations import ACTIVATIONS
from ..core.network import Network
from ..datasets import train_validation_split
from ..io import load
from ..training.callbacks import Checkpoint, Snapshots
from ..training.loop import evaluate
from ..training.optimizers import OPTIMIZERS
from ..training.schedules import SCHEDULES
from .data import resolve_data, sources_help
from .outputs import write_html_report, write_training_plots

__all__ = ["add_parsers"]


def add_parsers(subparsers) -> None:
    """Add ``train``, ``evaluate`` and ``predict`` to an argparse subparsers object."""

    p = subparsers.add_parser("train", help="train a network on a CSV file or Fashion-MNIST and save it")
    _data_arguments(p)
    p.add_argument("--layers", default="", help="hidden layer sizes, comma-separated (e.g. 256,128; default none)")
    p.add_argument("--activation", default="relu", choices=sorted(set(ACTIVATIONS) - {"softmax"}))
    p.add_argument("--loss", default=None, help="default: cross_entropy for integer targets, mse otherwise")
    p.add_argument("--optimizer", default="adam", choices=sorted(OPTIMIZERS))
    p.add_argument("--epochs", type=_int_at_least(1), default=10)
    p.add_argument("--batch-size", type=_int_at_least(1), default=128)
    p.add_argument("--learning-rate", type=_positive_float, default=1e-3)
    p.add_argument("--dropout", type=float, default=0.0, help="dropout on hidden layers, in [0, 1)")
    p.add_argument("--weight-decay", type=float, default=None, help="L2 penalty added to the gradient")
    p.add_argument("--schedule", default=None, choices=sorted(SCHEDULES))
    p.add_argument(
        "--validation-split", type=float, default=None, help="hold out this fraction for validation (shown each epoch)"
    )
    p.add_argument(
        "--early-stopping",
        type=_int_at_least(1),
        default=None,
        metavar="PATIENCE",
        help="stop after PATIENCE epochs without validation improvement (needs --validation-split)",
    )
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", default=None, metavar="MODEL", help="write the trained network here (.npz)")
    p.add_argument(
        "--checkpoint",
        default=None,
        metavar="PATH",
        help="save the network here after every epoch and on Ctrl-C ({epoch} in PATH: one file each)",
    )
    p.add_argument(
        "--checkpoint-every",
        type=_int_at_least(1),
        default=1,
        metavar="N",
        help="with --checkpoint: save after every N-th epoch (and after the last)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--mpi", action="store_true", help="data-parallel over the ranks of mpiexec -n N (extra 'mpi')")
    p.add_argument("--plot", default=None, metavar="DIR", help="write the training plots (PNG) here (needs matplotlib)")
    p.add_argument("--html-report", default=None, metavar="DIR", help="write a training report page (report.html) here")
    p.set_defaults(func=_train)

    p = subparsers.add_parser("evaluate", help="loss and accuracy of a saved network on data")
    p.add_argument("model", help="a network saved by `chainrule train --save` or Network.save")
    _data_arguments(p)
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=_evaluate)

    p = subparsers.add_parser("predict", help="predictions of a saved network, one CSV line per sample")
    p.add_argument("model", help="a network saved by `chainrule train --save` or Network.save")
    _data_arguments(p, target_default=None)
    p.add_argument("--output", default=None, help="write here instead of standard output")
    p.add_argument("--probabilities", action="store_true", help="the output layer's values, not class labels")
    p.set_defaults(func=_predict)


def _data_arguments(p: argparse.ArgumentParser, target_default: Any = "-1") -> None:
    p.add_argument("data", help=sources_help())
    help_target = (
        "the target column of the CSV: index or header name (default: the last)"
        if target_default is not None
        else "a column of the CSV to leave out (its target), by index or name (default: none)"
    )
    p.add_argument("--target", default=target_default, help=help_target)
    p.add_argument("--data-dir", default=None, help="directory of the Fashion-MNIST IDX files")


def _int_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}; got {value}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0; got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0; got {value}")
    return value


def _load(args, split: str):
    """(X, y) of the data argument; ``split`` is "train" or "test" for Fashion-MNIST."""
    return resolve_data(args.data, target=args.target, split=split, data_dir=args.data_dir)


def _layers(text: str) -> list[int]:
    if not text.strip():
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"--layers must be comma-separated integers such as 256,128; got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise ValueError(f"--layers sizes must be >= 1; got {text!r}")
    return sizes


def _train(args) -> int:

    X, y = _load(args, "train")
    classifier = np.issubdtype(y.dtype, np.integer)
    loss = args.loss or ("cross_entropy" if classifier else "mse")
    if loss == "cross_entropy":
        if not classifier or y.min() < 0:
            raise ValueError("--loss cross_entropy needs integer class labels >= 0 in the target column")
        n_out = int(y.max()) + 1
        Y = y
    else:
        n_out = 1
        Y = y.reshape(-1, 1).astype(np.float64)
    validation = None
    if args.validation_split is not None:
        X, X_val, Y, Y_val = train_validation_split(X, Y, args.validation_split, seed=args.seed)
        validation = (X_val, Y_val)
    elif args.early_stopping is not None:
        raise ValueError("--early-stopping needs --validation-split to watch the validation loss")
    if args.checkpoint_every != 1 and not args.checkpoint:
        raise ValueError("--checkpoint-every needs --checkpoint PATH (where to save)")
    checkpoint = Checkpoint(args.checkpoint, every=args.checkpoint_every) if args.checkpoint else None
    # A 2-D problem's report opens with the live view: at most 100 snapshots over the run.
    live = args.html_report and X.shape[1] == 2 and not args.mpi
    snapshots = Snapshots(X, Y, every=max(1, -(-args.epochs // 99))) if live else None
    net = Network(
        [X.shape[1], *_layers(args.layers), n_out],
        activation=args.activation,
        loss=loss,
        seed=args.seed,
        dtype=args.dtype,
    )
    fit, rank = net.fit, 0
    if args.mpi:  # this process's shard of the training rows; the validation split stays whole
        X, Y = distributed.shard(X, Y)
        fit, rank = partial(distributed.fit, net), distributed.world().Get_rank()
    history = fit(
        X,
        Y,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        optimizer=args.optimizer,
        dropout=args.dropout,
        weight_decay=args.weight_decay,
        schedule=args.schedule,
        validation_data=validation,
        early_stopping=args.early_stopping,
        progress=not args.quiet,
        callbacks=[c for c in (checkpoint, snapshots) if c is not None],
    )
    if rank:  # rank 0 reports and saves: every rank holds the same network
        return 130 if history.interrupted else 0
    if history.interrupted:  # Ctrl-C: fit stopped after a batch; say where the work is, exit 130
        where = (
            f"checkpoint saved to {checkpoint.saved[-1]}"
            if checkpoint
            else "no checkpoint was written (train with --checkpoint PATH to keep the progress)"
        )
        sys.stderr.write(f"chainrule: interrupted after {len(history)} complete epochs; {where}\n")
        return 130
    summary = f"trained {len(history)} epochs: loss {history.loss[-1]:.4f}"
    if history.accuracy:
        summary += f", accuracy {history.accuracy[-1]:.4f}"
    if history.val_loss:
        summary += f", val_loss {history.val_loss[-1]:.4f}, val_accuracy {history.val_accuracy[-1]:.4f}"
    if args.save:
        net.save(args.save)
        summary += f"; saved to {args.save}"
    sys.stdout.write(summary + "\n")
    if args.plot or args.html_report:
        if args.plot:
            labels = Y if classifier else None
            for path in write_training_plots(net, history, args.plot, X, labels):
                sys.stdout.write(f"wrote {path}\n")
        if args.html_report:
            settings = {"data": args.data, "epochs": args.epochs, "batch size": args.batch_size}
            sys.stdout.write(
                f"wrote {write_html_report(net, history, args.html_report, settings=settings, snapshots=snapshots)}\n"
            )
    return 0


def _targets_for(net, y):
    if net.loss_function.takes_labels:
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError("this network is a classifier: the target column must hold integer class labels")
        return y
    return y.reshape(-1, 1) if y.ndim == 1 else y


def _evaluate(args) -> int:

    net = load(args.model)
    X, y = _load(args, "test")
    X = net.check_X(X, "data")
    Y = net.check_Y(_targets_for(net, y), X.shape[0], "target")
    loss, accuracy = evaluate(net, X, Y)
    result = {"samples": int(X.shape[0]), "loss": loss}
    if net.loss_function.is_classification:
        result["accuracy"] = accuracy
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        sys.stdout.write(
            "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()) + "\n"
        )
    return 0


def _predict(args) -> int:

    net = load(args.model)
    X, _ = _load(args, "test")
    X = net.check_X(X, "data")
    rows = []
    for start in range(0, X.shape[0], 4096):
        out = net.predict(X[start : start + 4096])
        if net.loss_function.takes_labels and not args.probabilities:
            rows += [str(int(k)) for k in out.argmax(axis=1)]
        else:
            rows += [",".join(f"{v:.6g}" for v in row) for row in out]
    text = "\n".join(rows) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0
