"""The ``chainrule`` command: ``main(argv=None) -> int``.

Command groups, one module each::

    chainrule explain | check | gradcheck FILE ...   worked-example files  (chainrule.cli.examples)
    chainrule train | evaluate | predict ...          networks on data      (chainrule.cli.train)
    chainrule plot KIND ...                           PNG plots             (chainrule.cli.plot)

Exit status: 0 success; 1 a failed check (an unexplained disagreement, or
with ``--strict`` any slip; a gradient check above tolerance); 2 a usage or
input error, a training that diverged, or an input too large for memory or
too deeply nested (one line on standard error, no traceback); 130
interrupted by Ctrl-C (SIGINT), 143 by SIGTERM (``train`` saves its
checkpoint first).

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
from ..errors import TrainingDiverged
from . import examples, plot, train

__all__ = ["build_parser", "main"]

#: The command groups, in help order: each module's ``add_parsers(subparsers)`` registers its subcommands.
_GROUPS = (examples, train, plot)


class _UsageError(Exception):
    """Raised by the parser instead of exiting, so ``main`` can return 2."""


class _HelpFormatter(argparse.HelpFormatter):
    """``--help`` with every option's default: ``(default: X)`` after its help, unless the help says it.

    A default of None reads ``(default: none)``: the option is off unless
    given; flags (default False) likewise. In descriptions and epilogs,
    paragraphs are wrapped, and indented lines (the worked-example format's
    tables) are kept as they are.
    """

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if "default" in text or default is False or default is argparse.SUPPRESS or not action.option_strings:
            return text
        shown = "none" if default is None else default
        return f"{text} (default: {shown})" if text else f"(default: {shown})"

    def _fill_text(self, text, width, indent):
        paragraphs = []
        for paragraph in text.strip("\n").split("\n\n"):
            lines = paragraph.splitlines()
            if any(line.startswith(" ") for line in lines):
                paragraphs.append("\n".join(indent + line for line in lines))
            else:
                paragraphs.append(super()._fill_text(paragraph, width, indent))
        return "\n\n".join(paragraphs)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

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
    except (OSError, ValueError, TypeError, TrainingDiverged) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
            message = f"{exc.filename}: {exc.strerror}"
        sys.stderr.write(f"chainrule: error: {message}\n")
        return 2
    except MemoryError as exc:  # an absurd size that reached an allocation
        detail = str(exc).splitlines()[0] if str(exc) else "use smaller layers, batches or data"
        sys.stderr.write(f"chainrule: error: out of memory: {detail}\n")
        return 2
    except (RecursionError, OverflowError) as exc:  # input nested too deeply, or a number beyond float range
        kind = "nested too deeply" if isinstance(exc, RecursionError) else "holds a number too large for a float"
        sys.stderr.write(f"chainrule: error: the input {kind} ({type(exc).__name__}: {exc})\n")
        return 2
