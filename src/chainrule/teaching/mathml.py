"""MathML from the LaTeX the notation writes: formulas typeset by the browser itself, nothing fetched.

The explained step's Markdown spells its formulas in a small subset of
LaTeX (:mod:`.notation`, :mod:`.sections`): symbols with subscripts,
``\\frac``, ``\\sum``, ``\\mathrm``, ``\\sqrt``, ``\\hat``, Greek letters, a few
operators and spaces. :func:`latex_to_mathml` turns that subset into presentation MathML,
which Chromium, Firefox and Safari render natively, so a page (the
explainer, a notebook's output, its HTML export) typesets its formulas
without MathJax or KaTeX. A command outside the subset is kept visible as
its own text (``\\foo``), never dropped; :data:`COMMANDS` lists the subset.

>>> latex_to_mathml(r"z_{0} = 0.2 \\cdot 0.5")
'<math><msub><mi>z</mi><mn>0</mn></msub><mo>=</mo><mn>0.2</mn><mo>·</mo><mn>0.5</mn></math>'
"""

from __future__ import annotations

import html
import re

__all__ = ["COMMANDS", "latex_to_mathml"]

_IDENTIFIERS = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "Delta": "Δ",
    "epsilon": "ε",
    "eta": "η",
    "lambda": "λ",
    "mu": "μ",
    "rho": "ρ",
    "sigma": "σ",
    "partial": "∂",
    "top": "⊤",
    "log": "log",
    "tanh": "tanh",
    "exp": "exp",
}
_OPERATORS = {
    "cdot": "·",
    "times": "×",
    "odot": "⊙",
    "leftarrow": "←",
    "rightarrow": "→",
    "to": "→",
    "approx": "≈",
    "sum": "∑",
    "vdots": "⋮",
    "ddots": "⋱",
    "cdots": "⋯",
    "ldots": "…",
}
_FUNCTIONS = {"log", "tanh", "exp"}
_SPACES = {"quad": "1em", "qquad": "2em", ",": "0.17em", ";": "0.28em", ":": "0.22em", " ": "0.25em", "!": "0em"}
_FENCES = {"left", "right", "big", "Big", "bigg", "Bigg"}
_FRACTIONS = {"frac", "tfrac", "dfrac"}
_TEXTS = {"mathrm", "text", "operatorname"}
_ROOTS_AND_ACCENTS = {"sqrt", "hat"}

#: Every command :func:`latex_to_mathml` understands.
COMMANDS = (
    frozenset(_IDENTIFIERS)
    | frozenset(_OPERATORS)
    | frozenset(_SPACES)
    | _FENCES
    | _FRACTIONS
    | _TEXTS
    | _ROOTS_AND_ACCENTS
)

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\d+(?:\.\d+)?|[A-Za-z]|\s+|.", re.S)


def _tokens(latex: str) -> list[str]:
    return _TOKEN.findall(latex)


def _e(text: str) -> str:
    return html.escape(text, quote=False)


class _Parser:
    def __init__(self, latex: str):
        self.tokens = _tokens(latex)
        self.i = 0

    def peek(self) -> str | None:
        """The next token, spaces skipped (LaTeX's math mode ignores them)."""
        while self.i < len(self.tokens) and self.tokens[self.i].isspace():
            self.i += 1
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> str | None:
        token = self.peek()
        self.i += 1
        return token

    def row(self, until: str | None = None) -> list[str]:
        out: list[str] = []
        while self.peek() is not None and self.peek() != until:
            if self.peek() == "}":  # a stray closing brace: shown, not lost
                self.take()
                out.append("<mo>}</mo>")
                continue
            if self.peek() == "-" and _opens(out):  # a sign, not a subtraction: no space after it
                self.take()
                out.append('<mo form="prefix">−</mo>')
                continue
            atom = self.atom()
            if atom is not None:
                out.append(self.scripts(atom))
        if until is not None and self.peek() == until:
            self.take()
        return out

    def group(self) -> str:
        """One argument: ``{...}`` or a single token's atom."""
        if self.peek() == "{":
            self.take()
            return _mrow(self.row("}"))
        atom = self.atom()
        return atom if atom is not None else "<mrow></mrow>"

    def raw_group(self) -> str:
        """The literal text of ``{...}`` (for ``\\mathrm`` and ``\\text``)."""
        if self.peek() != "{":
            return self.take() or ""
        self.take()
        depth, parts = 1, []
        while self.i < len(self.tokens):
            token = self.tokens[self.i]
            self.i += 1
            if token == "{":
                depth += 1
            elif token == "}":
                depth -= 1
                if depth == 0:
                    break
            parts.append(token)
        return "".join(p.lstrip("\\") if len(p) == 2 and p.startswith("\\") else p for p in parts)

    def fence(self, form: str) -> str:
        """The delimiter after ``\\left`` or ``\\right`` as an operator (``.``: none); the notation puts only numbers
        between them, so it keeps its size."""
        token = self.take() or ""
        token = token[1:] if token.startswith("\\") else token
        return "" if token in (".", "") else f'<mo form="{form}" stretchy="false">{_e(token)}</mo>'

    def scripts(self, base: str) -> str:
        sub = sup = None
        while self.peek() in ("_", "^"):
            kind = self.take()
            arg = self.group()
            if kind == "_":
                sub = arg
            else:
                sup = arg
        if self.peek() == "'" and sup is None:  # f' -> f with a prime
            self.take()
            sup = "<mo>′</mo>"
        if sub is not None and sup is not None:
            return f"<msubsup>{base}{sub}{sup}</msubsup>"
        if sub is not None:
            return f"<msub>{base}{sub}</msub>"
        if sup is not None:
            return f"<msup>{base}{sup}</msup>"
        return base

    def atom(self) -> str | None:
        token = self.take()
        if token is None:
            return None
        if token == "{":
            return _mrow(self.row("}"))
        if token.startswith("\\"):
            return self.command(token[1:])
        if token[0].isdigit():
            return f"<mn>{token}</mn>"
        if token.isalpha():
            return f"<mi>{token}</mi>"
        if token == "-":
            return "<mo>−</mo>"
        if token == "'":
            return "<mo>′</mo>"
        if token in "([":  # parentheses around a few symbols: the plain glyph (a stretched one is wider)
            return f'<mo form="prefix" stretchy="false">{token}</mo>'
        if token in ")]":
            return f'<mo form="postfix" stretchy="false">{token}</mo>'
        if token == "/":  # ∂L/∂z: a slash, not a spaced operator
            return '<mo lspace="0" rspace="0">/</mo>'
        if token in "_^":  # a script with no base
            self.i -= 1
            return "<mrow></mrow>"
        return f"<mo>{_e(token)}</mo>"

    def command(self, name: str) -> str:
        if name in _IDENTIFIERS:
            value = _IDENTIFIERS[name]
            variant = ' mathvariant="normal"' if len(value) > 1 or name in ("partial", "top") else ""
            if name in _FUNCTIONS:  # log a: a thin space after the function's name, as TeX sets it
                return f'<mrow><mi{variant}>{value}</mi><mspace width="0.17em"></mspace></mrow>'
            return f"<mi{variant}>{value}</mi>"
        if name in _OPERATORS:
            attrs = ' largeop="true"' if name == "sum" else ""
            return f"<mo{attrs}>{_OPERATORS[name]}</mo>"
        if name in _SPACES:
            return f'<mspace width="{_SPACES[name]}"></mspace>'
        if name == "left":  # \left( ... \right): one row, so the fences stretch to its contents only
            opening = self.fence("prefix")
            inner = self.row("\\right")
            closing = self.fence("postfix")
            return f"<mrow>{opening}{''.join(inner)}{closing}</mrow>"
        if name in _FENCES:
            fence = self.take() or ""
            fence = fence[1:] if fence.startswith("\\") else fence
            if fence == ".":
                return "<mrow></mrow>"
            stretch = "true" if name in ("left", "right") else "false"
            size = {"big": "1.2em", "Big": "1.6em", "bigg": "2.0em", "Bigg": "2.4em"}.get(name)
            extra = f' minsize="{size}" maxsize="{size}"' if size else ""
            return f'<mo stretchy="{stretch}"{extra}>{_e(fence)}</mo>'
        if name in _FRACTIONS:
            top, bottom = self.group(), self.group()
            return f"<mfrac>{top}{bottom}</mfrac>"
        if name == "sqrt":
            return f"<msqrt>{self.group()}</msqrt>"
        if name == "hat":
            return f'<mover accent="true">{self.group()}<mo>^</mo></mover>'
        if name in _TEXTS:
            text = self.raw_group()
            if name == "text":
                return f"<mtext>{_e(text)}</mtext>"
            return f'<mi mathvariant="normal">{_e(text)}</mi>'
        if len(name) == 1:  # \{ \} \% \_ ...
            return f"<mo>{_e(name)}</mo>"
        return f"<mtext>{_e(chr(92) + name)}</mtext>"


def _opens(items: list[str]) -> bool:
    """Whether a ``-`` coming after ``items`` is a sign: at the start, or after an operator or an opening fence."""
    if not items:
        return True
    last = items[-1]
    if not last.startswith("<mo"):
        return False
    return last[last.index(">") + 1 : -len("</mo>")] not in (")", "]", "}", "|", "′")


def _mrow(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"<mrow>{''.join(items)}</mrow>"


def latex_to_mathml(latex: str, display: bool = False) -> str:
    """``latex`` (the notation's subset, see the module docstring) as one ``<math>`` element.

    Parameters
    ----------
    latex : str
        A formula without ``$`` delimiters.
    display : bool
        Typeset as a block (``display="block"``) rather than inline.
    """
    if not isinstance(latex, str):
        raise TypeError(f"latex must be a str; got {type(latex).__name__}")
    body = "".join(_Parser(latex).row())
    attrs = ' display="block"' if display else ""
    return f"<math{attrs}>{body}</math>"
