"""A gallery of realistic layers with hand-written backward passes, and their mutants.

Five networks (a softmax classifier, an MLP, a batchnorm layer, an LSTM step, a conv layer), each a black-box loss
f(params) and its correct gradient, written here independently of the checker, plus
mutants of the backward pass: one entry 1% off, a missing term, a flipped sign, a transposed
(or flipped) array, a missing factor. In float64 and float32 every correct gradient must
pass and every mutant must fail; a 1% error in a single entry is planted in the largest
entry of each array (where the measured noise allows catching it, which the result states).
"""

import numpy as np
import pytest

from verify import check_gradient

# ----------------------------------------------------------------------------- MLP


def mlp(dtype, seed=0, N=50, d=5, hdim=7, c=4):
    """x -> tanh(W1 x + b1) -> W2 . + b2 -> softmax cross-entropy, mean over N."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, d)).astype(dtype)
    y = rng.integers(0, c, N)
    params = {
        "W1": (0.5 * rng.standard_normal((hdim, d))).astype(dtype),
        "b1": (0.1 * rng.standard_normal(hdim)).astype(dtype),
        "W2": (0.5 * rng.standard_normal((c, hdim))).astype(dtype),
        "b2": (0.1 * rng.standard_normal(c)).astype(dtype),
    }

    def forward(p):
        H = np.tanh(X @ p["W1"].T + p["b1"])
        V = H @ p["W2"].T + p["b2"]
        V = V - V.max(axis=1, keepdims=True)
        logp = V - np.log(np.exp(V).sum(axis=1, keepdims=True))
        return H, logp

    def loss(p):
        return -np.mean(forward(p)[1][np.arange(N), y])

    def grad(p, mutant=None):
        H, logp = forward(p)
        dV = np.exp(logp)
        dV[np.arange(N), y] -= 1
        dV /= N if mutant != "missing_factor" else 1
        dW2, db2 = dV.T @ H, dV.sum(axis=0)
        dH = dV @ p["W2"]
        dA = dH * (1 - H**2) if mutant != "missing_term" else dH
        dW1 = dA.T @ X if mutant != "transposed" else (X.T @ dA).reshape(p["W1"].shape)
        return {"W1": dW1, "b1": dA.sum(axis=0), "W2": dW2 if mutant != "sign" else -dW2, "b2": db2}

    return loss, grad, params


# ----------------------------------------------------------------------------- softmax classifier


def softmax(dtype, seed=0, N=100, D=20, C=5, reg=0.1):
    """Linear softmax classifier on a batch of 100 (cs231n style): mean loss + reg ||W||^2."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dtype)
    y = rng.integers(0, C, N)
    params = {"W": (0.01 * rng.standard_normal((D, C))).astype(dtype), "b": np.zeros(C, dtype)}

    def probs(p):
        V = X @ p["W"] + p["b"]
        V = V - V.max(axis=1, keepdims=True)
        E = np.exp(V)
        return E / E.sum(axis=1, keepdims=True)

    def loss(p):
        return -np.mean(np.log(probs(p)[np.arange(N), y])) + reg * np.sum(p["W"] * p["W"])

    def grad(p, mutant=None):
        dV = probs(p)
        dV[np.arange(N), y] -= 1
        dV /= N
        dW = X.T @ dV if mutant != "transposed" else (dV.T @ X).reshape(p["W"].shape)
        dW = dW + (2 * reg * p["W"] if mutant != "missing_term" else 0)
        if mutant == "missing_factor":
            dW = dW - reg * p["W"]  # reg W instead of 2 reg W
        return {"W": dW if mutant != "sign" else -dW, "b": dV.sum(axis=0)}

    return loss, grad, params


# ----------------------------------------------------------------------------- batchnorm


def batchnorm(dtype, seed=0, N=8, D=4):
    """y = gamma (x - mean) / sqrt(var + eps) + beta over the batch; loss = sum G tanh(y)."""
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((N, D)).astype(dtype)
    params = {
        "x": (rng.standard_normal((N, D)) * 2 + 1).astype(dtype),
        "gamma": (1 + 0.3 * rng.standard_normal(D)).astype(dtype),
        "beta": (0.2 * rng.standard_normal(D)).astype(dtype),
    }
    eps = 1e-5

    def forward(p):
        mu = p["x"].mean(axis=0)
        var = ((p["x"] - mu) ** 2).mean(axis=0)
        inv = 1 / np.sqrt(var + eps)
        xhat = (p["x"] - mu) * inv
        return xhat, inv, np.tanh(p["gamma"] * xhat + p["beta"])

    def loss(p):
        return np.sum(G * forward(p)[2])

    def grad(p, mutant=None):
        xhat, inv, t = forward(p)
        dy = G * (1 - t**2)
        dgamma, dbeta = (dy * xhat).sum(axis=0), dy.sum(axis=0)
        dxhat = dy * p["gamma"]
        # dx = inv / N (N dxhat - sum dxhat - xhat sum(dxhat xhat))
        mean_term = dxhat.sum(axis=0) if mutant != "missing_term" else 0.0
        dx = inv / N * (N * dxhat - mean_term - xhat * (dxhat * xhat).sum(axis=0))
        if mutant == "missing_factor":
            dx = dx * N
        if mutant == "transposed":
            dgamma = dgamma[::-1].copy()
        return {"x": dx, "gamma": dgamma if mutant != "sign" else -dgamma, "beta": dbeta}

    return loss, grad, params


# ----------------------------------------------------------------------------- LSTM step


def lstm(dtype, seed=0, N=3, D=4, H=3):
    """One LSTM step (gates i, f, o, g from x Wx + h Wh + b); loss = sum Gh h' + sum Gc c'."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)).astype(dtype)
    Gh, Gc = rng.standard_normal((N, H)).astype(dtype), rng.standard_normal((N, H)).astype(dtype)
    params = {
        "Wx": (0.4 * rng.standard_normal((D, 4 * H))).astype(dtype),
        "Wh": (0.4 * rng.standard_normal((H, 4 * H))).astype(dtype),
        "b": (0.1 * rng.standard_normal(4 * H)).astype(dtype),
        "h_prev": rng.standard_normal((N, H)).astype(dtype),
        "c_prev": rng.standard_normal((N, H)).astype(dtype),
    }

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def forward(p):
        a = x @ p["Wx"] + p["h_prev"] @ p["Wh"] + p["b"]
        i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), sigmoid(a[:, 2 * H : 3 * H])
        g = np.tanh(a[:, 3 * H :])
        c = f * p["c_prev"] + i * g
        return i, f, o, g, c, o * np.tanh(c)

    def loss(p):
        *_, c, h = forward(p)
        return np.sum(Gh * h) + np.sum(Gc * c)

    def grad(p, mutant=None):
        i, f, o, g, c, h = forward(p)
        tc = np.tanh(c)
        do = Gh * tc
        dc = Gc + Gh * o * (1 - tc**2) if mutant != "missing_term" else Gc + Gh * o
        di, dg, df = dc * g, dc * i, dc * p["c_prev"]
        da = np.hstack([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g**2)])
        if mutant == "missing_factor":
            da[:, :H] = di * i  # forgot the (1 - i) of sigmoid'
        dWh = p["h_prev"].T @ da if mutant != "transposed" else (da.T @ p["h_prev"]).reshape(p["Wh"].shape)
        return {
            "Wx": x.T @ da,
            "Wh": dWh,
            "b": da.sum(axis=0) if mutant != "sign" else -da.sum(axis=0),
            "h_prev": da @ p["Wh"].T,
            "c_prev": dc * f,
        }

    return loss, grad, params


# ----------------------------------------------------------------------------- conv layer


def conv(dtype, seed=0, N=2, C=2, S=5, F=3, K=3):
    """Convolution (cross-correlation), stride 1, zero padding 1, then tanh; loss = sum G tanh(out)."""
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((N, F, S, S)).astype(dtype)
    params = {
        "x": rng.standard_normal((N, C, S, S)).astype(dtype),
        "w": (0.3 * rng.standard_normal((F, C, K, K))).astype(dtype),
        "b": (0.1 * rng.standard_normal(F)).astype(dtype),
    }

    def windows(x):
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        # (N, C, S, S, K, K): window at output (i, j)
        return np.lib.stride_tricks.sliding_window_view(xp, (K, K), axis=(2, 3))

    def forward(p):
        out = np.einsum("ncijkl,fckl->nfij", windows(p["x"]), p["w"]) + p["b"][None, :, None, None]
        return np.tanh(out)

    def loss(p):
        return np.sum(G * forward(p))

    def grad(p, mutant=None):
        t = forward(p)
        dout = G * (1 - t**2) if mutant != "missing_term" else G
        dw = np.einsum("ncijkl,nfij->fckl", windows(p["x"]), dout)
        if mutant == "transposed":
            dw = dw[:, :, ::-1, ::-1].copy()  # convolution instead of correlation
        db = dout.sum(axis=(0, 2, 3))
        # dx: full correlation of dout with the flipped kernel
        dpad = np.pad(dout, ((0, 0), (0, 0), (1, 1), (1, 1)))
        dwin = np.lib.stride_tricks.sliding_window_view(dpad, (K, K), axis=(2, 3))
        dx = np.einsum("nfijkl,fckl->ncij", dwin, p["w"][:, :, ::-1, ::-1])
        if mutant == "missing_factor":
            db = db / N
        return {"x": dx, "w": dw if mutant != "sign" else -dw, "b": db}

    return loss, grad, params


NETWORKS = {"softmax": softmax, "mlp": mlp, "batchnorm": batchnorm, "lstm": lstm, "conv": conv}
MUTANTS = ("missing_term", "sign", "transposed", "missing_factor")
DTYPES = {"float64": np.float64, "float32": np.float32}


def one_entry_off(grad, name, params):
    """grad with the largest entry of array `name` 1% off."""

    def g(p):
        out = {k: np.array(v, copy=True) for k, v in grad(p).items()}
        k = np.unravel_index(np.argmax(np.abs(out[name])), out[name].shape)
        out[name][k] *= 1.01
        return out

    return g


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("net", list(NETWORKS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_correct_gradients_pass(net, dtype, seed):
    loss, grad, params = NETWORKS[net](DTYPES[dtype], seed)
    r = check_gradient(loss, grad, params)
    assert r.ok and r.status == "passed", str(r)
    assert r.n_failed == 0 and r.n_inconclusive == 0


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("net", list(NETWORKS))
@pytest.mark.parametrize("mutant", MUTANTS)
def test_every_mutant_fails(net, dtype, mutant):
    loss, grad, params = NETWORKS[net](DTYPES[dtype])
    r = check_gradient(loss, lambda p: grad(p, mutant), params)
    assert not r.ok and r.status == "failed", f"{net}/{mutant} passed: {r}"


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("net", list(NETWORKS))
def test_one_entry_one_percent_off_is_caught_in_every_array(net, dtype):
    loss, grad, params = NETWORKS[net](DTYPES[dtype])
    for name in params:
        r = check_gradient(loss, one_entry_off(grad, name, params), params)
        assert not r.ok and r.status == "failed", f"{net}: 1% in {name} passed: {r}"
        assert r.n_failed == 1 and r.worst.name == name, str(r)
        k = np.unravel_index(np.argmax(np.abs(grad(params)[name])), params[name].shape)
        assert r.worst.index == tuple(int(i) for i in k)


@pytest.mark.parametrize("net", list(NETWORKS))
def test_float32_stays_float32_and_says_where_a_1pct_error_is_invisible(net):
    loss, grad, params = NETWORKS[net](np.float32)
    seen = []

    def f(p):
        seen.append({k: v.dtype for k, v in p.items()})
        return loss(p)

    r = check_gradient(f, grad, params, promote=False)
    assert r.ok and all(d == np.float32 for s in seen for d in s.values())
    assert r.n_reference == 0 and r.reference == ""
    # tiny entries (far below the largest) may be too small for float32's noise: counted
    small = min(np.abs(v).min() for v in grad(params).values())
    if r.n_insensitive:
        assert "too small for the measured noise of f" in str(r)
        assert small < 0.05 * max(np.abs(v).max() for v in grad(params).values())


@pytest.mark.parametrize("net", list(NETWORKS))
def test_float32_check_calls_f_in_float32_and_its_float64_reference_in_float64(net):
    loss, grad, params = NETWORKS[net](np.float32)
    seen = []

    def f(p):
        seen.append({v.dtype for v in p.values()})
        return loss(p)

    r = check_gradient(f, grad, params)
    assert r.ok, str(r)
    # every call is all float32 (the check) or all float64 (the reference); float32 first
    kinds = [s.pop() for s in seen if len(s) == 1]
    assert len(kinds) == len(seen) and kinds[0] == np.float32
    n64 = sum(k == np.float64 for k in kinds)
    assert (n64 > 0) == (r.n_reference > 0)
    if r.n_reference:
        assert "float64 reference" in str(r) and r.n_insensitive < r.n_checked


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_rnn_weights_of_characters_that_never_occur_are_independent_not_unresolved(dtype):
    # min-char-rnn: h_t = tanh(Wxh x_t + Whh h_{t-1}), x_t one-hot over a vocabulary of 6 of
    # which characters 4 and 5 never occur: the Wxh columns 4, 5 do not enter the loss at all
    dt = DTYPES[dtype]
    rng = np.random.default_rng(0)
    seq = [0, 2, 1, 3, 0, 2]
    Gs = rng.standard_normal((len(seq), 5)).astype(dt)
    params = {"Wxh": (0.3 * rng.standard_normal((5, 6))).astype(dt), "Whh": (0.3 * rng.standard_normal((5, 5))).astype(dt)}

    def run(p):
        h, hs = np.zeros(5, dt), []
        for c in seq:
            h = np.tanh(p["Wxh"][:, c] + p["Whh"] @ h)
            hs.append(h)
        return hs

    def loss(p):
        return sum(float(np.dot(G, h)) for G, h in zip(Gs, run(p)))

    def grad(p):
        hs = run(p)
        dWxh, dWhh, dh_next = np.zeros_like(p["Wxh"]), np.zeros_like(p["Whh"]), np.zeros(5, dt)
        for t in reversed(range(len(seq))):
            da = (Gs[t] + dh_next) * (1 - hs[t] ** 2)
            dWxh[:, seq[t]] += da
            dWhh += np.outer(da, hs[t - 1] if t else np.zeros(5, dt))
            dh_next = p["Whh"].T @ da
        return {"Wxh": dWxh, "Whh": dWhh}

    r = check_gradient(loss, grad, params)
    assert r.ok and r.n_independent == 10 and r.n_unresolved == 0, str(r)
    assert "10 of 55 entries: f does not depend on them" in str(r) and "Wxh[0, 4]" in str(r)
    assert "below the resolution" not in str(r)
