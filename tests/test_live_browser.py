"""The live view of training (chainrule._live) in a real browser: Debian's Chromium, headless, via Playwright.

The report page of a 2-D problem (made by report_html and by ``chainrule
train --html-report``) is opened from a file; every request other than the
page itself is recorded and aborted, and fails the test, as does any script
error or console error (a CSP refusal shows there too). The drawn surface is
read back from the canvas and compared with the snapshots Python recorded.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli.main import main
from chainrule.web.explainer import report_html

CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

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
        directory = Path(path) / "live"
        directory.mkdir(parents=True, exist_ok=True)
        return directory
    return tmp_path_factory.mktemp("live-screenshots")


class Opened:
    def __init__(self, browser, path: Path):
        self.url = path.resolve().as_uri()
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
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

    def index(self) -> int:
        return int(self.page.input_value(".live-slider"))

    def epoch(self) -> int:
        return int(self.page.get_attribute(".chainrule-live", "data-epoch"))

    def slide(self, k: int) -> None:
        self.page.eval_on_selector(
            ".live-slider", "(s, k) => { s.value = String(k); s.dispatchEvent(new Event('input')); }", k
        )

    def boundary(self) -> str:
        return self.page.get_attribute(".live-boundary", "d")

    def pixels(self, snaps) -> np.ndarray:
        """The canvas's colour (r, g, b) at every grid node, as (grid, grid, 3), row i at ys[i]."""
        rgb = self.page.evaluate(
            """n => { const c = document.querySelector('.live-canvas'), ctx = c.getContext('2d'), out = [];
                      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
                        const x = Math.min(c.width - 1, Math.round(j / (n - 1) * c.width));
                        const y = Math.min(c.height - 1, Math.round(c.height - i / (n - 1) * c.height));
                        const d = ctx.getImageData(x, y, 1, 1).data; out.push([d[0], d[1], d[2]]); }
                      return out; }""",
            snaps.grid,
        )
        return np.array(rgb).reshape(snaps.grid, snaps.grid, 3)


def moons_run(epochs: int = 60):
    X, y = cr.datasets.moons(80, noise=0.1, seed=0)
    snaps = cr.callbacks.Snapshots(X, y, every=4, grid=25)
    net = cr.Network([2, 8, 2], activation="tanh", loss="cross_entropy", seed=0)
    history = net.fit(X, y, epochs=epochs, learning_rate=0.05, optimizer="adam", batch_size=20, callbacks=[snaps])
    return net, history, snaps


def open_report(browser, tmp_path, net, history, snaps) -> Opened:
    path = tmp_path / "report.html"
    path.write_text(report_html(net, history, title="moons, live", snapshots=snaps), encoding="utf-8")
    return Opened(browser, path)


def side_of_boundary(rgb: np.ndarray) -> np.ndarray:
    """Orange (class 1) where red beats blue, blue (class 0) elsewhere."""
    return rgb[..., 0] > rgb[..., 2]


def test_the_slider_redraws_the_recorded_surface_and_boundary(browser, tmp_path, artifacts):
    net, history, snaps = moons_run()
    opened = open_report(browser, tmp_path, net, history, snaps)
    last = len(snaps) - 1
    assert opened.index() == last and opened.epoch() == 60
    status = opened.page.inner_text(".live-status")
    assert status.startswith("epoch 60 of 60") and f"loss {history.loss[-1]:.4g}" in status
    opened.page.screenshot(path=str(artifacts / "moons-last.png"), full_page=True)
    boundaries = {}
    for k in (0, 3, last):
        opened.slide(k)
        assert opened.epoch() == snaps.epochs[k]
        boundaries[k] = opened.boundary()
        # Each grid node is drawn on the side of the boundary the recorded surface puts it.
        truth = snaps.surface[k][..., 1] >= 0.5
        drawn = side_of_boundary(opened.pixels(snaps))
        away = np.abs(snaps.surface[k][..., 1] - 0.5) > 0.02  # nodes right on the boundary are under its line
        assert (drawn == truth)[away].mean() > 0.98, k
        if truth.any() and not truth.all():
            assert boundaries[k].startswith("M")
    assert len(set(boundaries.values())) == 3  # the boundary moves as the network learns
    opened.slide(0)
    opened.page.screenshot(path=str(artifacts / "moons-first.png"), full_page=True)
    assert opened.page.inner_text(".live-status") == "epoch 0 of 60"
    opened.close()


def test_play_advances_the_epochs_and_pause_stops_them(browser, tmp_path):
    net, history, snaps = moons_run()
    opened = open_report(browser, tmp_path, net, history, snaps)
    page = opened.page
    page.click(".live-play")  # at the last snapshot, Play starts again from the first
    page.wait_for_function("() => parseInt(document.querySelector('.live-slider').value) >= 3")
    assert page.get_attribute(".chainrule-live", "data-playing") == "true"
    assert page.inner_text(".live-play") == "❚❚ Pause"
    page.click(".live-play")
    paused = opened.index()
    assert 3 <= paused < len(snaps) and opened.epoch() == snaps.epochs[paused]
    page.wait_for_timeout(600)
    assert opened.index() == paused and page.inner_text(".live-play") == "▶ Play"
    page.click(".live-play")  # Play on: to the end, where it stops by itself
    page.wait_for_function("() => document.querySelector('.chainrule-live').dataset.playing === 'false'", timeout=20000)
    assert opened.index() == len(snaps) - 1 and opened.epoch() == 60
    opened.close()


def test_a_click_gives_a_points_prediction_and_the_weights_are_shown(browser, tmp_path):
    net, history, snaps = moons_run()
    opened = open_report(browser, tmp_path, net, history, snaps)
    page = opened.page
    opened.slide(2)
    page.click('.live-point-dot[data-index="7"]')
    text = page.inner_text(".live-point")
    p0, p1 = snaps.predictions[2][7]
    assert text.startswith(f"point 7 at ({snaps.X[7, 0]:.4g}") and f"target {snaps.y[7]:.4g}" in text
    assert f"output {p0:.4g}, {p1:.4g} after {snaps.epochs[2]} epochs" in text
    opened.slide(len(snaps) - 1)  # the chosen point follows the slider
    p0, p1 = snaps.predictions[-1][7]
    assert f"output {p0:.4g}, {p1:.4g} after 60 epochs" in page.inner_text(".live-point")
    np.testing.assert_allclose(net.predict(snaps.X[7:8])[0], [p0, p1])
    # A click elsewhere on the map: the recorded output at the nearest grid node.
    box = page.locator(".live-overlay").bounding_box()
    page.mouse.click(box["x"] + 2, box["y"] + box["height"] - 2)  # the bottom-left corner: node (0, 0)
    node = page.inner_text(".live-point")
    assert node.startswith(f"grid node ({snaps.xs[0]:.4g}, {snaps.ys[0]:.4g})")
    assert f"output {round(snaps.surface[-1][0, 0, 1], 4):g}" in node
    # The snapshot's weights, one table per parameter, as the network holds them.
    page.click(".live-params summary")
    weights = page.locator('.live-param[data-name="layers[1].weights"] tr')
    assert weights.count() == 2
    row = weights.nth(1).locator("td").all_inner_texts()
    assert row == [f"{v:.4g}" for v in net.layers[1].weights[1]]
    opened.slide(0)
    row0 = page.locator('.live-param[data-name="layers[1].weights"] tr').nth(1).locator("td").all_inner_texts()
    assert row0 == [f"{v:.4g}" for v in snaps.parameters[0][2][1]] and row0 != row
    opened.close()


@pytest.mark.parametrize("data", ["xor", "circles", "spirals"])
def test_chainrule_train_html_report_of_a_toy_set_has_the_live_view(browser, tmp_path, capsys, data, artifacts):
    epochs = {"xor": "300", "circles": "40", "spirals": "40"}[data]
    argv = ["train", data, "--layers", "6", "--activation", "tanh", "--epochs", epochs, "--learning-rate", "0.5"]
    argv += ["--quiet", "--html-report", str(tmp_path / "report")]
    if data != "xor":
        argv += ["--batch-size", "50"]
    assert main(argv) == 0
    capsys.readouterr()
    opened = Opened(browser, tmp_path / "report" / "report.html")
    page = opened.page
    last = int(page.get_attribute(".live-slider", "max"))
    every = -(-int(epochs) // 99)  # at most 100 snapshots over the run
    assert opened.epoch() == int(epochs) and last + 1 == len(range(0, int(epochs) + 1, every)) <= 100
    assert page.locator(".live-point-dot").count() == (4 if data == "xor" else 200)
    first_boundary = opened.boundary()
    opened.slide(last // 2)
    assert opened.epoch() < int(epochs)
    assert opened.boundary() != first_boundary or data == "xor"
    page.screenshot(path=str(artifacts / f"cli-{data}.png"), full_page=True)
    opened.close()
