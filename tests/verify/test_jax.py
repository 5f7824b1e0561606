"""jax: f and grad on jax arrays (jax.grad as the oracle), dtypes kept, errors found."""

import numpy as np
import pytest

from verify import check_gradient

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")


@pytest.fixture(autouse=True)
def x64():
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", False)


def softmax_problem(dtype):
    rng = np.random.default_rng(0)
    X = jnp.asarray(rng.standard_normal((20, 4)), dtype=dtype)
    y = jnp.asarray(rng.integers(0, 3, 20))

    def loss(p):
        # J = -(1/N) sum_k log softmax(W x^k + b)_{y^k}
        V = X @ p["W"].T + p["b"]
        return -jnp.mean(jax.nn.log_softmax(V)[jnp.arange(20), y])

    params = {"W": jnp.asarray(rng.standard_normal((3, 4)), dtype=dtype), "b": jnp.zeros(3, dtype=dtype)}
    return loss, jax.grad(loss), params


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_jax_grad_passes_and_arrays_keep_their_dtype(dtype):
    loss, grad, params = softmax_problem(dtype)
    seen = set()

    def f(p):
        seen.update((type(v).__module__.split(".")[0], str(v.dtype)) for v in p.values())
        return loss(p)

    r = check_gradient(f, grad, params, promote=False)
    assert r.ok and r.status == "passed", str(r)
    assert seen == {("jaxlib", dtype)} or seen == {("jax", dtype)}
    assert isinstance(r.numeric["W"], np.ndarray) and r.numeric["W"].shape == (3, 4)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_wrong_jax_gradient_fails_with_a_hint(dtype):
    loss, grad, params = softmax_problem(dtype)

    def wrong(p):
        g = grad(p)
        return {"W": g["W"], "b": 2 * g["b"]}

    r = check_gradient(loss, wrong, params)
    assert r.status == "failed" and r.worst.name == "b", str(r)
    assert "analytic = 2 × numeric everywhere in b: an extra factor 2?" in str(r)
