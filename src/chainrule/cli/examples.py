"""The worked-example subcommands of the ``chainrule`` command: ``explain``, ``check``, ``gradcheck``.

::

    chainrule explain FILE [--format text|markdown|json|html] [--practice] [--digits N] [--step K] [-o FILE]
                      [--optimizer sgd|adam|adamw|rmsprop] [--learning-rate LR] [--momentum MU] [--nesterov]
                      [--beta1 B1] [--beta2 B2] [--epsilon EPS] [--rho RHO] [--weight-decay L]
                      [--weight-decay-on all|weights] [--dropout P] [--steps K]
    chainrule check FILE [--format text|json] [--strict]
    chainrule check --infer FILE [-o SPEC.json]
    chainrule check --list-slips
    chainrule gradcheck FILE [--epsilon E] [--tolerance T]
    chainrule new-example --sizes 2,3,1 [--activation A] [--loss L] [--samples N] -o FILE.toml

FILE is a worked-example file (JSON or TOML, see :mod:`chainrule.teaching.examples`;
``explain --help`` and ``check --help`` list its keys and trace paths, from the
loader's own tables). ``new-example`` writes a commented template to fill in.
``explain`` shows the file's step (plain SGD at its learning rate) unless an
optimiser option is given: then the step of that optimiser (``--optimizer``,
default sgd, at ``--learning-rate``, default the file's), with its state
before and after, as ``chainrule train``'s options name them; ``--steps K``
shows K consecutive full-batch steps.
``check`` exits 0 when every published number agrees or differs only by the
example's own rounding, 1 when any disagrees otherwise (a sign convention, a
named slip, an arithmetic error; with ``--strict``, rounding too), 2 on bad
input; ``gradcheck`` exits 1 when a relative error is above tolerance.

Every handler returns an exit status; bad input raises ``ValueError``,
``TypeError`` or ``OSError``, which :func:`chainrule.cli.main.main` turns
into status 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..core.activations import ACTIVATIONS
from ..core.gradcheck import gradcheck
from ..core.losses import LOSSES, REDUCTIONS
from ..teaching.checker import SLIPS
from ..teaching.examples import format_reference, load_example, template
from ..teaching.inference import infer_conventions
from ..training.optimizers import OPTIMIZERS, WEIGHT_DECAY_ON, get_optimizer

__all__ = ["add_parsers"]


def add_parsers(subparsers) -> None:
    """Register ``explain``, ``check`` and ``gradcheck``."""
    reference = format_reference()
    p = subparsers.add_parser(
        "explain", help="print one training step of a worked-example file, worked out", epilog=reference
    )
    p.add_argument("file", help="worked-example file (.json or .toml)")
    p.add_argument("--format", choices=("text", "markdown", "json", "html"), default="text", help="the rendering")
    p.add_argument("--digits", type=_positive_int, default=4, help="significant digits shown")
    p.add_argument("-o", "--output", default=None, help="write here instead of standard output (needed for html)")
    p.add_argument(
        "--practice",
        action="store_true",
        help="with --format html: a page of blanks the learner fills in, checked as they type",
    )
    p.add_argument(
        "--step",
        type=_positive_int,
        default=1,
        help="which step of a multi-step file (1: its [step]; K: its [[steps]] K-1, from the weights it went on with)",
    )
    p.add_argument("--optimizer", default=None, choices=sorted(OPTIMIZERS), help="default: the file's plain SGD")
    p.add_argument("--learning-rate", type=_positive_float, default=None, help="default: the file's")
    p.add_argument("--momentum", type=float, default=None, help="sgd: momentum μ in [0, 1)")
    p.add_argument("--nesterov", action="store_true", help="sgd: Nesterov momentum (needs --momentum)")
    p.add_argument("--beta1", type=float, default=None, help="adam, adamw: β₁ (default 0.9)")
    p.add_argument("--beta2", type=float, default=None, help="adam, adamw: β₂ (default 0.999)")
    p.add_argument("--epsilon", type=_positive_float, default=None, help="adam, adamw, rmsprop: ε (default 1e-8)")
    p.add_argument("--rho", type=float, default=None, help="rmsprop: ρ, the average's decay (default 0.99)")
    p.add_argument(
        "--weight-decay", type=float, default=None, help="L2 penalty added to the gradient (adamw: decoupled)"
    )
    p.add_argument("--weight-decay-on", default=None, choices=sorted(WEIGHT_DECAY_ON), help="default: all")
    p.add_argument("--dropout", type=float, default=0.0, help="dropout on hidden layers, in [0, 1)")
    p.add_argument("--steps", type=_positive_int, default=1, help="consecutive full-batch steps shown (default 1)")
    p.set_defaults(func=_explain)

    p = subparsers.add_parser(
        "check", help="check a worked example's published numbers against true backprop", epilog=reference
    )
    p.add_argument("file", nargs="?", help="worked-example file with a [published] table")
    p.add_argument("--format", choices=("text", "json"), default="text", help="the report's form")
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 on any number that does not read the true value, rounding included "
        "(by default the example's own rounding passes)",
    )
    p.add_argument("--list-slips", action="store_true", help="list the slips the checker can name, and exit")
    p.add_argument(
        "--infer",
        action="store_true",
        help="find the loss constant, reduction, δ sign and update order that best explain the numbers, "
        "and write the spec with them (to -o, else standard output)",
    )
    p.add_argument("-o", "--output", default=None, help="with --infer: write the inferred spec here (.json)")
    p.set_defaults(func=_check)

    p = subparsers.add_parser("gradcheck", help="finite-difference check of backprop's gradients on a spec file")
    p.add_argument("file", help="worked-example file (.json or .toml)")
    p.add_argument("--epsilon", type=float, default=1e-6, help="finite-difference step")
    p.add_argument("--tolerance", type=float, default=1e-6, help="largest relative error accepted")
    p.set_defaults(func=_gradcheck)

    p = subparsers.add_parser(
        "new-example",
        help="write a commented worked-example template (TOML) to fill in with a tutorial's numbers",
        epilog=reference,
    )
    p.add_argument("--sizes", required=True, type=_sizes, help="neurons per layer, input first, e.g. 2,3,1")
    p.add_argument("--activation", default="sigmoid", choices=sorted(set(ACTIVATIONS) - {"softmax"}), help="hidden")
    p.add_argument("--loss", default="half_squared_error", choices=sorted(LOSSES), help="the loss")
    p.add_argument("--reduction", default="sum", choices=REDUCTIONS, help="over the samples")
    p.add_argument("--no-bias", action="store_true", help="layers without biases")
    p.add_argument("--samples", type=_positive_int, default=1, help="rows of inputs and targets")
    p.add_argument("-o", "--output", required=True, help="the .toml file to write (never overwritten)")
    p.set_defaults(func=_new_example)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0; got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0; got {value}")
    return value


#: The optimiser options of ``explain``, by the keyword of the optimiser classes.
_OPTIMIZER_OPTIONS = ("momentum", "beta1", "beta2", "epsilon", "rho", "weight_decay", "weight_decay_on")


def _optimizer(args, example):
    """The optimiser the options ask for, or None for the file's own plain SGD step."""
    options = {name: getattr(args, name) for name in _OPTIMIZER_OPTIONS}
    options["nesterov"] = True if args.nesterov else None
    if args.optimizer is None and args.learning_rate is None and all(v is None for v in options.values()):
        return None
    lr = example.learning_rate if args.learning_rate is None else args.learning_rate
    return get_optimizer(args.optimizer or "sgd", lr, **options)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 2,3,1; got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected at least two sizes >= 1, such as 2,3,1; got {text!r}")
    return sizes


def _new_example(args) -> int:
    if not args.output.lower().endswith(".toml"):
        raise ValueError(f"-o {args.output}: the template is TOML (its comments explain each key): name it .toml")
    text = template(
        args.sizes,
        activation=args.activation,
        loss=args.loss,
        reduction=args.reduction,
        bias=not args.no_bias,
        samples=args.samples,
    )
    try:
        with open(args.output, "x", encoding="utf-8") as fh:  # "x": an existing file is never overwritten
            fh.write(text)
    except FileExistsError:
        raise FileExistsError(f"{args.output} exists; it is left as it is (choose another name)") from None
    sys.stdout.write(f"wrote {args.output}: fill in your numbers, then `chainrule explain {args.output}`\n")
    return 0


def _explain(args) -> int:

    if args.practice and args.format != "html":
        raise ValueError("--practice is a page: give --format html -o FILE with it")
    if args.practice and args.steps > 1:
        raise ValueError("--practice is a page of one step: leave out --steps")
    example = load_example(args.file)
    options = {"steps": args.steps, "dropout": args.dropout}
    given = {name: value for name, value in options.items() if value != {"steps": 1, "dropout": 0.0}[name]}
    trace = example.explain(args.step, _optimizer(args, example), **given)
    if args.format == "html":
        if not args.output:
            raise ValueError("--format html needs -o FILE (the page to write)")
        if args.steps > 1:
            page = trace.to_html(title=example.title or None, digits=args.digits)
        else:
            page = trace.to_html(title=example.title or None, digits=args.digits, practice=args.practice)
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(page)
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
    if args.list_slips:
        width = max(len(name) for name in SLIPS) + 2
        for name, text in SLIPS.items():
            sys.stdout.write(f"{name:<{width}}{text}\n")
        return 0
    if args.file is None:
        raise ValueError("check needs a worked-example FILE (or --list-slips)")
    example = load_example(args.file)
    if not example.published:
        raise ValueError(f"{args.file}: has no [published] values to check")
    if args.infer:
        return _infer(example, args.output)
    if args.output is not None:
        raise ValueError("-o/--output is for --infer (a check prints its report)")
    report = example.check()
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        if example.title:
            sys.stdout.write(f"{example.title}\n\n")
        sys.stdout.write(report.to_text())
    failed = bool(report.disagreements) if args.strict else not report.passed
    return 1 if failed else 0


def _infer(example, output: str | None) -> int:
    if output is not None and not output.lower().endswith(".json"):
        raise ValueError(f"--infer writes JSON: give -o a path ending in .json; got {output!r}")
    inference = infer_conventions(example)
    text = json.dumps(inference.spec, indent=2, ensure_ascii=False) + "\n"
    # the findings go where the spec does not: standard output stays pure JSON when the spec is printed
    findings = "".join(f"{line}\n" for line in inference.findings)
    if output is None:
        sys.stderr.write(findings)
        sys.stdout.write(text)
    else:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        sys.stdout.write(findings + f"wrote {output}\n")
    return 0


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
