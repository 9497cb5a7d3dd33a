"""The HTML pages in a real browser: Debian's Chromium, headless, driven by Playwright.

Playwright never downloads a browser here: it launches the system Chromium
(``scripts/ensure-chromium.sh`` installs it; ``make test`` runs that). The
tests skip, saying why, when Playwright or Chromium is missing.

Every page is opened from a file:// URL with a route on every URL: any
request other than the page itself is recorded and aborted, and the test
fails. A screenshot of every stage of seed 003's explainer is saved under
``$CHAINRULE_TEST_ARTIFACTS`` (default: a pytest temporary directory, kept
for the last three runs).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.datasets import xor

CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SEED_003 = Path(__file__).resolve().parent.parent / "examples" / "worked" / "seed_003.toml"

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright for Python is not installed (pip install playwright; never `playwright install`)",
)
if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (apt-get install chromium)", allow_module_level=True
    )


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    path = os.environ.get("CHAINRULE_TEST_ARTIFACTS")
    if path:
        directory = Path(path) / "browser"
        directory.mkdir(parents=True, exist_ok=True)
        return directory
    return tmp_path_factory.mktemp("browser-screenshots")


class Opened:
    """A page opened from a file, with its requests and script errors recorded."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
        self.page = self.context.new_page()
        self.url = path.resolve().as_uri()
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.context.route("**/*", self._route)
        self.page.goto(self.url)

    def _route(self, route):
        if route.request.url == self.url:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def close(self):
        self.context.close()
        assert self.blocked == [], f"the page requested {self.blocked}"
        assert self.errors == [], f"script errors: {self.errors}"

    def stage(self) -> str:
        return self.page.evaluate("document.body.getAttribute('data-stage')")

    def shown_numbers(self) -> dict[str, str]:
        """Every visible number with a data-path: {path: text} (a path shown twice must read the same)."""
        pairs = self.page.evaluate("""() => Array.from(document.querySelectorAll('[data-path]'))
            .filter(e => e.checkVisibility())
            .map(e => [e.getAttribute('data-path'), e.textContent])""")
        out: dict[str, str] = {}
        for path, text in pairs:
            assert out.setdefault(path, text) == text, f"{path} shown as {out[path]!r} and {text!r}"
        return out


def shown_like_trace(value: float, digits: int = 4) -> str:
    text = f"{float(value):.{digits}g}"
    return "0" if text in ("-0", "+0") else text


def trace_value(trace, path: str) -> float:
    match = re.fullmatch(r"(inputs|targets)\[(\d+)\]\[(\d+)\]", path)
    if match:
        return float(getattr(trace, match.group(1))[int(match.group(2)), int(match.group(3))])
    return trace.get(path)


def check_numbers(opened: Opened, trace, digits: int = 4) -> dict[str, str]:
    shown = opened.shown_numbers()
    assert shown, "no number is shown"
    wrong = {
        path: (text, shown_like_trace(trace_value(trace, path), digits))
        for path, text in shown.items()
        if text != shown_like_trace(trace_value(trace, path), digits)
    }
    assert not wrong, f"stage {opened.stage()}: shown vs trace: {wrong}"
    return shown


def shown_formula(page) -> list[str]:
    """The current stage's formula lines, by the terminal text each MathML line carries (``data-text``)."""
    texts = page.eval_on_selector_all(
        ".stage-block:not([hidden]) .formula [data-text]", "els => els.map(e => e.getAttribute('data-text'))"
    )
    return [line.strip() for text in texts for line in text.splitlines()]


def write_page(tmp_path: Path, text: str, name: str = "page.html") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def seed_003():
    example = cr.load_example(SEED_003)
    return example, example.explain()


SEED_003_STAGES = ["inputs", "forward-0", "forward-1", "loss", "backward-1", "backward-0", "update"]


def expected_paths(stage: str) -> tuple[set[str], set[str]]:
    """(paths that must be visible, paths that must not be) at a stage of seed 003's 2-2-1 page."""
    order = SEED_003_STAGES.index(stage)
    inputs = {"inputs[0][0]", "inputs[0][1]"}
    weights = {f"layers[0].weights[{j}][{i}]" for j in range(2) for i in range(2)} | {
        "layers[1].weights[0][0]",
        "layers[1].weights[0][1]",
    }
    f0 = {f"layers[0].{n}[0][{j}]" for n in ("z", "a") for j in range(2)}
    f1 = {"layers[1].z[0][0]", "layers[1].a[0][0]"}
    loss = {"loss", "targets[0][0]"}
    b1 = {"layers[1].delta[0][0]", "layers[1].grad_weights[0][0]", "layers[1].grad_weights[0][1]"}
    b0 = {"layers[0].delta[0][0]", "layers[0].delta[0][1]"} | {
        f"layers[0].grad_weights[{j}][{i}]" for j in range(2) for i in range(2)
    }
    new = {f"layers[0].new_weights[{j}][{i}]" for j in range(2) for i in range(2)} | {
        "layers[1].new_weights[0][0]",
        "layers[1].new_weights[0][1]",
    }
    steps = [
        inputs | weights,
        f0,
        f1,
        loss,
        b1 - {"layers[1].grad_weights[0][0]", "layers[1].grad_weights[0][1]"},
        {"layers[0].delta[0][0]", "layers[0].delta[0][1]"},
        new,
    ]
    must = set().union(*steps[: order + 1])
    # the gradient table shows only the stage's layer; the update shows both layers' gradients
    if stage == "backward-1":
        must |= b1
    if stage == "backward-0":
        must |= b0
    if stage == "update":
        must |= b1 | b0
    later = set().union(*steps[order + 1 :]) if order + 1 < len(steps) else set()
    grads_1 = {"layers[1].grad_weights[0][0]", "layers[1].grad_weights[0][1]"}
    if order < SEED_003_STAGES.index("backward-1"):
        later |= grads_1
    if order < SEED_003_STAGES.index("backward-0"):
        later |= b0 - steps[5]
    return must, later


def test_seed_003_every_stage_with_the_buttons(browser, seed_003, tmp_path, artifacts):
    example, trace = seed_003
    opened = Opened(browser, write_page(tmp_path, trace.to_html(title=example.title)))
    page = opened.page
    text_lines = {line.strip() for line in trace.to_text().splitlines()}
    seen = []
    for number, key in enumerate(SEED_003_STAGES):
        if number:
            page.click("#next")
        assert opened.stage() == key
        assert page.inner_text("#counter") == f"Stage {number + 1} of {len(SEED_003_STAGES)}"
        shown = check_numbers(opened, trace)
        must, later = expected_paths(key)
        assert must <= set(shown), f"{key}: missing {sorted(must - set(shown))}"
        assert not (later & set(shown)), f"{key}: shows too early {sorted(later & set(shown))}"
        formula = shown_formula(page)
        assert formula, key
        assert all(line in text_lines or re.fullmatch(r"layers\[\d\]:", line) for line in formula), (
            f"{key}: formula lines not from to_text(): {[l for l in formula if l not in text_lines]}"
        )
        highlighted = page.eval_on_selector_all(".card.hl", "els => els.map(e => e.id)")
        seen.append((key, formula, highlighted))
        page.screenshot(path=str(artifacts / f"seed_003_{number}_{key}.png"), full_page=True)
    assert page.is_disabled("#next")
    formulas = {key: f for key, f, _ in seen}
    # numbers worked out by hand from seed 003's weights (independent of chainrule)
    assert "z[0] = 0.1·0.35 + 0.8·0.9 = 0.755" in formulas["forward-0"]
    assert "z[1] = 0.4·0.35 + 0.6·0.9 = 0.68" in formulas["forward-0"]
    assert "L = ½·(0.6903 - 0.5)² = 0.0181" in formulas["loss"]
    assert any(line.startswith("δ[0] = ") for line in formulas["backward-1"])
    assert "w[0,0] ← 0.1 - 1·0.0009291 = 0.09907" in formulas["update"]
    highlights = {key: h for key, _, h in seen}
    assert highlights["forward-0"] == ["n1_0", "n1_1"]
    assert highlights["forward-1"] == highlights["loss"] == ["n2_0"]
    assert highlights["backward-0"] == ["n1_0", "n1_1"]
    # seed 003's own hidden deltas (-2.406e-3, -7.916e-3) are not what the page shows: its δ has the
    # opposite sign convention and it rounded its intermediates; the page shows true backprop's δ.
    shown = opened.shown_numbers()
    assert shown["layers[0].delta[0][0]"] == shown_like_trace(trace.get("layers[0].delta[0][0]"))
    assert abs(trace.get("layers[0].delta[0][0]") - 2.406e-3) > 1e-4
    # new weights beside the old ones, in the table and on the edges
    row = page.locator("#tables tr", has_text="w[1,1]").first.inner_text()
    assert row.split() == [
        "w[1,1]",
        "0.6",
        shown_like_trace(trace.get("layers[0].grad_weights[1][1]")),
        shown_like_trace(trace.get("layers[0].new_weights[1][1]")),
    ]
    label = page.locator(".elabel-box[data-edge='e0_1_1'] .elabel")
    assert label.locator("[data-path='layers[0].weights[1][1]']").text_content() == "0.6"
    new = label.locator("[data-path='layers[0].new_weights[1][1]']").text_content()
    assert new == shown_like_trace(trace.get("layers[0].new_weights[1][1]"))
    assert label.text_content() == f"0.6→ {new}"  # the new value under the old, after an arrow
    assert len(list(artifacts.glob("seed_003_*.png"))) >= len(SEED_003_STAGES)
    opened.close()


def test_seed_003_keyboard(browser, seed_003, tmp_path):
    _, trace = seed_003
    opened = Opened(browser, write_page(tmp_path, trace.to_html()))
    page = opened.page
    page.locator("body").click(position={"x": 5, "y": 5})
    keys = [
        ("ArrowRight", "forward-0"),
        ("Space", "forward-1"),
        ("ArrowDown", "loss"),
        ("PageDown", "backward-1"),
        ("ArrowLeft", "loss"),
        ("ArrowUp", "forward-1"),
        ("End", "update"),
        ("ArrowRight", "update"),
        ("Home", "inputs"),
        ("ArrowLeft", "inputs"),
    ]
    for key, stage in keys:
        page.keyboard.press(key)
        assert opened.stage() == stage, f"after {key}"
        check_numbers(opened, trace)
    # space on the focused Next button steps once, not twice (the key handler leaves it to the button)
    page.focus("#next")
    page.keyboard.press("Space")
    assert opened.stage() == "forward-0"
    page.keyboard.press("Enter")
    assert opened.stage() == "forward-1"
    # the stage chips jump
    page.click("#chips button:text-is('backward-0')")
    assert opened.stage() == "backward-0"
    check_numbers(opened, trace)
    opened.close()


def test_every_stage_of_a_larger_batch_network(browser, tmp_path):
    """2-10-10-3 with tanh, softmax + cross-entropy and biases, 3 samples: each sample at each stage."""
    rng = np.random.default_rng(0)
    net = cr.Network([2, 10, 10, 3], activation="tanh", loss="cross_entropy", seed=1)
    X = rng.normal(size=(3, 2))
    trace = net.explain(X, np.array([0, 2, 1]), learning_rate=0.5)
    opened = Opened(browser, write_page(tmp_path, trace.to_html(digits=3)))
    page = opened.page
    n_stages = 1 + 3 + 1 + 3 + 1
    assert page.inner_text("#counter") == f"Stage 1 of {n_stages}"
    for stage in range(n_stages):
        if stage:
            page.keyboard.press("ArrowRight")
        for s in range(3):
            page.select_option("#sample", str(s))
            shown = check_numbers(opened, trace, digits=3)
            assert f"inputs[{s}][1]" in shown
            if stage >= 1:
                assert f"layers[0].a[{s}][9]" in shown
    assert opened.stage() == "update"
    assert "layers[2].new_bias[2]" in shown and "layers[0].new_weights[9][1]" in shown
    assert page.locator(".card").count() == 2 + 10 + 10 + 3
    assert page.locator("line.edge").count() == 2 * 10 + 10 * 10 + 10 * 3
    page.screenshot(path=str(tmp_path / "larger.png"), full_page=True)
    opened.close()


def test_too_large_network_gets_a_message(browser, tmp_path):
    net = cr.Network([3, 12, 1], seed=0)
    trace = net.explain([[0.1, 0.2, 0.3]], [[1.0]])
    opened = Opened(browser, write_page(tmp_path, trace.to_html()))
    message = opened.page.inner_text("#too-large")
    assert "layer of 12 neurons" in message and "up to 10 neurons per layer" in message
    assert opened.page.locator("svg").count() == 0
    opened.close()


def test_hostile_text_is_shown_not_run(browser, tmp_path):
    X, Y = xor()
    trace = cr.Network([2, 2, 1], seed=0).explain(X, Y)
    trace.notes.append("</script><script>window.pwned = 1</script><!-- & \u2028")
    opened = Opened(browser, write_page(tmp_path, trace.to_html(title="<img src=x onerror=window.pwned=2>")))
    page = opened.page
    assert page.evaluate("window.pwned === undefined")
    assert page.inner_text("h1") == "<img src=x onerror=window.pwned=2>"
    assert "</script><script>window.pwned = 1</script>" in page.inner_text("header")
    page.keyboard.press("End")
    check_numbers(opened, trace)
    opened.close()


def test_training_report_page(browser, tmp_path):
    from chainrule.datasets import moons
    from chainrule.web.explainer import report_html

    X, y = moons(60, seed=0)
    net = cr.Network([2, 6, 2], activation="tanh", loss="cross_entropy", seed=0)
    history = net.fit(
        X, y, epochs=5, learning_rate=0.05, batch_size=20, optimizer="adam", validation_data=(X[:20], y[:20])
    )
    opened = Opened(browser, write_page(tmp_path, report_html(net, history, title="moons")))
    page = opened.page
    assert page.locator("svg.curves").count() == 2
    assert page.locator("svg.curves polyline").count() == 4
    assert page.inner_text("[data-metric='final loss']") == f"{history.loss[-1]:.4f}"
    assert "2 → 6" in page.inner_text("#architecture")
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    opened.close()


def test_an_adam_step_and_several_steps_in_the_browser(browser, tmp_path, artifacts):
    """The explainer of an Adam step shows its state in the update stage; the page of steps typesets its MathML."""
    X, Y = xor()
    net = cr.Network([2, 2, 1], loss="half_squared_error", reduction="sum", seed=2)
    trace = net.explain(X, Y, learning_rate=0.05, optimizer="adam")
    opened = Opened(browser, write_page(tmp_path, trace.to_html(), "adam.html"))
    page = opened.page
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    assert opened.stage() == "update"
    check_numbers(opened, trace)
    body = page.inner_text("body")
    assert "Update: Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-08), step t = 1" in body
    formula = page.locator('[data-text^="m̂_w[0,0] = m/(1 - β₁ᵗ)"]')  # typeset: its words in data-text
    assert formula.count() >= 1 and formula.first.is_visible()
    opened.close()

    traces = net.explain(X, Y, learning_rate=0.05, optimizer="adam", steps=3)
    opened = Opened(browser, write_page(tmp_path, traces.to_html(), "steps.html"))
    page = opened.page
    assert page.locator("h3", has_text="Step 3 of 3").count() == 1
    roots = page.locator("msqrt")
    assert roots.count() == 3 * 9 * 2  # √v̂ and √(its number) per weight and bias, each step
    box = roots.first.bounding_box()
    assert box is not None and box["width"] > 10 and box["height"] > 10  # typeset, not left as text
    assert "\\" not in page.inner_text("body")
    assert page.evaluate("getComputedStyle(document.body).maxWidth") != "none"  # its own style, allowed by hash
    page.screenshot(path=str(artifacts / "adam_steps.png"), full_page=False)
    opened.close()


def test_the_explainer_page_allows_only_its_own_script_by_hash(browser, tmp_path):
    """Issue 15, finding 10: a strict Content-Security-Policy. The page's policy has no 'unsafe-inline';
    its script-src is the SHA-256 of the script the browser actually finds in the page (hashed here,
    independently), and a script injected beside it is refused by Chromium while the page still works."""
    import base64
    import hashlib

    X, Y = xor()
    trace = cr.Network([2, 2, 1], seed=0).explain(X, Y)
    text = trace.to_html()
    opened = Opened(browser, write_page(tmp_path, text))
    page = opened.page
    policy = page.evaluate("document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content")
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    source = page.evaluate("Array.from(document.scripts).filter(s => !s.type).map(s => s.textContent)")
    assert len(source) == 1
    digest = base64.b64encode(hashlib.sha256(source[0].encode("utf-8")).digest()).decode()
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == f"'sha256-{digest}'" and directives["default-src"] == "'none'"
    page.keyboard.press("End")
    check_numbers(opened, trace)  # the page's own script ran
    opened.close()

    # The same page with a script slipped in before its own: refused, reported, never run.
    injected = text.replace("<script>", "<script>window.injected = 1;</script>\n<script>", 1)
    opened = Opened(browser, write_page(tmp_path, injected, "injected.html"))
    page = opened.page
    assert page.evaluate("window.injected === undefined")
    page.keyboard.press("End")
    check_numbers(opened, trace)
    refused = [error for error in opened.errors if "Content Security Policy" in error]
    assert len(refused) == 1 and "inline script" in refused[0] and "blocked" in refused[0], opened.errors
    opened.errors.clear()
    opened.close()


def test_the_training_report_has_a_strict_policy_too(browser, tmp_path):
    """Issue 15, finding 10: the report page runs no script at all and allows only its own style."""
    from chainrule.web.explainer import report_html

    X, Y = xor()
    net = cr.Network([2, 3, 1], seed=0)
    text = report_html(net, net.fit(X, Y, epochs=3), title="xor")
    injected = text.replace("</h1>", "</h1><script>window.injected = 1</script>", 1)
    opened = Opened(browser, write_page(tmp_path, injected))
    policy = opened.page.evaluate("document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content")
    assert "unsafe-inline" not in policy and "script-src" not in policy  # default-src 'none' covers scripts
    assert opened.page.evaluate("window.injected === undefined")
    assert opened.page.evaluate("getComputedStyle(document.body).fontFamily") != ""  # the hashed style applied
    assert any("inline script" in e and "Content Security Policy" in e for e in opened.errors), opened.errors
    opened.errors.clear()
    opened.close()


# -- the page on a projector: labels that never collide, type for a room, typeset formulas -----------------

WORKED = Path(__file__).resolve().parent / "worked"


def _projector_traces():
    X, Y = xor()
    yield "xor 2-2-1, 4 samples", cr.Network([2, 2, 1], seed=0).explain(X, Y, learning_rate=0.5)
    yield "seed 003, 2-2-1", cr.load_example(SEED_003).explain()
    net = cr.Network([2, 3, 2], activation="tanh", loss="cross_entropy", seed=3)
    yield "2-3-2 tanh, softmax", net.explain([[0.5, -1.0]], [1], learning_rate=0.5)
    yield "2-4-1", cr.Network([2, 4, 1], seed=2).explain(X[1:2], Y[1:2], learning_rate=0.5)
    for name in ("01_mazur_step_by_step", "05_pythonandml_sigmoid_3_2_2", "09_decola_mlp_sigmoid"):
        yield f"worked {name}", cr.load_example(WORKED / f"{name}.toml").explain()


PROJECTOR = dict(_projector_traces())

# Every text of the diagram, every card's and edge label's box, in screen pixels, as Chromium laid them out.
DIAGRAM_BOXES = """() => {
  const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const svg = document.querySelector('#diagram svg');
  const texts = Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim() && t.checkVisibility())
    .map(t => ({box: box(t), text: t.textContent, card: t.closest('.card') ? t.closest('.card').id : null,
                label: t.closest('.elabel-box') ? t.closest('.elabel-box').getAttribute('data-edge') : null,
                px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a}));
  const cards = Object.fromEntries(Array.from(svg.querySelectorAll('.card'))
    .map(g => [g.id, box(g.querySelector('rect'))]));
  const labels = Object.fromEntries(Array.from(svg.querySelectorAll('.elabel-box'))
    .map(g => [g.getAttribute('data-edge'), box(g.querySelector('rect'))]));
  const loss = svg.querySelector('.lossbox rect');
  return {texts, cards, labels, loss: loss.checkVisibility() ? box(loss) : null,
          edges: svg.querySelectorAll('line.edge').length, scale: svg.getScreenCTM().a};
}"""


def meets(a, b, tolerance: float = 0.01) -> bool:
    """Whether two boxes (left, top, right, bottom) share more than a hairline."""
    return a[0] < b[2] - tolerance and b[0] < a[2] - tolerance and a[1] < b[3] - tolerance and b[1] < a[3] - tolerance


def inside(a, b, tolerance: float = 0.5) -> bool:
    return (
        a[0] >= b[0] - tolerance and a[1] >= b[1] - tolerance and a[2] <= b[2] + tolerance and a[3] <= b[3] + tolerance
    )


def check_layout(opened: Opened, where: str) -> dict:
    found = opened.page.evaluate(DIAGRAM_BOXES)
    texts, cards, labels = found["texts"], found["cards"], found["labels"]
    assert texts and cards, where
    for n, a in enumerate(texts):
        for b in texts[n + 1 :]:
            assert not meets(a["box"], b["box"]), f"{where}: {a['text']!r} and {b['text']!r} overlap"
        if a["card"]:
            assert inside(a["box"], cards[a["card"]]), f"{where}: {a['text']!r} spills out of {a['card']}"
        if a["label"]:
            assert inside(a["box"], labels[a["label"]]), f"{where}: {a['text']!r} outside its label box"
        assert a["px"] >= 16, f"{where}: {a['text']!r} is drawn at {a['px']:.1f} px"
    obstacles = list(cards.items()) + ([("loss", found["loss"])] if found["loss"] else [])
    for n, (edge, a) in enumerate(sorted(labels.items())):
        for other, b in sorted(labels.items())[n + 1 :]:
            assert not meets(a, b), f"{where}: the labels of {edge} and {other} overlap"
        for name, b in obstacles:
            assert not meets(a, b), f"{where}: the label of {edge} crosses {name}"
    return found


@pytest.mark.parametrize("name", list(PROJECTOR))
def test_the_diagram_labels_never_collide_and_read_from_the_back_of_the_room(browser, tmp_path, artifacts, name):
    """Issue 12 item 6: every label of every stage (and sample) has its own room, every edge of these small
    networks is labelled, the cards hold their texts, and every diagram text is drawn at 16 px or more at
    1280x800 (the diagram is not scaled down)."""
    trace = PROJECTOR[name]
    opened = Opened(browser, write_page(tmp_path, trace.to_html()))
    page = opened.page
    n_stages = page.evaluate("JSON.parse(document.getElementById('chainrule-data').textContent).stages.length")
    for stage in range(n_stages):
        if stage:
            page.keyboard.press("ArrowRight")
        for s in range(trace.n_samples):
            if trace.n_samples > 1:
                page.select_option("#sample", str(s))
            found = check_layout(opened, f"{name}, {opened.stage()}, sample {s}")
            check_numbers(opened, trace)
    assert found["scale"] == 1, "the diagram was scaled"
    assert len(found["labels"]) == found["edges"] == sum(l.weights.size for l in trace.layers)
    # at the update, each edge label shows the old weight and, under it, the new one
    for edge, box in found["labels"].items():
        assert box[3] - box[1] > 2 * 16, f"{edge}: the update label is not two lines"
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower())
    page.screenshot(path=str(artifacts / f"projector_{slug}_update.png"))
    opened.close()


def test_the_diagram_is_scaled_only_when_the_window_is_too_small(browser, tmp_path):
    """Labels stay apart however the page is sized; below the width the diagram needs, it shrinks whole."""
    trace = PROJECTOR["2-4-1"]
    path = write_page(tmp_path, trace.to_html())
    context = browser.new_context(viewport={"width": 700, "height": 600})
    page = context.new_page()
    page.goto(path.as_uri())
    page.keyboard.press("End")
    found = page.evaluate(DIAGRAM_BOXES)
    assert found["scale"] <= 1
    labels = list(found["labels"].values())
    assert not any(meets(a, b) for n, a in enumerate(labels) for b in labels[n + 1 :])
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()


def test_the_formulas_are_typeset_mathml(browser, seed_003, tmp_path):
    """Every stage's formulas (and the inline maths of its text) are MathML that Chromium lays out itself:
    each <math> has a box, a subscript sits lower than its base and a fraction's numerator above its
    denominator; the terminal text of each line stays with it."""
    _, trace = seed_003
    opened = Opened(browser, write_page(tmp_path, trace.to_html()))
    page = opened.page
    geometry = """() => {
      const block = document.querySelector('.stage-block:not([hidden])');
      const maths = Array.from(block.querySelectorAll('math'));
      const sub = block.querySelector('.formula msub');
      const bottom = e => e.getBoundingClientRect().bottom;
      const low = sub ? [bottom(sub.children[0]), bottom(sub.children[1])] : null;
      return {sizes: maths.map(m => [m.getBoundingClientRect().width, m.getBoundingClientRect().height]),
              lines: block.querySelectorAll('.formula .fl').length,
              typeset: block.querySelectorAll('.formula .fl > math').length, low};
    }"""
    for stage in SEED_003_STAGES:
        got = page.evaluate(geometry)
        assert got["lines"] and got["typeset"] == got["lines"], stage
        assert all(w > 0 and h > 0 for w, h in got["sizes"]), f"{stage}: a formula has no box: {got['sizes']}"
        if got["low"]:
            assert got["low"][1] > got["low"][0], f"{stage}: the subscript is not set lower: {got['low']}"
        page.keyboard.press("ArrowRight")
    frac = page.evaluate("""() => { const f = document.querySelector('header mfrac');
      return [f.children[0].getBoundingClientRect().bottom, f.children[1].getBoundingClientRect().top]; }""")
    assert frac[0] <= frac[1] + 1, f"½ is not set as a fraction: {frac}"
    assert page.evaluate("getComputedStyle(document.querySelector('math')).display").endswith("math")
    opened.close()


def test_explain_html_shows_the_notes_and_the_sign_of_delta(browser, tmp_path, capsys):
    """`chainrule explain FILE --format html`: the worked example's notes are on the page, and the output
    error states δ = ∂L/∂z and the opposite sign some textbooks use, as the text and Markdown do."""
    from chainrule.cli.main import main

    out = tmp_path / "seed_003.html"
    assert main(["explain", str(SEED_003), "--format", "html", "-o", str(out)]) == 0
    capsys.readouterr()
    example = cr.load_example(SEED_003)
    opened = Opened(browser, out)
    page = opened.page
    notes = page.inner_text("#notes")
    assert len(example.notes) == 3
    for note in example.notes:
        assert note in notes
    assert page.locator("#notes").is_visible()
    page.click("#chips button:text-is('backward-1')")
    prose = page.eval_on_selector_all(".stage-block:not([hidden]) .fprose", "els => els.map(e => e.textContent)")
    assert len(prose) == 2 and prose[0].endswith(
        "here: how much the loss changes with a neuron's z; the update is w←w−η∂L/∂w."
    )
    assert "Some textbooks define" in prose[1] and "target − output" in prose[1]
    text = example.explain().to_text()
    assert "δ = ∂L/∂z here" in text and "Some textbooks define δ = -∂L/∂z instead" in text
    assert "Some textbooks define $\\delta = -\\partial L/\\partial z$" in example.explain().to_markdown()
    opened.close()
