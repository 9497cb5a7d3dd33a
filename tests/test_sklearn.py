"""Tests for chainrule.sklearn: scikit-learn's estimator checks, pipelines, the added features."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

import chainrule as cr
from chainrule.sklearn import MLPClassifier, MLPRegressor

# Small, quick instances for scikit-learn's checks (scikit-learn tests its own
# MLP with max_iter=100 too). Checks that train on few iterations on purpose
# raise ConvergenceWarning, which pytest's filterwarnings=error would turn
# into failures: it is ignored for the checks only.
CHECKED = [
    MLPClassifier(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01, random_state=0),
    MLPRegressor(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01, random_state=0),
    MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=100, random_state=0),
    MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=100, random_state=0),
    MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", max_iter=100, learning_rate_init=0.01, random_state=0),
    MLPRegressor(hidden_layer_sizes=(16,), solver="sgd", max_iter=200, learning_rate_init=0.002, random_state=0),
    MLPRegressor(hidden_layer_sizes=(16,), solver="rmsprop", max_iter=100, learning_rate_init=0.01, random_state=0),
]


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # These fits are small: BLAS threads only contend (SciPy's L-BFGS-B runs ~4x slower with them on a
    # loaded 2-core machine). The numbers are the same to rounding; no test compares them across settings.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(CHECKED)
def test_check_estimator(estimator, check):
    check(estimator)


# -- scikit-learn's tools, on the bundled digits -----------------------------------


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


def _quiet(fn, *args, **kwargs):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fn(*args, **kwargs)


def test_pipeline_gridsearch_cross_val_score_on_digits(digits):
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = digits
    pipe = make_pipeline(StandardScaler(), MLPClassifier((32,), max_iter=30, learning_rate_init=0.01, random_state=0))
    scores = _quiet(cross_val_score, pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8  # chance is 0.1; scikit-learn's MLP: 0.84-0.91
    grid = GridSearchCV(
        pipe, {"mlpclassifier__activation": ["relu", "tanh"], "mlpclassifier__alpha": [1e-4, 1e-2]}, cv=2
    )
    _quiet(grid.fit, X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_score_ > 0.85
    assert grid.best_estimator_.score(X, y) > 0.9


def test_regressor_in_pipeline_on_digits(digits):
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, _ = digits
    y = X[:, 20] + X[:, 44]  # a target the other pixels predict well
    X = np.delete(X, [20, 44], axis=1)
    scores = _quiet(
        cross_val_score,
        make_pipeline(StandardScaler(), MLPRegressor((32,), max_iter=60, learning_rate_init=0.01, random_state=0)),
        X,
        y,
        cv=KFold(3, shuffle=True, random_state=0),
        scoring="r2",
    )
    assert scores.min() > 0.5


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_clone_and_pickle(digits, Estimator):
    X, y = digits
    est = _quiet(Estimator((8,), max_iter=5, random_state=1).fit, X / 16, y)
    copy = clone(est)
    assert copy.get_params() == est.get_params() and not hasattr(copy, "network_")
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(X / 16), est.predict(X / 16))
    # The unpickled weights are the network's own again (views of its flat vector), so training continues.
    assert np.shares_memory(again.coefs_[0], again.network_.params)
    _quiet(again.partial_fit, X / 16, y)
    assert again.n_iter_ == est.n_iter_ + 1
    assert not np.array_equal(again.coefs_[0], est.coefs_[0])


# -- what scikit-learn's MLP does not give ------------------------------------------


def test_same_random_state_same_model(digits):
    X, y = digits
    a = _quiet(MLPClassifier((8,), max_iter=5, random_state=3).fit, X, y)
    b = _quiet(MLPClassifier((8,), max_iter=5, random_state=3).fit, X, y)
    c = _quiet(MLPClassifier((8,), max_iter=5, random_state=4).fit, X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_validation_loss_curve_and_early_stopping(digits):
    X, y = digits
    clf = MLPClassifier(
        (16,),
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=3,
        max_iter=200,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X / 16, y)
    assert len(clf.loss_curve_) == len(clf.validation_loss_curve_) == len(clf.validation_scores_) == clf.n_iter_
    assert clf.n_iter_ < 200  # stopped early
    assert clf.validation_loss_curve_[-1] < clf.validation_loss_curve_[0]
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # The best epoch's weights are kept: the validation accuracy now is the best one.
    from sklearn.model_selection import train_test_split

    idx_train, idx_val = train_test_split(np.arange(len(y)), random_state=clf._seed, test_size=0.2, stratify=y)
    assert clf.score(X[idx_val] / 16, y[idx_val]) == pytest.approx(clf.best_validation_score_)
    # The validation loss equals the network's own loss on that split (after the last epoch, not kept).
    assert clf.validation_loss_curve_[0] > 0


def test_loss_curve_is_the_training_objective(digits):
    # Full batch, plain SGD, no penalty: loss_curve_[k] is the loss before step k, so the
    # first entry is the loss of the initial network on the data.
    X, y = digits
    clf = MLPClassifier((8,), solver="sgd", momentum=0.0, alpha=0.0, batch_size=len(y), max_iter=3, random_state=0)
    clf = _quiet(clf.fit, X / 16, y)
    fresh = _quiet(
        MLPClassifier((8,), solver="sgd", momentum=0.0, alpha=0.0, batch_size=len(y), max_iter=1, random_state=0).fit,
        X / 16,
        y,
    )
    assert len(clf.loss_curve_) == 3 and clf.loss_curve_[0] == pytest.approx(fresh.loss_curve_[0])
    assert clf.loss_curve_[2] < clf.loss_curve_[0]


def test_alpha_penalises_weights_not_intercepts(digits):
    # One full-batch SGD step by hand: W ← W − lr·(∂L/∂W + α·W/n), b ← b − lr·∂L/∂b.
    X, y = digits
    X = X[:50] / 16
    y = y[:50]
    lr, alpha = 0.5, 3.0
    kwargs = {
        "solver": "sgd",
        "momentum": 0.0,
        "batch_size": 50,
        "max_iter": 1,
        "learning_rate_init": lr,
        "shuffle": False,
        "random_state": 0,
    }
    clf = MLPClassifier((5,), alpha=alpha, **kwargs)
    clf = _quiet(clf.fit, X, y)
    # The same seed with a step of 1e-12 leaves the initial weights (to ~1e-12).
    before = _quiet(MLPClassifier((5,), alpha=alpha, **{**kwargs, "learning_rate_init": 1e-12}).fit, X, y)
    onehot = np.eye(10)[y]
    grads = before.network_.gradients(X, onehot)
    for layer_after, layer_before, (gW, gb) in zip(clf.network_.layers, before.network_.layers, grads):
        W0, b0 = layer_before.weights, layer_before.bias
        np.testing.assert_allclose(layer_after.weights, W0 - lr * (gW + alpha * W0 / 50), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(layer_after.bias, b0 - lr * gb, rtol=1e-6, atol=1e-9)


def test_class_weight_is_sample_weight_per_class(digits):
    from sklearn.utils import compute_sample_weight

    X, y = digits
    X = X / 16
    kwargs = {"hidden_layer_sizes": (6,), "activation": "logistic", "max_iter": 4, "batch_size": 100, "random_state": 2}
    weighted = _quiet(MLPClassifier(class_weight="balanced", **kwargs).fit, X, y)
    by_hand = _quiet(MLPClassifier(**kwargs).fit, X, y, sample_weight=compute_sample_weight("balanced", y))
    plain = _quiet(MLPClassifier(**kwargs).fit, X, y)
    np.testing.assert_array_equal(weighted.predict_proba(X), by_hand.predict_proba(X))
    assert not np.allclose(weighted.predict_proba(X), plain.predict_proba(X))


def test_sample_weight_zero_is_removal_multioutput_regressor(rng):
    X = rng.standard_normal((40, 3))
    Y = np.c_[X[:, 0] - X[:, 1], X[:, 2] ** 2]
    w = (np.arange(40) % 3 != 0).astype(float)
    kwargs = {"hidden_layer_sizes": (5,), "activation": "tanh", "batch_size": 200, "max_iter": 5, "random_state": 0}
    weighted = _quiet(MLPRegressor(**kwargs).fit, X, Y, sample_weight=w)
    removed = _quiet(MLPRegressor(**kwargs).fit, X[w > 0], Y[w > 0])
    assert weighted.predict(X).shape == (40, 2)
    np.testing.assert_allclose(weighted.predict(X), removed.predict(X), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weighted.loss_curve_, removed.loss_curve_, rtol=1e-10)


def test_layer_activations_and_coefs_layout(digits):
    X, y = digits
    X = X[:30] / 16
    clf = _quiet(MLPClassifier((7, 5), activation=["tanh", "relu"], max_iter=3, random_state=0).fit, X, y[:30])
    acts = clf.layer_activations(X)
    assert [a.shape for a in acts] == [(30, 64), (30, 7), (30, 5), (30, len(clf.classes_))]
    assert [c.shape for c in clf.coefs_] == [(64, 7), (7, 5), (5, len(clf.classes_))]
    # scikit-learn's layout: a_{l+1} = f(a_l @ coefs_[l] + intercepts_[l]), one activation per layer.
    h1 = np.tanh(X @ clf.coefs_[0] + clf.intercepts_[0])
    h2 = np.maximum(h1 @ clf.coefs_[1] + clf.intercepts_[1], 0)
    z = h2 @ clf.coefs_[2] + clf.intercepts_[2]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(acts[1], h1, rtol=1e-12)
    np.testing.assert_allclose(acts[2], h2, rtol=1e-12)
    np.testing.assert_allclose(acts[3], p, rtol=1e-10)
    np.testing.assert_allclose(clf.predict_proba(X), p, rtol=1e-10)
    assert clf.out_activation_ == "softmax" and clf.n_layers_ == 4 and clf.n_outputs_ == len(clf.classes_)


def test_multilabel_classifier(rng):
    X = rng.standard_normal((80, 4))
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 0].astype(int)
    clf = _quiet(MLPClassifier((16,), max_iter=200, learning_rate_init=0.02, random_state=0).fit, X, Y)
    assert clf.out_activation_ == "logistic"  # independent sigmoids, not a softmax
    proba = clf.predict_proba(X)
    assert proba.shape == (80, 3) and not np.allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))
    assert clf.score(X, Y) > 0.8  # subset accuracy


def test_binary_labels_and_proba(rng):
    X = rng.standard_normal((60, 2))
    y = np.where(X[:, 0] > 0, "yes", "no")
    clf = _quiet(MLPClassifier((8,), max_iter=100, learning_rate_init=0.05, random_state=0).fit, X, y)
    proba = clf.predict_proba(X)
    assert list(clf.classes_) == ["no", "yes"] and proba.shape == (60, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), np.where(proba[:, 1] > 0.5, "yes", "no"))
    assert clf.score(X, y) > 0.9


def test_dropout_trains_differently_predicts_deterministically(digits):
    X, y = digits
    X = X / 16
    kwargs = {"hidden_layer_sizes": (16,), "max_iter": 3, "random_state": 0}
    drop = _quiet(MLPClassifier(dropout=0.5, **kwargs).fit, X, y)
    plain = _quiet(MLPClassifier(**kwargs).fit, X, y)
    assert not np.allclose(drop.coefs_[0], plain.coefs_[0])
    np.testing.assert_array_equal(drop.predict_proba(X), drop.predict_proba(X))
    # Sample weights go through Network.fit, dropout included, in float32 too.
    weights = np.where(y == 3, 5.0, 1.0)
    for data in (X, X.astype(np.float32)):
        weighted = _quiet(MLPClassifier(dropout=0.5, **kwargs).fit, data, y, sample_weight=weights)
        drop_same = _quiet(MLPClassifier(dropout=0.5, **kwargs).fit, data, y)
        assert weighted.network_.dtype == data.dtype
        assert np.isfinite(weighted.coefs_[0]).all()
        assert not np.allclose(weighted.coefs_[0], drop_same.coefs_[0])

        # Class 3 weighs five times as much: its recall does not drop below the unweighted model's.
        def recall(m, data=data):
            return (m.predict(data)[y == 3] == 3).mean()

        assert recall(weighted) >= recall(drop_same)


def test_warm_start_and_partial_fit(digits):
    X, y = digits
    X = X / 16
    clf = _quiet(MLPClassifier((8,), max_iter=2, warm_start=True, random_state=0).fit, X, y)
    first = clf.coefs_[0].copy()
    _quiet(clf.fit, X, y)
    assert clf.n_iter_ == 4 and len(clf.loss_curve_) == 4
    assert not np.array_equal(first, clf.coefs_[0])
    inc = MLPClassifier((8,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call to partial_fit"):
        inc.partial_fit(X[:50], y[:50])
    inc.partial_fit(X[:50], y[:50], classes=np.arange(10))
    inc.partial_fit(X[50:100], y[50:100])
    assert inc.n_iter_ == 2 and list(inc.classes_) == list(range(10))
    with pytest.raises(ValueError, match=r"y has labels not seen in the first fit: \[11\]"):
        inc.partial_fit(X[:2], [11, 1])


@pytest.mark.parametrize(
    "params,match",
    [
        ({"activation": "softplus"}, r"activation must be one of \['identity', .*\]; got 'softplus'"),
        (
            {"activation": ["relu"], "hidden_layer_sizes": (3, 3)},
            r"activation must be one name or one per hidden layer \(2\); got 1",
        ),
        ({"solver": "newton"}, r"solver must be one of \['adam', 'sgd', 'rmsprop', 'lbfgs'\]; got 'newton'"),
        (
            {"learning_rate": "optimal"},
            r"learning_rate must be one of \['constant', 'invscaling', 'adaptive'\]; got 'optimal'",
        ),
        ({"power_t": -1.0}, r"power_t must be a number >= 0.0; got -1.0"),
        ({"max_fun": 0}, r"max_fun must be an int >= 1; got 0"),
        ({"loss": "huber"}, r"loss must be one of \['squared_error', 'poisson', 'absolute_error'\]; got 'huber'"),
        (
            {"solver": "lbfgs", "dropout": 0.5},
            r"dropout is for the stochastic solvers; solver='lbfgs' needs dropout=0.0",
        ),
        ({"hidden_layer_sizes": (3, 0)}, r"hidden_layer_sizes must hold ints >= 1; got 0 at position 1"),
        ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\); got 1.0"),
        ({"batch_size": 0}, r"batch_size must be 'auto' or an int >= 1; got 0"),
        ({"max_iter": 0}, r"max_iter must be an int >= 1; got 0"),
        ({"learning_rate_init": 0.0}, r"learning_rate_init must be a number > 0.0; got 0.0"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        MLPRegressor(**params).fit([[0.0], [1.0]], [0.0, 1.0])


def test_single_class_and_bad_sample_weight():
    with pytest.raises(ValueError, match=r"needs samples of at least 2 classes in the data; got 1 class: 'a'"):
        MLPClassifier().fit([[0.0], [1.0]], ["a", "a"])
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(2,\); got shape \(3,\)"):
        MLPRegressor().fit([[0.0], [1.0]], [0.0, 1.0], sample_weight=[1, 1, 1])
    with pytest.raises(ValueError, match=r"sample_weight must hold finite numbers >= 0"):
        MLPRegressor().fit([[0.0], [1.0]], [0.0, 1.0], sample_weight=[1, -1])


def test_network_is_an_ordinary_network_after_fit(tmp_path, digits):
    X, y = digits
    clf = _quiet(MLPClassifier((8,), max_iter=3, random_state=0).fit, X / 16, y)
    net = clf.network_
    assert isinstance(net, cr.Network) and net.optimizer_.name == "adam"
    assert net.loss_function.name == "cross_entropy"  # the weighted loss was only lent for the fit
    cr.io.save(net, tmp_path / "net")
    loaded = cr.load(tmp_path / "net")
    np.testing.assert_allclose(loaded.predict(X / 16), clf.predict_proba(X / 16), rtol=1e-12)


# -- parity with scikit-learn's own MLP: L-BFGS, the SGD schedules, from the same weights -----


def _from_the_same_weights(ours, theirs, X, y, **params):
    """Fit both estimators with ``params`` from scikit-learn's initial weights.

    A first fit of one SGD epoch at a rate of 1e-300 builds each estimator
    without moving its weights (the updates are below the weights' last bit);
    scikit-learn's are then copied into ours, and both go on with warm_start.
    """
    setup = {"warm_start": True, "solver": "sgd", "learning_rate_init": 1e-300, "max_iter": 1, "shuffle": False}
    for est in (ours, theirs):
        _quiet(est.set_params(**setup).fit, X, y)
    for layer, W, b in zip(ours.network_.layers, theirs.coefs_, theirs.intercepts_):
        layer.weights = W.T
        layer.bias = b
    for est in (ours, theirs):
        _quiet(est.set_params(**params).fit, X, y)
    return ours, theirs


def _diabetes():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), (y - y.mean()) / y.std()


def test_lbfgs_matches_scikit_learns_lbfgs_on_digits(digits):
    from sklearn.neural_network import MLPClassifier as Theirs

    X, y = digits
    kwargs = {"hidden_layer_sizes": (32,), "alpha": 1e-3, "random_state": 0}
    ours, theirs = _from_the_same_weights(MLPClassifier(**kwargs), Theirs(**kwargs), X / 16, y, solver="lbfgs")
    assert ours.n_iter_ == theirs.n_iter_ < 200  # converged (ftol), in the same number of iterations
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    assert len(ours.loss_curve_) == ours.n_iter_ and ours.loss_curve_[-1] == ours.loss_
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(X / 16), theirs.predict_proba(X / 16), atol=1e-8)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_lbfgs_matches_scikit_learns_lbfgs_on_a_regression_set(loss):
    from sklearn.neural_network import MLPRegressor as Theirs

    X, y = _diabetes()
    if loss == "poisson":
        y = np.round(np.exp(y))  # counts 0, 1, 2, ... with the same structure
    kwargs = {"hidden_layer_sizes": (16,), "activation": "tanh", "loss": loss, "random_state": 0}
    ours, theirs = _from_the_same_weights(MLPRegressor(**kwargs), Theirs(**kwargs), X, y, solver="lbfgs", max_iter=60)
    assert ours.out_activation_ == theirs.out_activation_ == ("exp" if loss == "poisson" else "identity")
    assert ours.n_iter_ == theirs.n_iter_ == 60
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "schedule",
    [
        {"learning_rate": "constant", "learning_rate_init": 0.01},
        {"learning_rate": "invscaling", "learning_rate_init": 0.5, "power_t": 0.25},
        {"learning_rate": "adaptive", "learning_rate_init": 0.1, "n_iter_no_change": 5, "tol": 1e-3},
    ],
    ids=["constant", "invscaling", "adaptive"],
)
@pytest.mark.parametrize("nesterovs_momentum", [True, False])
def test_sgd_schedules_match_scikit_learns_sgd(digits, schedule, nesterovs_momentum):
    from sklearn.neural_network import MLPClassifier as Theirs

    X, y = digits
    kwargs = {"hidden_layer_sizes": (16,), "random_state": 0}
    params = {"solver": "sgd", "momentum": 0.9, "nesterovs_momentum": nesterovs_momentum, "max_iter": 150}
    ours, theirs = _from_the_same_weights(
        MLPClassifier(**kwargs), Theirs(**kwargs), X / 16, y, shuffle=False, **params, **schedule
    )
    # loss_curve_ counts the set-up epoch in both; scikit-learn's n_iter_ counts this fit's epochs only
    assert abs(len(ours.loss_curve_) - len(theirs.loss_curve_)) <= 1
    assert ours.score(X / 16, y) == pytest.approx(theirs.score(X / 16, y), abs=0.01)
    # entry 0 is the set-up epoch, each on its own initial weights; then the same weights, the same path
    np.testing.assert_allclose(ours.loss_curve_[1:20], theirs.loss_curve_[1:20], rtol=1e-4)
    if schedule["learning_rate"] == "adaptive":  # it divided the rate by 5 at least once, as scikit-learn did
        assert ours._optimizer.lr_ == pytest.approx(theirs._optimizer.learning_rate)
        assert ours._optimizer.lr_ < 0.1


def test_lbfgs_has_no_partial_fit_and_warns_when_it_stops_short(digits):
    X, y = digits
    clf = MLPClassifier((8,), solver="lbfgs", max_iter=5, random_state=0)
    assert not hasattr(clf, "partial_fit") and hasattr(MLPClassifier(), "partial_fit")
    with pytest.warns(ConvergenceWarning, match=r"lbfgs failed to converge after 5 iteration\(s\): .*max_iter=5"):
        clf.fit(X / 16, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == 5
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.validation_scores_ is None and clf.network_.optimizer_ is None


def test_regressor_losses_absolute_error_resists_outliers_and_poisson_predicts_rates(rng):
    X = rng.uniform(-1, 1, (200, 2))
    y = X[:, 0] - 2 * X[:, 1]
    y_bad = y.copy()
    y_bad[:10] += 50.0  # a few gross outliers
    kwargs = {"hidden_layer_sizes": (8,), "solver": "lbfgs", "max_iter": 300, "random_state": 0}
    mae = _quiet(MLPRegressor(loss="absolute_error", **kwargs).fit, X, y_bad)
    mse = _quiet(MLPRegressor(**kwargs).fit, X, y_bad)
    clean = slice(10, None)
    err = lambda m: np.abs(m.predict(X[clean]) - y[clean]).mean()  # noqa: E731
    assert err(mae) < 0.5 * err(mse)
    assert mae.network_.loss_function.name == "mae" and mae.out_activation_ == "identity"
    counts = rng.poisson(np.exp(X[:, 0]))
    poisson = _quiet(MLPRegressor(loss="poisson", **kwargs).fit, X, counts)
    assert (poisson.predict(X) > 0).all() and poisson.out_activation_ == "exp"
    with pytest.raises(ValueError, match=r"y must be >= 0 for loss='poisson'"):
        MLPRegressor(loss="poisson").fit(X, y)
