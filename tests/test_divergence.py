"""Divergence: a NaN or infinite loss stops fit with cr.TrainingDiverged, weights at their last finite values.

A linear regression (identity output, ``mse``) with a learning rate far
above 2/λ_max of its Hessian grows its weights geometrically until the
loss overflows: a real divergence, not a planted NaN.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import chainrule as cr
from chainrule.training.callbacks import Callback


class RecordBatches(Callback):
    """Copies of the parameters after every batch (the last is the last finite state)."""

    def on_train_begin(self, net, history):
        self.after = [net.params.copy()]

    def on_epoch_begin(self, net, epoch, n_batches):
        pass

    def on_batch_end(self, batch, loss, accuracy):
        self.after.append(self.net.params.copy())


# These runs grow the loss a millionfold before it overflows: fit's TrainingWarning about the growth comes
# first, as it should (tested in test_training.py); here the subject is what happens at the overflow.
pytestmark = pytest.mark.filterwarnings("ignore::chainrule.TrainingWarning")


def _regression(rng, n=32):
    X = rng.standard_normal((n, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1
    return X, Y


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch_size", [None, 8])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_divergence_raises_and_keeps_the_last_finite_weights(rng, tmp_path, dtype, batch_size, optimizer):
    X, Y = _regression(rng)
    net = cr.Network([3, 4, 1], activation="identity", loss="mse", seed=0, dtype=dtype)
    recorder = RecordBatches()
    recorder.net = net
    # Adam's steps are about lr each: only an absurd rate makes the loss overflow.
    lr = 50.0 if optimizer == "sgd" else (1e30 if dtype == "float32" else 1e200)
    with pytest.raises(cr.TrainingDiverged) as info:
        net.fit(X, Y, epochs=10_000, learning_rate=lr, batch_size=batch_size, optimizer=optimizer, callbacks=[recorder])
    exc = info.value
    # What, where and what to do, in one line.
    assert str(exc).startswith(
        f"training diverged: the loss became {exc.loss} at epoch {exc.epoch}, batch {exc.batch} (learning rate {lr:g})"
    )
    assert "Try a lower learning rate (e.g. " in str(exc)
    with np.errstate(over="ignore"):
        assert not np.isfinite(exc.loss) or not np.isfinite(np.dot(net.grads, net.grads))
    # The weights are those after the last batch that went through: finite, bit for bit.
    assert np.isfinite(net.params).all()
    if len(recorder.after) > 1 or exc.epoch == 0:
        np.testing.assert_array_equal(net.params, recorder.after[-1])
    n_batches = 1 if batch_size is None else 4
    assert exc.batch < n_batches
    assert net.epochs_trained_ == exc.epoch
    assert net.optimizer_.iterations == exc.epoch * n_batches + exc.batch
    assert exc.history.epochs == list(range(exc.epoch)) and all(np.isfinite(exc.history.loss))
    # The network is consistent: it saves and loads (the loader refuses non-finite weights).
    net.save(tmp_path / "last_finite.npz")
    np.testing.assert_array_equal(cr.load(tmp_path / "last_finite.npz").params, net.params)


def test_an_update_that_overflows_is_undone_back_to_the_epoch_start(rng):
    """Finite loss and gradient, but lr·g overflows the weights: the next batch's NaN loss sends
    the parameters (and the optimiser) back to the start of the epoch, their last finite state."""
    X, Y = _regression(rng, n=16)
    net = cr.Network([3, 1], activation="identity", loss="mse", init="normal", seed=0)
    net.fit(X, Y, epochs=1, batch_size=8, optimizer=cr.SGD(0.01, momentum=0.5))
    start = net.params.copy()
    state = {k: v.copy() for k, v in net.optimizer_.get_state()[1].items()}
    with pytest.raises(cr.TrainingDiverged, match=r"at epoch 1, batch 1 \(learning rate 1.5e\+308\)") as info:
        net.fit(X, Y, epochs=1, batch_size=8, shuffle=False, optimizer=cr.SGD(1.5e308, momentum=0.5))
    np.testing.assert_array_equal(net.params, start)
    assert net.optimizer_.iterations == 0 and net.epochs_trained_ == 1
    assert info.value.history.epochs == []
    assert state  # the first fit's momentum (a different optimiser object) is untouched
    assert np.isfinite(net.predict(X)).all()


def test_nan_from_a_step_is_caught_before_the_update():
    """A loss that overflows at the very first batch (inputs near the float64 limit): nothing is updated."""
    net = cr.Network([1, 1], activation="identity", loss="squared_error", seed=0)
    before = net.params.copy()
    X = np.array([[1e200], [-1e200]])
    with pytest.raises(cr.TrainingDiverged, match=r"the loss became inf at epoch 0, batch 0 \(learning rate 0.1\)"):
        net.fit(X, [[0.0], [1.0]], epochs=3)
    np.testing.assert_array_equal(net.params, before)
    assert net.optimizer_.iterations == 0


def test_training_diverged_is_a_catchable_library_error():
    exc = cr.TrainingDiverged(epoch=2, batch=5, loss=float("nan"), learning_rate=3.0)
    assert isinstance(exc, RuntimeError) and not isinstance(exc, ValueError)
    assert (exc.epoch, exc.batch, exc.learning_rate) == (2, 5, 3.0) and np.isnan(exc.loss)
    assert "(e.g. 0.3)" in str(exc)
    copy = pickle.loads(pickle.dumps(exc))
    assert str(copy) == str(exc) and copy.batch == 5


def test_a_finite_run_is_not_disturbed(xor):
    """The checks never fire on an ordinary run, and change nothing in it."""
    X, Y = xor
    history = cr.Network([2, 2, 1], seed=0).fit(X, Y, epochs=200, learning_rate=2.0)
    assert len(history) == 200 and history.loss[-1] < history.loss[0]
