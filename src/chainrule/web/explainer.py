"""Self-contained HTML pages: the step-by-step explainer and the training report.

:func:`explainer_html` (``Trace.to_html()``, ``chainrule explain FILE
--format html``) writes one recorded training step as a single HTML file:
inline CSS, inline JavaScript, an SVG diagram drawn by that script and the
trace's numbers embedded as JSON. It loads nothing from anywhere (no
script, style, font or image from outside; no network request), so it opens
from a file, an e-mail attachment or a CI artifact alike. Its
Content-Security-Policy (:data:`EXPLAINER_CSP`) allows its own inline script
and style by their SHA-256 hashes and nothing else: no 'unsafe-inline', so
markup that ever got injected into the page could not run a script.

The page walks through the step in stages, with buttons and the keyboard
(→, ↓, space, PageDown: next; ←, ↑, PageUp: back; Home, End):

1. **Inputs**: the network with its starting weights on the edges (blue
   positive, red negative, width ∝ |w|) and the inputs x.
2. **Forward, one stage per layer**: that layer's neurons and incoming edges
   are highlighted and each neuron shows z and a.
3. **Loss**: the output is compared with the target y; L is shown.
4. **Backward, one stage per layer from the output**: each neuron shows
   δ = ∂L/∂z, and the layer's weight gradients ∂L/∂w = δ·in fill in the
   table.
5. **Update**: every weight's new value stands under its old one on the
   edges (each neuron's new bias in its own card), and in the table.

The diagram is made to be read from the back of a room: the script lays it
out in CSS pixels from the sizes of its own texts as the browser measures
them (18 px in the cards, 16 px on the edges and column heads, never scaled
down while the window is 1280 px wide or more), each card as wide as the
longest value it will ever show, and each edge label at a point along its
edge chosen so that no two labels meet and every label stays in the gap
between two columns, off every card (a small search, layer by layer,
widening a gap until its labels fit; a layer of more than 4 inputs or
neurons is drawn without labels).

Beside the diagram, each stage shows the formulas with their numbers
substituted: the sections of :meth:`Trace.sections` for that part of the
step, picked by key, typeset once in Python as MathML (Chromium, Firefox and
Safari lay it out themselves, so nothing is fetched) from the Markdown's
LaTeX, each line carrying :meth:`Trace.to_text`'s words for it in a
``data-text`` attribute (one code path for the mathematics, none re-derived
here). The output error opens with the sign convention of δ (δ = ∂L/∂z here;
some textbooks use −∂L/∂z), and a worked example's notes stand under the
title. Every number on the page is formatted like ``to_text`` (``digits``
significant digits) and carries its trace path in a ``data-path`` attribute.

Networks with more than :data:`MAX_NEURONS` neurons in a layer (or batches
of more than :data:`MAX_SAMPLES` samples) get a page that says so, instead
of an unreadable diagram.

:func:`report_html` (``chainrule train --html-report DIR``) writes a
training report: the architecture, the final metrics and the curves as
inline SVG (:func:`svg_curves`, from the floor module ``chainrule._svg``, which
``History`` draws its own notebook rendering with).
"""

from __future__ import annotations

import base64
import hashlib
import html as _html
import json
import math
from importlib import resources
from typing import Any

import numpy as np

from .._live import LIVE_CSS, LIVE_JS, live_parts
from .._svg import svg_curves
from .._validation import check_positive_int
from .._version import __version__
from ..core.network import Network
from ..teaching.notation import Tex, activation_symbol
from ..teaching.render import format_number, line_mathml, prose_html, text_lines
from ..teaching.sections import Line, Prose, optimizer_description
from ..teaching.trace import Trace
from ..training.callbacks import Snapshots
from ..training.loop import History

__all__ = [
    "EXPLAINER_CSP",
    "MAX_NEURONS",
    "MAX_SAMPLES",
    "explainer_html",
    "report_html",
    "stage_formulas",
    "svg_curves",
]


def _asset(name: str) -> str:
    """A file of ``chainrule/web/assets`` (package data: the page's CSS and JavaScript), read once at import."""
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


#: Largest layer (inputs included) the explainer draws.
MAX_NEURONS = 10
#: Largest batch the explainer steps through (one sample shown at a time).
MAX_SAMPLES = 64


# -- JSON inside <script> -----------------------------------------------------


def _script_json(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``... escapes (valid JSON, so
    ``JSON.parse`` gives back the same strings), which makes ``</script>``
    or ``<!--`` in a note or title harmless; U+2028/U+2029 are escaped too.
    """
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _esc(text: Any) -> str:
    return _html.escape(str(text), quote=True)


# -- the explainer ------------------------------------------------------------


def _stage_lines(trace) -> dict[str, list[Line | str]]:
    """The section lines each explainer stage shows, by stage key (a ``str`` item: a ``"layers[l]:"`` heading)."""
    sections = {s.key: s for s in trace.sections(max_neurons=MAX_NEURONS, max_samples=4)}

    def lines(key: str, role: str | None = None) -> list[Line | str]:
        return [line for line in sections[key].lines if role is None or getattr(line, "role", "") == role]

    L = len(trace.layers)
    out = {"inputs": lines("inputs")}
    for l in range(L):
        out[f"forward-{l}"] = lines(f"forward-{l}")
    out["loss"] = lines("loss")
    for l in range(L - 1, -1, -1):
        out[f"backward-{l}"] = lines(f"backward-{l}") + lines(f"update-{l}", "gradient")
    update: list[Line | str] = []
    for l in range(L - 1, -1, -1):
        update.append(f"layers[{l}]:")
        update += lines(f"update-{l}", "update")
    out["update"] = update
    return out


def stage_formulas(trace, digits: int = 4) -> dict[str, list[str]]:
    """The formula lines each explainer stage shows, by stage key.

    Keys are ``"inputs"``, ``"forward-<l>"``, ``"loss"``, ``"backward-<l>"``
    and ``"update"``; the lines are :meth:`Trace.to_text`'s (without their
    indent), with numbers to ``digits`` significant digits. A backward
    stage shows layer l's error and its gradients; the update stage the
    new values of every layer, under a ``"layers[l]:"`` line. Paragraphs
    (the sign convention of δ) are not formulas: the page shows them as text.
    """
    out: dict[str, list[str]] = {}
    for key, items in _stage_lines(trace).items():
        out[key] = []
        for item in items:
            if isinstance(item, str):
                out[key].append(item)
            elif not isinstance(item, Prose):
                indent = "  " if key == "update" else ""
                out[key] += [indent + text for text in text_lines(item, digits)]
    return out


def _formula_html(items: list[Line | str], digits: int) -> str:
    """One stage's formulas: a ``<div class="fl">`` of MathML per line, text in ``data-text``; paragraphs as <p>."""
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(f'<div class="fsub" data-text="{_esc(item)}">{_esc(item.rstrip(":"))}</div>')
        elif isinstance(item, Prose):
            out.append(f'<p class="fprose">{prose_html(item, digits)}</p>')
        else:
            text = "\n".join(text_lines(item, digits))
            out.append(f'<div class="fl" data-text="{_esc(text)}">{line_mathml(item, digits)}</div>')
    return "".join(out)


def _rich(text: str) -> str:
    """A stage's title or explanation: ``$...$`` LaTeX typeset as MathML, the rest escaped."""
    return prose_html(Prose((Tex(text, text),)), 4)


def _numbers(trace, digits: int) -> dict[str, str]:
    """Every number the page can show, formatted like ``to_text``, by path."""
    return {path: format_number(value, digits) for path, value in trace.scalars()}


def _finite(array: np.ndarray) -> list:
    return [[float(v) if math.isfinite(v) else None for v in row] for row in np.asarray(array, dtype=np.float64)]


def _stages(trace, digits: int) -> list[dict[str, Any]]:
    """The stages, in order: key, kind, layer, what to highlight, and title and text (``$...$`` LaTeX inline)."""
    L = len(trace.layers)
    formulas = stage_formulas(trace, digits)
    has_bias = trace.layers[0].bias is not None
    lr = format_number(trace.learning_rate, digits, latex=True)
    sizes = trace.sizes

    def nodes(column: int) -> list[str]:
        return [f"n{column}_{j}" for j in range(sizes[column])]

    def edges(l: int) -> list[str]:
        n_out, n_in = trace.layers[l].weights.shape
        return [f"e{l}_{j}_{i}" for j in range(n_out) for i in range(n_in)]

    stages = [
        {
            "key": "inputs",
            "kind": "inputs",
            "layer": None,
            "tables": list(range(L)),
            "title": "Inputs and starting weights",
            "text": (
                "The inputs $x$ enter on the left. The edges carry the starting weights: blue positive, "
                "red negative, width in proportion to $|w|$. Step forward with → or space."
            ),
            "nodes": nodes(0),
            "edges": [],
        }
    ]
    for l, layer in enumerate(trace.layers):
        n_out, n_in = layer.weights.shape
        kind = "output" if l == L - 1 else "hidden"
        f = activation_symbol(layer.activation).latex
        if layer.activation == "softmax":
            act = "then softmax over the layer turns the $z$ into outputs $a$ that sum to 1"
        else:
            act = f"then applies {layer.activation} to get its output $a = {f}(z)$"
        src = "input" if l == 0 else f"layers[{l - 1}]'s output"
        stages.append(
            {
                "key": f"forward-{l}",
                "kind": "forward",
                "layer": l,
                "tables": [l],
                "title": f"Forward: layers[{l}] ({kind}, {layer.activation}, {n_in} → {n_out})",
                "text": (
                    f"Each neuron of layers[{l}] multiplies every {src} by the weight on its edge and adds "
                    f"them up{' with its bias $b$' if has_bias else ''} to get $z$, {act}."
                ),
                "nodes": nodes(l + 1),
                "edges": edges(l),
            }
        )
    stages.append(
        {
            "key": "loss",
            "kind": "loss",
            "layer": L - 1,
            "tables": [],
            "title": f"Loss: {trace.loss_name}, {trace.reduction} over the batch",
            "text": (
                f"The output $a$ is compared with the target $y$ by the loss {trace.loss_name}"
                f"{' (summed over the samples)' if trace.reduction == 'sum' else ' (averaged over the samples)'}"
                f". The backward pass starts from $L$."
            ),
            "nodes": nodes(L),
            "edges": [],
        }
    )
    for l in range(L - 1, -1, -1):
        layer = trace.layers[l]
        f = activation_symbol(layer.activation).latex
        if l == L - 1:
            text = (
                r"The error of the output: $\delta = \partial L/\partial z$ says how much the loss changes with "
                r"each output neuron's $z$. Each weight's gradient is the $\delta$ of the neuron it feeds times "
                r"the value on its edge: $\partial L/\partial w = \delta \cdot \mathrm{in}$."
            )
            title = f"Backward: layers[{l}] (output), δ and gradients"
            highlight = edges(l)
        else:
            deriv = f"${f}'(z)$" if layer.derivative is not None else "the activation's Jacobian"
            text = (
                rf"$\delta$ flows back along the edges of layers[{l + 1}]: each neuron of layers[{l}] collects "
                rf"$\partial L/\partial a = \sum \delta' w'$ from the neurons it feeds ($\delta'$ and $w'$ are "
                rf"layers[{l + 1}]'s), then multiplies it by {deriv} to get its $\delta$. Its weights' gradients "
                rf"are $\partial L/\partial w = \delta \cdot \mathrm{{in}}$."
            )
            title = f"Backward: layers[{l}] (hidden), δ and gradients"
            highlight = edges(l) + edges(l + 1)
        stages.append(
            {
                "key": f"backward-{l}",
                "kind": "backward",
                "layer": l,
                "tables": [l],
                "title": title,
                "text": text,
                "nodes": nodes(l + 1),
                "edges": highlight,
            }
        )
    stages.append(
        {
            "key": "update",
            "kind": "update",
            "layer": None,
            "tables": list(range(L - 1, -1, -1)),
            "title": f"Update: w ← w − η·∂L/∂w (η = {trace.learning_rate:.{digits}g})"
            if trace.optimizer.plain
            else f"Update: {optimizer_description(trace)} (η = {trace.learning_rate:.{digits}g})",
            "text": (
                f"Every weight{' and bias' if has_bias else ''} takes a step against its gradient, "
                + (
                    r"$w \leftarrow w - \eta\,\partial L/\partial w$, "
                    if trace.optimizer.plain
                    else "through the optimiser's state (before → after in the formulas), "
                )
                + rf"with learning rate $\eta = {lr}$. "
                "The new values stand beside the old ones."
            ),
            "nodes": [n for c in range(1, L + 1) for n in nodes(c)],
            "edges": [e for l in range(L) for e in edges(l)],
        }
    )
    for stage in stages:
        stage["formula"] = formulas[stage["key"]]
    return stages


def _stage_blocks(trace, stages: list[dict[str, Any]], digits: int) -> str:
    """The explanation of every stage, typeset once; the page's script shows the current one."""
    items = _stage_lines(trace)
    return "".join(
        f'<div class="stage-block" data-stage-block="{_esc(stage["key"])}" hidden>'
        f'<h2 class="k-{stage["kind"]}">{_esc(stage["title"])}</h2>'
        f'<p class="stage-text">{_rich(stage["text"])}</p>'
        f'<div class="formula">{_formula_html(items[stage["key"]], digits)}</div></div>\n'
        for stage in stages
    )


_EXPLAINER_CSS = _asset("explainer.css")

_EXPLAINER_JS = _asset("explainer.js")


def _csp_hash(text: str) -> str:
    """A Content-Security-Policy source allowing exactly this inline script or style: ``'sha256-…'``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


#: The explainer's policy: nothing from outside, and only its own inline script and style (by their
#: SHA-256), so that markup injected into the page could neither run a script nor restyle it.
EXPLAINER_CSP = (
    f"default-src 'none'; script-src {_csp_hash(_EXPLAINER_JS)}; style-src {_csp_hash(_EXPLAINER_CSS)}; "
    f"img-src data:; base-uri 'none'; form-action 'none'"
)


def explainer_html(trace, title: str | None = None, digits: int = 4) -> str:
    """The recorded step as one self-contained, interactive HTML page.

    Parameters
    ----------
    trace : Trace
    title : str, optional
        The page's heading (default "One training step, explained").
    digits : int >= 1
        Significant digits of every number shown (as in ``to_text``).

    Returns
    -------
    str
        A complete HTML document (inline CSS, JavaScript and data; it
        requests nothing). Networks with a layer of more than
        :data:`MAX_NEURONS` neurons, or batches of more than
        :data:`MAX_SAMPLES` samples, get a page with a message instead of
        the diagram.
    """

    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a chainrule Trace; got {type(trace).__name__}")
    digits = check_positive_int(digits, "digits")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None; got {type(title).__name__}")
    heading = title or "One training step, explained"
    sizes = trace.sizes
    reasons = []
    if max(sizes) > MAX_NEURONS:
        reasons.append(
            f"this network, {'-'.join(map(str, sizes))}, has a layer of {max(sizes)} neurons; "
            f"the step-by-step explainer draws networks of up to {MAX_NEURONS} neurons per layer"
        )
    if trace.n_samples > MAX_SAMPLES:
        reasons.append(
            f"the step has {trace.n_samples} samples; the explainer steps through batches of up to {MAX_SAMPLES}"
        )
    head = (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{EXPLAINER_CSP}">\n'
        f"<title>{_esc(heading)}</title>\n<style>{_EXPLAINER_CSS}</style>\n</head>\n"
    )
    header = trace.sections(max_neurons=MAX_NEURONS, max_samples=4)[0]
    paragraphs = [(text_lines(line, digits)[0].startswith("Note:"), prose_html(line, digits)) for line in header.lines]
    desc = "".join(f'<p class="desc">{text}</p>\n' for note, text in paragraphs if not note)
    notes = [text for note, text in paragraphs if note]
    if notes:  # a worked example's notes (or explain's own), where the class sees them
        desc += (
            '<div class="notes" id="notes" role="note">'
            + "".join(f'<p class="note">{text}</p>' for text in notes)
            + "</div>\n"
        )
    if reasons:
        message = "; ".join(reasons)
        return (
            head + f'<body data-stage="too-large">\n<header><h1>{_esc(heading)}</h1>\n{desc}</header>\n'
            f'<div class="message" id="too-large" role="alert"><p><strong>Too large to draw:</strong> '
            f"{_esc(message)}.</p><p>Explain a smaller network or batch, or read this step as text "
            f"(<code>trace.to_text()</code>, <code>chainrule explain FILE</code>) or Markdown "
            f"(<code>trace.to_markdown()</code>).</p></div>\n</body>\n</html>\n"
        )
    stages = _stages(trace, digits)
    blocks = _stage_blocks(trace, stages, digits)
    data = {
        "sizes": sizes,
        "activations": [layer.activation for layer in trace.layers],
        "bias": trace.layers[0].bias is not None,
        "n_samples": trace.n_samples,
        "weights": [_finite(layer.weights) for layer in trace.layers],
        "num": _numbers(trace, digits),
        "stages": [{k: v for k, v in stage.items() if k != "text"} for stage in stages],
    }
    sample_picker = ""
    if trace.n_samples > 1:
        options = "".join(
            f'<option value="{s}">sample {s}: x = ({", ".join(f"{v:.{digits}g}" for v in trace.inputs[s])})</option>'
            for s in range(trace.n_samples)
        )
        sample_picker = (
            f'<label class="sample">Show <select id="sample">{options}</select></label>'
            f'<span class="desc">(gradients and the update use the whole batch)</span>'
        )
    body = (
        f'<body data-stage="">\n<header><h1>{_esc(heading)}</h1>\n{desc}</header>\n'
        f'<nav class="controls" aria-label="step controls">'
        f'<button type="button" id="first" title="Home">« Start</button>'
        f'<button type="button" id="prev" title="← or ↑">◀ Back</button>'
        f'<button type="button" id="next" title="→, ↓ or space">Next ▶</button>'
        f'<span id="counter" aria-live="polite"></span>{sample_picker}'
        f'<span class="keys">keys: → / space next · ← back · Home / End</span></nav>\n'
        f'<ol class="chips" id="chips" aria-label="stages"></ol>\n'
        f'<main>\n<section class="panel" id="diagram" aria-label="network"></section>\n'
        f'<section class="panel" id="explanation">\n{blocks}<div class="tables" id="tables"></div>\n'
        f"</section>\n</main>\n"
        f'<noscript><p class="message">This page needs JavaScript to step through the training step; '
        f"<code>chainrule explain FILE</code> prints the same step as text.</p></noscript>\n"
        f'<script type="application/json" id="chainrule-data">{_script_json(data)}</script>\n'
        f"<script>{_EXPLAINER_JS}</script>\n</body>\n</html>\n"
    )
    return head + body


# -- the training report --------------------------------------------------------


_REPORT_CSS = _asset("report.css")


def report_html(
    net,
    history,
    title: str = "Training report",
    metrics: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    snapshots=None,
) -> str:
    """A self-contained training report page: architecture, final metrics, curves as inline SVG.

    With ``snapshots`` (a :class:`~chainrule.training.callbacks.Snapshots`
    that watched the training of a 2-D problem) the page opens with the live
    view: the decision boundary and the loss curve over the epochs, a slider
    and Play/Pause, a point's prediction on a click, the snapshot's weights.
    The page's Content-Security-Policy allows only its own inline style and
    script, by their SHA-256 hashes.

    Parameters
    ----------
    net : Network
        The trained network.
    history : History
        What ``fit`` returned.
    title : str
    metrics : dict, optional
        Extra final metrics to list (e.g. a test-set accuracy), name to number.
    settings : dict, optional
        The training settings to list (epochs, batch size, ...), name to value.
    snapshots : Snapshots, optional
        What a ``callbacks.Snapshots`` recorded during ``fit``.

    Returns
    -------
    str
        A complete HTML document that requests nothing.
    """

    if not isinstance(net, Network):
        raise TypeError(f"net must be a chainrule Network; got {type(net).__name__}")
    if not isinstance(history, History):
        raise TypeError(f"history must be the History that fit returned; got {type(history).__name__}")
    if not isinstance(title, str):
        raise TypeError(f"title must be a str; got {type(title).__name__}")
    rows = []
    total = 0
    for l, layer in enumerate(net.layers):
        n_params = layer.weights.size + (0 if layer.bias is None else layer.bias.size)
        total += n_params
        kind = "output" if l == len(net.layers) - 1 else "hidden"
        rows.append(
            f'<tr><td>layers[{l}]</td><td>{kind}</td><td class="num">{layer.weights.shape[1]} → '
            f"{layer.weights.shape[0]}</td><td>{_esc(layer.activation.name)}</td>"
            f'<td class="num">{n_params:,}</td></tr>'
        )
    arch = (
        '<table id="architecture"><tr><th>layer</th><th>kind</th><th>inputs → neurons</th>'
        "<th>activation</th><th>parameters</th></tr>"
        + "".join(rows)
        + f'<tr><td colspan="4">total</td><td class="num">{total:,}</td></tr></table>'
        f'<p class="muted">sizes {_esc(net.sizes)}; loss {_esc(net.loss_function.name)}, reduction '
        f"{_esc(net.reduction)}; bias {net.bias}; dtype {_esc(net.dtype.name)}"
        + ("" if net.input_scale is None else f"; inputs scaled by {net.input_scale:.6g}")
        + "</p>"
    )
    final: list[tuple[str, Any]] = [("epochs trained", len(history))]
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        values = getattr(history, name)
        if values:
            final.append((f"final {name}", values[-1]))
    if history.stopped_early:
        final.append(("stopped early; best epoch", history.best_epoch))
    for name, value in (metrics or {}).items():
        final.append((str(name), value))

    def fmt(value):
        if isinstance(value, (float, np.floating)):
            return f"{float(value):.4f}" if abs(value) >= 1e-3 or value == 0 else f"{float(value):.4g}"
        return _esc(value)

    metrics_html = (
        '<table id="metrics">'
        + "".join(
            f'<tr><td>{_esc(name)}</td><td class="num" data-metric="{_esc(name)}">{fmt(value)}</td></tr>'
            for name, value in final
        )
        + "</table>"
    )
    settings_html = ""
    config = dict(settings or {})
    if net.optimizer_ is not None and "optimizer" not in config:
        config["optimizer"] = ", ".join(f"{k}={v}" for k, v in net.optimizer_.get_config().items())
    if config:
        settings_html = (
            '<h2>Settings</h2><table id="settings">'
            + "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in config.items())
            + "</table>"
        )
    plots = [svg_curves({"train": history.loss, "validation": history.val_loss}, "Loss", "loss")]
    if history.accuracy or history.val_accuracy:
        plots.append(
            svg_curves({"train": history.accuracy, "validation": history.val_accuracy}, "Accuracy", "accuracy")
        )
    if len(set(history.learning_rate)) > 1:
        plots.append(svg_curves({"learning rate": history.learning_rate}, "Learning rate", "learning rate"))

    live = script = ""
    css = _REPORT_CSS
    if snapshots is not None:
        if not isinstance(snapshots, Snapshots):
            raise TypeError(
                f"snapshots must be the callbacks.Snapshots that watched fit; got {type(snapshots).__name__}"
            )
        live = f"<h2>Training, epoch by epoch</h2>\n{live_parts(snapshots)}"
        css += LIVE_CSS
        script = f"<script>{LIVE_JS}</script>\n"
    # Nothing from outside: only its own inline style (and the live view's script), by their SHA-256.
    csp = f"default-src 'none'; style-src {_csp_hash(css)}"
    if script:
        csp += f"; script-src {_csp_hash(LIVE_JS)}"
    csp += "; base-uri 'none'; form-action 'none'"
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        f"<title>{_esc(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n"
        f"<h1>{_esc(title)}</h1>\n{live}<h2>Final metrics</h2>\n{metrics_html}\n"
        f'<h2>Curves</h2>\n<div class="plots">{"".join(plots)}</div>\n'
        f"<h2>Architecture</h2>\n{arch}\n{settings_html}\n"
        f'<p class="muted">written by chainrule {_esc(__version__)}</p>\n{script}</body>\n</html>\n'
    )
