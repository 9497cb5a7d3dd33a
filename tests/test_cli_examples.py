"""Tests for the worked-example subcommands explain / check / gradcheck (chainrule/cli/examples.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import chainrule as cr
from chainrule import cli

ROOT = Path(__file__).resolve().parents[1]
SEED_001 = str(ROOT / "examples" / "worked" / "seed_001.json")
SEED_003 = str(ROOT / "examples" / "worked" / "seed_003.toml")
GOLDEN = Path(__file__).resolve().parent / "golden"


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_text_is_the_traces_text(capsys):
    code, out, err = run(capsys, "explain", SEED_003)
    assert code == 0 and err == ""
    assert out.startswith("Seed 003: 2-2-1 sigmoid network")
    assert out.endswith((GOLDEN / "seed_003.txt").read_text(encoding="utf-8"))


def test_explain_markdown_and_digits(capsys):
    code, out, _ = run(capsys, "explain", SEED_001, "--format", "markdown", "--digits", "3")
    assert code == 0
    assert r"$a_{0} = \sigma(0.32) = 0.579$" in out


def test_explain_json_is_the_lossless_trace(capsys):
    code, out, _ = run(capsys, "explain", SEED_003, "--format", "json")
    assert code == 0
    data = json.loads(out)
    trace = cr.load_example(SEED_003).explain()
    assert data == json.loads(trace.to_json())
    assert data["layers"][0]["new_weights"][0][0] == trace.layers[0].new_weights[0, 0]


def test_check_seed_003_is_explained_and_fails(capsys):
    code, out, _ = run(capsys, "check", SEED_003)
    assert code == 1  # explained, but a slip: a checker does not pass it
    assert re.search(r"\nlayers\[0\]\.delta\[0\]\[0\] +-2\.406e-3 +0\.002654489 +SLIP\n", out)
    assert "First slip: layers[0].delta[0][0]: hidden deltas computed with already-updated weights" in out
    assert "(0 unexplained)" in out


def _example(tmp_path, published):
    spec = json.loads(Path(SEED_001).read_text(encoding="utf-8"))
    spec["published"], spec["annotations"] = published, {}
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return str(path)


def test_check_passes_true_numbers_and_rounding_and_strict_fails_rounding(capsys, tmp_path):
    true = {"layers[0].z[0][0]": "0.32", "layers[0].a[0][0]": "0.5793"}
    assert run(capsys, "check", _example(tmp_path, true))[0] == 0
    # a truncated number is the example's own rounding: it passes, except with --strict
    truncated = {
        "layers[0].a[0][0]": "0.5793",
        "layers[0].grad_a[0][0]": "-0.4206",
        "layers[0].derivative[0][0]": "0.2437",
    }
    truncated["layers[0].grad_weights[0][1]"] = "-0.0307"  # -0.4206·0.2437·0.3 = -0.030750: printed cut to -0.0307
    code, out, _ = run(capsys, "check", _example(tmp_path, truncated))
    assert "rounding" in out and code == 0, out
    assert run(capsys, "check", _example(tmp_path, truncated), "--strict")[0] == 1


def test_check_a_diagnosed_sign_slip_does_not_pass(capsys, tmp_path):
    code, out, _ = run(capsys, "check", _example(tmp_path, {"layers[0].new_weights[0][0]": "0.1995"}))
    assert code == 1 and "climbs the gradient" in out


def test_check_lists_its_slips(capsys):
    code, out, _ = run(capsys, "check", "--list-slips")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == list(cr.teaching.checker.SLIPS)


def test_check_without_a_file_is_an_input_error(capsys):
    code, _, err = run(capsys, "check")
    assert code == 2 and "FILE" in err


def test_check_seed_001_fails_on_its_arithmetic_error(capsys):
    code, out, _ = run(capsys, "check", SEED_001)
    assert code == 1
    assert re.search(r"\nlayers\[0\]\.z\[0\]\[0\] +0\.35 +0\.32 +ERROR\n", out)
    assert "follows layers[0].z[0][0]" in out


def test_check_json(capsys):
    code, out, _ = run(capsys, "check", SEED_001, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and data["first_slip"] == "layers[0].z[0][0]"


def test_gradcheck(capsys):
    code, out, _ = run(capsys, "gradcheck", SEED_001)
    assert code == 0
    assert out.startswith("layers[0].weights")
    assert "worst relative error" in out


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"network": {"sizes": [2, 1]}}', "the file is missing 'step'"),
        ('{"network": {"sizes": [2, 1], "colour": 1}, "step": {}}', "network has unknown key 'colour'"),
        (
            '{"network": {"sizes": [2, 1]}, "step": {"inputs": [[1, 2]], "targets": [[1]], "learning_rate": 0.1},'
            ' "published": {"layers[0].z[0][0]": 0.3}}',
            r"published\['layers\[0\].z\[0\]\[0\]'\] must be a string",
        ),
        (
            '{"network": {"sizes": [2, 1]}, "step": {"inputs": [[1, 2, 3]], "targets": [[1]], "learning_rate": 0.1}}',
            "step.inputs must have 2 columns",
        ),
        ('{"network": ', "not valid JSON"),
    ],
)
def test_bad_files_exit_2(capsys, tmp_path, content, message):
    path = tmp_path / "example.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises((ValueError, TypeError), match=message):
        cr.load_example(path)
    code, _, err = run(capsys, "explain", str(path))
    assert code == 2 and str(path) in err and "Traceback" not in err


def test_check_without_published_values_is_an_input_error(capsys, tmp_path):
    path = tmp_path / "bare.json"
    path.write_text(
        '{"network": {"sizes": [2, 1], "seed": 0}, '
        '"step": {"inputs": [[1, 2]], "targets": [[1]], "learning_rate": 0.1}}',
        encoding="utf-8",
    )
    code, _, err = run(capsys, "check", str(path))
    assert code == 2 and "has no [published] values" in err


def test_check_infer_finds_the_loss_constant_and_writes_a_spec_that_reproduces(capsys, tmp_path):
    # seed 001's numbers under a file that wrongly says squared_error (no ½): every gradient would be ×2
    spec = json.loads(Path(SEED_001).read_text(encoding="utf-8"))
    spec["network"]["loss"] = "squared_error"
    spec["published"] = {"layers[0].grad_weights[0][0]": "-0.05126", "layers[0].new_bias[0]": "0.101025"}
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(spec), encoding="utf-8")
    assert run(capsys, "check", str(wrong))[0] == 1
    out_path = tmp_path / "inferred.json"
    code, out, _ = run(capsys, "check", "--infer", str(wrong), "-o", str(out_path))
    assert code == 0 and "loss: half_squared_error (the file says squared_error)" in out
    inferred = json.loads(out_path.read_text(encoding="utf-8"))
    assert inferred["network"]["loss"] == "half_squared_error"
    assert run(capsys, "check", str(out_path))[0] == 0  # the inferred spec reproduces the numbers


def test_check_infer_prints_the_spec_as_json_and_names_sign_and_update_order(capsys):
    code, out, err = run(capsys, "check", "--infer", SEED_003)
    assert code == 0
    assert json.loads(out)["network"]["loss"] == "half_squared_error"
    assert "δ sign: target − output" in err and "hidden deltas from: the updated weights" in err


def test_check_infer_writes_json_only(capsys, tmp_path):
    code, _, err = run(capsys, "check", "--infer", SEED_003, "-o", str(tmp_path / "x.toml"))
    assert code == 2 and "ending in .json" in err
