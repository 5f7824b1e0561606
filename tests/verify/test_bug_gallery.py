"""The checker catches every kind of gradient bug, and passes correct gradients.

Each bug is a plausible mistake in implementing the proved formula
    dW = (1/N) sum_k (p^k s_k - y'^k) x^k^T + l2 W,   db = (1/N) sum_k (p^k s_k - y'^k)
checked against trainer.loss (the black box) in float32 and float64.
"""

import numpy as np
import pytest

import trainer
from verify import GradientCheckError, assert_gradient, check_gradient


def make_problem(dtype, labels, *, n=3, m=4, N=5, l2=0.5, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n, m)).astype(dtype)
    b = rng.standard_normal(n).astype(dtype)
    X = rng.standard_normal((N, m)).astype(dtype)
    if labels == "index":
        Y = rng.integers(0, n, N)
    else:
        Y = rng.uniform(0.05, 1.0, (N, n))
        Y = (Y / Y.sum(axis=1, keepdims=True)).astype(dtype)
    return W, b, X, Y, l2


def rows(Y, n, dtype):
    return np.eye(n, dtype=dtype)[Y] if Y.ndim == 1 else Y


def parts(W, b, X, Y, l2):
    """P s - Y (the residual G), and everything else a bug might garble."""
    Yr = rows(Y, W.shape[0], W.dtype)
    P = trainer.softmax(X @ W.T + b, axis=1)
    G = P * Yr.sum(axis=1, keepdims=True) - Yr
    return G, X.shape[0]


def correct(W, b, X, Y, l2):
    G, N = parts(W, b, X, Y, l2)
    return G.T @ X / N + l2 * W, G.sum(axis=0) / N


def sign_flip(W, b, X, Y, l2):
    dW, db = correct(W, b, X, Y, l2)
    return -dW, -db


def missing_1_over_N(W, b, X, Y, l2):
    G, N = parts(W, b, X, Y, l2)
    return G.T @ X + l2 * W, G.sum(axis=0)


def wrong_scale(W, b, X, Y, l2):  # e.g. a stray factor from differentiating (1/2)||.||^2: 1% here
    dW, db = correct(W, b, X, Y, l2)
    return 1.01 * dW, 1.01 * db


def transposed(W, b, X, Y, l2):  # (X^T G)^T computed as X^T G reshaped: wrong layout, same shape
    G, N = parts(W, b, X, Y, l2)
    return (X.T @ G).reshape(W.shape) / N + l2 * W, G.sum(axis=0) / N


def one_entry_off(W, b, X, Y, l2):
    dW, db = correct(W, b, X, Y, l2)
    dW = dW.copy()
    k = np.unravel_index(np.argmax(np.abs(dW)), dW.shape)
    dW[k] *= 1.01  # the largest entry, 1% off
    return dW, db


def missing_bias_gradient(W, b, X, Y, l2):
    dW, db = correct(W, b, X, Y, l2)
    return dW, np.zeros_like(db)


def missing_regularisation(W, b, X, Y, l2):
    G, N = parts(W, b, X, Y, l2)
    return G.T @ X / N, G.sum(axis=0) / N


BUGS = [sign_flip, missing_1_over_N, wrong_scale, transposed, one_entry_off, missing_bias_gradient, missing_regularisation]


def check(grad, problem, **options):
    W, b, X, Y, l2 = problem
    return check_gradient(
        lambda p: trainer.loss(*p, X, Y, l2=l2), lambda p: grad(*p, X, Y, l2), (W, b), names=("W", "b"), **options
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("labels", ["index", "soft"])
@pytest.mark.parametrize("bug", BUGS, ids=lambda f: f.__name__)
def test_each_bug_is_caught(bug, labels, dtype):
    r = check(bug, make_problem(dtype, labels))
    assert not r.ok, f"{bug.__name__} passed: {r}"
    assert r.n_failed >= 1 and r.worst.name in ("W", "b")


@pytest.mark.parametrize("bug", [one_entry_off, missing_bias_gradient, missing_regularisation])
def test_the_worst_entry_points_at_the_bug(bug):
    problem = make_problem(np.float64, "index")
    r = check(bug, problem)
    expected = {"one_entry_off": "W", "missing_bias_gradient": "b", "missing_regularisation": "W"}[bug.__name__]
    assert r.worst.name == expected
    if bug is one_entry_off:
        W, b, X, Y, l2 = problem
        k = np.unravel_index(np.argmax(np.abs(correct(W, b, X, Y, l2)[0])), W.shape)
        assert r.worst.index == tuple(int(i) for i in k) and r.n_failed == 1


@pytest.mark.parametrize("method", ["central", "richardson", "complex", "random"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("labels", ["index", "soft"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_correct_gradients_pass(method, dtype, labels, seed):
    problem = make_problem(dtype, labels, n=4, m=3, N=7, seed=seed)
    if method == "complex":
        # trainer.loss is real-only by design; complex step needs a complex-aware loss
        W, b, X, Y, l2 = problem
        Yr = rows(Y, W.shape[0], W.dtype)

        def f(p):
            V = X @ p[0].T + p[1]
            V = V - V.real.max(axis=1, keepdims=True)
            log_p = V - np.log(np.exp(V).sum(axis=1, keepdims=True))
            return -np.sum(Yr * log_p) / X.shape[0] + 0.5 * l2 * np.sum(p[0] * p[0])

        r = check_gradient(f, lambda p: correct(*p, X, Y, l2), (W, b), method="complex")
    else:
        r = check(lambda W, b, X, Y, l2: trainer.gradient(W, b, X, Y, l2=l2), problem, method=method)
    assert r.ok, str(r)


def test_a_transposed_gradient_of_the_wrong_shape_is_an_error_naming_both_shapes():
    W, b, X, Y, l2 = make_problem(np.float64, "index")  # n=3, m=4

    def grad(p):
        G, N = parts(*p, X, Y, l2)
        return X.T @ G / N, G.sum(axis=0) / N  # (m, n) instead of (n, m)

    with pytest.raises(ValueError, match=r"W has shape \(4, 3\), but W has shape \(3, 4\)"):
        check_gradient(lambda p: trainer.loss(*p, X, Y, l2=l2), grad, (W, b), names=("W", "b"))


def test_assert_gradient_message_for_a_bug():
    W, b, X, Y, l2 = make_problem(np.float64, "index")
    with pytest.raises(GradientCheckError) as info:
        assert_gradient(
            lambda p: trainer.loss(*p, X, Y, l2=l2), lambda p: missing_bias_gradient(*p, X, Y, l2), (W, b), names=("W", "b")
        )
    msg = str(info.value)
    assert len(msg) <= 1500
    assert "worst b[" in msg and "analytic=0," in msg and "of 15 entries exceed the tolerance" in msg
