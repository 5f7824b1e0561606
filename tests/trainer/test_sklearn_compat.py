"""scikit-learn compatibility: its own estimator checks, clone, Pipeline, cross_val_score, GridSearchCV."""

import warnings

import numpy as np
import pytest

from trainer import SoftmaxRegression

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone, is_classifier  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

# checks that cannot apply, and why (scikit-learn's expected-failed-checks mechanism): none
# today, every check applies and passes. (scikit-learn itself skips its array-API checks unless
# SCIPY_ARRAY_API=1 is set before scipy is imported, and its pandas checks without pandas;
# tests/trainer/test_array_api.py covers array-API inputs with array-api-strict and torch.)
EXPECTED_FAILED = {}


# SoftmaxRegression must not need scikit-learn, so it does not inherit from BaseEstimator;
# scikit-learn warns about that once per estimator (not a failure of any check)
NOT_INHERITED = "ignore:Estimator SoftmaxRegression does not inherit from `sklearn.base.BaseEstimator`"
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Estimator SoftmaxRegression does not inherit")
    _checks = parametrize_with_checks(
        [SoftmaxRegression(), SoftmaxRegression(method="batch"), SoftmaxRegression(method="sgd", random_state=0)],
        expected_failed_checks=lambda est: EXPECTED_FAILED,
    )


# the checks fit unscaled data with the default max_epochs: "batch" (gradient descent) may then
# stop before tol and say so, as LogisticRegression does; check_supervised_y_2d records the
# DataConversionWarning itself (it must be emitted)
@pytest.mark.filterwarnings(NOT_INHERITED)
@pytest.mark.filterwarnings("ignore::trainer.ConvergenceWarning")
@pytest.mark.filterwarnings("always::trainer._validation.DataConversionWarning")
@_checks
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_clone_pipeline_cross_val_score_and_grid_search(digits_split):
    Xtr, _, ytr, _ = digits_split
    est = SoftmaxRegression(l2=1e-3, tol=1e-5)
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params() and is_classifier(est)
    pipe = make_pipeline(StandardScaler(), SoftmaxRegression())
    scores = cross_val_score(pipe, Xtr, ytr, cv=3)
    assert np.isfinite(scores).all() and scores.min() > 0.9
    grid = GridSearchCV(SoftmaxRegression(), {"l2": [1e-4, 1e-1], "method": ["lbfgs", "batch"]}, cv=3).fit(Xtr, ytr)
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert grid.best_params_["l2"] == 1e-4  # strong shrinkage (l2 = 0.1) costs accuracy on digits
    assert grid.best_estimator_.score(Xtr, ytr) > 0.95


def test_decision_function_is_the_log_odds_for_two_classes(blobs):
    X, _, codes = blobs
    two = codes > 0
    model = SoftmaxRegression().fit(X, two)
    d = model.decision_function(X)
    P = model.predict_proba(X)
    assert d.shape == (len(X),)
    np.testing.assert_allclose(d, np.log(P[:, 1] / P[:, 0]), rtol=1e-9, atol=1e-9)
    assert (model.classes_[(d > 0).astype(int)] == model.predict(X)).all()


def test_not_fitted_error_is_scikit_learns_too():
    from sklearn.exceptions import NotFittedError as SkNotFitted

    from trainer import NotFittedError

    with pytest.raises(SkNotFitted) as info:
        SoftmaxRegression().predict(np.ones((2, 2)))
    assert isinstance(info.value, NotFittedError) and isinstance(info.value, ValueError)


def test_trainer_runs_without_scikit_learn():
    """Importing and fitting never imports scikit-learn (it is not a runtime dependency)."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import numpy as np; from trainer import SoftmaxRegression\n"
        "X = np.random.default_rng(0).normal(size=(50, 3)); y = (X[:, 0] > 0).astype(int)\n"
        "m = SoftmaxRegression().fit(X, y); m.partial_fit(X, y); print(m.score(X, y) > 0.8)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
