"""The softmax-regression objective and its proved gradient (reference form).

Notation (contracts.md): n classes, m features, N examples; W (n, m), b (n,),
example x^k (m,), logits V^k = W x^k + b, p^k = softmax(V^k), label row y'^k (n,).

    J(W, b) = (1/N) sum_k [ -sum_i y'^k_i ln p^k_i ] + (l2/2) ||W||_F^2

Proved gradient (general soft-label form, derivation/):
    dJ/dw_ij = (1/N) sum_k -x^k_j (y'^k_i - p^k_i sum_l y'^k_l) + l2 w_ij
    dJ/db_i  = (1/N) sum_k -(y'^k_i - p^k_i sum_l y'^k_l)
i.e. with G (N, n), G_ki = p^k_i s_k - y'^k_i and s_k = sum_l y'^k_l:
    dW = G^T X / N + l2 W,   db = G^T 1 / N.
For one-hot rows s_k = 1 and this is the seed's -x_j (y'_i - p_i).

These functions are the readable reference; the estimator runs the same
formula in ``trainer._kernel`` (class-major, blocked, threaded) and the tests
check the two agree.
"""

import numpy as np

from ._softmax import log_softmax

__all__ = ["loss", "gradient"]


def _check_finite(name, arr):
    """Raise naming the first NaN / infinity in ``arr`` (one np.isfinite pass when clean)."""
    ok = np.isfinite(arr)
    if not ok.all():
        where = tuple(int(i) for i in np.argwhere(~ok)[0])
        value = float(arr[where])
        raise ValueError(f"{name} contains {value!r} at index {where}; all entries must be finite")


def _check_problem(W, b, X, Y, l2):
    X = np.asarray(X)
    W = np.asarray(W)
    b = np.asarray(b)
    for name, arr in (("X", X), ("W", W), ("b", b)):
        if arr.dtype.kind not in "fiub":
            raise TypeError(f"{name} must be numeric; got dtype {arr.dtype}")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (N, m); got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError("X is empty: it has 0 samples")
    if W.ndim != 2:
        raise ValueError(f"W must be 2-D (n, m); got shape {W.shape}")
    n, m = W.shape
    if X.shape[1] != m:
        raise ValueError(f"X has {X.shape[1]} features but W has {m} columns (shapes X {X.shape}, W {W.shape})")
    if b.shape != (n,):
        raise ValueError(f"b must have shape (n,) = ({n},) to match W {W.shape}; got {b.shape}")
    if not (np.isscalar(l2) and np.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be a finite number >= 0; got {l2!r}")
    dtype = np.result_type(X.dtype, W.dtype, b.dtype, np.float32)
    X = X.astype(dtype, copy=False)
    W = W.astype(dtype, copy=False)
    b = b.astype(dtype, copy=False)
    for name, arr in (("X", X), ("W", W), ("b", b)):
        _check_finite(name, arr)
    Y = np.asarray(Y)
    N = X.shape[0]
    if Y.ndim == 1:
        if Y.shape[0] != N:
            raise ValueError(f"X has {N} samples but Y has {Y.shape[0]} labels")
        if Y.dtype.kind not in "iu":
            raise TypeError(f"1-D labels Y must be integer class indices; got dtype {Y.dtype}")
        if Y.size and (Y.min() < 0 or Y.max() >= n):
            raise ValueError(f"integer labels must lie in [0, {n}); got values from {Y.min()} to {Y.max()}")
        return W, b, X, Y.astype(np.intp, copy=False), None
    if Y.ndim == 2:
        if Y.shape != (N, n):
            raise ValueError(f"label rows Y must have shape (N, n) = ({N}, {n}); got {Y.shape}")
        if Y.dtype.kind not in "fiub":
            raise TypeError(f"label rows Y must be numeric; got dtype {Y.dtype}")
        Y = Y.astype(dtype, copy=False)
        _check_finite("label rows Y", Y)
        if Y.min() < 0:
            k, i = np.argwhere(Y < 0)[0]
            raise ValueError(f"label rows Y contain a negative entry Y[{k}, {i}] = {float(Y[k, i])!r}; y'_i must be >= 0")
        return W, b, X, None, Y
    raise ValueError(f"Y must be (N,) integer labels or (N, n) label rows; got shape {Y.shape}")


def loss(W, b, X, Y, *, l2=0.0):
    """Mean cross-entropy of softmax regression, plus an L2 penalty on W.

    Parameters
    ----------
    W : array_like, shape (n, m)
        Weights; row i scores class i.
    b : array_like, shape (n,)
        Biases (not penalised).
    X : array_like, shape (N, m)
        One example x^k per row.
    Y : array_like, shape (N, n) or (N,)
        Label rows y'^k (one-hot or soft, finite entries >= 0, any row sum), or integer
        class indices in [0, n) (meaning one-hot rows).
    l2 : float, default 0
        Strength of the penalty (l2/2) ||W||_F^2.

    Returns
    -------
    J : float
        J = (1/N) sum_k -sum_i y'^k_i ln p^k_i + (l2/2) sum_ij w_ij^2,
        p^k = softmax(W x^k + b); ln p is taken as log-sum-exp, so J is finite
        for any finite inputs.

    Raises
    ------
    ValueError
        NaN / infinity in X, W, b or Y, negative label entries, label rows not of
        shape (N, n), integer labels outside [0, n), shapes that do not match.
    TypeError
        Non-numeric arrays, or 1-D labels that are not integers.
    """
    W, b, X, codes, Yrows = _check_problem(W, b, X, Y, l2)
    log_p = log_softmax(X @ W.T + b, axis=1)  # (N, n): ln p^k_i = V^k_i - ln S^k
    if codes is not None:
        data = -log_p[np.arange(X.shape[0]), codes].sum()
    else:
        # 0 * ln p = 0 even where p underflows: log_p is finite, so no 0 * inf
        data = -np.sum(Yrows * log_p)
    return float(data / X.shape[0] + 0.5 * l2 * np.sum(W * W))


def gradient(W, b, X, Y, *, l2=0.0):
    """Gradient of :func:`loss` by the proved formula.

    Parameters
    ----------
    W, b, X, Y, l2
        As in :func:`loss`.

    Returns
    -------
    dW : ndarray, shape (n, m)
        dW_ij = (1/N) sum_k -x^k_j (y'^k_i - p^k_i sum_l y'^k_l) + l2 w_ij,
        i.e. dW = (1/N) sum_k (p^k s_k - y'^k) x^k^T + l2 W with s_k = sum_l y'^k_l.
    db : ndarray, shape (n,)
        db_i = (1/N) sum_k -(y'^k_i - p^k_i s_k)  (no penalty on the bias).
    """
    W, b, X, codes, Yrows = _check_problem(W, b, X, Y, l2)
    N = X.shape[0]
    P = np.exp(log_softmax(X @ W.T + b, axis=1))  # p^k_i, rows sum to 1
    if codes is not None:
        G = P  # s_k = 1:  G_ki = p^k_i - [i == y_k]
        G[np.arange(N), codes] -= 1
    else:
        G = P * Yrows.sum(axis=1, keepdims=True) - Yrows  # G_ki = p^k_i s_k - y'^k_i
    dW = G.T @ X / N + l2 * W
    db = G.sum(axis=0) / N
    return dW, db
