"""L-BFGS internals: the compact inverse-Hessian form equals the two-loop recursion; the
line search returns Wolfe points; the optimum is scipy's."""

import numpy as np
import pytest

from trainer import SoftmaxRegression, gradient, loss
from trainer._lbfgs import C1, C2, _Memory, _cubic_min


def _two_loop(g, pairs):
    """Nocedal & Wright Algorithm 7.4, written out plainly (oldest pair first)."""
    q = g.copy()
    alphas = []
    for s, u in reversed(pairs):
        a = (s @ q) / (s @ u)
        q -= a * u
        alphas.append(a)
    s, u = pairs[-1]
    r = (s @ u) / (u @ u) * q
    for (s, u), a in zip(pairs, reversed(alphas)):
        beta = (u @ r) / (s @ u)
        r += (a - beta) * s
    return -r


@pytest.mark.parametrize("size, count", [(3, 2), (3, 3), (3, 7), (10, 25)])
def test_compact_direction_equals_two_loop_recursion(size, count):
    rng = np.random.default_rng(size * 100 + count)
    d = 12
    A = rng.normal(size=(d, d))
    H = A @ A.T + d * np.eye(d)          # a convex quadratic: u = H s, so <s, u> > 0
    memory, pairs = _Memory(np, size, d, np.float64, None), []
    for _ in range(count):
        s = rng.normal(size=d)
        u = H @ s
        memory.add(s, u)
        pairs.append((s, u))
        pairs = pairs[-size:]            # the memory keeps the last `size` pairs
        g = rng.normal(size=d)
        np.testing.assert_allclose(memory.direction(g), _two_loop(g, pairs), rtol=1e-10, atol=1e-12)


def test_cubic_interpolation_finds_the_minimum_of_a_cubic():
    f = lambda t: (t - 0.3) ** 2 * (t + 2)  # noqa: E731  local minimum at t = 0.3
    df = lambda t: 2 * (t - 0.3) * (t + 2) + (t - 0.3) ** 2  # noqa: E731
    assert _cubic_min(0.0, f(0.0), df(0.0), 1.0, f(1.0), df(1.0)) == pytest.approx(0.3, rel=1e-12)


def test_accepted_steps_satisfy_the_wolfe_conditions(blobs):
    """Every accepted step s = x+ - x (= t d) satisfies Armijo J(x+) <= J(x) + C1 <g, s> and the
    curvature condition <g+, s> >= C2 <g, s>, or the approximate-Wolfe case (J within rounding,
    C2 <g, s> <= <g+, s> <= (2 C1 - 1) <g, s>); checked with the reference objective."""
    from trainer._lbfgs import run_lbfgs

    X, _, codes = blobs
    n, m, l2 = 3, 4, 1e-3

    def split(theta):
        return theta[:n * m].reshape(n, m), theta[n * m:]

    def fg(theta):
        W, b = split(theta)
        dW, db = gradient(W, b, X, codes, l2=l2)
        return loss(W, b, X, codes, l2=l2), np.concatenate([dW.ravel(), db])

    class Recorder:
        def __init__(self):
            self.kept = []

        def keep(self, W, b, epoch, J=None, gmax=None):
            theta = np.concatenate([W.ravel(), b])
            if J is not None and (not self.kept or not np.array_equal(theta, self.kept[-1])):
                self.kept.append(theta)

        def epoch_end(self, *args, **kwargs):
            return False

    rec = Recorder()
    theta, epochs, converged, J, gmax = run_lbfgs(fg, np.zeros(n * m + n), max_epochs=500, tol=1e-9, monitor=rec,
                                                  split=split, xp=np, dot=lambda a, b: float(a @ b))
    assert converged and len(rec.kept) > 5
    for x, x_next in zip(rec.kept, rec.kept[1:]):
        (J0, g0), (J1, g1) = fg(x), fg(x_next)
        step = x_next - x
        slope0, slope1 = float(g0 @ step), float(g1 @ step)
        assert slope0 < 0                                   # a descent direction
        wolfe = J1 <= J0 + C1 * slope0 + 1e-15 and slope1 >= C2 * slope0
        approx = abs(J1 - J0) <= 1e-14 * abs(J0) and C2 * slope0 <= slope1 <= (2 * C1 - 1) * slope0
        last = np.max(np.abs(g1)) < 1e-9                    # the final point may be taken for meeting tol
        assert wolfe or approx or last


def test_lbfgs_matches_scipy_minimize_on_the_same_objective():
    optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(7)
    N, m, n, l2 = 120, 5, 4, 0.05
    X = rng.normal(size=(N, m))
    y = rng.integers(0, n, N)

    def fg(theta):
        W, b = theta[:n * m].reshape(n, m), theta[n * m:]
        dW, db = gradient(W, b, X, y, l2=l2)
        return loss(W, b, X, y, l2=l2), np.concatenate([dW.ravel(), db])

    ref = optimize.minimize(fg, np.zeros(n * m + n), jac=True, method="L-BFGS-B",
                            options={"gtol": 1e-12, "ftol": 0, "maxiter": 10_000})
    model = SoftmaxRegression(l2=l2, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_.ravel(), ref.x[:n * m], rtol=0, atol=1e-8)
    assert model.loss_ == pytest.approx(ref.fun, rel=1e-12)
