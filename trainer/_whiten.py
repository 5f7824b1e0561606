"""L-BFGS in whitened coordinates: a fixed linear change of variables that preconditions it.

With x~ = (x, 1) (the bias as a feature that is always 1) and W~ = [W, b] (n, m + 1), the
logits are V^k = W~ x~^k and the Hessian of J is

    H = (1/N) sum_k (diag(p^k) - p^k p^k^T)  kron  x~^k x~^k^T  +  l2 (I kron I_W),

which at W = 0, b = 0 (p^k = 1/n) is exactly (I/n - 1 1^T/n^2) kron (X~^T X~ / N) + l2: on the
subspace the iterates live in (class sums fixed), n H is G + n l2 with G = X~^T X~ / N. So with

    M = G + n l2 I_W   ((m + 1) x (m + 1); I_W: identity without the bias corner),
    M = L L^T          (Cholesky),     W~ = Phi L^{-1},

the Hessian in Phi is (1/n) I at the start: L-BFGS on f(Phi) = J(Phi L^{-1}) with
grad_Phi f = grad_W~ J L^{-T} sees correlated or badly scaled features as if they were white
(for the correlated problems of benchmarks/bench_trainer.py: 6 passes instead of 44-50).
The objective, its optimum and the stopping test (max |grad_W~ J| < tol, in the original
coordinates) are unchanged: only the path to the optimum is.

G is computed from all rows when N <= FULL_ROWS (m + 1), else from SAMPLE_ROWS (m + 1)
rows drawn once (seed 0, so fits are deterministic), in float64, in chunks (no N x m copy).
The whitening is skipped when G and its factorisation would cost more than MAX_COST
passes over X (in flops), when applying L^{-1} twice per pass would cost more than an
eighth of one (m + 1 > N / 4), or when M is already near a multiple of the identity (the
column scales within SPREAD of each other and the correlation matrix's condition number
below COND: standardized digits, 150, gain nothing from it; the correlated problems of the
benchmark, 1e4-1e5, and digits-like pixels with noise, 300, need 3x-7x fewer passes):
then L-BFGS runs in the original coordinates.
"""

import math

import numpy as np

__all__ = ["Whitening", "whitening_for", "whitened_fg", "class_prior_bias"]

FULL_ROWS = 48        # G from all rows when N <= FULL_ROWS (m + 1)
SAMPLE_ROWS = 24      # else from SAMPLE_ROWS (m + 1) random rows
MAX_COST = 8.0        # passes (flops) the set-up may cost
SPREAD, COND = 100.0, 200.0   # whiten only when M's scales or correlations are this far from I
_CHUNK = 1024         # rows per product when summing G over the sampled rows


def _gram(X, rows, xp=np):
    """X~^T X~ / |rows| over the given rows (all when None), on the host in float64, (m + 1, m + 1),
    in chunks of rows (no N x m copy). Other namespaces than NumPy: the rows are copied to the
    host first (at most FULL_ROWS (m + 1) of them), so G is the same as for NumPy X."""
    if xp is not np:
        from ._xp import namespace, to_numpy
        Xs = X if rows is None else xp.take(X, xp.asarray(rows, device=namespace(X)[1]), axis=0)
        X, rows = to_numpy(Xs), None
    N, m = X.shape
    count = N if rows is None else len(rows)
    G = np.zeros((m + 1, m + 1))
    for a in range(0, count, _CHUNK):
        sel = slice(a, min(a + _CHUNK, count)) if rows is None else rows[a:a + _CHUNK]
        Xc = np.asarray(X[sel], dtype=np.float64)
        G[:m, :m] += Xc.T @ Xc
        G[:m, m] += Xc.sum(axis=0)
    G[m, :m] = G[:m, m]
    G[m, m] = count
    return G / count


class Whitening:
    """W~ = Phi L^{-1} for M = L L^T (module docstring). ``Linv`` (m + 1, m + 1): an array of
    namespace ``xp`` in X's dtype and on its device; ``L`` the NumPy float64 factor."""

    def __init__(self, L, Linv, n, m, xp=np):
        self.L, self.Linv, self.n, self.m, self.xp = L, Linv, n, m, xp
        self.LinvT = np.ascontiguousarray(Linv.T) if xp is np else Linv.T
        self._last = (None, None)

    def to_original(self, phi):
        """(W (n, m), b (n,)) = Phi L^{-1}, split (the last result is reused for the same phi
        object: L-BFGS asks for the point it has just evaluated)."""
        if phi is self._last[0]:
            return self._last[1]
        xp, m = self.xp, self.m
        Wt = xp.reshape(phi, (self.n, m + 1)) @ self.Linv
        if xp is np:
            out = np.ascontiguousarray(Wt[:, :m]), np.ascontiguousarray(Wt[:, m])
        else:
            out = Wt[:, :m], Wt[:, m]
        self._last = (phi, out)
        return out

    def gradient(self, dW, db):
        """grad_Phi = [dW, db] L^{-T}, flat."""
        xp = self.xp
        Gt = xp.concat([dW, xp.reshape(db, (-1, 1))], axis=1)
        return xp.reshape(Gt @ self.LinvT, (-1,))

    def from_original(self, W, b, like):
        """Phi = W~ L for host arrays (W, b), flat, as an array like ``like`` (dtype, device)."""
        Wt = np.concatenate([np.asarray(W, np.float64), np.asarray(b, np.float64)[:, None]], axis=1)
        phi = (Wt @ self.L).ravel()
        if self.xp is np:
            return phi.astype(like.dtype)
        from ._xp import namespace
        return self.xp.asarray(phi, dtype=like.dtype, device=namespace(like)[1])


def _ill_conditioned(M, G):
    """Whether M is far from a multiple of the identity in the two ways L-BFGS is slow on:
    scales (max/min of diag M over the columns that vary, > SPREAD) or correlations (the
    condition number of the correlation matrix D^-1/2 M D^-1/2, > COND). Below both, L-BFGS
    in the original coordinates needs about as many passes (digits: 32 vs 33) and the
    whitening only costs its set-up and two products per pass."""
    g = np.diag(G)
    live = g > 1e-6 * g.max()               # columns that vary (a constant-0 one has only l2's curvature)
    d = np.diag(M)[live]
    if d.max() > SPREAD * d.min():
        return True
    C = M[np.ix_(live, live)] / np.sqrt(np.outer(d, d))
    ev = np.linalg.eigvalsh(C)
    return not ev[0] > 0 or ev[-1] > COND * ev[0]


def whitening_for(X, n, l2, nnz=None, xp=np):
    """The Whitening for X (N, m) with n classes and penalty l2, or None when it does not pay
    (module docstring) or M is not numerically positive definite. ``nnz``: stored entries
    (for the cost of a pass; default N m)."""
    N, m = X.shape
    p = m + 1
    if p > N / 4:
        return None
    rows = None
    if N > FULL_ROWS * p:
        rng = np.random.default_rng(0)
        rows = np.sort(rng.choice(N, SAMPLE_ROWS * p, replace=False))
    count = N if rows is None else len(rows)
    pass_flops = 4.0 * (N * m if nnz is None else nnz) * n
    if count * p * p + p ** 3 > MAX_COST * pass_flops:
        return None
    G = _gram(X, rows, xp)
    diag = np.diag(G)
    single = X.dtype == (np.float32 if xp is np else xp.float32)
    eps = float(np.finfo(np.float32 if single else np.float64).eps)
    jitter = max(1e-8, 100 * eps) * float(diag.mean())
    M = G + np.diag(np.append(np.full(m, n * float(l2) + jitter), jitter))
    if not np.all(np.isfinite(M)):
        return None
    if not _ill_conditioned(M, G):
        return None
    try:
        L = np.linalg.cholesky(M)
    except np.linalg.LinAlgError:
        return None
    Linv = np.linalg.inv(L)
    if not np.all(np.isfinite(Linv)):
        return None
    if xp is np:
        return Whitening(L, Linv.astype(X.dtype), n, m)
    from ._xp import namespace
    return Whitening(L, xp.asarray(Linv, dtype=X.dtype, device=namespace(X)[1]), n, m, xp)


def whitened_fg(grad, wh):
    """fg for run_lbfgs in Phi: (J, grad_Phi, max |grad J|, ||grad J||), with the gradient of J
    in the original coordinates for the stopping test and the monitor. ``grad(W, b)`` ->
    (J, dW, db)."""
    xp = wh.xp

    def fg(phi):
        W, b = wh.to_original(phi)
        J, dW, db = grad(W, b)
        gmax = max(float(xp.max(xp.abs(dW))), float(xp.max(xp.abs(db))))
        if math.isfinite(gmax):
            gnorm = math.sqrt(float(xp.sum(dW * dW)) + float(xp.sum(db * db)))
        else:
            gnorm = gmax
        return J, wh.gradient(dW, db), gmax, gnorm

    return fg


def class_prior_bias(counts):
    """b_i = ln f_i - mean_j ln f_j for class totals ``counts`` (Y^T 1): at W = 0 the optimum of J
    over b (softmax(b) = f), L-BFGS's starting intercept; None when some class has no weight."""
    f = np.asarray(counts, dtype=np.float64)
    if not (f.size and np.all(f > 0) and np.all(np.isfinite(f))):
        return None
    lnf = np.log(f)
    return lnf - lnf.mean()
