"""Tests for chainrule.teaching.notation: the one table of symbols the renderings and the page share."""

from __future__ import annotations

import pytest

from chainrule.core.activations import ACTIVATIONS
from chainrule.core.losses import LOSSES
from chainrule.teaching.notation import ACTIVATION_SYMBOLS, Tex, activation_symbol, loss_formula, sym


def test_every_activation_and_loss_has_notation():
    assert set(ACTIVATION_SYMBOLS) == set(ACTIVATIONS)
    for name in LOSSES:
        formula = loss_formula(name)
        assert formula.text != name and formula.latex.startswith("L = ")


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_text_is_the_losses_own_formula_respaced(name):
    own = LOSSES[name].formula
    assert loss_formula(name).text.replace(" - ", "−").replace("= -", "= −") == own
    assert "−" not in loss_formula(name).text


def test_loss_formulas_as_the_renderings_write_them():
    assert loss_formula("half_squared_error") == Tex("L = ½·Σ(a - y)²", r"L = \tfrac{1}{2}\sum (a - y)^2")
    assert loss_formula("binary_cross_entropy").text == "L = -Σ[y·log a + (1 - y)·log(1 - a)]"
    assert loss_formula("cross_entropy").text == "L = -Σ y·log a"


def test_sigmoid_symbol_is_the_one_of_its_formula():
    assert ACTIVATIONS["sigmoid"].formula.startswith(activation_symbol("sigmoid").text + "(z)")
    assert ACTIVATIONS["tanh"].formula.startswith(activation_symbol("tanh").text + "(z)")


def test_unknown_names_are_written_as_themselves():
    assert activation_symbol("swish") == Tex("swish", r"\mathrm{swish}")
    assert loss_formula("huber") == Tex("huber", "huber")


def test_sym_indices():
    assert sym("z", (1,)) == Tex("z[1]", "z_{1}")
    assert sym("∂L/∂w", (0, 2), r"\partial L/\partial w") == Tex("∂L/∂w[0,2]", r"\partial L/\partial w_{0,2}")
    assert sym("L", ()) == Tex("L", "L")
