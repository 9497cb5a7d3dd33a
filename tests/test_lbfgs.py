"""Tests for chainrule.training.lbfgs and Network.fit(optimizer="lbfgs"): the objective against
finite differences, the result against SciPy's L-BFGS-B run by hand, the stopping rules, the History."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.training import lbfgs

scipy_optimize = pytest.importorskip("scipy.optimize")


def _problem(seed=0, n=40):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    Y = np.tanh(X[:, :1] * X[:, 1:2]) + 0.05 * rng.normal(size=(n, 1))
    net = cr.Network([3, 6, 1], activation="tanh", loss="half_squared_error", seed=seed)
    return net, X, Y


@pytest.mark.parametrize("on", ["all", "weights"])
def test_objective_gradient_matches_finite_differences(on):
    net, X, Y = _problem()
    X, Y = net.check_XY(X, Y)
    mask = net.weight_mask if on == "weights" else None
    f = lbfgs.objective(net, X, Y, weights=np.linspace(0.5, 1.5, len(X)), weight_decay=0.3, weight_mask=mask)
    x = net.params.copy()
    value, grad = f(x)
    numeric = np.empty_like(x)
    h = 1e-6
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = h
        numeric[i] = (f(x + step)[0] - f(x - step)[0]) / (2 * h)
    assert np.abs(grad - numeric).max() < 1e-7 * np.abs(numeric).max()
    # the penalty is ½·λ·‖p‖² on the weights only, or on every parameter
    decayed = x * (net.weight_mask if on == "weights" else 1.0)
    net.params[...] = x
    data = net.loss(X, Y, sample_weight=np.linspace(0.5, 1.5, len(X)))
    assert value == pytest.approx(data + 0.15 * float(decayed @ decayed), rel=1e-13)


def test_fit_is_scipys_lbfgs_b_on_the_flat_vector():
    net, X, Y = _problem()
    start = net.params.copy()
    history = net.fit(X, Y, optimizer="lbfgs", max_iter=40, weight_decay=1e-3, weight_decay_on="weights")
    # The same minimisation written directly against SciPy, from the same start.
    other, X2, Y2 = _problem()
    X2, Y2 = other.check_XY(X2, Y2)
    f = lbfgs.objective(other, X2, Y2, weight_decay=1e-3, weight_mask=other.weight_mask)
    result = scipy_optimize.minimize(
        f, start, method="L-BFGS-B", jac=True, options={"maxiter": 40, "maxfun": 15000, "gtol": 1e-4}
    )
    np.testing.assert_array_equal(net.params, result.x)
    assert len(history) == result.nit == 40 and history.n_fun == result.nfev
    assert history.loss[-1] == pytest.approx(result.fun, rel=1e-15)
    assert history.converged is False and "ITERATIONS" in history.message
    assert history.epochs == list(range(40)) and net.epochs_trained_ == 40
    assert history.learning_rate == []
    assert all(b <= a for a, b in zip(history.loss, history.loss[1:]))  # each iteration's line search decreases f


def test_tolerances_stop_it():
    net, X, Y = _problem()
    history = net.fit(X, Y, optimizer="lbfgs", tol=1e3)  # the gradient is already below tol: no iteration
    assert len(history) == 0 and history.converged is True
    net, X, Y = _problem()
    history = net.fit(X, Y, optimizer="lbfgs", max_fun=5)
    assert history.n_fun <= 6 and history.converged is False  # SciPy may finish the line search's evaluation
    net, X, Y = _problem(n=12)
    history = net.fit(X, Y, optimizer="lbfgs", max_iter=2000)
    assert history.converged is True and len(history) < 2000


def test_float32_network_validation_data_and_callbacks():
    net, X, Y = _problem()
    net = net.astype("float32")
    stops = []

    class StopAtFive(cr.callbacks.Callback):
        def on_epoch_end(self, net, epoch, logs):
            stops.append(logs["val_loss"])
            return epoch == 4

    history = net.fit(X, Y, optimizer="lbfgs", validation_data=(X[:10], Y[:10]), callbacks=[StopAtFive()])
    assert len(history) == len(history.val_loss) == len(stops) == 5 and history.stopped_early
    assert net.params.dtype == np.float32
    assert history.val_loss[-1] == pytest.approx(net.loss(X[:10], Y[:10]), rel=1e-5)


def test_a_classifier_records_the_accuracy_at_each_iterate():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    net = cr.Network([2, 6, 2], activation="tanh", loss="cross_entropy", seed=1)
    seen = []

    class Record(cr.callbacks.Callback):
        def on_epoch_end(self, net, epoch, logs):
            seen.append((logs["accuracy"], float((net.predict(X).argmax(axis=1) == y).mean())))

    history = net.fit(X, y, optimizer="lbfgs", max_iter=15, callbacks=[Record()])
    assert len(history.accuracy) == len(history) == 15
    # each entry is the share classified right by the iterate the callback sees, as the loss is that iterate's
    assert [a for a, _ in seen] == history.accuracy
    assert all(a == b for a, b in seen)
    assert history.accuracy[-1] > history.accuracy[0]
    regression, Xr, Yr = _problem()
    assert regression.fit(Xr, Yr, optimizer="lbfgs", max_iter=3).accuracy == []


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"learning_rate": 0.1}, r"optimizer='lbfgs' takes no learning_rate: it runs full batch"),
        ({"batch_size": 4}, r"optimizer='lbfgs' takes no batch_size"),
        ({"epochs": 5, "dropout": 0.5}, r"optimizer='lbfgs' takes no epochs, dropout"),
        ({"schedule": "cosine"}, r"takes no schedule"),
        ({"max_iter": 0}, r"max_iter must be an integer >= 1; got 0"),
        ({"tol": -1.0}, r"tol must be a finite number >= 0; got -1.0"),
        ({"weight_decay_on": "bias"}, r"unknown weight_decay_on 'bias'; valid names are: all, weights"),
    ],
)
def test_bad_arguments(kwargs, message):
    net, X, Y = _problem()
    before = net.params.copy()
    with pytest.raises(ValueError, match=message):
        net.fit(X, Y, optimizer="lbfgs", **kwargs)
    np.testing.assert_array_equal(net.params, before)


def test_full_batch_size_is_accepted_and_gradient_descent_refuses_lbfgs_options():
    net, X, Y = _problem()
    assert len(net.fit(X, Y, optimizer="lbfgs", batch_size=len(X), max_iter=3)) == 3
    with pytest.raises(ValueError, match=r"max_iter, tol are for optimizer='lbfgs'"):
        net.fit(X, Y, optimizer="adam", max_iter=3, tol=1e-3)
