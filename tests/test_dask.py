"""Sweeps of the scikit-learn estimators on a real Dask cluster (joblib's dask backend).

A ``dask.distributed.LocalCluster`` of two worker processes (one thread
each) runs the cross-validation fits; the search must find the same best
parameters, with the same scores, as the same search run serially here.
"""

from __future__ import annotations

import re
from pathlib import Path

import joblib
import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the estimators need the 'sklearn' extra: pip install 'chainrule[sklearn]'")
distributed = pytest.importorskip(
    "dask.distributed", reason="the 'dask' extra is not installed: pip install 'chainrule[dask]'"
)

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV  # noqa: E402

from chainrule.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

# max_iter caps every fit: scikit-learn's ConvergenceWarning says so, and is expected here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            worker_dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:500] / 16, y[:500]


def _on_dask(client, search, X, y):
    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        search.fit(X, y)
    workers = {task["worker"] for task in stream.data}
    return search, workers


def test_grid_search_on_dask_finds_the_serial_search_best(client, digits):
    X, y = digits
    grid = {"hidden_layer_sizes": [(8,), (32,)], "learning_rate_init": [1e-3, 1e-2]}
    estimator = MLPClassifier(max_iter=20, random_state=0)
    serial = GridSearchCV(estimator, grid, cv=3).fit(X, y)
    on_dask, workers = _on_dask(client, GridSearchCV(estimator, grid, cv=3, n_jobs=-1), X, y)
    assert len(workers) == 2  # both worker processes ran fits
    assert on_dask.best_params_ == serial.best_params_
    np.testing.assert_allclose(
        on_dask.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"], rtol=1e-12
    )
    assert on_dask.best_params_ == {"hidden_layer_sizes": (32,), "learning_rate_init": 1e-2}  # the search had a winner
    assert on_dask.best_estimator_.score(X, y) == serial.best_estimator_.score(X, y)


def test_randomized_search_of_a_regressor_on_dask_matches_the_serial_one(client, digits):
    X, y = digits
    target = X[:, 20:30].mean(axis=1) + 0.1 * y
    space = {"alpha": [1e-5, 1e-3, 1e-1], "hidden_layer_sizes": [(4,), (16,), (16, 8)], "batch_size": [32, 100]}
    estimator = MLPRegressor(max_iter=15, learning_rate_init=1e-2, random_state=1)
    serial = RandomizedSearchCV(estimator, space, n_iter=4, cv=2, random_state=0).fit(X, target)
    search = RandomizedSearchCV(estimator, space, n_iter=4, cv=2, random_state=0, n_jobs=-1)
    on_dask, workers = _on_dask(client, search, X, target)
    assert workers
    assert on_dask.cv_results_["params"] == serial.cv_results_["params"]  # the same candidates drawn
    assert on_dask.best_params_ == serial.best_params_
    np.testing.assert_allclose(
        on_dask.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"], rtol=1e-12
    )


# The README's cluster keeps Dask's default ports: its workers find the dashboard's port 8787 taken (by its
# scheduler, or another cluster), and Dask warns, leaves the probing socket to the collector and takes another.
@pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_readme_dask_example_runs(capsys):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```py\n(.*?)```", readme, flags=re.S) if "LocalCluster" in b]
    namespace: dict = {}
    exec(compile(block, "README.md (Dask)", "exec"), namespace)
    search = namespace["search"]
    assert capsys.readouterr().out == f"{search.best_params_}\n"
    assert search.best_score_ > 0.9
