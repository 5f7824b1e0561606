"""array-API inputs: the fit runs in X's namespace and on its device; results match NumPy."""

import numpy as np
import pytest

from trainer import SoftmaxRegression

xp = pytest.importorskip("array_api_strict")
pytest.importorskip("array_api_compat")

DEVICES = [xp.Device("CPU_DEVICE"), xp.Device("device1")]


def _problem(seed=0, N=150, m=4, n=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n, N)
    X = rng.normal(size=(n, m))[y] * 1.5 + rng.normal(size=(N, m))
    return X, y


def _host(a):
    return np.from_dlpack(a)


@pytest.mark.parametrize("device", DEVICES, ids=str)
@pytest.mark.parametrize("soft", [False, True])
def test_strict_namespace_fit_matches_numpy(device, soft):
    X, y = _problem()
    Y = np.random.default_rng(1).dirichlet(np.ones(3), size=len(X)) * 1.3 if soft else y
    opts = dict(l2=1e-2, tol=1e-12)  # both within ~1e-11 of the optimum (the paths differ by rounding)
    ref = SoftmaxRegression(**opts).fit(X, Y)
    Xs = xp.asarray(X, device=device)
    model = SoftmaxRegression(**opts).fit(Xs, xp.asarray(Y, device=device))
    assert type(model.coef_) is type(Xs) and model.coef_.device == device and model.intercept_.device == device
    assert model.converged_ and ref.converged_
    np.testing.assert_allclose(_host(model.coef_), ref.coef_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(_host(model.intercept_), ref.intercept_, rtol=0, atol=1e-10)
    P = model.predict_proba(Xs)
    assert P.device == device
    np.testing.assert_allclose(_host(P), ref.predict_proba(X), atol=1e-10)
    pred = model.predict(Xs)
    assert pred.device == device
    np.testing.assert_array_equal(_host(pred), ref.predict(X))
    assert model.score(Xs, Y) == ref.score(X, Y)


def test_float32_stays_float32_in_the_namespace():
    X, y = _problem()
    model = SoftmaxRegression(l2=1e-2, tol=1e-4).fit(xp.asarray(X, dtype=xp.float32), y)
    assert model.converged_ and model.coef_.dtype == xp.float32 and model.intercept_.dtype == xp.float32
    optimum = SoftmaxRegression(l2=1e-2, tol=1e-12).fit(X, y)  # float64 NumPy
    np.testing.assert_allclose(_host(model.coef_), optimum.coef_, rtol=0, atol=1e-2)


@pytest.mark.parametrize(
    "make, params, error, match",
    [
        (lambda X: X, {"method": "batch"}, TypeError, r"array-API X .* is supported by method='lbfgs'"),
        (lambda X: xp.where(X > 2.0, xp.nan, X), {}, ValueError, r"X contains NaN \(first at row \d+, column \d+\)"),
        (lambda X: X[:, 0], {}, ValueError, "must be 2-D"),
    ],
)
def test_bad_array_api_input(make, params, error, match):
    X, y = _problem(N=40)
    with pytest.raises(error, match=match):
        SoftmaxRegression(**params).fit(make(xp.asarray(X)), y)


def test_torch_cpu_matches_numpy():
    torch = pytest.importorskip("torch")
    X, y = _problem(seed=2)
    ref = SoftmaxRegression(l2=1e-2, tol=1e-12).fit(X, y)
    model = SoftmaxRegression(l2=1e-2, tol=1e-12).fit(torch.asarray(X), torch.asarray(y))
    assert isinstance(model.coef_, torch.Tensor) and model.coef_.dtype == torch.float64
    np.testing.assert_allclose(model.coef_.numpy(), ref.coef_, rtol=0, atol=1e-10)
    out = model.predict_proba(torch.asarray(X))
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), ref.predict_proba(X), atol=1e-10)
    assert model.score(torch.asarray(X), y) == ref.score(X, y)
