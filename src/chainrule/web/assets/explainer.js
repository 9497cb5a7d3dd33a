
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
