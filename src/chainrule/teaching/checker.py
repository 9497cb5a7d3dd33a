"""Checking a published worked example against true backpropagation.

:func:`check_example` records the true step with :func:`chainrule.teaching.trace.explain`
and compares every number a tutorial printed (given as a string, so that its
precision is known) with it. A value *agrees* when the true value, rounded to
the digits printed, reads the printed string (a printed ``-0`` does not read
a positive number).

**The tolerance model.** Each printed number stands for an interval: ± half a
unit of its last digit, or a single point when it is exactly the true value
(``0.378`` for an input-derived 0.378, ``0`` for a true 0). For a disagreement,
the step is redone from the example's *own* printed upstream numbers, and the
interval each of them stands for is carried through the same step (the ends
found by recomputing at the corner each partial derivative points to), so the
redone value is a range [lo, hi]. A hypothesis *reproduces* the printed number
when that range holds a number that reads it, rounded or truncated at its
printed digits. "It gives V, which reads P" is printed only when V itself reads P.

**The hypotheses**, in this order; the first that reproduces the number is named:

1. **No slip.** The step redone from the example's own numbers reproduces it:
   *rounding* (its rounded or truncated values, reused), or, when a printed
   upstream value it depends on is itself wrong, it ``follows`` from that first
   wrong number and is not a mistake of its own.
2. **A sign convention** (δ = (target − output)·f'(z) = −∂L/∂z, and the
   gradients that follow from it).
3. **The known slips** of :data:`SLIPS`, each redone as a what-if step at the
   layer it may have happened in (``chainrule check --list-slips``).
4. **Unpublished rounding**: intermediates the example did not print, rounded
   or truncated at 2 to 6 significant digits or decimals and reused.
5. Otherwise a plain **arithmetic error**, with the step redone from the
   example's own values. No slip is named because it comes "close".

The what-if steps (``_replay``) are built from the same pieces as the
network's own step (the layers' weights, the activation's ``forward`` and
``derivative``, the loss's ``value`` and ``gradient``); without a slip they
reproduce the recorded trace, which the tests check. Beyond the trace's
fields, a check can address what tutorials print on the way:
``layers[L-1].residual`` (a − y), ``delta_weights``/``delta_bias`` (−η·g),
``loss_after`` (the loss after the update), ``grad_a_terms[s][i][k]`` (the
term δ_k·w_ki of a hidden gradient), a softmax layer's ``exp`` and
``sum_exp``, and ``grad_a``/``derivative`` of a fused output layer.

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
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from .._validation import check_positive_float
from .check_render import report_html, report_markdown, report_summary
from .trace import TRACE_FIELDS, Trace, explain

__all__ = ["SLIPS", "Agreement", "CheckReport", "Disagreement", "check_example"]

#: The slips that :func:`check_example` can name, by identifier, in the order they are tried.
SLIPS = {
    "updated_weights": "hidden deltas computed with already-updated weights",
    "half_factor": "the ½ factor of a squared-error loss mishandled (gradients ×2 or ×½)",
    "sum_vs_mean": "sum vs mean over the batch",
    "no_derivative": "the activation derivative left out: δ = ∂L/∂a",
    "double_derivative": "a fused output's derivative applied twice: δ = (a − y)·f'(z)",
    "logits": "the logits used where the outputs belong: δ = z − y",
    "wrong_variable": "the derivative applied to the wrong variable: f'(a) where a = f(z) already",
    "wrong_derivative": "another function's derivative: σ' for tanh, or tanh' for σ",
    "transposed_weights": "a weight index transposed: w_jk read as w_kj",
    "no_bias": "the bias left out of z",
    "learning_rate_twice": "the learning rate applied twice: w − η²·∂L/∂w",
    "learning_rate_missing": "the learning rate left out: w − ∂L/∂w",
    "decimal_point": "a decimal point moved: the number (in an update, the change) ×10 or ×1/10",
    "sign": "a flipped sign: an update that climbs the gradient, or a sign that is not a convention",
}

#: Fields that only the checker computes (the trace has the others: :data:`TRACE_FIELDS`).
CHECK_FIELDS = ("residual", "exp", "sum_exp", "grad_a_terms", "delta_weights", "delta_bias")

_FORWARD = ("z", "a", "exp", "sum_exp")
_SIGNED = ("grad_a", "grad_a_terms", "residual", "delta", "grad_weights", "grad_bias")
_UPDATES = ("new_weights", "new_bias")
_CHANGES = ("delta_weights", "delta_bias")
_BENIGN = ("rounding", "convention")
_PATH = re.compile(r"^layers\[(\d+)\]\.([a-z_]+)((?:\[\d+\])+)$")
_EXACT = 1e-9  # a printed number this close (relatively) to the truth is the truth


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
        ``rounding``: the example's rounded values, reused (the arithmetic is
        right); ``convention``: a flipped sign convention; ``slip``: a known
        slip reproduces it; ``follows``: it follows from an earlier slip or
        error (see ``follows_from``); ``error``: nothing known reproduces it
        (a plain arithmetic error).
    follows_from : str or None
        The path of the first wrong number this one follows from.
    slips : tuple of str
        Identifiers from :data:`SLIPS` that reproduce it; the first is the one
        named.
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
        """True when every disagreement is explained (by rounding, a convention, a slip or an echo)."""
        return not self.unexplained

    @property
    def passed(self) -> bool:
        """True when every printed number agrees, or differs only by the example's own rounding.

        What ``chainrule check`` exits 0 on: a sign convention, a named slip
        or an arithmetic error all fail.
        """
        return all(d.kind == "rounding" for d in self.disagreements)

    @property
    def first_slip(self) -> str | None:
        slips = self.slips
        return slips[0].path if slips else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "passed": self.passed,
            "first_slip": self.first_slip,
            "agreements": [vars(a).copy() for a in self.agreements],
            "disagreements": [{**vars(d), "slips": list(d.slips)} for d in self.disagreements],
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """One line: ``"3 values: 2 agree, 1 disagrees (1 unexplained)"``."""
        n_agree, n_dis = len(self.agreements), len(self.disagreements)
        total = n_agree + n_dis
        parts = []
        if n_agree or not n_dis:
            parts.append(f"{n_agree} {'agrees' if n_agree == 1 else 'agree'}")
        if n_dis:
            parts.append(f"{n_dis} {'disagrees' if n_dis == 1 else 'disagree'} ({len(self.unexplained)} unexplained)")
        if total == 1:
            parts = ["it agrees" if n_agree else f"it disagrees ({'un' if self.unexplained else ''}explained)"]
        return f"{total} {'value' if total == 1 else 'values'}: " + ", ".join(parts)

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
        lines = [
            "Published values checked against one step of true backpropagation (float64)",
            self.summary(),
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
        elif any(d.kind == "convention" for d in self.disagreements):
            lines.append("No slip: every difference is rounding or a sign convention.")
        elif self.disagreements:
            lines.append("No slip: every difference is the example's own rounding.")
        else:
            lines.append("Every published value agrees.")
        for note in self.notes:
            lines.append(f"Note: {note}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        """A one-line summary for the REPL (``print(report)`` shows the table)."""
        return report_summary(self)

    def _repr_markdown_(self) -> str:
        """Jupyter's Markdown rendering: the table of every checked value, the diagnoses, the notes."""
        return report_markdown(self)

    def _repr_html_(self) -> str:
        """Jupyter's rendering: the same parts as the Markdown, as an HTML fragment."""
        return report_html(self)


def _g(value: float, at: Decimal | None = None) -> str:
    """``value`` to 7 significant digits, or 2 more than the printed number ``at`` has (never fewer than it)."""
    digits = 7 if at is None else max(7, len(at.as_tuple().digits) + 2)
    text = f"{value:.{digits}g}"
    return "0" if text.lstrip("-").strip("0.") == "" else text


# -- printed numbers -----------------------------------------------------
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


def _step(number: Decimal) -> float:
    """One unit of the printed number's last digit."""
    return float(Decimal(1).scaleb(number.as_tuple().exponent))


def _shown(value: float, published: Decimal) -> str | None:
    """'round' if ``value`` rounded to the printed digits reads ``published``, 'trunc' if cut, else None.

    A printed ``-0`` never reads a positive number: the sign was printed, and it is wrong.
    """
    if not np.isfinite(value):
        return None
    if published.is_signed() and value > 0:
        return None
    step = Decimal(1).scaleb(published.as_tuple().exponent)
    exact = Decimal(repr(float(value)))
    for mode in (decimal.ROUND_HALF_EVEN, decimal.ROUND_HALF_UP):
        if exact.quantize(step, rounding=mode, context=_CTX) == published:
            return "round"
    if exact.quantize(step, rounding=decimal.ROUND_DOWN, context=_CTX) == published:
        return "trunc"
    return None


def _reads(lo: float, hi: float, published: Decimal) -> str | None:
    """'round' if some number in [lo, hi] reads ``published`` rounded, 'trunc' if only cut, else None."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    p, h = float(published), _step(published)
    if published.is_signed():  # a printed minus sign needs a negative number
        hi = min(hi, 0.0)
        if lo >= 0.0:
            return None
    if _shown(lo, published) == "round" or _shown(hi, published) == "round" or (lo < p + h / 2 and hi > p - h / 2):
        return "round"
    cut_lo, cut_hi = (p - h, p) if published.is_signed() else (p, p + h)
    if lo < cut_hi and hi > cut_lo:
        return "trunc"
    return None


# -- the what-if step ----------------------------------------------------
class _Setup:
    """What a replay needs: the old parameters, activations, loss, data, rate."""

    def __init__(self, net, trace: Trace, update_bias: bool = True):
        self.trace = trace
        self.update_bias = update_bias
        self.X, self.Y = trace.inputs, trace.targets
        self.n = trace.n_samples
        self.lr = trace.learning_rate
        self.scale = 1.0 / self.n if trace.reduction == "mean" else 1.0
        self.loss = net.loss_function
        self.acts = [layer.activation for layer in net.layers]
        self.W = [layer.weights for layer in trace.layers]
        self.b = [layer.bias for layer in trace.layers]
        self.L = len(self.W)
        self.fused = self.loss.fused is not None and self.acts[-1].name == self.loss.fused
        self.squared = self.loss.name in ("half_squared_error", "squared_error", "mse")


@dataclass(frozen=True)
class _Hypothesis:
    """One what-if: a slip (or none) at some layers, a sign, a rounding of unpublished values."""

    slip: str | None = None
    layers: frozenset = frozenset()  # where a layer slip happened (empty: everywhere it applies)
    param: Any = None
    sign: int = 1
    rounding: tuple | None = None  # ("significant" | "decimals", digits, "round" | "trunc")

    def at(self, name: str, l: int) -> bool:
        return self.slip == name and (not self.layers or l in self.layers)


_NONE = _Hypothesis()


def _rounder(rounding):
    kind, digits, how = rounding

    def cut(arr):
        arr = np.asarray(arr, dtype=np.float64)
        if kind == "significant":
            with np.errstate(divide="ignore", invalid="ignore"):
                mag = np.where(arr == 0, 0, np.floor(np.log10(np.abs(np.where(arr == 0, 1, arr)))))
            q = 10.0 ** (digits - 1 - mag)
        else:
            q = np.full(arr.shape, 10.0**digits)
        scaled = arr * q
        out = np.trunc(scaled) if how == "trunc" else np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)  # half up
        return out / q

    return cut


def _replay(setup: _Setup, hyp: _Hypothesis | None, overrides: Mapping) -> dict:
    """The step redone under a hypothesis, with some values replaced by the example's.

    ``overrides`` maps (layer, field) or "loss"/"loss_after" to a list of
    (index, value). Returns every value of the step by the same keys.
    """
    hyp = hyp or _NONE
    vals: dict = {}
    cut = _rounder(hyp.rounding) if hyp.rounding else None

    def put(key, arr):
        ov = overrides.get(key)
        arr = np.array(arr, dtype=np.float64, copy=True)
        if cut is not None and key not in ("loss", "loss_after"):
            arr = cut(arr)
        if ov:
            for index, value in ov:
                arr[index] = value
        vals[key] = arr
        return arr

    def has(key) -> bool:
        return bool(overrides.get(key))

    L = setup.L
    factor = hyp.param if hyp.slip in ("half_factor", "sum_vs_mean") else 1.0
    scale = setup.scale * factor
    a = setup.X
    for l in range(L):
        act = setup.acts[l]
        W = setup.W[l].T if hyp.at("transposed_weights", l) and hyp.param == "forward" else setup.W[l]
        z = np.dot(a, W.T)
        if setup.b[l] is not None and not hyp.at("no_bias", l):
            z = z + setup.b[l]
        z = put((l, "z"), z)
        if act.name == "softmax":
            e = put((l, "exp"), np.exp(z))
            s = put((l, "sum_exp"), e.sum(axis=1))
            fwd = e / s[:, None] if (has((l, "exp")) or has((l, "sum_exp"))) else act.forward(z)
        else:
            fwd = act.forward(z)
        a = put((l, "a"), fwd)
    zL, aL = vals[(L - 1, "z")], vals[(L - 1, "a")]
    loss_scale = setup.scale * (factor if hyp.slip == "sum_vs_mean" else 1.0)
    put("loss", np.asarray(setup.loss.value(zL, aL, setup.Y) * loss_scale))
    residual = put((L - 1, "residual"), aL - setup.Y)
    delta_next = W_next = None
    for l in range(L - 1, -1, -1):
        act = setup.acts[l]
        z, a = vals[(l, "z")], vals[(l, "a")]
        output = l == L - 1
        fused = output and setup.fused
        if output:
            if setup.squared and has((l, "residual")):
                grad_a = setup.loss.gradient(setup.Y + residual, setup.Y)
            else:
                grad_a = setup.loss.gradient(aL, setup.Y)
            if setup.fused and hyp.at("double_derivative", l):
                grad_a = residual  # the slip's first half: a − y taken for ∂L/∂a (it is ∂L/∂z)
            grad_a = put((l, "grad_a"), grad_a * scale)
        else:
            assert delta_next is not None and W_next is not None
            terms = put((l, "grad_a_terms"), delta_next[:, None, :] * W_next.T[None, :, :])
            grad_a = terms.sum(axis=2) if has((l, "grad_a_terms")) else np.dot(delta_next, W_next)
            grad_a = put((l, "grad_a"), grad_a)
        if act.elementwise:
            derivative = _derivative(act, z, a, hyp, l)
            derivative = put((l, "derivative"), derivative)
        if fused:
            if hyp.at("logits", l):
                delta = (z - setup.Y) * scale
            elif hyp.at("double_derivative", l):
                delta = grad_a * (a * (1.0 - a))  # and σ' applied on top
            elif act.elementwise and (has((l, "grad_a")) or has((l, "derivative"))):
                delta = grad_a * derivative  # ∂L/∂a·σ'(z), as a tutorial printing both multiplies them
            else:
                delta = residual * scale
        elif hyp.at("no_derivative", l):
            delta = grad_a
        elif act.elementwise:
            delta = grad_a * derivative
        else:
            delta = act.backward(z, a, grad_a)
        delta = put((l, "delta"), delta)
        a_prev = setup.X if l == 0 else vals[(l - 1, "a")]
        gw = put((l, "grad_weights"), np.dot(delta.T, a_prev))
        rate = (
            setup.lr * setup.lr
            if hyp.slip == "learning_rate_twice"
            else 1.0
            if hyp.slip == "learning_rate_missing"
            else setup.lr
        )
        dw = put((l, "delta_weights"), -rate * gw)
        new_w = put((l, "new_weights"), setup.W[l] + dw)
        if setup.b[l] is not None:
            gb = put((l, "grad_bias"), delta.sum(axis=0))
            db = put((l, "delta_bias"), -rate * gb if setup.update_bias else np.zeros_like(gb))
            put((l, "new_bias"), setup.b[l] + db)
        delta_next = delta
        W_next = new_w if hyp.at("updated_weights", l - 1) else setup.W[l]
        if hyp.at("transposed_weights", l - 1) and hyp.param == "backward":
            W_next = W_next.T
    a = setup.X
    for l in range(L):
        z = np.dot(a, vals[(l, "new_weights")].T)
        if setup.b[l] is not None:
            z = z + vals[(l, "new_bias")]
        a = setup.acts[l].forward(z)
    put("loss_after", np.asarray(setup.loss.value(z, a, setup.Y) * setup.scale))
    return vals


def _derivative(act, z, a, hyp: _Hypothesis, l: int) -> np.ndarray:
    if hyp.at("wrong_variable", l):
        return act.derivative(a, act.forward(a))  # f'(a) where a = f(z): the slip
    if hyp.at("wrong_derivative", l):
        return 1.0 - a * a if act.name == "sigmoid" else a * (1.0 - a)  # tanh's for σ, σ's for tanh
    return act.derivative(z, a)


def _value(vals: dict, key) -> float:
    if isinstance(key, str):
        return float(vals[key])
    l, name, index = key
    return float(vals[(l, name)][index])


def _overrides(entries) -> dict:
    out: dict = {}
    for key, value in entries:
        if isinstance(key, str):
            out[key] = [((), value)]
        else:
            out.setdefault((key[0], key[1]), []).append((key[2], value))
    return out


# -- paths ---------------------------------------------------------------
def _parse_key(path: Any, truth: Mapping) -> Any:
    """``"layers[1].z[0][0]"`` -> (1, "z", (0, 0)); ``"loss"`` -> "loss". Raises naming the path."""
    if not isinstance(path, str):
        raise TypeError(f"a trace path must be a str such as 'layers[0].z[0][0]'; got {type(path).__name__} {path!r}")
    text = path.strip()
    if text in ("loss", "loss_after"):
        return text
    match = _PATH.match(text)
    if not match:
        raise ValueError(f"trace path {path!r} is not of the form 'layers[l].field[i][j]', 'loss' or 'loss_after'")
    l, name = int(match.group(1)), match.group(2)
    index = tuple(int(i) for i in re.findall(r"\d+", match.group(3)))
    n_layers = max(k[0] for k in truth if isinstance(k, tuple)) + 1
    if l >= n_layers:
        raise ValueError(f"trace path {path!r}: the network has {n_layers} layers (0..{n_layers - 1})")
    if name in ("weights", "bias"):
        value = truth["old"][l][0 if name == "weights" else 1]
    else:
        fields = TRACE_FIELDS + CHECK_FIELDS
        if name not in fields:
            raise ValueError(f"trace path {path!r}: unknown field {name!r}; fields are: {', '.join(fields)}")
        value = truth.get((l, name))
    if value is None:
        raise ValueError(f"trace path {path!r}: layers[{l}] has no {name} (none in this network)")
    if len(index) != value.ndim or any(i >= n for i, n in zip(index, value.shape)):
        raise ValueError(f"trace path {path!r}: layers[{l}].{name} has shape {value.shape}; got index {list(index)}")
    return l, name, index


def _canonical(key) -> str:
    if isinstance(key, str):
        return key
    return f"layers[{key[0]}].{key[1]}" + "".join(f"[{i}]" for i in key[2])


def _order(vals: Mapping) -> Iterator[str]:
    """Every path of a replay, in the order the step computes them."""
    for key, arr in vals.items():
        if isinstance(key, str):
            yield key
            continue
        for index in np.ndindex(*arr.shape):
            yield _canonical((key[0], key[1], index))


# -- the check -----------------------------------------------------------
@dataclass
class _Published:
    path: str
    key: Any
    text: str
    number: Decimal
    true: float

    @property
    def value(self) -> float:
        return float(self.number)

    @property
    def field_name(self) -> str | None:
        return None if isinstance(self.key, str) else self.key[1]


@dataclass
class _Check:
    """The state of one check: the step, and what has been judged so far."""

    setup: _Setup
    rank: dict
    status: dict = field(default_factory=dict)  # path -> Disagreement
    used: list = field(default_factory=list)  # (entry, value injected downstream, half-width), in order

    def inputs(self) -> list:
        return list(self.used)


def check_example(
    net, X: Any, Y: Any, learning_rate: float, published: Mapping[str, str], *, update_bias: bool = True
) -> CheckReport:
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
        :mod:`chainrule.teaching.trace`, and :data:`CHECK_FIELDS` for what
        only the checker computes) to the numbers as printed, as strings so
        that their precision is known (``"0.5866"``, ``"-2.406e-3"``).
    update_bias : bool, default True
        False for a tutorial that keeps its biases frozen: ``new_bias`` is
        then the old bias, and ``loss_after`` is measured with it.

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
    setup = _Setup(net, trace, bool(update_bias))
    truth = _replay(setup, None, {})
    rank = {p: i for i, p in enumerate(_order(truth))}
    truth_and_old = {**truth, "old": list(zip(setup.W, setup.b))}
    entries = []
    for path, text in published.items():
        key = _parse_key(path, truth_and_old)
        canonical = _canonical(key)
        number = _parse_published(path, text)
        if isinstance(key, tuple) and key[1] in ("weights", "bias"):
            old = (setup.W if key[1] == "weights" else setup.b)[key[0]]
            true = float(old[key[2]])
        elif (
            isinstance(key, tuple)
            and key[1] in TRACE_FIELDS
            and getattr(trace.layers[key[0]], key[1]) is not None
            and (update_bias or key[1] != "new_bias")
        ):
            true = trace.get(canonical)
        elif key == "loss":
            true = float(trace.loss)
        else:
            true = _value(truth, key)
        entries.append(_Published(canonical, key, text.strip(), number, true))
    entries.sort(key=lambda e: rank.get(e.path, -1))

    state = _Check(setup, rank)
    agreements: list[Agreement] = []
    disagreements: list[Disagreement] = []
    for entry in entries:
        width = 0.0 if abs(entry.value - entry.true) <= _EXACT * max(1.0, abs(entry.true)) else _step(entry.number) / 2
        if _shown(entry.true, entry.number) == "round":
            agreements.append(Agreement(entry.path, entry.text, entry.true))
            if not isinstance(entry.key, tuple) or entry.key[1] not in ("weights", "bias"):
                state.used.append((entry, entry.value, width))
            continue
        d = _diagnose(state, entry)
        disagreements.append(d)
        state.status[entry.path] = d
        injected = entry.value
        if "sign" in d.slips and entry.field_name in _SIGNED:
            injected = -entry.value
        if not isinstance(entry.key, tuple) or entry.key[1] not in ("weights", "bias"):
            state.used.append((entry, injected, _step(entry.number) / 2))
    return CheckReport(agreements, disagreements, order=[e.path for e in entries])


def _hypotheses(setup: _Setup, entry: _Published) -> Iterator[_Hypothesis]:
    """Every what-if worth trying for this number, in the order they are named."""
    name = entry.field_name
    L = setup.L
    key_layer = L - 1 if isinstance(entry.key, str) else entry.key[0]
    forward = name in _FORWARD or (name is None and entry.key == "loss")
    signs = (1, -1) if name in _SIGNED + _UPDATES + _CHANGES else (1,)
    for sign in signs:
        yield _Hypothesis(sign=sign)
    layers = [frozenset()] + [frozenset({l}) for l in range(L)] if L > 1 else [frozenset()]
    slips: list[_Hypothesis] = []
    if not forward:
        if L > 1 and key_layer < L - 1:
            slips += [_Hypothesis("updated_weights", at) for at in layers if at != frozenset({L - 1})]
        if setup.squared:
            slips += [_Hypothesis("half_factor", param=2.0), _Hypothesis("half_factor", param=0.5)]
        if setup.n > 1:
            slips.append(_Hypothesis("sum_vs_mean", param=float(setup.n) if setup.scale != 1.0 else 1.0 / setup.n))
        if any(a.elementwise and a.name != "identity" for a in setup.acts[: L - 1]) or not setup.fused:
            slips += [_Hypothesis("no_derivative", at) for at in layers]
        if setup.fused:
            if setup.acts[-1].name == "sigmoid" or setup.acts[-1].name == "softmax":
                slips.append(_Hypothesis("double_derivative", frozenset({L - 1})))
            slips.append(_Hypothesis("logits", frozenset({L - 1})))
        if any(a.name in ("sigmoid", "tanh") for a in setup.acts):
            slips += [_Hypothesis("wrong_variable", at) for at in layers]
            slips += [_Hypothesis("wrong_derivative", at) for at in layers]
        slips += [
            _Hypothesis("transposed_weights", frozenset({l}), "backward")
            for l in range(L - 1)
            if setup.W[l + 1].shape[0] == setup.W[l + 1].shape[1]
        ]
    slips += [
        _Hypothesis("transposed_weights", frozenset({l}), "forward")
        for l in range(L)
        if setup.W[l].shape[0] == setup.W[l].shape[1]
    ]
    slips += [_Hypothesis("no_bias", frozenset({l})) for l in range(L) if setup.b[l] is not None]
    if (name in _UPDATES + _CHANGES or entry.key == "loss_after") and setup.lr != 1.0:
        slips += [_Hypothesis("learning_rate_twice"), _Hypothesis("learning_rate_missing")]
    slips += [_Hypothesis("decimal_point", param=10.0), _Hypothesis("decimal_point", param=0.1)]
    for slip in slips:
        for sign in signs:
            yield _Hypothesis(slip.slip, slip.layers, slip.param, sign)
    for kind in ("significant", "decimals"):
        for digits in range(2, 7):
            for how in ("round", "trunc"):
                for sign in signs:
                    yield _Hypothesis(sign=sign, rounding=(kind, digits, how))


@dataclass
class _Outcome:
    hypothesis: _Hypothesis
    value: float  # redone from the example's printed values
    lo: float
    hi: float
    how: str  # "round" or "trunc"
    deps: list  # the printed inputs (entries) it changes with


def _signed(setup: _Setup, entry: _Published, value: float, sign: int) -> float:
    if sign == 1:
        return value
    if entry.field_name in _UPDATES:  # the update climbs: w + η·g
        return 2.0 * _old(setup, entry.key) - value
    return -value


def _redo(state: _Check, entry: _Published, hyp: _Hypothesis, inputs: list) -> float:
    vals = _replay(state.setup, hyp, _overrides([(e.key, v) for e, v, _ in inputs]))
    value = _value(vals, entry.key)
    if hyp.slip == "decimal_point":
        old = _old(state.setup, entry.key) if entry.field_name in _UPDATES else 0.0
        value = old + (value - old) * hyp.param
    return _signed(state.setup, entry, value, hyp.sign)


def _old(setup: _Setup, key) -> float:
    l, name, index = key
    return float((setup.W[l] if name == "new_weights" else setup.b[l])[index])


def _try(state: _Check, entry: _Published, hyp: _Hypothesis) -> _Outcome | None:
    """Does ``hyp`` reproduce the printed number from the example's own printed values?"""
    inputs = state.inputs()
    center = _redo(state, entry, hyp, inputs)
    if not np.isfinite(center):
        return None
    how = _shown(center, entry.number)
    if hyp.rounding is not None:  # unpublished rounding is judged at the centre: it is already a rounding
        return _Outcome(hyp, center, center, center, how, []) if how else None
    # the interval each printed input stands for, carried through the step at its corners
    deps, up, down = [], list(inputs), list(inputs)
    for i, (e, v, w) in enumerate(inputs):
        h = max(abs(v), 1.0) * 1e-7
        nudged = list(inputs)
        nudged[i] = (e, v + h, w)
        moved = _redo(state, entry, hyp, nudged) - center
        if moved != 0:
            deps.append(e)
            direction = 1.0 if moved > 0 else -1.0
            up[i] = (e, v + direction * w, w)
            down[i] = (e, v - direction * w, w)
    hi = _redo(state, entry, hyp, up)
    lo = _redo(state, entry, hyp, down)
    lo, hi = min(lo, hi, center), max(lo, hi, center)
    how = how or _reads(lo, hi, entry.number)
    return _Outcome(hyp, center, lo, hi, how, deps) if how else None


def _diagnose(state: _Check, entry: _Published) -> Disagreement:
    setup = state.setup
    found = None
    for hyp in _hypotheses(setup, entry):
        found = _try(state, entry, hyp)
        if found is not None:
            break
    if found is None:
        base = _redo(state, entry, _NONE, state.inputs())
        return Disagreement(
            entry.path, entry.text, entry.true, _arithmetic(state, entry, base), "error", recomputed=base
        )
    hyp = found.hypothesis
    also: dict = {}  # other slips that reproduce the number too: slip -> its first hypothesis that does
    if hyp.slip is not None:
        for h in _hypotheses(setup, entry):
            if h.slip not in (None, hyp.slip, *also) and h.sign == hyp.sign and _try(state, entry, h) is not None:
                also[h.slip] = h
    names = ([hyp.slip] if hyp.slip else []) + (["sign"] if hyp.sign == -1 else []) + list(also)
    parts = []
    if hyp.slip is not None:
        parts.append(_slip_text(hyp, setup))
    if hyp.sign == -1:
        parts.append(_sign_text(entry.field_name))
    bad = [e for e in found.deps if e.path in state.status and state.status[e.path].kind not in _BENIGN]
    redone = _gives(found, entry)
    if hyp.slip is not None:
        text = "; ".join(parts) + f"; redone from the example's own values with it, {redone}"
        if also:
            text += f" (the same numbers come from: {'; '.join(_slip_text(h, setup) for h in also.values())})"
        return Disagreement(entry.path, entry.text, entry.true, text, "slip", None, tuple(names), found.value)
    if bad:
        roots = sorted({state.status[e.path].follows_from or e.path for e in bad}, key=lambda r: state.rank.get(r, -1))
        via = ", ".join(f"{e.path} = {e.text}" for e in bad[:3])
        text = f"follows from {roots[0]}: redone with the example's {via}, {redone}"
        if parts:
            text = "; ".join(parts) + "; " + text
        return Disagreement(entry.path, entry.text, entry.true, text, "follows", roots[0], tuple(names), found.value)
    kind = "rounding" if hyp.sign == 1 else ("convention" if entry.field_name in _SIGNED else "slip")
    flipped = _signed(setup, entry, entry.true, hyp.sign)
    if hyp.sign == -1 and _shown(flipped, entry.number) == "round":
        text = parts[0]  # the sign alone: no rounding clause where the numbers read the same at full precision
    elif hyp.rounding is not None:
        what, digits, how = hyp.rounding
        cut = "truncated" if how == "trunc" else "rounded"
        unit = "significant digits" if what == "significant" else "decimals"
        text = f"rounding: the example {cut} the values it did not print to {digits} {unit} and reused them; " + (
            f"redone that way, it gives {_g(found.value, entry.number)}, which reads {entry.text}"
        )
        text = "; ".join(parts + [text])
    else:
        rounded = [e for e in found.deps if abs(e.value - e.true) > _EXACT * max(1.0, abs(e.true))]
        if rounded:
            listed = ", ".join(f"{e.path} = {e.text}" for e in rounded[:4])
            more = f" and {len(rounded) - 4} more" if len(rounded) > 4 else ""
            them = "them" if len(rounded) > 1 else "it"
            text = f"rounding: the example rounded {listed}{more} and reused {them}; redone with {them}, {redone}"
        elif _shown(flipped, entry.number) == "trunc":
            text = f"rounding: the true value {_g(flipped, entry.number)} is truncated, not rounded, to {entry.text}"
        else:
            text = f"rounding: redone from the example's own printed values, {redone}"
        text = "; ".join(parts + [text])
    return Disagreement(entry.path, entry.text, entry.true, text, kind, None, tuple(names), found.value)


def _gives(found: _Outcome, entry: _Published) -> str:
    """The redone value in words: 'it gives V, which reads P' only when V does read P."""
    how = _shown(found.value, entry.number)
    trunc = " (truncated, not rounded)"
    if how:
        return f"it gives {_g(found.value, entry.number)}, which reads {entry.text}" + (trunc if how == "trunc" else "")
    lo, hi = _g(found.lo, entry.number), _g(found.hi, entry.number)
    return (
        f"it gives {_g(found.value, entry.number)}; with each printed value it uses anywhere within its last digit, it "
        f"ranges over {lo} to {hi}, which includes numbers that read {entry.text}"
        + (trunc if found.how == "trunc" else "")
    )


def _slip_text(hyp: _Hypothesis, setup: _Setup) -> str:
    name, param = hyp.slip, hyp.param
    where = ""
    if hyp.layers and setup.L > 1:
        (l,) = tuple(hyp.layers)
        where = f" (in layers[{l}])"
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
        acts = {setup.acts[l].name for l in (hyp.layers or range(setup.L))}
        symbol = "σ" if acts == {"sigmoid"} else "f"
        return f"the derivative applied to the wrong variable{where}: {symbol}'(a) where a = {symbol}(z) already"
    if name == "wrong_derivative":
        acts = {setup.acts[l].name for l in (hyp.layers or range(setup.L))} & {"sigmoid", "tanh"}
        if acts == {"tanh"}:
            return f"another function's derivative{where}: a·(1 − a), σ's, used for tanh (whose derivative is 1 − a²)"
        if acts == {"sigmoid"}:
            return f"another function's derivative{where}: 1 − a², tanh's, used for σ (whose derivative is a·(1 − a))"
        return f"another function's derivative{where}: σ's a·(1 − a) and tanh's 1 − a² swapped"
    if name == "transposed_weights":
        return f"a weight index transposed{where}: w_jk read as w_kj in the {param} pass"
    if name == "decimal_point":
        return f"a decimal point moved: ×{param:g}"
    if name in ("no_derivative", "no_bias", "updated_weights"):
        return SLIPS[name] + where
    return SLIPS[name]


def _sign_text(field_name) -> str:
    if field_name in _UPDATES:
        return "flipped sign: the update climbs the gradient (w + η·∂L/∂w)"
    if field_name in _CHANGES:
        return "flipped sign: the change climbs the gradient (+η·∂L/∂w)"
    if field_name == "delta":
        return "flipped sign convention: δ = (target − output)·f'(z) = −∂L/∂z"
    if field_name == "residual":
        return "flipped sign convention: y − a where a − y"
    return "flipped sign convention: the negative of the gradient"


def _paren(value: float, spec: str = "g") -> str:
    text = format(float(value), spec)
    return f"({text})" if value < 0 else text


def _arithmetic(state: _Check, entry: _Published, value: float) -> str:
    """A plain arithmetic error, with the sum written out where it is short."""
    setup = state.setup
    inputs = state.inputs()
    vals = _replay(setup, None, _overrides([(e.key, v) for e, v, _ in inputs]))
    formula = ""
    if isinstance(entry.key, tuple):
        l, name, index = entry.key
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
        f"arithmetic error: {formula}{_g(value, entry.number)}, not {entry.text} "
        f"(redone from the example's own upstream values; no known slip reproduces {entry.text} at its printed digits)"
    )


# -- what a practice page compares a learner's numbers with ---------------
#: The fields a learner fills in on a practice page, in the order of the step.
PRACTICE_FIELDS = ("z", "a", "delta", "grad_weights", "grad_bias", "new_weights", "new_bias")


def slip_table(net, X: Any, Y: Any, learning_rate: float, fields: tuple = PRACTICE_FIELDS) -> dict[str, dict]:
    """For each value of one step: the truth, how far carried rounding moves it, and what each slip gives.

    The tables a practice page (:func:`chainrule.web.practice.practice_html`)
    compares a learner's typed numbers with, so that the page only compares
    numbers and never redoes backpropagation.

    Parameters
    ----------
    net : Network
    X : array-like of shape (n_samples, n_inputs)
    Y : array-like of shape (n_samples, n_outputs)
    learning_rate : float > 0
    fields : tuple of str
        The fields to tabulate (``"loss"`` is always included).

    Returns
    -------
    dict of str to dict
        Path -> ``{"true": float, "spread": float, "slips": [{"slip", "text", "value"}, ...]}``
        in the order the step computes them. ``spread`` is the largest
        change of the value when every intermediate is rounded to 3 or 4
        significant digits and reused (what a learner who carries that many
        digits can be off by); ``slips`` hold each known slip whose value
        differs from the truth at 4 significant digits, with the value it
        gives from the true upstream numbers.
    """
    learning_rate = check_positive_float(learning_rate, "learning_rate")
    trace = explain(net, X, Y, learning_rate)
    setup = _Setup(net, trace)
    truth = _replay(setup, None, {})
    carried = [_replay(setup, _Hypothesis(rounding=("significant", k, "round")), {}) for k in (3, 4)]
    table: dict[str, dict] = {}
    for path in _order(truth):
        key: Any = path if path in ("loss", "loss_after") else None
        if key is None:
            match = _PATH.match(path)
            assert match is not None
            key = (int(match.group(1)), match.group(2), tuple(int(i) for i in re.findall(r"\d+", match.group(3))))
            if key[1] not in fields:
                continue
        elif key != "loss":
            continue
        true = _value(truth, key)
        entry = _Published(path, key, "", Decimal(0), true)
        spread = max(abs(_value(vals, key) - true) for vals in carried)
        slips: list[dict] = []
        seen: set = set()
        for hyp in _hypotheses(setup, entry):
            if hyp.rounding is not None or (hyp.slip is None and hyp.sign == 1):
                continue
            name = hyp.slip or "sign"
            value = _redo_true(setup, entry, hyp)
            if name in seen or not np.isfinite(value) or f"{value:.4g}" == f"{true:.4g}":
                continue
            seen.add(name)
            text = _slip_text(hyp, setup) if hyp.slip else _sign_text(entry.field_name)
            if hyp.slip and hyp.sign == -1:
                text += "; and " + _sign_text(entry.field_name)
            slips.append({"slip": name, "text": text, "value": value})
        table[path] = {"true": true, "spread": spread, "slips": slips}
    return table


def _redo_true(setup: _Setup, entry: _Published, hyp: _Hypothesis) -> float:
    """A slip's value from the true upstream numbers (nothing the learner typed)."""
    state = _Check(setup, {})
    return _redo(state, entry, hyp, [])
