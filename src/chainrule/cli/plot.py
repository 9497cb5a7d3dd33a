"""The ``plot`` subcommand of the ``chainrule`` command (needs matplotlib: ``chainrule[plot]``).

::

    chainrule plot history HISTORY.json -o loss.png
    chainrule plot boundary MODEL.npz DATA -o boundary.png
    chainrule plot confusion MODEL.npz DATA -o confusion.png
    chainrule plot network MODEL.npz [--data DATA] -o network.png

DATA is a numeric CSV file (the target in the last column, or ``--target``),
one of the toy sets ``xor``, ``moons``, ``circles``, ``spirals``
(``--samples N --data-seed S``) or ``fashion-mnist`` (its test set), with
the options every command shares (:func:`chainrule.cli.data.add_data_arguments`).
HISTORY.json is the file ``chainrule train --plot DIR`` writes beside its PNGs (see :mod:`chainrule.cli.outputs`).
"""

from __future__ import annotations

import sys

import numpy as np

from .. import plotting
from ..io import load
from .data import add_data_arguments, model_labels, read_data
from .outputs import read_history

__all__ = ["add_parsers"]


def add_parsers(subparsers) -> None:
    """Add ``plot`` (with its kinds as sub-subcommands) to an argparse subparsers object."""
    p = subparsers.add_parser(
        "plot",
        help="draw training curves, decision boundaries, confusion matrices, "
        "network diagrams as PNG (needs matplotlib)",
    )
    kinds = p.add_subparsers(dest="kind", metavar="KIND", parser_class=type(p))
    kinds.required = True

    k = kinds.add_parser("history", help="loss and accuracy curves from a history.json written by train --plot")
    k.add_argument("history", help="history.json")
    _output(k)

    for name, text in (
        ("boundary", "the decision boundary of a 2-input classifier, with the data"),
        ("confusion", "the confusion matrix of a classifier on data"),
    ):
        k = kinds.add_parser(name, help=text)
        k.add_argument("model", help="a network saved by `chainrule train --save` or Network.save")
        _data(k, positional=True)
        _output(k)

    k = kinds.add_parser("network", help="the network diagram (weights as edges, activations as node colours)")
    k.add_argument("model", help="a network saved by `chainrule train --save` or Network.save")
    _data(k, positional=False)
    _output(k)
    p.set_defaults(func=_plot)


def _data(p, positional: bool) -> None:
    add_data_arguments(p, positional, purpose=": its first sample colours the nodes")


def _output(p) -> None:
    p.add_argument("-o", "--output", required=True, help="the PNG file to write")
    p.add_argument("--dpi", type=int, default=100, help="the PNG's resolution, dots per inch")


def _labels(net, y: np.ndarray) -> np.ndarray:
    if y is None or not np.all(y == np.rint(y)):
        raise ValueError("plotting a classifier needs integer class labels in the target column")
    return np.rint(y).astype(np.int64)


def _plot(args) -> int:

    if args.kind == "history":
        fig = plotting.plot_history(read_history(args.history))
    else:
        net = load(args.model)
        X = y = None
        if args.data is not None:
            data = read_data(
                args.data,
                target=args.target,
                samples=args.samples,
                seed=args.data_seed,
                data_dir=args.data_dir,
                delimiter=args.delimiter,
                pixels="float32" if net.input_scale is None else "uint8",  # the units the model reads
            )
            X, y = data.X, model_labels(data, net.class_names)
        if args.kind == "boundary":
            fig = plotting.plot_decision_boundary(net, X, _labels(net, y))
        elif args.kind == "confusion":
            X = net.check_X(X, "data")
            predicted, _ = plotting._class_scores(net, X)
            fig = plotting.plot_confusion_matrix(_labels(net, y), predicted)
        else:
            fig = plotting.plot_network(net, None if X is None else X[:1])
    fig.savefig(args.output, dpi=args.dpi)
    sys.stdout.write(f"wrote {args.output}\n")
    return 0
