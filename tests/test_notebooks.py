"""The notebook of examples/notebooks/, executed by a real Jupyter kernel (nbclient) and exported (nbconvert).

The executed notebook's rich outputs are checked against the same objects
built here, in this process (same seed, same bits): the network's table,
the step's MathML with its numbers, the check's verdicts, History's curves
and the live view's data. The exported HTML is then opened in headless
Chromium (skipped, saying why, without Playwright or Chromium): the
formulas are laid out as MathML (nonzero boxes, numerators above
denominators), the live view plays, and nothing is requested.
"""

from __future__ import annotations

import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jinja2
import nbformat
import numpy as np
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbconvert import HTMLExporter

import chainrule as cr
from chainrule._live import live_data

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "notebooks" / "backprop_step.ipynb"
CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

# nbconvert's lab template loads require.js, MathJax and Mermaid from a CDN: this one leaves them out, so the
# exported page is as self-contained as chainrule's outputs in it (whose formulas are MathML, not MathJax).
OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def code_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def rich(cell, mime: str) -> str:
    """The ``mime`` data of the cell's result (its execute_result or display_data)."""
    for output in cell.outputs:
        if output.output_type in ("execute_result", "display_data") and mime in output.data:
            return output.data[mime]
    raise AssertionError(f"no {mime} output in cell {cell.source!r}: {cell.outputs}")


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell("import sys, chainrule\nprint(sys.executable)\nprint(chainrule.__file__)")
    )
    env_path = str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"], saved = env_path, os.environ.get("PYTHONPATH")
    try:  # the kernel inherits this process's environment: the chainrule under test
        NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
        ).execute()
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved
    return nb


@pytest.fixture(scope="module")
def expected():
    """The notebook's objects, built here the same way."""
    X, Y = cr.datasets.xor()
    net = cr.Network([2, 2, 1], activation="sigmoid", loss="half_squared_error", reduction="sum", seed=0)
    network_html = net._repr_html_()
    trace = net.explain(X[1:2], Y[1:2], learning_rate=0.5)
    report = cr.load_example(ROOT / "examples" / "worked" / "seed_003.toml").check()
    snapshots = cr.callbacks.Snapshots(X, Y, every=20, grid=31)
    history = net.fit(X, Y, epochs=1500, learning_rate=2.0, callbacks=[snapshots])
    return dict(net=net, network_html=network_html, trace=trace, report=report, history=history, snapshots=snapshots)


def test_the_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    cells = code_cells(nb)
    assert len(cells) >= 6
    assert all(cell.outputs == [] and cell.execution_count is None for cell in cells)
    assert nb.metadata.kernelspec.name == "python3"


def test_the_kernel_spec_runs_this_python():
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.language == "python"
    # jupyter_client puts the running interpreter in place of a spec's bare "python".
    assert KernelManager(kernel_name="python3").format_kernel_cmd()[0] == sys.executable


def test_the_kernel_was_this_python_with_this_chainrule(executed):
    lines = "".join(o.text for o in code_cells(executed)[-1].outputs if o.output_type == "stream").split()
    assert Path(lines[0]).resolve() == Path(sys.executable).resolve()
    assert Path(lines[1]).resolve() == (ROOT / "src" / "chainrule" / "__init__.py").resolve()


def test_no_cell_failed(executed):
    for cell in code_cells(executed):
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        assert not [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"], cell.source


def test_the_network_output(executed, expected):
    cell = code_cells(executed)[0]
    assert rich(cell, "text/html") == expected["network_html"]
    assert rich(cell, "text/plain") == repr(expected["net"])
    assert "<td>2 → 2</td>" in rich(cell, "text/html") and ">9</td>" in rich(cell, "text/html")


def test_the_explained_step_output(executed, expected):
    trace = expected["trace"]
    cell = code_cells(executed)[1]
    fragment = rich(cell, "text/html")
    assert fragment == trace._repr_html_()
    root = ET.fromstring(fragment)
    numbers = {e.text for e in root.iter("mn")}
    for value in (trace.layers[0].a[0, 1], trace.layers[1].z[0, 0], trace.layers[1].delta[0, 0], trace.loss):
        assert f"{abs(value):.4g}" in numbers, value
    markdown = rich(cell, "text/markdown")
    assert markdown == trace.to_markdown() and f"{trace.loss:.4g}" in markdown
    assert rich(cell, "text/plain") == repr(trace) and len(repr(trace)) < 200
    printed = "".join(o.text for o in code_cells(executed)[2].outputs)
    assert printed.strip() == repr(trace)


def test_the_check_output(executed, expected):
    report = expected["report"]
    cell = code_cells(executed)[3]
    html = rich(cell, "text/html")
    assert html == report._repr_html_()
    assert "15 values: 5 agree, 10 disagree (0 unexplained)" in html
    rows = re.findall(r'<tr data-path="([^"]+)">', html)
    assert len(rows) == 15 and "layers[0].delta[0][0]" in rows
    markdown = rich(cell, "text/markdown")
    assert markdown == report._repr_markdown_() and "| `layers[1].z[0][0]` | 0.80133 |" in markdown
    assert rich(cell, "text/plain") == repr(report)


def test_the_history_and_the_live_view(executed, expected):
    history, snapshots = expected["history"], expected["snapshots"]
    cells = code_cells(executed)
    curves = rich(cells[4], "text/html")
    assert curves == history._repr_html_() and f"last loss={history.loss[-1]:.6g}" in curves
    assert rich(cells[4], "text/plain") == "History(1500 epochs, last loss=0.00101546)"
    view = rich(cells[5], "text/html")
    data = json.loads(re.search(r'class="live-data">(.*?)</script>', view, re.S).group(1))
    assert data == live_data(snapshots)
    assert [f["epoch"] for f in data["frames"]] == list(range(0, 1501, 20))
    assert rich(cells[6], "text/plain") == repr(expected["net"].predict(cr.datasets.xor()[0]).round(3))
    np.testing.assert_array_less(np.abs(expected["net"].predict(cr.datasets.xor()[0]).ravel() - [0, 1, 1, 0]), 0.05)


def export(nb, template: str | None) -> str:
    if template is None:
        exporter = HTMLExporter()
    else:
        exporter = HTMLExporter(extra_loaders=[jinja2.DictLoader({"offline.html.j2": template})])
        exporter.template_file = "offline.html.j2"
    body, _ = exporter.from_notebook_node(nb)
    return body


def test_the_default_export_fetches_only_what_nbconvert_adds(executed):
    """chainrule's outputs add no URL; what the lab template fetches (require.js, MathJax, Mermaid) is its own."""
    page = export(executed, None)
    urls = set(re.findall(r"""(?:src|href)\s*=\s*["']?(https?://[^"' >]+)""", page))
    urls |= set(re.findall(r"""(?:url|import)\s*\(?\s*["'](https?://[^"']+)""", page))
    assert urls and all("cdnjs.cloudflare.com" in u or "unpkg.com" in u or "jsdelivr" in u for u in urls), urls
    outputs = "".join(json.dumps(o.get("data", {})) for cell in code_cells(executed) for o in cell.outputs)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", outputs)


# -- the exported page in the browser ------------------------------------------------------


@pytest.fixture(scope="module")
def exported(executed, tmp_path_factory):
    path = tmp_path_factory.mktemp("notebook-export") / "backprop_step.html"
    path.write_text(export(executed, OFFLINE_TEMPLATE), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright for Python is not installed (pip install playwright; never `playwright install`)",
    )
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def opened(browser, exported):
    url = exported.resolve().as_uri()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    blocked: list[str] = []
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    def route(r):
        if r.request.url == url:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.goto(url)
    yield page
    context.close()
    assert blocked == [], f"the exported notebook requested {blocked}"
    assert errors == [], f"script errors: {errors}"


def test_the_exported_notebooks_formulas_are_laid_out_as_mathml(opened, expected):
    boxes = opened.evaluate("""() => Array.from(document.querySelectorAll('.chainrule-step math')).map(m => {
        const r = m.getBoundingClientRect(); return [r.width, r.height, m.namespaceURI]; })""")
    n_lines = sum(1 for s in expected["trace"].sections() for _ in s.lines)
    assert len(boxes) >= 10 and len(boxes) <= n_lines
    assert all(w > 0 and h > 0 for w, h, _ in boxes)
    assert {ns for *_, ns in boxes} == {"http://www.w3.org/1998/Math/MathML"}  # parsed as MathML, not unknown tags
    # A fraction is typeset as one: the numerator above the denominator.
    fractions = opened.evaluate("""() => Array.from(document.querySelectorAll('.chainrule-step mfrac')).map(f => {
        const a = f.children[0].getBoundingClientRect(), b = f.children[1].getBoundingClientRect();
        return [a.bottom, b.top, a.height]; })""")
    assert fractions and all(num_bottom <= den_top + 0.5 and h > 0 for num_bottom, den_top, h in fractions)
    # Subscripts reach lower than their base, in a smaller type (MathML's script level).
    subs = opened.evaluate("""() => Array.from(document.querySelectorAll('.chainrule-step msub')).map(s => {
        const a = s.children[0], b = s.children[1], size = e => parseFloat(getComputedStyle(e).fontSize);
        return [a.getBoundingClientRect().bottom, b.getBoundingClientRect().bottom, size(b), size(a)]; })""")
    bad = [s for s in subs if not (s[1] > s[0] and s[2] < s[3])]
    assert subs and not bad, bad
    loss = f"{expected['trace'].loss:.4g}"
    assert loss in opened.inner_text(".chainrule-step")
    assert "15 values: 5 agree, 10 disagree" in opened.inner_text(".chainrule-check")


def test_the_exported_notebooks_live_view_plays(opened, expected):
    snapshots = expected["snapshots"]
    view = opened.locator(".chainrule-live")
    assert view.count() == 1 and view.get_attribute("data-epoch") == "1500"
    before = opened.get_attribute(".live-boundary", "d")
    opened.eval_on_selector(".live-slider", "s => { s.value = '10'; s.dispatchEvent(new Event('input')); }")
    assert view.get_attribute("data-epoch") == "200"
    assert opened.get_attribute(".live-boundary", "d") != before
    opened.click('.live-point-dot[data-index="3"]')
    p = snapshots.predictions[10][3, 0]
    assert f"target 0: output {p:.4g} after 200 epochs" in opened.inner_text(".live-point")
    opened.click(".live-play")
    opened.wait_for_function("() => parseInt(document.querySelector('.live-slider').value) >= 3", timeout=10000)
    opened.click(".live-play")
    assert view.get_attribute("data-playing") == "false"
