"""Tests for ``chainrule exercise`` (chainrule/cli/exercise.py), and explain/check on what it writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import chainrule as cr
from chainrule import cli

ROOT = Path(__file__).resolve().parents[1]
SEED_003 = str(ROOT / "examples" / "worked" / "seed_003.toml")


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_exercise_writes_what_the_function_draws_and_explain_and_check_work_on_it(capsys, tmp_path):
    argv = ["exercise", "-o", str(tmp_path), "--seed", "7", "--steps", "2", "--activation", "tanh", "--pdf", "no"]
    code, out, err = run(capsys, *argv)
    assert code == 0 and err == ""
    ex = cr.exercise(seed=7, steps=2, activation="tanh")
    names = ["exercise.toml", "sheet.md", "key.md", "step-1.html", "step-2.html"]
    assert out == "".join(f"wrote {tmp_path / name}\n" for name in names)
    assert (tmp_path / "exercise.toml").read_text(encoding="utf-8") == ex.to_toml()
    assert (tmp_path / "key.md").read_text(encoding="utf-8") == ex.key_markdown()
    for k in (1, 2):
        code, out, _ = run(capsys, "explain", str(tmp_path / "exercise.toml"), "--step", str(k), "--format", "json")
        assert code == 0 and json.loads(out) == ex.traces[k - 1].to_dict()
    code, out, _ = run(capsys, "check", str(tmp_path / "exercise.toml"), "--strict")
    total = len(ex.data["published"]) + len(ex.data["steps"][0]["published"])
    assert code == 0 and f"{total} values: {total} agree" in out and "Every published value agrees." in out
    # the source line is the command that draws it again
    assert ex.data["source"].startswith("chainrule exercise --seed 7 --sizes 2,2,1 --activation tanh")


def test_the_source_command_reproduces_the_exercise(capsys, tmp_path):
    ex = cr.exercise(seed=3, sizes=[2, 3, 2], activation="relu", loss="cross_entropy", bias=False, samples=2)
    argv = ex.data["source"].split()[1:] + ["-o", str(tmp_path), "--pdf", "no"]
    assert run(capsys, *argv)[0] == 0
    assert (tmp_path / "exercise.toml").read_text(encoding="utf-8") == ex.to_toml()


def test_exercise_from_a_teachers_file_warns_what_a_draw_would_reject(capsys, tmp_path):
    code, out, err = run(capsys, "exercise", "--from", SEED_003, "--steps", "2", "-o", str(tmp_path), "--pdf", "no")
    assert code == 0
    example = cr.load_example(SEED_003)
    ex = cr.exercise(
        network=example.network,
        inputs=example.inputs,
        targets=example.targets,
        learning_rate=1.0,
        steps=2,
        title=example.title,
    )
    assert (tmp_path / "exercise.toml").read_text(encoding="utf-8") == ex.to_toml()
    assert err == "".join(f"chainrule: warning: {p}\n" for p in ex.problems)
    assert run(capsys, "check", str(tmp_path / "exercise.toml"))[0] == 0


def test_json_format_and_step_out_of_range(capsys, tmp_path):
    assert run(capsys, "exercise", "-o", str(tmp_path), "--format", "json", "--pdf", "no")[0] == 0
    assert cr.load_example(tmp_path / "exercise.json").n_steps == 1
    code, _, err = run(capsys, "explain", str(tmp_path / "exercise.json"), "--step", "2")
    assert code == 2 and "step must be an int from 1 to 1" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--loss", "poisson"], "an exercise's loss is one of"),
        (["--sizes", "2"], "expected at least 2 positive widths"),
        (["--from", SEED_003, "--sizes", "2,2,1"], "--from FILE gives the network: leave out --sizes"),
        (["--dead-relu"], "give a hidden layer the relu activation"),
        (["--pdf", "maybe"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, tmp_path, argv, message):
    code, _, err = run(capsys, "exercise", "-o", str(tmp_path / "ex"), *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "ex").exists()


def test_an_existing_exercise_is_not_overwritten_without_force(capsys, tmp_path):
    assert run(capsys, "exercise", "-o", str(tmp_path), "--pdf", "no")[0] == 0
    first = (tmp_path / "exercise.toml").read_text(encoding="utf-8")
    code, _, err = run(capsys, "exercise", "-o", str(tmp_path), "--seed", "1", "--pdf", "no")
    assert code == 2 and "is already there" in err and "--force" in err
    assert (tmp_path / "exercise.toml").read_text(encoding="utf-8") == first
    assert run(capsys, "exercise", "-o", str(tmp_path), "--seed", "1", "--pdf", "no", "--force")[0] == 0
    assert (tmp_path / "exercise.toml").read_text(encoding="utf-8") == cr.exercise(seed=1).to_toml()


def test_python_dash_m_exercise(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "chainrule", "exercise", "-o", str(tmp_path), "--seed", "2", "--pdf", "no"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "exercise.toml").read_text(encoding="utf-8") == cr.exercise(seed=2).to_toml()
