"""The one notation table of the explained step: every symbol in its two spellings.

A :class:`Tex` is one piece of notation written for the terminal
(``text``, Unicode) and for Markdown math (``latex``). The text renderer,
the Markdown/LaTeX renderer and the HTML explainer page all take their
activation symbols and loss formulas from here.

Loss formulas for the terminal come from the losses' own ``formula``
attributes (:mod:`chainrule.core.losses`), respaced as the renderings write
them; their LaTeX spelling, which the core does not carry, is kept here.
Activation symbols (σ, tanh, relu, ...) are kept here too: the
activations' ``formula`` attributes spell out the function (``max(z, 0)``),
not the short name a formula line applies to z.
"""

from __future__ import annotations

from typing import NamedTuple

from ..core.losses import LOSSES

__all__ = ["ACTIVATION_SYMBOLS", "ARROW", "MUL", "Tex", "activation_symbol", "loss_formula", "sym"]


class Tex(NamedTuple):
    """One piece of notation: ``text`` for the terminal, ``latex`` for Markdown math."""

    text: str
    latex: str


#: f in a = f(z), by activation name.
ACTIVATION_SYMBOLS: dict[str, Tex] = {
    "sigmoid": Tex("σ", r"\sigma"),
    "tanh": Tex("tanh", r"\tanh"),
    "relu": Tex("relu", r"\mathrm{relu}"),
    "leaky_relu": Tex("lrelu", r"\mathrm{lrelu}"),
    "identity": Tex("id", r"\mathrm{id}"),
    "exp": Tex("exp", r"\exp"),
    "softmax": Tex("softmax", r"\mathrm{softmax}"),
}

#: The LaTeX spelling of each loss's ``formula`` (the text spelling is the loss's own).
_LOSS_LATEX = {
    "half_squared_error": r"L = \tfrac{1}{2}\sum (a - y)^2",
    "squared_error": r"L = \sum (a - y)^2",
    "mse": r"L = \tfrac{1}{K}\sum (a - y)^2",
    "binary_cross_entropy": r"L = -\sum [y \log a + (1 - y) \log(1 - a)]",
    "cross_entropy": r"L = -\sum y \log a",
    "mae": r"L = \tfrac{1}{K}\sum |a - y|",
    "poisson": r"L = \sum [a - y \log a + y \log y - y]",
}

#: The product and assignment signs of a formula line.
MUL = Tex("·", r" \cdot ")
ARROW = Tex(" ← ", r" \leftarrow ")


def activation_symbol(name: str) -> Tex:
    """f for the activation ``name`` (``σ`` / ``\\sigma`` for sigmoid); an unknown name is written as itself."""
    return ACTIVATION_SYMBOLS.get(name, Tex(name, rf"\mathrm{{{name}}}"))


def _respaced(formula: str) -> str:
    """A core ``formula`` as the renderings write it: ``a−y`` -> ``a - y``, a leading ``−`` -> ``-``."""
    out = []
    for i, char in enumerate(formula):
        if char != "−":
            out.append(char)
        elif i and formula[i - 1] == " ":
            out.append("-")
        else:
            out.append(" - ")
    return "".join(out)


def loss_formula(name: str) -> Tex:
    """L for the loss ``name``, e.g. ``L = ½·Σ(a - y)²``; an unknown name is written as itself."""
    loss = LOSSES.get(name)
    if loss is None or name not in _LOSS_LATEX:
        return Tex(name, name)
    return Tex(_respaced(loss.formula), _LOSS_LATEX[name])


def sym(base: str, index: tuple[int, ...], latex_base: str | None = None) -> Tex:
    """A symbol with 0-based indices: ``z[1]`` / ``z_{1}``, ``w[0,1]`` / ``w_{0,1}`` (``base`` alone for ``()``)."""
    latex_base = latex_base or base
    idx = ",".join(str(i) for i in index)
    text = f"{base}[{idx}]" if index else base
    latex = f"{latex_base}_{{{idx}}}" if index else latex_base
    return Tex(text, latex)
