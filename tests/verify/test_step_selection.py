"""Step selection of the default check (`verify.steps.choose_steps`).

float64: steps h_i = rho_a s_i with s_i = max(1, min(|x_i|, median |x| of the array), |x_i| / 8)
and rho_a minimising the array's total squared error over the pilot; float32 and below:
s_i = max(1, |x_i|) and rho_a from the most curved pilot entry. The accuracy oracle is the same
loss computed in long double: the truncation coefficient c_i = f'''_i / 6 of every entry and the
rounding of f, hence the best any 2-call central difference can do (each entry at its own
optimal step).
"""

import numpy as np
import pytest

from verify import check_gradient
from verify import steps as st
from verify._params import ParamLayout

EXTENDED = np.finfo(np.longdouble).eps < 1e-18  # long double with a 64-bit mantissa (x86)


def layout_of(*arrays):
    return ParamLayout(tuple(arrays) if len(arrays) > 1 else arrays[0])


def test_float64_scale_is_the_arrays_typical_magnitude_not_each_entrys():
    x = np.array([0.1, -0.5, 0.9, 2.0, -3.0, 0.3, 0.7, -0.2, 100.0])  # median |x| 0.7
    lay = layout_of(x)
    s = st.step_scale(lay, x, np.arange(x.size), dtype=np.float64)
    np.testing.assert_array_equal(s[:8], 1.0)  # |x| up to 3: the same step
    assert s[8] == pytest.approx(100.0 / st.OUTLIER)  # far above the array's median: scaled
    # never a larger step than the textbook rho max(1, |x|)
    rng = np.random.default_rng(0)
    for _ in range(20):
        y = rng.standard_normal(50) * 10.0 ** rng.uniform(-3, 4, 50)
        s = st.step_scale(layout_of(y), y, np.arange(y.size), dtype=np.float64)
        assert np.all(s <= np.maximum(1.0, np.abs(y))) and np.all(s >= 1.0)


def test_float64_scale_follows_an_array_of_large_values():
    x = 1e3 * (1.0 + np.random.default_rng(1).random(20))  # every entry ~1e3: relative steps
    s = st.step_scale(layout_of(x), x, np.arange(x.size), dtype=np.float64)
    assert np.all(s >= 1e3) and np.all(s <= np.abs(x))


def test_float32_scale_is_each_entrys_own():
    x = np.array([0.1, -0.5, 2.0, -3.0, 100.0], dtype=np.float32)
    s = st.step_scale(layout_of(x), x.astype(float), np.arange(x.size), dtype=np.float32)
    np.testing.assert_array_equal(s, np.maximum(1.0, np.abs(x.astype(float))))


def synthetic(c):
    """central_at for D(h) = f' + c h^2 exactly (no rounding): the pilot sees c itself."""
    g = np.ones_like(c)
    return lambda h, entries: g[entries] + c[entries] * np.asarray(h) ** 2


@pytest.mark.parametrize("dtype, nu", [(np.float64, 1e-16), (np.float32, 1e-7)])
def test_rho_balances_the_whole_arrays_error_in_float64_and_the_most_curved_entry_in_float32(dtype, nu):
    c = np.array([1.0, 1e-3, 1e-3, 1e-3])  # 4 entries: the pilot takes them all
    x = np.zeros(4)
    lay = layout_of(x.astype(dtype))
    h, rho, calls = st.choose_steps(synthetic(c), lay, x, np.arange(4), dtype=dtype, nu=np.array([nu]), seed=0)
    # minimum of sum_i c_i^2 rho^4 + nu^2 / (2 rho^2): rho^6 = nu^2 / (4 mean c^2)
    total = (nu**2 / (4.0 * np.mean(c**2))) ** (1 / 6)
    most_curved = (nu / (2.0 * c.max())) ** (1 / 3)
    expected = total if dtype == np.float64 else most_curved
    assert rho[0] == pytest.approx(expected, rel=0.03)
    np.testing.assert_allclose(h, rho[0])
    assert calls == 8 * 4


def test_float64_pilot_grows_with_the_array():
    assert [st.pilot_count_64(n) for n in (3, 64, 300, 640, 10**6)] == [4, 4, 4, 8, 8]


def softmax_problem(seed, w_scale=1.0, dtype=np.float64, n=10, m=64, batch=100):
    """J(W, b) = -(1/N) sum_k log softmax(W x^k + b)_{y_k}, computed in `dtype`."""
    rng = np.random.default_rng(seed)
    W = w_scale * rng.standard_normal((n, m))
    b = w_scale * rng.standard_normal(n)
    X = rng.standard_normal((batch, m)).astype(dtype)
    Y = np.eye(n, dtype=dtype)[rng.integers(0, n, batch)]

    def loss(p):
        V = X @ np.asarray(p[0]).astype(dtype).T + np.asarray(p[1]).astype(dtype)
        V = V - V.max(axis=1, keepdims=True)
        return -np.sum(Y * (V - np.log(np.exp(V).sum(axis=1, keepdims=True)))) / batch

    def grad(p):
        V = X @ np.asarray(p[0]).astype(dtype).T + np.asarray(p[1]).astype(dtype)
        P = np.exp(V - V.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        G = (P - Y) / batch
        return G.T @ X, G.sum(axis=0)

    return loss, grad, (W, b)


def central(loss, params, h, wide=False):
    """Central differences of every entry at per-entry steps h (flat)."""
    W, b = (p.copy() for p in params)
    out, k = np.empty(h.size), 0
    for p in (W, b):
        flat = p.reshape(-1)
        for i in range(flat.size):
            x = flat[i]
            xp, xm = x + h[k], x - h[k]
            flat[i] = xp
            fp = loss((W, b))
            flat[i] = xm
            fm = loss((W, b))
            flat[i] = x
            out[k] = float((fp - fm) / np.longdouble(xp - xm)) if wide else (fp - fm) / (xp - xm)
            k += 1
    return out


def flat(arrays):
    return np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])


def norm_rel(n, g):
    return float(np.linalg.norm(n - g) / np.linalg.norm(g))


@pytest.mark.parametrize("seed", [0, 1])
def test_float64_default_beats_every_fixed_relative_step_when_W_is_of_unit_size(seed):
    # W ~ N(0, 1): the textbook h = r max(1, |x|) gives the entries with |x| ~ 3 nine times the
    # truncation; steps from the array's typical magnitude do not
    loss, grad, params = softmax_problem(seed)
    g = flat(grad(params))
    r = check_gradient(loss, grad, params)
    assert r.ok
    e_default = norm_rel(flat(r.numeric), g)
    x = flat(params)
    best_fixed = min(norm_rel(central(loss, params, rel * np.maximum(1.0, np.abs(x))), g) for rel in (2e-5, 4e-5, 8e-5))
    assert e_default <= 0.85 * best_fixed
    assert r.n_evals <= 2.2 * g.size  # 2 calls per entry + noise tables and pilot


@pytest.mark.skipif(not EXTENDED, reason="needs an extended-precision long double (x86)")
@pytest.mark.parametrize("w_scale", [0.1, 1.0])
def test_float64_default_is_near_the_floor_of_two_calls_per_entry(w_scale):
    """The floor: every entry at its own optimal step (nu / (2 |c_i|))^(1/3), c_i and the
    rounding nu measured with the same f in long double (the check knows neither)."""
    loss, grad, params = softmax_problem(0, w_scale)
    loss_l, grad_l, _ = softmax_problem(0, w_scale, dtype=np.longdouble)
    g = flat(grad_l(params))
    h = np.full(g.size, 3e-5)
    d1 = central(loss_l, params, h, wide=True)
    c = (central(loss_l, params, 2 * h, wide=True) - d1) / (3 * h**2)
    nu = np.std(central(loss, params, h) - d1) * np.sqrt(2) * 3e-5
    with np.errstate(divide="ignore"):
        floor = norm_rel(central(loss, params, np.minimum((nu / (2 * np.abs(c))) ** (1 / 3), 1e-3)), g)
    r = check_gradient(loss, grad, params)
    assert r.ok
    assert norm_rel(flat(r.numeric), g) <= 1.35 * floor


def test_float64_curvature_growing_towards_zero_no_false_alarm():
    # f = sum log x over 1e-2 .. 1e3 in one array: c_i = 1 / (3 x_i^3), the median-scaled steps
    # must not reach across the small entries
    x = np.geomspace(1e-2, 1e3, 40)
    np.random.default_rng(3).shuffle(x)
    r = check_gradient(lambda p: float(np.sum(np.log(p))), lambda p: 1.0 / p, x)
    assert r.ok and r.n_failed == 0
    bad = 1.0 / x
    bad[np.argmin(x)] *= 1.001
    assert not check_gradient(lambda p: float(np.sum(np.log(p))), lambda p: bad, x).ok
