"""The HTML pages as text: self-contained, safely embedded data, stages and formulas (no browser here;
tests/test_browser.py runs them in Chromium)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli.main import main
from chainrule.datasets import xor
from chainrule.teaching.sections import Prose
from chainrule.web.explainer import explainer_html, report_html, stage_formulas

SEED_003 = Path(__file__).resolve().parent.parent / "examples" / "worked" / "seed_003.toml"


@pytest.fixture(scope="module")
def seed_003_trace():
    return cr.load_example(SEED_003).explain()


def embedded(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="chainrule-data">(.*?)</script>', page, re.S)
    assert match, "no embedded data"
    return json.loads(match.group(1))


def assert_self_contained(page: str) -> None:
    lowered = page.lower()
    for pattern in (
        r"<script[^>]*\ssrc=",
        r"<link\b",
        r"<img\b",
        r"<iframe\b",
        r"@import",
        r"url\(",
        r"https?://(?!www\.w3\.org/2000/svg)",
        r"<object\b",
        r"<embed\b",
        r"@font-face",
    ):
        assert not re.search(pattern, lowered), f"external reference {pattern!r} in the page"
    assert "default-src 'none'" in page  # and the browser is told to refuse any request


def test_explainer_page_is_self_contained_with_every_stage(seed_003_trace):
    page = seed_003_trace.to_html(title="Seed 003")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert_self_contained(page)
    data = embedded(page)
    assert [s["key"] for s in data["stages"]] == [
        "inputs",
        "forward-0",
        "forward-1",
        "loss",
        "backward-1",
        "backward-0",
        "update",
    ]
    assert data["sizes"] == [2, 2, 1] and data["bias"] is False
    # every number is the trace's, formatted as to_text formats it
    assert data["num"]["layers[0].z[0][0]"] == "0.755"
    assert data["num"]["layers[1].a[0][0]"] == f"{seed_003_trace.get('layers[1].a[0][0]'):.4g}" == "0.6903"
    assert data["num"]["layers[0].new_weights[1][1]"] == "0.5926"  # 0.6 - 0.008172·0.9, by hand 0.59265
    assert data["num"]["inputs[0][1]"] == "0.9" and data["num"]["targets[0][0]"] == "0.5"
    stages = {s["key"]: s for s in data["stages"]}
    assert stages["forward-0"]["edges"] == ["e0_0_0", "e0_0_1", "e0_1_0", "e0_1_1"]
    assert stages["backward-0"]["edges"] == ["e0_0_0", "e0_0_1", "e0_1_0", "e0_1_1", "e1_0_0", "e1_0_1"]
    assert stages["loss"]["nodes"] == ["n2_0"]


def test_stage_formulas_are_to_text_lines(seed_003_trace):
    formulas = stage_formulas(seed_003_trace)
    text = seed_003_trace.to_text()
    lines = [line.strip() for line in text.splitlines()]
    for key, body in formulas.items():
        assert body, key
        for line in body:
            assert line.strip() in lines or re.fullmatch(r"layers\[\d\]:", line), (key, line)
    assert formulas["forward-1"] == ["z[0] = 0.3·0.6803 + 0.9·0.6637 = 0.8014", "a[0] = σ(0.8014) = 0.6903"]
    assert formulas["loss"] == ["L = ½·(0.6903 - 0.5)² = 0.0181"]
    # every equation of to_text lands in exactly one stage
    # (the output error's two paragraphs on the sign of δ are text on the page, not formulas)
    backward = {s.key: s for s in seed_003_trace.sections()}["backward-1"]
    prose = {line.parts[0].text for line in backward.lines if isinstance(line, Prose)}
    assert len(prose) == 2
    equations = [line[4:] for line in text.splitlines() if line.startswith("    ") and line[4:] not in prose]
    assert len(text.splitlines()) - len(equations) > 2
    shown = [line.strip() for body in formulas.values() for line in body if not line.endswith(":")]
    assert sorted(shown) == sorted(line.strip() for line in equations)


def test_script_in_notes_and_title_cannot_close_the_data_block():
    X, Y = xor()
    trace = cr.Network([2, 2, 1], seed=0).explain(X, Y)
    hostile = "</script><script>alert(1)</script><!-- \u2028 & </SCRIPT>"
    trace.notes.append(hostile)
    page = explainer_html(trace, title="<b>bold</b> & </script>")
    assert page.count("<script") == 2 and page.lower().count("</script>") == 2
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;/script&gt;" in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!-- \u2028 &amp; &lt;/SCRIPT&gt;" in page
    assert embedded(page)["sizes"] == [2, 2, 1]  # the data block still parses


def test_embedded_json_escapes_what_could_end_the_script():
    from chainrule.web.explainer import _script_json

    hostile = "</script><script>alert(1)</script><!-- \u2028\u2029 & ok"
    text = _script_json({"note": hostile, "x": [1.5, None]})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"note": hostile, "x": [1.5, None]}
    with pytest.raises(ValueError):
        _script_json({"x": float("nan")})  # JSON.parse would refuse NaN: never written


def test_sizes_the_explainer_draws_and_the_message_beyond():
    net = cr.Network([10, 10, 10], seed=0)
    page = net.explain(np.ones((2, 10)), np.zeros((2, 10))).to_html()
    assert embedded(page)["sizes"] == [10, 10, 10] and 'id="sample"' in page
    big = cr.Network([784, 16, 10], loss="cross_entropy", seed=0)
    page = big.explain(np.zeros((1, 784)), [3]).to_html()
    assert "Too large to draw" in page and "has a layer of 784 neurons" in page
    assert "chainrule-data" not in page and "<svg" not in page
    assert_self_contained(page)
    many = cr.Network([2, 2, 1], seed=0).explain(np.zeros((65, 2)), np.zeros((65, 1)))
    assert "the step has 65 samples" in many.to_html()


def test_explainer_bad_input(seed_003_trace):
    with pytest.raises(TypeError, match="trace must be a chainrule Trace; got dict"):
        explainer_html({})
    with pytest.raises(ValueError, match="digits"):
        seed_003_trace.to_html(digits=0)
    with pytest.raises(TypeError, match="title must be a str or None; got int"):
        seed_003_trace.to_html(title=3)


def test_digits_reach_every_number(seed_003_trace):
    data = embedded(seed_003_trace.to_html(digits=6))
    assert data["num"]["layers[1].z[0][0]"] == f"{seed_003_trace.get('layers[1].z[0][0]'):.6g}"
    # 0.3·0.680267 + 0.9·0.663739 = 0.2040801 + 0.5973651 = 0.8014452
    assert "z[0] = 0.3·0.680267 + 0.9·0.663739 = 0.801445" in data["stages"][2]["formula"]


def test_cli_explain_html(tmp_path, capsys, seed_003_trace):
    out = tmp_path / "step.html"
    assert main(["explain", str(SEED_003), "--format", "html", "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"
    page = out.read_text(encoding="utf-8")
    assert "<title>Seed 003: 2-2-1 sigmoid network without bias" in page
    assert embedded(page)["num"] == embedded(seed_003_trace.to_html())["num"]
    assert main(["explain", str(SEED_003), "--format", "html"]) == 2
    assert "--format html needs -o FILE" in capsys.readouterr().err
    assert main(["explain", str(SEED_003), "-o", str(tmp_path / "step.txt")]) == 0
    assert (tmp_path / "step.txt").read_text(encoding="utf-8").startswith("Seed 003")


def test_report_page():
    X, Y = xor()
    net = cr.Network([2, 3, 1], loss="binary_cross_entropy", seed=0)
    history = net.fit(X, Y, epochs=6, learning_rate=0.5, validation_data=(X, Y), schedule="cosine")
    page = report_html(net, history, title="XOR <report>", metrics={"test accuracy": 0.75})
    assert_self_contained(page)
    assert "<title>XOR &lt;report&gt;</title>" in page
    assert page.count("<svg") == 3  # loss, accuracy, and the scheduled learning rate
    assert page.count("<polyline") == 2 + 2 + 1
    assert f'data-metric="final loss">{history.loss[-1]:.4f}<' in page
    assert 'data-metric="test accuracy">0.7500<' in page
    assert "2 → 3" in page and "3 → 1" in page and '<td class="num">13</td>' in page  # 9 + 4 parameters
    assert "inputs scaled" not in page
    scaled = cr.Network([2, 3, 1], loss="binary_cross_entropy", seed=0, input_scale=0.5)
    assert "dtype float64; inputs scaled by 0.5</p>" in report_html(scaled, scaled.fit(X * 2, Y, epochs=2))
    with pytest.raises(TypeError, match="history must be the History that fit returned; got list"):
        report_html(net, [1.0])
    with pytest.raises(TypeError, match="net must be a chainrule Network; got str"):
        report_html("net", history)
