"""Tests for callbacks.py: checkpoints every N epochs, early stopping's patience, custom callbacks."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_checkpoint_every_two_epochs_and_at_the_end(tmp_path, xor):
    X, Y = xor
    ckpt = cr.callbacks.Checkpoint(tmp_path / "net-{epoch}.npz", every=2)
    net = cr.Network([2, 3, 1], seed=0)
    net.fit(X, Y, epochs=5, learning_rate=1.0, callbacks=[ckpt])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net-2.npz", "net-4.npz", "net-5.npz"]
    assert [str(tmp_path / f"net-{k}.npz") for k in (2, 4, 5)] == ckpt.saved
    four = cr.load(tmp_path / "net-4.npz")
    assert four.epochs_trained_ == 4
    # Resuming the epoch-4 checkpoint for one epoch gives the final network exactly.
    four.fit(X, Y, epochs=1, learning_rate=1.0)
    np.testing.assert_array_equal(four.predict(X), net.predict(X))


def test_checkpoint_without_placeholder_overwrites_one_file(tmp_path, xor):
    ckpt = cr.callbacks.Checkpoint(tmp_path / "last.npz", every=1)
    cr.Network([2, 2, 1], seed=0).fit(*xor, epochs=3, callbacks=[ckpt])
    assert [p.name for p in tmp_path.iterdir()] == ["last.npz"]
    assert cr.load(tmp_path / "last.npz").epochs_trained_ == 3


def test_a_callback_can_stop_training(xor):
    class StopAtTwo(cr.callbacks.Callback):
        def on_epoch_end(self, net, epoch, logs):
            self.logs = logs
            return epoch == 1

    cb = StopAtTwo()
    h = cr.Network([2, 2, 1], seed=0).fit(*xor, epochs=10, callbacks=[cb])
    assert len(h) == 2 and h.stopped_early
    assert cb.logs == {"loss": h.loss[-1]}


def test_early_stopping_patience_counts_epochs_without_improvement():
    stop = cr.callbacks.EarlyStopping(patience=2, min_delta=0.1)
    net = cr.Network([2, 1], seed=0)
    stop.on_train_begin(net, cr.History())
    assert stop.on_epoch_end(net, 0, {"val_loss": 1.0}) is False
    assert stop.on_epoch_end(net, 1, {"val_loss": 0.95}) is False  # not better by more than 0.1
    assert stop.on_epoch_end(net, 2, {"val_loss": 0.5}) is False  # better: counter resets
    assert stop.on_epoch_end(net, 3, {"val_loss": 0.45}) is False
    assert stop.on_epoch_end(net, 4, {"val_loss": 0.6}) is True
    assert stop.best_epoch == 2


def test_early_stopping_argument_checks():
    with pytest.raises(ValueError, match="patience must be an integer >= 1; got 0"):
        cr.callbacks.EarlyStopping(patience=0)
    stop = cr.callbacks.EarlyStopping()
    stop.on_train_begin(None, None)
    with pytest.raises(ValueError, match="EarlyStopping needs validation_data"):
        stop.on_epoch_end(None, 0, {"loss": 1.0})


def test_checkpoint_argument_checks(tmp_path):
    with pytest.raises(ValueError, match="every must be an integer >= 1; got 0"):
        cr.callbacks.Checkpoint(tmp_path / "x.npz", every=0)


def test_report_hands_every_epoch_measurements_to_the_function():
    X, Y = cr.datasets.xor()
    seen = []
    net = cr.Network([2, 3, 1], seed=0)
    h = net.fit(X, Y, epochs=4, learning_rate=1.0, validation_data=(X, Y), callbacks=[cr.callbacks.Report(seen.append)])
    assert [m["epoch"] for m in seen] == [0, 1, 2, 3]
    assert [m["loss"] for m in seen] == h.loss
    assert [m["val_loss"] for m in seen] == h.val_loss
    assert [m["val_accuracy"] for m in seen] == h.val_accuracy


def test_report_stops_the_training_when_the_function_returns_true():
    X, Y = cr.datasets.xor()
    h = cr.Network([2, 3, 1], seed=0).fit(X, Y, epochs=10, callbacks=[cr.callbacks.Report(lambda m: m["epoch"] == 2)])
    assert len(h) == 3 and h.stopped_early


def test_report_needs_a_function():
    with pytest.raises(TypeError, match="report must be a function taking a dict of metrics; got str"):
        cr.callbacks.Report("tune.report")
