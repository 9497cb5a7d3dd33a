"""The ``train``, ``evaluate`` and ``predict`` subcommands of the ``chainrule`` command.

::

    chainrule train DATA --layers 256,128 [--activation relu] [--optimizer adam] [--epochs 10]
                    [--batch-size 128] [--learning-rate 0.001] [--dropout P] [--weight-decay L]
                    [--schedule cosine] [--validation-split F] [--early-stopping N]
                    [--dtype float32] [--seed S] [--save MODEL.npz] [--checkpoint PATH [--checkpoint-every N]] [--quiet]
                    [--resume CHECKPOINT]
    chainrule evaluate MODEL.npz DATA [--json]
    chainrule predict MODEL.npz DATA [--output FILE] [--probabilities]

DATA is a numeric CSV file (the target in the last column, or ``--target``;
a header line is detected), the word ``fashion-mnist`` (the training set
for ``train``, the test set for ``evaluate`` and ``predict``; ``--data-dir``
points to the IDX files when they are not where the Debian package puts
them) or a toy set's name (200 points, seed 0); see :mod:`chainrule.cli.data`.
Integer targets make a classifier (softmax + cross-entropy, one output per
class); other targets a regressor (identity output, ``mse``).

``--checkpoint PATH`` saves after every epoch (every N-th with
``--checkpoint-every N``, and after the last); Ctrl-C (SIGINT) or SIGTERM
(``kill``, Docker, systemd, Slurm) stops ``train`` after the batch in
progress, saves there, prints where, and exits with status 130 or 143.
``--resume CHECKPOINT`` continues such a run: the network, its optimiser
and where the interrupted epoch stopped come from the checkpoint, and
training goes on until ``--epochs`` epochs are done, ending with the weights
the uninterrupted run would have had, bit for bit (give the same data,
``--batch-size``, ``--dropout``, ``--validation-split`` and ``--seed``; the
architecture and optimiser options are the checkpoint's).

The files ``--save`` and ``--checkpoint`` name are checked for writability
before any data is read or any training starts.

Every handler returns an exit status; bad input raises ``ValueError`` or
``OSError``, which ``chainrule.cli.main`` turns into status 2.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import tempfile
from typing import Any

import numpy as np

from ..core.activations import ACTIVATIONS
from ..core.network import Network
from ..datasets import train_validation_split
from ..io import check_writable, load
from ..training.callbacks import Checkpoint
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
    p.add_argument(
        "--resume",
        default=None,
        metavar="CHECKPOINT",
        help="continue the run saved in CHECKPOINT (by --checkpoint, or on Ctrl-C/SIGTERM) up to --epochs epochs",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
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

    _check_outputs(args)  # before the data is read and the training starts: a bad path loses nothing
    resumed = load(args.resume) if args.resume else None
    X, y = _load(args, "train")
    classifier = np.issubdtype(y.dtype, np.integer)
    if resumed is not None:
        loss = resumed.loss_function.name
        if resumed.loss_function.takes_labels and not classifier:
            raise ValueError(f"{args.resume}: the checkpoint is a classifier; the target column must hold class labels")
    else:
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
    if resumed is None:
        net = Network(
            [X.shape[1], *_layers(args.layers), n_out],
            activation=args.activation,
            loss=loss,
            seed=args.seed,
            dtype=args.dtype,
        )
        epochs = args.epochs
        optimizer = {"optimizer": args.optimizer, "learning_rate": args.learning_rate}
        optimizer.update(weight_decay=args.weight_decay, schedule=args.schedule)
    else:
        net = resumed
        net.check_X(X, "data")
        epochs = _epochs_left(args, net)
        optimizer = {"optimizer": net.optimizer_ or args.optimizer}
        if net.optimizer_ is None:
            optimizer.update(learning_rate=args.learning_rate, weight_decay=args.weight_decay, schedule=args.schedule)
    history = net.fit(
        X,
        Y,
        epochs=epochs,
        batch_size=args.batch_size,
        dropout=args.dropout,
        validation_data=validation,
        early_stopping=args.early_stopping,
        progress=not args.quiet,
        callbacks=[checkpoint] if checkpoint else (),
        **optimizer,
    )
    if history.interrupted:  # Ctrl-C or SIGTERM: fit stopped after a batch; say where the work is, exit 128 + signal
        where = (
            f"checkpoint saved to {checkpoint.saved[-1]} (continue with --resume {checkpoint.saved[-1]})"
            if checkpoint
            else "no checkpoint was written (train with --checkpoint PATH to keep the progress)"
        )
        number = history.interrupt_signal or signal.SIGINT
        name = signal.Signals(number).name
        sys.stderr.write(f"chainrule: interrupted ({name}) after {len(history)} complete epochs; {where}\n")
        return 128 + int(number)
    summary = f"trained {len(history)} epochs: loss {history.loss[-1]:.4f}" if history.loss else "trained 0 epochs"
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
            sys.stdout.write(f"wrote {write_html_report(net, history, args.html_report, settings=settings)}\n")
    return 0


def _check_outputs(args) -> None:
    """Every file ``train`` will write, checked before it reads data or trains (see io.check_writable)."""
    if args.save:
        check_writable(args.save)
    if args.checkpoint:
        check_writable(args.checkpoint.replace("{epoch}", "0"))
    for option, directory in (("--plot", args.plot), ("--html-report", args.html_report)):
        if directory:
            _check_directory(option, directory)


def _check_directory(option: str, directory: str) -> None:
    """A directory ``train`` will create (if needed) and write into: not a file, under a directory that takes files."""
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise NotADirectoryError(errno.ENOTDIR, f"{option} needs a directory; this is a file", directory)
    existing = os.path.abspath(directory)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise NotADirectoryError(errno.ENOTDIR, f"{option}: {existing!r} is not a directory", directory)
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise type(exc)(exc.errno, f"{option}: cannot write in {existing!r} ({exc.strerror})", directory) from None


def _epochs_left(args, net) -> int:
    """How many more epochs a resumed run trains: up to --epochs in all."""
    progress = net.epoch_progress_
    if progress is not None and progress["batch_size"] != args.batch_size:
        raise ValueError(
            f"{args.resume} was saved in the middle of an epoch of --batch-size {progress['batch_size']}; "
            f"resume with --batch-size {progress['batch_size']} to continue it"
        )
    left = args.epochs - net.epochs_trained_
    if left < 1:
        raise ValueError(
            f"{args.resume} has already trained {net.epochs_trained_} epochs, --epochs {args.epochs}: "
            f"ask for more epochs to continue"
        )
    return left


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
