"""Tests for chainrule.teaching.sections: the explained step as data, built once."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.datasets import xor
from chainrule.teaching.notation import Tex
from chainrule.teaching.sections import Equation, Matrix, Num, Prose, Section, build_sections


@pytest.fixture
def trace():
    net = cr.Network([2, 3, 2, 1], activation="tanh", loss="mse", seed=1)
    X = np.array([[0.5, -0.2], [0.1, 0.7]])
    return net.explain(X, [[1.0], [0.0]], learning_rate=0.1)


def test_keys_in_reading_order(trace):
    keys = [s.key for s in trace.sections()]
    assert keys == [
        "header",
        "inputs",
        "forward",
        "forward-0",
        "forward-1",
        "forward-2",
        "loss",
        "backward-2",
        "backward-1",
        "backward-0",
        "update",
        "update-2",
        "update-1",
        "update-0",
    ]
    assert [s.level for s in trace.sections()][:4] == [0, 1, 1, 2]


def test_lines_hold_numbers_not_text(trace):
    sections = {s.key: s for s in trace.sections()}
    (loss,) = sections["loss"].lines
    assert isinstance(loss, Equation) and loss.parts[-1] == Num(trace.loss)
    first = sections["forward-0"].lines[0]
    assert first.parts[0] == Tex("z[0,0]", "z_{0,0}")
    assert first.parts[-1] == Num(trace.get("layers[0].z[0][0]"))
    assert all(isinstance(line, Prose) for line in sections["header"].lines)


def test_update_lines_say_gradient_or_update(trace):
    for section in trace.sections():
        roles = {line.role for line in section.lines if not isinstance(line, Prose)}
        if section.key.startswith("update-"):
            assert roles == {"gradient", "update"}
        else:
            assert roles <= {""}


def test_large_layers_become_matrices(trace):
    sections = {s.key: s for s in build_sections(trace, max_neurons=2, max_samples=4)}
    assert isinstance(sections["forward-0"].lines[1], Matrix)
    assert sections["forward-0"].lines[1].values is trace.layers[0].z
    assert not any(isinstance(line, Matrix) for line in sections["forward-2"].lines)


def test_one_build_renders_at_any_digits(trace):
    from chainrule.teaching.render import render_markdown, render_text

    sections = trace.sections()
    assert isinstance(sections[0], Section)
    for digits in (2, 4, 9):
        assert render_text(sections, digits) == trace.to_text(digits=digits)
        assert render_markdown(sections, digits) == trace.to_markdown(digits=digits)


def test_bad_sizes_are_refused(trace):
    with pytest.raises((TypeError, ValueError), match="max_neurons"):
        trace.sections(max_neurons=0)


def test_page_stages_come_from_keys_not_headings(trace, monkeypatch):
    from chainrule.web.explainer import stage_formulas

    before = stage_formulas(trace)
    build = cr.Trace.sections

    def reworded(self, *args, **kwargs):
        sections = build(self, *args, **kwargs)
        for section in sections:
            if section.heading is not None:
                section.heading = Tex("Reworded " + section.heading.text, section.heading.latex)
        return sections

    monkeypatch.setattr(cr.Trace, "sections", reworded)
    assert trace.to_text().count("Reworded ") == 13
    assert stage_formulas(trace) == before
    assert "backward-0" in before and before["update"][0] == "layers[2]:"


def test_the_output_error_states_the_sign_of_delta():
    """Issue 12 item 6: δ = ∂L/∂z, and the opposite sign some textbooks use, where the output error starts."""
    X, Y = xor()
    trace = cr.Network([2, 2, 1], seed=0).explain(X, Y)
    sections = {s.key: s for s in trace.sections()}
    first = sections["backward-1"].lines[:2]
    assert all(isinstance(line, Prose) for line in first)
    assert first[0].parts[0].text.startswith("δ = ∂L/∂z here")
    assert "δ = -∂L/∂z" in first[1].parts[0].text and "target - output" in first[1].parts[0].text
    assert not any(isinstance(line, Prose) for line in sections["backward-0"].lines)
