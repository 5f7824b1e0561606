"""Entries below finite-difference resolution, NaN messages, and non-smooth f (review of issue 3)."""

import numpy as np
import pytest

from verify import check_gradient


def _problem(dtype, x_scale, seed=0):
    """Softmax loss of (W, b) with features ~x_scale: dW ~ x_scale is tiny, db ~ 1 is not."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((5, 4)).astype(dtype)
    b = np.zeros(5, dtype)
    X = (x_scale * rng.standard_normal((20, 4))).astype(dtype)
    y = rng.integers(0, 5, 20)
    rows = np.arange(20)

    def f(p):
        V = X @ p[0].T + p[1]
        V = V - V.max(axis=1, keepdims=True)
        return -np.mean(V[rows, y] - np.log(np.exp(V).sum(axis=1)))

    def grad(p):
        V = X @ p[0].T + p[1]
        P = np.exp(V - V.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        P[rows, y] -= 1.0  # dJ/dV = p - y'
        return (P.T @ X / 20).astype(dtype), (P.sum(axis=0) / 20).astype(dtype)

    return f, grad, (W, b)


@pytest.mark.parametrize("dtype, x_scale", [(np.float32, 1e-6), (np.float64, 1e-13)])
def test_check_that_resolves_nothing_fails_even_for_zero_gradient(dtype, x_scale):
    f, grad, (W, b) = _problem(dtype, x_scale)
    only_W = lambda W: f((W, b))  # noqa: E731
    r = check_gradient(only_W, lambda W: grad((W, b))[0], W, names=("W",))
    assert not r.ok and r.n_unresolved == 20 and r.n_failed == 0
    assert "no entry could be resolved" in r.reason and "method='complex'" in r.reason
    assert "20 of 20 entries are below the resolution" in str(r) and r.resolution > 0
    r0 = check_gradient(only_W, lambda W: np.zeros_like(W), W, promote=False)
    assert not r0.ok and "no entry could be resolved" in r0.reason
    if dtype == np.float32:
        # zeros_like(W64) is float64: the float64 reference resolves dJ/dW ~ 1e-6 and refutes 0
        r64 = check_gradient(only_W, lambda W: np.zeros_like(W), W)
        assert r64.status == "failed" and r64.n_failed == 20 and r64.worst.where == "float64", str(r64)
        assert "(float64): analytic=0" in str(r64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unresolved_entries_are_counted_and_require_resolved_fails_them(dtype):
    f, grad, params = _problem(dtype, 1e-6 if dtype == np.float32 else 1e-13)

    def flipped(p):  # sign flip on W[2, 1], far below the noise of f / h
        dW, db = grad(p)
        dW = dW.copy()
        dW[2, 1] *= -1
        return dW, db

    r = check_gradient(f, flipped, params, names=("W", "b"))
    # default: passes, but says all of W (and maybe a small entry of b) was not verified
    assert r.ok and 20 <= r.n_unresolved < 25, str(r)
    assert f"{r.n_unresolved} of 25 entries are below the resolution of finite differences" in str(r)
    assert "not verified" in str(r)
    strict = check_gradient(f, flipped, params, names=("W", "b"), require_resolved=True)
    assert not strict.ok and strict.n_unresolved == r.n_unresolved
    assert "require_resolved=True" in strict.reason


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ordinary_correct_gradient_is_fully_resolved(dtype):
    f, grad, params = _problem(dtype, 1.0)
    r = check_gradient(f, grad, params, require_resolved=True)
    assert r.ok and r.n_unresolved == 0 and "resolution" not in str(r), str(r)
    bad = check_gradient(f, lambda p: (1.01 * grad(p)[0], grad(p)[1]), params, require_resolved=True)
    assert not bad.ok


def test_random_mode_counts_unresolved_directions():
    f, grad, (W, b) = _problem(np.float64, 1e-13)
    r = check_gradient(lambda W: f((W, b)), lambda W: np.zeros_like(W), W, method="random")
    assert not r.ok and r.n_unresolved == r.n_checked and "no entry could be resolved" in r.reason


def test_require_resolved_must_be_bool():
    with pytest.raises(TypeError, match="require_resolved"):
        check_gradient(lambda x: float(x.sum()), np.ones_like, np.ones(2), require_resolved="yes")


def test_nan_analytic_entry_message_names_entry_and_value():
    f, grad, params = _problem(np.float64, 1.0)

    def nan_grad(p):
        dW, db = grad(p)
        dW = dW.copy()
        dW[0, 2] = np.nan
        return dW, db

    r = check_gradient(f, nan_grad, params, names=("W", "b"))
    assert not r.ok and r.worst.label == "W[0, 2]"
    assert "W[0, 2]: non-finite analytic value (nan)" in str(r)
    assert "tolerance nan" not in str(r) and "rel error=0" not in str(r)


def test_kink_within_the_step_gets_a_smoothness_hint():
    # |x| at x = 1e-9: the step h ~ 6e-6 straddles the kink, D(h) = x / h is nowhere near
    # the derivative 1; an analytic value that is no one-sided slope there is not decided
    f = lambda x: float(np.abs(x).sum())  # noqa: E731
    r = check_gradient(f, lambda x: 2.0 * np.sign(x), np.array([1e-9]), names=("x",))
    assert not r.ok
    assert "f does not look smooth within h" in r.reason and "x[0]" in r.reason
    assert "finite differences are unreliable there" in r.reason


def test_one_sided_derivative_at_a_kink_within_the_step_passes_and_says_so():
    # the derivative of |x| at 1e-9 is 1, the right-hand slope: verified one-sided
    f = lambda x: float(np.abs(x).sum())  # noqa: E731
    r = check_gradient(f, np.sign, np.array([1e-9, 0.5]), names=("x",))
    assert r.ok and r.n_kinks == 1 and r.kinks == ("x[0]",), str(r)
    assert "1 of 2 entries sit at a kink of f" in str(r)
    # (-1, the left-hand slope, is one-sided too at this resolution: 1e-9 is far below the step)
    for wrong in (lambda x: 0.5 * np.sign(x), lambda x: 2.0 * np.sign(x)):
        r = check_gradient(f, wrong, np.array([1e-9]))
        assert not r.ok and r.n_kinks == 0, str(r)


def test_wrong_gradient_of_a_smooth_f_gets_no_smoothness_hint():
    f = lambda x: float(np.sum(np.sin(x) * x**2))  # noqa: E731
    g = lambda x: np.cos(x) * x**2 + 2 * x  # noqa: E731
    x = np.linspace(-2.0, 2.0, 7)
    for bad in (lambda x: -g(x), lambda x: 1.01 * g(x), lambda x: g(x) + 1e-3):
        r = check_gradient(f, bad, x)
        assert not r.ok and "smooth" not in r.reason, r.reason
