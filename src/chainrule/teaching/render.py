"""Renderers of the section list (:mod:`.sections`): terminal text, Markdown with LaTeX math, HTML with MathML.

The sections are built once; each renderer only writes them out, with the
numbers formatted to the digits it is asked for. :func:`text_lines` gives
one line of a section as the terminal shows it and :func:`line_mathml` the
same line typeset (MathML, from the Markdown's LaTeX), for the HTML
explainer page, which lays the sections out itself; :func:`render_html` is
the whole list as an HTML fragment (a notebook's rich output);
:func:`render_latex` the list as the body of a LaTeX document (a PDF).
"""

from __future__ import annotations

import html
import re

import numpy as np

from .mathml import latex_to_mathml
from .notation import Tex
from .sections import Equation, Line, Matrix, Num, Part, Prose, Section

__all__ = [
    "format_number",
    "latex_text",
    "line_mathml",
    "prose_html",
    "render_html",
    "render_latex",
    "render_markdown",
    "render_text",
    "text_lines",
]


def format_number(value: float, digits: int, latex: bool = False) -> str:
    """``value`` to ``digits`` significant digits (``-0`` as ``0``); ``latex``: powers of ten as ``\\times 10^{k}``."""
    text = f"{float(value):.{digits}g}"
    if text in ("-0", "+0"):
        text = "0"
    if latex and "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa} \\times 10^{{{int(exponent)}}}"
    return text


def _part(part: Part, digits: int, latex: bool) -> str:
    if isinstance(part, Tex):
        return part.latex if latex else part.text
    if isinstance(part, str):
        return part
    text = format_number(part.value, digits, latex)
    if isinstance(part, Num) and part.paren and part.value < 0:
        return f"\\left({text}\\right)" if latex else f"({text})"
    return text


def _body(parts, digits: int, latex: bool) -> str:
    return "".join(_part(p, digits, latex) for p in parts)


def _elide(n: int, keep: int = 3) -> list[int | None]:
    """Row or column indices to show of ``n``: all, or the first and last ``keep`` around a ``None`` gap."""
    if n <= 2 * keep + 1:
        return list(range(n))
    return list(range(keep)) + [None] + list(range(n - keep, n))


def text_lines(line: Line, digits: int) -> list[str]:
    """One line of a section as terminal text, without its indent.

    An equation or a paragraph is one string; a matrix (values of shape
    (rows, cols) or (n,)) is ``"name ="`` and then its rows, indented by 2
    (NumPy's layout, elided past 64 values).
    """
    if isinstance(line, Matrix):
        text = np.array2string(
            line.values,
            separator=" ",
            threshold=64,
            edgeitems=3,
            max_line_width=100,
            formatter={"float_kind": lambda v: format_number(v, digits)},
        )
        return [f"{line.name.text} ="] + ["  " + row for row in text.splitlines()]
    return [_body(line.parts, digits, latex=False)]


def _markdown_lines(line: Line, digits: int) -> list[str]:
    if isinstance(line, Matrix):
        array = np.atleast_2d(line.values)
        rows = _elide(array.shape[0])
        cols = _elide(array.shape[1])
        cells = []
        for r in rows:
            if r is None:
                cells.append(" & ".join(r"\vdots" if c is not None else r"\ddots" for c in cols))
                continue
            cells.append(" & ".join(r"\cdots" if c is None else format_number(array[r, c], digits, True) for c in cols))
        body = r" \\ ".join(cells)
        return [f"$${line.name.latex} = \\begin{{bmatrix}} {body} \\end{{bmatrix}}$$"]
    body = _body(line.parts, digits, latex=True)
    return [f"- ${body}$"] if isinstance(line, Equation) else [body]


def render_text(sections: list[Section], digits: int) -> str:
    """The sections as terminal text: equations and matrices indented by 4, layer headings by 2."""
    out: list[str] = []
    for section in sections:
        if section.level <= 1 and out and out[-1]:
            out.append("")
        if section.heading is not None:
            out.append(("  " if section.level == 2 else "") + section.heading.text)
        if section.level == 0:
            out.append("")
        for line in section.lines:
            indent = "" if section.level == 0 else "    "  # the header's paragraphs start the line
            out += [indent + text for text in text_lines(line, digits)]
    return "\n".join(out).rstrip() + "\n"


def render_markdown(sections: list[Section], digits: int) -> str:
    """The sections as Markdown: ``#`` headings, one ``- $...$`` item per equation, ``$$...$$`` matrices."""
    out: list[str] = []
    for section in sections:
        if (section.heading is not None or section.level <= 1) and out and out[-1]:
            out.append("")
        if section.heading is not None:
            out += ["#" * (section.level + 1) + " " + section.heading.latex, ""]
        for k, line in enumerate(section.lines):
            out += _markdown_lines(line, digits)
            after = section.lines[k + 1] if k + 1 < len(section.lines) else None
            if isinstance(line, Prose) and section.level > 0 and not isinstance(after, Prose):
                out.append("")  # a blank line between a paragraph and the formulas' list
    return "\n".join(out).rstrip() + "\n"


#: Characters the renderings write in running text, as pdflatex (no Unicode fonts) spells them.
_LATEX_TEXT_CHARS = {
    "→": r"$\to$",
    "←": r"$\leftarrow$",
    "δ": r"$\delta$",
    "∂": r"$\partial$",
    "·": r"$\cdot$",
    "σ": r"$\sigma$",
    "η": r"$\eta$",
    "Σ": r"$\Sigma$",
    "½": r"$\tfrac{1}{2}$",
    "−": "-",
    "⊙": r"$\odot$",
    "ᵀ": r"$^\top$",
    "²": r"$^2$",
    "′": "'",
    "…": r"\ldots{}",
    "≈": r"$\approx$",
    "×": r"$\times$",
    "–": "--",
    "—": "---",
    "’": "'",
    "“": "``",
    "”": "''",
}
_LATEX_SPECIAL = {c: "\\" + c for c in "#$%&_{}"} | {
    "\\": r"$\backslash$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"$<$",
    ">": r"$>$",
}


def latex_text(text: str) -> str:
    """Running text with ``$...$`` math and ```code``` (the Markdown spelling) as LaTeX for pdflatex.

    Outside the math, LaTeX's special characters are escaped, code is set in
    ``\\texttt``, and the Unicode the renderings use (δ, ∂, →, ...) is spelt
    in LaTeX; any other non-ASCII character becomes ``?`` (pdflatex has no font for it).
    """
    out = []
    for i, piece in enumerate(text.split("$")):
        if i % 2:
            out.append(f"${piece}$")
            continue
        for j, chunk in enumerate(piece.split("`")):
            chars = []
            for char in chunk:
                if char in _LATEX_SPECIAL:
                    chars.append(_LATEX_SPECIAL[char])
                elif char in _LATEX_TEXT_CHARS:
                    chars.append(_LATEX_TEXT_CHARS[char])
                elif ord(char) > 127:
                    chars.append("?")
                else:
                    chars.append(char)
            escaped = "".join(chars)
            out.append(f"\\texttt{{{escaped}}}" if j % 2 else escaped)
    return "".join(out)


def _latex_lines(line: Line, digits: int) -> list[str]:
    if isinstance(line, Matrix):
        return [_markdown_lines(line, digits)[0].replace("$$", "\\[", 1).replace("$$", "\\]", 1)]
    if isinstance(line, Equation):
        return [f"\\item ${_body(line.parts, digits, latex=True)}$"]
    return [latex_text(_body(line.parts, digits, latex=True)) + "\\par"]


def render_latex(sections: list[Section], digits: int) -> str:
    """The sections as the body of a LaTeX document (amsmath): headings, ``itemize`` of equations, matrices.

    Level-0 headings are ``\\section*``, level 1 ``\\subsection*``, level 2
    ``\\subsubsection*`` (deeper ones ``\\paragraph*``); the numbers and formulas
    are those of :func:`render_markdown`.
    """
    commands = ("section", "subsection", "subsubsection")
    out: list[str] = []
    for section in sections:
        if section.heading is not None:
            command = commands[section.level] if section.level < len(commands) else "paragraph"
            out.append(f"\\{command}*{{{latex_text(section.heading.latex)}}}")
        in_list = False
        for line in section.lines:
            if isinstance(line, Equation) != in_list:
                out.append("\\begin{itemize}" if not in_list else "\\end{itemize}")
                in_list = not in_list
            out += _latex_lines(line, digits)
        if in_list:
            out.append("\\end{itemize}")
    return "\n".join(out) + "\n"


def line_mathml(line: Line, digits: int) -> str:
    """One equation or matrix as a ``<math>`` element (a paragraph: its text, HTML-escaped).

    The formula is the Markdown's LaTeX (:func:`render_markdown`), typeset
    by :func:`.mathml.latex_to_mathml`; a matrix is a bracketed ``<mtable>``,
    elided like the Markdown's past 7 rows or columns.
    """
    if isinstance(line, Matrix):
        array = np.atleast_2d(line.values)
        rows = []
        for r in _elide(array.shape[0]):
            cells = []
            for c in _elide(array.shape[1]):
                if r is None:
                    cell = "<mo>⋮</mo>" if c is not None else "<mo>⋱</mo>"
                elif c is None:
                    cell = "<mo>⋯</mo>"
                else:
                    cell = latex_to_mathml(format_number(array[r, c], digits, True))[6:-7]
                cells.append(f"<mtd>{cell}</mtd>")
            rows.append(f"<mtr>{''.join(cells)}</mtr>")
        name = latex_to_mathml(line.name.latex)[6:-7]
        table = f'<mrow><mo>[</mo><mtable columnalign="right">{"".join(rows)}</mtable><mo>]</mo></mrow>'
        return f"<math><mrow>{name}<mo>=</mo>{table}</mrow></math>"
    if isinstance(line, Equation):
        return latex_to_mathml(_body(line.parts, digits, latex=True))
    return html.escape(_body(line.parts, digits, latex=False), quote=False)


def _notation_html(text: str) -> str:
    """Text with ``$...$`` math (typeset as MathML) and ```code``` (as ``<code>``); the rest HTML-escaped."""
    out = []
    for piece in re.split(r"(\$[^$]+\$|`[^`]+`)", text):
        if piece.startswith("$") and piece.endswith("$") and len(piece) > 1:
            out.append(latex_to_mathml(piece[1:-1]))
        elif piece.startswith("`") and piece.endswith("`") and len(piece) > 1:
            out.append(f"<code>{html.escape(piece[1:-1], quote=False)}</code>")
        else:
            out.append(html.escape(piece, quote=False))
    return "".join(out)


def prose_html(line: Prose, digits: int) -> str:
    """A paragraph as HTML: its words escaped, its notation typeset as inline MathML.

    A :class:`~.notation.Tex` part is written from its Markdown spelling
    (``$...$`` math as MathML, ```...``` as ``<code>``); a plain ``str`` part
    (a note, a title) is only escaped, whatever ``$`` it holds; numbers are
    formatted to ``digits`` significant digits.
    """
    out = []
    for part in line.parts:
        if isinstance(part, Tex):
            out.append(_notation_html(part.latex))
        else:
            out.append(html.escape(_part(part, digits, latex=False), quote=False))
    return "".join(out)


def render_html(sections: list[Section], digits: int) -> str:
    """The sections as an HTML fragment: headings, paragraphs, one MathML formula per line.

    Each formula line carries its terminal text (:func:`text_lines`) in a
    ``data-text`` attribute; nothing outside the fragment is needed to read it.
    """
    out = ['<div class="chainrule-step">']
    for section in sections:
        if section.heading is not None:
            tag = f"h{min(section.level + 3, 6)}"
            out.append(f"<{tag}>{html.escape(section.heading.text, quote=False)}</{tag}>")
        items = []
        for line in section.lines:
            if isinstance(line, Prose):
                out.append(f"<p>{line_mathml(line, digits)}</p>")
                continue
            text = html.escape("\n".join(text_lines(line, digits)), quote=True)
            items.append(f'<li data-text="{text}">{line_mathml(line, digits)}</li>')
        if items:
            out.append('<ul style="list-style: none; padding-left: 1em">' + "".join(items) + "</ul>")
    out.append("</div>")
    return "\n".join(out) + "\n"
