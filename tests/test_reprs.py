"""What the REPL and Jupyter show of Trace, CheckReport, Network and History.

``repr`` is a short summary (a plain REPL is tested for real, in a
subprocess); ``_repr_html_`` is a well-formed, self-contained fragment
(parsed as XML; nothing it would fetch) holding the right numbers;
``_repr_markdown_`` is the Markdown rendering. check_render.py's functions
are tested through CheckReport, the class they render.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.teaching.checker import CheckReport

ROOT = Path(__file__).resolve().parent.parent
SEED_003 = ROOT / "examples" / "worked" / "seed_003.toml"
SEED_001 = ROOT / "examples" / "worked" / "seed_001.json"


def self_contained(fragment: str) -> None:
    """Nothing in the fragment would make the browser fetch anything, or run a script."""
    for pattern in (r"<script", r"<link", r"<img", r"<iframe", r"\bsrc\s*=", r"\bhref\s*=", r"url\(", r"@import"):
        assert not re.search(pattern, fragment, re.I), pattern


def parse(fragment: str) -> ET.Element:
    return ET.fromstring(fragment)


@pytest.fixture(scope="module")
def xor_trace():
    X, Y = cr.datasets.xor()
    net = cr.Network([2, 2, 1], seed=0)
    return net.explain(X[1:2], Y[1:2], learning_rate=0.5)


@pytest.fixture(scope="module")
def seed_003_report() -> CheckReport:
    return cr.load_example(SEED_003).check()


# -- Trace ------------------------------------------------------------------------


def test_trace_repr_is_a_short_summary(xor_trace):
    text = repr(xor_trace)
    assert len(text) < 200 and "\n" not in text
    assert text.startswith("<Trace: one step of a 2-2-1 sigmoid network, half_squared_error (mean), 1 sample,")
    assert f"learning rate 0.5, loss {xor_trace.loss:.6g}" in text
    assert len(xor_trace.to_text()) > 5 * len(text)  # the arrays are elsewhere


def test_trace_html_is_the_steps_sections_with_mathml(xor_trace):
    fragment = xor_trace._repr_html_()
    self_contained(fragment)
    root = parse(fragment)
    assert root.get("class") == "chainrule-step"
    formulas = list(root.iter("math"))
    assert len(formulas) >= 10
    # The output neuron's z and a, and the new weights, with the numbers the text shows.
    numbers = {e.text for e in root.iter("mn")}
    for value in (xor_trace.layers[1].z[0, 0], xor_trace.layers[1].a[0, 0], xor_trace.layers[0].new_weights[1, 0]):
        assert f"{abs(value):.4g}" in numbers
    assert f"{xor_trace.loss:.4g}" in fragment
    headings = [e.text for e in root if re.fullmatch(r"h[3-6]", e.tag)]
    assert headings == [s.heading.text for s in xor_trace.sections() if s.heading is not None]


def test_trace_markdown_is_to_markdown(xor_trace):
    assert xor_trace._repr_markdown_() == xor_trace.to_markdown()
    assert "$" in xor_trace._repr_markdown_()


# -- CheckReport --------------------------------------------------------------------


def test_check_report_repr_is_a_short_summary(seed_003_report):
    text = repr(seed_003_report)
    long = str(seed_003_report)
    assert len(long) > 1000 and len(text) < 160 and "\n" not in text
    assert text == (
        "<CheckReport: 15 values: 5 agree, 10 disagree (0 unexplained); "
        f"first slip {seed_003_report.first_slip}; print() it for the table>"
    )
    assert seed_003_report.first_slip.startswith("layers[0].delta")


def test_a_passing_report_says_so():
    example = cr.load_example(SEED_003)
    true = example.explain()
    published = {"layers[1].z[0][0]": f"{true.layers[1].z[0, 0]:.5f}", "layers[1].a[0][0]": "0.69"}
    report = cr.check_example(example.network, true.inputs, true.targets, true.learning_rate, published)
    assert report.passed
    assert repr(report) == "<CheckReport: 2 values: 2 agree; passed; print() it for the table>"
    assert "Every published value agrees." in report._repr_markdown_()


def published_of(path: Path) -> dict[str, str]:
    return dict(cr.load_example(path).published)


@pytest.mark.parametrize("path", [SEED_003, SEED_001], ids=lambda p: p.name)
def test_check_report_html_has_one_row_per_value_with_its_verdict(path):
    report = cr.load_example(path).check()
    fragment = report._repr_html_()
    self_contained(fragment)
    root = parse(fragment)
    rows = {
        tr.get("data-path"): [("".join(td.itertext())) for td in tr] for tr in root.iter("tr") if tr.get("data-path")
    }
    published = published_of(path)
    assert set(rows) == set(published)
    true = {a.path: a.true for a in report.agreements} | {d.path: d.true for d in report.disagreements}
    verdicts = {a.path: "agrees" for a in report.agreements}
    for d in report.disagreements:
        verdicts[d.path] = {"slip": "SLIP", "error": "ERROR"}.get(d.kind, d.kind)
        if d.kind == "follows":
            verdicts[d.path] = f"follows {d.follows_from}"
    for p, (cell_path, cell_published, cell_true, verdict) in rows.items():
        assert cell_path == p and cell_published == published[p]
        assert float(cell_true) == pytest.approx(true[p], rel=1e-6, abs=1e-12)
        assert verdict == verdicts[p]
    assert report.summary() in fragment
    for d in report.disagreements:
        assert d.diagnosis.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")[:40] in fragment


def test_check_report_markdown_table_and_notes(seed_003_report):
    markdown = seed_003_report._repr_markdown_()
    rows = [line for line in markdown.splitlines() if line.startswith("| `")]
    assert len(rows) == 15
    assert "| `layers[1].z[0][0]` | 0.80133 |" in markdown
    first = seed_003_report.slips[0]
    assert f"First slip: {first.path}: {first.diagnosis}" in markdown
    for note in seed_003_report.notes:
        assert f"Note: {note}" in markdown


def test_check_report_escapes_what_it_shows():
    net = cr.Network([2, 1], loss="half_squared_error", reduction="sum", seed=0)
    report = cr.check_example(net, [[0.5, 0.3]], [[1.0]], 0.1, {"layers[0].z[0][0]": "0.35"})
    report.notes.append("<script>alert(1)</script> & a | pipe")
    fragment = report._repr_html_()
    self_contained(fragment)
    parse(fragment)
    assert "&lt;script&gt;" in fragment
    markdown = report._repr_markdown_()
    assert "Note: &lt;script&gt;alert(1)&lt;/script&gt; &amp; a \\| pipe" in markdown


# -- Network and History ---------------------------------------------------------------


def test_network_html_lists_layers_and_parameters():
    net = cr.Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="binary_cross_entropy")
    fragment = net._repr_html_()
    self_contained(fragment)
    root = parse(fragment)
    cells = [["".join(td.itertext()) for td in tr] for tr in root.iter("tr")][1:]
    assert cells == [
        ["layers[0]", "hidden", "2 → 3", "tanh", "9"],
        ["layers[1]", "output", "3 → 1", "sigmoid", "4"],
        ["total", "13"],
    ]
    assert net.n_parameters == 13
    assert "not trained yet" in fragment
    net.fit([[0.0, 1.0]], [[1.0]], epochs=1)
    assert ", trained" in net._repr_html_()
    assert len(repr(net)) < 200


def test_history_html_draws_its_curves():
    X, y = cr.datasets.moons(40, seed=0)
    net = cr.Network([2, 4, 2], activation="tanh", loss="cross_entropy", seed=0)
    history = net.fit(X, y, epochs=6, learning_rate=0.1, validation_data=(X[:10], y[:10]))
    fragment = history._repr_html_()
    self_contained(fragment)
    root = parse(fragment)
    svgs = list(root.iter("{http://www.w3.org/2000/svg}svg"))
    assert [s.get("aria-label") for s in svgs] == ["Loss", "Accuracy"]
    lines = list(svgs[0].iter("{http://www.w3.org/2000/svg}polyline"))
    assert [p.get("data-series") for p in lines] == ["train", "validation"]
    assert all(len(p.get("points").split()) == 6 for p in lines)
    # The highest point of the training curve is its largest loss (SVG's y grows downwards).
    ys = [float(pt.split(",")[1]) for pt in lines[0].get("points").split()]
    assert int(np.argmin(ys)) == int(np.argmax(history.loss))
    assert f"last loss={history.loss[-1]:.6g}" in fragment


def test_a_plain_repl_shows_short_summaries():
    """``python -i``: what a learner sees on typing the name of a Trace or a CheckReport."""
    script = (
        "import chainrule as cr\n"
        f"report = cr.load_example({str(SEED_003)!r}).check()\n"
        "trace = cr.load_example(" + repr(str(SEED_003)) + ").explain()\n"
        "trace\n"
        "report\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        [sys.executable, "-i", "-q"], input=script, capture_output=True, text=True, env=env, timeout=120
    )
    shown = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(shown) == 2, result.stdout + result.stderr
    assert shown[0].startswith("<Trace: one step of a 2-2-1 sigmoid network") and len(shown[0]) < 200
    assert shown[1].startswith("<CheckReport: 15 values") and len(shown[1]) < 160
