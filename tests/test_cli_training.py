"""Tests for the train / evaluate / predict subcommands (chainrule/cli/train.py)."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli import train as cli_train


def run(argv):
    """Parse argv with a parser holding only these subcommands and run the handler."""
    parser = argparse.ArgumentParser(prog="chainrule")
    cli_train.add_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args([str(a) for a in argv])
    return args.func(args)


@pytest.fixture
def csv(tmp_path, rng):
    X = rng.standard_normal((300, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)
    path = tmp_path / "data.csv"
    lines = ["a,b,c,label"] + [",".join(f"{v:.6f}" for v in row) + f",{t}" for row, t in zip(X, y)]
    path.write_text("\n".join(lines) + "\n")
    return path, X, y


def test_train_evaluate_predict_round_trip(tmp_path, csv, capsys):
    path, X, y = csv
    model = tmp_path / "m.npz"
    assert (
        run(
            [
                "train",
                path,
                "--layers",
                "16",
                "--epochs",
                "15",
                "--batch-size",
                "32",
                "--learning-rate",
                "0.01",
                "--save",
                model,
                "--quiet",
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out.startswith("trained 15 epochs: loss ") and out.out.rstrip().endswith(f"saved to {model}")
    net = cr.load(model)
    assert net.sizes == [3, 16, 3] and net.dtype == np.float32

    assert run(["evaluate", model, path, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    expected = (net.predict(X).argmax(axis=1) == y).mean()
    assert result["samples"] == 300
    assert result["accuracy"] == pytest.approx(expected, abs=1e-12)
    assert result["accuracy"] > 0.8  # an easy, nearly linear problem

    out_file = tmp_path / "pred.txt"
    assert run(["predict", model, path, "--target", "label", "--output", out_file]) == 0
    header, *lines = out_file.read_text().split()
    assert header == "class"
    assert [int(line) for line in lines] == net.predict(X).argmax(axis=1).tolist()


def test_train_with_validation_split_and_early_stopping(csv, capsys):
    path, _, _ = csv
    assert (
        run(
            [
                "train",
                path,
                "--layers",
                "8",
                "--epochs",
                "3",
                "--validation-split",
                "0.2",
                "--early-stopping",
                "2",
                "--quiet",
                "--dtype",
                "float64",
            ]
        )
        == 0
    )
    assert "val_accuracy" in capsys.readouterr().out


def test_progress_bar_unless_quiet(csv, capsys):
    path, _, _ = csv
    run(["train", path, "--epochs", "2"])
    assert capsys.readouterr().err.count("epoch ") == 2


def test_regression_target(tmp_path, rng, capsys):
    X = rng.standard_normal((50, 2))
    path = tmp_path / "r.csv"
    path.write_text("\n".join(f"{a},{b},{a - b + 0.5}" for a, b in X) + "\n")
    assert run(["train", path, "--epochs", "2", "--quiet", "--save", tmp_path / "r.npz"]) == 0
    assert cr.load(tmp_path / "r.npz").loss_function.name == "mse"
    run(["evaluate", tmp_path / "r.npz", path])
    assert capsys.readouterr().out.splitlines()[-1].startswith("samples 50  loss ")


def test_bad_input_raises_for_exit_status_two(csv):
    path, _, _ = csv
    with pytest.raises(ValueError, match="--layers must be comma-separated integers such as 256,128; got 'a,b'"):
        run(["train", path, "--layers", "a,b", "--quiet"])
    with pytest.raises(ValueError, match="--early-stopping needs --validation-split"):
        run(["train", path, "--early-stopping", "2", "--quiet"])
    with pytest.raises(SystemExit):
        run(["train", path, "--epochs", "0"])


def test_checkpoint_every_n_epochs(csv, tmp_path, capsys):
    path, X, _ = csv
    pattern = tmp_path / "ck-{epoch}.npz"
    assert (
        run(
            [
                "train",
                path,
                "--layers",
                "4",
                "--epochs",
                "7",
                "--quiet",
                "--dtype",
                "float64",
                "--checkpoint",
                pattern,
                "--checkpoint-every",
                "3",
                "--save",
                tmp_path / "final.npz",
            ]
        )
        == 0
    )
    # Epochs 3 and 6, and the last (7): each its own file, each the network at that epoch.
    assert sorted(p.name for p in tmp_path.glob("ck-*.npz")) == ["ck-3.npz", "ck-6.npz", "ck-7.npz"]
    assert [cr.load(tmp_path / f"ck-{k}.npz").epochs_trained_ for k in (3, 6, 7)] == [3, 6, 7]
    np.testing.assert_array_equal(cr.load(tmp_path / "ck-7.npz").predict(X), cr.load(tmp_path / "final.npz").predict(X))
    with pytest.raises(ValueError, match=r"--checkpoint-every needs --checkpoint PATH"):
        run(["train", path, "--epochs", "1", "--quiet", "--checkpoint-every", "2"])
    with pytest.raises(SystemExit):
        run(["train", path, "--epochs", "1", "--checkpoint", pattern, "--checkpoint-every", "0"])


def test_cli_main_exit_codes(csv, tmp_path, capsys):
    from chainrule import cli

    path, _, _ = csv
    assert cli.main(["train", str(path), "--epochs", "1", "--quiet", "--save", str(tmp_path / "m.npz")]) == 0
    assert cli.main(["evaluate", str(tmp_path / "missing.npz"), str(path)]) == 2
    assert "no such file" in capsys.readouterr().err
