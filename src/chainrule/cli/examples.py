"""The worked-example subcommands of the ``chainrule`` command: ``explain``, ``check``, ``gradcheck``.

::

    chainrule explain FILE [--format text|markdown|json|html] [--digits N] [-o FILE]
    chainrule check FILE [--format text|json] [--strict]
    chainrule gradcheck FILE [--epsilon E] [--tolerance T]

FILE is a worked-example file (JSON or TOML, see :mod:`chainrule.teaching.examples`).
``check`` exits 1 on an unexplained disagreement (with ``--strict``, on any
slip too); ``gradcheck`` exits 1 when a relative error is above tolerance.

Every handler returns an exit status; bad input raises ``ValueError``,
``TypeError`` or ``OSError``, which :func:`chainrule.cli.main.main` turns
into status 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..core.gradcheck import gradcheck
from ..teaching.examples import load_example

__all__ = ["add_parsers"]


def add_parsers(subparsers) -> None:
    """Register ``explain``, ``check`` and ``gradcheck``."""
    p = subparsers.add_parser("explain", help="print one training step of a worked-example file, worked out")
    p.add_argument("file", help="worked-example file (.json or .toml)")
    p.add_argument("--format", choices=("text", "markdown", "json", "html"), default="text", help="the rendering")
    p.add_argument("--digits", type=_positive_int, default=4, help="significant digits shown")
    p.add_argument("-o", "--output", default=None, help="write here instead of standard output (needed for html)")
    p.set_defaults(func=_explain)

    p = subparsers.add_parser("check", help="check a worked example's published numbers against true backprop")
    p.add_argument("file", help="worked-example file with a [published] table")
    p.add_argument("--format", choices=("text", "json"), default="text", help="the report's form")
    p.add_argument(
        "--strict",
        action="store_true",
        help="also fail on diagnosed slips (by default only unexplained disagreements fail)",
    )
    p.set_defaults(func=_check)

    p = subparsers.add_parser("gradcheck", help="finite-difference check of backprop's gradients on a spec file")
    p.add_argument("file", help="worked-example file (.json or .toml)")
    p.add_argument("--epsilon", type=float, default=1e-6, help="finite-difference step")
    p.add_argument("--tolerance", type=float, default=1e-6, help="largest relative error accepted")
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
