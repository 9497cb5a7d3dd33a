
(function () {
"use strict";
var D = JSON.parse(document.getElementById("chainrule-data").textContent);
var SVG = "http://www.w3.org/2000/svg";
var stages = D.stages, N = stages.length, k = 0, sample = 0;
var at = {};
stages.forEach(function (s, i) { at[s.key] = i; });
var L = D.sizes.length - 1, S = D.n_samples;
// The diagram is laid out in CSS pixels (one SVG unit = one pixel) from the sizes of its own texts, measured
// here, so that its type is as large as the style sheet says wherever the panel is wide enough for it.
var PAD = 8, GAPY = 14, MINBODY = 360, MARGIN = 8, LPAD = 4, CLEAR = 4, MINGAP = 120, MAXGAP = 720, GROW = 24;
var ARROW = "→ ";

function el(tag, attrs, parent) {
  var e = document.createElementNS(SVG, tag);
  for (var a in attrs) e.setAttribute(a, attrs[a]);
  if (parent) parent.appendChild(e);
  return e;
}
function reached(key) { return (key in at) && k >= at[key]; }
function fresh(key) { return at[key] === k; }
function maxAbs(rows) {
  var m = 0;
  rows.forEach(function (r) { r.forEach(function (v) { if (v !== null) m = Math.max(m, Math.abs(v)); }); });
  return m || 1;
}
function overlap(a, b, gap) {
  return a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;
}
function segmentHits(x1, y1, x2, y2, r) {  // Liang-Barsky: does the segment cross the rectangle?
  var t0 = 0, t1 = 1, dx = x2 - x1, dy = y2 - y1;
  var p = [-dx, dx, -dy, dy], q = [x1 - r.x, r.x + r.w - x1, y1 - r.y, r.y + r.h - y1];
  for (var i = 0; i < 4; i++) {
    if (p[i] === 0) { if (q[i] < 0) return false; continue; }
    var t = q[i] / p[i];
    if (p[i] < 0) t0 = Math.max(t0, t); else t1 = Math.min(t1, t);
    if (t0 > t1) return false;
  }
  return true;
}

var svg = el("svg", {role: "img", "aria-label": "network diagram, " + D.sizes.join("-")});
document.getElementById("diagram").appendChild(svg);

// -- measuring ------------------------------------------------------------------
var probe = el("text", {x: 0, y: 0}, svg);
function measure(cls, text) {
  probe.setAttribute("class", cls);
  probe.textContent = text;
  var b = probe.getBBox();
  return {w: b.width, h: b.height, asc: -b.y};
}
var M = measure("val fresh", "0"), LH = Math.ceil(M.h) + 3, ASC = M.asc;
var ML = measure("elabel fresh", "0"), LLH = Math.ceil(ML.h) + 1, LASC = ML.asc;
var MH = measure("colhead", "0"), HLH = Math.ceil(MH.h) + 2, HASC = MH.asc;

// What each card can ever show, row by row: its name and the trace path of its value for a sample.
function cardRows(c, j) {
  if (c === 0) return [{nm: "x", path: function (s) { return "inputs[" + s + "][" + j + "]"; }, when: null}];
  var l = c - 1, P = "layers[" + l + "].", rows = [];
  if (D.bias) rows.push({nm: "b", path: function () { return P + "bias[" + j + "]"; }, when: null});
  rows.push({nm: "z", path: function (s) { return P + "z[" + s + "][" + j + "]"; }, when: "forward-" + l});
  rows.push({nm: "a", path: function (s) { return P + "a[" + s + "][" + j + "]"; }, when: "forward-" + l});
  rows.push({nm: "δ", path: function (s) { return P + "delta[" + s + "][" + j + "]"; }, when: "backward-" + l});
  if (c === L) rows.push({nm: "y", path: function (s) { return "targets[" + s + "][" + j + "]"; }, when: "loss"});
  if (D.bias) rows.push({nm: "b ←", path: function () { return P + "new_bias[" + j + "]"; }, when: "update"});
  return rows;
}
function heads(c) {
  if (c === 0) return ["input x"];
  return ["layers[" + (c - 1) + "]", D.activations[c - 1] + (c === L ? ", output" : "")];
}

// -- layout: columns of cards, then the edge labels of each gap between two columns -------------
var CW = [], CH = [], colX = [];
var HEADH = MARGIN + 2 * HLH + 8, bodyH = 0;
for (var c = 0; c <= L; c++) {
  var w = 0;
  heads(c).forEach(function (h) { w = Math.max(w, measure("colhead", h).w); });
  for (var j = 0; j < D.sizes[c]; j++) {
    var index = measure("head", "[" + j + "]").w + 12;  // the neuron's index sits at the right of the first row
    cardRows(c, j).forEach(function (row, r) {
      for (var s = 0; s < S; s++) {
        w = Math.max(w, measure("val fresh", row.nm + " " + D.num[row.path(s)]).w + (r ? 0 : index) + 2 * PAD);
      }
    });
  }
  CW.push(Math.ceil(w));
  CH.push(2 * PAD + LH * cardRows(c, 0).length);
  bodyH = Math.max(bodyH, D.sizes[c] * CH[c] + (D.sizes[c] - 1) * GAPY);
}
// Small networks get some height to spare, so that their edges part and their labels with them; a column
// of fewer cards spreads them over the height of the tallest (each in the middle of its share).
bodyH = Math.max(bodyH, MINBODY);
function cardY(c, j) { return HEADH + (j + 0.5) * bodyH / D.sizes[c] - CH[c] / 2; }
function midY(c, j) { return cardY(c, j) + CH[c] / 2; }
var lossW = Math.ceil(measure("val fresh", "L = " + D.num.loss).w) + 2 * PAD, lossH = LH + 2 * PAD;
var lossY = cardY(L, D.sizes[L] - 1) + CH[L] + GAPY;
var totalH = Math.ceil(Math.max(HEADH + bodyH, lossY + lossH) + MARGIN);

// A label's box is the largest it gets: the old weight, and at the update "→ new" under it.
function labelBox(l, j, i) {
  var P = "layers[" + l + "].";
  var old = measure("elabel", D.num[P + "weights[" + j + "][" + i + "]"]).w;
  var nw = measure("elabel fresh", ARROW + D.num[P + "new_weights[" + j + "][" + i + "]"]).w;
  return {w: Math.ceil(Math.max(old, nw)) + 2 * LPAD, h: 2 * LLH + 2 * LPAD};
}
// Label centres along each edge of layer l so that no two boxes meet and every box stays in the gap
// between the columns (so it crosses no card): candidates along the edge, preferring those that cover no
// other edge and lie near the middle; a depth-first search over the edges, most constrained first.
function placeLabels(l, x1, x2) {
  var nOut = D.sizes[l + 1], nIn = D.sizes[l], es = [];
  for (var j = 0; j < nOut; j++) for (var i = 0; i < nIn; i++) {
    var b = labelBox(l, j, i);
    es.push({id: "e" + l + "_" + j + "_" + i, y1: midY(l, i), y2: midY(l + 1, j), w: b.w, h: b.h});
  }
  var cands = es.map(function (e) {
    var list = [];
    for (var n = 2; n <= 38; n++) {
      var t = n / 40, cx = x1 + t * (x2 - x1), cy = e.y1 + t * (e.y2 - e.y1);
      var box = {x: cx - e.w / 2, y: cy - e.h / 2, w: e.w, h: e.h};
      if (box.x < x1 + CLEAR || box.x + box.w > x2 - CLEAR || box.y < MARGIN || box.y + box.h > totalH - MARGIN) continue;
      var cost = 0;
      es.forEach(function (o) { if (o !== e && segmentHits(x1, o.y1, x2, o.y2, box)) cost++; });
      list.push({cx: cx, cy: cy, box: box, cost: cost, t: t});
    }
    list.sort(function (a, b) { return a.cost - b.cost || Math.abs(a.t - 0.5) - Math.abs(b.t - 0.5); });
    return list;
  });
  var order = es.map(function (_, i) { return i; });
  order.sort(function (a, b) { return cands[a].length - cands[b].length; });
  var chosen = [], steps = 0;
  function search(n) {
    if (n === order.length) return true;
    var i = order[n];
    for (var m = 0; m < cands[i].length; m++) {
      if (++steps > 40000) return false;
      var box = cands[i][m].box, free = true;
      for (var q = 0; q < n && free; q++) free = !overlap(box, chosen[order[q]].box, CLEAR);
      if (free) {
        chosen[i] = cands[i][m];
        if (search(n + 1)) return true;
      }
    }
    return false;
  }
  if (!search(0)) return null;
  var out = {};
  es.forEach(function (e, i) { out[e.id] = chosen[i]; });
  return out;
}
// Each gap is first made as narrow as its labels allow; then the width the panel has to spare (at this
// window's size) is shared out among the labelled gaps, so the labels spread out along their edges.
var gaps = [], placedAt = [];
for (var l = 0; l < L; l++) {
  var gap = MINGAP, placed = null;
  if (D.sizes[l] <= 4 && D.sizes[l + 1] <= 4) {
    for (; gap <= MAXGAP && !placed; gap += GROW) placed = placeLabels(l, 0, gap);
    if (placed) gap -= GROW;
    else gap = MINGAP;
  }
  gaps.push(gap);
  placedAt.push(placed);
}
function widthWith(g) {
  var w = MARGIN + Math.max(CW[L], lossW) + MARGIN;
  for (var c = 0; c < L; c++) w += CW[c] + g[c];
  return w;
}
var mainEl = document.querySelector("main");
var stacked = window.matchMedia && window.matchMedia("(max-width: 900px)").matches;
// (the panel's padding and border, and a few pixels of rounding, kept out)
var avail = mainEl ? Math.floor(stacked ? mainEl.clientWidth - 76 : Math.min(mainEl.clientWidth - 472, 0.52 * mainEl.clientWidth)) : 0;
var nLabelled = placedAt.filter(function (p) { return p; }).length;
var spare = avail - widthWith(gaps);
if (nLabelled && spare > 0) {
  var more = Math.floor(Math.min(spare / nLabelled, 160));
  for (l = 0; l < L; l++) {
    if (!placedAt[l]) continue;
    var wider = placeLabels(l, 0, gaps[l] + more);
    if (wider) { gaps[l] += more; placedAt[l] = wider; }
  }
}
var spots = {}, labelledLayer = [];
colX.push(MARGIN);
for (l = 0; l < L; l++) {
  var x1 = colX[l] + CW[l];
  colX.push(x1 + gaps[l]);
  labelledLayer.push(!!placedAt[l]);
  if (placedAt[l]) {
    for (var id in placedAt[l]) {
      var sp = placedAt[l][id];
      spots[id] = {cx: x1 + sp.cx, cy: sp.cy, box: {x: x1 + sp.box.x, y: sp.box.y, w: sp.box.w, h: sp.box.h}};
    }
  }
}
var totalW = Math.ceil(widthWith(gaps));
svg.removeChild(probe);
svg.setAttribute("viewBox", "0 0 " + totalW + " " + totalH);
svg.setAttribute("width", totalW);
svg.setAttribute("height", totalH);

// -- drawing ----------------------------------------------------------------------
var gEdges = el("g", {}, svg), gLabels = el("g", {}, svg), gCards = el("g", {}, svg);
var edgeEls = {}, labelEls = {}, cardEls = {}, rowEls = {};
for (c = 0; c <= L; c++) {
  var t = el("text", {x: colX[c] + CW[c] / 2, y: MARGIN + HASC, "text-anchor": "middle", "class": "colhead"}, svg);
  heads(c).forEach(function (h, n) {
    var s = el("tspan", {x: colX[c] + CW[c] / 2, y: MARGIN + HASC + n * HLH, "class": n ? "act" : "name"}, t);
    s.textContent = h;
  });
}
for (l = 0; l < L; l++) {
  var W = D.weights[l], m = maxAbs(W);
  for (j = 0; j < D.sizes[l + 1]; j++) {
    for (var i = 0; i < D.sizes[l]; i++) {
      var wv = W[j][i];
      id = "e" + l + "_" + j + "_" + i;
      var edge = el("line", {x1: colX[l] + CW[l], y1: midY(l, i), x2: colX[l + 1], y2: midY(l + 1, j), "class": "edge", id: id,
                             stroke: wv === null ? "#9ca3af" : (wv >= 0 ? "#2563eb" : "#dc2626"),
                             "stroke-width": wv === null ? 1.2 : (1.2 + 5 * Math.abs(wv) / m).toFixed(2)}, gEdges);
      el("title", {}, edge).textContent = "layers[" + l + "].weights[" + j + "][" + i + "]";
      edgeEls[id] = edge;
      if (spots[id]) {
        var g = el("g", {"class": "elabel-box", "data-edge": id}, gLabels);
        labelEls[id] = {rect: el("rect", {rx: 4}, g), text: el("text", {"text-anchor": "middle", "class": "elabel"}, g),
                        spot: spots[id]};
      }
    }
  }
}
for (c = 0; c <= L; c++) {
  for (j = 0; j < D.sizes[c]; j++) {
    var card = el("g", {"class": "card", id: "n" + c + "_" + j}, gCards);
    el("rect", {x: colX[c], y: cardY(c, j), width: CW[c], height: CH[c], rx: 8}, card);
    var hd = el("text", {x: colX[c] + CW[c] - PAD, y: cardY(c, j) + PAD + ASC, "text-anchor": "end", "class": "head"}, card);
    hd.textContent = "[" + j + "]";
    cardEls["n" + c + "_" + j] = card;
    rowEls["n" + c + "_" + j] = cardRows(c, j).map(function (row, r) {
      return {row: row, text: el("text", {x: colX[c] + PAD, y: cardY(c, j) + PAD + LH * r + ASC, "class": "val"}, card)};
    });
  }
}
var lossBox = el("g", {"class": "lossbox"}, svg);
el("rect", {x: colX[L], y: lossY, width: lossW, height: lossH, rx: 8}, lossBox);
var lossText = el("text", {x: colX[L] + PAD, y: lossY + PAD + ASC, "class": "val"}, lossBox);

function put(textEl, parts) {
  while (textEl.firstChild) textEl.removeChild(textEl.firstChild);
  parts.forEach(function (p) {
    var s = el("tspan", {}, textEl);
    if (p.x !== undefined) { s.setAttribute("x", p.x); s.setAttribute("y", p.y); }
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

function renderCards() {
  for (var id in rowEls) {
    rowEls[id].forEach(function (r) {
      var shown = r.row.when === null || reached(r.row.when);
      var parts = [{text: r.row.nm, cls: "nm"}];
      if (shown) parts.push({text: " "}, {path: r.row.path(sample), fresh: r.row.when !== null && fresh(r.row.when)});
      put(r.text, parts);
    });
  }
}

function renderEdges(stage) {
  var hl = {};
  stage.edges.forEach(function (id) { hl[id] = true; });
  for (var id in edgeEls) {
    edgeEls[id].setAttribute("class", hl[id] ? "edge hl" : "edge");
    var lab = labelEls[id];
    if (!lab) continue;
    var ix = id.slice(1).split("_"), P = "layers[" + ix[0] + "].", sp = lab.spot;
    var two = reached("update"), top = sp.cy - (two ? LLH : LLH / 2) + LASC;
    var parts = [{path: P + "weights[" + ix[1] + "][" + ix[2] + "]", x: sp.cx, y: top}];
    if (two) {
      parts.push({text: ARROW, x: sp.cx, y: top + LLH, cls: "arrow"});
      parts.push({path: P + "new_weights[" + ix[1] + "][" + ix[2] + "]", fresh: fresh("update")});
    }
    put(lab.text, parts);
    lab.text.setAttribute("x", sp.cx);
    var b = lab.text.getBBox();
    lab.rect.setAttribute("x", b.x - LPAD);
    lab.rect.setAttribute("y", b.y - LPAD);
    lab.rect.setAttribute("width", b.width + 2 * LPAD);
    lab.rect.setAttribute("height", b.height + 2 * LPAD);
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

var blocks = Array.prototype.slice.call(document.querySelectorAll("[data-stage-block]"));
function render() {
  var stage = stages[k];
  document.body.setAttribute("data-stage", stage.key);
  svg.setAttribute("class", "s-" + stage.kind);
  document.getElementById("counter").textContent = "Stage " + (k + 1) + " of " + N;
  blocks.forEach(function (b) { b.hidden = b.getAttribute("data-stage-block") !== stage.key; });
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
