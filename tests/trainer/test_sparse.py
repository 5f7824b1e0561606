"""scipy.sparse X: the same answers as dense X, without densifying."""

import tracemalloc

import numpy as np
import pytest

from trainer import SoftmaxRegression, gradient, loss
from trainer._sparse import SparseKernel, check_sparse_X

sp = pytest.importorskip("scipy.sparse")

FORMATS = [sp.csr_matrix, sp.csc_matrix, sp.csr_array, sp.csc_array]


def _sparse_problem(seed=0, N=300, m=40, n=4, density=0.1):
    rng = np.random.default_rng(seed)
    X = sp.random(N, m, density=density, random_state=seed, format="csr") * 3.0
    X = sp.csr_matrix(X)
    W_true = rng.normal(size=(n, m))
    y = np.argmax(X @ W_true.T + rng.gumbel(size=(N, n)), axis=1)
    return X, y


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_kernel_equals_reference(fmt, soft, dtype):
    X, y = _sparse_problem(seed=1)
    rng = np.random.default_rng(2)
    n, m = 4, X.shape[1]
    W, b = rng.normal(size=(n, m)).astype(dtype), rng.normal(size=n).astype(dtype)
    Y = rng.random((X.shape[0], n)) * 2 if soft else y
    Xs = check_sparse_X(fmt(X.astype(dtype)))
    assert Xs.format == "csr" and Xs.dtype == dtype
    dW, db = np.empty_like(W), np.empty_like(b)
    kernel = SparseKernel(Xs, None if soft else y.astype(np.intp), Y.astype(dtype) if soft else None, n, 0.3, block=64)
    J = kernel(W, b, dW, db)
    Xd = X.toarray().astype(dtype)
    rW, rb = gradient(W, b, Xd, Y.astype(dtype) if soft else y, l2=0.3)
    tol = 1e-12 if dtype == np.float64 else 1e-4
    assert dW.dtype == dtype
    np.testing.assert_allclose(dW, rW, rtol=tol, atol=tol)
    np.testing.assert_allclose(db, rb, rtol=tol, atol=tol)
    assert J == pytest.approx(loss(W, b, Xd, Y.astype(dtype) if soft else y, l2=0.3), rel=tol)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("method", ["lbfgs", "batch"])
def test_sparse_fit_equals_dense_fit(fmt, method):
    X, y = _sparse_problem()
    opts = dict(method=method, l2=1e-2, tol=1e-10, max_epochs=20_000)
    dense = SoftmaxRegression(**opts).fit(X.toarray(), y)
    sparse = SoftmaxRegression(**opts).fit(fmt(X), y)
    assert dense.converged_ and sparse.converged_
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, rtol=0, atol=1e-8)
    Xt = fmt(X[:50])
    np.testing.assert_allclose(sparse.predict_proba(Xt), dense.predict_proba(X[:50].toarray()), atol=1e-8)
    assert (sparse.predict(Xt) == dense.predict(X[:50].toarray())).all()
    assert sparse.score(Xt, y[:50]) == dense.score(X[:50].toarray(), y[:50])


def test_sparse_fit_matches_sklearn_on_the_same_csr():
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = _sparse_problem(seed=3)
    C = 10.0
    sk = linear_model.LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    ours = SoftmaxRegression(l2=1.0 / (C * X.shape[0]), tol=1e-10).fit(X, y)
    assert ours.converged_
    np.testing.assert_allclose(ours.coef_, sk.coef_, rtol=1e-5, atol=1e-6)


def test_sparse_fit_never_densifies_X():
    """X is 20,000 x 20,000 with ~0.05% of the entries set: dense it would be 3.2 GB; the
    fit's extra peak memory stays a small multiple of nnz + N n (block buffers)."""
    rng = np.random.default_rng(4)
    N = m = 20_000
    per_row = 10  # CSR built directly (sp.random samples 4e8 positions: slow)
    rows_of = np.repeat(np.arange(N), per_row)
    keys = np.unique(rows_of * m + rng.integers(0, m, N * per_row))
    X = sp.csr_matrix((rng.random(len(keys)), (keys // m, keys % m)), shape=(N, m))
    y = rng.integers(0, 5, N)
    SoftmaxRegression(max_epochs=2, tol=0).fit(X[:100], y[:100])  # warm up imports
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    model = SoftmaxRegression(max_epochs=5, tol=0).fit(X, y)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    data_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    assert model.coef_.shape == (5, m)
    assert peak < 4 * data_bytes + 40 * (N * 5 + 5 * m) * 8, (peak, data_bytes)
    assert peak < N * m * 8 / 100


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda X: sp.coo_matrix(X), TypeError, r"sparse X in COO format is not supported; convert it with X.tocsr\(\)"),
        (lambda X: sp.lil_array(X), TypeError, "LIL format"),
        (lambda X: sp.csr_matrix(X.astype(np.complex128)), TypeError, "Complex data not supported"),
        (lambda X: _with_value(X, np.nan), ValueError, r"X contains NaN \(first at row \d+, column \d+\)"),
        (lambda X: _with_value(X, np.inf), ValueError, "X contains infinity"),
    ],
)
def test_unsupported_sparse_input_is_refused_clearly(make, error, match):
    X, y = _sparse_problem(N=40, m=6, density=0.5)
    with pytest.raises(error, match=match):
        SoftmaxRegression().fit(make(X), y)


def _with_value(X, value):
    X = X.copy()
    X.data[3] = value
    return X


@pytest.mark.parametrize("method", ["sgd", "minibatch"])
def test_stochastic_methods_name_what_to_do_with_sparse_X(method):
    X, y = _sparse_problem(N=40, m=6)
    with pytest.raises(TypeError, match=rf"sparse X \(csr_matrix\) is not supported here by method='{method}'; "
                                        r"use method='lbfgs' or 'batch' for sparse X, or X.toarray\(\)"):
        SoftmaxRegression(method=method).fit(X, y)


def test_predict_on_sparse_checks_features():
    X, y = _sparse_problem(N=60, m=6)
    model = SoftmaxRegression().fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but SoftmaxRegression is expecting 6"):
        model.predict(sp.csr_matrix(np.ones((2, 5))))
