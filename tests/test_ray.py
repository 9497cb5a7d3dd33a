"""Sweeps on a real (local) Ray cluster: joblib's ray backend, and Ray Tune with early stopping.

One local Ray session (two CPUs, this machine only) serves the module. The grid
search must find the serial search's best parameters with the same scores;
the Tune search reports every epoch's validation loss through
:class:`chainrule.callbacks.Report`, and its ASHA scheduler must stop the
trials that fall behind while the best one runs to the end, each reporting
exactly the losses that ``Network.fit`` measures here.
"""

from __future__ import annotations

import signal
import sys

import joblib
import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the estimators need the 'sklearn' extra: pip install 'chainrule[sklearn]'")
ray = pytest.importorskip("ray", reason="the 'ray' extra is not installed: pip install 'chainrule[ray]'")
tune = pytest.importorskip(
    "ray.tune", reason="the 'ray' extra (ray[tune]) is not installed: pip install 'chainrule[ray]'"
)

from ray.tune.schedulers import ASHAScheduler  # noqa: E402
from ray.util.joblib import register_ray  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

import chainrule as cr  # noqa: E402
from chainrule.sklearn import MLPClassifier  # noqa: E402


@pytest.fixture(scope="module")
def ray_session():
    # ray.init installs a SIGTERM handler and Ray Tune a SIGINT one, neither put back at shutdown: keep the
    # process's own, so that later tests (Ctrl-C in fit, the compiled loop) see the handlers of a fresh process.
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        object_store_memory=100 * 1024**2,
    )
    register_ray()
    # The trainable calls this module's _train: send the module's code to the workers (it is not importable there).
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ray.shutdown()
    for number, handler in handlers.items():
        signal.signal(number, handler)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:500] / 16, y[:500]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # max_iter caps every fit
def test_grid_search_on_ray_finds_the_serial_search_best(ray_session, digits):
    X, y = digits
    grid = {"hidden_layer_sizes": [(8,), (32,)], "learning_rate_init": [1e-3, 1e-2]}
    estimator = MLPClassifier(max_iter=20, random_state=0)
    serial = GridSearchCV(estimator, grid, cv=3).fit(X, y)
    with joblib.parallel_backend("ray"):
        backend, _ = joblib.parallel.get_active_backend()
        on_ray = GridSearchCV(estimator, grid, cv=3, n_jobs=2).fit(X, y)
    assert type(backend).__name__ == "RayBackend"
    assert on_ray.best_params_ == serial.best_params_ == {"hidden_layer_sizes": (32,), "learning_rate_init": 1e-2}
    np.testing.assert_allclose(on_ray.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"], rtol=1e-12)


EPOCHS = 8


def _train(learning_rate, X, y, callbacks=()):
    net = cr.Network([64, 32, 10], activation="relu", loss="cross_entropy", seed=0)
    return net.fit(
        X[:380],
        y[:380],
        epochs=EPOCHS,
        batch_size=32,
        optimizer="adam",
        learning_rate=learning_rate,
        validation_data=(X[380:], y[380:]),
        callbacks=callbacks,
    )


def test_tune_stops_the_trials_that_fall_behind(ray_session, digits, tmp_path):
    X, y = digits

    def trainable(config):  # Ray Tune's function API: report each epoch through a chainrule callback
        _train(config["learning_rate"], X, y, callbacks=[cr.callbacks.Report(tune.report)])

    rates = [1e-2, 1e-3, 1e-4]
    tuner = tune.Tuner(
        trainable,
        param_space={"learning_rate": tune.grid_search(rates)},
        tune_config=tune.TuneConfig(
            metric="val_loss",
            mode="min",
            max_concurrent_trials=1,  # trials in the grid's order: the scheduler's decisions are reproducible
            scheduler=ASHAScheduler(max_t=EPOCHS, grace_period=2, reduction_factor=2),
        ),
        run_config=tune.RunConfig(storage_path=str(tmp_path), verbose=0),
    )
    results = tuner.fit()
    assert not results.errors
    reported = {r.config["learning_rate"]: r.metrics_dataframe for r in results}
    assert results.get_best_result().config == {"learning_rate": 1e-2}
    assert len(reported[1e-2]) == EPOCHS  # the leader runs to the end
    assert len(reported[1e-3]) < EPOCHS and len(reported[1e-4]) < EPOCHS  # the others are stopped early
    for rate, frame in reported.items():
        history = _train(rate, X, y)  # what the trial reported is what fit measures
        assert list(frame["epoch"]) == list(range(len(frame)))
        np.testing.assert_allclose(frame["val_loss"], history.val_loss[: len(frame)], rtol=1e-12)
