"""Checking a published worked example against true backpropagation.

:func:`check_example` records the true step with :func:`chainrule.teaching.trace.explain`
and compares every number a tutorial printed (given as a string, so that its
precision is known) with the trace. A value *agrees* when the true value,
rounded to the digits printed, reads the printed string.

For each disagreement it looks for the reason, in this order:

1. **Reused rounding / follow-on.** The step is redone from the example's own
   printed upstream values (the tutorial rounded its intermediates and went
   on with them). If that reproduces the number, the difference is rounding,
   or, when an upstream value it depends on is itself a slip, the number
   ``follows_from`` that first slip and is not a slip of its own.
2. **A flipped sign convention** (δ = (target − output)·f'(z) = −∂L/∂z).
3. **Known slips**, each redone as a what-if step: hidden deltas computed
   with already-updated weights; the ½ factor of the loss (gradients ×2, or
   ×½); sum vs mean over the batch; the derivative applied to the wrong
   variable (f'(a) where a = f(z), e.g. σ'(a)); a flipped sign.
4. Otherwise a plain **arithmetic error**.

A candidate *reproduces* a printed number when it reads the same rounded or
truncated to the printed digits (the redone step without a slip may also
land within the rounding of the printed values it was redone from, for a
tutorial that carried more digits than it printed); a slip that brings the number to within 5 %
of the way (and closer than anything else) is named with the residual left
over reported as an arithmetic slip on top.

The what-if steps (``_replay``) are built from the same pieces as the
network's own step (the layers' weights, the activation's ``forward`` and
``derivative``, the loss's ``value`` and ``gradient``); without a slip they
reproduce the recorded trace, which the tests check.

>>> import chainrule as cr
>>> net = cr.Network([2, 1], loss="half_squared_error", reduction="sum")
>>> net.layers[0].weights = [[0.2, 0.4]]
>>> net.layers[0].bias = [0.1]
>>> report = cr.check_example(net, [[0.5, 0.3]], [[1.0]], 0.01,
...                           {"layers[0].z[0][0]": "0.35", "layers[0].a[0][0]": "0.5866"})
>>> [(d.path, d.kind, d.follows_from) for d in report.disagreements]
[('layers[0].z[0][0]', 'error', None), ('layers[0].a[0][0]', 'follows', 'layers[0].z[0][0]')]
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from .._validation import check_positive_float
from .trace import Trace, explain, parse_path

__all__ = ["SLIPS", "Agreement", "CheckReport", "Disagreement", "check_example"]

#: The slips that :func:`check_example` can name, by identifier.
SLIPS = {
    "updated_weights": "hidden deltas computed with already-updated weights",
    "half_factor": "the ½ factor in the loss",
    "sum_vs_mean": "sum vs mean over the batch",
    "wrong_variable": "the derivative applied to the wrong variable",
    "sign": "a flipped sign convention",
}

_BACKWARD = ("grad_a", "derivative", "delta", "grad_weights", "grad_bias", "new_weights", "new_bias")
_SIGNED = ("grad_a", "delta", "grad_weights", "grad_bias")
_BENIGN = ("rounding", "convention")
_NEAR = 0.05  # a slip that leaves at most 5 % of the discrepancy is named


@dataclass
class Agreement:
    """A printed value that matches the true one at its printed precision."""

    path: str
    published: str
    true: float


@dataclass
class Disagreement:
    """A printed value that does not match the true step.

    Attributes
    ----------
    path : str
    published : str
    true : float
    diagnosis : str
        Why, in words.
    kind : {"rounding", "convention", "slip", "follows", "error"}
        ``rounding``: the example's rounded intermediates, reused;
        ``convention``: a flipped sign convention (possibly with rounding);
        ``slip``: a known slip reproduces it; ``follows``: it follows from
        an earlier slip or error (see ``follows_from``); ``error``: nothing
        known reproduces it (a plain arithmetic error).
    follows_from : str or None
        The path of the first slip this number follows from.
    slips : tuple of str
        Identifiers from :data:`SLIPS` that reproduce it.
    recomputed : float or None
        The value the named explanation gives.
    """

    path: str
    published: str
    true: float
    diagnosis: str
    kind: str
    follows_from: str | None = None
    slips: tuple[str, ...] = ()
    recomputed: float | None = None

    @property
    def explained(self) -> bool:
        return self.kind != "error"


@dataclass
class CheckReport:
    """What :func:`check_example` found; ``str(report)`` is the printed table."""

    agreements: list[Agreement]
    disagreements: list[Disagreement]
    order: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def unexplained(self) -> list[Disagreement]:
        """Disagreements no rounding, convention or known slip explains."""
        return [d for d in self.disagreements if d.kind == "error"]

    @property
    def slips(self) -> list[Disagreement]:
        """The first slips: real errors that are not rounding, convention or echoes."""
        return [d for d in self.disagreements if d.kind in ("slip", "error")]

    @property
    def ok(self) -> bool:
        """True when every disagreement is explained."""
        return not self.unexplained

    @property
    def first_slip(self) -> str | None:
        slips = self.slips
        return slips[0].path if slips else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "first_slip": self.first_slip,
            "agreements": [vars(a).copy() for a in self.agreements],
            "disagreements": [{**vars(d), "slips": list(d.slips)} for d in self.disagreements],
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        rows = {a.path: (a.published, a.true, "agrees") for a in self.agreements}
        for d in self.disagreements:
            verdict = {
                "rounding": "rounding",
                "convention": "convention",
                "slip": "SLIP",
                "follows": f"follows {d.follows_from}",
                "error": "ERROR",
            }[d.kind]
            rows[d.path] = (d.published, d.true, verdict)
        order = [p for p in self.order if p in rows] or list(rows)
        n_agree, n_dis = len(self.agreements), len(self.disagreements)
        lines = [
            "Published values checked against one step of true backpropagation (float64)",
            f"{n_agree + n_dis} values: {n_agree} agree, {n_dis} disagree ({len(self.unexplained)} unexplained)",
            "",
        ]
        width = max([len("path")] + [len(p) for p in order]) + 2
        pwidth = max([len("published")] + [len(rows[p][0]) for p in order]) + 2
        lines.append(f"{'path':<{width}}{'published':<{pwidth}}{'true':<14}verdict")
        for p in order:
            published, true, verdict = rows[p]
            lines.append(f"{p:<{width}}{published:<{pwidth}}{_g(true):<14}{verdict}")
        if self.disagreements:
            lines += ["", "Diagnoses"]
            for d in self.disagreements:
                lines.append(f"  {d.path}: {d.diagnosis}")
        lines.append("")
        if self.slips:
            first = self.slips[0]
            lines.append(f"First slip: {first.path}: {first.diagnosis}")
        elif self.disagreements:
            lines.append("No slip: every difference is rounding or a sign convention.")
        else:
            lines.append("Every published value agrees.")
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()


def _g(value: float) -> str:
    text = f"{value:.7g}"
    return "0" if text in ("-0", "0") else text


# -- precision -----------------------------------------------------------
_CTX = decimal.Context(prec=200)


def _parse_published(path: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str):
        raise TypeError(
            f"published[{path!r}] must be the number as printed, a str such as '0.5866' "
            f"(so that its precision is known); got {type(value).__name__} {value!r}"
        )
    try:
        number = Decimal(value.strip().replace("−", "-"))
    except decimal.InvalidOperation:
        raise ValueError(f"published[{path!r}] must be a decimal number such as '0.5866'; got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"published[{path!r}] must be a finite number; got {value!r}")
    return number


def _shown(value: float, published: Decimal) -> str | None:
    """'round' if ``value`` rounded to the printed digits reads ``published``, 'trunc' if cut, else None."""
    if not np.isfinite(value):
        return None
    step = Decimal(1).scaleb(published.as_tuple().exponent)
    exact = Decimal(repr(float(value)))
    for mode in (decimal.ROUND_HALF_EVEN, decimal.ROUND_HALF_UP):
        if exact.quantize(step, rounding=mode, context=_CTX) == published:
            return "round"
    if exact.quantize(step, rounding=decimal.ROUND_DOWN, context=_CTX) == published:
        return "trunc"
    return None


# -- the what-if step ----------------------------------------------------
class _Setup:
    """What a replay needs: the old parameters, activations, loss, data, rate."""

    def __init__(self, net, trace: Trace):
        self.trace = trace
        self.X, self.Y = trace.inputs, trace.targets
        self.n = trace.n_samples
        self.lr = trace.learning_rate
        self.scale = 1.0 / self.n if trace.reduction == "mean" else 1.0
        self.loss = net.loss_function
        self.acts = [layer.activation for layer in net.layers]
        self.W = [layer.weights for layer in trace.layers]
        self.b = [layer.bias for layer in trace.layers]
        self.fused = self.loss.fused is not None and self.acts[-1].name == self.loss.fused


def _replay(setup: _Setup, slip: tuple | None, overrides: Mapping) -> dict:
    """The step redone with an optional slip and with some values replaced.

    ``slip`` is None or (identifier, parameter); ``overrides`` maps
    (layer, field) or "loss" to a list of (index, value).
    """
    vals: dict = {}
    name = slip[0] if slip else None

    def put(key, arr):
        ov = overrides.get(key)
        if ov:
            arr = np.array(arr, dtype=np.float64, copy=True)
            for index, value in ov:
                arr[index] = value
        vals[key] = arr
        return arr

    L = len(setup.W)
    a = setup.X
    for l in range(L):
        z = np.dot(a, setup.W[l].T)
        if setup.b[l] is not None:
            z = z + setup.b[l]
        z = put((l, "z"), z)
        a = put((l, "a"), setup.acts[l].forward(z))
    factor = 1.0
    if name in ("half_factor", "sum_vs_mean"):
        factor = slip[1]
    loss_factor = factor if name == "sum_vs_mean" else 1.0
    zL, aL = vals[(L - 1, "z")], vals[(L - 1, "a")]
    loss = setup.loss.value(zL, aL, setup.Y) * setup.scale * loss_factor
    ov = overrides.get("loss")
    vals["loss"] = ov[0][1] if ov else loss
    grad_a = None
    if not setup.fused:
        grad_a = put((L - 1, "grad_a"), setup.loss.gradient(aL, setup.Y) * (setup.scale * factor))
    delta_next = W_next = None
    for l in range(L - 1, -1, -1):
        act = setup.acts[l]
        z, a = vals[(l, "z")], vals[(l, "a")]
        if l < L - 1:
            grad_a = put((l, "grad_a"), np.dot(delta_next, W_next))
        if l == L - 1 and setup.fused:
            delta = (a - setup.Y) * (setup.scale * factor)
        elif act.elementwise:
            if name == "wrong_variable":
                derivative = act.derivative(a, act.forward(a))  # f'(a) where a = f(z): the slip
            else:
                derivative = act.derivative(z, a)
            derivative = put((l, "derivative"), derivative)
            delta = grad_a * derivative
        else:
            delta = act.backward(z, a, grad_a)
        delta = put((l, "delta"), delta)
        a_prev = setup.X if l == 0 else vals[(l - 1, "a")]
        gw = put((l, "grad_weights"), np.dot(delta.T, a_prev))
        new_w = put((l, "new_weights"), setup.W[l] - gw * setup.lr)
        if setup.b[l] is not None:
            gb = put((l, "grad_bias"), delta.sum(axis=0))
            put((l, "new_bias"), setup.b[l] - gb * setup.lr)
        delta_next = delta
        W_next = new_w if name == "updated_weights" else setup.W[l]
    return vals


def _value(vals: dict, key) -> float:
    if key is None:
        return float(vals["loss"])
    l, name, index = key
    return float(vals[(l, name)][index])


def _overrides(entries) -> dict:
    out: dict = {}
    for key, value in entries:
        if key is None:
            out["loss"] = [((), value)]
        else:
            out.setdefault((key[0], key[1]), []).append((key[2], value))
    return out


# -- the check -----------------------------------------------------------
def check_example(net, X: Any, Y: Any, learning_rate: float, published: Mapping[str, str]) -> CheckReport:
    """Compare a published worked example with one step of true backpropagation.

    Parameters
    ----------
    net : Network
        The example's network with its starting weights (not modified).
    X : array-like of shape (n_samples, n_inputs)
    Y : array-like of shape (n_samples, n_outputs)
    learning_rate : float > 0
    published : mapping of str to str
        Trace paths (``"layers[0].new_weights[1][0]"``, ``"loss"``; see
        :mod:`chainrule.teaching.trace`) to the numbers as printed, as strings so
        that their precision is known (``"0.5866"``, ``"-2.406e-3"``).

    Returns
    -------
    CheckReport
        ``agreements`` and ``disagreements`` in the order the step
        computes them; each disagreement carries ``path``, ``published``,
        ``true``, ``diagnosis``, ``kind`` and ``follows_from``.
    """
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    if not isinstance(published, Mapping):
        raise TypeError(
            f"published must be a mapping of trace paths to printed numbers (str); got {type(published).__name__}"
        )
    trace = explain(net, X, Y, learning_rate)
    setup = _Setup(net, trace)
    rank = {p: i for i, p in enumerate(trace.paths())}
    entries = []
    for path, text in published.items():
        key = parse_path(path, trace)
        canonical = "loss" if key is None else f"layers[{key[0]}].{key[1]}" + "".join(f"[{i}]" for i in key[2])
        if canonical not in rank:  # old weights and biases: inputs of the step
            rank[canonical] = -1
        entries.append((rank[canonical], canonical, key, text, _parse_published(path, text)))
    entries.sort(key=lambda e: e[0])

    agreements: list[Agreement] = []
    disagreements: list[Disagreement] = []
    status: dict[str, Disagreement] = {}
    effective: list = []  # (path, key, value injected downstream), in order
    truths: dict[str, float] = {}
    texts = {e[1]: e[3].strip() for e in entries}
    half_ulps = {e[1]: _half_ulp(e[4]) for e in entries}
    for _, path, key, text, number in entries:
        true = trace.get(path)
        truths[path] = true
        p = float(number)
        if _shown(true, number) == "round":
            agreements.append(Agreement(path, text, true))
            effective.append((path, key, p))
            continue
        d = _diagnose(setup, path, key, text, number, true, effective, status, truths, rank, texts, half_ulps)
        disagreements.append(d)
        status[path] = d
        injected = -p if "sign" in d.slips and key is not None and key[1] in _SIGNED else p
        effective.append((path, key, injected))
    return CheckReport(agreements, disagreements, order=[e[1] for e in entries])


def _diagnose(setup, path, key, text, number, true, effective, status, truths, rank, texts, half_ulps) -> Disagreement:
    p = float(number)
    field_name = None if key is None else key[1]
    backward = field_name in _BACKWARD or key is None
    signable = field_name in _SIGNED
    upstream_all = [(u, k, v) for u, k, v in effective]
    upstream_bad = [(u, k, v) for u, k, v in effective if u in status and status[u].kind not in _BENIGN]
    modes = [upstream_all, upstream_bad] if upstream_all != upstream_bad else [upstream_all]

    def run(slip, mode):
        vals = _replay(setup, slip, _overrides([(k, v) for _, k, v in mode]))
        return vals, _value(vals, key)

    def signed(value, sign):
        if sign == 1:
            return value
        if field_name in _SIGNED:
            return -value
        if field_name in ("new_weights", "new_bias"):  # the update climbs: w + η·g
            old = _old(setup, key)
            return 2.0 * old - value
        return value

    candidates = [(None, 1)]
    if signable:
        candidates.append((None, -1))
    slips = []
    if backward:
        L = len(setup.W)
        if L > 1 and key is not None and key[0] < L - 1:
            slips.append(("updated_weights", None))
        slips += [("half_factor", 2.0), ("half_factor", 0.5)]
        if setup.n > 1:
            slips.append(("sum_vs_mean", float(setup.n) if setup.scale != 1.0 else 1.0 / setup.n))
        if any(act.elementwise for act in setup.acts) and field_name != "loss":
            slips.append(("wrong_variable", None))
    for s in slips:
        candidates.append((s, 1))
        if signable or field_name in ("new_weights", "new_bias"):
            candidates.append((s, -1))
    if field_name in ("new_weights", "new_bias"):
        candidates.insert(1, (None, -1))

    base_value = run(None, modes[0])[1]
    found = None
    tried = []
    for slip, sign in candidates:
        for mode in modes:
            _, value = run(slip, mode)
            value = signed(value, sign)
            tried.append((slip, sign, mode, value))
            how = _shown(value, number)
            if how:
                found = (slip, sign, mode, value, how)
                break
        if found:
            break
    residual_note = ""
    if found is None:
        # the example may have carried more digits than it printed: the base step is
        # accepted within the rounding of the printed values it uses
        for sign in (1, -1) if signable or field_name in ("new_weights", "new_bias") else (1,):
            value = signed(base_value, sign)
            spread = _uncertainty(setup, key, None, modes[0], half_ulps)
            if abs(p - value) <= _half_ulp(number) + spread:
                found = (None, sign, modes[0], value, "round")
                break
    if found is None:
        # the slip that comes closest, if it takes the number nearly all the way
        gap = abs(p - base_value)
        best = min((t for t in tried if t[0] is not None), key=lambda t: abs(p - t[3]), default=None)
        if best is not None and abs(p - best[3]) <= _NEAR * gap:
            found = (best[0], best[1], best[2], best[3], None)
            residual_note = (
                f"; it gives {_g(best[3])} from the example's own values, so a residual of "
                f"{abs(p - best[3]):.2g} is an arithmetic slip on top"
            )
    if found is None:
        return Disagreement(
            path, text, true, _arithmetic(setup, key, base_value, text, modes[0]), "error", recomputed=base_value
        )

    slip, sign, mode, value, how = found
    names = []
    parts = []
    if slip is not None:
        names.append(slip[0])
        parts.append(_slip_text(slip, setup))
    if sign == -1:
        names.append("sign")
        parts.append(_sign_text(field_name))
    trunc = " (truncated, not rounded)" if how == "trunc" else ""

    # which printed upstream values does this number depend on?
    deps = _dependencies(setup, key, slip, mode)
    bad = [u for u in deps if u in status and status[u].kind not in _BENIGN]
    if slip is not None:
        kind = "slip"
        diagnosis = "; ".join(parts) + residual_note + trunc
        return Disagreement(path, text, true, diagnosis, kind, None, tuple(names), value)
    if bad:
        roots = sorted({status[u].follows_from or u for u in bad}, key=lambda r: rank.get(r, -1))
        via = ", ".join(f"{u} = {texts[u]}" for u in bad[:3])
        diagnosis = (
            f"follows from {roots[0]}: redone with the example's {via}, it gives {_g(value)}, which reads {text}{trunc}"
        )
        if parts:
            diagnosis = "; ".join(parts) + "; " + diagnosis
        return Disagreement(path, text, true, diagnosis, "follows", roots[0], tuple(names), value)
    rounded = [
        u
        for u in deps
        if u in truths
        and _published_of(effective, u) is not None
        and abs(abs(_published_of(effective, u)) - abs(truths[u])) > 0
    ]
    if rounded:
        listed = ", ".join(f"{u} = {texts[u]}" for u in rounded[:4])
        more = f" and {len(rounded) - 4} more" if len(rounded) > 4 else ""
        them = "them" if len(rounded) > 1 else "it"
        rounding = (
            f"rounding: the example rounded {listed}{more} and reused {them}; redone with "
            f"{them}, it gives {_g(value)}, which reads {text}{trunc}"
        )
    else:
        rounding = f"rounding: the true value {_g(true)} is shown{trunc or ' rounded'} as {text}"
    kind = "rounding" if sign == 1 else ("convention" if signable else "slip")
    diagnosis = "; ".join(parts + [rounding]) if (rounded or trunc or sign == 1) else parts[0]
    return Disagreement(path, text, true, diagnosis, kind, None, tuple(names), value)


def _published_of(effective, path):
    for u, _, v in effective:
        if u == path:
            return v
    return None


def _half_ulp(number: Decimal) -> float:
    return 0.5 * 10.0 ** number.as_tuple().exponent


def _uncertainty(setup, key, slip, mode, half_ulps) -> float:
    """How far the value can move when each printed input moves by its own half-ulp (linearised)."""
    base = _value(_replay(setup, slip, _overrides([(k, v) for _, k, v in mode])), key)
    total = 0.0
    for i, (u, k, v) in enumerate(mode):
        h = half_ulps.get(u, 0.0)
        if not h:
            continue
        nudged = list(mode)
        nudged[i] = (u, k, v + h)
        total += abs(_value(_replay(setup, slip, _overrides([(kk, w) for _, kk, w in nudged])), key) - base)
    return total


def _dependencies(setup, key, slip, mode) -> list[str]:
    """The printed upstream values (paths) this value changes with, found by nudging each one."""
    base = _value(_replay(setup, slip, _overrides([(k, v) for _, k, v in mode])), key)
    deps = []
    for i, (u, _, v) in enumerate(mode):
        nudged = list(mode)
        h = max(abs(v), 1e-3) * 1e-4
        nudged[i] = (u, mode[i][1], v + h)
        if _value(_replay(setup, slip, _overrides([(k, w) for _, k, w in nudged])), key) != base:
            deps.append(u)
    return deps


def _old(setup, key) -> float:
    l, name, index = key
    return float((setup.W[l] if name == "new_weights" else setup.b[l])[index])


def _slip_text(slip, setup) -> str:
    name, param = slip
    if name == "updated_weights":
        return SLIPS[name]
    if name == "half_factor":
        return (
            "the ½ factor in the loss: gradients ×2 (dL/da = 2·(a − y) with L = ½·Σ(a − y)²)"
            if param == 2.0
            else "the ½ factor in the loss: gradients ×½ (the 2 of d(a − y)²/da dropped)"
        )
    if name == "sum_vs_mean":
        return (
            f"sum vs mean over the batch: summed over the {setup.n} samples where the loss averages"
            if param > 1
            else f"sum vs mean over the batch: averaged over the {setup.n} samples where the loss sums"
        )
    if name == "wrong_variable":
        f = setup.acts[-1].name
        symbol = "σ" if f == "sigmoid" else "f"
        return f"the derivative applied to the wrong variable: {symbol}'(a) where a = {symbol}(z) already"
    return SLIPS[name]


def _sign_text(field_name) -> str:
    if field_name in ("new_weights", "new_bias"):
        return "flipped sign: the update climbs the gradient (w + η·∂L/∂w)"
    if field_name == "delta":
        return "flipped sign convention: δ = (target − output)·f'(z) = −∂L/∂z"
    return "flipped sign convention: the negative of the gradient"


def _paren(value: float, spec: str = "g") -> str:
    text = format(float(value), spec)
    return f"({text})" if value < 0 else text


def _arithmetic(setup, key, value, text, mode) -> str:
    """A plain arithmetic error, with the sum written out where it is short."""
    vals = _replay(setup, None, _overrides([(k, v) for _, k, v in mode]))
    formula = ""
    if key is not None:
        l, name, index = key
        if name == "z" and setup.W[l].shape[1] <= 8:
            s, j = index
            a_prev = setup.X if l == 0 else vals[(l - 1, "a")]
            terms = [f"{setup.W[l][j, i]:g}·{_paren(a_prev[s, i])}" for i in range(setup.W[l].shape[1])]
            if setup.b[l] is not None:
                terms.append(_paren(setup.b[l][j]) if terms else f"{setup.b[l][j]:g}")
            formula = " + ".join(terms) + " = "
        elif name == "new_weights":
            j, i = index
            formula = f"{setup.W[l][j, i]:g} − {setup.lr:g}·{_paren(vals[(l, 'grad_weights')][j, i], '.6g')} = "
    return (
        f"arithmetic error: {formula}{_g(value)}, not {text} "
        f"(redone from the example's own upstream values; no known slip gives {text})"
    )
