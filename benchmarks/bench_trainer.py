"""Side-by-side speed / memory figures for trainer/ (issue 4). Not a test: prints ratios.

    python benchmarks/bench_trainer.py [--rows 200000] [--repeats 5] [--skip-sklearn]

1. full-batch epoch (N x 100, 10 classes, float64/float32) vs the two GEMMs alone
   (X W^T and G^T X at full size, with the best of 1 / all-core / default BLAS threading
   and of row- / class-major logits) measured in the same run, and vs a straightforward
   vectorised epoch;
2. extra peak memory of fit (tracemalloc) as a share of X, vs a naive fit;
3. digits: time for SoftmaxRegression to reach >= 0.95 test accuracy vs scikit-learn's
   LogisticRegression().fit (BLAS capped at one thread, and default threading);
4. SGD: one epoch of trainer's vectorised one-example updates vs the textbook Python
   double loop over w_ij (the seed's pseudo-code), on digits;
5. time to the optimum (issue 10): on digits, 30,000 x 300 x 10 and 100,000 x 784 x 10
   (synthetic, see ``synthetic``), the time each solver needs to reach the objective gap
   J - J* that scikit-learn's LogisticRegression() reaches at its defaults: the trainer's
   default (lbfgs, whitened coordinates: trainer._whiten) with its row threads and with
   n_threads=1, L-BFGS as it was before (no whitening, no class-prior start), the default
   fit at its default tol=1e-4 (no callback: its own stopping test, and the gap it lands at),
   Barzilai-Borwein gradient descent, scikit-learn's lbfgs, torch.optim.LBFGS if
   installed; BLAS at one thread. J - J* is recomputed in float64 from the returned
   coefficients;
6. sparse CSR (TF-IDF-like): the same comparison against scikit-learn on the same CSR, and
   the extra peak memory of a fit against the size of the CSR arrays;
7. Dask on a LocalCluster (2 worker processes): fit time against NumPy on the same data,
   and the client process's memory during fit against the size of X (made on the workers).

    python benchmarks/bench_trainer.py --only 5,6,7 [--no-big] [--dask-rows 400000]

Timings are best-of-``repeats`` wall times (medians also shown); in sections 1 and 3 the
configurations run round-robin (interleaved), so load from other processes on a shared
machine hits all of them alike.
"""

import argparse
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0])

from trainer import SoftmaxRegression  # noqa: E402
from trainer._kernel import BatchKernel, available_cores, block_rows  # noqa: E402
from trainer._sgd import sgd_epoch  # noqa: E402
from trainer._threads import blas_capped, fit_threads  # noqa: E402


def best(f, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def ms(t):
    return f"{t * 1e3:9.2f} ms"


def naive_epoch(X, y, W, b, alpha):
    """Straightforward vectorised full-batch step (row-major logits, one-hot matrix, loss)."""
    N = X.shape[0]
    V = X @ W.T + b
    V -= V.max(axis=1, keepdims=True)
    P = np.exp(V)
    P /= P.sum(axis=1, keepdims=True)
    Y = np.eye(W.shape[0])[y]
    loss = -np.mean(np.sum(Y * np.log(np.maximum(P, 1e-300)), axis=1))
    G = P - Y
    W -= alpha * (G.T @ X) / N
    b -= alpha * G.sum(axis=0) / N
    return loss


SETTLE = 0.12  # s; > OpenBLAS's idle-thread spin time (2^28 cycles), see interleaved()


def interleaved(configs, repeats):
    """Best-of and median wall times per configuration, run round-robin (each repeat runs
    every configuration once) so that load from other processes hits all of them alike.
    ``configs``: name -> (function, threadpoolctl limit or None). Before each timing the
    process sleeps SETTLE seconds: OpenBLAS worker threads busy-wait for ~0.1 s after a
    multi-threaded call, and would otherwise take a core from whatever runs next."""
    from threadpoolctl import threadpool_limits

    ts = {name: [] for name in configs}
    for _ in range(repeats):
        for name, (f, limit) in configs.items():
            with threadpool_limits(limits=limit, user_api="blas"):
                time.sleep(SETTLE)
                t = time.perf_counter()
                f()
                ts[name].append(time.perf_counter() - t)
    return {name: (min(v), float(np.median(v))) for name, v in ts.items()}


def section_epoch(rows, repeats):
    rng = np.random.default_rng(0)
    N, m, n = rows, 100, 10
    cores = available_cores()
    print(f"\n== 1. full-batch epoch, {N} x {m}, {n} classes ({cores} cores) ==")
    print("reference = the two GEMMs alone at full size, X W^T (logits row-major N x n, or class-major\n"
          f"n x N as W X^T) and G^T X, with BLAS at 1 / {cores} / its default threads; the fastest of\n"
          "these configurations (best-of per configuration, all configurations interleaved).")
    y = rng.integers(0, n, N)
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        X = rng.normal(size=(N, m)).astype(dtype)
        W = (rng.normal(size=(n, m)) * 0.1).astype(dtype)
        b = np.zeros(n, dtype)
        V = np.empty((N, n), dtype)
        VT = np.empty((n, N), dtype)
        G = np.empty((n, m), dtype)
        dW, db = np.empty_like(W), np.empty_like(b)
        row_major = lambda: (np.dot(X, W.T, out=V), np.dot(V.T, X, out=G))   # noqa: E731
        class_major = lambda: (np.dot(W, X.T, out=VT), np.dot(VT, X, out=G))  # noqa: E731
        with blas_capped() as capped:
            B = block_rows(m, n, X.dtype.itemsize)
            T = fit_threads(None, -(-N // B), N * m, capped)
            k = BatchKernel(X, y.astype(np.intp), None, n, 1e-4, n_threads=T, block=B)
            k1 = BatchKernel(X, y.astype(np.intp), None, n, 1e-4, n_threads=1, block=B)
        configs = {}
        for limit in sorted({1, cores}):
            configs[f"GEMMs row-major, BLAS {limit} thr"] = (row_major, limit)
            configs[f"GEMMs class-major, BLAS {limit} thr"] = (class_major, limit)
        configs["GEMMs row-major, BLAS default"] = (row_major, None)
        gemm_names = list(configs)
        configs["straightforward vectorised epoch"] = (lambda: naive_epoch(X, y, W.copy(), b.copy(), 0.1), None)
        configs[f"trainer epoch, loss+grad, {T} thr"] = (lambda: k(W, b, dW, db), 1)
        configs[f"trainer epoch, grad only, {T} thr"] = (lambda: k(W, b, dW, db, want_loss=False), 1)
        configs["trainer epoch, loss+grad, 1 thr"] = (lambda: k1(W, b, dW, db), 1)
        try:
            res = interleaved(configs, repeats)
        finally:
            k.close()
            k1.close()
        ref_name = min(gemm_names, key=lambda c: res[c][0])
        ref = res[ref_name][0]
        print(f"[{name}] {'configuration':42s} {'best':>9s}    {'median':>9s}   best / reference")
        for c, (t_best, t_med) in res.items():
            mark = "  <- reference" if c == ref_name else ""
            goal = "  (goal <= 1.00)" if c.startswith("trainer epoch, loss+grad") and f"{T} thr" in c else ""
            print(f"[{name}] {c:42s} {ms(t_best)} {ms(t_med)}   {t_best / ref:5.2f}{mark}{goal}")
        naive = res["straightforward vectorised epoch"][0]
        ours = res[f"trainer epoch, loss+grad, {T} thr"][0]
        print(f"[{name}] trainer epoch (B={B} rows/block) is {naive / ours:.2f}x faster than the straightforward one")
        fit_t = best(lambda: SoftmaxRegression(max_epochs=10, tol=0).fit(X, y), max(1, repeats // 2))
        print(f"[{name}] fit(max_epochs=10), incl. validation and the one setup pass over X (Y^T X, Gram matrix): "
              f"{ms(fit_t)}   ({fit_t / 10 / ref:.2f} x reference per epoch)")


def naive_fit(X, y, epochs):
    W = np.zeros((10, X.shape[1]))
    b = np.zeros(10)
    for _ in range(epochs):
        naive_epoch(X, y, W, b, 0.1)


def section_memory(rows):
    rng = np.random.default_rng(1)
    N, m, n = rows, 100, 10
    X = rng.normal(size=(N, m))
    y = rng.integers(0, n, N)
    print(f"\n== 2. extra peak memory during fit ({N} x {m} float64, X = {X.nbytes / 2**20:.1f} MiB) ==")
    SoftmaxRegression(max_epochs=2, tol=0).fit(X[:1000], y[:1000])  # warm imports
    for name, run in (
        ("trainer fit (lbfgs, 5 passes)", lambda: SoftmaxRegression(max_epochs=5, tol=0).fit(X, y)),
        ("trainer fit (batch, 5 epochs)", lambda: SoftmaxRegression(method="batch", max_epochs=5, tol=0).fit(X, y)),
        ("trainer fit (sgd, 1 epoch)", lambda: SoftmaxRegression(method="sgd", max_epochs=1, tol=0).fit(X[: N // 20], y[: N // 20])),
        ("naive vectorised fit (5 epochs)", lambda: naive_fit(X, y, 5)),
    ):
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        run()
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        xb = X.nbytes if "sgd" not in name else X[: N // 20].nbytes
        print(f"{name:34s} extra peak {peak / 2**20:8.2f} MiB = {100 * peak / xb:5.1f}% of X   goal <= 25%")


def section_digits(repeats, skip_sklearn):
    try:
        from sklearn.datasets import load_digits
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        print("\n== 3./4. digits: scikit-learn not installed, skipped ==")
        return None
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
    sc = StandardScaler().fit(Xtr)
    Xtr, Xte = sc.transform(Xtr), sc.transform(Xte)
    print(f"\n== 3. digits ({Xtr.shape[0]} train x {Xtr.shape[1]}), time to >= 0.95 test accuracy ==")
    import warnings
    SoftmaxRegression().fit(Xtr, ytr)  # warm (threadpoolctl scan, imports)
    reps = 4 * repeats  # digits fits take milliseconds: more repeats, less noise

    def first_reaching(make, limit):
        for epochs in range(1, limit):
            if make(epochs).fit(Xtr, ytr).score(Xte, yte) >= 0.95:
                return epochs
        return None

    X32 = Xtr.astype(np.float32)
    k = first_reaching(lambda e: SoftmaxRegression(max_epochs=e, tol=0), 400)
    k_nes = first_reaching(lambda e: SoftmaxRegression(method="batch", accelerate="nesterov", max_epochs=e, tol=0),
                           400)
    kmb = first_reaching(lambda e: SoftmaxRegression(method="minibatch", max_epochs=e, random_state=0), 50)
    models = {"lbfgs": SoftmaxRegression(), "bb": SoftmaxRegression(method="batch"),
              "nesterov": SoftmaxRegression(method="batch", accelerate="nesterov"), "lbfgs32": SoftmaxRegression()}
    configs = {}
    if not skip_sklearn:
        configs["sklearn LogisticRegression().fit"] = (lambda: LogisticRegression().fit(Xtr, ytr), 1)
    configs[f"trainer default fit(max_epochs={k}): first >= 0.95"] = (
        lambda: SoftmaxRegression(max_epochs=k, tol=0).fit(Xtr, ytr), None)
    configs[f"trainer nesterov fit(max_epochs={k_nes}): first >= 0.95"] = (
        lambda: SoftmaxRegression(method="batch", accelerate="nesterov", max_epochs=k_nes, tol=0).fit(Xtr, ytr), None)
    configs["trainer default fit to tol 1e-4 (L-BFGS)"] = (lambda: models["lbfgs"].fit(Xtr, ytr), None)
    configs["trainer batch fit to tol 1e-4 (Barzilai-Borwein)"] = (lambda: models["bb"].fit(Xtr, ytr), None)
    configs["trainer nesterov fit to tol 1e-4"] = (lambda: models["nesterov"].fit(Xtr, ytr), None)
    configs["trainer default fit to tol 1e-4, float32"] = (lambda: models["lbfgs32"].fit(X32, ytr), None)
    if kmb is not None:
        configs[f"trainer minibatch fit(max_epochs={kmb}): first >= 0.95"] = (
            lambda: SoftmaxRegression(method="minibatch", max_epochs=kmb, random_state=0).fit(Xtr, ytr), None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's ConvergenceWarning
        res = interleaved(configs, reps)
        if not skip_sklearn:
            skd = best(lambda: LogisticRegression().fit(Xtr, ytr), repeats)
            acc = LogisticRegression().fit(Xtr, ytr).score(Xte, yte)
    print("(BLAS 1 thread for scikit-learn; the trainer caps BLAS itself; configurations interleaved)")
    sk1 = res["sklearn LogisticRegression().fit"][0] if not skip_sklearn else None
    print(f"{'configuration':55s} {'best':>9s}    {'median':>9s}")
    for c, (t_best, t_med) in res.items():
        line = f"{c:55s} {ms(t_best)} {ms(t_med)}"
        if c.startswith("sklearn"):
            line += f"   test acc {acc:.4f}"
        elif sk1:
            line += f"   {t_best / sk1:.2f} x sklearn" + ("  (goal <= 0.50)" if "default fit(max" in c else "")
        print(line)
    for name, dt in (("lbfgs", np.float64), ("bb", np.float64), ("nesterov", np.float64), ("lbfgs32", np.float32)):
        mdl = models[name]
        print(f"  {name:8s} to tol 1e-4: {mdl.n_iter_} epochs, test acc {mdl.score(Xte.astype(dt), yte):.4f}")
    if not skip_sklearn:
        print(f"sklearn LogisticRegression().fit, default BLAS threads {ms(skd)}")
    return Xtr, ytr


def textbook_sgd_epoch(X, y, W, b, alpha, order):
    """The seed's pseudo-code: for each example k, for each w_ij, w_ij += alpha x_j (y'_i - p_i)."""
    n, m = W.shape
    for k in order:
        x = X[k]
        V = W @ x + b
        e = np.exp(V - V.max())
        p = e / e.sum()
        for i in range(n):
            r = (1.0 if y[k] == i else 0.0) - p[i]
            for j in range(m):
                W[i, j] += alpha * x[j] * r
            b[i] += alpha * r


def simple_vectorised_sgd_epoch(X, y, W, b, alpha, order):
    """Per-example vectorised update written plainly (the issue's 9.6 ms reference)."""
    for k in order:
        x = X[k]
        V = W @ x + b
        p = np.exp(V - V.max())
        p /= p.sum()
        p[y[k]] -= 1.0
        W -= alpha * np.outer(p, x)
        b -= alpha * p


def section_sgd(data, repeats):
    if data is None:
        return
    Xtr, ytr = data
    N, m = Xtr.shape
    n = 10
    print(f"\n== 4. one SGD epoch on digits ({N} one-example updates of a {n} x {m} W) ==")
    order = np.random.default_rng(0).permutation(N)
    sub = order[:150]  # the textbook loop is timed on 150 examples and scaled to N
    W, b = np.zeros((n, m)), np.zeros(n)
    t_text = best(lambda: textbook_sgd_epoch(Xtr, ytr, W, b, 0.01, sub), 1) * N / len(sub)
    t_simple = best(lambda: simple_vectorised_sgd_epoch(Xtr, ytr, W, b, 0.01, order), repeats)
    codes = ytr.astype(np.intp)
    t_ours = best(lambda: sgd_epoch(Xtr, codes, None, None, order, W, b, 0.01, 1e-4), repeats)
    print(f"textbook double loop over w_ij (scaled from 150) {ms(t_text)}")
    print(f"plain per-example vectorised update              {ms(t_simple)}   ({t_text / t_simple:5.1f}x faster)")
    print(f"trainer sgd epoch                                {ms(t_ours)}   ({t_text / t_ours:5.1f}x faster)  goal >= 15x")


# -- time to the optimum (issue 10) ----------------------------------------------------------
def synthetic(N, m, n, seed=0):
    """Correlated Gaussian features (standardized), labels drawn from a softmax model:
    X = Z A (A random mixing, then per-column standardized), y = argmax(X W*^T + Gumbel)."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, m)) / np.sqrt(m) + np.eye(m)
    X = rng.normal(size=(N, m)) @ A
    X -= X.mean(axis=0)
    X /= X.std(axis=0)
    W = rng.normal(size=(n, m)) * (2.0 / np.sqrt(m))
    y = np.argmax(X @ W.T + rng.gumbel(size=(N, n)), axis=1)
    return X, y


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    Xtr, _, ytr, _ = train_test_split(X, y, test_size=0.25, random_state=0)
    return StandardScaler().fit_transform(Xtr), ytr


class _StopAt:
    """Callback: stop fit once the evaluated loss is <= target."""

    def __init__(self, target):
        self.target = target

    def __call__(self, info):
        return info.loss <= self.target


def _torch_lbfgs_to(X, y, l2, target, max_iter=2000):
    """torch.optim.LBFGS (strong Wolfe line search, history 10) on the same objective, float64,
    1 thread; returns (seconds, passes, J) when J <= target or max_iter passes ran."""
    import torch

    torch.set_num_threads(1)
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(np.int64))
    n = int(y.max()) + 1
    t0 = time.perf_counter()
    W = torch.zeros((n, X.shape[1]), dtype=torch.float64, requires_grad=True)
    b = torch.zeros(n, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([W, b], lr=1, max_iter=max_iter, history_size=10, line_search_fn="strong_wolfe",
                            tolerance_grad=0, tolerance_change=0)
    passes = [0]
    state = {"J": float("inf")}

    class Done(Exception):
        pass

    def closure():
        opt.zero_grad()
        J = torch.nn.functional.cross_entropy(Xt @ W.T + b, yt) + 0.5 * l2 * (W * W).sum()
        J.backward()
        passes[0] += 1
        value = float(J.detach())
        state["J"] = min(state["J"], value)
        if value <= target:
            raise Done
        return J

    try:
        opt.step(closure)
    except Done:
        pass
    return time.perf_counter() - t0, passes[0], state["J"]


def _objective(X, y, W, b, l2):
    """J(W, b) on dense or sparse X (trainer.loss, or the sparse kernel: the same formula)."""
    from trainer import loss
    from trainer._sparse import SparseKernel, check_sparse_X, is_sparse

    if not is_sparse(X):
        return loss(W, b, X, y, l2=l2)
    kernel = SparseKernel(check_sparse_X(X), y.astype(np.intp), None, W.shape[0], l2)
    return kernel(W, b, np.empty_like(W), np.empty_like(b))


def _as_before(fit):
    """Run ``fit()`` with L-BFGS as it was before trainer._whiten: original coordinates,
    start at W = 0, b = 0 (the same objective and stopping test)."""
    import trainer._fitting as fitting

    saved = fitting.whitening_for, fitting._start
    fitting.whitening_for = lambda *a, **k: None
    fitting._start = lambda kernel, W, b: (W, b)
    try:
        return fit()
    finally:
        fitting.whitening_for, fitting._start = saved


def time_to_optimum(name, X, y, repeats, with_torch=True):
    """Time for each solver to reach the objective gap J - J* that scikit-learn's
    LogisticRegression() (lbfgs, defaults: C=1, tol=1e-4, max_iter=100) reaches, J* from a
    tight L-BFGS run; same objective (l2 = 1 / (C N)), BLAS at one thread for all."""
    import warnings

    from threadpoolctl import threadpool_limits

    from sklearn.linear_model import LogisticRegression

    N, m = X.shape
    n = int(y.max()) + 1
    l2 = 1.0 / N
    print(f"\n-- {name}: {N} x {m}, {n} classes, l2 = 1/N (scikit-learn's C = 1) --")
    with threadpool_limits(1, "blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tight = 1e-8 if N * m < 10**7 else 1e-6  # (J - J* at that gradient: far below scikit-learn's gap)
        t_ref = time.perf_counter()
        ref = SoftmaxRegression(l2=l2, tol=tight, max_epochs=3000).fit(X, y)
        t_ref = time.perf_counter() - t_ref
        J_star = ref.loss_
        sk = LogisticRegression().fit(X, y)
        J_sk = _objective(X, y, sk.coef_, sk.intercept_, l2)
        gap = J_sk - J_star
        target = J_star + gap
        print(f"J* = {J_star:.10f} (L-BFGS to max|grad| < {tight:g}, {ref.n_iter_} passes, {t_ref:.1f} s); "
              f"scikit-learn's default fit "
              f"reaches J - J* = {gap:.3g} in {int(np.max(sk.n_iter_))} iterations")
        configs = {
            "scikit-learn LogisticRegression() (lbfgs)": lambda: LogisticRegression().fit(X, y),
            "trainer default (lbfgs)": lambda: SoftmaxRegression(l2=l2, tol=0, callback=_StopAt(target)).fit(X, y),
            "trainer lbfgs, n_threads=1": lambda: SoftmaxRegression(l2=l2, tol=0, n_threads=1,
                                                                     callback=_StopAt(target)).fit(X, y),
            "trainer lbfgs as before (b=0, unwhitened)": lambda: _as_before(
                lambda: SoftmaxRegression(l2=l2, tol=0, callback=_StopAt(target)).fit(X, y)),
            "trainer default fit, tol=1e-4 (no callback)": lambda: SoftmaxRegression(l2=l2).fit(X, y),
            "trainer batch (Barzilai-Borwein)": lambda: SoftmaxRegression(method="batch", l2=l2, tol=0,
                                                                          max_epochs=5000,
                                                                          callback=_StopAt(target)).fit(X, y),
        }
        results = {}
        times = {k: [] for k in configs}
        for _ in range(repeats):                       # interleaved: load hits all alike
            for k, f in configs.items():
                time.sleep(SETTLE)
                t0 = time.perf_counter()
                results[k] = f()
                times[k].append(time.perf_counter() - t0)
    ref_t = min(times["scikit-learn LogisticRegression() (lbfgs)"])
    print(f"{'solver':44s} {'best':>10s} {'median':>10s}  passes   J - J*      x scikit-learn (best, median)")
    for k, ts in times.items():
        r = results[k]
        if k.startswith("scikit"):
            passes, J = int(np.max(r.n_iter_)), J_sk
        else:   # J of the returned coefficients, recomputed in float64 (not the fit's own report)
            passes, J = r.n_iter_, _objective(X, y, r.coef_.astype(np.float64), r.intercept_.astype(np.float64), l2)
        goal = "  (goal <= 0.50)" if k == "trainer default (lbfgs)" else ""
        miss = "  NOT at the gap" if J - J_star > gap * (1 + 1e-9) else ""
        print(f"{k:44s} {ms(min(ts))} {ms(float(np.median(ts)))}  {passes:6d}   {J - J_star:9.3g}   "
              f"{min(ts) / ref_t:5.2f} {float(np.median(ts)) / float(np.median(times['scikit-learn LogisticRegression() (lbfgs)'])):5.2f}"
              f"{goal}{miss}")
    if with_torch:
        try:
            import torch  # noqa: F401
        except ImportError:
            print("torch LBFGS: torch not installed, skipped")
        else:
            runs = [_torch_lbfgs_to(X, y, l2, target) for _ in range(max(1, repeats // 2))]
            t, passes, J = min(runs)
            print(f"{'torch.optim.LBFGS (strong Wolfe), 1 thread':44s} {ms(t)} {ms(float(np.median([r[0] for r in runs])))}"
                  f"  {passes:6d}   {J - J_star:9.3g}   {t / ref_t:5.2f}")


def section_optimum(repeats, big):
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("\n== 5. time to the optimum: scikit-learn not installed, skipped ==")
        return
    print("\n== 5. time to scikit-learn's objective gap (BLAS 1 thread; trainer: its own row threads, "
          "BLAS capped at 1) ==")
    Xd, yd = _digits()
    time_to_optimum("digits", Xd, yd, 5 * repeats)
    X, y = synthetic(30_000, 300, 10)
    time_to_optimum("synthetic", X, y, max(1, repeats // 2))
    if big:
        X, y = synthetic(100_000, 784, 10, seed=1)
        time_to_optimum("synthetic, MNIST-sized", X, y, 1)


def tfidf_like(N, m, n, per_row, seed=0):
    """CSR with ~per_row entries per row (Zipf-distributed columns, TF-IDF-like weights, rows
    L2-normalised), labels from a sparse softmax model."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    cols = np.minimum(rng.zipf(1.3, size=N * per_row) - 1, m - 1)
    rows = np.repeat(np.arange(N), per_row)
    X = sp.csr_matrix((rng.random(N * per_row) + 0.1, (rows, cols)), shape=(N, m))
    X.sum_duplicates()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.csr_matrix(sp.diags(1.0 / norms) @ X)
    W = rng.normal(size=(n, m)) * 3
    y = np.argmax(np.asarray(X @ W.T) + rng.gumbel(size=(N, n)), axis=1)
    return X, y


def section_sparse(repeats):
    try:
        import scipy.sparse  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError:
        print("\n== 6. sparse: scipy / scikit-learn not installed, skipped ==")
        return
    X, y = tfidf_like(20_000, 10_000, 10, 40)
    print(f"\n== 6. sparse CSR (TF-IDF-like, nnz = {X.nnz}, {100 * X.nnz / (X.shape[0] * X.shape[1]):.2f}% dense; "
          f"dense it would be {X.shape[0] * X.shape[1] * 8 / 2**30:.1f} GiB) ==")
    time_to_optimum("sparse CSR", X, y, max(1, repeats // 2), with_torch=False)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    SoftmaxRegression(l2=1.0 / X.shape[0], max_epochs=5, tol=0).fit(X, y)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    nnz_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    n = int(y.max()) + 1
    lbfgs_bytes = 2 * 10 * (n * X.shape[1] + n) * 8
    print(f"extra peak memory of a 5-pass fit: {peak / 2**20:.1f} MiB = {peak / nnz_bytes:.2f} x the CSR arrays "
          f"({nnz_bytes / 2**20:.1f} MiB), of which the L-BFGS memory (10 pairs of W-sized vectors) is "
          f"{lbfgs_bytes / 2**20:.1f} MiB; never N x m ({X.shape[0] * X.shape[1] * 8 / 2**20:.0f} MiB)")


def _dask_fit_in_client(address, N, m, n, chunk, queue):
    """Runs in a fresh client process: X made on the workers, fit, report peak RSS growth."""
    import resource

    import dask.array as da
    from distributed import Client

    with Client(address) as client:  # noqa: F841
        rs = da.random.RandomState(0)
        X = rs.normal(size=(N, m), chunks=(chunk, m))
        W = rs.normal(size=(m, n), chunks=(m, n))
        y = da.argmax(X @ W + rs.gumbel(size=(N, n), chunks=(chunk, n)), axis=1)
        X, y = X.persist(), y.persist()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        tracemalloc.start()
        t0 = time.perf_counter()
        model = SoftmaxRegression(l2=1.0 / N, tol=1e-5).fit(X, y)
        t = time.perf_counter() - t0
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        Xn, yn = X.compute(), y.compute()
    queue.put((t, model.n_iter_, max(0, after - before), traced, Xn, yn, model.coef_))


def section_dask(rows):
    try:
        import multiprocessing as mp

        from distributed import LocalCluster
    except ImportError:
        print("\n== 7. Dask: dask / distributed not installed, skipped ==")
        return
    N, m, n, chunk = rows, 100, 10, rows // 8
    print(f"\n== 7. Dask on a LocalCluster (2 worker processes x 1 thread): {N} x {m}, {n} classes, "
          f"X = {N * m * 8 / 2**20:.0f} MiB made on the workers, {N // chunk} row chunks ==")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=50) as cluster:
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        proc = ctx.Process(target=_dask_fit_in_client, args=(cluster.scheduler_address, N, m, n, chunk, q))
        proc.start()
        t_dask, passes, grew, traced, X, y, coef = q.get()
        proc.join()
    t0 = time.perf_counter()
    ref = SoftmaxRegression(l2=1.0 / N, tol=1e-5).fit(X, y)
    t_np = time.perf_counter() - t0
    print(f"Dask fit (lbfgs, tol 1e-5): {t_dask:.2f} s, {passes} passes; NumPy fit of the same data: {t_np:.2f} s, "
          f"{ref.n_iter_} passes  -> Dask / NumPy = {t_dask / t_np:.1f}x")
    print(f"max |W_dask - W_numpy| = {np.abs(coef - ref.coef_).max():.2e}")
    print(f"client process during fit: peak RSS growth {grew / 2**20:.1f} MiB = {100 * grew / X.nbytes:.1f}% of X "
          f"({X.nbytes / 2**20:.0f} MiB); peak Python allocations (tracemalloc) {traced / 2**20:.2f} MiB = "
          f"{100 * traced / X.nbytes:.2f}% of X")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--skip-sklearn", action="store_true")
    p.add_argument("--only", default="1,2,3,4,5,6,7", help="sections to run, e.g. 5,6,7")
    p.add_argument("--no-big", action="store_true", help="skip the 100,000 x 784 problem in section 5")
    p.add_argument("--dask-rows", type=int, default=400_000)
    args = p.parse_args(argv)
    only = {int(k) for k in args.only.split(",")}
    print(f"numpy {np.__version__}; timings are best of {args.repeats}; shared machines are noisy")
    if 1 in only:
        section_epoch(args.rows, args.repeats)
    if 2 in only:
        section_memory(args.rows)
    data = section_digits(args.repeats, args.skip_sklearn) if 3 in only or 4 in only else None
    if 4 in only:
        section_sgd(data, args.repeats)
    if 5 in only:
        section_optimum(args.repeats, not args.no_big)
    if 6 in only:
        section_sparse(args.repeats)
    if 7 in only:
        section_dask(args.dask_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
