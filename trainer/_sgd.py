"""Stochastic updates: one example per step (the seed's loop), or mini-batches.

One-example step (the seed's rule, plus the L2 term), for example k:
    g = p^k s_k - y'^k                      (n,)   p^k = softmax(W x^k + b)
    W := W - alpha (g x^k^T + l2 W),  b := b - alpha g
which is the seed's w_ij := w_ij + alpha x_j (y'_i - p_i) for one-hot labels.
Vectorised over (i, j): one matrix-vector product and one rank-1 update per
example instead of a Python double loop over w_ij.

The weight decay W := (1 - alpha l2) W is applied lazily: W = a U with a scalar
a, so decay is a *= (1 - alpha l2) (O(1)), and the rank-1 update becomes
U -= (alpha / a) g x^T. ``a`` is folded back into U when it gets small.

The softmax is computed without the max shift when that is exact enough:
e^{V_i} is used directly if S = sum_i e^{V_i} lies in [1e-150, 1e150]
([1e-18, 1e18] in float32; no overflow, no lost precision); otherwise the shifted, always-stable form
e^{V_i - max V} is used.
"""

import numpy as np

__all__ = ["sgd_epoch", "minibatch_epoch"]


def sgd_epoch(X, codes, rows, s, order, W, b, alpha, l2):
    """One pass of one-example updates over ``order`` (in place on W, b).

    Parameters
    ----------
    X : ndarray (N, m)
    codes : ndarray (N,) of intp or None
        Hard labels; else ``rows`` (N, n) label rows with row sums ``s`` (or None if all 1).
    order : ndarray (N,) of intp
        Visiting order (a fresh permutation each epoch).
    W : ndarray (n, m), b : ndarray (n,)
        Updated in place.
    alpha : float
        Step size.
    l2 : float
    """
    n, m = W.shape
    dtype = W.dtype
    v = np.empty(n, dtype)
    v_col = v[:, None]                          # (n, 1) view: v x^T by broadcasting
    ones = np.ones(n, dtype)                    # S = v . 1 (a BLAS dot: cheaper than v.sum())
    outer = np.empty((n, m), dtype)
    U = W  # W = a * U during the pass
    a = 1.0
    decay = 1.0 - alpha * l2
    dot, exp, sub, mul = np.dot, np.exp, np.subtract, np.multiply
    hard = codes is not None
    # S range where e^{V_i} needs no shift: far from overflow and from subnormals
    lo, hi = (1e-150, 1e150) if dtype == np.float64 else (1e-18, 1e18)
    with np.errstate(over="ignore", under="ignore"):
        for k in order.tolist():
            x = X[k]
            dot(U, x, out=v)                   # U x
            if a != 1.0:
                v *= a                         # W x = a U x
            v += b                             # V = W x + b
            exp(v, out=v)                      # e^{V_i}
            S = dot(v, ones)
            if not (lo < S < hi):              # fall back to the shifted softmax
                dot(U, x, out=v)
                v *= a
                v += b
                v -= v.max()
                exp(v, out=v)
                S = dot(v, ones)
            if hard:
                v *= alpha / S                 # alpha p_i
                v[codes[k]] -= alpha           # alpha g_i = alpha (p_i - y'_i)
            else:
                sk = 1.0 if s is None else float(s[k])
                v *= alpha * sk / S            # alpha p_i s_k
                v -= alpha * rows[k]           # alpha g_i
            sub(b, v, out=b)                   # b -= alpha g
            if decay != 1.0:
                a *= decay                     # W := (1 - alpha l2) W
                if a < 1e-6:
                    U *= a
                    a = 1.0
            if a != 1.0:
                v *= 1.0 / a
            mul(v_col, x, out=outer)           # (alpha / a) g x^T
            sub(U, outer, out=U)               # W := W - alpha g x^T
    if a != 1.0:
        mul(U, a, out=U)


def minibatch_epoch(X, codes, rows, s, order, batch_size, W, b, alpha, l2):
    """One pass of mini-batch steps over ``order`` (in place on W, b).

    For each batch K (|K| = B, the last may be shorter), with G_ki = p^k_i s_k - y'^k_i:
        W := W - alpha ((1/B) sum_{k in K} g^k x^k^T + l2 W),   b := b - alpha (1/B) sum_k g^k
    computed class-major: V^T = W X_K^T + b (n x B), reductions over axis 0.
    """
    n, m = W.shape
    N = X.shape[0]
    dtype = W.dtype
    Vbuf = np.empty(n * batch_size, dtype)
    c = np.empty(batch_size, dtype)
    S = np.empty(batch_size, dtype)
    Xbuf = np.empty((batch_size, m), dtype)
    dW = np.empty((n, m), dtype)
    ar = np.arange(batch_size)
    decay = 1.0 - alpha * l2
    with np.errstate(over="ignore", under="ignore"):
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            B = len(idx)
            Xb = np.take(X, idx, axis=0, out=Xbuf[:B])  # gather the batch rows
            V = Vbuf[:n * B].reshape(n, B)
            np.dot(W, Xb.T, out=V)                       # V^T = W X_K^T
            V += b[:, None]                              #      + b
            cB, SB = c[:B], S[:B]
            np.max(V, axis=0, out=cB)
            V -= cB                                      # V_ik - c_k
            np.exp(V, out=V)
            np.sum(V, axis=0, out=SB)                    # S'_k
            if codes is not None:
                SB *= B                                  # fold the 1/B of the mean in
                V /= SB                                  # p_ik / B
                V[codes[idx], ar[:B]] -= 1.0 / B         # (p_ik - [i == y_k]) / B
            else:
                if s is None:
                    V /= SB
                else:
                    V *= s[idx] / SB                     # p_ik s_k
                V -= rows[idx].T                         # G_ik
                V *= 1.0 / B
            np.dot(V, Xb, out=dW)                        # (1/B) G_K^T X_K
            if decay != 1.0:
                W *= decay                               # W := (1 - alpha l2) W
            dW *= alpha
            W -= dW                                      #      - alpha (1/B) G^T X
            b -= alpha * V.sum(axis=1)                   # b := b - alpha (1/B) G^T 1
