"""scipy.sparse X (CSR / CSC, arrays and matrices): the proved gradient without densifying X.

Same formula as ``trainer.objective`` and ``trainer._kernel`` (labels out of the loop):
    dW = (1/N) (sum_k s_k p^k x^k^T - C) + l2 W,   C = Y^T X  (n x m, computed once),
    db = (1/N) (sum_k s_k p^k - Y^T 1),
    J  = (1/N) (sum_k s_k ln S_k - <W, C> - <b, Y^T 1>) + (l2/2) ||W||^2,
with V_blk = X_blk W^T + b (a sparse x dense product, B x n dense), the max-shifted softmax
(c_k = max_i V^k_i, ln S_k = c_k + ln sum_i e^{V^k_i - c_k}) and sum_k s_k p^k x^k^T over a
block as (X_blk^T (s p)_blk)^T (sparse^T x dense). X is processed in row blocks of B rows
that share X's own data / indices buffers (no copy), so the extra memory is O(B n + n m),
never N x m: memory O(nnz(X)) in all (CSC input is converted to CSR once: O(nnz) too).
"""

import math

import numpy as np

__all__ = ["SparseKernel", "is_sparse", "check_sparse_X"]

_BLOCK_ENTRIES = 1 << 16   # rows per block: about this many logits (B x n)


def is_sparse(X):
    """True for scipy.sparse arrays and matrices (without importing scipy)."""
    mod = type(X).__module__
    if not mod.startswith("scipy.sparse"):
        return False
    import scipy.sparse as sp
    return sp.issparse(X)


def check_sparse_X(X, *, name="X", n_features=None):
    """Validate a scipy.sparse X; return it as CSR with float32 / float64 data (not copied when
    already so), canonical (sorted, no duplicate entries summed twice later).

    Raises
    ------
    TypeError
        For sparse formats other than CSR / CSC (COO, LIL, DOK, BSR, DIA: convert with
        ``X.tocsr()``), and for non-numeric data.
    ValueError
        For NaN / infinity among the stored values (named by row and column), empty X, or a
        wrong number of features.
    """
    fmt = X.format
    if fmt not in ("csr", "csc"):
        raise TypeError(
            f"sparse {name} in {fmt.upper()} format is not supported; convert it with {name}.tocsr() "
            f"(CSR and CSC are accepted)"
        )
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape (N samples, m features); got shape {X.shape}")
    kind = X.dtype.kind
    if kind == "c":
        raise TypeError(f"Complex data not supported: {name} must be real; got complex dtype {X.dtype}")
    if kind not in "fiub":
        raise TypeError(f"sparse {name} must contain numbers; got dtype {X.dtype}")
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples (shape {X.shape})")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has 0 features (shape {X.shape})")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features, but SoftmaxRegression is expecting {n_features} features "
            f"as input (the model was fitted with {n_features} features)"
        )
    X = X.tocsr() if fmt == "csc" else X
    if X.dtype != dtype:
        X = X.astype(dtype)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    if X.nnz and not np.isfinite(X.data).all():
        at = int(np.flatnonzero(~np.isfinite(X.data))[0])
        row = int(np.searchsorted(X.indptr, at, side="right") - 1)
        what = "NaN" if np.isnan(X.data[at]) else "infinity"
        raise ValueError(f"{name} contains {what} (first at row {row}, column {int(X.indices[at])}); "
                         f"all features must be finite")
    return X


class SparseKernel:
    """J and (dW, db) over a CSR X, reused every pass; interface of ``BatchKernel``.

    Parameters
    ----------
    X : scipy.sparse CSR, shape (N, m), from :func:`check_sparse_X`
    codes, rows, n_classes, l2 : as for ``BatchKernel``.
    block : int or None
        Rows per block (default: about 65,536 logits per block).
    """

    def __init__(self, X, codes, rows, n_classes, l2, block=None):
        import scipy.sparse as sp

        N, m = X.shape
        n = n_classes
        self.X, self.N, self.m, self.n, self.l2, self.dtype = X, N, m, n, float(l2), X.dtype
        self.codes, self.rows = codes, rows
        self.s64 = None
        if codes is None:
            s = rows.sum(axis=1, dtype=np.float64)
            if not np.all(s == 1):
                self.s64 = s
        B = int(block or max(64, _BLOCK_ENTRIES // n))
        make = sp.csr_array if isinstance(X, sp.sparray) else sp.csr_matrix
        self.blocks = []
        for a in range(0, N, B):
            c = min(a + B, N)
            lo, hi = X.indptr[a], X.indptr[c]
            # a view of rows a..c: X's data and indices slices, indptr shifted (no copy of the data)
            Xb = make((X.data[lo:hi], X.indices[lo:hi], X.indptr[a:c + 1] - lo), shape=(c - a, m), copy=False)
            self.blocks.append((a, c, Xb))
        # C = Y^T X, Y^T 1 (float64), max_k ||x^k||
        self.C = np.zeros((n, m))
        self.ysum = np.zeros(n)
        for a, c, Xb in self.blocks:
            Yb = self._label_block(a, c, np.float64)
            self.C += np.asarray(Xb.T @ Yb).T
            self.ysum += Yb.sum(axis=0)
        row_of = np.repeat(np.arange(N), np.diff(X.indptr))          # ||x^k||^2 per row, O(nnz)
        sq = np.bincount(row_of, weights=np.square(X.data, dtype=np.float64), minlength=N)
        self.sq_sum = float(sq.sum())
        self.R = math.sqrt(float(sq.max())) if N else 0.0
        self.s_max = 1.0 if codes is not None else float(rows.sum(axis=1).max())

    def _label_block(self, a, c, dtype):
        """Y'_blk (c - a, n)."""
        if self.codes is not None:
            Y = np.zeros((c - a, self.n), dtype)
            Y[np.arange(c - a), self.codes[a:c]] = 1.0
            return Y
        return np.asarray(self.rows[a:c], dtype=dtype)

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def gram(self):
        """X~^T X~ for X~ = [X, 1], (m + 1, m + 1) float64 (dense: only for moderate m)."""
        m = self.m
        G = np.empty((m + 1, m + 1))
        X64 = self.X.astype(np.float64)
        G[:m, :m] = (X64.T @ X64).toarray()
        G[:m, m] = G[m, :m] = np.asarray(X64.sum(axis=0)).ravel()
        G[m, m] = self.N
        return G

    def lipschitz(self, l2, exact_max_features=2048):
        """L = (max_k s_k / 2) lambda_max(X~^T X~ / N) + l2 (trace bound when m is large)."""
        if self.m <= exact_max_features:
            lam = float(np.linalg.eigvalsh(self.gram() / self.N)[-1]) * (1 + 1e-9)
        else:
            lam = (self.sq_sum + self.N) / self.N
        return 0.5 * self.s_max * lam + float(l2)

    def __call__(self, W, b, dW, db, want_loss=True):
        """Fill dW (n, m), db (n,) with the gradient at (W, b); return J (or None)."""
        n, m = self.n, self.m
        Wt = np.ascontiguousarray(W.T)          # (m, n): X_blk W^T
        Pw = np.zeros((n, m))
        Pb = np.zeros(n)
        lnS = 0.0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for a, c, Xb in self.blocks:
                V = np.asarray(Xb @ Wt)             # (B, n) logits without b
                V += b
                cm = V.max(axis=1)
                V -= cm[:, None]
                np.exp(V, out=V)
                S = V.sum(axis=1)                   # S'_k = S_k e^{-c_k}
                r = 1.0 / S if self.s64 is None else self.s64[a:c] / S
                V *= r[:, None]                     # s_k p^k
                Pw += np.asarray(Xb.T @ V, dtype=np.float64).T   # sum_k s_k p^k x^k^T
                Pb += V.sum(axis=0, dtype=np.float64)
                if want_loss:
                    lnk = np.log(S.astype(np.float64)) + cm      # ln S_k
                    lnS += float(lnk.sum()) if self.s64 is None else float(self.s64[a:c] @ lnk)
            inv_n = 1.0 / self.N
            np.multiply(Pw - self.C, inv_n, out=dW, casting="unsafe")
            np.multiply(Pb - self.ysum, inv_n, out=db, casting="unsafe")
            if self.l2:
                dW += self.l2 * W
            if not want_loss:
                return None
            W64 = np.asarray(W, dtype=np.float64)
            data = (lnS - float(np.vdot(W64, self.C)) - float(np.asarray(b, np.float64) @ self.ysum)) * inv_n
        return data + 0.5 * self.l2 * float(np.vdot(W64, W64)) if self.l2 else data
