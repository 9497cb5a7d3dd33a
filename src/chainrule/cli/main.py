"""The ``chainrule`` command: ``main(argv=None) -> int``.

Subcommands::

    chainrule explain FILE [--format text|markdown|json] [--digits N]
    chainrule check FILE [--format text|json] [--strict]
    chainrule gradcheck FILE [--epsilon E] [--tolerance T]

FILE is a worked-example file (JSON or TOML, see :mod:`chainrule.teaching.examples`).

Exit status: 0 success; 1 a failed check (an unexplained disagreement, or
with ``--strict`` any slip; a gradient check above tolerance); 2 a usage or
input error (one line on standard error, no traceback); 130 interrupted.

Adding subcommands: each module named in ``_PARSER_MODULES`` has a function
``add_parsers(subparsers)`` that adds its subparsers and sets
``func=handler`` on each (``handler(args) -> int``); handlers raise
``ValueError``/``TypeError``/``OSError`` for bad input, which ``main`` turns
into exit status 2. Registering a new module is one line in that tuple.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

from .._version import __version__
from ..core.gradcheck import gradcheck
from ..teaching.examples import load_example

__all__ = ["add_parsers", "build_parser", "main"]

#: Modules whose ``add_parsers(subparsers)`` registers subcommands, in help order.
_PARSER_MODULES: tuple[str, ...] = (
    "chainrule.cli.main",
    "chainrule.cli.train",
    "chainrule.cli.plot",
)


class _UsageError(Exception):
    """Raised by the parser instead of exiting, so ``main`` can return 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would print usage and sys.exit(2)
        raise _UsageError(f"{self.prog}: error: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""

    parser = _Parser(
        prog="chainrule", description="Neural networks trained by backpropagation: explain and check worked examples."
    )
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in _PARSER_MODULES:
        importlib.import_module(name).add_parsers(subparsers)
    return parser


def add_parsers(subparsers) -> None:
    """Register ``explain``, ``check`` and ``gradcheck``."""
    p = subparsers.add_parser("explain", help="print one training step of a worked-example file, worked out")
    p.add_argument("file", help="worked-example file (.json or .toml)")
    p.add_argument("--format", choices=("text", "markdown", "json", "html"), default="text")
    p.add_argument("--digits", type=_positive_int, default=4, help="significant digits shown (default 4)")
    p.add_argument("-o", "--output", default=None, help="write here instead of standard output (needed for html)")
    p.set_defaults(func=_explain)

    p = subparsers.add_parser("check", help="check a worked example's published numbers against true backprop")
    p.add_argument("file", help="worked-example file with a [published] table")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--strict",
        action="store_true",
        help="also fail on diagnosed slips (by default only unexplained disagreements fail)",
    )
    p.set_defaults(func=_check)

    p = subparsers.add_parser("gradcheck", help="finite-difference check of backprop's gradients on a spec file")
    p.add_argument("file", help="worked-example file (.json or .toml)")
    p.add_argument("--epsilon", type=float, default=1e-6, help="finite-difference step (default 1e-6)")
    p.add_argument("--tolerance", type=float, default=1e-6, help="largest relative error accepted (default 1e-6)")
    p.set_defaults(func=_gradcheck)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return value


def _explain(args) -> int:

    example = load_example(args.file)
    trace = example.explain()
    if args.format == "html":
        if not args.output:
            raise ValueError("--format html needs -o FILE (the page to write)")
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(trace.to_html(title=example.title or None, digits=args.digits))
        sys.stdout.write(f"wrote {args.output}\n")
        return 0
    if args.format == "json":
        text = trace.to_json() + "\n"
    elif args.format == "markdown":
        text = trace.to_markdown(digits=args.digits)
    else:
        text = trace.to_text(digits=args.digits)
    if example.title and args.format != "json":
        heading = f"# {example.title}\n\n" if args.format == "markdown" else f"{example.title}\n\n"
        text = heading + text
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
        return 0
    sys.stdout.write(text)
    return 0


def _check(args) -> int:

    example = load_example(args.file)
    if not example.published:
        raise ValueError(f"{args.file}: has no [published] values to check")
    report = example.check()
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        if example.title:
            sys.stdout.write(f"{example.title}\n\n")
        sys.stdout.write(report.to_text())
    failed = not report.ok or (args.strict and bool(report.slips))
    return 1 if failed else 0


def _gradcheck(args) -> int:

    example = load_example(args.file)
    result = gradcheck(example.network, example.inputs, example.targets, epsilon=args.epsilon)
    width = max(len(name) for name in result) + 2
    worst = 0.0
    for name, error in result.items():
        verdict = "ok" if error <= args.tolerance else "FAIL"
        sys.stdout.write(f"{name:<{width}}{error:.3e}  {verdict}\n")
        worst = max(worst, error)
    sys.stdout.write(f"worst relative error {worst:.3e} (tolerance {args.tolerance:g})\n")
    return 0 if worst <= args.tolerance else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except _UsageError as exc:
            sys.stderr.write(f"{exc}\n")
            return 2
        except SystemExit as exc:  # --help, --version
            return exc.code if isinstance(exc.code, int) else 0
        if getattr(args, "func", None) is None:
            parser.print_usage(sys.stderr)
            sys.stderr.write("chainrule: error: a command is required (explain, check, gradcheck, ...)\n")
            return 2
        return int(args.func(args))
    except KeyboardInterrupt:
        sys.stderr.write("chainrule: interrupted\n")
        return 130
    except (OSError, ValueError, TypeError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
            message = f"{exc.filename}: {exc.strerror}"
        sys.stderr.write(f"chainrule: error: {message}\n")
        return 2
