"""One fit: pick the step size, run the chosen method on a kernel, collect the outcome.

A kernel is anything with ``kernel(W, b, dW, db, want_loss=True) -> J`` that fills the proved
gradient (dW, db) at (W, b) for its training set: ``BatchKernel`` (dense NumPy, blocked and
threaded), ``SparseKernel`` (scipy.sparse), ``DaskKernel`` (per-chunk partial sums on the
workers). The optimisers only see that call, so every method runs on every kind of X
that has a kernel; the stochastic methods also need the dense rows themselves.
L-BFGS on a ``BatchKernel`` starts from the class-prior intercept and runs in whitened
coordinates when the features call for it (trainer._whiten); on sparse and Dask kernels it
starts from W = 0, b = 0 in the original coordinates, as before.
"""

import math
from dataclasses import dataclass

import numpy as np

from ._batch import run_batch
from ._kernel import BatchKernel
from ._lbfgs import run_lbfgs
from ._monitor import Monitor
from ._sgd import minibatch_epoch, sgd_epoch
from ._stepsize import batch_lipschitz, stochastic_lipschitz
from ._whiten import class_prior_bias, whitened_fg, whitening_for

__all__ = ["DEFAULT_EPOCHS", "FitOutcome", "run_fit", "lbfgs_on_kernel"]

DEFAULT_EPOCHS = {"lbfgs": 1000, "batch": 1000, "sgd": 20, "minibatch": 50}
STANDARDIZE = "the data may have extreme values; standardize the features"


@dataclass
class FitOutcome:
    W: object
    b: object
    epochs: int
    converged: bool
    J: float
    gmax: float
    monitor: Monitor
    alpha: object          # step size used (None for lbfgs: the line search picks each step)
    interrupted: bool


def split_theta(n, m):
    nm = n * m
    return lambda theta: (theta[:nm].reshape(n, m), theta[nm:])


def lbfgs_on_kernel(kernel, W, b, *, max_epochs, tol, monitor, whitening=None):
    """L-BFGS (trainer._lbfgs) with the kernel's fused loss-and-gradient pass as fg; in the
    whitened coordinates Phi = [W, b] L of ``whitening`` (trainer._whiten) when given."""
    n, m = W.shape
    split = split_theta(n, m)
    eps = float(np.finfo(W.dtype).eps)
    dot = lambda u, v: float(np.dot(u, v))  # noqa: E731
    if whitening is not None:
        dW, db = np.empty_like(W), np.empty_like(b)

        def grad(W, b):
            return kernel(W, b, dW, db), dW, db

        theta, epochs, converged, J, gmax = run_lbfgs(
            whitened_fg(grad, whitening), whitening.from_original(W, b, W), max_epochs=max_epochs, tol=tol,
            monitor=monitor, split=whitening.to_original, xp=np, dot=dot, eps=eps,
        )
        return (*whitening.to_original(theta), epochs, converged, J, gmax)

    def fg(theta):
        g = np.empty_like(theta)
        return kernel(*split(theta), *split(g)), g

    theta, epochs, converged, J, gmax = run_lbfgs(
        fg, np.concatenate([W.ravel(), b]), max_epochs=max_epochs, tol=tol, monitor=monitor, split=split,
        xp=np, dot=dot, eps=eps,
    )
    return (*split(theta), epochs, converged, J, gmax)


def _step_size(est, kernel, dense, l2):
    """(alpha, hint) for the gradient methods; (None, hint) for lbfgs."""
    method = est.method
    if method == "lbfgs":
        return None, STANDARDIZE
    if est.learning_rate == "auto":
        if method == "batch":
            if hasattr(kernel, "lipschitz"):
                L = kernel.lipschitz(l2)
            else:
                X, codes, rows = dense
                L = batch_lipschitz(X, codes, rows, l2, kernel.gram)
        else:
            X, codes, rows = dense
            bs = 1 if method == "sgd" else est.batch_size
            L = stochastic_lipschitz(X, codes, rows, l2, bs, kernel.gram)
        return 1.0 / L, STANDARDIZE
    alpha = float(est.learning_rate)
    hint = f"learning_rate={est.learning_rate!r} is too large; try a smaller one or learning_rate='auto'"
    if alpha * l2 > 2:
        hint += (f" (learning_rate * l2 = {alpha * l2:.3g} > 2: the weight decay W := (1 - alpha l2) W "
                 f"alone makes |W| grow at every step)")
    return alpha, hint


def run_fit(est, kernel, n, m, dtype, s_mean, dense=None):
    """Run ``est.method`` from W = 0, b = 0 on ``kernel``; ``dense`` = (X, codes, rows) for the
    stochastic methods; ``s_mean`` = mean_k sum_i y'^k_i (for J0 = s_mean ln n)."""
    method = est.method
    max_epochs = est.max_epochs or DEFAULT_EPOCHS[method]
    l2 = float(est.l2)
    W = np.zeros((n, m), dtype)
    b = np.zeros(n, dtype)
    alpha, hint = _step_size(est, kernel, dense, l2)
    # J at W = 0, b = 0: p = 1/n, so J0 = mean_k s_k ln n
    J0 = s_mean * math.log(n)
    monitor = Monitor(est.callback, est.verbose, max_epochs, hint, J0=J0)
    monitor.keep(W, b, 0, J0, None)
    interrupted = False
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence -> DivergenceError
            if method == "lbfgs":
                wh = whitening_for(kernel.X, n, l2) if isinstance(kernel, BatchKernel) else None
                W, b = _start(kernel, W, b)
                W, b, epochs, converged, J, gmax = lbfgs_on_kernel(kernel, W, b, max_epochs=max_epochs,
                                                                   tol=est.tol, monitor=monitor, whitening=wh)
            elif method == "batch":
                W, b, epochs, converged, J, gmax = run_batch(
                    kernel, W, b, np.dtype(dtype).type(alpha), accelerate=est._scheme(),
                    max_epochs=max_epochs, tol=est.tol, monitor=monitor,
                )
            else:
                W, b, epochs, converged, J, gmax = _run_stochastic(est, kernel, dense, W, b, alpha, l2,
                                                                   max_epochs, monitor)
    except KeyboardInterrupt:
        W, b, epochs = monitor.W, monitor.b, monitor.kept_epoch
        J, gmax = monitor.kept_J, monitor.kept_gmax
        interrupted, converged = True, False
        if gmax is None:  # kept weights never evaluated (interrupted in epoch 1)
            dW, db = np.empty_like(W), np.empty_like(b)
            J = kernel(W, b, dW, db)
            gmax = max(float(np.abs(dW).max()), float(np.abs(db).max()))
    return FitOutcome(W, b, epochs, converged, J, gmax, monitor, alpha, interrupted)


def _start(kernel, W, b):
    """L-BFGS's starting point on a dense NumPy kernel: W = 0 and the class-prior intercept
    (trainer._whiten.class_prior_bias) when every class occurs; else (W, b) unchanged."""
    if not isinstance(kernel, BatchKernel):
        return W, b
    if kernel.C is None:
        kernel._prepare(False)
    b0 = class_prior_bias(kernel.ysum)
    return (W, b) if b0 is None else (W, b0.astype(b.dtype))


def _run_stochastic(est, kernel, dense, W, b, alpha, l2, max_epochs, monitor):
    """sgd / minibatch epochs; the full-batch gradient is evaluated after each epoch
    (for the loss history and the ``tol`` test)."""
    X, codes, rows = dense
    schedule = est.schedule
    if schedule == "auto":
        schedule = "invsqrt" if est.method == "sgd" else "constant"
    rng = est.random_state if isinstance(est.random_state, np.random.Generator) \
        else np.random.default_rng(est.random_state)
    N = X.shape[0]
    s = None
    if rows is not None:
        s = rows.sum(axis=1, dtype=X.dtype)
        if np.all(s == 1):
            s = None
    dW = np.empty_like(W)
    db = np.empty_like(b)
    W = W.copy()  # the monitor keeps the starting arrays
    b = b.copy()
    for epoch in range(1, max_epochs + 1):
        order = rng.permutation(N)
        # step for this epoch: alpha, or alpha / sqrt(epoch) (shrinks the SGD noise ball)
        step = alpha / np.sqrt(epoch) if schedule == "invsqrt" else alpha
        if est.method == "sgd":
            sgd_epoch(X, codes, rows, s, order, W, b, step, l2)
        else:
            minibatch_epoch(X, codes, rows, s, order, est.batch_size, W, b, step, l2)
        J = kernel(W, b, dW, db)
        gmax = max(float(np.abs(dW).max()), float(np.abs(db).max()))
        monitor.keep(W.copy(), b.copy(), epoch, J, gmax)  # (a divergence raised below discards it)
        stop = monitor.epoch_end(epoch, J, dW, db, gmax)
        if gmax < est.tol:
            return W, b, epoch, True, J, gmax
        if stop or epoch == max_epochs:
            return W, b, epoch, False, J, gmax
    raise AssertionError("unreachable: the last epoch returns")
