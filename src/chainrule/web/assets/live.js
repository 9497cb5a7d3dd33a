// The live view of training (chainrule._live): every .chainrule-live element on the page not started yet.
// It draws the recorded snapshots (the surface on a canvas, its contour at the threshold as the boundary,
// the loss curve with the snapshot's epoch marked) and looks numbers up; it never evaluates the network.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var CLASS_RGB = [[37, 99, 235], [234, 88, 12], [22, 163, 74], [147, 51, 234], [219, 39, 119], [8, 145, 178]];
  var SIZE = 360;

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(node, value) { node.textContent = value; return node; }

  // Segments of the contour of field (rows of cols values, row i at ys[i]) at level 0, in grid coordinates.
  function contour(field, rows, cols) {
    var segs = [];
    function at(i, j) { return field[i * cols + j]; }
    for (var i = 0; i + 1 < rows; i++) {
      for (var j = 0; j + 1 < cols; j++) {
        var v = [at(i, j), at(i, j + 1), at(i + 1, j + 1), at(i + 1, j)];
        if (v.some(function (x) { return x === null; })) continue;
        var c = [[j, i], [j + 1, i], [j + 1, i + 1], [j, i + 1]];
        var cross = [];
        for (var e = 0; e < 4; e++) {
          var a = v[e], b = v[(e + 1) % 4];
          if ((a > 0) !== (b > 0)) {
            var t = a / (a - b), p = c[e], q = c[(e + 1) % 4];
            cross.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
          }
        }
        for (var k = 0; k + 1 < cross.length; k += 2) segs.push([cross[k], cross[k + 1]]);
      }
    }
    return segs;
  }

  function start(root) {
    if (root.getAttribute("data-started")) return;
    root.setAttribute("data-started", "1");
    var data = JSON.parse(root.querySelector("script.live-data").textContent);
    var n = data.grid, frames = data.frames, k = frames.length - 1, timer = null;
    var slider = root.querySelector(".live-slider"), play = root.querySelector(".live-play");
    var status = root.querySelector(".live-status"), pointInfo = root.querySelector(".live-point");
    var canvas = root.querySelector(".live-canvas"), overlay = root.querySelector(".live-overlay");
    var curve = root.querySelector(".live-curve"), weights = root.querySelector(".live-weights");
    var x0 = data.xs[0], x1 = data.xs[n - 1], y0 = data.ys[0], y1 = data.ys[n - 1];
    function px(x) { return (x - x0) / (x1 - x0) * SIZE; }
    function py(y) { return SIZE - (y - y0) / (y1 - y0) * SIZE; }
    function gx(j) { return j / (n - 1) * SIZE; }  // grid coordinates to pixels (node j sits at xs[j])
    function gy(i) { return SIZE - i / (n - 1) * SIZE; }

    // -- the map: surface, boundary, points ------------------------------------
    var small = document.createElement("canvas");
    small.width = n; small.height = n;
    var lo = Infinity, hi = -Infinity;
    if (data.kind === "binary") {
      data.surfaces.forEach(function (s) { s.forEach(function (v) { if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }); });
      lo = Math.min(lo, data.threshold); hi = Math.max(hi, data.threshold);
      if (data.n_outputs === 2 || (lo >= 0 && hi <= 1)) { lo = Math.min(lo, 0); hi = Math.max(hi, 1); }
    }
    function cellRGB(s, idx) {
      if (data.kind === "binary") {
        var v = s[idx];
        if (v === null) return [255, 255, 255];
        var t = v >= data.threshold ? (v - data.threshold) / ((hi - data.threshold) || 1) : (data.threshold - v) / ((data.threshold - lo) || 1);
        var rgb = CLASS_RGB[v >= data.threshold ? 1 : 0];
        var w = 0.25 + 0.5 * Math.min(1, t);
        return rgb.map(function (c) { return Math.round(255 - (255 - c) * w); });
      }
      var m = data.n_outputs, best = 0;
      for (var c = 1; c < m; c++) if (s[idx * m + c] > s[idx * m + best]) best = c;
      var p = s[idx * m + best], w2 = 0.2 + 0.55 * Math.max(0, Math.min(1, (p - 1 / m) / (1 - 1 / m)));
      return CLASS_RGB[best % CLASS_RGB.length].map(function (c) { return Math.round(255 - (255 - c) * w2); });
    }
    function drawSurface(s) {
      var ctx = small.getContext("2d"), img = ctx.createImageData(n, n);
      for (var i = 0; i < n; i++) {
        for (var j = 0; j < n; j++) {
          var rgb = cellRGB(s, i * n + j), o = ((n - 1 - i) * n + j) * 4;  // row i is ys[i]: drawn from the bottom
          img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
        }
      }
      ctx.putImageData(img, 0, 0);
      var big = canvas.getContext("2d");
      big.imageSmoothingEnabled = true;
      // Pixel centres of the small image are grid nodes: stretch so that node j lands at gx(j).
      var cell = SIZE / (n - 1);
      big.drawImage(small, -cell / 2, -cell / 2, SIZE + cell, SIZE + cell);
    }
    function boundaryPath(s) {
      var segs = [];
      if (data.kind === "binary") {
        segs = contour(s.map(function (v) { return v === null ? null : v - data.threshold; }), n, n);
      } else {
        var m = data.n_outputs;
        for (var c = 0; c < m; c++) {
          var field = [];
          for (var idx = 0; idx < n * n; idx++) {
            var other = -Infinity;
            for (var d = 0; d < m; d++) if (d !== c) other = Math.max(other, s[idx * m + d]);
            field.push(s[idx * m + c] - other);
          }
          segs = segs.concat(contour(field, n, n));
        }
      }
      return segs.map(function (g) {
        return "M" + gx(g[0][0]).toFixed(1) + " " + gy(g[0][1]).toFixed(1) + "L" + gx(g[1][0]).toFixed(1) + " " + gy(g[1][1]).toFixed(1);
      }).join("");
    }
    var background = el("rect", { x: 0, y: 0, width: SIZE, height: SIZE, fill: "transparent", class: "live-background" }, overlay);
    var boundary = el("path", { class: "live-boundary", d: "", fill: "none", stroke: "#111827", "stroke-width": 2 }, overlay);
    var marker = el("circle", { class: "live-marker", r: 9, cx: -20, cy: -20, fill: "none", stroke: "#111827", "stroke-width": 2 }, overlay);
    var chosen = null;
    data.points.forEach(function (p, i) {
      var label = data.labels ? data.labels[i] : 0;
      var rgb = CLASS_RGB[label % CLASS_RGB.length];
      var dot = el("circle", {
        class: "live-point-dot", cx: px(p[0]).toFixed(1), cy: py(p[1]).toFixed(1), r: 4.5,
        fill: "rgb(" + rgb.join(",") + ")", stroke: "white", "stroke-width": 1.2, "data-index": i,
        tabindex: 0, role: "button", "aria-label": "point " + i,
      }, overlay);
      dot.addEventListener("click", function (ev) { ev.stopPropagation(); choose(i); });
      dot.addEventListener("keydown", function (ev) { if (ev.key === "Enter") choose(i); });
    });
    function describePoint() {
      if (chosen === null) return;
      var f = frames[k];
      if (chosen.point !== undefined) {
        var i = chosen.point, p = data.points[i];
        pointInfo.textContent = "point " + i + " at (" + p[0].toPrecision(4) + ", " + p[1].toPrecision(4) + ")" +
          (data.targets ? ", target " + data.targets[i] : "") + ": output " + f.predictions[i] +
          " after " + f.epoch + " epoch" + (f.epoch === 1 ? "" : "s");
        marker.setAttribute("cx", px(p[0]).toFixed(1)); marker.setAttribute("cy", py(p[1]).toFixed(1));
      } else {
        var s = data.surfaces[k], idx = chosen.i * n + chosen.j, m = data.kind === "binary" ? 1 : data.n_outputs;
        var values = s.slice(idx * m, idx * m + m).map(function (v) { return v === null ? "not finite" : String(v); });
        pointInfo.textContent = "grid node (" + data.xs[chosen.j].toPrecision(4) + ", " + data.ys[chosen.i].toPrecision(4) +
          "): output " + values.join(", ") + (data.kind === "binary" && data.n_outputs === 2 ? " (probability of class 1)" : "") +
          " after " + f.epoch + " epoch" + (f.epoch === 1 ? "" : "s");
        marker.setAttribute("cx", gx(chosen.j).toFixed(1)); marker.setAttribute("cy", gy(chosen.i).toFixed(1));
      }
    }
    function choose(i) { chosen = { point: i }; describePoint(); }
    background.addEventListener("click", function (ev) {
      var box = overlay.getBoundingClientRect();
      var mx = (ev.clientX - box.left) / box.width * SIZE, my = (ev.clientY - box.top) / box.height * SIZE;
      chosen = { j: Math.round(mx / SIZE * (n - 1)), i: Math.round((SIZE - my) / SIZE * (n - 1)) };
      describePoint();
    });

    // -- the loss curve ------------------------------------------------------------
    var L = 52, R = 12, T = 26, B = 34, W = 380 - L - R, H = 240 - T - B;
    var losses = data.curve.filter(function (v) { return v !== null; });
    var cmin = Math.min.apply(null, losses), cmax = Math.max.apply(null, losses), last = data.curve.length;
    if (!(cmax > cmin)) { cmin -= 1; cmax += 1; }
    function cx(epoch) { return L + (last > 0 ? epoch / last : 0) * W; }  // epoch 0 (before training) at the left
    function cy(v) { return T + (cmax - v) / (cmax - cmin) * H; }
    text(el("text", { x: 190, y: 16, "text-anchor": "middle", class: "live-title" }, curve), "Training loss");
    el("rect", { x: L, y: T, width: W, height: H, fill: "none", stroke: "#9ca3af" }, curve);
    [cmin, (cmin + cmax) / 2, cmax].forEach(function (v) {
      text(el("text", { x: L - 6, y: (cy(v) + 4).toFixed(1), "text-anchor": "end" }, curve), v.toPrecision(3));
    });
    text(el("text", { x: L, y: T + H + 16, "text-anchor": "middle" }, curve), "0");
    text(el("text", { x: L + W, y: T + H + 16, "text-anchor": "middle" }, curve), String(last));
    text(el("text", { x: L + W / 2, y: 236, "text-anchor": "middle" }, curve), "epoch");
    var pts = [];
    data.curve.forEach(function (v, e) { if (v !== null) pts.push(cx(e + 1).toFixed(1) + "," + cy(v).toFixed(1)); });
    el("polyline", { points: pts.join(" "), fill: "none", stroke: "#2563eb", "stroke-width": 2, class: "live-loss" }, curve);
    var now = el("line", { class: "live-now", y1: T, y2: T + H, stroke: "#ea580c", "stroke-width": 1.5 }, curve);
    var dotNow = el("circle", { class: "live-now-dot", r: 4, fill: "#ea580c" }, curve);

    // -- one snapshot --------------------------------------------------------------
    function show(index) {
      k = Math.max(0, Math.min(frames.length - 1, index));
      slider.value = String(k);
      var f = frames[k], s = data.surfaces[k];
      drawSurface(s);
      boundary.setAttribute("d", boundaryPath(s));
      root.setAttribute("data-epoch", String(f.epoch));
      var parts = ["epoch " + f.epoch + " of " + frames[frames.length - 1].epoch];
      Object.keys(f.logs).forEach(function (name) { parts.push(name + " " + f.logs[name]); });
      status.textContent = parts.join(" · ");
      var x = cx(f.epoch);
      now.setAttribute("x1", x.toFixed(1)); now.setAttribute("x2", x.toFixed(1));
      var v = f.epoch > 0 ? data.curve[f.epoch - 1] : null;
      dotNow.setAttribute("cx", x.toFixed(1));
      dotNow.setAttribute("cy", v === null || v === undefined ? -10 : cy(v).toFixed(1));
      var rows = [];
      weights.textContent = "";
      data.names.forEach(function (name, p) {
        var block = document.createElement("div");
        block.className = "live-param";
        block.setAttribute("data-name", name);
        var head = document.createElement("code");
        head.textContent = name;
        block.appendChild(head);
        var table = document.createElement("table");
        f.parameters[p].forEach(function (row) {
          var tr = document.createElement("tr");
          row.forEach(function (value) { var td = document.createElement("td"); td.textContent = value; tr.appendChild(td); });
          table.appendChild(tr);
        });
        block.appendChild(table);
        rows.push(block);
      });
      rows.forEach(function (b) { weights.appendChild(b); });
      describePoint();
    }
    function stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      play.textContent = "▶ Play"; play.setAttribute("aria-label", "play");
      root.setAttribute("data-playing", "false");
    }
    play.addEventListener("click", function () {
      if (timer !== null) { stop(); return; }
      if (k >= frames.length - 1) show(0);
      play.textContent = "❚❚ Pause"; play.setAttribute("aria-label", "pause");
      root.setAttribute("data-playing", "true");
      timer = setInterval(function () {
        if (k >= frames.length - 1) { stop(); return; }
        show(k + 1);
      }, Math.max(40, Math.min(250, 6000 / frames.length)));
    });
    slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
    show(k);
  }

  var roots = document.querySelectorAll(".chainrule-live");
  for (var r = 0; r < roots.length; r++) start(roots[r]);
})();
