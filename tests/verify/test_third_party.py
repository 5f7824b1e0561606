"""Mutation tests of `check_gradient` on gradient code written by others.

Third-party gradients are used as installed (imported, never copied): scipy's ``rosen`` /
``rosen_der``, scikit-learn's binary and multinomial logistic losses (``LinearModelLoss``),
its Huber loss (``_huber_loss_and_gradient``) and the Gaussian-process log-marginal
likelihood (``eval_gradient=True``). Next to them, re-implementations in the style of the
courses that made them classic: cs231n's naive softmax / SVM losses (loops), the two-layer
net, batchnorm, naive convolution (loops) and LSTM step backward passes, Karpathy's
min-char-rnn ``lossFun``, Nielsen's ``network.py`` backprop (a list of layers, L2), and the
Lennard-Jones energy of scipy's optimisation benchmarks.

Mutants: one entry 1% off (the largest entry of every array, and a random one), the sign
of one term flipped, a term dropped, a wrong factor (0.5 / 2), a transposed array, an
off-by-one index, a missing regulariser. Rules: correct code passes in float64 and float32
(several seeds); every float64 mutant, every float32 code mutant and every 1% single-entry
error is flagged as "failed" (float32 with its float64 reference, `verify.reference`); the
float32 check alone (``promote=False``) flags a 1% error unless its report says that entry
is below what the measured float32 noise resolves (``result.detectable`` and the message).
"""

import numpy as np
import pytest

from verify import check_gradient

scipy_optimize = pytest.importorskip("scipy.optimize")
sk_loss = pytest.importorskip("sklearn._loss.loss")
sk_linear_loss = pytest.importorskip("sklearn.linear_model._linear_loss")
sk_huber = pytest.importorskip("sklearn.linear_model._huber")
sk_gp = pytest.importorskip("sklearn.gaussian_process")

DTYPES = {"float64": np.float64, "float32": np.float32}
CODE_MUTANTS = ("sign_term", "dropped_term", "factor_half", "factor_two", "transposed", "off_by_one", "missing_reg")


class Case:
    """A loss f(p), its gradient grad(p, mutant), params p, and the mutants that apply."""

    def __init__(self, loss, grad, params, mutants):
        self.loss, self.grad, self.params, self.mutants = loss, grad, params, tuple(mutants)


# ============================================================================ third party (imported)


def rosen(dt, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, 6).astype(dt)
    r, rd = scipy_optimize.rosen, scipy_optimize.rosen_der

    def grad(x, m=None):
        g = np.array(rd(x), dtype=np.float64)
        t = 2.0 * (1.0 - x[:-1].astype(np.float64))  # d/dx_i of (1 - x_i)^2 is -t
        return {
            None: g,
            "sign_term": g + np.r_[2 * t, 0.0],
            "dropped_term": g + np.r_[t, 0.0],
            "factor_half": 0.5 * g,
            "factor_two": 2.0 * g,
            "off_by_one": np.roll(g, 1),
        }[m]

    return Case(r, grad, x, ("sign_term", "dropped_term", "factor_half", "factor_two", "off_by_one"))


def logistic(dt, seed, N=20, D=4, l2=0.3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dt)
    y = (rng.uniform(size=N) < 0.5).astype(dt)
    coef = (0.5 * rng.standard_normal(D + 1)).astype(dt)
    lml = sk_linear_loss.LinearModelLoss(sk_loss.HalfBinomialLoss(), fit_intercept=True)
    Xa = np.hstack([X, np.ones((N, 1))]).astype(np.float64)

    def loss(w):
        return lml.loss(w, X, y, l2_reg_strength=l2)

    def grad(w, m=None):
        g = np.array(lml.gradient(w, X, y, l2_reg_strength=0.0 if m == "missing_reg" else l2), dtype=np.float64)
        reg = np.r_[l2 * w[:-1].astype(np.float64), 0.0]
        return {
            None: g,
            "missing_reg": g,
            "sign_term": g - 2 * reg,
            "dropped_term": g + y.astype(np.float64) @ Xa / N,  # (p - y) written as p
            "factor_half": g - 0.5 * reg,
            "factor_two": 2.0 * g,
            "off_by_one": np.roll(g, 1),
        }[m]

    return Case(loss, grad, coef, ("missing_reg", "sign_term", "dropped_term", "factor_half", "factor_two", "off_by_one"))


def multinomial(dt, seed, N=20, D=3, C=3, l2=0.3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dt)
    y = rng.integers(0, C, N).astype(dt)
    coef = (0.5 * rng.standard_normal((C, D + 1))).astype(dt)
    lml = sk_linear_loss.LinearModelLoss(sk_loss.HalfMultinomialLoss(n_classes=C), fit_intercept=True)
    Y = np.eye(C)[y.astype(int)]
    Xa = np.hstack([X, np.ones((N, 1))]).astype(np.float64)

    def loss(w):
        return lml.loss(w, X, y, l2_reg_strength=l2)

    def grad(w, m=None):
        g = np.array(lml.gradient(w, X, y, l2_reg_strength=0.0 if m == "missing_reg" else l2), dtype=np.float64)
        reg = np.hstack([l2 * w[:, :-1].astype(np.float64), np.zeros((C, 1))])
        return {
            None: g,
            "missing_reg": g,
            "sign_term": g - 2 * reg,
            "dropped_term": g + Y.T @ Xa / N,
            "factor_half": g - 0.5 * reg,
            "factor_two": 2.0 * g,
            "transposed": g.T.reshape(g.shape),
            "off_by_one": np.roll(g, 1, axis=0),
        }[m]

    return Case(loss, grad, coef, ("missing_reg", "sign_term", "dropped_term", "factor_half", "factor_two", "transposed", "off_by_one"))


def huber(dt, seed, N=20, D=3, epsilon=1.35, alpha=0.3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dt)
    y = (X @ rng.standard_normal(D) + 0.5 * rng.standard_normal(N)).astype(dt)
    y[:3] += 6  # outliers
    sw = np.ones(N, dtype=dt)
    w = np.r_[0.5 * rng.standard_normal(D), 0.1, 1.2].astype(dt)  # coef, intercept, sigma
    hl = sk_huber._huber_loss_and_gradient

    def loss(w):
        return hl(w, X, y, epsilon, alpha, sw)[0]

    def grad(w, m=None):
        g = np.array(hl(w, X, y, epsilon, 0.0 if m == "missing_reg" else alpha, sw)[1], dtype=np.float64)
        reg = np.r_[2 * alpha * w[:D].astype(np.float64), 0.0, 0.0]
        return {
            None: g,
            "missing_reg": g,
            "sign_term": g - 2 * reg,
            "factor_half": g - 0.5 * reg,
            "factor_two": 2.0 * g,
            "dropped_term": g - np.r_[np.zeros(D + 1), N],  # d(n sigma)/d sigma forgotten
            "off_by_one": np.roll(g, 1),
        }[m]

    return Case(loss, grad, w, ("missing_reg", "sign_term", "factor_half", "factor_two", "dropped_term", "off_by_one"))


def gaussian_process(dt, seed, N=12):
    K = sk_gp.kernels
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (N, 2))
    y = np.sin(X).sum(axis=1) + 0.1 * rng.standard_normal(N)
    kernel = K.ConstantKernel(1.0) * K.RBF([1.0, 1.5]) + K.WhiteKernel(0.1)
    gpr = sk_gp.GaussianProcessRegressor(kernel, optimizer=None).fit(X, y)
    theta = gpr.kernel_.theta + 0.2 * rng.standard_normal(gpr.kernel_.theta.size)

    def loss(th):
        return gpr.log_marginal_likelihood(th)

    def terms(th):
        # the LML gradient 1/2 a^T dK a - 1/2 tr(K^-1 dK) from the kernel's own dK (a = K^-1 y)
        Kx, dK = gpr.kernel_.clone_with_theta(th)(X, eval_gradient=True)
        Kx[np.diag_indices_from(Kx)] += gpr.alpha
        a = np.linalg.solve(Kx, y)
        return 0.5 * np.einsum("i,j,ijk->k", a, a, dK), 0.5 * np.einsum("ij,jik->k", np.linalg.inv(Kx), dK)

    def grad(th, m=None):
        g = gpr.log_marginal_likelihood(th, eval_gradient=True)[1]
        if m is None:
            return g
        t1, t2 = terms(th)
        return {"sign_term": t1 + t2, "dropped_term": t1, "factor_half": 0.5 * g, "factor_two": 2 * g, "off_by_one": np.roll(g, 1)}[m]

    return Case(loss, grad, theta, ("sign_term", "dropped_term", "factor_half", "factor_two", "off_by_one"))


# ============================================================================ re-implemented (course style)


def lennard_jones(dt, seed, natoms=4):
    """scipy benchmarks' LJ: E = sum_{i<j} 4 (r^-12 - r^-6), gradient by pair loops."""
    rng = np.random.default_rng(seed)
    # atoms near a slightly perturbed tetrahedron (r ~ 1.1: no overlapping atoms)
    base = np.array([[0, 0, 0], [1.1, 0, 0], [0.55, 0.95, 0], [0.55, 0.32, 0.9]])
    coords = (base + 0.05 * rng.standard_normal(base.shape)).reshape(-1).astype(dt)

    def energy(x):
        c = x.reshape(natoms, 3)
        e = 0.0
        for i in range(natoms):
            for j in range(i + 1, natoms):
                r = np.linalg.norm(c[j] - c[i])
                e += 4.0 * (r**-12 - r**-6)
        return e

    def grad(x, m=None):
        c = x.reshape(natoms, 3).astype(np.float64)
        g = np.zeros((natoms, 3))
        for i in range(natoms):
            for j in range(i + 1, natoms):
                dr = c[j] - c[i]
                r = np.linalg.norm(dr)
                rep = -48.0 * r**-13 if m != "dropped_term" else 0.0
                att = 24.0 * r**-7 if m != "sign_term" else -24.0 * r**-7
                dv = rep + att
                if m == "factor_half":
                    dv *= 0.5
                g[i] += -dv * dr / r
                g[j if m != "off_by_one" else (j + 1) % natoms] += dv * dr / r
        if m == "factor_two":
            g *= 2
        return (g.T.reshape(g.shape) if m == "transposed" else g).reshape(-1)

    return Case(energy, grad, coords, ("sign_term", "dropped_term", "factor_half", "factor_two", "off_by_one", "transposed"))


def softmax_naive(dt, seed, N=6, D=4, C=3, reg=0.1):
    """cs231n softmax_loss_naive: loops over samples and classes."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dt)
    y = rng.integers(0, C, N)

    def run(W, m=None):
        loss, dW = 0.0, np.zeros_like(W)
        for i in range(N):
            scores = X[i].dot(W)
            scores -= np.max(scores)
            p = np.exp(scores) / np.sum(np.exp(scores))
            loss += -np.log(p[y[i]])
            xi = X[i - 1] if m == "off_by_one" else X[i]
            for j in range(C):
                dW[:, j] += p[j] * xi
            if m == "sign_term":
                dW[:, y[i]] += X[i]
            elif m != "dropped_term":
                dW[:, y[i]] -= X[i]
        loss /= N
        dW /= N
        loss += reg * np.sum(W * W)
        dW += {"missing_reg": 0, "factor_half": 1, "factor_two": 4}.get(m, 2) * reg * W
        return loss, (dW.T.reshape(W.shape) if m == "transposed" else dW)

    W = (0.5 * rng.standard_normal((D, C))).astype(dt)
    return Case(lambda W: run(W)[0], lambda W, m=None: run(W, m)[1], W, CODE_MUTANTS)


def svm_naive(dt, seed, N=6, D=4, C=3, reg=0.1):
    """cs231n svm_loss_naive: multiclass hinge loss, loops."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dt)
    y = rng.integers(0, C, N)

    def run(W, m=None):
        loss, dW = 0.0, np.zeros_like(W)
        for i in range(N):
            scores = X[i].dot(W)
            correct = scores[y[i]]
            for j in range(C):
                if j == y[i]:
                    continue
                margin = scores[j] - correct + 1
                if margin > 0:
                    loss += margin
                    dW[:, j] += X[i - 1] if m == "off_by_one" else X[i]
                    if m == "sign_term":
                        dW[:, y[i]] += X[i]
                    elif m != "dropped_term":
                        dW[:, y[i]] -= X[i]
        loss /= N
        dW /= N
        loss += reg * np.sum(W * W)
        dW += {"missing_reg": 0, "factor_half": 1, "factor_two": 4}.get(m, 2) * reg * W
        return loss, (dW.T.reshape(W.shape) if m == "transposed" else dW)

    W = (0.5 * rng.standard_normal((D, C))).astype(dt)
    return Case(lambda W: run(W)[0], lambda W, m=None: run(W, m)[1], W, CODE_MUTANTS)


def two_layer_net(dt, seed, N=5, D=4, H=6, C=3, reg=0.05):
    """cs231n TwoLayerNet.loss: affine - ReLU - affine - softmax, L2 on W1, W2."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D)).astype(dt)
    y = rng.integers(0, C, N)
    p0 = {
        "W1": (0.5 * rng.standard_normal((D, H))).astype(dt), "b1": (0.1 * rng.standard_normal(H)).astype(dt),
        "W2": (0.5 * rng.standard_normal((H, C))).astype(dt), "b2": (0.1 * rng.standard_normal(C)).astype(dt),
    }

    def run(p, m=None):
        W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
        h1 = np.maximum(0, X.dot(W1) + b1)
        scores = h1.dot(W2) + b2
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
        loss = -np.mean(np.log(probs[np.arange(N), y])) + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dscores = probs.copy()
        dscores[np.arange(N), y - 1 if m == "off_by_one" else y] -= 1
        dscores /= N
        dW2 = h1.T.dot(dscores) + {"missing_reg": 0, "factor_half": 1}.get(m, 2) * reg * W2
        db2 = dscores.sum(axis=0) if m != "sign_term" else -dscores.sum(axis=0)
        dh1 = dscores.dot(W2.T)
        if m != "dropped_term":
            dh1[h1 <= 0] = 0
        dW1 = X.T.dot(dh1) + (4 if m == "factor_two" else 2) * reg * W1
        if m == "transposed":
            dW1 = dW1.T.reshape(W1.shape)
        return loss, {"W1": dW1, "b1": dh1.sum(axis=0), "W2": dW2, "b2": db2}

    return Case(lambda p: run(p)[0], lambda p, m=None: run(p, m)[1], p0, CODE_MUTANTS)


def batchnorm(dt, seed, N=6, D=3):
    """cs231n batchnorm_forward / batchnorm_backward (staged graph); loss = sum(dout * out)."""
    rng = np.random.default_rng(seed)
    dout = rng.standard_normal((N, D)).astype(dt)
    p0 = {
        "x": (2 * rng.standard_normal((N, D)) + 1).astype(dt),
        "gamma": (1 + 0.3 * rng.standard_normal(D)).astype(dt), "beta": (0.2 * rng.standard_normal(D)).astype(dt),
    }
    eps = 1e-5

    def forward(p):
        x = p["x"]
        mu = x.mean(axis=0)
        xc = x - mu
        var = (xc**2).mean(axis=0)
        std = np.sqrt(var + eps)
        xhat = xc / std
        return p["gamma"] * xhat + p["beta"], (xc, std, xhat)

    def grad(p, m=None):
        xc, std, xhat = forward(p)[1]
        dbeta = dout.sum(axis=0)
        dgamma = (dout * xhat).sum(axis=0)
        dxhat = dout * p["gamma"]
        dxc = dxhat / std
        dstd = -np.sum(dxhat * xc, axis=0) / (std**2)
        dvar = (0.5 if m != "sign_term" else -0.5) * dstd / std
        if m == "factor_two":
            dvar = 2 * dvar
        dxc = dxc + (1.0 if m == "factor_half" else 2.0) / N * xc * dvar
        dmu = np.sum(dxc, axis=0)
        dx = dxc - dmu / (N - 1 if m == "off_by_one" else N) if m != "dropped_term" else dxc
        if m == "transposed":
            dx = dx.T.reshape(dx.shape)
        return {"x": dx, "gamma": dgamma, "beta": dbeta}

    mutants = ("sign_term", "dropped_term", "factor_half", "factor_two", "transposed", "off_by_one")
    return Case(lambda p: np.sum(dout * forward(p)[0]), grad, p0, mutants)


def conv_naive(dt, seed, N=2, C=2, S=4, F=2, K=3, pad=1):
    """cs231n conv_forward_naive / conv_backward_naive (loops, stride 1); loss = sum(dout * out)."""
    rng = np.random.default_rng(seed)
    dout = rng.standard_normal((N, F, S, S)).astype(dt)
    p0 = {
        "x": rng.standard_normal((N, C, S, S)).astype(dt),
        "w": (0.5 * rng.standard_normal((F, C, K, K))).astype(dt), "b": (0.1 * rng.standard_normal(F)).astype(dt),
    }

    def forward(p):
        xp = np.pad(p["x"], ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        out = np.zeros((N, F, S, S), dtype=p["x"].dtype)
        for n in range(N):
            for f in range(F):
                for i in range(S):
                    for j in range(S):
                        out[n, f, i, j] = np.sum(xp[n, :, i : i + K, j : j + K] * p["w"][f]) + p["b"][f]
        return out

    def grad(p, m=None):
        x, w = p["x"].astype(np.float64), p["w"].astype(np.float64)
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        dxp, dw = np.zeros_like(xp), np.zeros_like(w)
        db = dout.sum(axis=(0, 2, 3)).astype(np.float64)
        wk = w[:, :, ::-1, ::-1] if m == "transposed" else w  # convolution instead of correlation
        for n in range(N):
            for f in range(F):
                for i in range(S):
                    for j in range(S):
                        if m == "dropped_term":
                            dw[f] = xp[n, :, i : i + K, j : j + K] * dout[n, f, i, j]  # = instead of +=
                        else:
                            dw[f] += xp[n, :, i : i + K, j : j + K] * dout[n, f, i, j]
                        dxp[n, :, i : i + K, j : j + K] += wk[f] * dout[n, f, i, j]
        lo = pad - 1 if m == "off_by_one" else pad
        dx = dxp[:, :, lo : lo + S, lo : lo + S]
        dw = {"factor_half": 0.5, "factor_two": 2.0}.get(m, 1.0) * dw
        return {"x": dx, "w": dw, "b": -db if m == "sign_term" else db}

    mutants = ("sign_term", "dropped_term", "factor_half", "factor_two", "transposed", "off_by_one")
    return Case(lambda p: np.sum(dout * forward(p)), grad, p0, mutants)


def lstm_step(dt, seed, N=2, D=3, H=2):
    """cs231n lstm_step_forward / lstm_step_backward; loss = sum(dnext_h next_h) + sum(dnext_c next_c)."""
    rng = np.random.default_rng(seed)
    dnext_h, dnext_c = rng.standard_normal((N, H)).astype(dt), rng.standard_normal((N, H)).astype(dt)
    p0 = {
        "x": rng.standard_normal((N, D)).astype(dt), "prev_h": rng.standard_normal((N, H)).astype(dt),
        "prev_c": rng.standard_normal((N, H)).astype(dt), "Wx": (0.5 * rng.standard_normal((D, 4 * H))).astype(dt),
        "Wh": (0.5 * rng.standard_normal((H, 4 * H))).astype(dt), "b": (0.1 * rng.standard_normal(4 * H)).astype(dt),
    }

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    def forward(p):
        a = p["x"].dot(p["Wx"]) + p["prev_h"].dot(p["Wh"]) + p["b"]
        i, f, o, g = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), sigmoid(a[:, 2 * H : 3 * H]), np.tanh(a[:, 3 * H :])
        next_c = f * p["prev_c"] + i * g
        return i, f, o, g, next_c, o * np.tanh(next_c)

    def loss(p):
        *_, next_c, next_h = forward(p)
        return np.sum(dnext_h * next_h) + np.sum(dnext_c * next_c)

    def grad(p, m=None):
        i, f, o, g, next_c, next_h = forward(p)
        tc = np.tanh(next_c)
        dc = dnext_c + (dnext_h * o * (1 - tc**2) if m != "dropped_term" else 0)
        di, df, do, dg = dc * g, dc * p["prev_c"], dnext_h * tc, dc * i
        if m == "factor_half":
            do = 0.5 * do
        gates = [di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g**2) if m != "sign_term" else dg * (g**2 - 1)]
        if m == "off_by_one":
            gates = gates[1:] + gates[:1]
        da = np.hstack(gates)
        dWh = p["prev_h"].T.dot(da)
        return {
            "x": da.dot(p["Wx"].T), "prev_h": da.dot(p["Wh"].T), "prev_c": dc * f * (2 if m == "factor_two" else 1),
            "Wx": p["x"].T.dot(da), "Wh": dWh.T.reshape(dWh.shape) if m == "transposed" else dWh, "b": da.sum(axis=0),
        }

    mutants = ("sign_term", "dropped_term", "factor_half", "factor_two", "transposed", "off_by_one")
    return Case(loss, grad, p0, mutants)


def min_char_rnn(dt, seed, hidden=4, vocab=6, T=5):
    """Karpathy's min-char-rnn lossFun (column vectors, dicts over t, gradient clipping at 5)."""
    rng = np.random.default_rng(seed)
    inputs, targets = [0, 2, 1, 3, 2], [2, 1, 3, 2, 0]  # characters 4 and 5 never occur
    p0 = {
        "Wxh": (0.3 * rng.standard_normal((hidden, vocab))).astype(dt),
        "Whh": (0.3 * rng.standard_normal((hidden, hidden))).astype(dt),
        "Why": (0.3 * rng.standard_normal((vocab, hidden))).astype(dt),
        "bh": np.zeros((hidden, 1), dt) + dt(0.05), "by": np.zeros((vocab, 1), dt) - dt(0.05),
    }
    hprev = (0.5 * rng.standard_normal((hidden, 1))).astype(dt)

    def lossFun(p, m=None):
        Wxh, Whh, Why, bh, by = p["Wxh"], p["Whh"], p["Why"], p["bh"], p["by"]
        xs, hs, ys, ps = {}, {}, {}, {}
        hs[-1] = np.copy(hprev)
        loss = 0
        for t in range(len(inputs)):
            xs[t] = np.zeros((vocab, 1), dtype=dt)
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
            ys[t] = np.dot(Why, hs[t]) + by
            ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
            loss += -np.log(ps[t][targets[t], 0])
        dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
        dbh, dby = np.zeros_like(bh), np.zeros_like(by)
        dhnext = np.zeros_like(hs[0])
        for t in reversed(range(len(inputs))):
            dy = np.copy(ps[t])
            dy[targets[t]] += 1 if m == "sign_term" else -1
            dWhy += np.dot(dy, hs[t].T)
            dby += dy
            dh = np.dot(Why.T, dy) + (dhnext if m != "dropped_term" else 0)
            dhraw = (1 - hs[t] * hs[t]) * dh * (0.5 if m == "factor_half" else 1)
            dbh += dhraw
            dWxh += np.dot(dhraw, xs[t].T)
            dWhh += np.dot(dhraw, hs[t if m == "off_by_one" else t - 1].T)
            dhnext = np.dot(Whh.T, dhraw)
        for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
            np.clip(dparam, -5, 5, out=dparam)  # mitigate exploding gradients
        if m == "factor_two":
            dby = 2 * dby
        if m == "transposed":
            dWhh = dWhh.T
        return loss, {"Wxh": dWxh, "Whh": dWhh, "Why": dWhy, "bh": dbh, "by": dby}

    mutants = ("sign_term", "dropped_term", "factor_half", "factor_two", "transposed", "off_by_one")
    return Case(lambda p: lossFun(p)[0], lambda p, m=None: lossFun(p, m)[1], p0, mutants)


def nielsen_network(dt, seed, sizes=(3, 3, 3, 3), batch=3, lmbda=0.5):
    """Nielsen's network.py backprop (sigmoid, quadratic cost) summed over a mini-batch, plus L2
    (lmbda / 2n) sum ||w||^2 as in network2.py; params {"weights": [...], "biases": [...]}."""
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal((sizes[0], 1)).astype(dt) for _ in range(batch)]
    ys = [rng.uniform(size=(sizes[-1], 1)).astype(dt) for _ in range(batch)]
    p0 = {
        "weights": [rng.standard_normal((y, x)).astype(dt) for x, y in zip(sizes[:-1], sizes[1:])],
        "biases": [rng.standard_normal((y, 1)).astype(dt) for y in sizes[1:]],
    }
    L = len(sizes)

    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    def sigmoid_prime(z):
        return sigmoid(z) * (1 - sigmoid(z))

    def feedforward(p, a):
        for b, w in zip(p["biases"], p["weights"]):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def cost(p):
        c = sum(0.5 * np.sum((feedforward(p, x) - y) ** 2) for x, y in zip(xs, ys))
        return c + 0.5 * lmbda / batch * sum(np.sum(w * w) for w in p["weights"])

    def backprop(p, x, y, m):
        nabla_b = [np.zeros(b.shape) for b in p["biases"]]
        nabla_w = [np.zeros(w.shape) for w in p["weights"]]
        activation, activations, zs = x, [x], []
        for b, w in zip(p["biases"], p["weights"]):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        cd = (activations[-1] - y) if m != "sign_term" else (y - activations[-1])
        delta = cd * (sigmoid_prime(zs[-1]) if m != "dropped_term" else 1.0) * (2 if m == "factor_two" else 1)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for layer in range(2, L):
            z = zs[-layer]
            sp = sigmoid_prime(z)
            delta = np.dot(p["weights"][-layer + 1].transpose(), delta) * sp * (0.5 if m == "factor_half" else 1)
            nabla_b[-layer] = delta
            nabla_w[-layer] = np.dot(delta, activations[-layer if m == "off_by_one" else -layer - 1].transpose())
        return nabla_b, nabla_w

    def grad(p, m=None):
        nb = [np.zeros(b.shape) for b in p["biases"]]
        nw = [np.zeros(w.shape) for w in p["weights"]]
        for x, y in zip(xs, ys):
            db, dw = backprop(p, x, y, m)
            nb = [a + d for a, d in zip(nb, db)]
            nw = [a + d for a, d in zip(nw, dw)]
        if m != "missing_reg":
            nw = [g + lmbda / batch * w for g, w in zip(nw, p["weights"])]
        if m == "transposed":
            nw[0] = nw[0].T
        return {"weights": nw, "biases": nb}

    return Case(cost, grad, p0, CODE_MUTANTS)


CASES = {
    "rosen": (rosen, True), "lennard_jones": (lennard_jones, True), "logistic": (logistic, True),
    "multinomial": (multinomial, True), "huber": (huber, True), "gaussian_process": (gaussian_process, False),
    "softmax_naive": (softmax_naive, True), "svm_naive": (svm_naive, True), "two_layer_net": (two_layer_net, True),
    "batchnorm": (batchnorm, True), "conv_naive": (conv_naive, True), "lstm_step": (lstm_step, True),
    "min_char_rnn": (min_char_rnn, True), "nielsen_network": (nielsen_network, True),
}
SEEDS = (0, 1, 2)


def make(name, dtype, seed=0):
    build, float32_ok = CASES[name]
    if dtype == "float32" and not float32_ok:
        pytest.skip(f"{name} computes in float64 internally")
    return build(DTYPES[dtype], seed)


def leaves(tree):
    if isinstance(tree, dict):
        return [x for k in tree for x in leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [x for t in tree for x in leaves(t)]
    return [tree]


def replace_leaf(tree, k, new):
    """`tree` with its k-th leaf replaced by `new`."""
    count = iter(range(10**9))

    def walk(t):
        if isinstance(t, dict):
            return {key: walk(v) for key, v in t.items()}
        if isinstance(t, (list, tuple)):
            return type(t)(walk(v) for v in t)
        return new if next(count) == k else t

    return walk(tree)


def one_entry_off(case, leaf, where):
    """The gradient with one entry of its `leaf`-th array 1% off: the largest, or a random one."""
    g0 = leaves(case.grad(case.params))[leaf]
    flat = np.abs(np.asarray(g0, dtype=np.float64)).reshape(-1)
    nz = np.flatnonzero(flat)
    k = int(np.argmax(flat)) if where == "largest" else int(np.random.default_rng(leaf).choice(nz))

    def grad(p):
        g = case.grad(p)
        a = np.array(leaves(g)[leaf], dtype=np.float64, order="C", copy=True)
        a.reshape(-1)[k] *= 1.01
        return replace_leaf(g, leaf, a)

    return grad, k


# ============================================================================ tests


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("name", list(CASES))
def test_correct_third_party_gradient_passes(name, dtype, seed):
    case = make(name, dtype, seed)
    r = check_gradient(case.loss, case.grad, case.params)
    assert r.ok and r.status == "passed", f"false alarm on {name} {dtype} seed {seed}: {r}"


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("name", list(CASES))
def test_every_code_mutant_is_flagged(name, dtype):
    case = make(name, dtype)
    missed = []
    for m in case.mutants:
        r = check_gradient(case.loss, lambda p, m=m: case.grad(p, m), case.params)
        if r.ok or r.status == "passed":
            missed.append(f"{m}: {r}")
    assert not missed, f"{name} {dtype}: " + "\n".join(missed)


@pytest.mark.parametrize("where", ["largest", "random"])
@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("name", list(CASES))
def test_one_entry_one_percent_off_is_flagged(name, dtype, where):
    case = make(name, dtype)
    missed = []
    for leaf in range(len(leaves(case.params))):
        if not np.any(leaves(case.grad(case.params))[leaf]):
            continue  # an all-zero gradient array: 1% of 0 is no error
        grad, k = one_entry_off(case, leaf, where)
        r = check_gradient(case.loss, grad, case.params)
        if r.status != "failed":
            missed.append(f"leaf {leaf} entry {k}: {r}")
        # float32 with its float64 reference (f and grad accept float64 copies): as in float64
        # -- and float32 alone still says where a 1% error is below what its noise resolves
        alone = check_gradient(case.loss, grad, case.params, promote=False) if dtype == "float32" else r
        detectable = np.asarray(leaves(alone.detectable)[leaf]).reshape(-1)[k]
        if alone.status == "passed" and not (detectable > 0.01 and "too small for the measured noise" in str(alone)):
            missed.append(f"float32 alone: leaf {leaf} entry {k} (detectable {detectable:.2g}): {alone}")
    assert not missed, f"{name} {dtype} 1% {where}: " + "\n".join(missed)
