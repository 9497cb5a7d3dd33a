"""A check report written out for the REPL and for Jupyter: a one-line summary, Markdown and HTML.

:class:`~chainrule.teaching.checker.CheckReport`'s ``str`` is the printed
table (``chainrule check``); these are its other renderings, built from the
same fields: :func:`report_summary` (what ``repr`` shows: counts and the
first slip, no arrays), :func:`report_markdown` and :func:`report_html` (a
table of every checked value with its verdict, then the diagnoses and
notes).
"""

from __future__ import annotations

import html

__all__ = ["report_html", "report_markdown", "report_summary"]

_VERDICT = {"rounding": "rounding", "convention": "convention", "slip": "SLIP", "error": "ERROR"}
_COLOUR = {
    "agrees": "#15803d",
    "rounding": "#15803d",
    "convention": "#1d4ed8",
    "SLIP": "#b91c1c",
    "ERROR": "#b91c1c",
    "follows": "#6b7280",
}


def _g(value: float) -> str:
    text = f"{value:.7g}"
    return "0" if text.lstrip("-").strip("0.") == "" else text


def _rows(report) -> list[tuple[str, str, str, str]]:
    """(path, published, true, verdict) in the report's order."""
    rows = {a.path: (a.published, _g(a.true), "agrees") for a in report.agreements}
    for d in report.disagreements:
        verdict = f"follows {d.follows_from}" if d.kind == "follows" else _VERDICT.get(d.kind, d.kind)
        rows[d.path] = (d.published, _g(d.true), verdict)
    order = [p for p in report.order if p in rows] or list(rows)
    return [(p, *rows[p]) for p in order]


def _conclusion(report) -> str:
    if report.slips:
        first = report.slips[0]
        return f"First slip: {first.path}: {first.diagnosis}"
    if any(d.kind == "convention" for d in report.disagreements):
        return "No slip: every difference is rounding or a sign convention."
    if report.disagreements:
        return "No slip: every difference is the example's own rounding."
    return "Every published value agrees."


def report_summary(report) -> str:
    """One line for ``repr``: ``<CheckReport: 15 values: 5 agree, 10 disagree (0 unexplained); first slip ...>``."""
    first = report.first_slip
    tail = f"; first slip {first}" if first else ("; passed" if report.passed else "")
    return f"<CheckReport: {report.summary()}{tail}; print() it for the table>"


def report_markdown(report) -> str:
    """The report as Markdown: the summary, a table (path, published, true, verdict), the diagnoses, the notes."""

    def cell(text: str) -> str:  # Markdown passes raw HTML through: a note's "<b>" is shown, not obeyed
        return html.escape(str(text), quote=False).replace("|", "\\|")

    lines = [f"**{cell(report.summary())}**", "", "| path | published | true | verdict |", "|---|---:|---:|---|"]
    lines += [f"| `{p}` | {cell(pub)} | {true} | {cell(v)} |" for p, pub, true, v in _rows(report)]
    if report.disagreements:
        lines += ["", "Diagnoses:", ""]
        lines += [f"- `{d.path}`: {cell(d.diagnosis)}" for d in report.disagreements]
    lines += ["", cell(_conclusion(report))]
    lines += [f"\nNote: {cell(note)}" for note in report.notes]
    return "\n".join(lines) + "\n"


def report_html(report) -> str:
    """The report as an HTML fragment (a notebook's rich output): the same parts as :func:`report_markdown`."""

    def e(text: str) -> str:
        return html.escape(str(text), quote=True)

    body = []
    for path, published, true, verdict in _rows(report):
        colour = _COLOUR.get(verdict.split()[0], "#1f2937")
        body.append(
            f'<tr data-path="{e(path)}"><td><code>{e(path)}</code></td><td style="text-align: right">{e(published)}'
            f'</td><td style="text-align: right">{e(true)}</td><td style="color: {colour}">{e(verdict)}</td></tr>'
        )
    out = [
        '<div class="chainrule-check">',
        f"<p><b>{e(report.summary())}</b></p>",
        "<table><thead><tr><th>path</th><th>published</th><th>true</th><th>verdict</th></tr></thead>",
        "<tbody>" + "".join(body) + "</tbody></table>",
    ]
    if report.disagreements:
        items = "".join(f"<li><code>{e(d.path)}</code>: {e(d.diagnosis)}</li>" for d in report.disagreements)
        out.append(f"<p>Diagnoses:</p><ul>{items}</ul>")
    out.append(f"<p>{e(_conclusion(report))}</p>")
    out += [f"<p><i>Note:</i> {e(note)}</p>" for note in report.notes]
    out.append("</div>")
    return "\n".join(out) + "\n"
