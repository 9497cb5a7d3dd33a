"""chainrule._live: the live view's data and markup (the browser tests are in test_live_browser.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import numpy as np
import pytest

import chainrule as cr
from chainrule._live import LIVE_CSS, LIVE_JS, live_data, live_html, live_parts
from chainrule.web.explainer import report_html


def trained(X, y, sizes, epochs=12, **kw):
    snaps = cr.callbacks.Snapshots(X, y, every=3, grid=6)
    net = cr.Network(sizes, seed=0, **kw)
    history = net.fit(X, y, epochs=epochs, learning_rate=0.5, callbacks=[snaps])
    return net, history, snaps


def data_of(fragment: str) -> dict:
    raw = re.search(r'<script type="application/json" class="live-data">(.*?)</script>', fragment, re.S).group(1)
    return json.loads(raw)


def test_xor_one_sigmoid_output_boundary_at_one_half():
    X, Y = cr.datasets.xor()
    _, _, snaps = trained(X, Y, [2, 3, 1])
    data = live_data(snaps)
    assert data["kind"] == "binary" and data["threshold"] == 0.5 and data["labels"] == [0, 1, 1, 0]
    assert [f["epoch"] for f in data["frames"]] == snaps.epochs == [0, 3, 6, 9, 12]
    assert len(data["surfaces"]) == 5 and all(len(s) == 36 for s in data["surfaces"])
    # Row-major over (ys, xs): cell i*grid + j is the output at (xs[j], ys[i]), rounded to 4 decimals.
    np.testing.assert_allclose(data["surfaces"][2][1 * 6 + 4], snaps.surface[2][1, 4, 0], atol=5e-5)
    frame = data["frames"][-1]
    assert frame["predictions"][1] == f"{snaps.predictions[-1][1, 0]:.4g}"
    assert frame["logs"]["loss"] == f"{snaps.curve[-1]:.4g}"
    assert data["names"] == ["layers[0].weights", "layers[0].bias", "layers[1].weights", "layers[1].bias"]
    w = snaps.parameters[-1][0]
    assert frame["parameters"][0][2][1] == f"{w[2, 1]:.4g}"  # layers[0].weights[2][1]
    assert frame["parameters"][1] == [[f"{v:.4g}" for v in snaps.parameters[-1][1]]]  # a bias: one row


def test_two_softmax_outputs_draw_the_second_class_probability():
    X, y = cr.datasets.moons(30, seed=1)
    _, _, snaps = trained(X, y, [2, 4, 2], activation="tanh", loss="cross_entropy")
    data = live_data(snaps)
    assert data["kind"] == "binary" and data["threshold"] == 0.5 and data["n_outputs"] == 2
    np.testing.assert_allclose(data["surfaces"][-1][7], snaps.surface[-1].reshape(36, 2)[7, 1], atol=5e-5)
    assert data["labels"] == y.tolist()


def test_three_classes_keep_every_probability():
    X, y = cr.datasets.spirals(30, n_classes=3, seed=0)
    _, _, snaps = trained(X, y, [2, 5, 3], loss="cross_entropy")
    data = live_data(snaps)
    assert data["kind"] == "classes" and len(data["surfaces"][0]) == 36 * 3
    np.testing.assert_allclose(data["surfaces"][1][:3], snaps.surface[1][0, 0], atol=5e-5)


def test_tanh_targets_of_minus_and_plus_one_put_the_boundary_at_zero():
    X, Y = cr.datasets.xor()
    _, _, snaps = trained(X, 2 * Y - 1, [2, 3, 1], activation="tanh")
    data = live_data(snaps)
    assert data["threshold"] == 0.0 and data["labels"] == [0, 1, 1, 0]
    assert data["targets"] == ["-1", "1", "1", "-1"]


def test_the_view_refuses_empty_snapshots():
    with pytest.raises(ValueError, match="hold nothing yet: pass them to fit"):
        live_data(cr.callbacks.Snapshots([[0.0, 1.0], [1.0, 0.0]]))


def test_the_fragment_carries_its_style_script_and_data():
    X, Y = cr.datasets.xor()
    _, _, snaps = trained(X, Y, [2, 2, 1])
    fragment = snaps._repr_html_()
    assert fragment == live_html(snaps)
    assert fragment.startswith(f"<style>{LIVE_CSS}</style>") and fragment.rstrip().endswith(
        f"<script>{LIVE_JS}</script>"
    )
    assert data_of(fragment) == live_data(snaps)
    assert 'max="4" value="4"' in fragment  # the slider starts at the last snapshot
    assert not re.search(r"\b(src|href)\s*=|url\(|@import|https?://(?!www\.w3\.org/2000/svg)", fragment)


def test_hostile_text_cannot_close_the_data_script():
    X, Y = cr.datasets.xor()
    _, _, snaps = trained(X, Y, [2, 2, 1])
    snaps.parameter_names[0] = "</script><script>alert(1)</script>"
    markup = live_parts(snaps, title='"><b>')
    assert "</script><script>" not in markup and "&quot;&gt;&lt;b&gt;" in markup
    assert data_of(markup)["names"][0] == "</script><script>alert(1)</script>"


def sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_the_report_page_with_a_live_view_allows_only_its_own_style_and_script():
    X, y = cr.datasets.circles(40, seed=0)
    net, history, snaps = trained(X, y, [2, 4, 2], loss="cross_entropy")
    page = report_html(net, history, snapshots=snaps)
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(styles) == 1 and scripts == [LIVE_JS]
    assert csp == (
        f"default-src 'none'; style-src '{sha256(styles[0])}'; script-src '{sha256(LIVE_JS)}'; "
        "base-uri 'none'; form-action 'none'"
    )
    assert page.index("Training, epoch by epoch") < page.index("Final metrics")
    assert data_of(page)["frames"][-1]["epoch"] == 12
    plain = report_html(net, history)  # without snapshots: no script at all, and none allowed
    assert "<script" not in plain and "script-src" not in re.search(r'content="([^"]+)"', plain).group(1)
    with pytest.raises(TypeError, match="snapshots must be the callbacks.Snapshots that watched fit; got list"):
        report_html(net, history, snapshots=[])
