"""Self-contained HTML pages: the step-by-step explainer and the training report.

:func:`explainer_html` (``Trace.to_html()``, ``chainrule explain FILE
--format html``) writes one recorded training step as a single HTML file:
inline CSS, inline JavaScript, an SVG diagram drawn by that script and the
trace's numbers embedded as JSON. It loads nothing from anywhere (no
script, style, font or image from outside; no network request), so it opens
from a file, an e-mail attachment or a CI artifact alike.

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
5. **Update**: every weight's new value stands beside its old one, on the
   edges and in the table.

Beside the diagram, each stage shows the formulas with their numbers
substituted: exactly the lines of :meth:`Trace.to_text` for that part of
the step (one code path for the mathematics, none re-derived here). Every
number on the page is formatted like ``to_text`` (``digits`` significant
digits) and carries its trace path in a ``data-path`` attribute.

Networks with more than :data:`MAX_NEURONS` neurons in a layer (or batches
of more than :data:`MAX_SAMPLES` samples) get a page that says so, instead
of an unreadable diagram.

:func:`report_html` (``chainrule train --html-report DIR``) writes a
training report: the architecture, the final metrics and the curves as
inline SVG.
"""

from __future__ import annotations

import html as _html
import json
import math
from typing import Any

import numpy as np

from .._validation import check_positive_int

__all__ = ["explainer_html", "report_html", "svg_curves", "stage_formulas", "MAX_NEURONS", "MAX_SAMPLES"]

#: Largest layer (inputs included) the explainer draws.
MAX_NEURONS = 10
#: Largest batch the explainer steps through (one sample shown at a time).
MAX_SAMPLES = 64

_FIELDS_PER_SAMPLE = ("z", "a", "derivative", "grad_a", "delta")


# -- JSON inside <script> -----------------------------------------------------

def _script_json(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``... escapes (valid JSON, so
    ``JSON.parse`` gives back the same strings), which makes ``</script>``
    or ``<!--`` in a note or title harmless; U+2028/U+2029 are escaped too.
    """
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _esc(text: Any) -> str:
    return _html.escape(str(text), quote=True)


# -- the explainer ------------------------------------------------------------

def _sections(text: str) -> dict[Any, list[str]]:
    """Cut :meth:`Trace.to_text` into the parts the stages show.

    Keys: ``"header"`` (description and notes), ``"inputs"``,
    ``("forward", l)``, ``"loss"``, ``("error", l)``, ``("grad", l)`` and
    ``("update", l)``. Equation lines lose their 4-space indent.
    """
    out: dict[Any, list[str]] = {"header": [], "inputs": []}
    key: Any = "header"
    top = None
    mode = "grad"
    for line in text.split("\n"):
        if not line.strip():
            if key == "header" and out["header"]:
                key = "inputs"
            continue
        if not line.startswith(" "):  # a level-1 heading
            if line.startswith("Forward pass"):
                top, key = "forward", None
                continue
            if line.startswith("Loss"):
                top, key = "loss", "loss"
                out[key] = []
                continue
            if line.startswith(("Output error: layers[", "Hidden error: layers[")):
                l = int(line.split("layers[", 1)[1].split("]", 1)[0])
                top, key = "error", ("error", l)
                out[key] = []
                continue
            if line.startswith("Updates"):
                top, key = "updates", None
                continue
            if key == "header" and line != "One training step, explained":
                out["header"].append(line)
            continue
        if line.startswith("  layers[") and top in ("forward", "updates"):  # a level-2 heading
            l = int(line[len("  layers["):].split("]", 1)[0])
            if top == "forward":
                key = ("forward", l)
                out[key] = []
            else:
                out[("grad", l)], out[("update", l)] = [], []
                key = ("updates", l)
                mode = "grad"
            continue
        body = line[4:] if line.startswith("    ") else line.strip()
        if key is None or key == "header":
            continue
        if isinstance(key, tuple) and key[0] == "updates":
            stripped = body.strip()
            if stripped.startswith("∂L/∂"):
                mode = "grad"
            elif "←" in stripped or stripped.startswith(("W =", "b =")):
                mode = "update"
            out[(mode, key[1])].append(body)
            continue
        out[key].append(body)
    return out


def stage_formulas(trace, digits: int = 4) -> dict[str, list[str]]:
    """The formula lines each explainer stage shows, by stage key.

    Keys are ``"inputs"``, ``"forward-<l>"``, ``"loss"``, ``"backward-<l>"``
    and ``"update"``; the lines are :meth:`Trace.to_text`'s, with numbers
    to ``digits`` significant digits.
    """
    sec = _sections(trace.to_text(digits=digits, max_neurons=MAX_NEURONS, max_samples=4))
    L = len(trace.layers)
    out = {"inputs": sec["inputs"]}
    for l in range(L):
        out[f"forward-{l}"] = sec[("forward", l)]
    out["loss"] = sec["loss"]
    for l in range(L - 1, -1, -1):
        out[f"backward-{l}"] = sec[("error", l)] + sec[("grad", l)]
    update: list[str] = []
    for l in range(L - 1, -1, -1):
        update.append(f"layers[{l}]:")
        update += ["  " + line for line in sec[("update", l)]]
    out["update"] = update
    return out


def _numbers(trace, digits: int) -> dict[str, str]:
    """Every number the page can show, formatted like ``to_text``, by path."""
    from ..teaching.trace import TRACE_FIELDS, _Style

    style = _Style(latex=False)
    out: dict[str, str] = {"loss": style.num(trace.loss, digits)}
    for name, array in (("inputs", trace.inputs), ("targets", trace.targets)):
        for index in np.ndindex(*array.shape):
            out[name + "".join(f"[{i}]" for i in index)] = style.num(array[index], digits)
    for l, layer in enumerate(trace.layers):
        for name in TRACE_FIELDS:
            array = getattr(layer, name)
            if array is None:
                continue
            for index in np.ndindex(*array.shape):
                out[f"layers[{l}].{name}" + "".join(f"[{i}]" for i in index)] = style.num(array[index], digits)
    return out


def _finite(array: np.ndarray) -> list:
    return [[float(v) if math.isfinite(v) else None for v in row] for row in np.asarray(array, dtype=np.float64)]


_F_NAMES = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "leaky_relu": "lrelu", "identity": "id",
            "softmax": "softmax"}


def _stages(trace, digits: int) -> list[dict[str, Any]]:
    L = len(trace.layers)
    formulas = stage_formulas(trace, digits)
    has_bias = trace.layers[0].bias is not None
    lr = f"{trace.learning_rate:.{digits}g}"
    sizes = trace.sizes

    def nodes(column: int) -> list[str]:
        return [f"n{column}_{j}" for j in range(sizes[column])]

    def edges(l: int) -> list[str]:
        n_out, n_in = trace.layers[l].weights.shape
        return [f"e{l}_{j}_{i}" for j in range(n_out) for i in range(n_in)]

    stages = [{
        "key": "inputs", "kind": "inputs", "layer": None, "tables": list(range(L)),
        "title": "Inputs and starting weights",
        "text": ("The inputs x enter on the left. The edges carry the starting weights: blue positive, "
                 "red negative, width in proportion to |w|. Step forward with → or space."),
        "nodes": nodes(0), "edges": [],
    }]
    for l, layer in enumerate(trace.layers):
        n_out, n_in = layer.weights.shape
        kind = "output" if l == L - 1 else "hidden"
        f = _F_NAMES.get(layer.activation, layer.activation)
        if layer.activation == "softmax":
            act = "then softmax over the layer turns the z into outputs a that sum to 1"
        else:
            act = f"then applies {layer.activation} to get its output a = {f}(z)"
        src = "input" if l == 0 else f"layers[{l - 1}]'s output"
        stages.append({
            "key": f"forward-{l}", "kind": "forward", "layer": l, "tables": [l],
            "title": f"Forward: layers[{l}] ({kind}, {layer.activation}, {n_in} → {n_out})",
            "text": (f"Each neuron of layers[{l}] multiplies every {src} by the weight on its edge and adds "
                     f"them up{' with its bias b' if has_bias else ''} to get z, {act}."),
            "nodes": nodes(l + 1), "edges": edges(l),
        })
    stages.append({
        "key": "loss", "kind": "loss", "layer": L - 1, "tables": [],
        "title": f"Loss: {trace.loss_name}, {trace.reduction} over the batch",
        "text": (f"The output a is compared with the target y by the loss {trace.loss_name}"
                 f"{' (summed over the samples)' if trace.reduction == 'sum' else ' (averaged over the samples)'}"
                 f". The backward pass starts from L."),
        "nodes": nodes(L), "edges": [],
    })
    for l in range(L - 1, -1, -1):
        layer = trace.layers[l]
        f = _F_NAMES.get(layer.activation, layer.activation)
        if l == L - 1:
            text = ("The error of the output: δ = ∂L/∂z says how much the loss changes with each output "
                    "neuron's z. Each weight's gradient is the δ of the neuron it feeds times the value "
                    "on its edge: ∂L/∂w = δ·in.")
            title = f"Backward: layers[{l}] (output), δ and gradients"
            highlight = edges(l)
        else:
            deriv = f"{f}'(z)" if layer.derivative is not None else "the activation's Jacobian"
            text = (f"δ flows back along the edges of layers[{l + 1}]: each neuron of layers[{l}] collects "
                    f"∂L/∂a = Σ δ'·w' from the neurons it feeds (δ' and w' are layers[{l + 1}]'s), then "
                    f"δ = ∂L/∂a · {deriv}. Its weights' gradients are ∂L/∂w = δ·in.")
            title = f"Backward: layers[{l}] (hidden), δ and gradients"
            highlight = edges(l) + edges(l + 1)
        stages.append({"key": f"backward-{l}", "kind": "backward", "layer": l, "tables": [l],
                       "title": title, "text": text, "nodes": nodes(l + 1), "edges": highlight})
    stages.append({
        "key": "update", "kind": "update", "layer": None, "tables": list(range(L - 1, -1, -1)),
        "title": f"Update: w ← w − η·∂L/∂w (η = {lr})",
        "text": (f"Every weight{' and bias' if has_bias else ''} takes a step against its gradient, "
                 f"with learning rate η = {lr}. The new values stand beside the old ones."),
        "nodes": [n for c in range(1, L + 1) for n in nodes(c)],
        "edges": [e for l in range(L) for e in edges(l)],
    })
    for stage in stages:
        stage["formula"] = formulas[stage["key"]]
    return stages


_EXPLAINER_CSS = """
:root { --fw: #2563eb; --fwbg: #dbeafe; --loss: #7c3aed; --lossbg: #ede9fe; --bw: #c2410c; --bwbg: #ffedd5;
        --up: #15803d; --upbg: #dcfce7; --ink: #1f2937; --mute: #6b7280; --line: #d1d5db; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       background: #f9fafb; }
header { padding: 14px 20px 6px; }
h1 { font-size: 1.25rem; margin: 0 0 4px; }
.desc { color: var(--mute); font-size: .9rem; margin: 2px 0; }
.note { font-size: .85rem; color: #92400e; margin: 2px 0; }
nav.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; padding: 8px 20px;
               position: sticky; top: 0; background: #f9fafbee; border-bottom: 1px solid var(--line); z-index: 2; }
button { font: inherit; font-size: .9rem; padding: 5px 12px; border: 1px solid var(--line); border-radius: 6px;
         background: white; cursor: pointer; }
button:disabled { opacity: .4; cursor: default; }
button:focus-visible, select:focus-visible { outline: 2px solid var(--fw); outline-offset: 1px; }
#counter { font-variant-numeric: tabular-nums; color: var(--mute); font-size: .9rem; }
.keys { color: var(--mute); font-size: .8rem; margin-left: auto; }
ol.chips { display: flex; flex-wrap: wrap; gap: 4px; list-style: none; padding: 6px 20px 0; margin: 0; }
ol.chips button { font-size: .75rem; padding: 2px 8px; border-radius: 10px; }
ol.chips button[aria-current="step"] { font-weight: 600; border-color: currentColor; }
.k-forward { color: var(--fw); } .k-loss { color: var(--loss); } .k-backward { color: var(--bw); }
.k-update { color: var(--up); } .k-inputs { color: var(--ink); }
main { display: grid; grid-template-columns: minmax(0, 1.5fr) minmax(340px, 1fr); gap: 16px; padding: 12px 20px; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } }
.panel { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 0; }
#diagram svg { width: 100%; height: auto; display: block; }
#stage-title { font-size: 1.05rem; margin: 0 0 6px; }
#stage-text { margin: 0 0 8px; line-height: 1.4; font-size: .92rem; }
pre#formula { background: #f3f4f6; border-radius: 6px; padding: 8px 10px; margin: 0 0 10px; overflow-x: auto;
              font-size: .85rem; line-height: 1.45; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace;
              max-height: 420px; overflow: auto; }
table.params { border-collapse: collapse; font-size: .82rem; margin: 4px 0 10px; font-variant-numeric: tabular-nums; }
table.params caption { text-align: left; font-weight: 600; padding: 2px 0; }
table.params th, table.params td { border-bottom: 1px solid #eee; padding: 2px 10px 2px 0; text-align: right; }
table.params th:first-child, table.params td:first-child { text-align: left; font-family: ui-monospace, monospace; }
.tables { max-height: 340px; overflow: auto; }
td.new { color: var(--up); font-weight: 600; } td.grad { color: var(--bw); }
label.sample { font-size: .9rem; }
.message { margin: 24px 20px; padding: 16px 20px; background: #fffbeb; border: 1px solid #f59e0b; border-radius: 8px; }
/* the diagram */
.edge { stroke-linecap: round; opacity: .28; transition: opacity .15s; }
.edge.hl { opacity: 1; }
.card rect { fill: white; stroke: #9ca3af; stroke-width: 1.2; }
.card.hl rect { stroke-width: 2.6; }
.s-forward .card.hl rect { stroke: var(--fw); fill: var(--fwbg); }
.s-loss .card.hl rect, .s-loss .lossbox rect { stroke: var(--loss); fill: var(--lossbg); }
.s-backward .card.hl rect { stroke: var(--bw); fill: var(--bwbg); }
.s-update .card.hl rect { stroke: var(--up); fill: var(--upbg); }
.s-inputs .card.hl rect { stroke: var(--ink); fill: #f3f4f6; }
.card text, .lossbox text, .elabel, .colhead { font-size: 14px; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; }
.card .head { font-weight: 700; fill: var(--mute); }
.card .nm, .lossbox .nm { fill: var(--mute); }
.fresh { font-weight: 700; }
.s-forward .fresh { fill: var(--fw); } .s-loss .fresh { fill: var(--loss); }
.s-backward .fresh { fill: var(--bw); } .s-update .fresh { fill: var(--up); }
.elabel { font-size: 13px; paint-order: stroke; stroke: white; stroke-width: 4px; stroke-linejoin: round; }
.colhead { fill: var(--mute); font-size: 14px; font-family: system-ui, sans-serif; }
.lossbox rect { fill: white; stroke: #9ca3af; }
"""

_EXPLAINER_JS = r"""
(function () {
"use strict";
var D = JSON.parse(document.getElementById("chainrule-data").textContent);
var SVG = "http://www.w3.org/2000/svg";
var stages = D.stages, N = stages.length, k = 0, sample = 0;
var at = {};
stages.forEach(function (s, i) { at[s.key] = i; });
var L = D.sizes.length - 1;
var CW = 124, COLGAP = 330, ROW = 116, TOP = 44, LEFT = 12;
var maxN = Math.max.apply(null, D.sizes);
var width = LEFT + L * COLGAP + CW + 150;
var height = TOP + maxN * ROW + 10;

function el(tag, attrs, parent) {
  var e = document.createElementNS(SVG, tag);
  for (var a in attrs) e.setAttribute(a, attrs[a]);
  if (parent) parent.appendChild(e);
  return e;
}
function colX(c) { return LEFT + c * COLGAP; }
function rowY(c, j) { return TOP + (maxN - D.sizes[c]) * ROW / 2 + j * ROW + 4; }
function cardH(c) { return 24 + 16 * nLines(c); }
function nLines(c) { return c === 0 ? 1 : (D.bias ? 4 : 3) + (c === L ? 1 : 0); }
function reached(key) { return (key in at) && k >= at[key]; }
function fresh(key) { return at[key] === k; }
function maxAbs(rows) {
  var m = 0;
  rows.forEach(function (r) { r.forEach(function (v) { if (v !== null) m = Math.max(m, Math.abs(v)); }); });
  return m || 1;
}

var svg = el("svg", {viewBox: "0 0 " + width + " " + height, role: "img",
                     "aria-label": "network diagram, " + D.sizes.join("-")});
document.getElementById("diagram").appendChild(svg);
var gEdges = el("g", {}, svg), gCards = el("g", {}, svg);
var edgeEls = {}, labelEls = {}, cardEls = {};
for (var c = 0; c <= L; c++) {
  var head = c === 0 ? "input x" : "layers[" + (c - 1) + "] · " + D.activations[c - 1] + (c === L ? " (output)" : "");
  var t = el("text", {x: colX(c) + CW / 2, y: 18, "text-anchor": "middle", "class": "colhead"}, svg);
  t.textContent = head;
}
for (var l = 0; l < L; l++) {
  var W = D.weights[l], m = maxAbs(W), nOut = D.sizes[l + 1], nIn = D.sizes[l];
  var labelled = nOut <= 3 && nIn <= 4;
  var tpos = 0.42;
  for (var j = 0; j < nOut; j++) {
    for (var i = 0; i < nIn; i++) {
      var x1 = colX(l) + CW, y1 = rowY(l, i) + cardH(l) / 2;
      var x2 = colX(l + 1), y2 = rowY(l + 1, j) + cardH(l + 1) / 2;
      var w = W[j][i], id = "e" + l + "_" + j + "_" + i;
      var edge = el("line", {x1: x1, y1: y1, x2: x2, y2: y2, "class": "edge", id: id,
                             stroke: w === null ? "#9ca3af" : (w >= 0 ? "#2563eb" : "#dc2626"),
                             "stroke-width": w === null ? 1 : (0.8 + 4.2 * Math.abs(w) / m).toFixed(2)}, gEdges);
      el("title", {}, edge).textContent = "layers[" + l + "].weights[" + j + "][" + i + "]";
      edgeEls[id] = edge;
      if (labelled) {
        labelEls[id] = el("text", {x: x1 + tpos * (x2 - x1), y: y1 + tpos * (y2 - y1) + 4,
                                   "text-anchor": "middle", "class": "elabel"}, gEdges);
      }
    }
  }
}
for (c = 0; c <= L; c++) {
  for (j = 0; j < D.sizes[c]; j++) {
    var g = el("g", {"class": "card", id: "n" + c + "_" + j}, gCards);
    el("rect", {x: colX(c), y: rowY(c, j), width: CW, height: cardH(c), rx: 7}, g);
    var hd = el("text", {x: colX(c) + 8, y: rowY(c, j) + 17, "class": "head"}, g);
    hd.textContent = (c === 0 ? "x" : "") + "[" + j + "]";
    cardEls["n" + c + "_" + j] = g;
  }
}
var lossBox = el("g", {"class": "lossbox"}, svg);
var ly = rowY(L, 0) + (D.sizes[L] * ROW) / 2 - 30;
el("rect", {x: colX(L) + CW + 20, y: ly, width: 124, height: 32, rx: 7}, lossBox);
var lossText = el("text", {x: colX(L) + CW + 30, y: ly + 21}, lossBox);

function put(textEl, parts) {
  while (textEl.firstChild) textEl.removeChild(textEl.firstChild);
  parts.forEach(function (p) {
    var s = el("tspan", {}, textEl);
    if (p.path) {
      s.setAttribute("data-path", p.path);
      s.textContent = D.num[p.path];
      if (p.fresh) s.setAttribute("class", "fresh");
    } else {
      s.textContent = p.text;
      if (p.cls) s.setAttribute("class", p.cls);
    }
  });
}
function valueLine(parent, c, j, row, parts) {
  var t = el("text", {x: colX(c) + 8, y: rowY(c, j) + 34 + 16 * row, "class": "val"}, parent);
  put(t, parts);
}

function renderCards() {
  for (var c = 0; c <= L; c++) {
    for (var j = 0; j < D.sizes[c]; j++) {
      var g = cardEls["n" + c + "_" + j];
      Array.prototype.slice.call(g.querySelectorAll("text.val")).forEach(function (t) { g.removeChild(t); });
      if (c === 0) {
        valueLine(g, c, j, 0, [{text: "x ", cls: "nm"}, {path: "inputs[" + sample + "][" + j + "]"}]);
        continue;
      }
      var l = c - 1, row = 0, P = "layers[" + l + "].";
      if (D.bias) {
        var bp = [{text: "b ", cls: "nm"}, {path: P + "bias[" + j + "]"}];
        if (reached("update")) bp.push({text: " → "}, {path: P + "new_bias[" + j + "]", fresh: fresh("update")});
        valueLine(g, c, j, row++, bp);
      }
      var fw = reached("forward-" + l), bw = reached("backward-" + l);
      valueLine(g, c, j, row++, fw ? [{text: "z ", cls: "nm"}, {path: P + "z[" + sample + "][" + j + "]", fresh: fresh("forward-" + l)}] : [{text: "z", cls: "nm"}]);
      valueLine(g, c, j, row++, fw ? [{text: "a ", cls: "nm"}, {path: P + "a[" + sample + "][" + j + "]", fresh: fresh("forward-" + l)}] : [{text: "a", cls: "nm"}]);
      valueLine(g, c, j, row++, bw ? [{text: "δ ", cls: "nm"}, {path: P + "delta[" + sample + "][" + j + "]", fresh: fresh("backward-" + l)}] : [{text: "δ", cls: "nm"}]);
      if (c === L) {
        valueLine(g, c, j, row++, reached("loss") ? [{text: "y ", cls: "nm"}, {path: "targets[" + sample + "][" + j + "]", fresh: fresh("loss")}] : [{text: "y", cls: "nm"}]);
      }
    }
  }
}

function renderEdges(stage) {
  var hl = {};
  stage.edges.forEach(function (id) { hl[id] = true; });
  for (var id in edgeEls) {
    edgeEls[id].setAttribute("class", hl[id] ? "edge hl" : "edge");
    var lab = labelEls[id];
    if (!lab) continue;
    var ix = id.slice(1).split("_"), P = "layers[" + ix[0] + "].";
    var parts = [{path: P + "weights[" + ix[1] + "][" + ix[2] + "]"}];
    if (reached("update")) parts.push({text: " → "}, {path: P + "new_weights[" + ix[1] + "][" + ix[2] + "]", fresh: fresh("update")});
    put(lab, parts);
  }
}

function cell(tr, path, cls) {
  var td = document.createElement("td");
  if (path) { td.setAttribute("data-path", path); td.textContent = D.num[path]; }
  if (cls) td.className = cls;
  tr.appendChild(td);
}
function renderTables(stage) {
  var box = document.getElementById("tables");
  box.textContent = "";
  stage.tables.forEach(function (l) {
    var bw = reached("backward-" + l), up = reached("update");
    var table = document.createElement("table");
    table.className = "params";
    table.createCaption().textContent = "layers[" + l + "] parameters";
    var hr = table.createTHead().insertRow();
    ["", "old", "gradient", "new"].forEach(function (h) { var th = document.createElement("th"); th.textContent = h; hr.appendChild(th); });
    var body = table.createTBody(), P = "layers[" + l + "].";
    for (var j = 0; j < D.sizes[l + 1]; j++) {
      var names = [];
      for (var i = 0; i < D.sizes[l]; i++) names.push(["w[" + j + "," + i + "]", "weights[" + j + "][" + i + "]", "grad_weights[" + j + "][" + i + "]", "new_weights[" + j + "][" + i + "]"]);
      if (D.bias) names.push(["b[" + j + "]", "bias[" + j + "]", "grad_bias[" + j + "]", "new_bias[" + j + "]"]);
      names.forEach(function (n) {
        var tr = body.insertRow();
        var th = document.createElement("td"); th.textContent = n[0]; tr.appendChild(th);
        cell(tr, P + n[1]);
        cell(tr, bw ? P + n[2] : null, "grad");
        cell(tr, up ? P + n[3] : null, "new");
      });
    }
    box.appendChild(table);
  });
}

function render() {
  var stage = stages[k];
  document.body.setAttribute("data-stage", stage.key);
  svg.setAttribute("class", "s-" + stage.kind);
  document.getElementById("counter").textContent = "Stage " + (k + 1) + " of " + N;
  var title = document.getElementById("stage-title");
  title.textContent = stage.title;
  title.className = "k-" + stage.kind;
  document.getElementById("stage-text").textContent = stage.text;
  document.getElementById("formula").textContent = stage.formula.join("\n");
  document.getElementById("prev").disabled = k === 0;
  document.getElementById("first").disabled = k === 0;
  document.getElementById("next").disabled = k === N - 1;
  var hl = {};
  stage.nodes.forEach(function (id) { hl[id] = true; });
  for (var id in cardEls) cardEls[id].setAttribute("class", hl[id] ? "card hl" : "card");
  renderCards();
  renderEdges(stage);
  lossBox.style.display = reached("loss") ? "" : "none";
  put(lossText, reached("loss") ? [{text: "L = ", cls: "nm"}, {path: "loss", fresh: fresh("loss")}] : []);
  renderTables(stage);
  Array.prototype.forEach.call(document.querySelectorAll("ol.chips button"), function (b, i) {
    if (i === k) b.setAttribute("aria-current", "step"); else b.removeAttribute("aria-current");
  });
}
function go(i) { k = Math.max(0, Math.min(N - 1, i)); render(); }

var chips = document.getElementById("chips");
stages.forEach(function (s, i) {
  var li = document.createElement("li"), b = document.createElement("button");
  b.type = "button";
  b.className = "k-" + s.kind;
  b.textContent = s.key;
  b.title = s.title;
  b.addEventListener("click", function () { go(i); });
  li.appendChild(b);
  chips.appendChild(li);
});
document.getElementById("prev").addEventListener("click", function () { go(k - 1); });
document.getElementById("next").addEventListener("click", function () { go(k + 1); });
document.getElementById("first").addEventListener("click", function () { go(0); });
var select = document.getElementById("sample");
if (select) select.addEventListener("change", function () { sample = parseInt(select.value, 10); render(); });
document.addEventListener("keydown", function (e) {
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  var tag = e.target && e.target.tagName;
  if (tag === "SELECT" || tag === "INPUT" || tag === "TEXTAREA") return;
  if (tag === "BUTTON" && (e.key === " " || e.key === "Enter")) return;  // the button's own click
  var next = ["ArrowRight", "ArrowDown", " ", "PageDown"], prev = ["ArrowLeft", "ArrowUp", "PageUp", "Backspace"];
  if (next.indexOf(e.key) >= 0) go(k + 1);
  else if (prev.indexOf(e.key) >= 0) go(k - 1);
  else if (e.key === "Home") go(0);
  else if (e.key === "End") go(N - 1);
  else return;
  e.preventDefault();
});
render();
})();
"""


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
    from ..teaching.trace import Trace

    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a chainrule Trace; got {type(trace).__name__}")
    digits = check_positive_int(digits, "digits")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None; got {type(title).__name__}")
    heading = title or "One training step, explained"
    sizes = trace.sizes
    reasons = []
    if max(sizes) > MAX_NEURONS:
        reasons.append(f"this network, {'-'.join(map(str, sizes))}, has a layer of {max(sizes)} neurons; "
                       f"the step-by-step explainer draws networks of up to {MAX_NEURONS} neurons per layer")
    if trace.n_samples > MAX_SAMPLES:
        reasons.append(f"the step has {trace.n_samples} samples; the explainer steps through batches of up to "
                       f"{MAX_SAMPLES}")
    head = (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            f"style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
            f"<title>{_esc(heading)}</title>\n<style>{_EXPLAINER_CSS}</style>\n</head>\n")
    text = trace.to_text(digits=digits, max_neurons=MAX_NEURONS, max_samples=4)
    header_lines = _sections(text)["header"]
    desc = "".join(f"<p class=\"{'note' if line.startswith('Note:') else 'desc'}\">{_esc(line)}</p>\n"
                   for line in header_lines)
    if reasons:
        message = "; ".join(reasons)
        return (head + f"<body data-stage=\"too-large\">\n<header><h1>{_esc(heading)}</h1>\n{desc}</header>\n"
                f"<div class=\"message\" id=\"too-large\" role=\"alert\"><p><strong>Too large to draw:</strong> "
                f"{_esc(message)}.</p><p>Explain a smaller network or batch, or read this step as text "
                f"(<code>trace.to_text()</code>, <code>chainrule explain FILE</code>) or Markdown "
                f"(<code>trace.to_markdown()</code>).</p></div>\n</body>\n</html>\n")
    data = {
        "sizes": sizes,
        "activations": [layer.activation for layer in trace.layers],
        "bias": trace.layers[0].bias is not None,
        "n_samples": trace.n_samples,
        "weights": [_finite(layer.weights) for layer in trace.layers],
        "num": _numbers(trace, digits),
        "stages": _stages(trace, digits),
    }
    sample_picker = ""
    if trace.n_samples > 1:
        options = "".join(
            f"<option value=\"{s}\">sample {s}: x = ({', '.join(f'{v:.{digits}g}' for v in trace.inputs[s])})</option>"
            for s in range(trace.n_samples))
        sample_picker = (f"<label class=\"sample\">Show <select id=\"sample\">{options}</select></label>"
                         f"<span class=\"desc\">(gradients and the update use the whole batch)</span>")
    body = (f"<body data-stage=\"\">\n<header><h1>{_esc(heading)}</h1>\n{desc}</header>\n"
            f"<nav class=\"controls\" aria-label=\"step controls\">"
            f"<button type=\"button\" id=\"first\" title=\"Home\">« Start</button>"
            f"<button type=\"button\" id=\"prev\" title=\"← or ↑\">◀ Back</button>"
            f"<button type=\"button\" id=\"next\" title=\"→, ↓ or space\">Next ▶</button>"
            f"<span id=\"counter\" aria-live=\"polite\"></span>{sample_picker}"
            f"<span class=\"keys\">keys: → / space next · ← back · Home / End</span></nav>\n"
            f"<ol class=\"chips\" id=\"chips\" aria-label=\"stages\"></ol>\n"
            f"<main>\n<section class=\"panel\" id=\"diagram\" aria-label=\"network\"></section>\n"
            f"<section class=\"panel\" id=\"explanation\">\n<h2 id=\"stage-title\"></h2>\n"
            f"<p id=\"stage-text\"></p>\n<pre id=\"formula\"></pre>\n<div class=\"tables\" id=\"tables\"></div>\n"
            f"</section>\n</main>\n"
            f"<noscript><p class=\"message\">This page needs JavaScript to step through the training step; "
            f"<code>chainrule explain FILE</code> prints the same step as text.</p></noscript>\n"
            f"<script type=\"application/json\" id=\"chainrule-data\">{_script_json(data)}</script>\n"
            f"<script>{_EXPLAINER_JS}</script>\n</body>\n</html>\n")
    return head + body


# -- the training report --------------------------------------------------------

def _ticks(low: float, high: float, n: int = 5) -> list[float]:
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / n
    step = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * step:
            step *= m
            break
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


_COLOURS = ("#2563eb", "#ea580c", "#16a34a", "#9333ea")


def svg_curves(series: dict[str, list[float]], title: str, ylabel: str, width: int = 560,
               height: int = 300) -> str:
    """Line curves against the epoch as an inline SVG string (no matplotlib needed).

    Parameters
    ----------
    series : dict of str to list of float
        Name to values, one per epoch (epoch 1 first); empty lists are left out.
    title, ylabel : str
    """
    series = {name: [float(v) for v in values] for name, values in series.items() if len(values)}
    left, right, top, bottom = 62, 14, 30, 44
    pw, ph = width - left - right, height - top - bottom
    out = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"curves\" viewBox=\"0 0 {width} {height}\" "
           f"width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{_esc(title)}\">",
           f"<text x=\"{width / 2}\" y=\"18\" text-anchor=\"middle\" class=\"ttl\">{_esc(title)}</text>"]
    finite = [v for values in series.values() for v in values if math.isfinite(v)]
    n = max((len(v) for v in series.values()), default=0)
    if not finite:
        out.append(f"<text x=\"{width / 2}\" y=\"{height / 2}\" text-anchor=\"middle\">no data</text></svg>")
        return "".join(out)
    lo, hi = min(finite), max(finite)
    if hi == lo:
        lo, hi = lo - (abs(lo) * 0.1 or 1.0), hi + (abs(hi) * 0.1 or 1.0)
    pad = (hi - lo) * 0.05
    lo, hi = lo - pad, hi + pad

    def X(i):  # epoch index 0.. -> pixels (epochs numbered from 1)
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def Y(v):
        return top + ph * (hi - v) / (hi - lo)

    out.append(f"<rect x=\"{left}\" y=\"{top}\" width=\"{pw}\" height=\"{ph}\" class=\"frame\"/>")
    for t in _ticks(lo, hi):
        out.append(f"<line x1=\"{left}\" x2=\"{left + pw}\" y1=\"{Y(t):.1f}\" y2=\"{Y(t):.1f}\" class=\"grid\"/>"
                   f"<text x=\"{left - 6}\" y=\"{Y(t) + 4:.1f}\" text-anchor=\"end\">{t:.4g}</text>")
    for t in _ticks(1, n, 6) if n > 1 else [1]:
        if abs(t - round(t)) > 1e-9:
            continue
        out.append(f"<text x=\"{X(t - 1):.1f}\" y=\"{top + ph + 16}\" text-anchor=\"middle\">{int(round(t))}</text>")
    out.append(f"<text x=\"{left + pw / 2}\" y=\"{height - 6}\" text-anchor=\"middle\">epoch</text>"
               f"<text x=\"14\" y=\"{top + ph / 2}\" text-anchor=\"middle\" "
               f"transform=\"rotate(-90 14 {top + ph / 2})\">{_esc(ylabel)}</text>")
    for c, (name, values) in enumerate(series.items()):
        colour = _COLOURS[c % len(_COLOURS)]
        points = " ".join(f"{X(i):.1f},{Y(v):.1f}" for i, v in enumerate(values) if math.isfinite(v))
        out.append(f"<polyline points=\"{points}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" "
                   f"data-series=\"{_esc(name)}\"/>")
        if len(values) == 1:
            out.append(f"<circle cx=\"{X(0):.1f}\" cy=\"{Y(values[0]):.1f}\" r=\"3\" fill=\"{colour}\"/>")
        ly = top + 14 + 16 * c
        out.append(f"<line x1=\"{left + pw - 110}\" x2=\"{left + pw - 88}\" y1=\"{ly - 4}\" y2=\"{ly - 4}\" "
                   f"stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{left + pw - 82}\" y=\"{ly}\">"
                   f"{_esc(name)}</text>")
    out.append("</svg>")
    return "".join(out)


_REPORT_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2937; margin: 24px;
       max-width: 1200px; }
h1 { font-size: 1.35rem; } h2 { font-size: 1.05rem; margin-top: 22px; }
table { border-collapse: collapse; font-size: .9rem; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 3px 14px 3px 0; text-align: left; }
td.num { text-align: right; }
.plots { display: flex; flex-wrap: wrap; gap: 12px; }
svg.curves { background: white; border: 1px solid #e5e7eb; border-radius: 6px; font-size: 11px;
             font-family: system-ui, sans-serif; }
svg.curves .frame { fill: none; stroke: #9ca3af; } svg.curves .grid { stroke: #f3f4f6; }
svg.curves .ttl { font-size: 13px; font-weight: 600; }
.muted { color: #6b7280; font-size: .85rem; }
"""


def report_html(net, history, title: str = "Training report", metrics: dict[str, Any] | None = None,
                settings: dict[str, Any] | None = None) -> str:
    """A self-contained training report page: architecture, final metrics, curves as inline SVG.

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

    Returns
    -------
    str
        A complete HTML document that requests nothing.
    """
    from ..core.network import Network
    from ..training.loop import History

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
        rows.append(f"<tr><td>layers[{l}]</td><td>{kind}</td><td class=\"num\">{layer.weights.shape[1]} → "
                    f"{layer.weights.shape[0]}</td><td>{_esc(layer.activation.name)}</td>"
                    f"<td class=\"num\">{n_params:,}</td></tr>")
    arch = ("<table id=\"architecture\"><tr><th>layer</th><th>kind</th><th>inputs → neurons</th>"
            "<th>activation</th><th>parameters</th></tr>" + "".join(rows) +
            f"<tr><td colspan=\"4\">total</td><td class=\"num\">{total:,}</td></tr></table>"
            f"<p class=\"muted\">sizes {_esc(net.sizes)}; loss {_esc(net.loss_function.name)}, reduction "
            f"{_esc(net.reduction)}; bias {net.bias}; dtype {_esc(net.dtype.name)}</p>")
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

    metrics_html = ("<table id=\"metrics\">" + "".join(
        f"<tr><td>{_esc(name)}</td><td class=\"num\" data-metric=\"{_esc(name)}\">{fmt(value)}</td></tr>"
        for name, value in final) + "</table>")
    settings_html = ""
    config = dict(settings or {})
    if net.optimizer_ is not None and "optimizer" not in config:
        config["optimizer"] = ", ".join(f"{k}={v}" for k, v in net.optimizer_.get_config().items())
    if config:
        settings_html = ("<h2>Settings</h2><table id=\"settings\">" + "".join(
            f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in config.items()) + "</table>")
    plots = [svg_curves({"train": history.loss, "validation": history.val_loss}, "Loss", "loss")]
    if history.accuracy or history.val_accuracy:
        plots.append(svg_curves({"train": history.accuracy, "validation": history.val_accuracy},
                                "Accuracy", "accuracy"))
    if len(set(history.learning_rate)) > 1:
        plots.append(svg_curves({"learning rate": history.learning_rate}, "Learning rate", "learning rate"))
    from .. import __version__

    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
            f"<title>{_esc(title)}</title>\n<style>{_REPORT_CSS}</style>\n</head>\n<body>\n"
            f"<h1>{_esc(title)}</h1>\n<h2>Final metrics</h2>\n{metrics_html}\n"
            f"<h2>Curves</h2>\n<div class=\"plots\">{''.join(plots)}</div>\n"
            f"<h2>Architecture</h2>\n{arch}\n{settings_html}\n"
            f"<p class=\"muted\">written by chainrule {_esc(__version__)}</p>\n</body>\n</html>\n")
