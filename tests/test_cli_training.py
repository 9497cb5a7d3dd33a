"""Tests for the train / evaluate / predict subcommands (chainrule/cli/train.py)."""

from __future__ import annotations

import argparse
import errno
import json
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli import train as cli_train
from chainrule.training.loop import evaluate


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
    # The labels are read as labels (no one-hot matrix): the mean cross-entropy, to float32's rounding (the
    # network's dtype: the sum runs over n terms, not the n·k of one-hot rows, so the last bits may differ).
    probabilities = net.predict(X).astype(np.float64)
    assert result["loss"] == pytest.approx(-np.log(probabilities[np.arange(len(y)), y]).mean(), rel=1e-6)
    assert result["loss"] == pytest.approx(evaluate(net, net.check_X(X), net.check_Y(y, len(y)))[0], rel=1e-6)

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


# -- one convention: text labels, class names, predict's header, delimiters, warnings ---------


@pytest.fixture
def pets(tmp_path, rng):
    """A ';'-separated CSV with a header and text labels: two well-separated clusters and a third."""
    centres = {"cat": (0.0, 0.0), "dog": (2.0, 2.0), "emu": (-2.0, 2.0)}
    names = rng.choice(list(centres), 120)
    X = np.array([centres[n] for n in names]) + 0.3 * rng.standard_normal((120, 2))
    path = tmp_path / "pets.csv"
    lines = ["size;colour;kind"] + [f"{a:.5f};{b:.5f};{n}" for (a, b), n in zip(X, names)]
    path.write_text("\n".join(lines) + "\n")
    return path, X, names


def test_text_labels_train_a_classifier_that_knows_the_names(tmp_path, pets, capsys):
    path, X, names = pets
    model = tmp_path / "pets.npz"
    assert run(["train", path, "--quiet", "--save", model]) == 0  # the defaults
    net = cr.load(model)
    assert net.class_names == ["cat", "dog", "emu"] and net.sizes == [2, 32, 3]
    capsys.readouterr()
    assert run(["evaluate", model, path, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    index = np.array([["cat", "dog", "emu"].index(n) for n in names])
    assert result["accuracy"] == pytest.approx((net.predict(X).argmax(1) == index).mean(), abs=1e-12)
    assert result["accuracy"] > 0.9
    assert run(["predict", model, path]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header == "class,name"
    predicted = net.predict(X).argmax(1)
    assert rows == [f"{k},{['cat', 'dog', 'emu'][k]}" for k in predicted]
    # A label the model has not seen is named, with the ones it knows.
    other = tmp_path / "other.csv"
    other.write_text("size;colour;kind\n0;0;yak\n")
    with pytest.raises(
        ValueError, match=r"the label 'yak', which the model does not know; its classes are: cat, dog, emu"
    ):
        run(["evaluate", model, other])


def test_predict_takes_a_csv_with_or_without_its_target_column(tmp_path, csv, capsys):
    path, X, _ = csv
    model = tmp_path / "m.npz"
    assert run(["train", path, "--epochs", "2", "--quiet", "--save", model]) == 0
    features = tmp_path / "features.csv"
    features.write_text("\n".join(",".join(f"{v:.6f}" for v in row) for row in X) + "\n")
    capsys.readouterr()
    assert run(["predict", model, path]) == 0  # the last column, the target, is left out
    with_target = capsys.readouterr().out
    assert run(["predict", model, features]) == 0  # only the inputs
    assert capsys.readouterr().out == with_target
    assert with_target.splitlines()[0] == "class"
    assert run(["predict", model, path, "--probabilities"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "p_0,p_1,p_2"
    np.testing.assert_allclose(
        np.array([[float(v) for v in line.split(",")] for line in lines[1:]]), cr.load(model).predict(X), rtol=1e-5
    )


def test_an_explicit_delimiter_and_a_wrong_one(tmp_path, pets):
    path, _, _ = pets
    assert run(["train", path, "--delimiter", ";", "--epochs", "1", "--quiet"]) == 0
    with pytest.raises(
        ValueError, match=r"is the file ';'-separated\? pass delimiter=';' \(chainrule: --delimiter ';'\)"
    ):
        run(["train", path, "--delimiter", ",", "--epochs", "1", "--quiet"])


def test_training_warnings_are_one_line_on_stderr(tmp_path, rng, capsys):
    X = rng.normal(size=(100, 2)) * [1.0, 300.0]  # the second column unscaled
    y = (X[:, 0] > 0).astype(int)
    path = tmp_path / "raw.csv"
    path.write_text("\n".join(f"{a:.4f},{b:.4f},{t}" for (a, b), t in zip(X, y)) + "\n")
    assert run(["train", path, "--epochs", "5", "--quiet"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("chainrule: warning: the inputs are far from unit scale: column 1 has root-mean-square")


def test_train_prints_its_settings_unless_quiet(capsys):
    assert run(["train", "xor", "--epochs", "3"]) == 0
    err = capsys.readouterr().err
    assert (
        err.splitlines()[0]
        == "training 2-32-2 (relu, cross_entropy) on 4 samples: adam at 0.001, batches of 128, 3 epochs"
    )
    assert run(["train", "xor", "--epochs", "3", "--optimizer", "sgd", "--layers", "none", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "n_samples, batch_size, epochs", [(4, 128, 2000), (200, 128, 1000), (60_000, 128, 5), (1000, 10, 20)]
)
def test_auto_epochs_give_about_2000_steps_and_at_least_5_epochs(n_samples, batch_size, epochs):
    assert cli_train.auto_epochs(n_samples, batch_size) == epochs


@pytest.mark.parametrize("n_in, n_out, hidden", [(2, 2, 32), (20, 3, 46), (784, 10, 128)])
def test_auto_hidden_layer_sized_from_the_data(n_in, n_out, hidden):
    assert cli_train.auto_hidden(n_in, n_out) == hidden


def test_lbfgs_from_the_command_line_is_networks_fit_with_lbfgs(tmp_path, csv, capsys):
    path, X, y = csv
    model = tmp_path / "m.npz"
    assert run(["train", path, "--layers", "8", "--optimizer", "lbfgs", "--max-iter", "30", "--save", model]) == 0
    out, err = capsys.readouterr()
    assert "lbfgs on the full batch, at most 30 iterations" in err
    saved = cr.load(model)
    # The same network and data through the library: the same L-BFGS-B run, the same weights.
    net = cr.Network([3, 8, 3], activation="relu", loss="cross_entropy", seed=0, init=saved.init, dtype=saved.dtype)
    X_read, y_read = cr.datasets.load_csv(path)
    history = net.fit(X_read, y_read, optimizer="lbfgs", max_iter=30)
    assert f"trained {len(history)} iterations: loss {history.loss[-1]:.4f}, accuracy {history.accuracy[-1]:.4f}" in out
    np.testing.assert_array_equal(saved.params, net.params)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--optimizer", "lbfgs", "--epochs", "3"], "--optimizer lbfgs takes no --epochs"),
        (["--optimizer", "lbfgs", "--learning-rate", "0.1"], "takes no --learning-rate"),
        (["--optimizer", "lbfgs", "--dropout", "0.2"], "optimizer='lbfgs' takes no dropout"),
        (["--max-iter", "5"], "--max-iter is for --optimizer lbfgs"),
    ],
)
def test_lbfgs_refuses_what_it_does_not_take(csv, argv, message):
    with pytest.raises(ValueError, match=message):
        run(["train", csv[0], "--quiet", *argv])


def test_a_save_that_fails_after_training_keeps_the_model_and_says_where(tmp_path, csv, monkeypatch):
    # The path passes the check before training; the disk fills while it trains (injected: ENOSPC for that path).
    path, X, y = csv
    asked = tmp_path / "m.npz"
    original = cr.Network.save

    def full_disk(self, where):
        if str(where) == str(asked):
            raise OSError(errno.ENOSPC, "No space left on device", str(where))
        return original(self, where)

    monkeypatch.setattr(cr.Network, "save", full_disk)
    with pytest.raises(OSError) as caught:
        run(["train", path, "--layers", "8", "--epochs", "2", "--quiet", "--save", asked])
    message = caught.value.strerror
    assert caught.value.filename == str(asked) and "No space left on device" in message
    rescued = message.split("the trained model is in ")[1].split(" instead")[0]
    try:
        net = cr.load(rescued)
        assert net.sizes == [3, 8, 3] and net.epochs_trained_ == 2
        assert f"mv {rescued} {asked}" in message
    finally:
        os.remove(rescued)
