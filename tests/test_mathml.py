"""chainrule.teaching.mathml: the notation's LaTeX subset as presentation MathML.

Each construct the notation writes is checked for its MathML structure (the
tree, parsed as XML), and every formula of explained steps over the
activations and losses is checked to parse, to keep every number it holds
and to use no command outside the subset.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import chainrule as cr
from chainrule.teaching.mathml import COMMANDS, latex_to_mathml
from chainrule.teaching.render import format_number, line_mathml, render_html, render_markdown
from chainrule.teaching.sections import Equation, Matrix, Section


def tree(latex: str, display: bool = False) -> ET.Element:
    root = ET.fromstring(latex_to_mathml(latex, display=display))
    assert root.tag == "math"
    return root


def shape(element: ET.Element) -> str:
    """The tree as tags and leaf texts: ``msub(mi:z,mn:0)``."""
    if len(element) == 0:
        return f"{element.tag}:{element.text or ''}"
    return f"{element.tag}({','.join(shape(child) for child in element)})"


def body(latex: str) -> list[str]:
    return [shape(child) for child in tree(latex)]


def test_subscripts_numbers_and_operators():
    assert body(r"z_{0} = 0.2 \cdot 0.5") == ["msub(mi:z,mn:0)", "mo:=", "mn:0.2", "mo:·", "mn:0.5"]
    assert body(r"w_{k1}") == ["msub(mi:w,mrow(mi:k,mn:1))"]
    assert body(r"x_1^2") == ["msubsup(mi:x,mn:1,mn:2)"]
    assert body(r"a \odot b \leftarrow c") == ["mi:a", "mo:⊙", "mi:b", "mo:←", "mi:c"]


def test_minus_is_the_minus_sign_and_numbers_stay_whole():
    assert body("-12.375 - a") == ["mo:−", "mn:12.375", "mo:−", "mi:a"]


def test_fractions_of_partial_derivatives():
    (frac,) = tree(r"\frac{\partial L}{\partial a_{1}}")
    assert frac.tag == "mfrac" and len(frac) == 2
    assert shape(frac[0]) == "mrow(mi:∂,mi:L)"
    assert shape(frac[1]) == "mrow(mi:∂,msub(mi:a,mn:1))"
    assert frac[0][0].get("mathvariant") == "normal"  # an upright ∂
    assert shape(tree(r"\tfrac12")[0]) == "mfrac(mn:12,mrow:)"  # one token per argument, as LaTeX reads it


def test_sums_greek_letters_and_functions():
    (total, delta, w) = tree(r"\sum_{k} \delta_{k} w_{k1}")
    assert shape(total) == "msub(mo:∑,mi:k)" and total[0].get("largeop") == "true"
    assert shape(delta) == "msub(mi:δ,mi:k)"
    assert body(r"\sigma(z) \eta \lambda") == ["mi:σ", "mo:(", "mi:z", "mo:)", "mi:η", "mi:λ"]
    ((log, space),) = tree(r"\log")  # a word, upright, with a thin space after it
    assert log.text == "log" and log.get("mathvariant") == "normal" and space.tag == "mspace"


def test_powers_of_ten_as_the_renderer_writes_them():
    latex = format_number(-0.00001234, 4, latex=True)
    assert latex == r"-1.234 \times 10^{-5}"
    assert body(latex) == ["mo:−", "mn:1.234", "mo:×", "msup(mn:10,mrow(mo:−,mn:5))"]


def test_primes_transposes_and_fences():
    assert body("f'(z)") == ["msup(mi:f,mo:′)", "mo:(", "mi:z", "mo:)"]
    assert body(r"W^{\top}") == ["msup(mi:W,mi:⊤)"]
    ((left, minus, number, right),) = tree(r"\left(-0.5\right)")  # one group; a stretched glyph is wider
    assert (left.text, left.get("form"), right.text, right.get("form")) == ("(", "prefix", ")", "postfix")
    assert left.get("stretchy") == right.get("stretchy") == "false" and minus.text == "−" and number.text == "0.5"
    assert body(r"\left. a \right|") == ["mrow(mi:a,mo:|)"]
    assert tree(r"\big( a \big)")[0].get("minsize") == "1.2em"


def test_upright_text_and_spaces():
    assert body(r"\mathrm{new}") == ["mi:new"]
    assert tree(r"\mathrm{new}")[0].get("mathvariant") == "normal"
    assert body(r"\text{if } a") == ["mtext:if ", "mi:a"]
    assert body(r"a \quad b") == ["mi:a", "mspace:", "mi:b"]
    assert tree(r"a \quad b")[1].get("width") == "1em"


def test_nothing_is_dropped_and_markup_is_escaped():
    # An unknown command stays visible as its own text; a stray brace is shown.
    assert body(r"\foo x") == ["mtext:\\foo", "mi:x"]
    assert body("a}") == ["mi:a", "mo:}"]
    # <, > and & are text, not markup: the result still parses and reads them back.
    assert body(r"x < y \& z > 0") == ["mi:x", "mo:<", "mi:y", "mo:&", "mi:z", "mo:>", "mn:0"]
    assert "<mo>&lt;</mo>" in latex_to_mathml("x < y")
    assert body(r"\mathrm{<b>}") == ["mi:<b>"]


def test_display_block_and_bad_argument():
    assert tree("a", display=True).get("display") == "block"
    assert tree("a").get("display") is None
    with pytest.raises(TypeError, match="latex must be a str; got float"):
        latex_to_mathml(1.5)  # type: ignore[arg-type]


def test_the_subset_is_what_it_says():
    for name in ("frac", "sum", "partial", "delta", "mathrm", "left", "right", "cdot", "odot", "top", "quad"):
        assert name in COMMANDS
    for name in sorted(COMMANDS):
        if len(name) > 1 and name not in ("left", "right", "big", "Big", "bigg", "Bigg"):
            assert "<mtext>\\" not in latex_to_mathml(f"\\{name}{{a}}{{b}}"), name


NUMBER = re.compile(r"\d+(?:\.\d+)?")
TEXT = re.compile(r"\\text\{[^}]*\}")


def markdown_latex(line) -> str:
    """The LaTeX the Markdown renderer writes for one equation (between its ``- $`` and ``$``)."""
    markdown = render_markdown([Section("one", None, 1, [line])], 4).strip()
    assert markdown.startswith("- $") and markdown.endswith("$")
    return markdown[3:-1]


NETWORKS = [
    dict(sizes=[2, 2, 1], activation="sigmoid", loss="half_squared_error", reduction="sum"),
    dict(sizes=[2, 3, 1], activation="tanh", output_activation="sigmoid", loss="binary_cross_entropy"),
    dict(sizes=[3, 2, 3], activation="relu", loss="cross_entropy"),
    dict(sizes=[2, 2, 2], activation="leaky_relu", loss="mse", bias=False),
    dict(sizes=[2, 2], activation="identity", loss="squared_error", reduction="sum"),
]


def explained(spec: dict, n_samples: int = 2):
    net = cr.Network(seed=3, **spec)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, spec["sizes"][0]))
    if spec["loss"] == "cross_entropy":
        Y = rng.integers(0, spec["sizes"][-1], size=n_samples)
    elif spec["loss"] == "binary_cross_entropy":
        Y = rng.integers(0, 2, size=(n_samples, spec["sizes"][-1])).astype(float)
    else:
        Y = rng.normal(size=(n_samples, spec["sizes"][-1]))
    return net.explain(X, Y, learning_rate=0.5)


@pytest.mark.parametrize("spec", NETWORKS, ids=lambda s: f"{s['activation']}-{s['loss']}")
def test_every_formula_of_a_step_parses_keeps_its_numbers_and_stays_in_the_subset(spec):
    trace = explained(spec)
    n_equations = n_matrices = 0
    # Sample by sample (up to 4 samples), then as matrices (more than max_samples).
    for section in trace.sections() + trace.sections(max_samples=1):
        for line in section.lines:
            if isinstance(line, Equation):
                latex = markdown_latex(line)
                root = ET.fromstring(line_mathml(line, 4))
                assert "\\" not in "".join(root.itertext()), latex  # no command left untypeset
                mn = [e.text for e in root.iter("mn")]
                assert mn == NUMBER.findall(TEXT.sub("", latex)), latex  # every number, in order, whole
                words = [e.text for e in root.iter("mtext")]
                assert words == [w[6:-1] for w in TEXT.findall(latex)]  # \text{...} as its words
                n_equations += 1
            elif isinstance(line, Matrix):
                root = ET.fromstring(line_mathml(line, 4))
                (table,) = root.iter("mtable")
                values = np.atleast_2d(line.values)
                assert len(table) == min(values.shape[0], 7)
                cells = ["".join(cell.itertext()) for cell in table[0]]
                shown = [format_number(v, 4) for v in values[0]]
                if len(shown) > 7:
                    shown = shown[:3] + ["⋯"] + shown[-3:]
                as_typeset = [re.sub(r"e([+-])0*(\d+)", lambda m: "×10" + m[1].strip("+") + m[2], t) for t in shown]
                assert cells == [t.replace("-", "−") for t in as_typeset], (cells, shown)
                n_matrices += 1
    assert n_equations > 10 and n_matrices > 0


def test_the_step_as_html_is_well_formed_with_one_formula_per_line():
    trace = explained(NETWORKS[0], n_samples=1)
    fragment = render_html(trace.sections(), 4)
    root = ET.fromstring(fragment)  # well-formed: every element closed, every attribute quoted
    items = list(root.iter("li"))
    assert items and all(len(li.findall("math")) == 1 for li in items)
    # Each formula carries the terminal text of its line, e.g. the output's z with its numbers.
    texts = [li.get("data-text") for li in items]
    z = trace.layers[1].z[0, 0]
    assert any(t.startswith("z") and f"{z:.4g}" in t for t in texts), texts
    headings = [h.text for h in root if h.tag.startswith("h")]
    assert headings[0] == "One training step, explained"


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
