"""The ``plot`` subcommand of the ``chainrule`` command (needs matplotlib: ``chainrule[plot]``).

::

    chainrule plot history HISTORY.json -o loss.png
    chainrule plot boundary MODEL.npz DATA -o boundary.png
    chainrule plot confusion MODEL.npz DATA -o confusion.png
    chainrule plot network MODEL.npz [--data DATA] -o network.png

DATA is a numeric CSV file (the target in the last column, or ``--target``)
or one of the toy sets ``xor``, ``moons``, ``circles``, ``spirals``
(``--samples N --seed S``). HISTORY.json is the file ``chainrule train
--plot DIR`` writes beside its PNGs. Also here: the helpers that ``train
--plot DIR`` and ``train --html-report DIR`` call.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .. import datasets, plotting
from ..io import load
from ..plotting import save_training_plots
from ..training.loop import History
from ..web.explainer import report_html

__all__ = ["add_parsers", "write_html_report", "write_training_plots"]

TOY_SETS = ("xor", "moons", "circles", "spirals")


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
    help_text = f"a numeric CSV file or a toy set: {', '.join(TOY_SETS)}"
    if positional:
        p.add_argument("data", help=help_text)
    else:
        p.add_argument("--data", default=None, help=help_text + " (its first sample colours the nodes)")
    p.add_argument("--target", default="-1", help="the CSV's target column (default: the last)")
    p.add_argument("--samples", type=int, default=200, help="toy set size (default 200)")
    p.add_argument("--seed", type=int, default=0, help="toy set seed (default 0)")


def _output(p) -> None:
    p.add_argument("-o", "--output", required=True, help="the PNG file to write")
    p.add_argument("--dpi", type=int, default=100)


def load_data(text: str, target: Any = "-1", samples: int = 200, seed: int = 0):
    """(X, y) of a CSV file or a toy set's name."""

    if text in TOY_SETS:
        if text == "xor":
            X, Y = datasets.xor()
            return X, Y[:, 0].astype(np.int64)
        return getattr(datasets, text)(samples, seed=seed)
    try:
        column: Any = int(target)
    except (TypeError, ValueError):
        column = target
    return datasets.load_csv(text, target=column)


def _labels(net, y: np.ndarray) -> np.ndarray:
    if y is None or not np.all(y == np.rint(y)):
        raise ValueError("plotting a classifier needs integer class labels in the target column")
    return np.rint(y).astype(np.int64)


def _plot(args) -> int:

    if args.kind == "history":
        data = json.loads(Path(args.history).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "loss" not in data:
            raise ValueError(f"{args.history}: not a history file (a JSON object with a 'loss' list)")
        fields = {
            name: list(data.get(name, []))
            for name in ("epochs", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")
        }
        fig = plotting.plot_history(History(**fields))
    else:
        net = load(args.model)
        X = y = None
        if args.data is not None:
            X, y = load_data(args.data, args.target, args.samples, args.seed)
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


def write_training_plots(net, history, directory: str, X: Any = None, y: Any = None) -> list[Path]:
    """``chainrule train --plot DIR``: history.json and the PNGs of :func:`chainrule.plotting.save_training_plots`."""

    directory_path = Path(directory)
    directory_path.mkdir(parents=True, exist_ok=True)
    record = {
        name: [float(v) if name != "epochs" else int(v) for v in getattr(history, name)]
        for name in ("epochs", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")
    }
    (directory_path / "history.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return [directory_path / "history.json"] + save_training_plots(net, history, directory_path, X, y)


def write_html_report(
    net, history, directory: str, title: str = "Training report", settings: dict[str, Any] | None = None
) -> Path:
    """``chainrule train --html-report DIR``: DIR/report.html (no matplotlib needed)."""

    directory_path = Path(directory)
    directory_path.mkdir(parents=True, exist_ok=True)
    path = directory_path / "report.html"
    path.write_text(report_html(net, history, title=title, settings=settings), encoding="utf-8")
    return path
