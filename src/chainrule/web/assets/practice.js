"use strict";
// The practice page's script: it compares typed numbers with the tables in PRACTICE (the truth, the spread
// of carried rounding, each slip's value), computed in Python by chainrule's checker. It never redoes backprop.
(function () {
  const stages = PRACTICE.stages;
  const state = {}; // path -> {verdict: "right" | "slip" | "wrong" | "bad" | "revealed", typed}
  let current = 0;
  const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

  function parse(text) {
    const t = text.trim().replace(/\u2212/g, "-").replace(/\s+/g, "");
    if (!NUMBER.test(t)) return null;
    const m = t.match(/^[+-]?(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?$/);
    const decimals = (m[2] || "").length - (m[3] ? parseInt(m[3], 10) : 0);
    const digits = (m[1] + m[2]).replace(/^0+/, "").length;
    return { value: Number(t), step: Math.pow(10, -decimals), digits: digits, negative: t.startsWith("-") };
  }

  function reads(x, p) { // does x, rounded at p's last digit, read p?
    const eps = 1e-9 * Math.max(1, Math.abs(p.value));
    if (p.negative && x > 0) return null;
    if (Math.abs(x - p.value) <= p.step / 2 + eps) return "round";
    const cut = x < 0 ? [p.value - p.step, p.value] : [p.value, p.value + p.step];
    if (x >= cut[0] - eps && x < cut[1] - eps && Math.sign(x) === Math.sign(p.value || x)) return "trunc";
    return null;
  }

  function fmt(x) { return Number(x.toPrecision(PRACTICE.digits)).toString(); }

  function earlierWrong(path) {
    for (const s of stages) for (const b of s.blanks) {
      if (b.path === path) return false;
      const v = state[b.path];
      if (v && (v.verdict === "wrong" || v.verdict === "slip")) return true;
    }
    return false;
  }

  function judge(blank, text) {
    if (text.trim() === "") return null;
    const p = parse(text);
    if (p === null) {
      return { verdict: "bad", say: "'" + text.trim() + "' is not a number: type a decimal such as 0.5866, -0.25 or 2.4e-3" };
    }
    if (p.digits < 2 && p.value !== 0) {
      return { verdict: "bad", say: "type at least 2 significant digits, so that the page can tell a slip from rounding" };
    }
    const how = reads(blank.true, p);
    if (how === "round") return { verdict: "right", say: "right" };
    if (how === "trunc") return { verdict: "right", say: "right (truncated: rounded, it reads " + fmt(blank.true) + ")" };
    if (Math.abs(p.value - blank.true) <= blank.spread + p.step / 2) {
      return { verdict: "right", say: "right to the rounding of earlier values (the exact value is " + fmt(blank.true) + ")" };
    }
    for (const s of blank.slips) {
      if (reads(s.value, p) === "round") return { verdict: "slip", say: "not quite: that is what you get with " + s.text };
    }
    const hint = earlierWrong(blank.path) ? " (an earlier value of yours is off: fix that one first)" : "";
    return { verdict: "wrong", say: "not right: redo this one" + hint + ", or press Show" };
  }

  function score() {
    let n = 0, right = 0, shown = 0;
    for (const s of stages) for (const b of s.blanks) {
      n += 1;
      const v = state[b.path];
      if (v && v.verdict === "right") right += 1;
      if (v && v.verdict === "revealed") shown += 1;
    }
    document.getElementById("score").textContent = "Score: " + right + " of " + n + " right" + (shown ? ", " + shown + " shown" : "");
  }

  function row(blank) {
    const div = document.createElement("div");
    div.className = "blank";
    div.dataset.path = blank.path;
    const label = document.createElement("label");
    const id = "in-" + blank.path.replace(/[^a-z0-9]/gi, "-");
    label.htmlFor = id;
    label.textContent = blank.label;
    const code = document.createElement("span");
    code.className = "path";
    code.textContent = blank.path;
    label.appendChild(code);
    const input = document.createElement("input");
    input.id = id;
    input.type = "text";
    input.inputMode = "decimal";
    input.autocomplete = "off";
    const show = document.createElement("button");
    show.type = "button";
    show.textContent = "Show";
    const feedback = document.createElement("div");
    feedback.className = "feedback";
    feedback.setAttribute("aria-live", "polite");
    div.append(label, input, show, feedback);
    const prior = state[blank.path];
    if (prior) { input.value = prior.typed; apply(div, prior); }
    function check() {
      if (state[blank.path] && state[blank.path].verdict === "revealed") return;
      const result = judge(blank, input.value);
      if (result === null) return;
      result.typed = input.value;
      state[blank.path] = result;
      apply(div, result);
      score();
    }
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") check(); });
    input.addEventListener("change", check);
    show.addEventListener("click", function () {
      input.value = fmt(blank.true);
      input.readOnly = true;
      state[blank.path] = { verdict: "revealed", say: "shown: " + fmt(blank.true), typed: input.value };
      apply(div, state[blank.path]);
      score();
    });
    return div;
  }

  function apply(div, result) {
    div.classList.remove("right", "slip", "wrong", "bad", "revealed");
    div.classList.add(result.verdict);
    div.querySelector(".feedback").textContent = result.say;
  }

  function render() {
    const stage = stages[current];
    document.getElementById("stage-title").textContent = stage.title;
    document.getElementById("counter").textContent = "Stage " + (current + 1) + " of " + stages.length;
    const box = document.getElementById("blanks");
    box.replaceChildren(...stage.blanks.map(row));
    document.getElementById("back").disabled = current === 0;
    document.getElementById("next").disabled = current === stages.length - 1;
    document.body.dataset.stage = stage.key;
  }

  document.getElementById("next").addEventListener("click", function () { if (current < stages.length - 1) { current += 1; render(); } });
  document.getElementById("back").addEventListener("click", function () { if (current > 0) { current -= 1; render(); } });
  document.getElementById("check-all").addEventListener("click", function () {
    for (const input of document.querySelectorAll("#blanks input")) input.dispatchEvent(new Event("change"));
  });
  render();
  score();
})();
