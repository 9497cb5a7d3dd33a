"""Tests for chainrule.teaching.render: the section list written out as text and Markdown."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule.teaching.notation import MUL, Tex
from chainrule.teaching.render import format_number, latex_text, render_latex, render_markdown, render_text, text_lines
from chainrule.teaching.sections import Equation, Matrix, Num, Prose, Section


def test_format_number():
    assert format_number(0.123456, 4) == "0.1235"
    assert format_number(-0.0, 4) == "0"
    assert format_number(1.5e-7, 3) == "1.5e-07"
    assert format_number(1.5e-7, 3, latex=True) == r"1.5 \times 10^{-7}"


def test_negative_factors_get_parentheses():
    line = Equation((Tex("p", "p"), " = ", Num(-2.0), MUL, Num(-3.0, paren=True)))
    assert text_lines(line, 4) == ["p = -2·(-3)"]
    md = render_markdown([Section("s", None, 1, [line])], 4)
    assert md == "- $p = -2 \\cdot \\left(-3\\right)$\n"


def test_layout_of_headings_and_lines():
    sections = [
        Section(
            "header",
            Tex("Title", "Title"),
            0,
            [
                Prose(
                    ("about ", Tex("η", "$\\eta$")),
                )
            ],
        ),
        Section("part", Tex("Part", "Part"), 1),
        Section("part-0", Tex("layer", "layer"), 2, [Matrix(Tex("W", "W"), np.array([[1.0, 2.0]]))]),
    ]
    assert render_text(sections, 4) == "Title\n\nabout η\n\nPart\n  layer\n    W =\n      [[1 2]]\n"
    assert render_markdown(sections, 4) == (
        "# Title\n\nabout $\\eta$\n\n## Part\n\n### layer\n\n$$W = \\begin{bmatrix} 1 & 2 \\end{bmatrix}$$\n"
    )


def test_page_numbers_are_the_traces_scalars():
    trace = cr.Network([2, 2, 1], seed=0).explain([[0.1, 0.2]], [[1.0]])
    paths = dict(trace.scalars())
    assert list(paths)[:4] == ["loss", "inputs[0][0]", "inputs[0][1]", "targets[0][0]"]
    assert paths["layers[1].new_weights[0][1]"] == trace.get("layers[1].new_weights[0][1]")


def test_teaching_and_web_import_no_private_names_from_each_other():
    root = Path(cr.__file__).parent
    for path in [*sorted((root / "teaching").glob("*.py")), *sorted((root / "web").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
                assert not private, (path.name, node.module, private)


def test_latex_text_escapes_text_keeps_math_and_spells_the_unicode():
    assert latex_text("loss half_squared_error ($L = \\tfrac{1}{2}\\sum (a - y)^2$), 50% & #1") == (
        "loss half\\_squared\\_error ($L = \\tfrac{1}{2}\\sum (a - y)^2$), 50\\% \\& \\#1"
    )
    assert latex_text("δ = ∂L/∂z, 2 → 2; `layers[l].z` ~ {x} ☃") == (
        "$\\delta$ = $\\partial$L/$\\partial$z, 2 $\\to$ 2; \\texttt{layers[l].z} \\textasciitilde{} \\{x\\} ?"
    )


def test_render_latex_is_the_markdowns_math_with_latex_structure():
    trace = cr.Network([2, 1], seed=0).explain([[0.5, 0.3]], [[1.0]], 0.1)
    latex = render_latex(trace.sections(), 4)
    markdown = render_markdown(trace.sections(), 4)
    items = [line[len("- ") :] for line in markdown.splitlines() if line.startswith("- $")]
    assert items and [line[len("\\item ") :] for line in latex.splitlines() if line.startswith("\\item ")] == items
    assert latex.count("\\begin{itemize}") == latex.count("\\end{itemize}") > 0
    assert "\\section*{One training step, explained}" in latex and "\\subsection*{Forward pass}" in latex
