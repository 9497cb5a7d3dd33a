"""An exercise's practice pages in a real browser (Debian's Chromium, headless, via Playwright).

A learner types the key's own numbers, as printed (4 significant digits), into
every blank of each step's page: every one is right, and the page requests nothing.
"""

from __future__ import annotations

import os

import pytest

import chainrule as cr

CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright for Python is not installed (pip install playwright; never `playwright install`)",
)
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh", allow_module_level=True)


def _only(url: str, blocked: list[str]):
    """A route handler that lets the page itself through and records and aborts everything else."""

    def route(r):
        if r.request.url == url:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    return route


def test_every_step_page_takes_the_keys_printed_numbers(tmp_path):
    ex = cr.exercise(seed=5, steps=2, activation="tanh", loss="mse")
    paths = ex.write(tmp_path, pdf=False)
    keys = [ex.example.published] + [later["published"] for later in ex.example.steps]
    blocked: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for k, key in enumerate(keys, start=1):
            (page_file,) = [path for path in paths if path.name == f"step-{k}.html"]
            url = page_file.resolve().as_uri()
            context = browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")

            context.route("**/*", _only(url, blocked))
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url)
            assert page.inner_text("h1") == f"{ex.title}: step {k} of 2"
            n_stages = int(page.inner_text("#counter").split()[-1])
            total = 0
            for number in range(n_stages):
                if number:
                    page.click("#next")
                for path in page.eval_on_selector_all(".blank", "rows => rows.map(r => r.dataset.path)"):
                    row = page.locator(f'.blank[data-path="{path}"]')
                    row.locator("input").fill(key[path])
                    row.locator("input").press("Enter")
                    assert row.get_attribute("class").replace("blank", "").strip() == "right", (k, path, key[path])
                    total += 1
            assert page.inner_text("#score") == f"Score: {total} of {total} right"
            # the page asks for the key's values less ∂L/∂a and f'(z), which the key shows on the way
            assert total == len([p for p in key if ".grad_a" not in p and ".derivative" not in p])
            context.close()
        browser.close()
    assert blocked == [] and errors == []
