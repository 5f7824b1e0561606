"""verify.check_hessian and trainer.hessian_vector_product."""

import numpy as np
import pytest

import trainer
from verify import HessianCheckResult, check_hessian


def problem(dtype=np.float64, labels="index", seed=0, n=3, m=4, N=12, l2=0.3):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n, m)).astype(dtype)
    b = rng.standard_normal(n).astype(dtype)
    X = rng.standard_normal((N, m)).astype(dtype)
    if labels == "index":
        Y = rng.integers(0, n, N)
    else:  # unnormalised soft rows: s_k != 1 weights the Hessian too
        Y = (rng.uniform(0.1, 1.0, (N, n)) * rng.choice([0.5, 2.0], (N, 1))).astype(dtype)
    f = lambda p: trainer.loss(*p, X, Y, l2=l2)  # noqa: E731
    g = lambda p: trainer.gradient(*p, X, Y, l2=l2)  # noqa: E731
    h = lambda p, v: trainer.hessian_vector_product(*p, X, Y, *v, l2=l2)  # noqa: E731
    return f, g, h, (W, b), (X, Y, l2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("labels", ["index", "soft"])
def test_trainer_hvp_passes_check_hessian(dtype, labels):
    f, g, h, params, _ = problem(dtype, labels)
    r = check_hessian(f, g, h, params, names=("W", "b"))
    assert isinstance(r, HessianCheckResult)
    assert r.ok and r.status == "passed" and r.gradient.ok, str(r)
    assert r.n_columns == 15 and r.n_directions == 4  # every column: 15 parameters <= 64
    HV, Hv = h(params, (np.ones((3, 4), dtype), np.ones(3, dtype)))
    assert HV.dtype == dtype and Hv.dtype == dtype


def test_hvp_equals_the_explicit_hessian_formula():
    # d2J / dw_ij dw_pq = (1/N) sum_k s_k x_j x_q p_i (delta_ip - p_p) + l2 delta_ip delta_jq
    f, g, h, (W, b), (X, Y, l2) = problem(labels="soft", N=5)
    P = trainer.softmax(X @ W.T + b, axis=1)
    s = Y.sum(axis=1)
    n, m = W.shape
    Z = np.hstack([X, np.ones((len(X), 1))])  # bias as a feature of value 1
    H = np.zeros((n * (m + 1), n * (m + 1)))
    for k in range(len(X)):
        J = np.diag(P[k]) - np.outer(P[k], P[k])
        H += s[k] * np.kron(J, np.outer(Z[k], Z[k]))
    H /= len(X)
    idx = np.arange(n * (m + 1)).reshape(n, m + 1)
    H[idx[:, :m].ravel(), idx[:, :m].ravel()] += l2
    rng = np.random.default_rng(5)
    V, v = rng.standard_normal((n, m)), rng.standard_normal(n)
    flat = np.hstack([V, v[:, None]]).ravel()
    HV, Hv = h((W, b), (V, v))
    expected = (H @ flat).reshape(n, m + 1)
    np.testing.assert_allclose(HV, expected[:, :m], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(Hv, expected[:, m], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "bug",
    [
        lambda HV, Hv: (HV, Hv * 0),  # missing bias block
        lambda HV, Hv: (-HV, -Hv),  # sign
        lambda HV, Hv: (1.01 * HV, Hv),  # 1% off
    ],
)
def test_wrong_hvps_fail(bug):
    f, g, h, params, _ = problem()
    r = check_hessian(f, g, lambda p, v: bug(*h(p, v)), params, names=("W", "b"))
    assert not r.ok and r.status == "failed" and r.n_failed > 0
    assert "->" in r.worst.label and ("column" in r.worst.label or "direction" in r.worst.label)
    assert "worst" in str(r)


def test_missing_l2_term_is_caught():
    f, g, h, params, (X, Y, l2) = problem()
    r = check_hessian(f, g, lambda p, v: trainer.hessian_vector_product(*p, X, Y, *v, l2=0.0), params, names=("W", "b"))
    assert not r.ok and r.status == "failed" and "-> W[" in r.worst.label


def test_a_wrong_gradient_is_reported_as_the_cause():
    f, g, h, params, _ = problem()
    r = check_hessian(f, lambda p: tuple(2 * a for a in g(p)), h, params)
    assert not r.ok and "the gradient itself did not pass" in r.reason


def test_column_sample_when_there_are_many_parameters():
    f, g, h, params, _ = problem(n=5, m=20)
    r = check_hessian(f, g, h, params, max_columns=10, directions=2)
    assert r.ok and r.n_columns == 10 and r.n_directions == 2 and r.n_grad_evals == 4 * 12


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"directions": 0}, ValueError), ({"max_columns": -1}, ValueError), ({"random_state": "x"}, TypeError)],
)
def test_bad_options(kwargs, error):
    f, g, h, params, _ = problem()
    with pytest.raises(error):
        check_hessian(f, g, h, params, **kwargs)


def test_hvp_rejects_bad_directions():
    f, g, h, (W, b), (X, Y, l2) = problem()
    with pytest.raises(ValueError, match=r"V must have shape \(3, 4\)"):
        trainer.hessian_vector_product(W, b, X, Y, np.ones((4, 3)), np.ones(3))
    with pytest.raises(ValueError, match="v contains nan"):
        trainer.hessian_vector_product(W, b, X, Y, np.ones((3, 4)), np.array([0.0, np.nan, 1.0]))
