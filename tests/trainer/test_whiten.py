"""L-BFGS in whitened coordinates (trainer._whiten): the default fit reaches scikit-learn's
optimum on correlated, badly scaled, two-class and many-class problems, at C large and small;
the change of variables leaves the objective, its optimum and float32 alone."""

import math
import warnings

import numpy as np
import pytest

import trainer._fitting as fitting
from trainer import SoftmaxRegression, gradient, loss
from trainer._whiten import FULL_ROWS, class_prior_bias, whitened_fg, whitening_for


def correlated(N, m, n, seed=0, scale=None):
    """Correlated Gaussian features (X = Z A), labels from a softmax model; ``scale``: the
    columns multiplied by 10^U(-scale, scale) (an ill-conditioned X)."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, m)) / np.sqrt(m) + np.eye(m)
    X = rng.normal(size=(N, m)) @ A
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    W = rng.normal(size=(n, m)) * (2.0 / np.sqrt(m))
    y = np.argmax(X @ W.T + rng.gumbel(size=(N, n)), axis=1)
    if scale:
        X = X * 10.0 ** rng.uniform(-scale, scale, m)
    return X + 0.5, y   # not centred: the bias column is correlated with the features


def sklearn_optimum(X, y, l2):
    """(W, b centred) of scikit-learn's LogisticRegression on the same objective: its
    Newton-Cholesky solver (exact Hessian; max |gradient| ~1e-15 here, where its lbfgs at
    tol=1e-12 stops at 1e-8 .. 5e-5 on these problems), tol 1e-12.
    Two classes: scikit-learn fits one w (logit difference) with penalty ||w||^2 / (2 C N);
    the softmax optimum has W = [-w/2, w/2] (rows sum to 0), penalty (l2/4) ||w||^2, so
    C = 2 / (l2 N)."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    N = len(y)
    two = len(np.unique(y)) == 2
    C = 2.0 / (l2 * N) if two else 1.0 / (l2 * N)
    sk = linear_model.LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    if two:
        w, c = sk.coef_[0], sk.intercept_[0]
        return np.stack([-w / 2, w / 2]), np.array([-c / 2, c / 2])
    return sk.coef_, sk.intercept_ - sk.intercept_.mean()


def _close_to(model, W, b, rel):
    assert np.linalg.norm(model.coef_ - W) <= rel * np.linalg.norm(W)
    bm = model.intercept_ - model.intercept_.mean()
    assert np.linalg.norm(bm - b) <= rel * max(np.linalg.norm(b), 1e-3)


CASES = {
    "correlated, 10 classes": (lambda: correlated(3000, 40, 10, seed=1), None),
    "badly scaled features": (lambda: correlated(3000, 30, 5, seed=2, scale=2), None),
    "two classes": (lambda: correlated(3000, 40, 2, seed=3), None),
    "25 classes": (lambda: correlated(4000, 20, 25, seed=4), None),
    "N > FULL_ROWS (m + 1): sampled G": (lambda: correlated(FULL_ROWS * 9 + 500, 8, 4, seed=5), None),
}


@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
@pytest.mark.parametrize("case", list(CASES))
def test_default_fit_reaches_sklearn_optimum(case, C):
    X, y = CASES[case][0]()
    l2 = 1.0 / (C * len(y))
    if C >= 1:   # (at C = 0.01, n l2 I dominates M: near white, L-BFGS runs unwhitened)
        assert whitening_for(X, len(np.unique(y)), l2) is not None     # the whitened path runs
    W, b = sklearn_optimum(X, y, l2)
    # ||W - W*|| <= ||grad|| / lambda_min: at C = 100 (l2 ~ 3e-6) tol must be 100x smaller for the same
    # distance to the optimum
    model = SoftmaxRegression(l2=l2, tol=1e-9 / max(C, 1.0), max_epochs=5000).fit(X, y)
    assert model.converged_
    _close_to(model, W, b, 1e-6)
    assert model.loss_ <= loss(W, b, X, y, l2=l2) + 1e-13
    # and at the default tol, about as close to the optimum (in J) as scikit-learn's own default fit
    # (both stop on max |gradient| < 1e-4; where the whitening is skipped, C = 0.01, our L-BFGS lands at
    # 1.1-1.4x scikit-learn's gap, as it did before the whitening; where it runs, 10-1e9 x closer)
    linear_model = pytest.importorskip("sklearn.linear_model")
    default = SoftmaxRegression(l2=l2).fit(X, y)
    J_star = loss(W, b, X, y, l2=l2)
    if len(np.unique(y)) > 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # its ConvergenceWarning at max_iter=100
            sk = linear_model.LogisticRegression(C=C).fit(X, y)
        gap_sk = loss(sk.coef_, sk.intercept_, X, y, l2=l2) - J_star
        assert default.loss_ - J_star <= max(1.5 * gap_sk, 1e-9)
    assert default.converged_ and default.grad_max_ < 1e-4


def test_digits_default_reaches_sklearn_optimum(digits_split):
    Xtr, _, ytr, _ = digits_split
    l2 = 1.0 / len(ytr)
    W, b = sklearn_optimum(Xtr, ytr, l2)
    model = SoftmaxRegression(l2=l2, tol=1e-8, max_epochs=5000).fit(Xtr, ytr)
    assert model.converged_
    _close_to(model, W, b, 1e-4)


def test_whitening_changes_the_path_not_the_optimum(monkeypatch):
    X, y = correlated(2000, 30, 6, seed=7)
    l2 = 1e-3
    white = SoftmaxRegression(l2=l2, tol=1e-10).fit(X, y)
    monkeypatch.setattr(fitting, "whitening_for", lambda *a, **k: None)
    plain = SoftmaxRegression(l2=l2, tol=1e-10, max_epochs=5000).fit(X, y)
    assert white.converged_ and plain.converged_
    # both within ||g|| / lambda_min <= tol / l2 = 1e-7 of the optimum (J is l2-strongly convex in W)
    np.testing.assert_allclose(white.coef_, plain.coef_, rtol=0, atol=2e-7)
    np.testing.assert_allclose(white.intercept_ - white.intercept_.mean(),
                               plain.intercept_ - plain.intercept_.mean(), rtol=0, atol=2e-6)
    assert white.loss_ == pytest.approx(plain.loss_, rel=1e-13, abs=1e-15)
    assert white.n_iter_ < plain.n_iter_     # what it is for (not a timing)


def test_whitened_coordinates_round_trip_and_chain_rule():
    """Phi = W~ L and back; grad_Phi f = grad_W~ J L^{-T} (central differences of f(Phi))."""
    X, y = correlated(600, 6, 3, seed=8, scale=2)
    n, m, l2 = 3, 6, 1e-2
    wh = whitening_for(X, n, l2)
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(n, m)), rng.normal(size=n)
    W2, b2 = wh.to_original(wh.from_original(W, b, W))
    np.testing.assert_allclose(W2, W, atol=1e-12)
    np.testing.assert_allclose(b2, b, atol=1e-12)

    def grad(W, b):
        dW, db = gradient(W, b, X, y, l2=l2)
        return loss(W, b, X, y, l2=l2), dW, db

    fg = whitened_fg(grad, wh)
    phi = wh.from_original(W, b, W)
    J, g, gmax, gnorm = fg(phi)
    dW, db = gradient(W, b, X, y, l2=l2)
    assert gmax == max(np.abs(dW).max(), np.abs(db).max())           # tol is about the gradient in (W, b)
    assert gnorm == pytest.approx(math.sqrt((dW ** 2).sum() + (db ** 2).sum()), rel=1e-12)
    d = rng.normal(size=phi.shape)
    h = 1e-5
    numeric = (fg(phi + h * d)[0] - fg(phi - h * d)[0]) / (2 * h)
    assert float(g @ d) == pytest.approx(numeric, rel=1e-7)


def test_starting_intercept_is_the_class_prior():
    """First evaluated point: W = 0, b = ln f (centred), where J = -sum_i f_i ln f_i (the entropy)."""
    rng = np.random.default_rng(3)
    y = rng.choice(4, size=500, p=[0.55, 0.25, 0.15, 0.05])
    X = rng.normal(size=(500, 5))
    model = SoftmaxRegression(l2=1e-2).fit(X, y)
    f = np.bincount(y) / len(y)
    assert model.loss_history_[0] == pytest.approx(-(f * np.log(f)).sum(), rel=1e-12)
    np.testing.assert_allclose(class_prior_bias(np.bincount(y)), np.log(f) - np.log(f).mean())
    assert class_prior_bias(np.array([3.0, 0.0])) is None                 # an empty class: start at b = 0


def test_whitening_skipped_when_it_does_not_pay():
    rng = np.random.default_rng(0)
    assert whitening_for(rng.normal(size=(40, 20)), 3, 1e-3) is None          # wide: m + 1 > N / 4
    assert whitening_for(rng.normal(size=(5000, 400)), 2, 1e-3) is None       # G costs > 8 passes
    assert whitening_for(rng.normal(size=(5000, 40)), 3, 1e-3) is None       # near white already
    assert whitening_for(rng.normal(size=(5000, 40)) * np.geomspace(1, 1e3, 40), 3, 1e-3) is not None  # scales
    assert whitening_for(correlated(5000, 40, 3)[0], 3, 1e-3) is not None    # correlations


def test_degenerate_columns_and_no_penalty():
    """Constant and duplicated columns with l2 = 0 (M singular without its jitter): the fit still
    converges to the unpenalised optimum's predictions."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(800, 6))
    y = np.argmax(X[:, :3] + rng.gumbel(size=(800, 3)) * 2, axis=1)
    Xd = np.hstack([X, np.zeros((800, 1)), X[:, :2], np.full((800, 1), 3.0)])
    assert whitening_for(Xd, 3, 0.0) is not None
    model = SoftmaxRegression(l2=0.0, tol=1e-8, max_epochs=5000).fit(Xd, y)
    ref = SoftmaxRegression(l2=0.0, tol=1e-8, max_epochs=5000).fit(X, y)
    assert model.converged_ and ref.converged_
    assert model.loss_ == pytest.approx(ref.loss_, rel=1e-10)
    np.testing.assert_allclose(model.predict_proba(Xd), ref.predict_proba(X), atol=1e-6)


def test_float32_stays_float32_when_whitened():
    X, y = correlated(3000, 30, 5, seed=9)
    X32 = X.astype(np.float32)
    assert whitening_for(X32, 5, 1e-3).Linv.dtype == np.float32
    model = SoftmaxRegression(l2=1e-3).fit(X32, y)
    assert model.converged_ and model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32
    ref = SoftmaxRegression(l2=1e-3, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=0, atol=2e-3)
