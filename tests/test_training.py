"""Tests for the fit loop (training.py): the step with a workspace, dropout, validation,
early stopping, schedules, weight decay, shuffling and real-data training."""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule.core.network import Workspace
from chainrule.training.loop import evaluate, train_step


def _classification(rng, n=120, n_in=6, n_classes=3):
    X = rng.standard_normal((n, n_in))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    return X, y


# -- a workspace changes where the numbers are written, not the numbers ------------


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "leaky_relu", "identity"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "binary_cross_entropy", "half_squared_error"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_step_with_workspace_is_bit_identical_to_plain_step(rng, make_targets, activation, loss, reduction):
    net = cr.Network([5, 7, 4, 3], activation=activation, loss=loss, reduction=reduction, seed=3)
    X = rng.standard_normal((9, 5))
    Y = make_targets(loss, rng, 9, 3)
    fwd = net.forward(X)
    expected = net.backward(fwd, Y)
    expected_grads = [g.copy() for g in expected.grads]

    class Record:  # an optimiser that only keeps what it is given
        def step(self, params, grads):
            self.grads = [g.copy() for g in grads]

    record = Record()
    work = Workspace(net, rows=16)
    fwd_w, back_w = train_step(net, record, X, Y, work)
    assert back_w.loss == expected.loss
    for name in ("zs", "activations"):
        for got, want in zip(getattr(fwd_w, name), getattr(fwd, name)):
            np.testing.assert_array_equal(got, want)
    for got, want in zip(back_w.deltas, expected.deltas):
        np.testing.assert_array_equal(got, want)
    # The workspace's arrays are its buffers, not fresh ones.
    assert np.shares_memory(fwd_w.zs[0], work.z[0]) and np.shares_memory(back_w.deltas[0], work.delta[0])
    np.testing.assert_array_equal(record.grads[0], np.concatenate([g.ravel() for g in expected_grads]))


def test_float32_training_follows_float64(rng):
    X, y = _classification(rng)
    histories = []
    for dtype in ("float64", "float32"):
        net = cr.Network([6, 8, 3], activation="relu", loss="cross_entropy", init="he", seed=5, dtype=dtype)
        histories.append(net.fit(X, y, epochs=4, batch_size=16, optimizer="adam", learning_rate=0.01).loss)
    np.testing.assert_allclose(histories[1], histories[0], rtol=1e-4)


def test_float32_full_batch_equals_plain_path_numbers(rng):
    # Full batch in float32 goes through the buffered step; float64 through train_step.
    X, y = _classification(rng, n=40)
    a = cr.Network([6, 5, 3], activation="tanh", loss="cross_entropy", seed=2)
    b = cr.Network([6, 5, 3], activation="tanh", loss="cross_entropy", seed=2, dtype="float32")
    ha = a.fit(X, y, epochs=5, learning_rate=0.5)
    hb = b.fit(X, y, epochs=5, learning_rate=0.5)
    np.testing.assert_allclose(hb.loss, ha.loss, rtol=1e-5)
    np.testing.assert_allclose(b.layers[0].weights, a.layers[0].weights, rtol=1e-4, atol=1e-6)


# -- dropout ------------------------------------------------------------------------


def test_dropout_zeroes_a_share_p_and_scales_the_rest_by_one_over_keep(rng):
    net = cr.Network([4, 2000, 2], activation="relu", loss="cross_entropy", seed=1)
    X = np.abs(rng.standard_normal((50, 4))) + 0.1
    fwd = net.forward(X, Workspace(net, rows=50, dropout=0.25))
    dropped = fwd.activations[1].copy()
    plain = np.maximum(X @ net.layers[0].weights.T + net.layers[0].bias, 0)
    kept = dropped != 0
    alive = plain != 0
    # Dropped units are zero; kept ones are a / (1 - p).
    np.testing.assert_allclose(dropped[kept], plain[kept] / 0.75, rtol=1e-12)
    share = 1 - kept[alive].mean()
    assert abs(share - 0.25) < 0.01  # 1e5 Bernoulli draws: sd 0.0014
    # Inverted dropout keeps the expected activation: the mean over units is unbiased.
    assert abs(dropped.sum() / plain.sum() - 1) < 0.02


def test_dropout_units_get_no_gradient_and_predict_never_drops(rng):
    net = cr.Network([3, 6, 2], activation="relu", loss="cross_entropy", seed=4)
    X = rng.standard_normal((8, 3))
    y = rng.integers(0, 2, 8)
    before = net.predict(X).copy()
    np.testing.assert_array_equal(net.predict(X), before)  # no randomness at predict

    class Record:
        def step(self, params, grads):
            self.grads = grads[0].copy()

    record = Record()
    work = Workspace(net, rows=8, dropout=0.5)
    Y = net.check_Y(y, 8)
    fwd, _ = train_step(net, record, X, Y, work)
    mask = fwd.masks[0]
    np.testing.assert_array_equal(fwd.activations[1], fwd.outputs[0] * mask)
    # ∂L/∂W_0 row j = Σ_i δ_ij x_i; a unit dropped on every sample gets exactly 0.
    grad_w0 = record.grads[:18].reshape(6, 3)
    always_dropped = (mask == 0).all(axis=0)
    assert np.all(grad_w0[always_dropped] == 0)
    # And the second layer's weights from a dropped unit are untouched by that sample.
    assert set(np.unique(mask)) <= {0.0, 2.0}


def test_dropout_is_refused_outside_zero_to_one():
    net = cr.Network([2, 2, 1])
    with pytest.raises(ValueError, match=r"dropout must be in \[0.0, 1.0\); got 1.0"):
        net.fit([[0, 1]], [[1]], dropout=1.0)


def test_dropout_training_is_reproducible_from_the_seed(rng):
    X, y = _classification(rng)
    runs = []
    for _ in range(2):
        net = cr.Network([6, 8, 3], activation="relu", loss="cross_entropy", seed=9)
        runs.append(net.fit(X, y, epochs=2, batch_size=10, dropout=0.3, optimizer="adam", learning_rate=0.01).loss)
    assert runs[0] == runs[1]
    other = cr.Network([6, 8, 3], activation="relu", loss="cross_entropy", seed=10)
    assert other.fit(X, y, epochs=2, batch_size=10, dropout=0.3, optimizer="adam", learning_rate=0.01).loss != runs[0]


# -- continuation, shuffling ---------------------------------------------------------


@pytest.mark.parametrize("dtype,dropout", [("float64", 0.0), ("float32", 0.0), ("float64", 0.2), ("float32", 0.2)])
def test_two_fits_of_three_epochs_equal_one_of_six_bit_for_bit(rng, dtype, dropout):
    X, y = _classification(rng)
    kw = {"batch_size": 16, "optimizer": "adam", "learning_rate": 0.01, "dropout": dropout, "schedule": "cosine"}

    def make():
        return cr.Network([6, 8, 3], activation="relu", loss="cross_entropy", init="he", seed=1, dtype=dtype)

    one = make()
    h6 = one.fit(X, y, epochs=6, **kw)
    two = make()
    h3a = two.fit(X, y, epochs=3, **kw)
    h3b = two.fit(X, y, epochs=3, **kw)
    assert h3a.loss + h3b.loss == h6.loss
    assert h3b.epochs == [3, 4, 5]
    for p, q in zip(one.parameters(), two.parameters()):
        np.testing.assert_array_equal(p, q)


def test_minibatches_are_shuffled_from_the_seed_and_the_data_is_untouched(rng):
    X, y = _classification(rng)
    X_copy = X.copy()
    a = cr.Network([6, 4, 3], activation="relu", loss="cross_entropy", seed=7)
    b = cr.Network([6, 4, 3], activation="relu", loss="cross_entropy", seed=7)
    c = cr.Network([6, 4, 3], activation="relu", loss="cross_entropy", seed=7)
    ha = a.fit(X, y, epochs=2, batch_size=8)
    hb = b.fit(X, y, epochs=2, batch_size=8)
    hc = c.fit(X, y, epochs=2, batch_size=8, shuffle=False)
    assert ha.loss == hb.loss
    assert ha.loss != hc.loss  # same start, other batch order
    np.testing.assert_array_equal(X, X_copy)


# -- weight decay, schedules ------------------------------------------------------------


def test_weight_decay_adds_lambda_w_to_the_gradient(rng):
    X = rng.standard_normal((10, 3))
    Y = rng.standard_normal((10, 2))
    net = cr.Network([3, 2], activation="identity", output_activation="identity", loss="mse", seed=0)
    W = net.layers[0].weights.copy()
    b = net.layers[0].bias.copy()
    ((gW, gb),) = net.gradients(X, Y)
    gW, gb = gW.copy(), gb.copy()
    net.fit(X, Y, epochs=1, learning_rate=0.1, weight_decay=0.5)
    np.testing.assert_allclose(net.layers[0].weights, W - 0.1 * (gW + 0.5 * W), rtol=1e-12)
    np.testing.assert_allclose(net.layers[0].bias, b - 0.1 * (gb + 0.5 * b), rtol=1e-12)


def test_schedule_sets_each_epochs_learning_rate(xor):
    X, Y = xor
    net = cr.Network([2, 3, 1], seed=0)
    h = net.fit(X, Y, epochs=5, learning_rate=0.8, schedule=cr.schedules.StepDecay(step_size=2, gamma=0.5))
    assert h.learning_rate == [0.8, 0.8, 0.4, 0.4, 0.2]
    # A second fit with the same schedule continues its clock.
    h2 = net.fit(X, Y, epochs=2, learning_rate=0.8, schedule=cr.schedules.StepDecay(step_size=2, gamma=0.5))
    assert h2.learning_rate == [0.2, 0.1]


def test_schedule_name_unknown_lists_the_valid_ones(xor):
    with pytest.raises(
        ValueError, match="unknown schedule .linear.; valid names are: cosine, exponential, invscaling, step"
    ):
        cr.Network([2, 2, 1]).fit(*xor, schedule="linear")


# -- validation, accuracy, early stopping -------------------------------------------------


def test_history_records_accuracy_and_validation(rng):
    X, y = _classification(rng)
    net = cr.Network([6, 8, 3], activation="relu", loss="cross_entropy", seed=1)
    h = net.fit(
        X[:100],
        y[:100],
        epochs=3,
        batch_size=20,
        optimizer="adam",
        learning_rate=0.05,
        validation_data=(X[100:], y[100:]),
    )
    assert len(h.accuracy) == len(h.val_loss) == len(h.val_accuracy) == 3
    # The last validation numbers are those of the trained network.
    expected_acc = (net.predict(X[100:]).argmax(axis=1) == y[100:]).mean()
    assert h.val_accuracy[-1] == expected_acc
    np.testing.assert_allclose(h.val_loss[-1], net.loss(X[100:], y[100:]), rtol=1e-12)
    assert all(0 <= a <= 1 for a in h.accuracy)


def test_regression_history_has_no_training_accuracy(xor):
    h = cr.Network([2, 2, 1], seed=0).fit(*xor, epochs=2)
    assert h.accuracy == [] and h.val_loss == []


def test_evaluate_by_chunks_equals_one_pass(rng):
    X, y = _classification(rng)
    net = cr.Network([6, 5, 3], activation="relu", loss="cross_entropy", seed=0)
    Y = net.check_Y(y, len(y))
    loss, acc = evaluate(net, X, Y, batch_size=7)
    np.testing.assert_allclose(loss, net.loss(X, y), rtol=1e-12)
    assert acc == (net.predict(X).argmax(axis=1) == y).mean()


def test_early_stopping_restores_the_best_weights(rng):
    X, y = _classification(rng, n=80)
    # Validation labels opposite to training ones: training makes validation worse.
    y_val = 2 - y
    snapshots = {}

    class Snapshot(cr.callbacks.Callback):
        def on_epoch_end(self, net, epoch, logs):
            snapshots[epoch] = [p.copy() for p in net.parameters()]

    net = cr.Network([6, 8, 3], activation="relu", loss="cross_entropy", seed=2)
    h = net.fit(
        X,
        y,
        epochs=100,
        batch_size=16,
        optimizer="adam",
        learning_rate=0.05,
        validation_data=(X, y_val),
        early_stopping=3,
        callbacks=[Snapshot()],
    )
    assert h.stopped_early
    best = int(np.argmin(h.val_loss))
    assert h.best_epoch == h.epochs[best]
    assert len(h) == best + 1 + 3  # stopped after 3 epochs without improvement
    for p, q in zip(net.parameters(), snapshots[h.best_epoch]):
        np.testing.assert_array_equal(p, q)
    assert net.loss(X, y_val) == pytest.approx(min(h.val_loss), rel=1e-12)


def test_early_stopping_needs_validation_data(xor):
    with pytest.raises(ValueError, match=r"early_stopping needs validation_data=\(X_val, Y_val\)"):
        cr.Network([2, 2, 1]).fit(*xor, early_stopping=2)


def test_validation_data_must_be_a_pair(xor):
    with pytest.raises(
        TypeError,
        match=r"validation_data must be a pair \(X_val, Y_val\) or a triple "
        r"\(X_val, Y_val, sample_weight_val\); got ndarray",
    ):
        cr.Network([2, 2, 1]).fit(*xor, validation_data=xor[0])
    with pytest.raises(ValueError, match=r"validation_data\[0\] must have 2 columns"):
        cr.Network([2, 2, 1]).fit(*xor, validation_data=(np.ones((3, 5)), np.ones((3, 1))))


# -- progress -------------------------------------------------------------------------------


def test_progress_writes_one_line_per_epoch_to_stderr(rng, capsys):
    X, y = _classification(rng)
    cr.Network([6, 4, 3], activation="relu", loss="cross_entropy", seed=0).fit(
        X, y, epochs=2, batch_size=30, progress=True, validation_data=(X, y)
    )
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("epoch 1  loss ") and "accuracy" in lines[0] and "val_loss" in lines[0]


def test_progress_bar_draws_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    bar = cr.callbacks.ProgressBar(stream=out, width=10)
    bar.on_train_begin(None, None)
    bar.on_epoch_begin(None, 0, 4)
    for b in range(4):
        bar.on_batch_end(b, 0.5, 0.75)
    bar.on_epoch_end(None, 0, {"loss": 0.5})
    text = out.getvalue()
    assert "\r[##########] 4/4 loss 0.5000 acc 0.7500" in text
    assert text.endswith("epoch 1  loss 0.5000  " + text.rsplit("  ", 1)[1])


def test_quiet_by_default(rng, capsys):
    X, y = _classification(rng)
    cr.Network([6, 4, 3], activation="relu", loss="cross_entropy", seed=0).fit(X, y, epochs=2, batch_size=30)
    assert capsys.readouterr() == ("", "")


# -- real data --------------------------------------------------------------------------------

_REAL = os.path.exists(os.path.join(cr.datasets.FASHION_MNIST_DIR, "train-labels-idx1-ubyte.gz"))


@pytest.mark.skipif(
    not _REAL,
    reason="Fashion-MNIST not installed: apt-get install dataset-fashion-mnist "
    "(make test does it via scripts/ensure-fashion-mnist.sh)",
)
def test_small_real_subset_reaches_a_sane_accuracy_in_seconds():
    (X, y), (X_test, y_test) = cr.datasets.load_fashion_mnist()
    net = cr.Network([784, 64, 10], activation="relu", loss="cross_entropy", init="he", seed=0, dtype="float32")
    h = net.fit(X[:6000], y[:6000], epochs=3, batch_size=64, optimizer="adam", learning_rate=2e-3)
    accuracy = (net.predict(X_test[:2000]).argmax(axis=1) == y_test[:2000]).mean()
    assert h.loss[-1] < h.loss[0]
    assert accuracy > 0.78  # chance is 0.10; a linear model reaches ~0.80 on the full set


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_large_data_set_with_a_nan_or_inf_is_refused(bad):
    # Large arrays are checked by a float64 sum first (no boolean copy); +inf and -inf
    # together sum to NaN, and a lone NaN or inf makes the sum non-finite.
    X = np.ones((300_000, 4), dtype=np.float32)
    X[123_456, 2] = bad
    X[5, 1] = -bad
    net = cr.Network([4, 1], seed=0)
    with pytest.raises(ValueError, match=r"X must be finite; found -?(nan|inf) at index \(5, 1\)"):
        net.fit(X, np.ones((300_000, 1)))


def test_schedule_and_weight_decay_belong_to_a_named_optimizer(xor):
    with pytest.raises(
        ValueError,
        match="weight_decay, weight_decay_on and schedule are for an optimizer given by name; "
        "set them on the Adam instance instead",
    ):
        cr.Network([2, 2, 1]).fit(*xor, optimizer=cr.Adam(0.01), schedule="cosine")


# -- sample_weight ------------------------------------------------------------------


def _weighted_targets(loss, rng, n, k):
    if loss == "cross_entropy":
        return rng.integers(0, k, n)
    return (rng.random((n, k)) > 0.5).astype(float)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "half_squared_error", "binary_cross_entropy"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_integer_sample_weights_equal_repeated_rows(rng, loss, dtype):
    # With the summed loss, weight k on a row is the row repeated k times (0: left out).
    X = rng.normal(size=(20, 3))
    Y = _weighted_targets(loss, rng, 20, 3)
    w = rng.integers(0, 3, 20).astype(float)
    w[0] = 2.0
    repeated = np.repeat(np.arange(20), w.astype(int))
    weighted = cr.Network([3, 4, 3], loss=loss, reduction="sum", seed=1, dtype=dtype)
    plain = cr.Network([3, 4, 3], loss=loss, reduction="sum", seed=1, dtype=dtype)
    hw = weighted.fit(X, Y, epochs=4, learning_rate=0.05, sample_weight=w)
    hp = plain.fit(X[repeated], Y[repeated], epochs=4, learning_rate=0.05)
    tol = 1e-12 if dtype == "float64" else 2e-5
    np.testing.assert_allclose(hw.loss, hp.loss, rtol=tol)
    for a, b in zip(weighted.parameters(), plain.parameters()):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    assert weighted.loss(X, Y, sample_weight=w) == pytest.approx(plain.loss(X[repeated], Y[repeated]), rel=tol)


def test_unit_sample_weights_change_nothing(rng):
    X = rng.normal(size=(30, 3))
    y = rng.integers(0, 2, 30)
    a = cr.Network([3, 5, 2], activation="relu", loss="cross_entropy", seed=4)
    b = cr.Network([3, 5, 2], activation="relu", loss="cross_entropy", seed=4)
    ha = a.fit(X, y, epochs=3, batch_size=8, optimizer="adam", learning_rate=0.01)
    hb = b.fit(X, y, epochs=3, batch_size=8, optimizer="adam", learning_rate=0.01, sample_weight=np.ones(30))
    np.testing.assert_allclose(hb.loss, ha.loss, rtol=1e-12)
    np.testing.assert_allclose(b.layers[0].weights, a.layers[0].weights, rtol=1e-10, atol=1e-13)


def test_zero_weight_rows_are_ignored_through_shuffled_mini_batches_with_dropout(rng):
    # Rows of weight 0 contribute exactly nothing: replacing their contents by other
    # numbers changes no bit of the training (same shuffles, same dropout masks).
    X = rng.normal(size=(40, 3))
    y = rng.integers(0, 2, 40)
    w = rng.random(40)
    w[::3] = 0.0
    X_other, y_other = X.copy(), y.copy()
    X_other[::3] = rng.normal(size=X[::3].shape) * 100
    y_other[::3] = 1 - y[::3]
    runs = []
    for data in ((X, y), (X_other, y_other)):
        net = cr.Network([3, 6, 2], activation="relu", loss="cross_entropy", seed=2, dtype="float32")
        history = net.fit(
            *data,
            epochs=3,
            batch_size=7,
            dropout=0.3,
            sample_weight=w,
            optimizer="adam",
            learning_rate=0.01,
            warn=False,  # the wild rows (weight 0) would make fit warn about the inputs' scale
        )
        runs.append((history.loss, [p.copy() for p in net.parameters()]))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "weights, error, match",
    [
        (np.ones(3), ValueError, r"sample_weight must have one weight per row of X \(4\); got shape \(3,\)"),
        (np.ones((4, 1)), ValueError, r"sample_weight must be a 1-D array; got shape \(4, 1\)"),
        (np.array([1.0, -1.0, 1.0, 1.0]), ValueError, r"sample_weight must be >= 0; got -1.0"),
        (np.array([1.0, np.nan, 1.0, 1.0]), ValueError, r"sample_weight must be finite"),
        (np.zeros(4), ValueError, r"sample_weight must not be all zero"),
        (["a", "b", "c", "d"], TypeError, r"sample_weight must hold numbers"),
    ],
)
def test_bad_sample_weight_is_refused(weights, error, match):
    net = cr.Network([2, 2, 1], seed=0)
    X, Y = [[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [1], [1], [0]]
    before = net.layers[0].weights.copy()
    with pytest.raises(error, match=match):
        net.fit(X, Y, sample_weight=weights)
    with pytest.raises(error, match=match):
        net.loss(X, Y, sample_weight=weights)
    np.testing.assert_array_equal(net.layers[0].weights, before)


def test_weighted_validation_and_accuracy_follow_the_weights(rng):
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    w = rng.random(60) * 3
    Xv, yv, wv = X[:20], y[:20], w[:20]
    net = cr.Network([3, 5, 2], activation="tanh", loss="cross_entropy", seed=3)
    history = net.fit(
        X[20:], y[20:], epochs=3, batch_size=8, learning_rate=0.2, sample_weight=w[20:], validation_data=(Xv, yv, wv)
    )
    # Measured after the last update: the weighted loss and the weighted share of hits, computed here.
    assert history.val_loss[-1] == pytest.approx(net.loss(Xv, yv, sample_weight=wv), rel=1e-12)
    hits = net.predict(Xv).argmax(axis=1) == yv
    assert history.val_accuracy[-1] == pytest.approx((wv * hits).sum() / wv.sum(), rel=1e-12)
    unweighted = cr.Network([3, 5, 2], activation="tanh", loss="cross_entropy", seed=3)
    h2 = unweighted.fit(
        X[20:], y[20:], epochs=3, batch_size=8, learning_rate=0.2, sample_weight=w[20:], validation_data=(Xv, yv)
    )
    assert h2.val_accuracy[-1] == pytest.approx(hits.mean(), rel=1e-12)
    with pytest.raises(ValueError, match=r"validation_data\[2\] must be >= 0; got -1.0"):
        net.fit(X, y, validation_data=(Xv, yv, -np.ones(20)))


# -- advice: TrainingWarning ---------------------------------------------------


def test_inputs_far_from_unit_scale_warn_naming_the_column_and_the_fix(rng):
    X = rng.normal(size=(50, 3))
    X[:, 2] *= 40.0  # unscaled, as integer readings in the tens
    y = (X[:, 0] > 0).astype(int)
    net = cr.Network([3, 4, 2], activation="relu", loss="cross_entropy", seed=0)
    with pytest.warns(
        cr.TrainingWarning, match=r"far from unit scale: column 2 has root-mean-square \d+\.?\d* .*standardi"
    ):
        net.fit(X, y, epochs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cr.Network([3, 4, 2], activation="relu", loss="cross_entropy", seed=0).fit(X / 40.0, y, epochs=1)
        cr.Network([3, 4, 2], activation="relu", loss="cross_entropy", seed=0).fit(X, y, epochs=1, warn=False)


@pytest.mark.parametrize("warn", [True, False])
@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
@pytest.mark.parametrize("size", ["small", "large"])
def test_fit_refuses_a_nan_in_X_whichever_pass_finds_it(warn, optimizer, size):
    # With the advice on (not for lbfgs), the columns' sums of squares are X's finite check: the same message.
    if optimizer == "lbfgs":
        pytest.importorskip("scipy")
    rows = 20 if size == "small" else 3000  # 3000 x 400: over a million elements, the one-reduction check
    X = np.full((rows, 400), 0.5, np.float32)
    y = np.arange(rows) % 2
    net = cr.Network([400, 2], loss="cross_entropy", seed=0, dtype="float32")
    run = {"max_iter": 1} if optimizer == "lbfgs" else {"epochs": 0, "batch_size": 64}
    for bad, shown in ((np.nan, "nan"), (np.inf, "inf")):
        X[rows - 3, 7] = bad
        with pytest.raises(ValueError, match=rf"X must be finite; found {shown} at index \({rows - 3}, 7\)"):
            net.fit(X, y, optimizer=optimizer, warn=warn, **run)
    if optimizer == "adam":
        X[rows - 3, 7] = 3e19  # finite, though its square overflows float32: not refused; the advice is given
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            net.fit(X, y, optimizer=optimizer, warn=warn, **run)
        messages = [str(w.message) for w in caught]
        assert len(messages) == int(warn)
        assert all(m.startswith("the inputs are far from unit scale: column 7 has root-mean-square") for m in messages)


def test_a_loss_growing_tenfold_in_the_first_epochs_warns_once_with_a_lower_rate(rng):
    X = rng.normal(size=(32, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]])
    net = cr.Network([3, 4, 1], activation="identity", loss="mse", init="normal", seed=0)
    with pytest.warns(cr.TrainingWarning, match=r"the training loss grew from .* in the first \d epochs") as record:
        history = net.fit(X, Y, epochs=3, learning_rate=1.5)
    assert history.loss[-1] > cr.training.loop.LOSS_GROWTH_FACTOR * history.loss[0]
    assert len(record) == 1
    assert "learning rate (e.g. 0.15, now 1.5)" in str(record[0].message)
    assert record[0].filename == __file__  # points at the caller's fit line


def test_a_falling_loss_and_the_textbook_defaults_do_not_warn(xor):
    X, Y = xor
    net = cr.Network([2, 2, 1], loss="half_squared_error", reduction="sum", init="normal", seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = net.fit(X, Y, epochs=200)
    assert history.loss[-1] < history.loss[0]


def test_the_default_full_batch_on_a_large_set_warns_and_an_explicit_batch_does_not(rng):
    X = rng.normal(size=(cr.training.loop.FULL_BATCH_LIMIT + 1, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    net = cr.Network([2, 2], loss="cross_entropy", seed=0, dtype="float32")
    with pytest.warns(
        cr.TrainingWarning, match=r"one step per epoch \(1 in all\) on 10001 samples; .*batch_size=128"
    ) as rec:
        net.fit(X, y, epochs=1)
    assert rec[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.fit(X, y, epochs=1, batch_size=len(X))


def test_warn_must_be_a_bool(xor):
    with pytest.raises(TypeError, match=r"warn must be True or False; got str 'no'"):
        cr.Network([2, 1]).fit(*xor, warn="no")


def test_progress_every_n_epochs_keeps_the_last_line(rng, capsys):
    X, y = _classification(rng)
    net = cr.Network([6, 4, 3], activation="relu", loss="cross_entropy", seed=0)
    net.fit(X, y, epochs=7, batch_size=30, progress=3)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split("  ")[0] for line in lines] == ["epoch 3", "epoch 6", "epoch 7"]
    with pytest.raises(TypeError, match="progress must be an integer >= 1"):
        net.fit(X, y, epochs=1, progress="yes")


# -- class labels flow through fit as labels -------------------------------------------


def _same_fit(net_a, net_b, X, Y_a, Y_b, **options):
    history_a = net_a.fit(X, Y_a, **options)
    history_b = net_b.fit(X, Y_b, **options)
    np.testing.assert_array_equal(net_a.params.view(np.uint8), net_b.params.view(np.uint8))
    assert history_a.loss == history_b.loss and history_a.accuracy == history_b.accuracy
    assert history_a.val_loss == history_b.val_loss and history_a.val_accuracy == history_b.val_accuracy


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 16, "optimizer": "adam", "learning_rate": 0.01},
        {"batch_size": None, "optimizer": "sgd", "learning_rate": 0.5},
        {"batch_size": 10, "optimizer": "rmsprop", "learning_rate": 0.01, "dropout": 0.2},
        {"batch_size": 25, "optimizer": "adamw", "learning_rate": 0.01, "sample_weight": "weights"},
    ],
)
def test_integer_labels_train_to_the_bits_of_one_hot_rows(rng, dtype, options):
    X = rng.standard_normal((70, 6))
    labels = rng.integers(0, 4, 70)
    rows = np.eye(4)[labels]
    options = dict(options, epochs=3)
    if options.get("sample_weight") == "weights":
        options["sample_weight"] = rng.random(70) + 0.1
    Xv, lv = rng.standard_normal((11, 6)), rng.integers(0, 4, 11)

    def network():
        return cr.Network([6, 8, 5, 4], activation="relu", loss="cross_entropy", seed=5, dtype=dtype)

    _same_fit(network(), network(), X, labels, rows, validation_data=(Xv, lv), **options)
    _same_fit(network(), network(), X, labels, rows, validation_data=(Xv, np.eye(4)[lv]), **options)


def test_lbfgs_takes_integer_labels_to_the_bits_of_one_hot_rows(rng):
    pytest.importorskip("scipy")
    X = rng.standard_normal((40, 3))
    labels = rng.integers(0, 3, 40)

    def network():
        return cr.Network([3, 6, 3], activation="tanh", loss="cross_entropy", seed=2)

    a, b = network(), network()
    ha = a.fit(X, labels, optimizer="lbfgs", max_iter=15)
    hb = b.fit(X, np.eye(3)[labels], optimizer="lbfgs", max_iter=15)
    np.testing.assert_array_equal(a.params, b.params)
    assert ha.loss == hb.loss


def test_fit_on_integer_labels_builds_no_one_hot_matrix(rng):
    """60,000 labels of 100 classes would be 24 MB of float32 one-hot rows; fit allocates far less."""
    import tracemalloc

    n, k = 60_000, 100
    X = rng.standard_normal((n, 2)).astype(np.float32)
    labels = rng.integers(0, k, n)
    net = cr.Network([2, k], loss="cross_entropy", seed=0, dtype="float32")
    tracemalloc.start()
    try:
        net.fit(X[:1000], labels[:1000], batch_size=1000)  # warm-up: first-use allocations
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        net.fit(X, labels, epochs=1, batch_size=2000, optimizer="adam", learning_rate=1e-3)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert peak < n * k * 4 / 4, f"fit allocated {peak / 1e6:.1f} MB at its peak"


@pytest.mark.parametrize("scale, warns", [(10.05, True), (9.95, False), (1e20, True)])
def test_input_scale_advice_in_float32_decides_as_float64(rng, scale, warns):
    """The float32 sums of squares decide only far from the limit; near it (or past float32's range) float64 does."""
    X = rng.standard_normal((200, 3)).astype(np.float32)
    X[:, 1] = scale * np.where(np.arange(200) % 2, 1.0, -1.0)  # column 1's rms is exactly |scale|
    net = cr.Network([3, 2], loss="mse", seed=0, dtype="float32")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.fit(X, np.zeros((200, 2)), epochs=0)
    messages = [str(w.message) for w in caught if "far from unit scale" in str(w.message)]
    assert len(messages) == int(warns)
    if warns:
        assert f"column 1 has root-mean-square {float(np.float32(scale)):.3g}" in messages[0]


# -- input_scale: integer data sets trained as they are, to the bits of the scaled floats ---------


def _pixels(rng, n=300, width=12, classes=4):
    """uint8 'images' (n, width) and labels that depend on them."""
    U = rng.integers(0, 256, (n, width), dtype=np.uint8)
    y = (U[:, 0] > 128).astype(int) + (U[:, 1] > 60).astype(int) + (U[:, 2] > 200).astype(int)
    return U, y % classes


def _scaled(U, dtype, s=1 / 255):
    """The float pixels load_fashion_mnist makes: np.multiply(U, dtype(s)) in dtype."""
    return np.multiply(U, np.array(s, dtype))


def _same_bits(a, b):
    np.testing.assert_array_equal(a.params.view(np.uint8), b.params.view(np.uint8))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 128, "optimizer": "adam", "learning_rate": 1e-3, "dropout": 0.2},
        {"batch_size": 128, "optimizer": "adam", "learning_rate": 1e-3, "shuffle": False},
        {"batch_size": None, "optimizer": "adam", "learning_rate": 1e-2},
        {"batch_size": None, "optimizer": "sgd", "learning_rate": 0.5, "dropout": 0.2},
        {"batch_size": 32, "optimizer": "rmsprop", "learning_rate": 1e-3, "sample_weight": "weights"},
    ],
)
def test_fit_on_uint8_with_input_scale_gives_the_bits_of_fit_on_the_scaled_floats(rng, dtype, options):
    U, y = _pixels(rng)
    Uv, yv = _pixels(rng, n=70)
    options = dict(options, epochs=3)
    if options.get("sample_weight") == "weights":
        options["sample_weight"] = rng.random(len(U)) + 0.1

    def network(**kwargs):
        return cr.Network([12, 16, 8, 4], activation="relu", loss="cross_entropy", seed=7, dtype=dtype, **kwargs)

    plain, scaled = network(), network(input_scale=1 / 255)
    ha = plain.fit(_scaled(U, dtype), y, validation_data=(_scaled(Uv, dtype), yv), **options)
    hb = scaled.fit(U, y, validation_data=(Uv, yv), **options)
    _same_bits(plain, scaled)
    for field in ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"):
        assert getattr(ha, field) == getattr(hb, field), field
    assert len(hb) == 3
    np.testing.assert_array_equal(scaled.predict(Uv), plain.predict(_scaled(Uv, dtype)))
    assert scaled.loss(Uv, yv) == plain.loss(_scaled(Uv, dtype), yv)
    Yv = plain.check_Y(yv, len(yv), labels=True)
    assert evaluate(scaled, scaled.check_X(Uv), Yv, batch_size=16) == evaluate(
        plain, plain.check_X(_scaled(Uv, dtype)), Yv, batch_size=16
    )


def test_fit_on_fashion_mnist_bytes_with_input_scale_gives_the_bits_of_the_float32_pixels():
    (F, y), (F_test, y_test) = cr.datasets.load_fashion_mnist(dtype="float32")
    (U, _), (U_test, _) = cr.datasets.load_fashion_mnist(dtype="uint8")
    n = 1500

    def network(**kwargs):
        return cr.Network([784, 32, 10], activation="relu", loss="cross_entropy", seed=0, dtype="float32", **kwargs)

    plain, scaled = network(), network(input_scale=1 / 255)
    options = {"epochs": 2, "batch_size": 128, "optimizer": "adam", "learning_rate": 1e-3, "dropout": 0.2}
    ha = plain.fit(F[:n], y[:n], validation_data=(F_test[:500], y_test[:500]), **options)
    hb = scaled.fit(U[:n], y[:n], validation_data=(U_test[:500], y_test[:500]), **options)
    _same_bits(plain, scaled)
    assert ha.loss == hb.loss and ha.val_loss == hb.val_loss and ha.val_accuracy == hb.val_accuracy


def test_lbfgs_on_uint8_with_input_scale_gives_the_bits_of_the_scaled_floats(rng):
    pytest.importorskip("scipy")
    U, y = _pixels(rng, n=60)

    def network(**kwargs):
        return cr.Network([12, 6, 4], activation="tanh", loss="cross_entropy", seed=2, **kwargs)

    plain, scaled = network(), network(input_scale=1 / 255)
    ha = plain.fit(_scaled(U, "float64"), y, optimizer="lbfgs", max_iter=15)
    hb = scaled.fit(U, y, optimizer="lbfgs", max_iter=15)
    _same_bits(plain, scaled)
    assert ha.loss == hb.loss and ha.accuracy == hb.accuracy


def test_fit_on_uint8_with_input_scale_makes_no_float_copy_of_X(rng):
    """20,000 × 784 uint8 pixels (15.7 MB) would be a 62.7 MB float32 copy; the batches are scaled one by one."""
    import tracemalloc

    U, y = _pixels(rng, n=20_000, width=784, classes=10)
    net = cr.Network(
        [784, 16, 10], activation="relu", loss="cross_entropy", seed=0, dtype="float32", input_scale=1 / 255
    )
    options = {"batch_size": 128, "optimizer": "adam", "learning_rate": 1e-3, "dropout": 0.2}
    copy = U.size * 4
    tracemalloc.start()
    try:
        net.fit(U[:256], y[:256], **options)  # warm-up: first-use allocations (compiled kernels)
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        net.fit(U, y, epochs=1, validation_data=(U[:5000], y[:5000]), **options)
        net.predict(U[:1000])
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert peak < copy / 4, f"fit allocated {peak / 1e6:.1f} MB at its peak (a float32 copy of X: {copy / 1e6:.1f} MB)"


def _advice(net, X, **options):
    """The input-scale warnings of a fit of 0 epochs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net.fit(X, np.zeros((len(X), 2)), epochs=0, **options)
    return [str(w.message) for w in caught if "far from unit scale" in str(w.message)]


def test_input_scale_advice_judges_the_scaled_pixels(rng):
    U, _ = _pixels(rng, n=500)

    def network(**kwargs):
        return cr.Network([12, 2], loss="mse", seed=0, dtype="float32", **kwargs)

    assert _advice(network(input_scale=1 / 255), U) == []
    (plain,) = _advice(network(), U)  # without input_scale: converted, then judged, as always
    assert plain.startswith("the inputs are far from unit scale: column ") and "(pixels: X / 255)" in plain
    (message,) = _advice(network(input_scale=1.0), U)
    assert message == plain.replace("X / 255", "Network(..., input_scale=1/255)")  # the same column and RMS


@pytest.mark.parametrize(
    "column, scale",
    [
        ([1000] + [0] * 99, 1.0),  # max 1000 > 10: the squares decide, RMS 100 > 10: warned
        ([500] + [0] * 9999, 1.0),  # max 500 > 10 but RMS 5: not warned
        ([-128, 127] * 50, 10 / 128),  # int8: s·max|x| = 10 exactly, at the limit: not warned
        ([-128, 127] * 50, 10.5 / 128),  # RMS about 10.2: warned
        ([2**62, -(2**62)] * 5, 1e-17),  # int64 past float64's exact range: RMS 46.1, warned
        ([60_000] * 10, 1 / 6000),  # uint16: 10 exactly, not warned
    ],
)
def test_input_scale_advice_on_integers_decides_as_the_scaled_floats(column, scale):
    dtype = {1000: np.int16, 500: np.int16, -128: np.int8, 2**62: np.int64, 60_000: np.uint16}[column[0]]
    X = np.zeros((len(column), 3), dtype)
    X[:, 1] = column
    scaled = cr.Network([3, 2], loss="mse", seed=0, input_scale=scale)
    expected = _advice(cr.Network([3, 2], loss="mse", seed=0), X.astype(np.float64) * scale)
    got = _advice(scaled, X)
    assert got == [m.replace("X / 255", "Network(..., input_scale=1/255)") for m in expected]
    assert len(got) == (1 if column[0] in (1000, 2**62) or scale == 10.5 / 128 else 0)
