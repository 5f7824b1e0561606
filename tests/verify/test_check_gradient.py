"""Unit tests of verify.check_gradient / assert_gradient: structures, methods, errors, messages."""

import re

import numpy as np
import pytest

import verify
from verify import GradientCheckError, assert_gradient, check_gradient


# f(W, b) = sum_ij sin(w_ij) c_ij + sum_i b_i^3 / 3 ;  df/dW = cos(W) * C, df/db = b^2
C = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])


def f_tuple(params):
    W, b = params
    return np.sum(np.sin(W) * C) + np.sum(b**3) / 3


def grad_tuple(params):
    W, b = params
    return np.cos(W) * C, b**2


def make(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((2, 3)).astype(dtype), rng.standard_normal(4).astype(dtype)


def test_correct_gradient_passes_and_result_has_the_documented_fields():
    W, b = make()
    r = check_gradient(f_tuple, grad_tuple, (W, b))
    assert r.ok and bool(r) and r.method == "central"
    assert r.n_failed == 0 and r.n_checked == W.size + b.size
    assert isinstance(r.numeric, tuple) and [a.shape for a in r.numeric] == [W.shape, b.shape]
    np.testing.assert_allclose(r.numeric[0], np.cos(W) * C, rtol=1e-8)
    np.testing.assert_allclose(r.analytic[1], b**2)
    assert r.max_abs_error < 1e-8 and r.max_rel_error < 1e-7 and r.norm_rel_error < 1e-8
    assert r.worst.name in ("params[0]", "params[1]") and len(r.worst.index) in (1, 2)
    assert r.reason == "" and "passed" in str(r)


@pytest.mark.parametrize("method", ["central", "richardson", "complex", "random"])
def test_never_modifies_the_callers_arrays_even_if_grad_writes_to_its_input(method):
    W, b = make()
    W0, b0 = W.copy(), b.copy()
    seen = []

    def grad_that_writes(params):
        g = grad_tuple(params)
        params[0][...] = 7.0
        return g

    def f(params):
        seen.append(params[0] is W or params[1] is b)
        return f_tuple(params)

    r = check_gradient(f, grad_that_writes, (W, b), method=method)
    assert r.ok and not any(seen)
    np.testing.assert_array_equal(W, W0)
    np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("kind", ["array", "list", "dict"])
def test_every_params_structure_round_trips(kind):
    W, b = make()
    if kind == "array":
        params, f, g = W, (lambda W: np.sum(np.sin(W) * C)), (lambda W: np.cos(W) * C)
    elif kind == "list":
        params, f, g = [W, b], f_tuple, (lambda p: list(grad_tuple(p)))
    else:
        params = {"W": W, "b": b}
        f = lambda p: f_tuple((p["W"], p["b"]))  # noqa: E731
        g = lambda p: dict(zip(("W", "b"), grad_tuple((p["W"], p["b"]))))  # noqa: E731
    r = check_gradient(f, g, params)
    assert r.ok
    assert type(r.numeric) is type(params) and type(r.analytic) is type(params)
    if kind == "dict":
        assert list(r.numeric) == ["W", "b"]
        np.testing.assert_allclose(r.numeric["b"], b**2, rtol=1e-8)
        wrong = lambda p: {"W": g(p)["W"], "b": -g(p)["b"]}  # noqa: E731
        assert check_gradient(f, wrong, params).worst.name == "b"  # dict keys name the arrays


def test_precomputed_gradient_is_accepted():
    W, b = make()
    assert check_gradient(f_tuple, grad_tuple((W, b)), (W, b)).ok


@pytest.mark.parametrize("method", ["central", "richardson", "complex", "random"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_each_method_passes_correct_and_fails_wrong_gradients(method, dtype):
    W, b = make(dtype)
    assert check_gradient(f_tuple, grad_tuple, (W, b), method=method).ok

    def wrong(p):  # one entry 5% off
        dW, db = grad_tuple(p)
        dW = dW.copy()
        dW[1, 1] *= 1.05
        return dW, db

    r = check_gradient(f_tuple, wrong, (W, b), method=method, names=("W", "b"))
    assert not r.ok
    if method != "random":
        assert r.worst.label == "W[1, 1]" and r.n_failed == 1


def test_accuracy_of_each_method_in_float64():
    W, b = make()
    exact = np.concatenate([g.ravel() for g in grad_tuple((W, b))])
    errs = {}
    for method in ("central", "richardson", "complex"):
        r = check_gradient(f_tuple, grad_tuple, (W, b), method=method)
        num = np.concatenate([a.ravel() for a in r.numeric])
        errs[method] = np.linalg.norm(num - exact) / np.linalg.norm(exact)
    assert errs["central"] < 1e-9
    assert errs["richardson"] < 1e-11
    assert errs["complex"] < 1e-14


def test_float32_gradient_one_percent_off_fails_but_correct_passes():
    W, b = make(np.float32)
    assert check_gradient(f_tuple, grad_tuple, (W, b)).ok
    off = check_gradient(f_tuple, lambda p: tuple(1.01 * g for g in grad_tuple(p)), (W, b))
    assert not off.ok and off.n_failed >= 1


def test_mixed_tolerance_does_not_blow_up_on_entries_near_zero():
    # f = sum(W^2) at W with entries 0 and 1e-12: gradient entries ~0, numeric noise ~1e-10
    W = np.array([0.0, 1e-12, -3e-13, 2.0])
    r = check_gradient(lambda W: np.sum(W**2) + 1.0, lambda W: 2 * W, W)
    assert r.ok, str(r)


def test_nan_or_inf_in_analytic_gradient_is_a_failure_with_a_reason():
    W, b = make()
    for bad in (np.nan, np.inf):

        def g(p, bad=bad):
            dW, db = grad_tuple(p)
            dW = dW.copy()
            dW[0, 2] = bad
            return dW, db

        for method in ("central", "random"):
            r = check_gradient(f_tuple, g, (W, b), method=method, names=("W", "b"))
            assert not r.ok and not r
            assert "non-finite" in r.reason and "W[0, 2]" in r.reason
    # an all-NaN gradient is never a pass either
    r = check_gradient(f_tuple, lambda p: tuple(np.full_like(a, np.nan) for a in p), (W, b))
    assert not r.ok and r.n_failed == r.n_checked


def test_nan_of_f_away_from_params_makes_the_numeric_side_fail():
    x = np.array([0.0, 1.0])
    # log(1 - x) is nan for x > 1: the +h side of x_1 = 1 leaves the domain
    f = lambda x: np.log(1.0 - x[1] + 1e-300) + x[0]  # noqa: E731
    with np.errstate(invalid="ignore", divide="ignore"):
        r = check_gradient(f, lambda x: np.array([1.0, -1.0 / (1.0 - x[1] + 1e-300)]), x)
    assert not r.ok
    assert "non-finite" in r.reason


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda W, b: check_gradient(f_tuple, lambda p: (p[0][:, :2], p[1] ** 2), (W, b)), ValueError, r"shape \(2, 2\).*shape \(2, 3\)"),
        (lambda W, b: check_gradient(f_tuple, lambda p: p[0], (W, b)), TypeError, "structure"),
        (lambda W, b: check_gradient(f_tuple, lambda p: (p[0],), (W, b)), ValueError, "1 arrays"),
        (lambda W, b: check_gradient(f_tuple, grad_tuple, (W.astype(int), b)), TypeError, r"params\[0\] has dtype int"),
        (lambda W, b: check_gradient(lambda p: p[0] * 2, grad_tuple, (W, b)), TypeError, r"scalar.*shape \(2, 3\)"),
        (lambda W, b: check_gradient(f_tuple, grad_tuple, (W, b), method="forward"), ValueError, "method.*'forward'"),
        (lambda W, b: check_gradient(f_tuple, grad_tuple, (W, b), rtol=-1), ValueError, "rtol.*-1"),
        (lambda W, b: check_gradient(f_tuple, grad_tuple, (W, b), names=("W",)), ValueError, "names"),
        (lambda W, b: check_gradient(f_tuple, grad_tuple, [W, "3"]), TypeError, r"params\[1\] must be a float array"),
        (lambda W, b: check_gradient(f_tuple, grad_tuple, [W, 3]), TypeError, r"params\[1\] is 3 \(an int\)"),
        (lambda W, b: check_gradient(f_tuple, grad_tuple, "W"), TypeError, "params must be"),
        (lambda W, b: check_gradient(f_tuple, grad_tuple, (W, b), sample=0), ValueError, "sample"),
        (lambda W, b: check_gradient(lambda p: np.nan, grad_tuple, (W, b)), ValueError, "f\\(params\\) is nan"),
    ],
)
def test_bad_inputs_raise_clear_errors(call, error, pattern):
    W, b = make()
    with pytest.raises(error, match=pattern):
        call(W, b)


def test_nan_in_params_is_named():
    W, b = make()
    W[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"W\[1, 0\] is nan"):
        check_gradient(f_tuple, grad_tuple, (W, b), names=("W", "b"))


def test_complex_method_needs_complex_aware_f():
    W, b = make()

    def real_only(p):
        return float(np.sum(np.abs(p[0]))) + float(np.sum(p[1].real))

    with pytest.raises(TypeError, match="complex"):
        check_gradient(real_only, grad_tuple, (W, b), method="complex")


def test_assert_gradient_message_is_short_and_names_the_worst_entry():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((30, 40))
    f = lambda W: np.sum(W**3) / 3  # noqa: E731

    def g(W):
        G = W**2
        G = -G  # sign flip everywhere
        G[7, 11] = 1e3  # and one absurd entry, the worst
        return G

    with pytest.raises(GradientCheckError) as info:
        assert_gradient(f, g, W, names=["W"])
    msg = str(info.value)
    assert isinstance(info.value, AssertionError)
    assert len(msg) <= 1500
    assert "W[7, 11]" in msg and "analytic=1000" in msg
    numeric = float(re.search(r"W\[7, 11\]: analytic=\S+, numeric=(\S+),", msg).group(1))
    assert numeric == pytest.approx(W[7, 11] ** 2, rel=1e-6)
    n_failed = info.value.result.n_failed
    assert n_failed > 1000 and f"{n_failed} of 1200 entries exceed the tolerance" in msg
    assert assert_gradient(f, lambda W: W**2, W).ok


def test_sample_checks_a_subset():
    W, b = make()
    r = check_gradient(f_tuple, grad_tuple, (W, b), sample=3, seed=2)
    assert r.ok and r.n_checked == 3
    assert np.isnan(np.concatenate([a.ravel() for a in r.numeric])).sum() == W.size + b.size - 3


def test_random_mode_uses_two_evaluations_per_direction():
    W, b = make()
    calls = []

    def f(p):
        calls.append(1)
        return f_tuple(p)

    r = check_gradient(f, grad_tuple, (W, b), method="random", directions=5)
    assert r.ok and r.n_checked == 5 and r.numeric is None and len(r.directional) == 5
    assert len(calls) == r.n_evals
    before = len(calls)
    check_gradient(f, grad_tuple, (W, b), method="random", directions=2)
    assert r.n_evals - (len(calls) - before) == 2 * (5 - 2)  # 2 calls per direction


def test_random_mode_catches_a_localized_one_percent_bug_on_a_large_problem():
    rng = np.random.default_rng(3)
    W = rng.standard_normal((40, 50))
    A = rng.standard_normal((40, 50))
    f = lambda W: np.sum(A * np.sin(W))  # noqa: E731

    def g(W):
        G = A * np.cos(W)
        k = np.unravel_index(np.argsort(np.abs(G), axis=None)[G.size // 2], G.shape)
        G[k] *= 1.01  # a median-size entry, 1% off
        return G

    misses = sum(check_gradient(f, g, W, method="random", seed=s).ok for s in range(20))
    assert misses == 0


def test_lazy_exports():
    assert verify.check_gradient is check_gradient
    assert set(verify.__all__) >= {"check_gradient", "assert_gradient", "GradientCheckError", "GradientCheckResult", "strategies"}
    with pytest.raises(AttributeError, match="no_such"):
        verify.no_such  # noqa: B018


@pytest.mark.parametrize("method", ["central", "richardson", "random"])
def test_truncation_error_at_a_stationary_point_is_not_a_false_alarm(method):
    # f = 1000 sum x^3 at x = 0: g = 0 exactly but the central difference is 1000 h^2 != 0
    f = lambda x: 1000.0 * np.sum(x**3) + 1.0  # noqa: E731
    # (one entry away from the stationary point, so that something is resolved at all)
    x = np.array([0.0, 0.0, 0.0, 0.01])
    r = check_gradient(f, lambda x: 3000.0 * x**2, x, method=method)
    assert r.ok, str(r)
    assert not check_gradient(f, lambda x: 3000.0 * x**2 + 1e-5, x, method=method).ok


@pytest.mark.parametrize("method", ["central", "richardson", "random"])
def test_symmetric_softmax_problem_with_zero_gradient_is_reported_as_not_verified(method):
    # finite differences cannot tell a gradient of exactly 0 from one below their noise:
    # a check that resolved no entry must not pass silently
    # every class scores the same and labels are uniform: the gradient is exactly 0
    X, Y = np.array([[2.0]]), np.full((1, 3), 1 / 3)

    def loss(p):
        V = X @ p[0].T + p[1]
        V = V - V.max(axis=1, keepdims=True)
        return -np.sum(Y * (V - np.log(np.exp(V).sum(axis=1, keepdims=True))))

    def grad(p):
        V = X @ p[0].T + p[1]
        P = np.exp(V - V.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        return (P - Y).T @ X, (P - Y).sum(axis=0)

    params = (np.full((3, 1), 5.0), np.zeros(3))
    r = check_gradient(loss, grad, params, method=method)
    assert not r.ok and r.n_unresolved == r.n_checked and "no entry could be resolved" in r.reason
    assert "method='complex'" in r.reason and r.n_failed == 0
    assert not check_gradient(loss, lambda p: (grad(p)[0] + 1e-4, grad(p)[1]), params, method=method).ok
