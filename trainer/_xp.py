"""array-API inputs (torch, CuPy, array-api-strict, ...): the fit runs in X's namespace and device.

Namespace from array-api-compat (extra ``[array-api]``). The objective and the proved
gradient are written with array-API functions only, on the whole X (N x m) at once:
    V = X W^T + b,  c_k = max_i V_ik,  E = e^{V - c},  S'_k = sum_i E_ik,  P = E / S',
    G = s P - Y  (s_k = sum_i y'^k_i, Y the label rows, one-hot for class labels),
    dW = G^T X / N + l2 W,   db = G^T 1 / N,
    J  = (sum_k s_k (c_k + ln S'_k) - sum_ki Y_ki V_ki) / N + (l2/2) ||W||^2,
and L-BFGS (trainer._lbfgs) runs on the same namespace, so W, b, the L-BFGS memory and
every intermediate stay on X's device; only scalars (J, inner products, max |g|) come
back to the host. ``coef_`` / ``intercept_`` are arrays of X's namespace and device.
Labels are read on the host (classes are host data), then sent to the device once.
"""

import math

import numpy as np

from ._lbfgs import run_lbfgs
from ._monitor import Monitor
from ._validation import check_labels
from ._whiten import class_prior_bias, whitened_fg, whitening_for

__all__ = ["fit_xp", "logits_xp", "predict_xp", "to_numpy", "namespace"]


def namespace(X):
    """(xp, device) of an array-API array (array-api-compat required)."""
    try:
        import array_api_compat
    except ImportError:
        raise ImportError(
            f"X of type {type(X).__module__}.{type(X).__name__} is an array-API array; using it needs "
            f"array-api-compat: pip install -e '.[array-api]' (or pass a NumPy array)"
        ) from None
    return array_api_compat.array_namespace(X), array_api_compat.device(X)


def to_numpy(a):
    """A host NumPy copy of an array of any namespace (DLPack, else ``__array__``)."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "detach"):  # torch: autograd-free, on the CPU
        a = a.detach()
        if getattr(a, "device", None) is not None and str(a.device) != "cpu":
            a = a.cpu()
    try:
        return np.from_dlpack(a)
    except (TypeError, RuntimeError, BufferError, AttributeError, ValueError):
        return np.asarray(a)


def _check_X_xp(X, xp, name="X", n_features=None):
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape (N samples, m features); got {X.ndim}-D shape {tuple(X.shape)}")
    N, m = X.shape
    if N == 0 or m == 0:
        raise ValueError(f"{name} must have >= 1 sample and >= 1 feature; got shape {tuple(X.shape)}")
    if n_features is not None and m != n_features:
        raise ValueError(f"{name} has {m} features, but SoftmaxRegression is expecting {n_features} features as input")
    if xp.isdtype(X.dtype, "complex floating"):
        raise ValueError(f"Complex data not supported: {name} must be real; got complex dtype {X.dtype}")
    if not xp.isdtype(X.dtype, "real floating"):
        if not (xp.isdtype(X.dtype, "integral") or X.dtype == xp.bool):
            raise TypeError(f"{name} must contain numbers; got dtype {X.dtype}")
        X = xp.astype(X, xp.float64)
    elif X.dtype not in (xp.float32, xp.float64):
        X = xp.astype(X, xp.float64)
    bad = ~xp.isfinite(X)
    if bool(xp.any(bad)):
        rows, cols = xp.nonzero(bad)
        r, c = int(rows[0]), int(cols[0])
        what = "NaN" if bool(xp.isnan(X[r, c])) else "infinity"
        raise ValueError(f"{name} contains {what} (first at row {r}, column {c}); all features must be finite")
    return X


class _XPObjective:
    """fg(theta) -> (J, g) in namespace xp (module docstring)."""

    def __init__(self, xp, X, Y, s, n, l2):
        self.xp, self.X, self.Y, self.s, self.n, self.l2 = xp, X, Y, s, n, float(l2)
        self.N, self.m = X.shape

    def split(self, theta):
        nm = self.n * self.m
        return self.xp.reshape(theta[:nm], (self.n, self.m)), theta[nm:]

    def __call__(self, theta):
        xp, X, Y, s, N = self.xp, self.X, self.Y, self.s, self.N
        W, b = self.split(theta)
        V = X @ W.T + b
        c = xp.max(V, axis=1, keepdims=True)
        E = xp.exp(V - c)
        S = xp.sum(E, axis=1, keepdims=True)
        G = E * (s / S) - Y                                   # s_k p^k - y'^k
        dW = (G.T @ X) / N + self.l2 * W
        db = xp.sum(G, axis=0) / N
        lnS = xp.log(S) + c                                   # ln S_k
        w = theta[:self.n * self.m]
        J = (float(xp.sum(s * lnS)) - float(xp.sum(Y * V))) / N + 0.5 * self.l2 * float(xp.vecdot(w, w))
        return J, xp.concat([xp.reshape(dW, (-1,)), db])


def fit_xp(est, X, y):
    """Fit ``est`` (method "lbfgs") on an array-API X; returns (FitOutcome, classes, m)."""
    from ._fitting import DEFAULT_EPOCHS, STANDARDIZE, FitOutcome

    if est.method != "lbfgs":
        raise TypeError(f"array-API X ({type(X).__module__}.{type(X).__name__}) is supported by method='lbfgs', "
                        f"not method={est.method!r}; or pass a NumPy array")
    xp, dev = namespace(X)
    X = _check_X_xp(X, xp)
    N, m = X.shape
    dtype = X.dtype
    y_host = to_numpy(y) if not isinstance(y, (list, tuple)) else np.asarray(y)
    labels = check_labels(y_host, N, dtype=np.float64)
    classes, n = labels.classes, labels.n_classes
    if labels.codes is not None:
        rows = np.zeros((N, n))
        rows[np.arange(N), labels.codes] = 1.0
        s_host = np.ones((N, 1))
    else:
        rows = labels.rows
        s_host = rows.sum(axis=1, keepdims=True)
    Y = xp.asarray(rows, dtype=dtype, device=dev)
    s = xp.asarray(s_host, dtype=dtype, device=dev)
    objective = _XPObjective(xp, X, Y, s, n, est.l2)
    max_epochs = est.max_epochs or DEFAULT_EPOCHS["lbfgs"]
    monitor = Monitor(est.callback, est.verbose, max_epochs, STANDARDIZE, J0=float(s_host.mean()) * math.log(n))
    theta0 = xp.zeros((n * m + n,), dtype=dtype, device=dev)
    eps = float(np.finfo(np.float32 if dtype == xp.float32 else np.float64).eps)
    # the same start and whitened coordinates as the dense NumPy fit (trainer._whiten)
    b0 = class_prior_bias(rows.sum(axis=0))
    if b0 is not None:
        theta0 = xp.concat([theta0[:n * m], xp.asarray(b0, dtype=dtype, device=dev)])
    wh = whitening_for(X, n, est.l2, xp=xp)
    fg, split, start = objective, objective.split, theta0
    if wh is not None:
        def grad(W, b):
            J, g = objective(xp.concat([xp.reshape(W, (-1,)), b]))
            return J, *objective.split(g)

        fg, split = whitened_fg(grad, wh), wh.to_original
        start = wh.from_original(np.zeros((n, m)), np.zeros(n) if b0 is None else b0, theta0)
    interrupted = False
    try:
        theta, epochs, converged, J, gmax = run_lbfgs(
            fg, start, max_epochs=max_epochs, tol=est.tol, monitor=monitor, split=split,
            xp=xp, dot=lambda u, v: float(xp.vecdot(u, v)), eps=eps,
        )
        W, b = split(theta)
    except KeyboardInterrupt:
        W, b, epochs = monitor.W, monitor.b, monitor.kept_epoch
        J, gmax = monitor.kept_J, monitor.kept_gmax
        interrupted, converged = True, False
        if gmax is None:
            J, g = objective(xp.concat([xp.reshape(W, (-1,)), b]))
            gmax = float(xp.max(xp.abs(g)))
    return FitOutcome(W, b, epochs, converged, J, gmax, monitor, None, interrupted), classes, m


def _coef_in(est, xp, dev):
    """coef_, intercept_ as arrays of namespace xp on device dev."""
    W, b = est.coef_, est.intercept_
    try:
        same = namespace(W)[0] is xp
    except (ImportError, TypeError):
        same = False
    if not same:
        W, b = xp.asarray(to_numpy(W), device=dev), xp.asarray(to_numpy(b), device=dev)
    return W, b


def logits_xp(est, X):
    """V = X W^T + b in X's namespace and device, shape (N, n)."""
    xp, dev = namespace(X)
    X = _check_X_xp(X, xp, n_features=est.n_features_in_)
    W, b = _coef_in(est, xp, dev)
    if W.dtype != X.dtype:
        dtype = xp.result_type(W.dtype, X.dtype)
        X, W, b = xp.astype(X, dtype), xp.astype(W, dtype), xp.astype(b, dtype)
    return X @ W.T + b


def predict_xp(est, X, what):
    """predict_proba / predict_log_proba / predict for an array-API X (results in its namespace;
    predict returns classes_ values, in X's namespace when they are numbers)."""
    xp, dev = namespace(X)
    V = logits_xp(est, X)
    c = xp.max(V, axis=1, keepdims=True)
    if what == "predict":
        idx = xp.argmax(V, axis=1)
        if est.classes_.dtype.kind in "iufb":
            return xp.take(xp.asarray(est.classes_, device=dev), idx)
        return est.classes_[to_numpy(idx)]
    log_p = (V - c) - xp.log(xp.sum(xp.exp(V - c), axis=1, keepdims=True))
    return log_p if what == "predict_log_proba" else xp.exp(log_p)
