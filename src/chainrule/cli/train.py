"""The ``train``, ``evaluate`` and ``predict`` subcommands of the ``chainrule`` command.

::

    chainrule train DATA [--layers auto] [--activation relu] [--optimizer adam] [--epochs auto]
                    [--optimizer lbfgs [--max-iter N]]
                    [--batch-size 128] [--learning-rate 0.001] [--dropout P] [--weight-decay L]
                    [--schedule cosine] [--validation-split F] [--early-stopping N]
                    [--dtype float32] [--seed S] [--save MODEL.npz] [--checkpoint PATH [--checkpoint-every N]] [--quiet]
                    [--resume CHECKPOINT]
    chainrule evaluate MODEL.npz DATA [--json]
    chainrule predict MODEL.npz DATA [-o FILE] [--probabilities]

The defaults are a practitioner's (the library's ``fit`` keeps the
textbook's): one hidden layer of 2·(inputs + outputs) units within
[32, 128] (:func:`auto_hidden`), Adam at 0.001 (SGD: 0.1), batches of 128,
and enough epochs for about 2,000 steps, at least 5 (:func:`auto_epochs`).
A TrainingWarning from ``fit`` is one line on standard error.

DATA, for every command, is a CSV file (the target in the last column, or
``--target``; the header line and the delimiter are detected, ``--delimiter``
sets it; text labels are numbered and become the model's class names), the
word ``fashion-mnist`` (the training set for ``train``, the test set for
``evaluate`` and ``predict``; ``--data-dir`` points to the IDX files when
they are not where the Debian package puts them) or a toy set's name
(``--samples`` points, ``--data-seed``); see :mod:`chainrule.cli.data`.
Integer (or text) targets make a classifier (softmax + cross-entropy, one
output per class); other targets a regressor (identity output, ``mse``).
``predict`` writes CSV with a header line: ``class`` (and ``name`` when the
model knows its class names), ``p_...`` with ``--probabilities``, or
``prediction``; its DATA may hold the target column or only the inputs.

``--mpi`` trains one network over the processes ``mpiexec -n N chainrule train ... --mpi`` starts
(extra ``mpi``; :mod:`chainrule.distributed`): each reads the data, keeps its shard of the training
rows and the whole validation split; rank 0 alone prints, checkpoints and saves.

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
import csv
import errno
import io
import json
import os
import signal
import sys
import tempfile
import warnings
from functools import partial
from typing import Any

import numpy as np

from .. import distributed
from ..core.activations import ACTIVATIONS
from ..core.losses import get_loss
from ..core.network import Network
from ..datasets import train_validation_split
from ..errors import TrainingWarning
from ..io import check_writable, load
from ..plotting import require_matplotlib
from ..training.callbacks import Checkpoint, Snapshots
from ..training.loop import evaluate
from ..training.optimizers import OPTIMIZERS
from ..training.schedules import SCHEDULES
from .data import Data, add_data_arguments, model_labels, read_data
from .outputs import write_html_report, write_training_plots

__all__ = ["add_parsers", "auto_epochs", "auto_hidden"]

#: The defaults of ``chainrule train`` (the library's ``fit`` keeps the textbook's: full batch, SGD at 0.1).
BATCH_SIZE = 128
ADAPTIVE_RATE = 0.001
SGD_RATE = 0.1
AUTO_STEPS = 2000
MIN_EPOCHS = 5
MIN_HIDDEN = 32
MAX_HIDDEN = 128


def add_parsers(subparsers) -> None:
    """Add ``train``, ``evaluate`` and ``predict`` to an argparse subparsers object."""

    p = subparsers.add_parser(
        "train",
        help="train a network on a CSV file, a toy set or Fashion-MNIST and save it",
        description="Train a network. With the defaults: one hidden layer sized from the data, Adam at 0.001, "
        f"mini-batches of {BATCH_SIZE}, and enough epochs for about {AUTO_STEPS} steps (at least {MIN_EPOCHS}).",
    )
    add_data_arguments(p)
    p.add_argument(
        "--layers",
        default="auto",
        help="hidden layer sizes, comma-separated (e.g. 256,128); 'auto': one hidden layer of "
        f"2·(inputs + outputs) units, at least {MIN_HIDDEN} and at most {MAX_HIDDEN}; 'none': no hidden layer",
    )
    p.add_argument(
        "--activation", default="relu", choices=sorted(set(ACTIVATIONS) - {"softmax"}), help="hidden activation"
    )
    p.add_argument("--loss", default=None, help="default: cross_entropy for integer (or text) targets, mse otherwise")
    p.add_argument(
        "--optimizer",
        default="adam",
        choices=[*sorted(OPTIMIZERS), "lbfgs"],
        help="the optimiser (lbfgs: SciPy's L-BFGS-B on the full batch, extra 'scipy')",
    )
    p.add_argument(
        "--max-iter",
        type=_int_at_least(1),
        default=None,
        help="with --optimizer lbfgs: at most this many iterations (default 200, as scikit-learn)",
    )
    p.add_argument(
        "--epochs",
        type=_epochs_argument,
        default="auto",
        help=f"passes over the data; 'auto': enough for about {AUTO_STEPS} mini-batch steps, at least {MIN_EPOCHS}",
    )
    p.add_argument("--batch-size", type=_int_at_least(1), default=BATCH_SIZE, help="samples per mini-batch")
    p.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=None,
        help=f"the step size (default: {ADAPTIVE_RATE} for adam and rmsprop, {SGD_RATE} for sgd)",
    )
    p.add_argument("--dropout", type=float, default=0.0, help="dropout on hidden layers, in [0, 1) (0: none)")
    p.add_argument("--weight-decay", type=float, default=None, help="L2 penalty added to the gradient (default: none)")
    p.add_argument(
        "--schedule", default=None, choices=sorted(SCHEDULES), help="learning-rate schedule (default: constant)"
    )
    p.add_argument(
        "--validation-split",
        type=float,
        default=None,
        help="hold out this fraction for validation, shown each epoch (default: none)",
    )
    p.add_argument(
        "--early-stopping",
        type=_int_at_least(1),
        default=None,
        metavar="PATIENCE",
        help="stop after PATIENCE epochs without validation improvement (needs --validation-split; default: off)",
    )
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"], help="the numbers' precision")
    p.add_argument("--seed", type=int, default=0, help="the seed of the initial weights, shuffling and dropout")
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
    p.add_argument("--quiet", action="store_true", help="no settings line, no progress bar")
    p.add_argument("--mpi", action="store_true", help="data-parallel over the ranks of mpiexec -n N (extra 'mpi')")
    p.add_argument("--plot", default=None, metavar="DIR", help="write the training plots (PNG) here (needs matplotlib)")
    p.add_argument("--html-report", default=None, metavar="DIR", help="write a training report page (report.html) here")
    p.set_defaults(func=_train)

    p = subparsers.add_parser("evaluate", help="loss and accuracy of a saved network on data")
    p.add_argument("model", help="a network saved by `chainrule train --save` or Network.save")
    add_data_arguments(p)
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=_evaluate)

    p = subparsers.add_parser(
        "predict",
        help="predictions of a saved network: a CSV with a header line, one line per sample",
        description="Predictions as CSV: a header, then one line per sample (for a classifier the class number, "
        "and its name when the model knows the names). A CSV input may hold the target column (--target, "
        "left out) or only the network's inputs.",
    )
    p.add_argument("model", help="a network saved by `chainrule train --save` or Network.save")
    add_data_arguments(p)
    p.add_argument("-o", "--output", default=None, help="write here instead of standard output")
    p.add_argument("--probabilities", action="store_true", help="the output layer's values, not class labels")
    p.set_defaults(func=_predict)


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


def _epochs_argument(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    return _int_at_least(1)(text)


def auto_hidden(n_inputs: int, n_outputs: int) -> int:
    """``--layers auto``: one hidden layer of 2·(inputs + outputs) units, within [MIN_HIDDEN, MAX_HIDDEN]."""
    return min(MAX_HIDDEN, max(MIN_HIDDEN, 2 * (n_inputs + n_outputs)))


def auto_epochs(n_samples: int, batch_size: int) -> int:
    """``--epochs auto``: enough epochs for about AUTO_STEPS mini-batch steps, and at least MIN_EPOCHS."""
    batches = -(-n_samples // batch_size)
    return max(MIN_EPOCHS, -(-AUTO_STEPS // batches))


def _load(args, split: str, net=None) -> Data:
    """The data argument read; ``split`` is "train" or "test" for Fashion-MNIST.

    Fashion-MNIST's pixels come in the units ``net`` reads: their bytes 0..255 for a network with an
    ``input_scale`` (trained in Python on ``load_fashion_mnist(dtype="uint8")``; it scales them itself),
    else floats in [0, 1], as for a new network (``train`` builds one without a scale).
    """
    scaled = net is not None and net.input_scale is not None
    return read_data(
        args.data,
        target=args.target,
        samples=args.samples,
        seed=args.data_seed,
        split=split,
        data_dir=args.data_dir,
        delimiter=args.delimiter,
        pixels="uint8" if scaled else "float32",
    )


def _layers(text: str, n_inputs: int, n_outputs: int) -> list[int]:
    if text.strip().lower() == "auto":
        return [auto_hidden(n_inputs, n_outputs)]
    if text.strip().lower() in ("", "none"):
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"--layers must be comma-separated integers such as 256,128; got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise ValueError(f"--layers sizes must be >= 1; got {text!r}")
    return sizes


def _train(args) -> int:

    if args.max_iter is not None and args.optimizer != "lbfgs":
        raise ValueError(f"--max-iter is for --optimizer lbfgs; {args.optimizer} runs --epochs epochs")
    _check_outputs(args)  # before the data is read and the training starts: a bad path loses nothing
    resumed = load(args.resume) if args.resume else None
    data = _load(args, "train", resumed)
    X, y = data.X, data.y
    if y is None:
        raise ValueError("train needs a target column (--target INDEX or NAME, not 'none')")
    if resumed is not None and data.encoded:
        y = model_labels(data, resumed.class_names)  # the checkpoint's numbering of the text labels
    classifier = np.issubdtype(y.dtype, np.integer)
    if resumed is not None:
        loss = resumed.loss_function.name
        if resumed.loss_function.takes_labels and not classifier:
            raise ValueError(f"{args.resume}: the checkpoint is a classifier; the target column must hold class labels")
    else:
        loss = args.loss or ("cross_entropy" if classifier else "mse")
    if get_loss(loss).takes_labels:
        if not classifier or y.min() < 0:
            raise ValueError(f"--loss {loss} needs integer class labels >= 0 in the target column")
        n_out = max(int(y.max()) + 1, len(data.classes or ()))
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
    n_samples = X.shape[0]  # the whole training set, before any shard
    total = auto_epochs(n_samples, args.batch_size) if args.epochs == "auto" else args.epochs
    if resumed is None:
        net = Network(
            [X.shape[1], *_layers(args.layers, X.shape[1], n_out), n_out],
            activation=args.activation,
            loss=loss,
            seed=args.seed,
            dtype=args.dtype,
        )
        named = data.classes is not None and net.loss_function.is_classification
        if named and (n_out == len(data.classes) or (n_out == 1 and len(data.classes) == 2)):
            net.class_names = data.classes
        if args.optimizer == "lbfgs":
            optimizer, described, epochs = _lbfgs_settings(args)
        else:
            epochs = total
            learning_rate = args.learning_rate or (SGD_RATE if args.optimizer == "sgd" else ADAPTIVE_RATE)
            optimizer = {"optimizer": args.optimizer, "learning_rate": learning_rate}
            optimizer.update(weight_decay=args.weight_decay, schedule=args.schedule, batch_size=args.batch_size)
            described = f"{args.optimizer} at {learning_rate:g}, batches of {args.batch_size}"
    else:
        net = resumed
        net.check_X(X, "data")
        epochs = _epochs_left(args, net, total)
        optimizer = {"optimizer": net.optimizer_ or args.optimizer, "batch_size": args.batch_size}
        described = f"resuming {args.resume} after {net.epochs_trained_} epochs, batches of {args.batch_size}"
        if net.optimizer_ is None:
            learning_rate = args.learning_rate or (SGD_RATE if args.optimizer == "sgd" else ADAPTIVE_RATE)
            optimizer.update(learning_rate=learning_rate, weight_decay=args.weight_decay, schedule=args.schedule)
    # A 2-D problem's report opens with the live view: at most 100 snapshots over the run.
    live = args.html_report and X.shape[1] == 2 and not args.mpi
    snapshots = Snapshots(X, Y, every=max(1, -(-epochs // 99))) if live else None
    fit, rank = net.fit, 0
    if args.mpi:  # this process's shard of the training rows; the validation split stays whole
        X, Y = distributed.shard(X, Y)
        fit, rank = partial(distributed.fit, net), distributed.world().Get_rank()
    if not args.quiet and rank == 0:
        sys.stderr.write(
            f"training {'-'.join(map(str, net.sizes))} ({net.layers[0].activation.name}, {loss}) "
            f"on {n_samples} samples: "
            f"{described}{'' if args.optimizer == 'lbfgs' else f', {epochs} epochs'}\n"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("always", TrainingWarning)
        warnings.showwarning = _warning_line(warnings.showwarning)
        history = fit(
            X,
            Y,
            epochs=epochs,
            dropout=args.dropout,
            validation_data=validation,
            early_stopping=args.early_stopping,
            progress=False if args.quiet or args.optimizer == "lbfgs" else max(1, round(epochs / 20)),  # ~20 lines
            callbacks=[c for c in (checkpoint, snapshots) if c is not None],
            **optimizer,
        )
    if rank:  # rank 0 reports and saves: every rank holds the same network
        return 128 + int(history.interrupt_signal or signal.SIGINT) if history.interrupted else 0
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
    steps = "iterations" if args.optimizer == "lbfgs" else "epochs"
    summary = f"trained {len(history)} {steps}: loss {history.loss[-1]:.4f}" if history.loss else f"trained 0 {steps}"
    if history.accuracy:
        summary += f", accuracy {history.accuracy[-1]:.4f}"
    if history.val_loss:
        summary += f", val_loss {history.val_loss[-1]:.4f}, val_accuracy {history.val_accuracy[-1]:.4f}"
    if args.save:
        _save_or_rescue(net, args.save, summary)
        summary += f"; saved to {args.save}"
    sys.stdout.write(summary + "\n")
    if args.plot or args.html_report:
        if args.plot:
            labels = Y if classifier else None
            for path in write_training_plots(net, history, args.plot, X, labels):
                sys.stdout.write(f"wrote {path}\n")
        if args.html_report:
            settings = {"data": args.data, "epochs": epochs, "batch size": args.batch_size}
            sys.stdout.write(
                f"wrote {write_html_report(net, history, args.html_report, settings=settings, snapshots=snapshots)}\n"
            )
    return 0


def _warning_line(show):
    """A ``warnings.showwarning`` that writes a TrainingWarning as one line on standard error (others as ``show``)."""

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, TrainingWarning):
            sys.stderr.write(f"chainrule: warning: {message}\n")
        else:
            show(message, category, filename, lineno, file, line)

    return showwarning


def _save_or_rescue(net, path: str, summary: str) -> None:
    """Save the trained network to ``path``; if that fails (the path was checked before training, but a disk can
    fill or a directory go away since), save it in the temporary directory and say where, so no work is lost."""
    try:
        net.save(path)
    except OSError as exc:
        rescue = os.path.join(tempfile.gettempdir(), f"chainrule-rescued-{os.getpid()}.npz")
        reason = exc.strerror or str(exc)
        try:
            net.save(rescue)
        except OSError:
            raise OSError(
                exc.errno,
                f"{summary}; saving failed ({reason}), and so did a rescue copy in {tempfile.gettempdir()}: "
                "the model is lost (train with --checkpoint PATH on another disk to keep the progress)",
                path,
            ) from None
        raise OSError(
            exc.errno,
            f"{summary}; saving failed ({reason}): the trained model is in {rescue} instead (move it: "
            f"mv {rescue} {path})",
            path,
        ) from None


def _lbfgs_settings(args) -> tuple[dict[str, Any], str, int]:
    """fit's settings for --optimizer lbfgs (full batch, one call of SciPy's L-BFGS-B), the settings line, epochs 1."""
    given = [
        option
        for option, value in (
            ("--epochs", None if args.epochs == "auto" else args.epochs),
            ("--learning-rate", args.learning_rate),
            ("--schedule", args.schedule),
            ("--resume", args.resume),
            ("--mpi", args.mpi or None),
        )
        if value is not None
    ]
    if given:
        raise ValueError(
            f"--optimizer lbfgs takes no {', '.join(given)}: it runs full batch in one go, with its own step "
            f"lengths (a line search), until --max-iter iterations"
        )
    max_iter = 200 if args.max_iter is None else args.max_iter
    settings = {"optimizer": "lbfgs", "max_iter": max_iter, "weight_decay": args.weight_decay}
    return settings, f"lbfgs on the full batch, at most {max_iter} iterations", 1


def _check_outputs(args) -> None:
    """Every file ``train`` will write, checked before it reads data or trains (see io.check_writable)."""
    if args.save:
        check_writable(args.save)
    if args.checkpoint:
        check_writable(args.checkpoint.replace("{epoch}", "0"))
    if args.plot:
        require_matplotlib()
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


def _epochs_left(args, net, total: int) -> int:
    """How many more epochs a resumed run trains: up to ``total`` (--epochs, or its auto value) in all."""
    progress = net.epoch_progress_
    if progress is not None and progress["batch_size"] != args.batch_size:
        raise ValueError(
            f"{args.resume} was saved in the middle of an epoch of --batch-size {progress['batch_size']}; "
            f"resume with --batch-size {progress['batch_size']} to continue it"
        )
    left = total - net.epochs_trained_
    if left < 1:
        raise ValueError(
            f"{args.resume} has already trained {net.epochs_trained_} epochs, --epochs {args.epochs}"
            f"{f' ({total})' if args.epochs == 'auto' else ''}: "
            f"ask for more epochs to continue"
        )
    return left


def _targets_for(net, data: Data):
    y = model_labels(data, net.class_names)
    if y is None:
        raise ValueError("evaluate needs a target column (--target INDEX or NAME, not 'none')")
    if net.loss_function.takes_labels:
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError("this network is a classifier: the target column must hold integer class labels")
        return y
    return y.reshape(-1, 1) if y.ndim == 1 else y


def _evaluate(args) -> int:

    net = load(args.model)
    data = _load(args, "test", net)
    X = net.check_X(data.X, "data")
    Y = net.check_Y(_targets_for(net, data), X.shape[0], "target", labels=True)  # class labels stay labels
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


def _inputs_for(net, args) -> np.ndarray:
    """predict's inputs: a CSV with the target column (left out) or with only the network's inputs."""
    X = _load(args, "test", net).X
    if X.shape[1] == net.n_inputs - 1 and args.target == "-1" and os.path.exists(args.data):
        X = read_data(args.data, target=None, delimiter=args.delimiter).X  # no target column: every column is an input
    return net.check_X(X, "data")


def _header(net, probabilities: bool) -> list[str]:
    names = net.class_names
    if net.loss_function.takes_labels and not probabilities:
        return ["class", "name"] if names else ["class"]
    if net.loss_function.is_classification:
        labels = names if names and net.n_outputs > 1 else [str(k) for k in range(net.n_outputs)]
        if net.n_outputs == 1:
            return [f"p_{names[1]}" if names else "p_1"]
        return [f"p_{label}" for label in labels]
    return ["prediction"] if net.n_outputs == 1 else [f"prediction_{k}" for k in range(net.n_outputs)]


def _predict(args) -> int:

    net = load(args.model)
    X = _inputs_for(net, args)
    names = net.class_names
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_header(net, args.probabilities))
    for start in range(0, X.shape[0], 4096):
        out = net.predict(X[start : start + 4096])
        if net.loss_function.takes_labels and not args.probabilities:
            for k in out.argmax(axis=1):
                writer.writerow([int(k), names[k]] if names else [int(k)])
        else:
            writer.writerows([f"{v:.6g}" for v in row] for row in out)
    text = buffer.getvalue()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0
