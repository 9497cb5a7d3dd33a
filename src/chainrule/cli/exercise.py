"""The ``chainrule exercise`` subcommand: draw a worked-example exercise and write its sheet and key.

::

    chainrule exercise -o DIR [--seed N] [--sizes 2,2,1] [--activation sigmoid[,tanh...]]
                       [--output-activation NAME] [--loss NAME] [--reduction sum|mean] [--no-bias]
                       [--learning-rate R] [--steps K] [--samples N] [--dead-relu]
                       [--digits D] [--margin M] [--format toml|json] [--pdf auto|yes|no] [--force]
    chainrule exercise -o DIR --from FILE [--steps K] [--digits D] [--pdf ...]

DIR receives the worked-example file (``exercise.toml``: ``chainrule explain
DIR/exercise.toml --step K`` works each step out, ``chainrule check`` agrees
with every number), ``sheet.md``, ``key.md``, one practice page per step
(``step-K.html``) and, where pdflatex is installed, ``sheet.pdf`` and
``key.pdf``. ``--from FILE`` makes the exercise of a teacher's own
worked-example file (its network, weights, inputs and targets; its later
``[[steps]]`` as further steps) and prints, on standard error, what a drawn
exercise would have been rejected for. See :mod:`chainrule.teaching.exercise`.
"""

from __future__ import annotations

import argparse
import sys

from ..teaching.examples import load_example
from ..teaching.exercise import exercise

__all__ = ["add_parsers"]


def add_parsers(subparsers) -> None:
    """Register ``exercise``."""
    p = subparsers.add_parser(
        "exercise", help="draw a worked-example exercise with nice numbers; write its sheet, key and practice pages"
    )
    p.add_argument("-o", "--output", required=True, help="directory to write the exercise into")
    p.add_argument("--seed", type=_natural, default=0, help="the seed (default 0): same seed, same exercise")
    p.add_argument("--sizes", type=_sizes, default=None, help="neurons per layer, input first (default 2,2,1)")
    p.add_argument("--activation", type=_names, default=None, help="hidden activation(s), comma-separated")
    p.add_argument("--output-activation", default=None, help="the output layer's activation (default: the loss's)")
    p.add_argument("--loss", default=None, help="half_squared_error (default), squared_error, mse, ...")
    p.add_argument("--reduction", choices=("sum", "mean"), default=None, help="over the samples (default sum)")
    p.add_argument("--no-bias", action="store_true", help="layers without biases")
    p.add_argument("--learning-rate", type=float, default=0.5, help="η (default 0.5)")
    p.add_argument("--steps", type=_positive_int, default=None, help="steps of gradient descent (default 1)")
    p.add_argument("--samples", type=_positive_int, default=1, help="samples per step (default 1)")
    p.add_argument("--dead-relu", action="store_true", help="ask for a dead ReLU neuron in step 1")
    p.add_argument("--digits", type=_positive_int, default=4, help="significant digits of the key (default 4)")
    p.add_argument(
        "--margin", type=float, default=0.02, help="closest a key value may come to a rounding boundary (default 0.02)"
    )
    p.add_argument("--from", dest="source", default=None, help="a teacher's worked-example file: nothing is drawn")
    p.add_argument("--format", choices=("toml", "json"), default="toml", help="the exercise file's format")
    p.add_argument(
        "--pdf",
        choices=("auto", "yes", "no"),
        default="auto",
        help="sheet.pdf and key.pdf: auto (when pdflatex is installed), yes (fail without it), no",
    )
    p.add_argument("--force", action="store_true", help="overwrite files already in the directory")
    p.set_defaults(func=_exercise)


def _natural(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0; got {text!r}")
    return value


def _positive_int(text: str) -> int:
    value = _natural(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return value


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected widths separated by commas, e.g. 2,2,1; got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected at least 2 positive widths, e.g. 2,2,1; got {text!r}")
    return sizes


def _names(text: str) -> str | list[str]:
    names = [part.strip() for part in text.split(",")]
    return names[0] if len(names) == 1 else names


def _exercise(args) -> int:
    pdf = {"auto": None, "yes": True, "no": False}[args.pdf]
    if args.source is not None:
        drawn = [
            name
            for name, value in (
                ("--sizes", args.sizes),
                ("--activation", args.activation),
                ("--output-activation", args.output_activation),
                ("--loss", args.loss),
                ("--reduction", args.reduction),
            )
            if value is not None
        ] + (["--no-bias"] if args.no_bias else [])
        if drawn:
            raise ValueError(f"--from FILE gives the network: leave out {drawn[0]} (it is the file's)")
        example = load_example(args.source)
        rates = {later["learning_rate"] for later in example.steps} - {None, example.learning_rate}
        if rates:
            raise ValueError(f"{args.source}: an exercise has one learning rate; its steps have {sorted(rates)}")
        inputs = [example.inputs] + [later["inputs"] for later in example.steps]
        targets = [example.targets] + [later["targets"] for later in example.steps]
        if args.steps is not None:
            if example.steps:
                raise ValueError(f"{args.source} has its own [[steps]]: leave out --steps")
            inputs, targets = inputs * args.steps, targets * args.steps
        ex = exercise(
            learning_rate=example.learning_rate,
            digits=args.digits,
            margin=args.margin,
            dead_relu=args.dead_relu,
            network=example.network,
            inputs=inputs,
            targets=targets,
            title=example.title or None,
        )
    else:
        ex = exercise(
            args.seed,
            args.sizes,
            args.activation,
            args.output_activation,
            args.loss,
            args.reduction,
            False if args.no_bias else None,
            args.learning_rate,
            args.steps or 1,
            args.samples,
            args.dead_relu,
            args.digits,
            args.margin,
        )
    try:
        paths = ex.write(args.output, pdf=pdf, file_format=args.format, overwrite=args.force)
    except RuntimeError as exc:  # no TeX engine with --pdf yes, or the engine failed
        raise ValueError(str(exc)) from None
    except FileExistsError as exc:
        raise ValueError(f"{exc} (give --force to overwrite)") from None
    for problem in ex.problems:
        sys.stderr.write(f"chainrule: warning: {problem}\n")
    for path in paths:
        sys.stdout.write(f"wrote {path}\n")
    return 0
