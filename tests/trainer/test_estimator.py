"""SoftmaxRegression: accuracy, the scikit-learn optimum, labels, dtypes, progress, Ctrl-C."""

import numpy as np
import pytest

from trainer import (
    DivergenceError,
    EpochInfo,
    NotFittedError,
    SoftmaxRegression,
    TrainingInterruptedWarning,
    gradient,
    loss,
)
from trainer._stepsize import batch_lipschitz


# -- accuracy on digits (the targets) ------------------------------------
def test_default_settings_reach_095_on_digits(digits_split):
    Xtr, Xte, ytr, yte = digits_split
    model = SoftmaxRegression().fit(Xtr, ytr)
    assert model.score(Xte, yte) >= 0.95
    assert model.converged_


@pytest.mark.parametrize("method", ["sgd", "minibatch"])
def test_stochastic_methods_reach_094_on_digits(digits_split, method):
    Xtr, Xte, ytr, yte = digits_split
    model = SoftmaxRegression(method=method, random_state=0).fit(Xtr, ytr)
    assert model.score(Xte, yte) >= 0.94


# -- correctness oracle: scikit-learn's optimum ----------------------------------
def test_converges_to_sklearn_optimum_on_digits(digits_split):
    linear_model = pytest.importorskip("sklearn.linear_model")
    Xtr, _, ytr, _ = digits_split
    C = 1.0  # scikit-learn's default; plain gradient descent with 1/L needs ~16,000 epochs here
    sk = linear_model.LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(Xtr, ytr)
    model = SoftmaxRegression(l2=1.0 / (C * len(Xtr)), tol=1e-8, max_epochs=5000).fit(Xtr, ytr)
    assert model.n_iter_ < 500  # L-BFGS ~150 passes, Barzilai-Borwein ~250 (Nesterov ~2,400, plain 1/L ~16,000)
    assert model.converged_
    rel = np.linalg.norm(model.coef_ - sk.coef_) / np.linalg.norm(sk.coef_)
    assert rel < 1e-4
    # the bias is not penalised: its common shift is free, so compare centred intercepts
    sk_b = sk.intercept_ - sk.intercept_.mean()
    b = model.intercept_ - model.intercept_.mean()
    assert np.linalg.norm(b - sk_b) / np.linalg.norm(sk_b) < 1e-4


@pytest.mark.parametrize("accelerate", [True, "bb", "nesterov", False, "lbfgs"])
def test_plain_and_accelerated_reach_the_same_optimum(blobs, accelerate):
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y, _ = blobs
    l2 = 0.05
    sk = linear_model.LogisticRegression(C=1 / (l2 * len(X)), tol=1e-12, max_iter=10_000).fit(X, y)
    params = {"method": "lbfgs"} if accelerate == "lbfgs" else {"method": "batch", "accelerate": accelerate}
    model = SoftmaxRegression(l2=l2, tol=1e-9, max_epochs=20_000, **params).fit(X, y)
    assert model.converged_
    np.testing.assert_allclose(model.coef_, sk.coef_, rtol=1e-5, atol=1e-6)


def test_acceleration_needs_fewer_epochs(blobs):
    X, y, _ = blobs
    fast = SoftmaxRegression(method="batch", l2=1e-3, tol=1e-6, max_epochs=50_000).fit(X, y)
    slow = SoftmaxRegression(method="batch", l2=1e-3, tol=1e-6, max_epochs=50_000, accelerate=False).fit(X, y)
    assert fast.converged_ and slow.converged_
    assert fast.n_iter_ * 3 < slow.n_iter_


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_barzilai_borwein_needs_fewer_epochs_than_nesterov_on_digits(digits_split, dtype):
    Xtr, Xte, ytr, yte = digits_split
    Xtr = Xtr.astype(dtype)
    bb = SoftmaxRegression(method="batch").fit(Xtr, ytr)
    nesterov = SoftmaxRegression(method="batch", accelerate="nesterov").fit(Xtr, ytr)
    assert bb.converged_ and nesterov.converged_
    assert bb.n_iter_ * 2 < nesterov.n_iter_  # ~80 vs ~330 epochs to tol 1e-4
    assert bb.score(Xte, yte) >= 0.95 and bb.coef_.dtype == dtype
    assert bb.learning_rate_ == nesterov.learning_rate_  # the same 1/L: the smallest BB step


def test_barzilai_borwein_steps_pass_the_nonmonotone_armijo_test(blobs):
    """Every accepted step x_{k+1} = x_k - lam g_k has lam >= 1/L, and either lam = 1/L or
    J(x_{k+1}) <= max(last 10 accepted J) - 1e-4 lam ||g_k||^2 (Grippo-Lampariello-Lucidi)."""
    from trainer._batch import _GAMMA, _MEMORY, run_batch
    from trainer._kernel import BatchKernel

    X, _, codes = blobs
    alpha = 1.0 / batch_lipschitz(X, codes, None, 1e-3)

    class Recorder:  # the monitor interface run_batch uses
        def __init__(self):
            self.evals, self.kept = [], []

        def keep(self, W, b, epoch, J=None, gmax=None):
            theta = np.concatenate([W.ravel(), b])
            if not self.kept or not np.array_equal(theta, self.kept[-1]):
                self.kept.append(theta)

        def epoch_end(self, epoch, J, dW, db, gmax):
            self.evals.append((J, np.concatenate([dW.ravel(), db]).copy()))
            return False

    rec = Recorder()
    kernel = BatchKernel(X, codes.astype(np.intp), None, 3, 1e-3)
    W, b, epochs, converged, J, gmax = run_batch(kernel, np.zeros((3, 4)), np.zeros(3), alpha, accelerate="bb",
                                        max_epochs=2000, tol=1e-7, monitor=rec)
    assert converged and epochs == len(rec.evals)

    def J_and_g(theta):  # the recorded evaluation at theta (reference objective, same point)
        dW, db = gradient(theta[:12].reshape(3, 4), theta[12:], X, codes, l2=1e-3)
        return loss(theta[:12].reshape(3, 4), theta[12:], X, codes, l2=1e-3), np.concatenate([dW.ravel(), db])

    accepted = [J_and_g(t) for t in rec.kept]
    assert len(accepted) > 5 and len(accepted) <= epochs
    long_steps = 0
    for k in range(len(accepted) - 1):
        (J_k, g_k), (J_next, _) = accepted[k], accepted[k + 1]
        step = rec.kept[k] - rec.kept[k + 1]
        lam = float(step @ g_k / (g_k @ g_k))
        np.testing.assert_allclose(step, lam * g_k, rtol=1e-9, atol=1e-12)  # a gradient step
        assert lam >= alpha * (1 - 1e-9)
        if lam > alpha * (1 + 1e-9) and k + 2 < len(accepted):  # (the last point met tol: no test)
            ref = max(J for J, _ in accepted[max(0, k + 1 - _MEMORY):k + 1])
            assert J_next <= ref - _GAMMA * lam * float(g_k @ g_k) + 1e-12
        long_steps += lam > alpha * (1 + 1e-9)
    assert long_steps > 0  # BB steps (> 1/L) were taken


def test_accelerate_must_be_known():
    with pytest.raises(ValueError, match="accelerate must be True, False, 'bb' or 'nesterov'; got 'adam'"):
        SoftmaxRegression(method="batch", accelerate="adam").fit(np.eye(3), [0, 1, 2])


def test_lbfgs_steps_decrease_the_loss_and_meet_the_wolfe_conditions(blobs):
    """Every accepted L-BFGS step x -> x + t d satisfies Armijo J(x+) <= J(x) + 1e-4 t <g, d>
    (or the approximate-Wolfe form within rounding), checked with the reference objective."""
    X, y, codes = blobs
    kept = []

    class Spy:
        def __call__(self, info):
            kept.append(info.loss)

    model = SoftmaxRegression(l2=1e-3, tol=1e-8, max_epochs=500, callback=Spy()).fit(X, y)
    assert model.converged_ and model.n_iter_ < 60
    J = loss(model.coef_, model.intercept_, X, codes, l2=1e-3)
    assert model.loss_ == pytest.approx(J, rel=1e-12)
    # the returned loss is the smallest one seen (a descent method)
    assert model.loss_ <= min(kept) + 1e-15


def test_plain_gradient_descent_never_increases_the_loss(blobs):
    X, y, _ = blobs
    hist = SoftmaxRegression(method="batch", accelerate=False, l2=0.0, max_epochs=200, tol=0).fit(X, y).loss_history_
    assert np.all(np.diff(hist) <= 1e-12)


def test_lipschitz_bound_dominates_the_hessian():
    rng = np.random.default_rng(1)
    N, m, n = 30, 3, 3
    X = rng.normal(size=(N, m)) * rng.uniform(0.1, 3, size=m) + 1.0
    y = rng.integers(0, n, N)
    L = batch_lipschitz(X, y, None, 0.0)
    for _ in range(5):  # Hessian by differences of the proved gradient at random points
        W, b = rng.normal(size=(n, m)) * 2, rng.normal(size=n)
        theta = np.concatenate([W.ravel(), b])
        eps = 1e-6

        def grad(t):
            dW, db = gradient(t[: n * m].reshape(n, m), t[n * m:], X, y)
            return np.concatenate([dW.ravel(), db])

        H = np.array([(grad(theta + eps * e) - grad(theta - eps * e)) / (2 * eps) for e in np.eye(theta.size)])
        assert np.linalg.eigvalsh((H + H.T) / 2)[-1] <= L * (1 + 1e-6)


# -- labels and dtypes ------------------------------------------------------------
def test_string_labels(blobs):
    X, y, _ = blobs
    model = SoftmaxRegression().fit(X, y)
    assert model.classes_.tolist() == ["cat", "dog", "eel"]
    assert set(model.predict(X)) <= {"cat", "dog", "eel"}
    assert model.score(X, y) > 0.8


def test_one_hot_rows_equal_integer_labels(blobs):
    X, _, codes = blobs
    a = SoftmaxRegression(max_epochs=50, tol=0).fit(X, codes)
    b = SoftmaxRegression(max_epochs=50, tol=0).fit(X, np.eye(3)[codes])
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12)
    assert b.score(X, np.eye(3)[codes]) == a.score(X, codes)


def test_non_contiguous_integer_labels(blobs):
    X, _, codes = blobs
    y = np.array([3, 7, 42])[codes]
    model = SoftmaxRegression().fit(X, y)
    assert model.classes_.tolist() == [3, 7, 42]
    assert model.predict(X).dtype.kind == "i"


@pytest.mark.parametrize("method", ["lbfgs", "batch", "sgd", "minibatch"])
def test_soft_label_rows_reach_the_soft_optimum(blobs, method):
    X, _, codes = blobs
    Y = np.eye(3)[codes] * 0.7 + 0.1  # soft rows summing to 1
    model = SoftmaxRegression(method=method, random_state=0, max_epochs=300 if method in ("lbfgs", "batch") else 30).fit(X, Y)
    best = SoftmaxRegression(tol=1e-8, max_epochs=5000).fit(X, Y)
    assert model.loss_history_[-1] < loss(np.zeros((3, 4)), np.zeros(3), X, Y)
    assert model.loss_history_[-1] == pytest.approx(best.loss_history_[-1], rel=0.05)
    # label smoothing caps the confidence: p of the true class ~ 0.8, never ~1
    assert model.predict_proba(X).max() < 0.99


@pytest.mark.parametrize("method", ["lbfgs", "batch", "sgd", "minibatch"])
def test_float32_stays_float32(blobs, method):
    X, y, _ = blobs
    model = SoftmaxRegression(method=method, random_state=0, max_epochs=5, tol=0).fit(X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32
    assert model.predict_proba(X.astype(np.float32)).dtype == np.float32
    model64 = SoftmaxRegression(method=method, random_state=0, max_epochs=5, tol=0).fit(X, y)
    assert model64.coef_.dtype == np.float64
    np.testing.assert_allclose(model.coef_, model64.coef_, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("method", ["lbfgs", "batch", "sgd", "minibatch"])
def test_features_scaled_by_1e4_stay_finite(blobs, method):
    X, y, _ = blobs  # filterwarnings=error: any overflow warning fails the test
    model = SoftmaxRegression(method=method, random_state=0, max_epochs=20, tol=0).fit(X * 1e4, y)
    P = model.predict_proba(X * 1e4)
    assert np.isfinite(P).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    assert np.isfinite(model.loss_history_).all()
    assert model.score(X * 1e4, y) > 0.7


def test_predict_proba_and_predict_agree(blobs):
    X, y, _ = blobs
    model = SoftmaxRegression().fit(X, y)
    P = model.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert (model.classes_[P.argmax(axis=1)] == model.predict(X)).all()
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), P)


# -- progress, stopping, Ctrl-C ---------------------------------------------------
def test_callback_receives_epoch_info_and_can_stop(blobs):
    X, y, _ = blobs
    seen = []

    def cb(info):
        seen.append(info)
        return info.epoch == 7

    model = SoftmaxRegression(callback=cb, tol=0).fit(X, y)
    assert [i.epoch for i in seen] == list(range(1, 8))
    assert isinstance(seen[0], EpochInfo)
    assert model.n_iter_ == 7 and not model.converged_
    assert [i.loss for i in seen] == model.loss_history_
    assert all(i.grad_norm >= i.grad_max > 0 for i in seen)


def test_tol_stops_on_the_largest_gradient_entry(blobs):
    X, y, codes = blobs
    model = SoftmaxRegression(tol=1e-3).fit(X, y)
    assert model.converged_ and model.grad_max_history_[-1] < 1e-3
    assert all(g >= 1e-3 for g in model.grad_max_history_[:-1])
    dW, db = gradient(model.coef_, model.intercept_, X, codes, l2=model.l2)
    assert max(np.abs(dW).max(), np.abs(db).max()) < 1e-3


def test_verbose_prints_progress(blobs, capsys):
    X, y, _ = blobs
    SoftmaxRegression(verbose=True, max_epochs=20, tol=0).fit(X, y)
    err = capsys.readouterr().err
    assert "epoch      1/20" in err and "epoch     20/20" in err and "loss" in err


@pytest.mark.parametrize("method, kept", [("lbfgs", 4), ("batch", 4), ("sgd", 5), ("minibatch", 5)])
def test_ctrl_c_keeps_last_good_weights(blobs, method, kept):
    X, y, _ = blobs

    def interrupt(info):
        if info.epoch == 5:
            raise KeyboardInterrupt

    with pytest.warns(TrainingInterruptedWarning, match="interrupted"):
        model = SoftmaxRegression(method=method, callback=interrupt, random_state=1, tol=0).fit(X, y)
    assert model.interrupted_ and model.n_iter_ == kept
    reference = SoftmaxRegression(method=method, max_epochs=kept, random_state=1, tol=0).fit(X, y)
    np.testing.assert_array_equal(model.coef_, reference.coef_)
    np.testing.assert_array_equal(model.intercept_, reference.intercept_)
    assert model.score(X, y) > 0.5


def test_huge_learning_rate_reports_divergence(blobs):
    X, y, _ = blobs
    with pytest.raises(DivergenceError, match="diverged.*learning_rate=1e\\+300"):
        SoftmaxRegression(method="batch", learning_rate=1e300, accelerate=False, l2=1.0, tol=0).fit(X, y)


# -- boundary validation -----------------------------------------------------------
X_OK = np.arange(12.0).reshape(6, 2)
Y_OK = np.array([0, 1, 0, 1, 2, 2])


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        (np.where(X_OK == 3, np.nan, X_OK), Y_OK, ValueError, r"NaN \(first at row 1, column 1\)"),
        (np.where(X_OK == 4, np.inf, X_OK), Y_OK, ValueError, r"infinity \(first at row 2, column 0\)"),
        (X_OK.ravel(), Y_OK, ValueError, "must be 2-D"),
        (X_OK[None], Y_OK, ValueError, "must be 2-D"),
        (X_OK, Y_OK[:5], ValueError, "lengths differ"),
        (X_OK[:0], Y_OK[:0], ValueError, "empty"),
        (X_OK[:, :0], Y_OK, ValueError, "0 feature"),
        (X_OK, Y_OK[:, None, None], ValueError, "3-D"),
        (X_OK, np.zeros(6), ValueError, "at least 2 classes"),
        (X_OK, np.array([0, 1, 0, 1, np.nan, 2]), ValueError, "NaN"),
        (X_OK, -np.eye(3)[Y_OK], ValueError, "negative"),
        (X_OK.astype(str).astype(object) + "x", Y_OK, TypeError, "non-numeric"),
        ([[1.0, 2.0], [3.0]], [0, 1], ValueError, "could not be turned"),
    ],
)
def test_fit_rejects_bad_data(X, y, error, match):
    with pytest.raises(error, match=match):
        SoftmaxRegression().fit(X, y)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"method": "batch", "learning_rate": -0.1}, ValueError, "learning_rate must be a positive"),
        ({"method": "batch", "learning_rate": "fast"}, ValueError, "learning_rate"),
        ({"method": "batch", "learning_rate": None}, TypeError, "learning_rate"),
        ({"method": "adam"}, ValueError, "unknown method 'adam'"),
        ({"l2": -1}, ValueError, "l2"),
        ({"max_epochs": 0}, ValueError, "max_epochs"),
        ({"tol": -1}, ValueError, "tol"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"callback": 3}, TypeError, "callback"),
        ({"n_threads": 0}, ValueError, "n_threads"),
        ({"schedule": "cosine"}, ValueError, "unknown schedule .cosine."),
    ],
)
def test_fit_rejects_bad_parameters(params, error, match):
    with pytest.raises(error, match=match):
        SoftmaxRegression(**params).fit(X_OK, Y_OK)


def test_predict_before_fit_and_wrong_feature_count():
    model = SoftmaxRegression()
    for call in (model.predict, model.predict_proba):
        with pytest.raises(NotFittedError, match="not fitted"):
            call(X_OK)
    with pytest.raises(ValueError, match="not fitted"):  # NotFittedError is a ValueError
        model.score(X_OK, Y_OK)
    model.set_params(max_epochs=50, tol=0).fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="X has 3 features, but SoftmaxRegression is expecting 2 features"):
        model.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        model.predict_proba(np.array([[np.nan, 1.0]]))


def test_column_vector_labels_warn_and_are_read_as_labels(blobs):
    from trainer._validation import DataConversionWarning

    X, y, codes = blobs
    with pytest.warns(DataConversionWarning, match=r"column-vector y .* shape \(240, 1\) is read as 240 labels"):
        column = SoftmaxRegression(max_epochs=20, tol=0).fit(X, codes[:, None])
    flat = SoftmaxRegression(max_epochs=20, tol=0).fit(X, codes)
    np.testing.assert_array_equal(column.coef_, flat.coef_)


def test_get_set_params_and_repr():
    model = SoftmaxRegression(method="sgd", l2=0.5)
    assert model.get_params()["method"] == "sgd"
    assert model.set_params(l2=0.1).l2 == 0.1
    assert repr(model) == "SoftmaxRegression(method='sgd', l2=0.1)"
    with pytest.raises(ValueError, match="unknown parameter 'alpha'"):
        model.set_params(alpha=1)


def test_numpys_blas_is_single_threaded_during_fit_and_restored_after(blobs):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    X, y, _ = blobs

    def numpy_blas_threads():
        return [d["num_threads"] for d in threadpoolctl.threadpool_info()
                if d["user_api"] == "blas" and "numpy" in d["filepath"]]

    before = numpy_blas_threads()
    if not before:
        pytest.skip("NumPy's BLAS is not visible to threadpoolctl")
    during = []
    SoftmaxRegression(max_epochs=2, tol=0, callback=lambda info: during.append(numpy_blas_threads())).fit(X, y)
    assert during == [[1] * len(before)] * 2
    assert numpy_blas_threads() == before


def test_works_without_threadpoolctl(blobs, monkeypatch):
    import trainer._threads as threads

    monkeypatch.setattr(threads, "_controller", False)  # as if threadpoolctl were missing
    assert threads.fit_threads(None, 100, 1 << 30, capped=False) == 1
    X, y, _ = blobs
    model = SoftmaxRegression(n_threads=4).fit(X, y)
    assert model.converged_ and model.score(X, y) > 0.8
