"""Dask arrays: per-chunk partial sums on the workers, the same optimum as NumPy and scikit-learn."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer import SoftmaxRegression

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    """A real cluster: 2 worker processes, 1 thread each (the chunks live in other processes)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=50) as cluster, distributed.Client(cluster) as c:
        yield c


def _problem(seed=0, N=200, m=5, n=3):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n, m)) * 2
    y = rng.integers(0, n, N)
    X = centers[y] + rng.normal(size=(N, m))
    return X, y


def test_fit_on_a_cluster_matches_sklearn_multiclass_optimum(client):
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = _problem(N=600, m=6, n=4)
    C = 0.05  # (l2 = 1/(C N) = 0.033: a well-conditioned optimum that both solvers pin down)
    sk = linear_model.LogisticRegression(C=C, tol=1e-12, max_iter=10_000, solver="newton-cg").fit(X, y)
    Xd = da.from_array(X, chunks=(150, 6))
    model = SoftmaxRegression(l2=1.0 / (C * len(X)), tol=1e-9).fit(Xd, da.from_array(y, chunks=150))
    assert model.converged_ and isinstance(model.coef_, np.ndarray)
    np.testing.assert_allclose(model.coef_, sk.coef_, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(model.intercept_ - model.intercept_.mean(), sk.intercept_ - sk.intercept_.mean(),
                               rtol=1e-6, atol=1e-7)
    assert model.score(Xd, y) == pytest.approx(sk.score(X, y))


def test_data_made_on_the_workers_and_batch_method(client):
    """X created on the workers (never on the client); gradient descent also runs through Dask
    (the same 25 steps as on NumPy)."""
    X = da.random.RandomState(0).normal(size=(800, 4), chunks=(200, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = SoftmaxRegression(method="batch", max_epochs=25, tol=0).fit(X, y)
    reference = SoftmaxRegression(method="batch", max_epochs=25, tol=0).fit(X.compute(), y.compute())
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-9, atol=1e-11)
    assert model.score(X, y) > 0.95


def test_predictions_of_dask_arrays_are_dask_arrays(client):
    X, y = _problem()
    model = SoftmaxRegression().fit(X, y)
    Xd = da.from_array(X, chunks=(64, 5))
    for name in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        out = getattr(model, name)(Xd)
        assert isinstance(out, da.Array), name
        np.testing.assert_allclose(out.compute(), getattr(model, name)(X), rtol=1e-12, atol=1e-14) \
            if name != "predict" else np.testing.assert_array_equal(out.compute(), model.predict(X))


def _chunkings(N, k, cut):
    uneven = (cut, N - cut)
    return {"one": (N,), "k": tuple(np.diff(np.linspace(0, N, k + 1).astype(int))), "uneven": uneven,
            "rows": (1,) * N}


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**16), k=st.integers(2, 6), cut=st.integers(1, 23), soft=st.booleans())
def test_chunk_invariance(seed, k, cut, soft):
    """1 chunk, k chunks, uneven chunks and 1-row chunks give the same coefficients (1e-10):
    the per-chunk partial sums add up to the full-batch formula for any chunking."""
    X, y = _problem(seed=seed, N=24, m=3, n=3)
    Y = np.random.default_rng(seed).dirichlet(np.ones(3), size=24) if soft else y
    coefs = {}
    with dask.config.set(scheduler="synchronous"):
        for name, chunks in _chunkings(24, k, cut).items():
            Xd = da.from_array(X, chunks=(chunks, 3))
            Yd = da.from_array(Y, chunks=(chunks,) + ((3,) if soft else ()))
            model = SoftmaxRegression(l2=0.1, tol=1e-12, max_epochs=500).fit(Xd, Yd)
            assert model.converged_, name
            coefs[name] = np.concatenate([model.coef_.ravel(), model.intercept_])
    numpy_fit = SoftmaxRegression(l2=0.1, tol=1e-12, max_epochs=500).fit(X, Y)
    for name, c in coefs.items():
        np.testing.assert_allclose(c, np.concatenate([numpy_fit.coef_.ravel(), numpy_fit.intercept_]),
                                   rtol=0, atol=1e-10, err_msg=name)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda X, y: (X.map_blocks(lambda b: np.where(b > 2.5, np.nan, b)), y), ValueError,
         r"X contains NaN \(first at row \d+, column \d+\)"),
        (lambda X, y: (X[:, 0], y), ValueError, "must be 2-D"),
        (lambda X, y: (X, y[:-1]), ValueError, "lengths differ"),
        (lambda X, y: (X, y * 0.5 + 0.25), ValueError, "Unknown label type"),
    ],
)
def test_bad_dask_input_is_refused_clearly(make, error, match):
    X, y = _problem(N=60)
    X, y = make(da.from_array(X, chunks=(20, 5)), da.from_array(y, chunks=20))
    with dask.config.set(scheduler="synchronous"), pytest.raises(error, match=match):
        SoftmaxRegression().fit(X, y)


def test_stochastic_methods_refuse_dask_arrays():
    X, y = _problem(N=30)
    with pytest.raises(TypeError, match=r"Dask X is supported by method='lbfgs' and 'batch', not method='sgd'"):
        SoftmaxRegression(method="sgd").fit(da.from_array(X, chunks=10), y)
