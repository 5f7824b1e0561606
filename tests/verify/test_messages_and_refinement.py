"""Messages (top 5, hints, tracebacks), refinement that never loosens, Richardson, independence."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from verify import GradientCheckError, assert_gradient, check_gradient
from verify.refine import FAILED, PASSED, refine
from verify.richardson import extrapolate, table

A = np.array([[1.0, -2.0, 0.5, 0.3], [0.25, 3.0, -1.0, 2.0], [0.7, -0.4, 1.1, -1.3]])


def f(W):
    return np.sum(A * np.sin(W))


def g(W):
    return A * np.cos(W)


W0 = np.linspace(-1.0, 1.2, 12).reshape(3, 4)


@pytest.mark.parametrize(
    ("bad", "hint"),
    [
        (lambda W: 0.5 * g(W), "analytic = 0.5 × numeric everywhere: a missing factor 2?"),
        (lambda W: 3 * g(W), "analytic = 3 × numeric everywhere: an extra factor 3?"),
        (lambda W: -g(W), "sign flipped everywhere: analytic = -numeric"),
        (lambda W: 0 * g(W), "analytic W is 0 everywhere: its gradient is missing?"),
        (lambda W: g(W).T.reshape(3, 4), "the transpose matches in W (analytic = numeric.T reshaped to (3, 4))"),
    ],
)
def test_hints_name_the_pattern(bad, hint):
    r = check_gradient(f, bad, W0, names=["W"])
    assert not r.ok and any(h.startswith(hint) for h in r.hints) and f"hint: {hint}" in str(r)


def test_square_transpose_and_per_array_factor():
    S = np.linspace(-1, 1, 9).reshape(3, 3)
    B = np.arange(9.0).reshape(3, 3) - 4
    r = check_gradient(lambda p: np.sum(B * p[0]) + np.sum(p[1] ** 2), lambda p: (B.T, 4 * p[1]), (S, np.ones(2) * 0.5), names=("S", "c"))
    assert "the transpose matches in S (analytic = numeric.T): a transposed product?" in r.hints
    assert "analytic = 2 × numeric everywhere in c: an extra factor 2?" in r.hints


def test_no_hint_without_a_pattern_and_top_five_entries():
    rng = np.random.default_rng(0)

    def bad(W):
        G = g(W).copy()
        G += rng.standard_normal(G.shape) * 0.3  # no pattern
        return G

    r = check_gradient(f, bad, W0, names=["W"])
    assert not r.ok and r.hints == ()
    text = str(r)
    assert text.count("  also ") == 4 and len(r.failures) == 5
    assert r.failures[0] == r.worst


def test_pytest_shows_the_assertion_not_the_library_source(tmp_path):
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            import numpy as np
            from verify import assert_gradient

            def test_wrong():
                x = np.linspace(-1, 1, 5)
                assert_gradient(lambda x: np.sum(x ** 3), lambda x: x ** 2, x, names=["x"])
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    out = proc.stdout
    assert proc.returncode == 1 and "GradientCheckError" in out
    assert "analytic = 0.3333 × numeric everywhere: a missing factor 3?" in out
    assert "verify/check.py" not in out and "_check_entries" not in out


def test_refinement_never_loosens_the_first_pass_tolerance():
    # a flagged entry passes only with its first-pass tolerance: a 1% error whose D(h) is
    # polluted by truncation must stay failed after refinement, however big the bound
    h = np.array([0.1])
    d = 1.0  # true derivative; D(s) = d + 0.5 s^2
    central_at = lambda s, k: d + 0.5 * s**2  # noqa: E731
    a = np.array([1.01])
    tol1 = np.array([0.004])
    est, bound, status, calls, rough = refine(
        central_at, {1.0: central_at(h, None)}, h, a, atol=tol1 - 1e-3 * 1.01, tol1=tol1, rtol=1e-3, nu=1e-12
    )
    assert status[0] == FAILED and abs(est[0] - 1.0) < 1e-9 and not rough[0]
    est, bound, status, calls, rough = refine(
        central_at, {1.0: central_at(h, None)}, h, np.array([1.0]), atol=tol1 - 1e-3, tol1=tol1, rtol=1e-3, nu=1e-12
    )
    assert status[0] == PASSED and bound[0] <= tol1[0]


def test_float32_one_percent_error_is_not_refined_away():
    # issue 11: refinement used to turn a flagged 1% error back into a pass
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 10)).astype(np.float32)
    y = rng.integers(0, 4, 100)
    W = (0.01 * rng.standard_normal((4, 10))).astype(np.float32)

    def loss(W):
        V = X @ W.T
        V = V - V.max(axis=1, keepdims=True)
        return -np.mean(V[np.arange(100), y] - np.log(np.exp(V).sum(axis=1)))

    def grad(W):
        V = X @ W.T
        P = np.exp(V - V.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        P[np.arange(100), y] -= 1
        return P.T @ X / 100

    assert check_gradient(loss, grad, W).ok
    G = grad(W)
    caught = 0
    for k in np.argsort(-np.abs(G).ravel())[:20]:
        def bad(W, k=k):
            out = grad(W).copy()
            out.reshape(-1)[k] *= 1.01
            return out

        caught += not check_gradient(loss, bad, W).ok
    assert caught == 20


def test_richardson_table_is_exact_for_polynomials_and_bounds_its_error():
    h = 0.1 * 2.0 ** -np.arange(4)
    D = np.array([[3.0 + 2 * s**2 + 5 * s**4] for s in h])  # d = 3
    T, weights = table(D)
    assert T[2][2][0] == pytest.approx(3.0, abs=1e-12)
    np.testing.assert_allclose(sum(w * D[l] for l, w in enumerate(weights[3][1])), T[3][1])
    ext = extrapolate(D, np.full_like(D, 1e-14))
    assert abs(ext.estimate[0] - 3.0) <= ext.bound[0] < 1e-8


def test_independent_entries_are_told_apart_from_unresolved_ones():
    # f ignores x[2] (a character that never occurs); x[3] matters only at 1e-13 scale
    f = lambda x: np.sin(x[0]) + x[1] ** 2 + 1e-13 * x[3]  # noqa: E731
    g = lambda x: np.array([np.cos(x[0]), 2 * x[1], 0.0, 1e-13])  # noqa: E731
    r = check_gradient(f, g, np.array([0.3, 0.4, 0.5, 0.6]), names=["x"])
    assert r.ok and r.n_independent == 1 and r.n_unresolved == 1, str(r)
    assert "1 of 4 entries: f does not depend on them" in str(r) and "verified as zero (x[2])" in str(r)
    assert "1 of 4 entries are below the resolution of finite differences" in str(r) and r.unresolved == ("x[3]",)
    # a claimed nonzero derivative where f does not depend is a failure
    r = check_gradient(f, lambda x: g(x) + np.array([0, 0, 0.5, 0]), np.array([0.3, 0.4, 0.5, 0.6]), names=["x"])
    assert not r.ok and r.worst.label == "x[2]"


def test_assert_gradient_raises_with_the_result():
    with pytest.raises(GradientCheckError) as info:
        assert_gradient(f, lambda W: 0.5 * g(W), W0)
    assert info.value.result.status == "failed"
