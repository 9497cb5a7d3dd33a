"""The ``chainrule`` command: ``main(argv=None) -> int``.

Command groups, one module each::

    chainrule explain | check | gradcheck FILE ...   worked-example files  (chainrule.cli.examples)
    chainrule train | evaluate | predict ...          networks on data      (chainrule.cli.train)
    chainrule plot KIND ...                           PNG plots             (chainrule.cli.plot)
    chainrule exercise -o DIR ...                     exercises with keys   (chainrule.cli.exercise)

Exit status: 0 success; 1 a failed check (an unexplained disagreement, or
with ``--strict`` any slip; a gradient check above tolerance); 2 a usage or
input error (one line on standard error, no traceback); 130 interrupted.

Adding a command group: a module with a function ``add_parsers(subparsers)``
that adds its subparsers and sets ``func=handler`` on each (``handler(args)
-> int``), named in ``_GROUPS``; handlers raise ``ValueError``/``TypeError``/
``OSError`` for bad input, which ``main`` turns into exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._version import __version__
from . import examples, exercise, plot, train

__all__ = ["build_parser", "main"]

#: The command groups, in help order: each module's ``add_parsers(subparsers)`` registers its subcommands.
_GROUPS = (examples, train, plot, exercise)


class _UsageError(Exception):
    """Raised by the parser instead of exiting, so ``main`` can return 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would print usage and sys.exit(2)
        raise _UsageError(f"{self.prog}: error: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command group's subcommands."""

    parser = _Parser(
        prog="chainrule", description="Neural networks trained by backpropagation: explain and check worked examples."
    )
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for group in _GROUPS:
        group.add_parsers(subparsers)
    return parser


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
