"""Dask arrays chunked by rows: the proved loss and gradient as sums of per-chunk partial sums.

For row chunks X_c (N_c x m) with labels y_c, each worker computes on its own chunks
    P_c = sum_{k in c} s_k p^k x^k^T  (n x m),   q_c = sum_{k in c} s_k p^k  (n,),
    l_c = sum_{k in c} s_k ln S_k,
(p^k = softmax(W x^k + b) with the max shift, ln S_k = c_k + ln sum_i e^{V^k_i - c_k}), and
once per fit C_c = Y_c^T X_c, Y_c^T 1. The partial sums are added in a fixed order and divided once by the global N:
    dW = (sum_c P_c - C) / N + l2 W,   db = (sum_c q_c - Y^T 1) / N,
    J  = (sum_c l_c - <W, C> - <b, Y^T 1>) / N + (l2/2) ||W||^2,
the same formula as trainer.objective for any chunking (a sum over examples split into
sums over chunks). Per pass, W and b go to the workers with the chunk tasks and one
(n x m + n + 1)-sized result per chunk comes back, added on the client in chunk order (one
round trip per pass; the one-off sums use a tree of tasks on the workers): X never leaves
the workers. The optimiser (L-BFGS or gradient descent) runs on the client with W-sized
NumPy arrays.

Scheduler: whatever dask uses by default, e.g. the ``distributed.Client`` created last
(``Client("tcp://scheduler:8786")`` for an existing cluster), else dask's local threads.
"""

import math

import numpy as np

from ._validation import check_labels

__all__ = ["fit_dask", "map_rows", "DaskKernel"]


# -- per-chunk work (runs on the workers; plain NumPy) -----------------------------------
def _labels(yc, classes, n, dtype):
    """(codes, rows) of a label chunk: 1-D labels -> indices into classes; 2-D -> rows."""
    yc = np.asarray(yc)
    if yc.ndim == 1:
        return np.searchsorted(classes, yc).astype(np.intp), None
    return None, np.asarray(yc, dtype=dtype)


def _prepare_chunk(Xc, yc, classes, n, dtype, want_gram):
    """Checks and one-off sums of one chunk: C_c, Y_c^T 1, sum_k s_k, max s_k, max ||x||^2,
    sum ||x||^2, the first bad entry (row within the chunk, column, what) and X~^T X~ if asked."""
    Xc = np.asarray(Xc)
    bad = None
    if Xc.dtype.kind not in "fiub":
        bad = (0, 0, f"non-numeric dtype {Xc.dtype}")
    else:
        Xc = Xc.astype(dtype, copy=False)
        if not np.isfinite(Xc).all():
            r, c = np.argwhere(~np.isfinite(Xc))[0]
            bad = (int(r), int(c), "NaN" if np.isnan(Xc[r, c]) else "infinity")
    codes, rows = _labels(yc, classes, n, dtype)
    if rows is not None and (not np.isfinite(rows).all() or (rows < 0).any()):
        bad = bad or (0, -1, "label rows that are negative, NaN or infinite")
    if bad is not None:
        return {"bad": bad, "N": len(Xc)}
    X64 = Xc.astype(np.float64, copy=False)
    Y = np.zeros((len(Xc), n))
    if codes is not None:
        Y[np.arange(len(Xc)), codes] = 1.0
    else:
        Y[:] = rows
    s = Y.sum(axis=1)
    sq = np.einsum("ij,ij->i", X64, X64)
    out = {"bad": None, "N": len(Xc), "C": Y.T @ X64, "ysum": Y.sum(axis=0), "s_sum": float(s.sum()),
           "s_max": float(s.max(initial=0.0)), "sq_max": float(sq.max(initial=0.0)), "sq_sum": float(sq.sum()),
           "s_one": bool(np.all(s == 1))}
    if want_gram:
        m = Xc.shape[1]
        G = np.zeros((m + 1, m + 1))
        G[:m, :m] = X64.T @ X64
        G[:m, m] = G[m, :m] = X64.sum(axis=0)
        G[m, m] = len(Xc)
        out["G"] = G
    return out


def _merge_prepared(a, b):
    if a["bad"] is not None or b["bad"] is not None:
        if a["bad"] is not None:
            return a
        bad = b["bad"]
        return {"bad": (bad[0] + a["N"], bad[1], bad[2]), "N": a["N"] + b["N"]}
    out = {"bad": None, "N": a["N"] + b["N"]}
    for key in ("C", "ysum", "G", "s_sum", "sq_sum"):
        if key in a:
            out[key] = a[key] + b[key]
    out["s_max"] = max(a["s_max"], b["s_max"])
    out["sq_max"] = max(a["sq_max"], b["sq_max"])
    out["s_one"] = a["s_one"] and b["s_one"]
    return out


def _chunk_partials(Xc, yc, Wb, classes, n, dtype, want_loss):
    """(P_c (n, m), q_c (n,), l_c) of one chunk at (W, b) = Wb, in float64."""
    W, b = Wb
    Xc = np.asarray(Xc).astype(dtype, copy=False)
    codes, rows = _labels(yc, classes, n, dtype)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        V = Xc @ W.T + b                         # (N_c, n) logits
        cmax = V.max(axis=1)
        V -= cmax[:, None]
        np.exp(V, out=V)
        S = V.sum(axis=1)                        # S'_k = S_k e^{-c_k}
        s = None if rows is None else rows.sum(axis=1, dtype=np.float64)
        r = 1.0 / S if s is None else s / S
        V *= r[:, None]                          # s_k p^k
        P = (V.T @ Xc).astype(np.float64)        # sum_k s_k p^k x^k^T
        q = V.sum(axis=0, dtype=np.float64)      # sum_k s_k p^k
        lnS = 0.0
        if want_loss:
            lnk = np.log(S.astype(np.float64)) + cmax
            lnS = float(lnk.sum()) if s is None else float(s @ lnk)
    return P, q, lnS


def _tree(items, merge):
    """Pairwise sums of delayed items in a fixed tree (the same order for the same chunks)."""
    from dask import delayed

    items = list(items)
    while len(items) > 1:
        nxt = [delayed(merge, pure=True)(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2)]
        if len(items) % 2:
            nxt.append(items[-1])
        items = nxt
    return items[0]


# -- the kernel (client side) -------------------------------------------------------------
class DaskKernel:
    """``kernel(W, b, dW, db)`` for row-chunked Dask arrays X (N, m) and y (N,) or (N, n)."""

    def __init__(self, X, y, classes, n, l2, dtype, want_gram):
        from dask import compute, delayed

        self.N, self.m = int(X.shape[0]), int(X.shape[1])
        self.n, self.l2, self.dtype, self.classes = n, float(l2), np.dtype(dtype), classes
        self.xs = list(X.to_delayed().ravel())
        self.ys = list(y.to_delayed().ravel())
        parts = [delayed(_prepare_chunk, pure=True)(xc, yc, classes, n, self.dtype, want_gram)
                 for xc, yc in zip(self.xs, self.ys)]
        (prep,) = compute(_tree(parts, _merge_prepared))
        if prep["bad"] is not None:
            row, col, what = prep["bad"]
            if col < 0:
                raise ValueError(f"y contains {what} (chunk starting near row {row}); y'_i must be finite and >= 0")
            if what.startswith("non-numeric"):
                raise TypeError(f"X must contain numbers; got {what}")
            raise ValueError(f"X contains {what} (first at row {row}, column {col}); all features must be finite")
        self.C, self.ysum, self.G = prep["C"], prep["ysum"], prep.get("G")
        self.s_mean = prep["s_sum"] / self.N
        self.s_max, self.sq_sum = prep["s_max"], prep["sq_sum"]
        self.R = math.sqrt(prep["sq_max"])

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def gram(self):
        return self.G

    def lipschitz(self, l2):
        """L = (max_k s_k / 2) lambda_max(X~^T X~ / N) + l2 (trace bound without the Gram matrix)."""
        if self.G is not None:
            lam = float(np.linalg.eigvalsh(self.G / self.N)[-1]) * (1 + 1e-9)
        else:
            lam = (self.sq_sum + self.N) / self.N
        return 0.5 * self.s_max * lam + float(l2)

    def __call__(self, W, b, dW, db, want_loss=True):
        """Fill dW, db with the gradient at (W, b) (NumPy, on the client); return J."""
        from dask import compute, delayed

        Wb = (np.array(W, copy=True), np.array(b, copy=True))
        parts = compute(*[delayed(_chunk_partials, pure=True)(xc, yc, Wb, self.classes, self.n, self.dtype, want_loss)
                          for xc, yc in zip(self.xs, self.ys)])
        Pw, Pb, lnS = parts[0]
        for P, q, l in parts[1:]:          # in chunk order: the same sum for the same chunks
            Pw = Pw + P
            Pb = Pb + q
            lnS += l
        inv_n = 1.0 / self.N
        np.multiply(Pw - self.C, inv_n, out=dW, casting="unsafe")
        np.multiply(Pb - self.ysum, inv_n, out=db, casting="unsafe")
        if self.l2:
            dW += self.l2 * W
        if not want_loss:
            return None
        W64, b64 = np.asarray(W, np.float64), np.asarray(b, np.float64)
        data = (lnS - float(np.vdot(W64, self.C)) - float(b64 @ self.ysum)) * inv_n
        return data + 0.5 * self.l2 * float(np.vdot(W64, W64)) if self.l2 else data


# -- fit / predict -----------------------------------------------------------------------
def _rows_chunked(X, y):
    """X (rows in chunks, all columns in one chunk) and y chunked like X's rows."""
    import dask.array as da

    if X.ndim != 2:
        raise ValueError(f"X must be 2-D with shape (N samples, m features); got {X.ndim}-D shape {X.shape}")
    if any(math.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have >= 1 sample and >= 1 feature; got shape {X.shape}")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})              # chunks by rows only (on the workers)
    if not isinstance(y, da.Array):
        y = np.asarray(y)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} samples but y has {y.shape[0]} labels (lengths differ)")
        y = da.from_array(y, chunks=(X.chunks[0],) + tuple((s,) for s in y.shape[1:]))
    else:
        if any(math.isnan(c) for c in y.chunks[0]):
            y = y.compute_chunk_sizes()
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} samples but y has {y.shape[0]} labels (lengths differ)")
        if y.chunks[0] != X.chunks[0] or (y.ndim == 2 and len(y.chunks[1]) > 1):
            y = y.rechunk((X.chunks[0],) + ((-1,) if y.ndim == 2 else ()))
    return X, y


def fit_dask(est, X, y):
    """Fit ``est`` on Dask X, y; returns (FitOutcome, classes, m)."""
    import dask
    import dask.array as da

    from ._fitting import run_fit

    if est.method not in ("lbfgs", "batch"):
        raise TypeError(f"Dask X is supported by method='lbfgs' and 'batch', not method={est.method!r}")
    X, y = _rows_chunked(X, y)
    if X.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: X must be real; got complex dtype {X.dtype}")
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    if y.ndim == 1:
        uniq = np.asarray(da.unique(y).compute())
        classes = check_labels(uniq, len(uniq), dtype=dtype).classes  # the same label checks as NumPy y
    elif y.ndim == 2 and y.shape[1] >= 2:
        classes = np.arange(y.shape[1])
    else:
        raise ValueError(f"y must be 1-D (N labels) or 2-D (N, n) label rows with n >= 2; got shape {y.shape}")
    X, y = dask.persist(X, y)            # chunks stay on the workers for all passes
    n, m = len(classes), X.shape[1]
    kernel = DaskKernel(X, y, classes, n, est.l2, dtype, want_gram=est.method == "batch" and m <= 2048
                        and est.learning_rate == "auto")
    outcome = run_fit(est, kernel, n, m, dtype, kernel.s_mean)
    return outcome, classes, m


def _predict_chunk(Xc, W, b, classes, what):
    from ._softmax import log_softmax, softmax

    Xc = np.asarray(Xc)
    dtype = np.result_type(Xc.dtype, W.dtype)
    V = Xc.astype(dtype, copy=False) @ W.T.astype(dtype) + b.astype(dtype)
    if what == "logits":
        return V
    if what == "predict_proba":
        return softmax(V, axis=1)
    if what == "predict_log_proba":
        return log_softmax(V, axis=1)
    return classes[np.argmax(V, axis=1)]


def map_rows(est, X, what):
    """logits / predict_proba / predict_log_proba / predict of a Dask X, as a Dask array
    (one task per row chunk; W, b travel to the workers once)."""
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D with shape (N samples, m features); got {X.ndim}-D shape {X.shape}")
    if X.shape[1] != est.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but SoftmaxRegression is expecting "
                         f"{est.n_features_in_} features as input")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    W, b = est._numpy_coef()
    n = len(est.classes_)
    dtype = np.result_type(X.dtype if X.dtype.kind == "f" else np.float64, W.dtype)
    if what == "predict":
        return X.map_blocks(_predict_chunk, W, b, est.classes_, what, drop_axis=1, dtype=est.classes_.dtype)
    return X.map_blocks(_predict_chunk, W, b, est.classes_, what, chunks=(X.chunks[0], (n,)), dtype=dtype)
