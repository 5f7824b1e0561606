"""Parameters as people have them: nested dicts / lists / tuples, floats, other array libraries."""

import numpy as np
import pytest

from verify import check_gradient


def net_params(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "layer1": {"W": rng.standard_normal((3, 4)).astype(dtype), "b": rng.standard_normal(3).astype(dtype)},
        "layers": [rng.standard_normal((2, 3)).astype(dtype), (rng.standard_normal(2).astype(dtype),)],
        "scale": 0.7,
    }


def loss(p):
    h = np.tanh(p["layer1"]["W"] @ np.ones(4) + p["layer1"]["b"])
    out = p["layers"][0] @ h + p["layers"][1][0]
    return p["scale"] * np.sum(out**2)


def grad(p, bug=None):
    a = p["layer1"]["W"] @ np.ones(4) + p["layer1"]["b"]
    h = np.tanh(a)
    out = p["layers"][0] @ h + p["layers"][1][0]
    dout = 2 * p["scale"] * out
    dh = p["layers"][0].T @ dout
    da = dh * (1 - h**2)
    dW1 = np.outer(da, np.ones(4))
    if bug == "W1":
        dW1 = dW1.copy()
        dW1[0, 3] *= 1.5
    return {
        "layer1": {"W": dW1, "b": da},
        "layers": [np.outer(dout, h), (dout,)],
        "scale": float(np.sum(out**2)) * (2.0 if bug == "scale" else 1.0),
    }


def test_nested_structure_with_a_float_passes_and_round_trips():
    p = net_params()
    r = check_gradient(loss, grad, p)
    assert r.ok, str(r)
    assert r.n_checked == 12 + 3 + 6 + 2 + 1
    assert isinstance(r.numeric, dict) and isinstance(r.numeric["layers"], list)
    assert isinstance(r.numeric["layers"][1], tuple) and isinstance(r.numeric["scale"], float)
    np.testing.assert_allclose(r.numeric["layer1"]["W"], grad(p)["layer1"]["W"], rtol=1e-7, atol=1e-9)
    assert r.numeric["scale"] == pytest.approx(grad(p)["scale"], rel=1e-8)


def test_failures_are_named_by_dict_keys_and_paths():
    p = net_params()
    r = check_gradient(loss, lambda q: grad(q, "W1"), p)
    assert not r.ok and r.worst.label == "layer1.W[0, 3]", str(r)
    r = check_gradient(loss, lambda q: grad(q, "scale"), p)
    assert not r.ok and r.worst.label == "scale"
    assert "analytic = 2 × numeric everywhere in scale: an extra factor 2?" in str(r)


def test_top_level_dict_keys_name_the_arrays():
    rng = np.random.default_rng(1)
    p = {"W1": rng.standard_normal((2, 5)), "b1": rng.standard_normal(2)}

    def g(q):
        G = {"W1": np.cos(q["W1"]), "b1": 2 * q["b1"]}
        G["W1"][0, 3] += 0.1
        return G

    r = check_gradient(lambda q: np.sum(np.sin(q["W1"])) + np.sum(q["b1"] ** 2), g, p)
    assert r.worst.label == "W1[0, 3]" and "params[0]" not in str(r)


def test_plain_float_and_float_scalars_are_parameters():
    assert check_gradient(lambda x: x**3, lambda x: 3 * x**2, 1.5).ok
    assert not check_gradient(lambda x: x**3, lambda x: 2 * x**2, 1.5).ok
    r = check_gradient(lambda p: p[0] * np.exp(p[1]), lambda p: (np.exp(p[1]), p[0] * np.exp(p[1])), (2.0, np.float64(0.3)))
    assert r.ok and r.n_checked == 2


@pytest.mark.parametrize(
    ("g", "error", "pattern"),
    [
        (lambda p: {"layer1": grad(p)["layer1"], "layers": grad(p)["layers"]}, ValueError, "keys"),
        (lambda p: {**grad(p), "layers": grad(p)["layers"][0]}, TypeError, "structure of params"),
        (lambda p: {**grad(p), "scale": np.ones(2)}, ValueError, r"scale has shape \(2,\)"),
    ],
)
def test_gradient_of_another_structure_is_a_clear_error(g, error, pattern):
    with pytest.raises(error, match=pattern):
        check_gradient(loss, g, net_params())


@pytest.mark.parametrize(
    ("params", "error", "pattern"),
    [
        ({"a": {}}, ValueError, "a is an empty dict"),
        ({"a": [np.ones(2), "x"]}, TypeError, r"a\[1\] must be a float array"),
        ({"a": np.ones(2), "n": 3}, TypeError, r"n is 3 \(an int\)"),
        ({"a": np.array([1.0, np.inf])}, ValueError, r"a\[1\] is inf"),
    ],
)
def test_bad_leaves_are_named(params, error, pattern):
    with pytest.raises(error, match=pattern):
        check_gradient(lambda p: 0.0, lambda p: p, params)


def test_array_api_arrays_keep_their_library_and_dtype():
    xp = pytest.importorskip("array_api_strict")
    W = xp.asarray(np.linspace(-1, 1, 6).reshape(2, 3), dtype=xp.float32)
    seen = []

    def f(p):
        seen.append((type(p["W"]).__module__.split(".")[0], p["W"].dtype))
        return xp.sum(xp.sin(p["W"])) + p["c"] ** 2

    r = check_gradient(f, lambda p: {"W": xp.cos(p["W"]), "c": 2 * p["c"]}, {"W": W, "c": 0.5})
    assert r.ok, str(r)
    assert set(seen) == {("array_api_strict", xp.float32)}
    bad = check_gradient(f, lambda p: {"W": xp.cos(p["W"]), "c": p["c"]}, {"W": W, "c": 0.5})
    assert not bad.ok and bad.worst.label == "c"
