"""The practice page: one training step as blanks a learner fills in, checked as they type.

:func:`practice_html` (``Trace.to_html(practice=True)``, ``chainrule explain
FILE --format html --practice -o page.html``) writes a self-contained page.
It gives the network, its weights, the inputs, the targets and the learning
rate, and asks for every value of the step, stage by stage: each layer's z
and a, the loss, each layer's δ = ∂L/∂z and gradients (from the output
back), and the new weights and biases.

Each entry is judged against tables the checker computed for the step
(:func:`chainrule.teaching.checker.slip_table`): the true value, how far a
learner who carries 3 or 4 significant digits can land from it, and the
value each known slip gives. The page's script only compares numbers: it
never redoes backpropagation. An entry is

* **right** when the true value, rounded to the digits typed, reads it
  (truncated: right, with a remark);
* **right to the rounding of earlier values** when it lies within what
  carrying 3 or 4 significant digits gives;
* **a named slip** when a slip's value reads it ("that is what you get with
  the activation derivative left out: δ = ∂L/∂a");
* otherwise **not right** (with a hint when an earlier entry is wrong).

"Show" reveals an answer (it then scores nothing); the score counts the
entries right at first or later tries. Like the explainer, the page loads
nothing from anywhere; its Content-Security-Policy allows only its own
inline style and script, by their SHA-256 hashes.
"""

from __future__ import annotations

import base64
import hashlib
import html as _html
import json
from importlib import resources
from typing import Any

import numpy as np

from .._validation import check_positive_int
from .._version import __version__
from ..core.network import Network
from ..teaching.checker import slip_table
from ..teaching.render import format_number
from ..teaching.trace import Trace

__all__ = ["MAX_BLANKS", "practice_html"]

#: Most blanks a practice page asks for (larger steps get a page that says so).
MAX_BLANKS = 120


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


_CSS = _asset("practice.css")
_JS = _asset("practice.js")


def _json_in_script(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _network_of(trace: Trace) -> Network:
    """The network the trace was recorded from, at its starting weights."""
    acts = [layer.activation for layer in trace.layers]
    net = Network(
        trace.sizes,
        activation=acts[:-1] or "sigmoid",
        output_activation=acts[-1],
        loss=trace.loss_name,
        reduction=trace.reduction,
        bias=trace.layers[0].bias is not None,
    )
    for layer, recorded in zip(net.layers, trace.layers):
        layer.weights = recorded.weights
        if recorded.bias is not None:
            layer.bias = recorded.bias
    return net


def _label(path: str, n_samples: int) -> str:
    """``layers[0].z[1][0]`` -> ``z of neuron 1 in layer 1, sample 2`` (1-based, as a reader counts)."""
    if path == "loss":
        return "the loss L"
    head, rest = path.split(".", 1)
    layer = int(head[len("layers[") : -1]) + 1
    name, _, index = rest.partition("[")
    idx = [int(i) + 1 for i in index.rstrip("]").split("][")]
    words = {
        "z": "z",
        "a": "a",
        "delta": "δ = ∂L/∂z",
        "grad_weights": "∂L/∂w",
        "grad_bias": "∂L/∂b",
        "new_weights": "new w",
        "new_bias": "new b",
    }[name]
    if name in ("z", "a", "delta"):
        sample = f", sample {idx[0]}" if n_samples > 1 else ""
        return f"{words} of neuron {idx[1]} in layer {layer}{sample}"
    if name in ("grad_weights", "new_weights"):
        source = f"input {idx[1]}" if layer == 1 else f"neuron {idx[1]} of layer {layer - 1}"
        return f"{words} from {source} to neuron {idx[0]} of layer {layer}"
    return f"{words} of neuron {idx[0]} in layer {layer}"


def _stages(trace: Trace, table: dict[str, dict]) -> list[dict]:
    L = len(trace.layers)

    def blanks(prefixes: tuple[str, ...]) -> list[dict]:
        return [
            {"path": p, "label": _label(p, trace.n_samples), **row}
            for p, row in table.items()
            if p.startswith(prefixes)
        ]

    stages = [
        {
            "key": f"forward-{l}",
            "title": f"Forward: layer {l + 1}",
            "blanks": blanks((f"layers[{l}].z", f"layers[{l}].a[")),
        }
        for l in range(L)
    ]
    stages.append({"key": "loss", "title": "The loss", "blanks": blanks(("loss",))})
    for l in range(L - 1, -1, -1):
        fields = tuple(f"layers[{l}].{f}" for f in ("delta", "grad_weights", "grad_bias"))
        stages.append({"key": f"backward-{l}", "title": f"Backward: layer {l + 1}", "blanks": blanks(fields)})
    fields = tuple(f"layers[{l}].{f}" for l in range(L) for f in ("new_weights", "new_bias"))
    stages.append({"key": "update", "title": "The update", "blanks": blanks(fields)})
    return [s for s in stages if s["blanks"]]


def _matrix(array: Any, digits: int) -> str:
    rows = np.atleast_2d(np.asarray(array, dtype=np.float64))
    body = "".join("<tr>" + "".join(f"<td>{format_number(v, digits)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="m">{body}</table>'


def _given(trace: Trace, digits: int) -> str:
    parts = [
        "<dl>",
        f"<dt>network</dt><dd>{'-'.join(map(str, trace.sizes))}, activations "
        f"{', '.join(_html.escape(l.activation) for l in trace.layers)}</dd>",
        f"<dt>loss</dt><dd>{_html.escape(trace.loss_name)}, reduction {_html.escape(trace.reduction)} "
        f"over {trace.n_samples} sample{'s' if trace.n_samples != 1 else ''}</dd>",
        f"<dt>learning rate η</dt><dd>{format_number(trace.learning_rate, digits)}</dd>",
        "<dt>inputs x (a row per sample)</dt><dd>" + _matrix(trace.inputs, digits) + "</dd>",
        "<dt>targets y</dt><dd>" + _matrix(trace.targets, digits) + "</dd>",
    ]
    for l, layer in enumerate(trace.layers):
        parts.append(f"<dt>W of layer {l + 1} (row j: weights into neuron j)</dt><dd>" + _matrix(layer.weights, digits))
        parts.append("</dd>")
        if layer.bias is not None:
            parts.append(f"<dt>b of layer {l + 1}</dt><dd>" + _matrix(layer.bias, digits) + "</dd>")
    parts.append("</dl>")
    return "".join(parts)


def practice_html(trace: Trace, title: str | None = None, digits: int = 4, net: Network | None = None) -> str:
    """The recorded step as a self-contained page of blanks checked as the learner types.

    Parameters
    ----------
    trace : Trace
        The step (its starting weights, data and learning rate are what the page gives).
    title : str, optional
        The page's heading (default "Practice: one training step").
    digits : int >= 1
        Significant digits of the given numbers and of a revealed answer.
    net : Network, optional
        The network the trace was recorded from; rebuilt from the trace when omitted.

    Returns
    -------
    str
        A complete HTML document that requests nothing.
    """
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a chainrule Trace; got {type(trace).__name__}")
    digits = check_positive_int(digits, "digits")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None; got {type(title).__name__}")
    net = _network_of(trace) if net is None else net
    table = slip_table(net, trace.inputs, trace.targets, trace.learning_rate)
    if len(table) > MAX_BLANKS:
        raise ValueError(
            f"a practice page asks for every value of the step: this one has {len(table)} (at most {MAX_BLANKS}); "
            "use a smaller network or fewer samples, or the explainer page (practice=False)"
        )
    heading = title or "Practice: one training step"
    data = {"digits": digits, "stages": _stages(trace, table), "version": __version__}
    script = f"const PRACTICE = {_json_in_script(data)};\n{_JS}"
    csp = f"default-src 'none'; style-src '{_sha256(_CSS)}'; script-src '{_sha256(script)}'"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        f"<title>{_html.escape(heading)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{_html.escape(heading)}</h1>"
        '<p id="score" aria-live="polite"></p></header>\n'
        '<main>\n<section id="given"><h2>Given</h2>' + _given(trace, digits) + "</section>\n"
        '<section id="work"><h2 id="stage-title"></h2><p id="counter"></p>'
        '<p class="how">Type each value (as many digits as you carry) and press Enter. '
        "δ = ∂L/∂z; some textbooks write δ = (y − a)·f'(z), the opposite sign: this page uses ∂L/∂z.</p>"
        '<div id="blanks"></div>'
        '<nav><button id="back" type="button">Back</button> <button id="next" type="button">Next stage</button> '
        '<button id="check-all" type="button">Check all</button></nav></section>\n</main>\n'
        f"<footer>chainrule {__version__}: the answers are one step of true backpropagation (float64)</footer>\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )
