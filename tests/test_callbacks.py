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


# -- Snapshots: the live view's frames ----------------------------------------------


def grid_points(snaps) -> np.ndarray:
    gx, gy = np.meshgrid(snaps.xs, snaps.ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def test_snapshots_before_every_n_epochs_and_after_the_last(xor):
    X, Y = xor
    snaps = cr.callbacks.Snapshots(X, Y, every=4, grid=7)
    net = cr.Network([2, 2, 1], seed=1)
    history = net.fit(X, Y, epochs=10, learning_rate=2.0, callbacks=[snaps])
    assert snaps.epochs == [0, 4, 8, 10] and len(snaps) == 4
    assert snaps.curve == history.loss
    assert [log.get("loss") for log in snaps.logs] == [None, history.loss[3], history.loss[7], history.loss[9]]
    # The grid covers the points with 15 % of their range on each side.
    np.testing.assert_allclose(snaps.xs[[0, -1]], [-0.15, 1.15])
    np.testing.assert_allclose(snaps.ys, np.linspace(-0.15, 1.15, 7))
    # The last snapshot is the trained network: its outputs on the grid and on X, and its parameters.
    surface = net.predict(grid_points(snaps)).reshape(7, 7, 1)
    np.testing.assert_array_equal(snaps.surface[-1], surface)
    np.testing.assert_array_equal(snaps.surface[-1][2, 5, 0], net.predict([[snaps.xs[5], snaps.ys[2]]])[0, 0])
    np.testing.assert_array_equal(snaps.predictions[-1], net.predict(X))
    for kept, now in zip(snaps.parameters[-1], net.parameters()):
        np.testing.assert_array_equal(kept, now)
    assert snaps.parameter_names == net.parameter_names()


def test_each_snapshot_is_the_network_after_that_many_epochs(xor):
    X, Y = xor
    snaps = cr.callbacks.Snapshots(X, Y, every=3, grid=5)
    cr.Network([2, 3, 1], seed=4).fit(X, Y, epochs=9, learning_rate=1.5, callbacks=[snaps])
    for k, epochs in enumerate(snaps.epochs):  # same seed, same bits: a fresh network trained that long
        fresh = cr.Network([2, 3, 1], seed=4)
        if epochs:
            fresh.fit(X, Y, epochs=epochs, learning_rate=1.5)
        np.testing.assert_array_equal(snaps.surface[k].reshape(-1, 1), fresh.predict(grid_points(snaps)))
        np.testing.assert_array_equal(snaps.predictions[k], fresh.predict(X))
        for kept, now in zip(snaps.parameters[k], fresh.parameters()):
            np.testing.assert_array_equal(kept, now)  # a copy, not a view of weights that went on changing


@pytest.mark.parametrize("max_snapshots", [3, 4, 5, 8])
def test_snapshots_memory_is_bounded_and_stays_evenly_spaced(xor, max_snapshots):
    X, Y = xor
    snaps = cr.callbacks.Snapshots(X, Y, every=1, grid=4, max_snapshots=max_snapshots)
    cr.Network([2, 2, 1], seed=0).fit(X, Y, epochs=100, callbacks=[snaps])
    assert 2 <= len(snaps) <= max_snapshots
    assert len(snaps.surface) == len(snaps.predictions) == len(snaps.parameters) == len(snaps.logs) == len(snaps)
    regular = snaps.epochs[:-1] if snaps.epochs[-1] % snaps.step else snaps.epochs
    assert regular == list(range(0, regular[-1] + 1, snaps.step))  # 0, s, 2s, ...
    assert snaps.epochs[0] == 0 and snaps.epochs[-1] == 100
    assert snaps.step > 1 and 100 - regular[-1] < snaps.step
    assert len(snaps.curve) == 100


def test_snapshots_start_again_with_each_fit(xor):
    X, Y = xor
    snaps = cr.callbacks.Snapshots(X, every=2, grid=3)
    net = cr.Network([2, 2, 1], seed=0)
    net.fit(X, Y, epochs=4, callbacks=[snaps])
    net.fit(X, Y, epochs=3, callbacks=[snaps])  # the network goes on from epoch 4
    assert snaps.epochs == [4, 6, 7] and len(snaps.curve) == 3
    assert "3 of a 3×3 grid, epochs 4 to 7" in repr(snaps)


def test_snapshots_with_an_interrupt_keep_the_last_state(xor):
    X, Y = xor

    class Stop(cr.callbacks.Callback):
        def on_epoch_end(self, net, epoch, logs):
            if epoch == 4:
                raise KeyboardInterrupt

    snaps = cr.callbacks.Snapshots(X, Y, every=3, grid=3)
    net = cr.Network([2, 2, 1], seed=0)
    history = net.fit(X, Y, epochs=20, callbacks=[snaps, Stop()])
    assert history.interrupted
    assert snaps.epochs[-1] == net.epochs_trained_
    np.testing.assert_array_equal(snaps.predictions[-1], net.predict(X))


def test_snapshots_refuse_what_they_cannot_draw(xor):
    X, Y = xor
    with pytest.raises(ValueError, match=r"X must have 2 columns; got shape \(4, 3\)"):
        cr.callbacks.Snapshots(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"one target \(or one row\) per point of X \(4\); got shape \(3,\)"):
        cr.callbacks.Snapshots(X, [0, 1, 1])
    with pytest.raises(ValueError, match="grid must be"):
        cr.callbacks.Snapshots(X, grid=1)
    with pytest.raises(ValueError, match="max_snapshots must be"):
        cr.callbacks.Snapshots(X, max_snapshots=2)
    with pytest.raises(TypeError, match="X must hold numbers"):
        cr.callbacks.Snapshots([["a", "b"]])
    snaps = cr.callbacks.Snapshots(X)
    with pytest.raises(ValueError, match="this network has 3 inputs, not 2"):
        cr.Network([3, 1]).fit(np.ones((4, 3)), Y, callbacks=[snaps])


def test_a_callback_may_have_either_per_batch_hook():
    # on_batch_end alone, or on_epoch_begin alone: each is called where the callback has it (a callback with only
    # on_batch_end raised AttributeError inside the loop, and one with only on_epoch_begin was never called)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 3)), rng.integers(0, 2, 50)

    class Batches(cr.callbacks.Callback):
        def __init__(self):
            self.calls = []

        def on_batch_end(self, batch, loss, accuracy):
            self.calls.append(batch)

    class Epochs(cr.callbacks.Callback):
        def __init__(self):
            self.calls = []

        def on_epoch_begin(self, net, epoch, n_batches):
            self.calls.append((epoch, n_batches))

    batches, epochs = Batches(), Epochs()
    net = cr.Network([3, 4, 2], activation="relu", loss="cross_entropy", seed=0)
    history = net.fit(X, y, epochs=2, batch_size=16, learning_rate=0.1, callbacks=[batches, epochs])
    assert len(history) == 2
    assert batches.calls == [0, 1, 2, 3] * 2  # 50 rows in batches of 16: 4 a epoch
    assert epochs.calls == [(0, 4), (1, 4)]
