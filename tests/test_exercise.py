"""Tests for chainrule.teaching.exercise: drawn exercises are clean, their keys are explain's and check agrees."""

from __future__ import annotations

import itertools
import json
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import tomllib

import chainrule as cr
from chainrule.teaching.examples import example_from_dict
from chainrule.teaching.exercise import compile_latex, latex_engine, problems
from chainrule.teaching.render import format_number

ROOT = Path(__file__).resolve().parents[1]
SEED_003 = ROOT / "examples" / "worked" / "seed_003.toml"

ACTIVATIONS = ("sigmoid", "tanh", "relu")
LOSSES = ("half_squared_error", "squared_error", "mse", "binary_cross_entropy", "cross_entropy")
#: The stress test's grid: activation x loss x bias x steps (90 specifications), drawn round-robin.
GRID = list(itertools.product(ACTIVATIONS, LOSSES, (True, False), (1, 2, 3)))


def _spec(n: int) -> dict:
    activation, loss, bias, steps = GRID[n % len(GRID)]
    sizes = [2, 2, 2] if loss == "cross_entropy" else [2, 2, 1]
    return {"sizes": sizes, "activation": activation, "loss": loss, "bias": bias, "steps": steps}


def _published(example) -> list[dict[str, str]]:
    return [example.published] + [later["published"] for later in example.steps]


def _decimals(value: float) -> int:
    return max(0, -Decimal(repr(float(value))).normalize().as_tuple().exponent)


# -- the stress test -------------------------------------------------------------
def test_500_drawn_exercises_have_keys_that_are_explains_and_check_agrees():
    """500 exercises over the grid: each key, read back from its TOML, is explain's numbers; all agree; clean."""
    for n in range(500):
        ex = cr.exercise(seed=n, **_spec(n))
        example = example_from_dict(tomllib.loads(ex.to_toml()))
        published = _published(example)
        assert example.n_steps == ex.steps == _spec(n)["steps"]
        for k, trace in enumerate(example.explain_steps(), start=1):
            assert problems(trace) == [], (n, k)
            assert set(published[k - 1]) == {"loss"} | {p for p in trace.paths() if not p.endswith(("weights", "bias"))}
            for path, text in published[k - 1].items():
                assert format_number(trace.get(path), 4) == text, (n, k, path)
        report = example.check()
        assert report.passed and not report.disagreements, n
        assert len(report.agreements) == sum(len(p) for p in published)


# -- determinism and nice numbers ---------------------------------------------------
def test_same_seed_same_exercise_bit_for_bit_and_another_seed_another():
    a = cr.exercise(seed=11, steps=2, activation="tanh")
    b = cr.exercise(seed=11, steps=2, activation="tanh")
    assert a.to_toml() == b.to_toml() and a.to_json() == b.to_json()
    assert a.key_markdown() == b.key_markdown() and a.sheet_markdown() == b.sheet_markdown()
    assert a.practice_pages() == b.practice_pages()
    for ta, tb in zip(a.traces, b.traces):
        assert ta.to_json() == tb.to_json()
    assert cr.exercise(seed=12, steps=2, activation="tanh").to_toml() != a.to_toml()


@pytest.mark.parametrize("n", range(0, 90, 7))
def test_given_numbers_are_nice(n):
    ex = cr.exercise(seed=n, **_spec(n))
    layers = ex.data["layers"]
    given = [v for entry in layers for key in ("weights", "bias") for v in np.ravel(entry.get(key, []))]
    given += list(np.ravel(ex.data["step"]["inputs"]))
    for later in ex.data.get("steps", []):
        given += list(np.ravel(later["inputs"]))
    assert given and all(0.05 <= abs(v) <= 0.95 and _decimals(v) <= 2 for v in given)
    targets = np.ravel([ex.data["step"]["targets"]] + [s["targets"] for s in ex.data.get("steps", [])])
    assert all(_decimals(float(v)) <= 2 and abs(v) <= 1 for v in targets)
    if _spec(n)["loss"] in ("binary_cross_entropy", "cross_entropy"):
        assert set(targets) <= {0.0, 1.0}


def test_a_later_step_starts_from_the_printed_new_weights_of_the_step_before():
    ex = cr.exercise(seed=4, steps=3)
    for k in (1, 2):
        before, after = ex.traces[k - 1], ex.traces[k]
        for l, layer in enumerate(after.layers):
            printed = [
                [
                    float(ex.example.published[f"layers[{l}].new_weights[{j}][{i}]"])
                    if k == 1
                    else float(ex.example.steps[k - 2]["published"][f"layers[{l}].new_weights[{j}][{i}]"])
                    for i in range(layer.weights.shape[1])
                ]
                for j in range(layer.weights.shape[0])
            ]
            assert layer.weights.tolist() == printed
            assert np.allclose(layer.weights, before.layers[l].new_weights, atol=5e-4 * np.abs(layer.weights).max())
    # one step of the engine from those weights is the trace: what fit runs
    net = cr.Network([2, 2, 1], activation="sigmoid", loss="half_squared_error", reduction="sum")
    for layer, recorded in zip(net.layers, ex.traces[2].layers):
        layer.weights, layer.bias = recorded.weights, recorded.bias
    net.fit(ex.traces[2].inputs, ex.traces[2].targets, epochs=1, learning_rate=0.5, batch_size=None)
    for layer, recorded in zip(net.layers, ex.traces[2].layers):
        assert np.array_equal(layer.weights, recorded.new_weights) and np.array_equal(layer.bias, recorded.new_bias)


# -- what makes a step degenerate ---------------------------------------------------
def _trace(weights, bias, x, y, activation="sigmoid", loss="half_squared_error", lr=0.5):
    sizes = [len(x)] + [len(w) for w in weights]
    net = cr.Network(sizes, activation=activation, loss=loss, reduction="sum", bias=bias is not None)
    for l, layer in enumerate(net.layers):
        layer.weights = weights[l]
        if bias is not None:
            layer.bias = bias[l]
    return net.explain([x], [y], lr)


def test_problems_names_a_value_on_a_rounding_boundary():
    # z = 0.5·0.24690 = 0.12345: exactly halfway at 4 significant digits
    trace = _trace([[[0.5]]], [[0.0]], [0.2469], [0.9], activation="identity", loss="half_squared_error")
    found = problems(trace)
    assert any(p.startswith("layers[0].z[0][0] = 0.12345 is near a rounding boundary") for p in found)
    assert not any("layers[0].z[0][0]" in p for p in problems(trace, margin=0.0))


def test_problems_names_a_saturated_sigmoid_and_tanh():
    found = problems(_trace([[[0.9, 0.9], [0.3, -0.2]], [[0.5, 0.4]]], None, [4.0, 3.0], [0.2]))
    assert any("layers[0].z[0][0] = 6.3: the sigmoid is saturated" in p for p in found)
    found = problems(_trace([[[0.9, 0.9], [0.3, -0.2]], [[0.5, 0.4]]], None, [4.0, 3.0], [0.2], activation="tanh"))
    assert any("the tanh is saturated" in p for p in found)


def test_problems_names_a_dead_relu_unless_allowed_and_its_zero_updates_then_pass():
    trace = _trace([[[-0.5, -0.4], [0.3, 0.2]], [[0.5, 0.4]]], [[-0.1, 0.1], [0.2]], [0.3, 0.6], [0.9], "relu")
    assert any(p.startswith("layers[0]: dead ReLU neuron [0]") for p in problems(trace))
    assert not any("dead" in p or "does not show" in p for p in problems(trace, dead_relu=True))
    # the dead neuron's weights and its outgoing weight do not move: what the allowance exempts
    assert np.array_equal(trace.layers[0].new_weights[0], trace.layers[0].weights[0])
    assert trace.layers[1].grad_weights[0, 0] == 0.0


def test_problems_names_a_zero_gradient_twins_and_equal_inputs():
    # a = y: nothing to learn
    trace = _trace([[[0.5, 0.2]]], [[0.1]], [0.4, 0.5], [0.4], activation="identity")
    assert any("the update does not show" in p for p in problems(trace))
    trace = _trace([[[0.5, 0.2], [0.5, 0.2]], [[0.3, 0.7]]], [[0.1, 0.1], [0.2]], [0.4, 0.4], [0.9])
    found = problems(trace)
    assert "layers[0].weights: two neurons have the same incoming weights (they stay twins)" in found
    assert "inputs[0]: all inputs are equal" in found
    assert "layers[0].z[0]: all 2 values are equal" in found


def test_a_relu_on_its_kink_and_a_saturated_softmax():
    trace = _trace([[[0.5, -0.25], [0.3, 0.2]], [[0.5, 0.4]]], [[0.0, 0.1], [0.2]], [0.5, 1.0], [0.9], "relu")
    assert any("layers[0].z[0][0] = 0 is on the ReLU's kink" in p for p in problems(trace))
    trace = _trace(
        [[[0.9, 0.9], [0.3, 0.2]], [[4.0, 3.0], [-4.0, -3.0]]], None, [0.9, 0.9], [1.0, 0.0], "sigmoid", "cross_entropy"
    )
    assert any("a softmax output above 0.95" in p for p in problems(trace))


def test_dead_relu_asked_for_gives_one_in_step_1():
    ex = cr.exercise(seed=3, activation="relu", dead_relu=True, steps=2)
    first = ex.traces[0].layers[0]
    dead = np.flatnonzero((first.z <= 0).all(axis=0))
    assert dead.size and (first.grad_weights[dead] == 0).all()
    assert ex.example.check().passed


# -- a teacher's own network -------------------------------------------------------
def test_a_teachers_network_gives_the_same_outputs_as_the_drawn_exercise(tmp_path):
    drawn = cr.exercise(seed=8, steps=2, activation="tanh", loss="mse", reduction="mean")
    net = cr.load_example(_written(drawn, tmp_path, "json")).network  # the file's starting weights
    given = cr.exercise(
        network=net,
        inputs=[t.inputs.tolist() for t in drawn.traces],
        targets=[t.targets.tolist() for t in drawn.traces],
        learning_rate=0.5,
        title=drawn.title,
    )
    assert given.problems == []
    assert given.data["published"] == drawn.data["published"] and given.data["steps"] == drawn.data["steps"]
    assert given.key_markdown() == drawn.key_markdown() and given.sheet_markdown() == drawn.sheet_markdown()
    assert given.practice_pages() == drawn.practice_pages()


def test_a_teachers_network_repeats_its_data_and_lists_what_a_draw_would_reject():
    example = cr.load_example(SEED_003)
    ex = cr.exercise(
        network=example.network, inputs=example.inputs, targets=example.targets, learning_rate=1.0, steps=2
    )
    assert ex.steps == 2 and np.array_equal(ex.traces[1].inputs, example.inputs)
    assert ex.example.check().passed
    assert ex.problems == [f"step {k}: {p}" for k, t in enumerate(ex.traces, 1) for p in problems(t)]
    assert ex.traces[0].get("layers[0].z[0][0]") == pytest.approx(0.755, abs=1e-15)


# -- files ------------------------------------------------------------------------
def _written(ex, directory: Path, file_format: str = "toml") -> Path:
    return ex.write(directory, pdf=False, file_format=file_format)[0]


def test_the_file_round_trips_through_toml_and_json():
    ex = cr.exercise(seed=5, steps=3, bias=False, loss="cross_entropy", sizes=[2, 3, 2], activation="relu")
    assert tomllib.loads(ex.to_toml()) == ex.data
    assert json.loads(ex.to_json()) == ex.data


def test_write_puts_every_file_and_refuses_to_overwrite(tmp_path):
    ex = cr.exercise(seed=2, steps=2)
    paths = ex.write(tmp_path / "ex", pdf=False)
    assert [p.name for p in paths] == ["exercise.toml", "sheet.md", "key.md", "step-1.html", "step-2.html"]
    assert (tmp_path / "ex" / "key.md").read_text(encoding="utf-8") == ex.key_markdown()
    assert (tmp_path / "ex" / "step-2.html").read_text(encoding="utf-8") == ex.practice_pages()[1]
    with pytest.raises(FileExistsError, match="exercise.toml is already there"):
        cr.exercise(seed=3).write(tmp_path / "ex", pdf=False)
    assert (tmp_path / "ex" / "step-1.html").read_text(encoding="utf-8") == ex.practice_pages()[0]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "sheet.md").write_text("my notes", encoding="utf-8")
    with pytest.raises(FileExistsError, match="sheet.md is already there"):
        ex.write(tmp_path / "mine", pdf=False)
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["sheet.md"]  # nothing written
    assert (tmp_path / "mine" / "sheet.md").read_text(encoding="utf-8") == "my notes"
    assert ex.write(tmp_path / "mine", pdf=False, overwrite=True)[1].read_text(encoding="utf-8") == ex.sheet_markdown()


def test_the_key_is_explains_markdown_and_the_sheet_gives_the_data():
    ex = cr.exercise(seed=6, steps=2)
    key = "\n".join(line for line in ex.key_markdown().splitlines() if line)
    for trace in ex.traces:
        # each step's explain Markdown, one heading level down
        body = ["#" + line if line.startswith("#") else line for line in trace.to_markdown().splitlines() if line]
        assert "\n".join(body) in key
    sheet = ex.sheet_markdown()
    first = ex.traces[0]
    assert (
        f"$$x = \\begin{{bmatrix}} {' & '.join(format_number(v, 12) for v in first.inputs[0])} \\end{{bmatrix}}$$"
        in sheet
    )
    assert "\\delta = \\partial L / \\partial z" in sheet and "rounded to 4 significant digits" in sheet
    assert format_number(first.layers[0].new_weights[0, 0], 4) not in sheet.split("## Step 2")[0].split("$$")[-1]


def test_practice_pages_are_one_per_step_from_each_steps_trace():
    ex = cr.exercise(seed=9, steps=2)
    pages = ex.practice_pages()
    assert len(pages) == 2 and all(p.startswith("<!DOCTYPE html>") for p in pages)
    assert pages[1] == ex.traces[1].to_html(title=f"{ex.title}: step 2 of 2", digits=4, practice=True)


@pytest.mark.skipif(latex_engine() is None, reason="no TeX engine: install pdflatex (texlive-latex-base) for PDFs")
def test_the_pdfs_compile_and_are_the_same_bytes_each_time(tmp_path):
    ex = cr.exercise(seed=1, steps=2, activation="relu", loss="cross_entropy", sizes=[2, 2, 2], samples=2)
    paths = ex.write(tmp_path, pdf=True)
    pdfs = {p.name: p.read_bytes() for p in paths if p.suffix == ".pdf"}
    assert set(pdfs) == {"sheet.pdf", "key.pdf"} and all(b.startswith(b"%PDF") for b in pdfs.values())
    assert compile_latex(ex.key_latex()) == pdfs["key.pdf"]


@pytest.mark.skipif(latex_engine() is None, reason="no TeX engine: install pdflatex (texlive-latex-base) for PDFs")
def test_a_latex_error_is_reported():
    with pytest.raises(RuntimeError, match="pdflatex failed: ! Undefined control sequence"):
        compile_latex("\\documentclass{article}\\begin{document}\\nosuchcommand\\end{document}")


def test_without_a_tex_engine_pdf_true_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no pdflatex on it: the real lookup finds none
    assert shutil.which("pdflatex") is None and latex_engine() is None
    with pytest.raises(RuntimeError, match="a PDF needs pdflatex"):
        cr.exercise(seed=1).write(tmp_path / "ex", pdf=True)
    assert not (tmp_path / "ex").exists()
    assert [p.name for p in cr.exercise(seed=1).write(tmp_path / "ex")][-1] == "step-1.html"


# -- bad input -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"loss": "poisson"}, ValueError, "an exercise's loss is one of half_squared_error"),
        ({"activation": "softmax"}, ValueError, "an exercise's activations are among sigmoid"),
        ({"loss": "cross_entropy", "sizes": [2, 2, 1]}, ValueError, "needs at least 2 outputs"),
        ({"dead_relu": True}, ValueError, "give a hidden layer the relu activation"),
        ({"sizes": [2]}, ValueError, "sizes must be a list of at least 2"),
        ({"margin": 0.5}, ValueError, r"margin must be a number in \[0, 0.5\)"),
        ({"steps": 0}, ValueError, "steps"),
        ({"seed": -1}, ValueError, "seed must be an int >= 0"),
        ({"reduction": "max"}, ValueError, "reduction"),
        ({"inputs": [[0.1, 0.2]]}, ValueError, "inputs and targets go with a teacher's network"),
        ({"network": "net"}, TypeError, "network must be a chainrule Network"),
    ],
)
def test_bad_specifications_are_refused_with_the_fix(kwargs, error, message):
    with pytest.raises(error, match=message):
        cr.exercise(**kwargs)


def test_a_network_and_a_specification_together_are_refused():
    net = cr.Network([2, 1], seed=0)
    with pytest.raises(ValueError, match="give either a network or a specification.*sizes"):
        cr.exercise(network=net, sizes=[2, 1], inputs=[[0.1, 0.2]], targets=[[0.3]])
    with pytest.raises(ValueError, match="needs its inputs and targets"):
        cr.exercise(network=net)


def test_an_impossible_specification_says_what_to_relax():
    with pytest.raises(ValueError, match="no clean exercise in 3 draws.*smaller margin"):
        cr.exercise(sizes=[3, 3, 3], steps=3, samples=3, margin=0.49, max_tries=3)
