"""Tests for chainrule.teaching.mathml: signs and parenthesised numbers as the notation writes them."""

from __future__ import annotations

from chainrule.teaching.mathml import latex_to_mathml


def test_a_sign_is_a_prefix_and_a_subtraction_is_not():
    out = latex_to_mathml(r"w \leftarrow -0.2 - 0.5 \cdot 3 = -1")
    assert out.count('<mo form="prefix">−</mo>') == 2  # after ← and after =
    assert "<mn>0.2</mn><mo>−</mo><mn>0.5</mn>" in out  # the subtraction keeps its spacing
    assert latex_to_mathml("-x").startswith('<math><mo form="prefix">−</mo>')
    assert '<mo form="postfix" stretchy="false">)</mo><mo>−</mo>' in latex_to_mathml(
        "(a) - b"
    )  # after ")": a subtraction
    assert '<mo form="prefix" stretchy="false">(</mo><mo form="prefix">−</mo>' in latex_to_mathml("(-a)")
    assert '<mi>L</mi><mo lspace="0" rspace="0">/</mo>' in latex_to_mathml(r"\partial L/\partial z")


def test_left_right_fences_make_one_row_of_their_own():
    out = latex_to_mathml(r"0.5 \cdot \left(-0.03\right) = 1")
    assert (
        '<mrow><mo form="prefix" stretchy="false">(</mo><mo form="prefix">−</mo><mn>0.03</mn>'
        '<mo form="postfix" stretchy="false">)</mo></mrow>' in out
    )
    assert (
        latex_to_mathml(r"\left. x \right)")
        == '<math><mrow><mi>x</mi><mo form="postfix" stretchy="false">)</mo></mrow></math>'
    )


def test_a_function_name_is_upright_with_a_thin_space_after_it():
    assert latex_to_mathml(r"y \log a") == (
        '<math><mi>y</mi><mrow><mi mathvariant="normal">log</mi><mspace width="0.17em"></mspace></mrow>'
        "<mi>a</mi></math>"
    )
