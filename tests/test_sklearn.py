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
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(CHECKED)
def test_check_estimator(estimator, check):
    check(estimator)
