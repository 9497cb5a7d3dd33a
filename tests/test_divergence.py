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
    """Finite loss and gradient, but lr·g overflows the weights: the check after that very update
    (issue 15, finding 1) sends the parameters (and the optimiser) back to the start of the epoch."""
    X, Y = _regression(rng, n=16)
    net = cr.Network([3, 1], activation="identity", loss="mse", init="normal", seed=0)
    net.fit(X, Y, epochs=1, batch_size=8, optimizer=cr.SGD(0.01, momentum=0.5))
    start = net.params.copy()
    state = {k: v.copy() for k, v in net.optimizer_.get_state()[1].items()}
    with pytest.raises(
        cr.TrainingDiverged,
        match=r"the update made the parameters .* overflow .* at epoch 1, batch 0 \(learning rate 1.5e\+308\)",
    ) as info:
        net.fit(X, Y, epochs=1, batch_size=8, shuffle=False, optimizer=cr.SGD(1.5e308, momentum=0.5))
    np.testing.assert_array_equal(net.params, start)
    assert net.optimizer_.iterations == 0 and net.epochs_trained_ == 1
    assert info.value.history.epochs == []
    assert state  # the first fit's momentum (a different optimiser object) is untouched
    assert np.isfinite(net.predict(X)).all()


def test_nan_from_a_step_is_caught_before_the_update():
    """A loss that overflows at the very first batch (inputs near the float64 limit): nothing is updated,
    and the data, not the learning rate, are named as the cause (issue 15, finding 9)."""
    net = cr.Network([1, 1], activation="identity", loss="squared_error", seed=0)
    before = net.params.copy()
    X = np.array([[1e200], [-1e200]])
    with pytest.raises(
        cr.TrainingDiverged,
        match=r"the loss became inf before any update at epoch 0, batch 0 \(learning rate 0.1\); "
        r"the weights are unchanged\. The largest \|X\| is 1e\+200.* a lower learning rate cannot help\.$",
    ):
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


def _reg_csv(tmp_path, rng):
    X = rng.standard_normal((200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1
    path = tmp_path / "reg.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", fmt="%.6f")
    return path, X, y.reshape(-1, 1)


@pytest.mark.parametrize("optimizer, lr", [("sgd", 3e38), ("rmsprop", 1e300)])
def test_an_update_that_overflows_on_the_last_step_is_caught(rng, tmp_path, optimizer, lr):
    """Issue 15, finding 1: the only update of a one-epoch fit overflows the weights. The check after
    every update catches it: TrainingDiverged, the weights put back, and what saves then loads."""
    _, X, Y = _reg_csv(tmp_path, rng)
    net = cr.Network([3, 8, 1], activation="relu", loss="mse", seed=0, dtype="float32")
    before = net.params.copy()
    with pytest.raises(cr.TrainingDiverged, match=r"the update made the parameters or the optimiser's state overflow"):
        net.fit(X, Y, epochs=1, learning_rate=lr, batch_size=1000, optimizer=optimizer)
    np.testing.assert_array_equal(net.params, before)
    net.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(cr.load(tmp_path / "m.npz").params, before)


def test_a_cli_run_whose_update_overflows_exits_2_and_writes_no_model(rng, tmp_path, capsys):
    """Issue 15, findings 1 and 8: the CLI reproducer exits 2 with one line, no traceback, and no model
    file (it used to print "saved to m1.npz" and leave a file that evaluate called corrupted)."""
    from chainrule.cli.main import main

    path, _, _ = _reg_csv(tmp_path, rng)
    argv = ["train", str(path), "--layers", "8", "--optimizer", "sgd", "--learning-rate", "3e38", "--epochs", "1"]
    argv += [
        "--batch-size",
        "1000",
        "--quiet",
        "--save",
        str(tmp_path / "m1.npz"),
        "--checkpoint",
        str(tmp_path / "ck.npz"),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("chainrule: error: training diverged: the update made the parameters")
    assert not (tmp_path / "m1.npz").exists() and not (tmp_path / "ck.npz").exists()


def test_finite_weights_whose_forward_pass_overflows_are_caught_before_fit_returns(rng, tmp_path):
    """Issue 15, finding 2: lr 1e37 keeps the weights finite but the loss on them overflows. No later
    step would see it, so fit checks the last batch's loss on the updated weights before returning."""
    _, X, Y = _reg_csv(tmp_path, rng)
    net = cr.Network([3, 8, 1], activation="relu", loss="mse", seed=0, dtype="float32")
    before = net.params.copy()
    with pytest.raises(cr.TrainingDiverged, match=r"the loss on the weights after the last update became nan") as info:
        net.fit(X, Y, epochs=1, learning_rate=1e37, batch_size=1000, optimizer="sgd")
    assert info.value.cause == "last_step" and (info.value.epoch, info.value.batch) == (0, 0)
    np.testing.assert_array_equal(net.params, before)  # back to the start of the epoch
    assert net.optimizer_.iterations == 0 and net.epochs_trained_ == 0
    assert np.isfinite(net.loss(X, Y))


def test_the_last_mini_batch_is_checked_on_its_updated_weights(rng, tmp_path):
    """Issue 15, finding 2, with mini-batches: the check uses the last batch (and keeps the dropout
    generator untouched, so that an ordinary run is bit for bit what it was)."""
    _, X, Y = _reg_csv(tmp_path, rng)
    a = cr.Network([3, 8, 1], activation="relu", loss="mse", seed=0, dtype="float32")
    b = cr.Network([3, 8, 1], activation="relu", loss="mse", seed=0, dtype="float32")
    a.fit(X, Y, epochs=2, batch_size=32, dropout=0.3, optimizer="adam", learning_rate=0.01)
    for _ in range(2):
        b.fit(X, Y, epochs=1, batch_size=32, dropout=0.3, optimizer="adam", learning_rate=0.01)
    np.testing.assert_array_equal(a.params, b.params)
    with pytest.raises(cr.TrainingDiverged) as info:
        cr.Network([3, 8, 1], activation="relu", loss="mse", seed=0, dtype="float32").fit(
            X, Y, epochs=1, batch_size=64, learning_rate=1e37, optimizer="sgd", shuffle=False
        )
    assert info.value.cause in ("update", "last_step", "loss")


def test_optimizer_state_that_overflows_while_the_weights_stay_finite_is_caught(rng, tmp_path):
    """Issue 15, finding 2: Adam's second moment overflows (g + λ·W squared, with a huge weight decay)
    while m/√v = 0 leaves the weights finite; the file saved would not load. The check after the
    update covers the optimiser's state too."""
    _, X, Y = _reg_csv(tmp_path, rng)
    net = cr.Network([3, 8, 1], activation="relu", loss="mse", seed=0, dtype="float32")
    with pytest.raises(cr.TrainingDiverged, match=r"optimiser's state overflow") as info:
        net.fit(X, Y, epochs=1, learning_rate=1e-3, optimizer="adam", weight_decay=1e30)
    assert info.value.cause == "update"
    assert all(np.isfinite(v).all() for v in net.optimizer_.get_state()[1].values())
    net.save(tmp_path / "m.npz")
    cr.load(tmp_path / "m.npz")  # loads: nothing non-finite was kept


def test_updated_values_finite_is_exact():
    """The one-pass sum answers for the ordinary case; finite values whose sum overflows are not
    mistaken for a divergence, and a single NaN or inf anywhere is found."""
    from chainrule.training.loop import updated_values_finite

    opt = cr.Adam(0.1)
    params = np.full(1000, 3e38, dtype=np.float32)  # each finite, the sum is not
    with np.errstate(over="ignore", invalid="ignore"):  # as in the fit loop
        _exact_checks(updated_values_finite, params, opt)


def _exact_checks(updated_values_finite, params, opt):
    assert updated_values_finite(params, opt)
    params[17] = np.inf
    assert not updated_values_finite(params, opt)
    params[17] = 1.0
    opt.step([params], [np.ones_like(params)])
    assert updated_values_finite(params, opt)
    opt.state[0]["v"][3] = np.nan
    assert not updated_values_finite(params, opt)


def test_targets_too_large_are_named_as_the_cause_not_the_learning_rate(rng):
    """Issue 15, finding 9: targets of 1e300 make the loss overflow before any update; the message
    names the data (with the largest |Y|) and says a lower learning rate cannot help."""
    X = rng.standard_normal((8, 2))
    with pytest.raises(cr.TrainingDiverged, match=r"before any update .* the largest \|Y\| 1e\+300") as info:
        cr.Network([2, 3, 1], activation="tanh", loss="mse", seed=0).fit(X, np.full((8, 1), 1e300), epochs=2)
    assert info.value.cause == "data" and "Try a lower learning rate" not in str(info.value)
    assert "a lower learning rate cannot help" in str(info.value)


class _SilentSGD(cr.SGD):
    """A user's optimiser whose step says nothing about finiteness (returns None), and poisons one weight."""

    def step(self, params, grads, weight_masks=None):
        super().step(params, grads, weight_masks)
        params[0][0] = np.nan


def test_an_optimizer_whose_step_returns_nothing_is_checked_by_the_separate_pass(xor):
    X, Y = xor
    net = cr.Network([2, 2, 1], seed=0)
    before = net.params.copy()
    with pytest.raises(cr.TrainingDiverged) as info:
        net.fit(X, Y, epochs=3, optimizer=_SilentSGD(0.5))
    assert info.value.cause == "update"
    np.testing.assert_array_equal(net.params, before)  # back to the epoch's start: the first


def test_the_built_in_optimizers_flag_is_what_the_loop_trusts(xor):
    # A step that reports False diverges although every value it left is finite: the loop takes the flag's word.
    class Lying(cr.SGD):
        def step(self, params, grads, weight_masks=None):
            super().step(params, grads, weight_masks)
            return False

    X, Y = xor
    with pytest.raises(cr.TrainingDiverged) as info:
        cr.Network([2, 2, 1], seed=0).fit(X, Y, epochs=1, optimizer=Lying(0.5))
    assert info.value.cause == "update"
