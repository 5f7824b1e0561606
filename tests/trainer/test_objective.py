"""loss / gradient: the proved formula, checked three ways, plus the fast kernel."""

import numpy as np
import pytest
import sympy

from trainer import gradient, loss
from trainer._kernel import BatchKernel


def _problem(seed=0, N=40, m=3, n=4, soft=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, m))
    W = rng.normal(size=(n, m))
    b = rng.normal(size=n)
    if soft:
        Y = rng.random((N, n)) * rng.uniform(0.2, 3.0, size=(N, 1))  # row sums != 1
    else:
        Y = rng.integers(0, n, N)
    return W, b, X, Y


def _central_differences(f, A, eps=1e-6):
    G = np.zeros_like(A)
    for idx in np.ndindex(A.shape):
        old = A[idx]
        A[idx] = old + eps
        up = f()
        A[idx] = old - eps
        down = f()
        A[idx] = old
        G[idx] = (up - down) / (2 * eps)
    return G


@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradient_matches_finite_differences(soft, l2):
    W, b, X, Y = _problem(seed=1, soft=soft)
    dW, db = gradient(W, b, X, Y, l2=l2)
    f = lambda: loss(W, b, X, Y, l2=l2)  # noqa: E731
    np.testing.assert_allclose(dW, _central_differences(f, W), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(db, _central_differences(f, b), rtol=1e-6, atol=1e-8)


def test_loss_is_mean_cross_entropy_plus_penalty():
    W, b, X, Y = _problem(seed=2, soft=True)
    V = X @ W.T + b
    P = np.exp(V) / np.exp(V).sum(axis=1, keepdims=True)
    expected = np.mean(-(Y * np.log(P)).sum(axis=1)) + 0.25 * np.sum(W**2)
    assert loss(W, b, X, Y, l2=0.5) == pytest.approx(expected, rel=1e-12)


def test_int_labels_equal_one_hot_rows_and_reduce_to_seed_rule():
    W, b, X, y = _problem(seed=3)
    onehot = np.eye(W.shape[0])[y]
    assert loss(W, b, X, y) == pytest.approx(loss(W, b, X, onehot), rel=1e-13)
    dW, db = gradient(W, b, X, y)
    dW1, db1 = gradient(W, b, X, onehot)
    np.testing.assert_allclose(dW, dW1, atol=1e-14)
    # the seed: dJ/dw_ij = -x_j (y'_i - p_i), averaged over the examples
    P = np.exp(X @ W.T + b)
    P /= P.sum(axis=1, keepdims=True)
    seed = np.zeros_like(W)
    for k in range(X.shape[0]):
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                seed[i, j] += -X[k, j] * (onehot[k, i] - P[k, i])
    np.testing.assert_allclose(dW, seed / X.shape[0], atol=1e-14)
    np.testing.assert_allclose(db, -(onehot - P).mean(axis=0), atol=1e-14)


def _numeric_subs(model, W, b, x, y):
    values = {}
    for i in range(model.n):
        for j in range(model.m):
            values[model.W[i, j]] = sympy.Float(W[i, j], 30)
        values[model.b[i]] = sympy.Float(b[i], 30)
        values[model.y[i]] = sympy.Float(y[i], 30)
    for j in range(model.m):
        values[model.x[j]] = sympy.Float(x[j], 30)
    return values


def test_gradient_equals_derivations_closed_form_and_sympy_derivative():
    from derivation.model import SoftmaxModel

    n, m = 3, 2
    model = SoftmaxModel(n, m)
    rng = np.random.default_rng(4)
    W, b = rng.normal(size=(n, m)), rng.normal(size=n)
    x, y = rng.normal(size=m), rng.random(n) * 2  # soft row, sum != 1
    values = _numeric_subs(model, W, b, x, y)
    closed_W = np.array(model.grad_W_formula().xreplace(values).evalf(20), dtype=float)
    closed_b = np.array(model.grad_b_formula().xreplace(values).evalf(20), dtype=float).ravel()
    diff_W = np.array([[float(sympy.diff(model.J, model.W[i, j]).xreplace(values).evalf(20))
                        for j in range(m)] for i in range(n)])
    dW, db = gradient(W, b, x[None, :], y[None, :])
    np.testing.assert_allclose(dW, closed_W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(db, closed_b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dW, diff_W, rtol=1e-12, atol=1e-14)
    assert loss(W, b, x[None, :], y[None, :]) == pytest.approx(float(model.J.xreplace(values).evalf(20)), rel=1e-12)


@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("threads,block", [(1, None), (1, 64), (3, 64)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_kernel_equals_reference(soft, threads, block, dtype):
    W, b, X, Y = _problem(seed=5, N=300, m=7, n=5, soft=soft)
    X, W, b = X.astype(dtype), W.astype(dtype), b.astype(dtype)
    codes, rows = (None, Y.astype(dtype)) if soft else (Y.astype(np.intp), None)
    dW, db = np.empty_like(W), np.empty_like(b)
    with BatchKernel(X, codes, rows, 5, 0.2, n_threads=threads, block=block) as kernel:
        J = kernel(W, b, dW, db)
    rW, rb = gradient(W, b, X, Y, l2=0.2)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    assert dW.dtype == dtype
    np.testing.assert_allclose(dW, rW, rtol=tol, atol=tol)
    np.testing.assert_allclose(db, rb, rtol=tol, atol=tol)
    assert J == pytest.approx(loss(W, b, X, Y, l2=0.2), rel=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("scale", [0.05, 30.0])  # shift-free softmax / max-shifted fallback
@pytest.mark.parametrize("m, threads, block, stack, budget",
                         [(20, 2, 64, 1, None), (20, 3, 64, 3, None), (20, 1, 32, 2, 0), (5, 2, 16, None, 0)])
def test_fast_kernel_paths_equal_reference(dtype, soft, scale, m, threads, block, stack, budget):
    """Both softmax paths, S_k kept per example (m >= 16) or per block, stacks of one or
    several blocks (plus a shorter last block), chunks of one or several stacks, against
    the reference gradient / loss."""
    W, b, X, Y = _problem(seed=8, N=700, m=m, n=4, soft=soft)
    W, b = W * scale, b * scale
    X, W, b = X.astype(dtype), W.astype(dtype), b.astype(dtype)
    codes, rows = (None, Y.astype(dtype)) if soft else (Y.astype(np.intp), None)
    dW, db = np.empty_like(W), np.empty_like(b)
    with BatchKernel(X, codes, rows, 4, 0.1, n_threads=threads, block=block, stack=stack,
                     chunk_budget=budget) as kernel:
        assert kernel.keep_rows == (m >= 16)
        assert (len(kernel.chunks) < len(kernel.stacks)) == (budget == 0)
        assert sum(K * L for _, K, L in kernel.stacks) == 700 and kernel.stacks[-1][2] < block
        assert max(K for _, K, _ in kernel.stacks) == (stack or kernel.K)
        J = kernel(W, b, dW, db)
        M = np.linalg.norm(W.astype(float), axis=1).max() * kernel.R + np.abs(b).max()
        assert (M <= kernel.limit) == (scale < 1)  # which path ran
    rW, rb = gradient(W, b, X, Y, l2=0.1)
    tol = 1e-11 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(dW, rW, rtol=tol, atol=tol * max(1.0, np.abs(rW).max()))
    np.testing.assert_allclose(db, rb, rtol=tol, atol=tol * max(1.0, np.abs(rb).max()))
    assert J == pytest.approx(loss(W, b, X, Y, l2=0.1), rel=tol)


def test_fast_kernel_is_deterministic_across_thread_counts():
    W, b, X, y = _problem(seed=9, N=2000, m=20, n=6)
    out = []
    for threads in (1, 2, 4):
        dW, db = np.empty_like(W), np.empty_like(b)
        with BatchKernel(X, y.astype(np.intp), None, 6, 0.0, n_threads=threads, block=64) as kernel:
            out.append((kernel(W, b, dW, db), dW, db))
    for J, dW, db in out[1:]:  # same chunks, summed in the same order: bit-identical
        assert J == out[0][0]
        np.testing.assert_array_equal(dW, out[0][1])
        np.testing.assert_array_equal(db, out[0][2])


def test_huge_features_give_finite_loss_and_gradient():
    W, b, X, y = _problem(seed=6)
    X = X * 1e4
    assert np.isfinite(loss(W, b, X, y))
    dW, db = gradient(W, b, X, y)
    assert np.isfinite(dW).all() and np.isfinite(db).all()


@pytest.mark.parametrize(
    "change, error, match",
    [
        (lambda W, b, X, Y: (W, b, X[0], Y), ValueError, "X must be 2-D"),
        (lambda W, b, X, Y: (W, b, X[:, :2], Y), ValueError, "features but W has"),
        (lambda W, b, X, Y: (W, b[:2], X, Y), ValueError, "b must have shape"),
        (lambda W, b, X, Y: (W, b, X, Y[:5]), ValueError, "labels"),
        (lambda W, b, X, Y: (W, b, X, Y + 10), ValueError, r"lie in \[0, 4\)"),
        (lambda W, b, X, Y: (W, b, X, Y.astype(float)), TypeError, "integer class indices"),
        (lambda W, b, X, Y: (W, b, X, np.ones((len(X), 3))), ValueError, "label rows Y must have shape"),
        (lambda W, b, X, Y: (W, b, X.astype(str), Y), TypeError, "X must be numeric"),
        (lambda W, b, X, Y: (W, b, X[:0], Y[:0]), ValueError, "empty"),
        (lambda W, b, X, Y: (W, b, np.where(X == X[2, 1], np.nan, X), Y), ValueError, r"X contains nan at index \(2, 1\)"),
        (lambda W, b, X, Y: (np.where(W == W[1, 0], np.inf, W), b, X, Y), ValueError, r"W contains inf at index \(1, 0\)"),
        (lambda W, b, X, Y: (W, np.where(b == b[3], -np.inf, b), X, Y), ValueError, r"b contains -inf at index \(3,\)"),
        (lambda W, b, X, Y: (W, b, X, _rows(Y, 0, 1, -0.5)), ValueError, r"negative entry Y\[0, 1\] = -0.5"),
        (lambda W, b, X, Y: (W, b, X, _rows(Y, 4, 2, np.nan)), ValueError, r"label rows Y contains nan at index \(4, 2\)"),
        (lambda W, b, X, Y: (W, b, X, np.eye(4)[Y][:, :, None]), ValueError, "Y must be .N,. integer labels or .N, n. label rows"),
        (lambda W, b, X, Y: (W, b, X, Y - Y.max() - 1), ValueError, r"lie in \[0, 4\)"),
    ],
)
def test_bad_arguments(change, error, match):
    args = change(*_problem())
    with pytest.raises(error, match=match):
        loss(*args)
    with pytest.raises(error, match=match):
        gradient(*args)


def _rows(Y, k, i, value):
    """One-hot rows of Y (4 classes) with entry (k, i) set to ``value``."""
    rows = np.eye(4)[Y]
    rows[k, i] = value
    return rows


def test_negative_l2_rejected():
    with pytest.raises(ValueError, match="l2"):
        loss(*_problem(), l2=-1.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_blocked_threaded_gram_equals_direct(dtype):
    from trainer._stepsize import batch_lipschitz

    W, b, X, y = _problem(seed=7, N=500, m=6, n=3)
    X = (X * 3 + 1).astype(dtype)
    with BatchKernel(X, y.astype(np.intp), None, 3, 0.0, n_threads=2, block=64) as kernel:
        G = kernel.gram()  # first pass: also computes C = Y^T X, Y^T 1 and max ||x|| for the epochs
        dW, db = np.empty_like(W, dtype=dtype), np.empty(3, dtype)
        J = kernel(W.astype(dtype), b.astype(dtype), dW, db)
    rW, rb = gradient(W.astype(dtype), b.astype(dtype), X, y)
    tol = 1e-11 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(dW, rW, rtol=tol, atol=tol)
    np.testing.assert_allclose(db, rb, rtol=tol, atol=tol)
    assert J == pytest.approx(loss(W.astype(dtype), b.astype(dtype), X, y), rel=tol)
    Xt = np.hstack([X.astype(np.float64), np.ones((500, 1))])
    np.testing.assert_allclose(G, Xt.T @ Xt, rtol=1e-12)
    assert batch_lipschitz(X, y, None, 0.1, lambda: G) == pytest.approx(batch_lipschitz(X, y, None, 0.1), rel=1e-10)
