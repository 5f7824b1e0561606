"""The vectorised SGD / mini-batch epochs do exactly the seed's updates."""

import numpy as np
import pytest

from trainer import gradient
from trainer._sgd import minibatch_epoch, sgd_epoch


def _textbook_sgd(X, Y, order, W, b, alpha, l2):
    """The seed's loop: for each example k, for each w_ij:
    w_ij := w_ij + alpha x_j (y'_i - p_i sum_l y'_l)  (minus alpha l2 w_ij)."""
    W, b = W.copy(), b.copy()
    n, m = W.shape
    for k in order:
        V = [sum(W[i, j] * X[k, j] for j in range(m)) + b[i] for i in range(n)]
        c = max(V)
        e = [np.exp(v - c) for v in V]
        S = sum(e)
        p = [ei / S for ei in e]
        s = sum(Y[k])
        for i in range(n):
            r = Y[k, i] - p[i] * s
            for j in range(m):
                W[i, j] = W[i, j] + alpha * (X[k, j] * r - l2 * W[i, j])
            b[i] = b[i] + alpha * r
    return W, b


@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("l2", [0.0, 0.1])
@pytest.mark.parametrize("scale", [1.0, 1e4])  # 1e4: e^V overflows -> the shifted softmax path
def test_sgd_epoch_equals_textbook_loop(soft, l2, scale):
    rng = np.random.default_rng(2)
    N, m, n = 25, 3, 4
    X = rng.normal(size=(N, m)) * scale
    codes = rng.integers(0, n, N)
    Y = rng.random((N, n)) * 1.5 if soft else np.eye(n)[codes]
    W0, b0 = rng.normal(size=(n, m)) * 0.1, rng.normal(size=n)
    order = rng.permutation(N)
    alpha = 0.05 / scale
    if scale > 1:
        assert np.abs(X @ W0.T).max() > 800
    W, b = W0.copy(), b0.copy()
    s = Y.sum(axis=1) if soft else None
    sgd_epoch(X, None if soft else codes.astype(np.intp), Y if soft else None, s, order, W, b, alpha, l2)
    rW, rb = _textbook_sgd(X, Y, order, W0, b0, alpha, l2)
    np.testing.assert_allclose(W, rW, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b, rb, rtol=1e-10, atol=1e-12)


def test_sgd_lazy_decay_is_folded_back():
    # alpha * l2 close to 1: the scale a = (1 - alpha l2)^t drops below 1e-6 and is refolded
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 2))
    codes = rng.integers(0, 3, 40).astype(np.intp)
    W0, b0 = rng.normal(size=(3, 2)), np.zeros(3)
    W, b = W0.copy(), b0.copy()
    order = np.arange(40)
    sgd_epoch(X, codes, None, None, order, W, b, 0.5, 1.5)
    rW, rb = _textbook_sgd(X, np.eye(3)[codes], order, W0, b0, 0.5, 1.5)
    np.testing.assert_allclose(W, rW, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b, rb, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("soft", [False, True])
def test_minibatch_epoch_equals_gradient_steps(soft):
    rng = np.random.default_rng(4)
    N, m, n, B = 23, 3, 4, 5  # last batch is shorter
    X = rng.normal(size=(N, m))
    codes = rng.integers(0, n, N)
    Y = rng.random((N, n)) * 2 if soft else None
    W, b = rng.normal(size=(n, m)), rng.normal(size=n)
    rW, rb = W.copy(), b.copy()
    order = rng.permutation(N)
    alpha, l2 = 0.3, 0.05
    minibatch_epoch(X, None if soft else codes.astype(np.intp), Y, None if not soft else Y.sum(axis=1),
                    order, B, W, b, alpha, l2)
    for start in range(0, N, B):
        idx = order[start:start + B]
        dW, db = gradient(rW, rb, X[idx], Y[idx] if soft else codes[idx], l2=l2)
        rW -= alpha * dW
        rb -= alpha * db
    np.testing.assert_allclose(W, rW, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(b, rb, rtol=1e-12, atol=1e-13)


def test_float32_sgd_with_huge_logits_matches_float64():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 3)) * 1e3
    codes = rng.integers(0, 3, 30).astype(np.intp)
    W0 = rng.normal(size=(3, 3)) * 0.1  # logits ~ 1e2: e^V overflows float32
    order = rng.permutation(30)
    out = []
    for dtype in (np.float32, np.float64):
        W, b = W0.astype(dtype), np.zeros(3, dtype)
        sgd_epoch(X.astype(dtype), codes, None, None, order, W, b, 1e-6, 0.0)
        assert np.isfinite(W).all() and W.dtype == dtype
        out.append(W)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-3, atol=1e-6)
