"""Convention inference: which loss constant, reduction, δ sign and update order a tutorial used.

Tutorials differ in conventions that change every gradient by a constant
factor or a sign: ½·Σ(a − y)² or Σ(a − y)² (or the mean over outputs), the
sum or the mean over a batch, δ = (a − y)·f' or (y − a)·f', hidden deltas
from the old or the already-updated weights. :func:`infer_conventions`
checks a worked example's printed numbers under each loss and reduction that
could have produced them, keeps the one under which the most numbers agree
(or differ only by the example's own rounding), and reports the sign and
update order the checker found on the way.

>>> import chainrule as cr
>>> example = cr.load_example("examples/worked/seed_003.toml")      # doctest: +SKIP
>>> cr.infer_conventions(example).findings                         # doctest: +SKIP
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .checker import CheckReport
from .examples import WorkedExample, example_from_dict

__all__ = ["Inference", "infer_conventions"]

_SQUARED = ("half_squared_error", "squared_error", "mse")


@dataclass
class Inference:
    """What :func:`infer_conventions` found.

    Attributes
    ----------
    loss, reduction : str
        The loss and reduction under which the printed numbers agree best.
    delta_sign : {"output − target", "target − output"}
        The sign of δ the example uses (``target − output`` is −∂L/∂z).
    hidden_deltas : {"old weights", "updated weights"}
        Which weights the example's hidden deltas are computed with.
    spec : dict
        The worked-example file with that loss and reduction, and the other
        findings written into its notes: ``chainrule check`` on it names only
        what the conventions do not explain.
    report : CheckReport
        The check under the inferred loss and reduction.
    scores : dict
        (loss, reduction) -> numbers explained by the example's own rounding or agreeing, for every candidate.
    findings : list of str
        The above in words.
    """

    loss: str
    reduction: str
    delta_sign: str
    hidden_deltas: str
    spec: dict[str, Any]
    report: CheckReport
    scores: dict[tuple[str, str], int] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)


def _score(report: CheckReport) -> tuple[int, int]:
    right = len(report.agreements) + sum(d.kind in ("rounding", "convention") for d in report.disagreements)
    return right, -sum(d.kind == "error" for d in report.disagreements)


def infer_conventions(example: WorkedExample) -> Inference:
    """Find the conventions that best explain a worked example's printed numbers.

    Parameters
    ----------
    example : WorkedExample
        A loaded worked-example file with ``published`` numbers.

    Returns
    -------
    Inference
    """
    if not example.published:
        raise ValueError("infer_conventions needs published numbers to explain; the example has none")
    data = example.data
    network = data["network"]
    given_loss = network.get("loss", "half_squared_error")
    given_reduction = network.get("reduction", "mean")
    losses = _SQUARED if given_loss in _SQUARED else (given_loss,)
    reductions = ("sum", "mean") if example.inputs.shape[0] > 1 else (given_reduction,)
    results = {}
    for loss in losses:
        for reduction in reductions:
            candidate = copy.deepcopy(data)
            candidate["network"] = {**network, "loss": loss, "reduction": reduction}
            results[(loss, reduction)] = (candidate, example_from_dict(candidate).check())
    given = (given_loss, given_reduction) if (given_loss, given_reduction) in results else next(iter(results))
    best = max(results, key=lambda k: (_score(results[k][1]), k == given))
    spec, report = results[best]
    signed = [d for d in report.disagreements if d.kind in ("convention", "slip", "follows") and "sign" in d.slips]
    sign = "target − output" if signed else "output − target"
    updated = any("updated_weights" in d.slips for d in report.disagreements)
    hidden = "updated weights" if updated else "old weights"
    loss, reduction = best
    findings = [
        f"loss: {loss}" + (" (as the file says)" if loss == given_loss else f" (the file says {given_loss})"),
        f"reduction: {reduction}"
        + (" (as the file says)" if reduction == given_reduction else f" (the file says {given_reduction})"),
        f"δ sign: {sign}" + (" (δ = −∂L/∂z: the checker reports these numbers as a sign convention)" if signed else ""),
        f"hidden deltas from: the {hidden}" + (" (a slip the checker names: updated_weights)" if updated else ""),
    ]
    spec = copy.deepcopy(spec)
    spec["notes"] = list(spec.get("notes", [])) + [f"inferred by chainrule check --infer: {f}" for f in findings]
    scores = {k: _score(r)[0] for k, (_, r) in results.items()}
    return Inference(loss, reduction, sign, hidden, spec, report, scores, findings)
