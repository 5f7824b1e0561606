"""Fast full-batch objective and gradient: the proved formula, laid out for speed.

Same math as ``trainer.objective``: with G_ki = p^k_i s_k - y'^k_i (s_k = sum_i y'^k_i),
dW = G^T X / N + l2 W, db = G^T 1 / N. Two identities take the labels out of the hot loop:

    G^T X = sum_k s_k p^k x^k^T - C,     C = Y^T X    (n x m, fixed for the fit),
    G^T 1 = sum_k s_k p^k - Y^T 1,
    sum_k -sum_i y'^k_i ln p^k_i = sum_k s_k ln S_k - <W, C> - <b, Y^T 1>
                                   (ln p^k_i = V^k_i - ln S_k, V^k = W x^k + b),

so no one-hot matrix and no per-example label lookup is needed per epoch; C, Y^T 1 are
computed once (in float64). Layout and scheduling:

* logits are kept class-major, V^T (n, B) = W X_blk^T, so the per-example reductions
  (sum over the n classes) run along axis 0 as n vectorised passes over rows of length B;
* examples are processed in row blocks small enough that OpenBLAS uses its small-matrix
  GEMM kernels and X_blk stays in cache between the forward GEMM, the softmax and the
  backward GEMM (sum_k p^k x^k^T over the block);
* "shift-free" softmax when it cannot overflow: |V^k_i| <= M := max_i ||w_i|| max_k ||x^k||
  + max_i |b_i| (Cauchy-Schwarz). If M is below a dtype-dependent limit, e^{V} is finite
  and normal without subtracting the row maximum, and the bias moves out of the loop:
  e^{V^k_i} = e^{b_i} e^{(W x^k)_i}, S_k = (e^b)^T e^{W x^k}, and e^{b_i} multiplies the
  accumulated sums once at the end. Otherwise the usual max-shifted softmax runs
  (c_k = max_i V^k_i, S_k = e^{c_k} sum_i e^{V^k_i - c_k}). ~5 NumPy calls per stack
  besides the two GEMMs, instead of ~15 per block: with Python threads, the time spent
  holding the GIL (and waiting for it) is what kept two threads from running twice as
  fast as one (measured: 2 threads no faster than 1 with ~15 calls per 546-row block);
* K consecutive equal blocks form a "stack", X_stack viewed as (K, B, m), processed by
  one stacked np.matmul per GEMM (OpenBLAS still runs K small GEMMs) and one call per
  elementwise step: fewer calls per row, hence less time holding the GIL (K ~ 2 x L2 /
  block size: X_stack stays in L2/L3 between the two GEMMs);
* stacks are grouped into chunks with one partial-sum slot each; threads (the caller's
  plus a pool) take the next chunk from a shared counter, so a thread that the OS
  deschedules (shared machines) does not hold up the epoch; the slots are summed in a
  fixed order, so results do not depend on the thread count or the schedule;
* every buffer is allocated once per fit: extra memory ~ threads x K x n x (B + m) + chunks x n x m
  (+ 2 N values for the loss when m >= 16), not N x n. The caller caps BLAS at one thread.
"""

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["BatchKernel", "available_cores", "block_rows"]


def available_cores():
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# OpenBLAS (NumPy's wheels, x86-64) switches to its small-matrix GEMM kernels when
# M*N*K is below about 1e6; for these thin products (n x m times m x B) they run about
# 1.4-2x faster per row than the general kernels (measured, 10 x 100 x B: float64 31 ms
# vs 43 ms per 200,000 rows for both GEMMs at B = 999 vs 1024; float32 18 vs 32 ms).
# Blocks are sized to stay below it.
SMALL_GEMM_LIMIT = 1_000_000


def _l2_cache_bytes():
    """Per-core L2 size from Linux sysfs, else 512 KiB."""
    try:
        with open("/sys/devices/system/cpu/cpu0/cache/index2/size") as fh:
            text = fh.read().strip().upper()
        scale = {"K": 1 << 10, "M": 1 << 20}.get(text[-1:], 1)
        size = int(text.rstrip("KM")) * scale
        return size if size >= 1 << 16 else 1 << 19
    except (OSError, ValueError):
        return 1 << 19


def block_rows(m, n, itemsize, cache_bytes=None):
    """Rows per block: X_blk (B x m) and V_blk^T (n x B) within ~``cache_bytes`` (default:
    the per-core L2 cache), and n * B * m below SMALL_GEMM_LIMIT when that still leaves
    >= 64 rows."""
    if cache_bytes is None:
        cache_bytes = _l2_cache_bytes()
    B = cache_bytes // (itemsize * (m + 2 * n))
    small = (SMALL_GEMM_LIMIT - 1) // (n * m)
    if 64 <= small < B:
        B = small
    return int(max(64, B))


def shift_free_limit(dtype, n):
    """Largest M = bound on |V| for which e^{V}, sums of n of them and their ratios
    stay finite and normal in ``dtype`` (with a wide margin)."""
    fi = np.finfo(dtype)
    return min(math.log(float(fi.max)), -math.log(float(fi.tiny))) / 2 - math.log(n) - 1.0


class _Worker:
    """Buffers of one thread (for stacks of up to K blocks of up to B rows)."""

    def __init__(self, n, m, B, K, dtype):
        self.n, self.m = n, m
        self.Vbuf = np.empty(K * n * B, dtype)  # V^T / P^T of one stack, (K, n, B) class-major
        self.S = np.empty(K * B, dtype)         # S_k (when not kept per example)
        self.c = np.empty(K * B, dtype)         # c_k = max_i V^k_i (idem)
        self.r = np.empty(K * B, dtype)         # s_k / S_k (soft labels)
        self.Tbuf = np.empty(K * n * m, dtype)  # P_blk^T X_blk per block of the stack
        self.tmp = np.empty((n, m), dtype)      # for chunks of > 1 stack
        self.tmpb = np.empty(n, dtype)
        self.loss = 0.0
        self._views = {}

    def views(self, K, L):
        """(V (K, n, L), T (K, n, m)) views into the buffers."""
        v = self._views.get((K, L))
        if v is None:
            n, m = self.n, self.m
            v = self._views[K, L] = (self.Vbuf[:K * n * L].reshape(K, n, L), self.Tbuf[:K * n * m].reshape(K, n, m))
        return v


class BatchKernel:
    """Objective J and gradient (dW, db) over a fixed training set, reused every epoch.

    Parameters
    ----------
    X : ndarray, shape (N, m), float32/float64, C-contiguous (not copied)
    codes : ndarray of intp, shape (N,) or None
        Hard labels (class indices).
    rows : ndarray, shape (N, n) or None
        Label rows y'^k (soft or one-hot); used when ``codes`` is None.
    n_classes : int
    l2 : float
    n_threads : int
        Threads over row blocks (1 = run inline; otherwise the calling thread plus
        ``n_threads - 1`` pool threads).
    block : int or None
        Rows per block (default: see :func:`block_rows`).
    stack : int or None
        Blocks per stack, K (default: X_stack ~ 2 x L2 cache, at most 8, and >= 16 stacks;
        not dependent on ``n_threads``, so neither are the results).
    chunk_budget : int or None
        Bytes for the per-chunk partial sums (default max(X.nbytes / 32, 1 MiB)): one
        chunk per stack if they fit, else >= 4 chunks per thread of consecutive stacks.
    """

    def __init__(self, X, codes, rows, n_classes, l2, n_threads=1, block=None, stack=None, chunk_budget=None):
        N, m = X.shape
        n = n_classes
        self.X, self.N, self.m, self.n, self.l2 = X, N, m, n, float(l2)
        self.dtype = X.dtype
        B = min(N, block or block_rows(m, n, X.dtype.itemsize))
        if n_threads <= 1 and N <= 2 * B and n * N * m < SMALL_GEMM_LIMIT:
            B = N  # small data: one block (per-block call overhead outweighs cache misses)
        self.B = B
        self.blocks = [(a, min(a + B, N)) for a in range(0, N, B)]
        T = max(1, min(int(n_threads), len(self.blocks)))
        self.codes, self.rows = codes, rows

        # s_k = sum_i y'^k_i (None when all 1, e.g. hard labels)
        self.s = self.s64 = None
        if codes is None:
            s = rows.sum(axis=1, dtype=np.float64)
            if not np.all(s == 1):
                self.s64 = s
                self.s = s.astype(X.dtype)

        # stacks (a, K, L): K consecutive blocks of L rows from row a; the last partial block alone
        full = N // B
        if stack is None:
            stack = (2 * _l2_cache_bytes()) // (B * m * X.dtype.itemsize)
            stack = min(stack, 8, full // 16)  # >= 16 stacks (load balance); independent of T
        K = max(1, int(stack))
        self.stacks = [(i * B, min(K, full - i), B) for i in range(0, full, K)]
        if N > full * B:
            self.stacks.append((full * B, 1, N - full * B))
        self.K = K
        # chunks of consecutive stacks, one partial-sum slot each (<= ~3% of X, >= 4 per thread)
        part = (n * m + n) * X.dtype.itemsize
        budget = max(X.nbytes // 32, 1 << 20) if chunk_budget is None else int(chunk_budget)
        n_chunks = len(self.stacks)
        if n_chunks * part > budget:
            n_chunks = min(n_chunks, max(4 * T, budget // part))
        per = -(-len(self.stacks) // n_chunks)
        self.chunks = [self.stacks[i:i + per] for i in range(0, len(self.stacks), per)]
        self.dW_parts = np.empty((len(self.chunks), n, m), X.dtype)
        self.db_parts = np.empty((len(self.chunks), n), X.dtype)
        # S_k and c_k per example (the loss is then summed once per epoch) when that is
        # small next to X (m >= 16); otherwise per block in the workers' buffers
        self.keep_rows = 2 * N * X.dtype.itemsize <= X.nbytes // 8
        if self.keep_rows:
            self.S_all = np.empty(N, X.dtype)
            self.c_all = np.empty(N, X.dtype)
        self.workers = [_Worker(n, m, B, K, X.dtype) for _ in range(T)]
        self.pool = ThreadPoolExecutor(T - 1) if T > 1 else None
        self.limit = shift_free_limit(X.dtype, n)
        # C = Y^T X, Y^T 1, max_k ||x^k||: computed at the first epoch, or together with the
        # Gram matrix (one pass over X for both) if gram() is called first
        self.C = self.ysum = self.R = None

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- one-off passes over X --------------------------------------------------
    def _map(self, run, n_groups):
        """[run(blocks of group 0), run(group 1), ...] for ``n_groups`` fixed groups of
        consecutive blocks, computed by all threads; the grouping does not depend on the
        thread count, so neither do sums taken over the list in order."""
        per = -(-len(self.blocks) // max(1, min(n_groups, len(self.blocks))))
        groups = [self.blocks[i:i + per] for i in range(0, len(self.blocks), per)]
        out = [None] * len(groups)
        ids = iter(range(len(groups)))

        def work():
            for j in ids:
                out[j] = run(groups[j])

        futures = [] if self.pool is None else [self.pool.submit(work) for _ in self.workers[1:]]
        try:
            work()
        finally:
            for f in futures:
                f.result()
        return out

    def _prepare_run(self, blocks, want_C, want_G):
        """Over ``blocks``, in float64: C = Y^T X (n x m), Y^T 1 (n,), max_k ||x^k||^2 if
        ``want_C``; X~^T X~ without its corner (m+1 x m+1) if ``want_G``."""
        n, m = self.n, self.m
        C, ysum, R2 = np.zeros((n, m)), np.zeros(n), 0.0
        G = np.zeros((m + 1, m + 1)) if want_G else None
        for a, c in blocks:
            Xb = self.X[a:c].astype(np.float64, copy=False)  # accumulate in float64
            if want_C:
                if self.codes is not None:
                    Yb = np.zeros((n, c - a))
                    Yb[self.codes[a:c], np.arange(c - a)] = 1.0   # one-hot of this block only
                else:
                    Yb = np.asarray(self.rows[a:c].T, dtype=np.float64)
                C += Yb @ Xb
                ysum += Yb.sum(axis=1)
                R2 = max(R2, float(np.einsum("ij,ij->i", Xb, Xb).max()))
            if want_G:
                G[:m, :m] += Xb.T @ Xb             # X_blk^T X_blk (SYRK, block in cache)
                G[:m, m] += Xb.sum(axis=0)         # X_blk^T 1
        return C, ysum, R2, G

    def _prepare(self, want_G):
        """One pass over X for C, Y^T 1, R (if not yet known) and the Gram matrix (if asked),
        over fixed groups of blocks summed in order (independent of the thread count)."""
        want_C = self.C is None
        n_groups = 8
        if want_G:  # fewer groups if their (m+1) x (m+1) partial sums would exceed X / 8
            n_groups = min(8, max(1, self.X.nbytes // 8 // (8 * (self.m + 1) ** 2)))
        parts = self._map(lambda blocks: self._prepare_run(blocks, want_C, want_G), n_groups)
        if want_C:
            self.C = sum(p[0] for p in parts)
            self.ysum = sum(p[1] for p in parts)
            self.R = math.sqrt(max(p[2] for p in parts))
        if want_G:
            G = sum(p[3] for p in parts)
            G[self.m, :self.m] = G[:self.m, self.m]
            G[self.m, self.m] = self.N             # 1^T 1
            return G
        return None

    def gram(self):
        """X~^T X~ for X~ = [X, 1], shape (m + 1, m + 1), float64, over the same row
        blocks and threads as the epochs (BLAS single-threaded, no N x m temporary)."""
        return self._prepare(True)

    # -- one thread's share of an epoch --------------------------------------
    def _work(self, wk, chunk_ids, W, b, eb, shift_free, want_loss):
        X, s, keep, m = self.X, self.s, self.keep_rows, self.m
        b3 = b[None, :, None]
        total = 0.0
        for j in chunk_ids:  # shared iterator: the next chunk nobody has taken
            dWp, dbp = self.dW_parts[j], self.db_parts[j]
            first = True
            for a, K, L in self.chunks[j]:
                c = a + K * L
                X3 = X[a:c].reshape(K, L, m)           # K blocks x^k, a view
                V, T = wk.views(K, L)                  # (K, n, L), (K, n, m)
                S = self.S_all[a:c] if keep else wk.S[:K * L]
                S3 = S.reshape(K, L)
                np.matmul(W, X3.transpose(0, 2, 1), out=V)  # V^T = W X_blk^T per block (W column-major: faster GEMM)
                if shift_free:
                    np.exp(V, out=V)                   # e^{(W x^k)_i}, finite: |V| <= M
                    np.matmul(eb, V, out=S3)           # S_k = sum_i e^{b_i} e^{(W x^k)_i}
                else:
                    cm = self.c_all[a:c] if keep else wk.c[:K * L]
                    cm3 = cm.reshape(K, L)
                    V += b3                            # V_ik = (W x^k)_i + b_i
                    np.max(V, axis=1, out=cm3)         # c_k = max_i V_ik
                    V -= cm3[:, None, :]               # V_ik - c_k <= 0
                    np.exp(V, out=V)
                    np.sum(V, axis=1, out=S3)          # S'_k = S_k e^{-c_k} >= 1
                if s is None:
                    V /= S3[:, None, :]                # p_ik (shift-free: p_ik / e^{b_i})
                else:
                    r = wk.r[:K * L].reshape(K, L)
                    np.divide(s[a:c].reshape(K, L), S3, out=r)
                    V *= r[:, None, :]                 # s_k p_ik
                np.matmul(V, X3, out=T)                # sum_k s_k p^k x^k^T per block
                if first:
                    np.sum(T, axis=0, out=dWp)
                    np.sum(V, axis=(0, 2), out=dbp)    # sum_k s_k p^k
                    first = False
                else:
                    np.sum(T, axis=0, out=wk.tmp)
                    dWp += wk.tmp
                    np.sum(V, axis=(0, 2), out=wk.tmpb)
                    dbp += wk.tmpb
                if want_loss and not keep:
                    total += self._lnS_sum(S, None if shift_free else cm, a, c)
        wk.loss = total

    def _lnS_sum(self, S, cm, a, c):
        """sum_k s_k ln S_k over examples a..c (S holds S_k, or S'_k with cm = c_k)."""
        np.log(S, out=S)
        if cm is not None:
            S += cm                                    # ln S_k = ln S'_k + c_k
        if self.s64 is None:
            return float(np.sum(S, dtype=np.float64))
        return float(self.s64[a:c] @ S.astype(np.float64))

    def __call__(self, W, b, dW, db, want_loss=True):
        """Fill dW (n, m), db (n,) with the gradient at (W, b); return J (or None).

        dW = (1/N) (sum_k s_k p^k x^k^T - Y^T X) + l2 W,  db = (1/N) (sum_k s_k p^k - Y^T 1),
        J = (1/N) (sum_k s_k ln S_k - <W, Y^T X> - <b, Y^T 1>) + (l2/2) ||W||^2.
        """
        if self.C is None:
            self._prepare(False)
        W64 = np.asarray(W, dtype=np.float64)
        b64 = np.asarray(b, dtype=np.float64)
        M = float(np.sqrt(np.einsum("ij,ij->i", W64, W64).max())) * self.R + float(np.abs(b64).max())
        shift_free = bool(M <= self.limit)   # also False for NaN
        eb = np.exp(b).astype(self.dtype) if shift_free else None
        Wf = np.asfortranarray(W)  # n x m copy; OpenBLAS runs W X^T faster with W column-major
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            chunk_ids = iter(range(len(self.chunks)))
            args = (chunk_ids, Wf, b, eb, shift_free, want_loss)
            if self.pool is None:
                self._work(self.workers[0], *args)
            else:
                futures = [self.pool.submit(self._work, wk, *args) for wk in self.workers[1:]]
                try:
                    self._work(self.workers[0], *args)
                finally:
                    for f in futures:
                        f.result()
            # fixed-order sums of the per-chunk slots: independent of the schedule
            Pw = self.dW_parts.sum(axis=0, dtype=np.float64)
            Pb = self.db_parts.sum(axis=0, dtype=np.float64)
            if shift_free:
                eb64 = np.exp(b64)
                Pw *= eb64[:, None]                    # p_ik = e^{b_i} (e^{(W x^k)_i} / S_k)
                Pb *= eb64
            inv_n = 1.0 / self.N
            np.multiply(Pw - self.C, inv_n, out=dW, casting="unsafe")
            np.multiply(Pb - self.ysum, inv_n, out=db, casting="unsafe")
            if self.l2:
                dW += self.l2 * W
            if not want_loss:
                return None
            if self.keep_rows:
                lnS = self._lnS_sum(self.S_all, None if shift_free else self.c_all, 0, self.N)
            else:
                lnS = sum(wk.loss for wk in self.workers)
            data = (lnS - float(np.vdot(W64, self.C)) - float(b64 @ self.ysum)) * inv_n
        return data + 0.5 * self.l2 * float(np.vdot(W64, W64)) if self.l2 else data
