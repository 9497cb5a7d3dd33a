"""Tests for chainrule.web.practice: the page's tables come from the checker, its CSP allows only itself."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

import chainrule as cr
from chainrule import cli
from chainrule.teaching.checker import slip_table

ROOT = Path(__file__).resolve().parents[1]
SEED_003 = ROOT / "examples" / "worked" / "seed_003.toml"


def _data(page: str) -> dict:
    match = re.search(r"const PRACTICE = (\{.*?\});\n", page)
    assert match
    return json.loads(match.group(1))


def test_every_blank_carries_the_checkers_truth_and_slips():
    example = cr.load_example(SEED_003)
    page = example.explain().to_html(practice=True)
    table = slip_table(example.network, example.inputs, example.targets, example.learning_rate)
    blanks = [b for stage in _data(page)["stages"] for b in stage["blanks"]]
    assert sorted(b["path"] for b in blanks) == sorted(table)  # every value once (the page groups the updates last)
    for b in blanks:
        assert b["true"] == table[b["path"]]["true"] and b["slips"] == table[b["path"]]["slips"]
    delta = next(b for b in blanks if b["path"] == "layers[1].delta[0][0]")
    assert {"sign", "no_derivative", "half_factor"} <= {s["slip"] for s in delta["slips"]}
    assert delta["true"] == pytest.approx(example.explain().layers[1].delta[0, 0], rel=1e-15)


def test_the_csp_allows_only_the_pages_own_style_and_script():
    page = cr.load_example(SEED_003).explain().to_html(practice=True)
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "unsafe-inline" not in csp and csp.startswith("default-src 'none'")
    for tag, directive in (("style", "style-src"), ("script", "script-src")):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", page, flags=re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in csp


def test_a_title_with_markup_is_escaped():
    page = cr.load_example(SEED_003).explain().to_html(practice=True, title="</script><b>x</b>")
    assert "<b>x</b>" not in page and "&lt;/script&gt;&lt;b&gt;" in page


def test_too_many_blanks_is_refused_with_the_way_out():
    net = cr.Network([10, 10, 10], seed=0)
    trace = net.explain([[0.1] * 10], [[0.0] * 10], 0.1)
    with pytest.raises(ValueError, match="at most 120.*explainer page"):
        trace.to_html(practice=True)


def test_cli_writes_the_practice_page(tmp_path, capsys):
    out = tmp_path / "practice.html"
    assert cli.main(["explain", str(SEED_003), "--format", "html", "--practice", "-o", str(out)]) == 0
    assert "const PRACTICE = " in out.read_text(encoding="utf-8")
    assert cli.main(["explain", str(SEED_003), "--practice"]) == 2
    assert "--format html" in capsys.readouterr().err
