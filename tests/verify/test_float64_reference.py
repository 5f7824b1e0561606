"""The float64 reference of a float32 check (`verify.reference`).

A float32 check cannot see a 1% error in an entry far below float32's noise, and its steps are
large enough to cross a kink of f near params. The reference evaluates the same f and grad at
float64 copies of the same values for the entries float32 cannot settle.
"""

import numpy as np
import pytest

from verify import check_gradient

N, D, H, C = 5, 4, 6, 3


def relu_net(kink_distance, seed=0, dtype=np.float32):
    """cs231n-style affine - ReLU - affine - softmax; pre-activation (2, 3) at `kink_distance`."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dtype)
    y = rng.integers(0, C, N)
    W1 = (0.5 * rng.standard_normal((D, H))).astype(dtype)
    b1 = (0.1 * rng.standard_normal(H)).astype(dtype)
    b1[3] = dtype(kink_distance - float(X[2].astype(np.float64) @ W1[:, 3].astype(np.float64)))
    p0 = {"W1": W1, "b1": b1, "W2": (0.5 * rng.standard_normal((H, C))).astype(dtype),
          "b2": (0.1 * rng.standard_normal(C)).astype(dtype)}

    def run(p):
        h1 = np.maximum(0, X.dot(p["W1"]) + p["b1"])
        scores = h1.dot(p["W2"]) + p["b2"]
        scores = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
        loss = -np.mean(np.log(probs[np.arange(N), y]))
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        dh1 = dscores.dot(p["W2"].T)
        dh1[h1 <= 0] = 0
        return loss, {"W1": X.T.dot(dh1), "b1": dh1.sum(axis=0), "W2": h1.T.dot(dscores), "b2": dscores.sum(axis=0)}

    return (lambda p: run(p)[0]), (lambda p: run(p)[1]), p0


def small_feature_softmax(dtype=np.float32, seed=0):
    """Softmax regression whose last feature is ~1e-4: its column of dJ/dW is tiny."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((30, 5)).astype(dtype)
    X[:, 4] *= dtype(1e-4)
    y = rng.integers(0, 3, 30)
    W = (0.3 * rng.standard_normal((3, 5))).astype(dtype)

    def loss(W):
        V = X @ W.T
        V = V - V.max(axis=1, keepdims=True)
        return -np.mean(V[np.arange(30), y] - np.log(np.exp(V).sum(axis=1)))

    def grad(W):
        V = X @ W.T
        P = np.exp(V - V.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        P[np.arange(30), y] -= 1
        return P.T @ X / 30

    return loss, grad, W


def one_percent_off(grad, k):
    def wrong(W):
        g = np.array(grad(W), copy=True)
        g.reshape(-1)[k] *= 1.01
        return g

    return wrong


def test_a_kink_within_float32_steps_is_no_false_alarm():
    f, g, p = relu_net(3e-4)
    alone = check_gradient(f, g, p, promote=False)
    assert alone.status != "failed", str(alone)  # float32 alone: "unknown" at worst
    r = check_gradient(f, g, p)
    assert r.ok and r.status == "passed", str(r)
    assert r.n_reference > 0 and "float64 reference: f and grad" in str(r)


@pytest.mark.parametrize("grad_dtype", [None, np.float32])
def test_a_wrong_entry_near_a_kink_still_fails(grad_dtype):
    # grad_dtype float32: grad always returns float32, only float32's own value is judged
    f, g, p = relu_net(3e-4)

    def wrong(q):
        out = {k: v.astype(grad_dtype or v.dtype) for k, v in g(q).items()}
        out["W1"][3, 3] *= 1.05
        return out

    r = check_gradient(f, wrong, p)
    assert r.status == "failed" and r.n_failed == 1 and r.worst.label == "W1[3, 3]", str(r)
    assert r.worst.where == "float64" and "1 fail" in r.reference


def test_one_percent_error_in_a_tiny_float32_entry_is_caught_in_float64():
    f, g, W = small_feature_softmax()
    k = int(np.argmin(np.abs(g(W)).reshape(-1)))
    alone = check_gradient(f, one_percent_off(g, k), W, promote=False)
    assert alone.ok and "not verified" in str(alone) and "params[0, 4]" in alone.unresolved  # invisible in float32
    r = check_gradient(f, one_percent_off(g, k), W)
    assert r.status == "failed" and r.n_failed == 1, str(r)
    assert r.worst.where == "float64" and np.ravel_multi_index(r.worst.index, W.shape) == k
    assert "(float64): analytic=" in str(r) and "1 fail" in r.reference
    assert abs(r.worst.rel_error - 0.01 / 1.01) < 1e-4
    correct = check_gradient(f, g, W)
    assert correct.ok and correct.n_insensitive == correct.n_unresolved == 0 and correct.n_reference > 0, str(correct)
    assert np.asarray(correct.detectable).reshape(-1)[k] < 0.01


def test_float32_only_code_is_checked_in_float32_and_the_result_says_why():
    f, g, W = small_feature_softmax()
    k = int(np.argmin(np.abs(g(W)).reshape(-1)))

    def f32_only(W):
        if W.dtype != np.float32:
            raise TypeError(f"expected float32, got {W.dtype}")
        return f(W)

    r = check_gradient(f32_only, one_percent_off(g, k), W)
    assert r.ok and r.n_reference == 0 and r.n_unresolved == 3, str(r)
    assert r.reference.startswith("no float64 reference (f or grad failed at float64 copies of params: TypeError")
    assert "not verified" in str(r) and "the float32 check stands alone" in str(r)
    r = check_gradient(lambda W: np.float32(f(W)), one_percent_off(g, k), W)
    assert "no float64 reference (f returns float32 at float64 params)" in str(r)


def test_a_float32_grad_is_not_held_to_float64_but_its_float32_flags_are_arbitrated():
    f, g, p = relu_net(3e-4, seed=8)

    def g32(q):
        return {k: v.astype(np.float32) for k, v in g(q).items()}

    assert check_gradient(f, g, p, promote=False).status != "passed"  # float32 alone flags it
    r = check_gradient(f, g32, p)
    assert r.ok and r.status == "passed", str(r)
    assert "float64 reference: f only (grad returns float32" in r.reference and "flags cleared" in r.reference


def test_float64_params_need_no_reference():
    f, g, W = small_feature_softmax(np.float64)
    calls = []
    r = check_gradient(lambda W: calls.append(W.dtype) or f(W), g, W)
    assert r.ok and r.n_reference == 0 and r.reference == "" and set(calls) == {np.dtype(np.float64)}


@pytest.mark.parametrize("seed", range(6))
def test_correct_float32_relu_nets_near_kinks_pass(seed):
    for distance in (3e-3, 1e-3, 3e-4):
        f, g, p = relu_net(distance, seed)
        r = check_gradient(f, g, p)
        assert r.ok and r.status == "passed", f"seed {seed}, distance {distance}: {r}"
