"""The practice page (chainrule.web.practice) in a real browser: Debian's Chromium, headless, via Playwright.

A learner types numbers into the blanks: the true ones (all right), a known
slip (the page names it), garbage (a clear message, nothing breaks). Every
request other than the page itself is recorded and aborted, and fails the test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import chainrule as cr

CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SEED_003 = Path(__file__).resolve().parent.parent / "examples" / "worked" / "seed_003.toml"

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright for Python is not installed (pip install playwright; never `playwright install`)",
)
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh", allow_module_level=True)


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
        directory = Path(path) / "practice"
        directory.mkdir(parents=True, exist_ok=True)
        return directory
    return tmp_path_factory.mktemp("practice-screenshots")


class Page:
    def __init__(self, browser, tmp_path: Path, html: str):
        path = tmp_path / "practice.html"
        path.write_text(html, encoding="utf-8")
        self.url = path.resolve().as_uri()
        self.context = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")
        self.page = self.context.new_page()
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
        assert self.errors == [], f"script errors (a CSP refusal shows here too): {self.errors}"

    def type(self, path: str, text: str) -> tuple[str, str]:
        row = self.page.locator(f'.blank[data-path="{path}"]')
        row.locator("input").fill(text)
        row.locator("input").press("Enter")
        return row.get_attribute("class").replace("blank", "").strip(), row.locator(".feedback").inner_text()

    def paths(self) -> list[str]:
        return self.page.eval_on_selector_all(".blank", "rows => rows.map(r => r.dataset.path)")


@pytest.fixture
def seed_003():
    example = cr.load_example(SEED_003)
    return example, example.explain()


def test_typing_the_true_numbers_scores_every_blank(browser, tmp_path, seed_003, artifacts):
    example, trace = seed_003
    opened = Page(browser, tmp_path, trace.to_html(practice=True, title=example.title))
    page = opened.page
    n_stages = int(page.inner_text("#counter").split()[-1])
    total = 0
    for number in range(n_stages):
        if number:
            page.click("#next")
        assert page.inner_text("#counter") == f"Stage {number + 1} of {n_stages}"
        for path in opened.paths():
            verdict, say = opened.type(path, f"{trace.get(path):.6g}")
            assert verdict == "right" and say == "right", (path, say)
            total += 1
        page.screenshot(path=str(artifacts / f"true-{number}.png"))
    assert page.inner_text("#score") == f"Score: {total} of {total} right"
    # seed 003 (2-2-1, no bias): z, a of 2 + 1 neurons, the loss, δ of 1 + 2 with their 2 + 4 gradients, 6 new weights
    assert total == (2 + 2) + (1 + 1) + 1 + (1 + 2) + (2 + 4) + 6 == 22
    opened.close()


def test_a_known_slip_is_named_and_a_follow_on_gets_a_hint(browser, tmp_path, seed_003):
    _, trace = seed_003
    opened = Page(browser, tmp_path, trace.to_html(practice=True))
    page = opened.page
    while page.evaluate("document.body.dataset.stage") != "backward-1":
        page.click("#next")
    delta = trace.layers[1].delta[0, 0]
    a = trace.layers[1].a[0, 0]
    verdict, say = opened.type("layers[1].delta[0][0]", f"{delta / (a * (1 - a)):.5g}")  # σ' left out
    assert verdict == "slip" and "the activation derivative left out" in say
    verdict, say = opened.type("layers[1].delta[0][0]", f"{-delta:.5g}")  # the sign of the δ = (y − a)·σ' books
    assert verdict == "slip" and "sign" in say
    verdict, say = opened.type("layers[1].grad_weights[0][0]", "0.777")
    assert verdict == "wrong" and "an earlier value of yours is off" in say
    opened.close()


def test_garbage_gets_a_clear_message_and_nothing_breaks(browser, tmp_path, seed_003):
    _, trace = seed_003
    opened = Page(browser, tmp_path, trace.to_html(practice=True))
    first = opened.paths()[0]
    for text, expected in (
        ("abc", "is not a number"),
        ("0.7.5", "is not a number"),
        ("</script><b>x", "is not a number"),
        ("7", "at least 2 significant digits"),
    ):
        verdict, say = opened.type(first, text)
        assert verdict == "bad" and expected in say, (text, say)
    verdict, _ = opened.type(first, f"{trace.get(first):.4g}")
    assert verdict == "right"  # the page still works after the garbage
    assert opened.page.locator("b").count() == 0  # typed markup is never rendered
    opened.close()


def test_show_reveals_the_answer_and_scores_nothing(browser, tmp_path, seed_003):
    _, trace = seed_003
    opened = Page(browser, tmp_path, trace.to_html(practice=True))
    first = opened.paths()[0]
    row = opened.page.locator(f'.blank[data-path="{first}"]')
    row.locator("button").click()
    assert row.locator("input").input_value() == f"{trace.get(first):.4g}"
    assert "revealed" in row.get_attribute("class")
    assert opened.page.inner_text("#score").startswith("Score: 0 of 22 right, 1 shown")
    opened.close()
