"""SoftmaxRegression: a scikit-learn compatible estimator trained with the proved gradient."""

import warnings

import numpy as np

from ._fitting import run_fit
from ._kernel import BatchKernel, block_rows
from ._softmax import log_softmax, softmax
from ._sparse import SparseKernel, is_sparse
from ._threads import blas_capped, fit_threads
from ._validation import (
    ConvergenceWarning,
    TrainingInterruptedWarning,
    check_labels,
    check_params,
    check_X,
    not_fitted,
)

__all__ = ["SoftmaxRegression"]


def input_kind(X):
    """"dask", "sparse", "xp" (an array-API array other than NumPy: torch, CuPy, ...) or "numpy"."""
    mod = type(X).__module__
    if mod.startswith("dask."):
        return "dask"
    if is_sparse(X):
        return "sparse"
    if isinstance(X, np.ndarray):
        return "numpy"
    if hasattr(X, "__array_namespace__") or mod.split(".")[0] in ("torch", "cupy", "jax", "jaxlib"):
        return "xp"
    return "numpy"


class SoftmaxRegression:
    """Multinomial logistic (softmax) regression trained with the proved gradient.

    Every update uses the proved gradient (contracts.md, trainer.objective):
    dJ/dw_ij = mean_k -x^k_j (y'^k_i - p^k_i sum_l y'^k_l) + l2 w_ij,
    dJ/db_i = mean_k -(y'^k_i - p^k_i sum_l y'^k_l), for the objective
    J = mean_k [-sum_i y'^k_i ln p^k_i] + (l2/2) ||W||^2 (bias not penalised).

    Parameters
    ----------
    method : {"lbfgs", "batch", "sgd", "minibatch"}, default "lbfgs"
        "lbfgs": limited-memory BFGS (trainer._lbfgs: 10 pairs, weak Wolfe line search;
        each pass computes the loss and the gradient together), the fastest to the optimum
        (benchmarks/bench_trainer.py). For dense NumPy and array-API X it starts from
        W = 0 with the class-prior intercept b = ln(class frequency) (centred) and, when the
        features are badly scaled or correlated (and the set-up costs at most a few passes),
        runs in whitened coordinates [W, b] = Phi L^{-1}, L L^T = X~^T X~ / N + n l2
        (trainer._whiten): the same objective, optimum and stopping test, in 3x-7x fewer
        passes on such data; "batch": full-batch gradient descent (with
        Barzilai-Borwein steps or Nesterov momentum, or plain with ``accelerate=False``);
        "sgd": one example per update, examples shuffled each epoch (the seed's stochastic
        loop); "minibatch": ``batch_size`` examples per update, shuffled each epoch.
        Sparse and Dask X: "lbfgs" and "batch"; array-API X (torch, CuPy, ...): "lbfgs".
    learning_rate : float or "auto", default "auto"
        Step size alpha (not used by "lbfgs", whose line search picks every step).
        "auto": 1/L with L a bound on the Hessian of the objective being stepped on
        (trainer._stepsize): full batch, L = lambda_max(X~^T X~/N)/2 + l2 with X~ = [X, 1]
        (a guaranteed bound); sgd, L = mean_k (||x^k||^2 + 1)/2 + l2;
        minibatch, the expected smoothness of a random batch of ``batch_size`` (between the
        two). Scaled by the label-row sums for soft rows. For "batch" with
        ``accelerate="bb"`` it is the smallest step the line search tries.
    l2 : float, default 1e-4
        L2 penalty (l2/2) ||W||^2 (scikit-learn's ``C`` corresponds to l2 = 1/(C N)).
    max_epochs : int or None, default None
        Passes over the data; None means 1000 for "lbfgs" and "batch", 20 for "sgd", 50 for
        "minibatch". If "lbfgs" or "batch" uses them all without meeting ``tol`` (> 0), a
        :class:`trainer.ConvergenceWarning` names the largest gradient entry reached.
        "sgd" / "minibatch" do not warn: at a constant or decaying step their gradient
        keeps a noise floor, so a small ``tol`` is rarely met and the epoch budget is their
        normal stopping rule (``converged_`` still tells).
    tol : float, default 1e-4
        Stop when the largest gradient entry in absolute value, max(|dW|, |db|) of the
        full-batch objective, falls below ``tol`` (checked once per epoch). ``tol=0``:
        run exactly ``max_epochs`` (no ConvergenceWarning).
    batch_size : int, default 64
        Examples per update for "minibatch".
    schedule : {"auto", "constant", "invsqrt"}, default "auto"
        Step size per epoch e for "sgd" / "minibatch": "constant" alpha, or
        "invsqrt" alpha / sqrt(e) (one-example steps never stop fluctuating at a
        constant step; shrinking it lets SGD settle). "auto": "invsqrt" for "sgd",
        "constant" for "minibatch". Full-batch descent: see ``accelerate``.
    accelerate : bool or {"bb", "nesterov"}, default True
        How "batch" speeds up plain gradient descent (all use the same proved gradient):
        "bb", gradient descent x - lambda grad J(x) with the Barzilai-Borwein step
        <s, s>/<s, u> (s, u: last change of x and of the gradient) clipped to
        [alpha, 1e6 alpha] and a nonmonotone Armijo line search (Raydan 1997) that
        never goes below alpha = learning_rate_ (for "auto", 1/L, which always
        decreases J); "nesterov", momentum with adaptive restart at the fixed step alpha;
        True: "bb" when learning_rate="auto", else "nesterov"; False: plain gradient
        descent at the fixed step alpha. Each line-search trial is one pass over the
        data and counts as an epoch.
    random_state : None, int or numpy Generator
        Seeds the per-epoch shuffles of "sgd" / "minibatch".
    n_threads : int or None
        Python threads over row blocks for the full-batch gradient (None: the available
        cores, but one thread for small data, < 2^17 feature entries per thread). Used only
        when threadpoolctl is installed to cap BLAS at one thread meanwhile; without it
        the kernel runs on one Python thread and BLAS keeps its own threads.
    callback : callable or None
        Called after every epoch with a :class:`trainer.EpochInfo` (epoch, loss,
        grad_max, grad_norm, elapsed); returning True stops training.
    verbose : bool or int
        Print progress lines to stderr (every 10% of max_epochs; every epoch if >= 2).

    Attributes
    ----------
    coef_ : ndarray, shape (n_classes, n_features)
        W.
    intercept_ : ndarray, shape (n_classes,)
        b.
    classes_ : ndarray, shape (n_classes,)
        Class labels (sorted unique labels; ``arange(n)`` when fitted on label rows).
    n_iter_ : int
        Epochs run (passes over the data, line-search trials included); for
        :meth:`partial_fit`, the number of calls.
    loss_history_ : list of float
        J at the point evaluated in each epoch (the point whose gradient was taken: the
        line-search trial for "lbfgs" and "bb", the iterate for plain descent, the
        extrapolated point for "nesterov"; "sgd"/"minibatch": the weights at the end of the
        epoch).
        The returned weights are the last evaluated point, so ``loss_history_[-1] == loss_``,
        except for "bb" and "lbfgs" when the epochs run out (or the callback stops fit) during
        a line search: the rejected trial is then the last entry, and the returned weights are the
        last accepted iterate (whose J is ``loss_``; "lbfgs" returns the trial instead when its
        J is lower); and after Ctrl-C.
    grad_max_history_ : list of float
        max |gradient entry| at the same points.
    loss_ : float
        J at the returned weights (``coef_``, ``intercept_``), l2 term included.
    grad_max_ : float
        max |gradient entry| at the returned weights (compared with ``tol``).
    converged_ : bool
        Whether ``tol`` was met.
    interrupted_ : bool
        Whether fit was stopped by Ctrl-C (KeyboardInterrupt); the weights are then
        the last good ones and a :class:`TrainingInterruptedWarning` is emitted.
    learning_rate_ : float or None
        None for "lbfgs". The step size alpha used (for "batch" with "bb": the smallest step of the line
        search, 1/L for "auto"; the accepted steps are >= alpha).
    n_features_in_ : int

    Notes
    -----
    Inputs: NumPy arrays (and anything ``np.asarray`` takes, e.g. pandas frames);
    scipy.sparse CSR / CSC arrays and matrices (never densified; predict and score too);
    Dask arrays chunked by rows (the loss and gradient are sums of per-chunk partial sums
    computed where the chunks live; see trainer._dask); array-API arrays such as torch
    tensors (the fit runs in their namespace and on their device; see trainer._xp).
    scikit-learn compatible (``clone``, ``Pipeline``, ``GridSearchCV``,
    ``cross_val_score``) without importing scikit-learn.

    Raises
    ------
    DivergenceError
        (from ``fit``) when the loss or gradient becomes NaN / infinite, or the loss grows
        geometrically far above its starting value (trainer._monitor): the message names
        the learning rate and suggests ``learning_rate="auto"``.
    """

    _param_names = (
        "method", "learning_rate", "l2", "max_epochs", "tol", "batch_size", "schedule", "accelerate",
        "random_state", "n_threads", "callback", "verbose",
    )
    _estimator_type = "classifier"  # scikit-learn < 1.6

    def __init__(self, *, method="lbfgs", learning_rate="auto", l2=1e-4, max_epochs=None, tol=1e-4,
                 batch_size=64, schedule="auto", accelerate=True, random_state=None, n_threads=None, callback=None,
                 verbose=False):
        self.method = method
        self.learning_rate = learning_rate
        self.l2 = l2
        self.max_epochs = max_epochs
        self.tol = tol
        self.batch_size = batch_size
        self.schedule = schedule
        self.accelerate = accelerate
        self.random_state = random_state
        self.n_threads = n_threads
        self.callback = callback
        self.verbose = verbose

    # -- scikit-learn protocol (no scikit-learn import unless scikit-learn asks) ----------
    def get_params(self, deep=True):
        """The constructor parameters, as a dict (for ``clone`` and grid searches)."""
        return {name: getattr(self, name) for name in self._param_names}

    def set_params(self, **params):
        """Set constructor parameters; returns self. Unknown names raise ValueError."""
        for name, value in params.items():
            if name not in self._param_names:
                raise ValueError(f"unknown parameter {name!r} for SoftmaxRegression; valid: {', '.join(self._param_names)}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        default = type(self)().get_params()
        changed = {k: v for k, v in self.get_params().items() if not _same(v, default[k])}
        return f"SoftmaxRegression({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def __sklearn_tags__(self):
        from ._sklearn import sklearn_tags
        return sklearn_tags(self)

    def _more_tags(self):  # scikit-learn < 1.6
        return {"requires_y": True, "X_types": ["2darray", "sparse"]}

    def __sklearn_is_fitted__(self):
        return hasattr(self, "coef_")

    # -- fitting -----------------------------------------------------------
    def fit(self, X, y):
        """Fit W, b to X (N, m) and labels y: (N,) class labels or (N, n) label rows.

        X: a NumPy array (or array-like), a scipy.sparse CSR / CSC matrix or array, a Dask
        array chunked by rows, or an array-API array (torch, CuPy, array-api-strict, ...).

        Returns
        -------
        self
        """
        check_params(self)
        if y is None:
            raise ValueError("SoftmaxRegression requires y to be passed, but the target y is None")
        kind = input_kind(X)
        if kind == "xp":
            from ._xp import fit_xp
            outcome, classes, m = fit_xp(self, X, y)
        elif kind == "dask":
            from ._dask import fit_dask
            outcome, classes, m = fit_dask(self, X, y)
        else:
            outcome, classes, m = self._fit_local(X, y)
        return self._finish(outcome, classes, m)

    def _fit_local(self, X, y):
        """NumPy or scipy.sparse X."""
        method = self.method
        hint = f" by method={method!r}; use method='lbfgs' or 'batch' for sparse X, or X.toarray()"
        X = check_X(X, accept_sparse=method in ("lbfgs", "batch"), sparse_hint=hint)
        labels = check_labels(y, X.shape[0], dtype=X.dtype)
        N, m = X.shape
        n, dtype, codes, rows = labels.n_classes, X.dtype, labels.codes, labels.rows
        s_mean = 1.0 if rows is None else float(rows.sum(axis=1, dtype=np.float64).mean())
        with blas_capped() as capped:
            if is_sparse(X):
                kernel = SparseKernel(X, codes, rows, n, self.l2)
            else:
                B = block_rows(m, n, dtype.itemsize)
                threads = fit_threads(self.n_threads, -(-N // B), N * m, capped)
                kernel = BatchKernel(X, codes, rows, n, self.l2, n_threads=threads, block=B)
            with kernel:
                outcome = run_fit(self, kernel, n, m, dtype, s_mean, dense=(X, codes, rows))
        return outcome, labels.classes, m

    def _finish(self, o, classes, m):
        """Set the fitted attributes from a FitOutcome; warn if due."""
        self.coef_ = o.W if not isinstance(o.W, np.ndarray) else np.ascontiguousarray(o.W)
        self.intercept_ = o.b if not isinstance(o.b, np.ndarray) else np.ascontiguousarray(o.b)
        self.classes_ = classes
        self.n_features_in_ = m
        self.n_iter_ = o.epochs
        self.converged_ = o.converged
        self.interrupted_ = o.interrupted
        self.loss_history_ = o.monitor.loss_history
        self.grad_max_history_ = o.monitor.grad_history
        self.loss_ = float(o.J)
        self.grad_max_ = float(o.gmax)
        self.learning_rate_ = o.alpha
        self._partial_alpha = None  # a later partial_fit starts a new stream from these weights
        max_epochs = o.monitor.max_epochs
        if self.method in ("lbfgs", "batch") and not o.converged and not o.interrupted and self.tol > 0 \
                and o.epochs >= max_epochs:
            warnings.warn(
                f"SoftmaxRegression(method={self.method!r}) did not converge in max_epochs={max_epochs} epochs: the "
                f"largest gradient entry is {o.gmax:.3g}, above tol={self.tol:g}; increase max_epochs (standardizing "
                f"the features also helps), or pass tol=0 to run a fixed number of epochs",
                ConvergenceWarning,
                stacklevel=3,
            )
        if o.interrupted:
            warnings.warn(
                f"training interrupted (KeyboardInterrupt) after {o.epochs} epoch(s); kept the last good weights",
                TrainingInterruptedWarning,
                stacklevel=3,
            )
        return self

    def _scheme(self):
        """Full-batch scheme: False (plain), "nesterov" or "bb"."""
        acc = self.accelerate
        if acc is True:
            return "bb" if self.learning_rate == "auto" else "nesterov"
        return acc

    # -- streaming -------------------------------------------------------------
    def partial_fit(self, X, y, classes=None):
        """One pass of stochastic steps over the block (X, y), continuing from the current weights.

        The seed's stochastic method on a stream: one example per update (for
        method="minibatch": ``batch_size`` examples per update), in the block's order,
        W := W - alpha_t (g^k x^k^T + l2 W), b := b - alpha_t g^k, g^k = p^k s_k - y'^k.
        alpha_t = alpha / sqrt(t) for the t-th call (schedule "invsqrt", the default for
        one-example steps) or alpha ("constant", the default for mini-batches); alpha =
        ``learning_rate``, or for "auto" 1/L from the first block (as in ``fit``).

        Parameters
        ----------
        X : array_like, shape (N_block, m)
        y : array_like, shape (N_block,) labels from ``classes`` or (N_block, n) label rows
        classes : array_like, shape (n,), required on the first call
            All the labels the stream will contain (sorted; later calls may omit it).

        Returns
        -------
        self
        """
        from ._partial import partial_fit_block
        return partial_fit_block(self, X, y, classes)

    # -- prediction --------------------------------------------------------
    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise not_fitted(
                "this SoftmaxRegression is not fitted yet; call fit(X, y) before predict, "
                "predict_proba, decision_function or score"
            )

    def decision_function(self, X):
        """Logits V = X W^T + b, shape (N, n_classes); for 2 classes (scikit-learn's
        convention) the log-odds V_1 - V_0 = ln(p_1 / p_0), shape (N,): > 0 predicts classes_[1].

        NumPy / sparse X: an ndarray; a Dask array: a Dask array (computed chunk by chunk
        on the workers); an array-API array: an array of its namespace and device."""
        V = self.logits(X)
        if len(self.classes_) == 2:
            return V[:, 1] - V[:, 0]
        return V

    def logits(self, X):
        """Logits V = X W^T + b, shape (N, n_classes) (also for 2 classes)."""
        self._check_fitted()
        kind = input_kind(X)
        if kind == "dask":
            from ._dask import map_rows
            return map_rows(self, X, "logits")
        if kind == "xp":
            from ._xp import logits_xp
            return logits_xp(self, X)
        X = check_X(X, n_features=self.n_features_in_, accept_sparse=True)
        W, b = self._numpy_coef()
        dtype = np.result_type(X.dtype, W.dtype)
        if is_sparse(X):
            return np.asarray(X @ W.T.astype(dtype, copy=False)) + b.astype(dtype, copy=False)
        return X.astype(dtype, copy=False) @ W.T.astype(dtype, copy=False) + b.astype(dtype, copy=False)

    def _numpy_coef(self):
        if isinstance(self.coef_, np.ndarray):
            return self.coef_, self.intercept_
        from ._xp import to_numpy
        return to_numpy(self.coef_), to_numpy(self.intercept_)

    def predict_proba(self, X):
        """p = softmax(X W^T + b), shape (N, n_classes); rows sum to 1, columns follow ``classes_``."""
        kind = input_kind(X)
        if kind in ("dask", "xp"):
            return self._dispatch(kind, X, "predict_proba")
        return softmax(self.logits(X), axis=1)

    def predict_log_proba(self, X):
        """ln p, computed as log-sum-exp (finite even where p underflows)."""
        kind = input_kind(X)
        if kind in ("dask", "xp"):
            return self._dispatch(kind, X, "predict_log_proba")
        return log_softmax(self.logits(X), axis=1)

    def predict(self, X):
        """Class with the largest logit (= largest probability), from ``classes_``."""
        kind = input_kind(X)
        if kind in ("dask", "xp"):
            return self._dispatch(kind, X, "predict")
        self._check_fitted()
        return self.classes_[np.argmax(self.logits(X), axis=1)]

    def _dispatch(self, kind, X, what):
        self._check_fitted()
        if kind == "dask":
            from ._dask import map_rows
            return map_rows(self, X, what)
        from ._xp import predict_xp
        return predict_xp(self, X, what)

    def score(self, X, y):
        """Mean accuracy. ``y``: class labels (N,), or label rows (N, n) compared by argmax."""
        self._check_fitted()
        pred = _host(self.predict(X))
        y = _host(y)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == len(self.classes_):
            y = self.classes_[np.argmax(y, axis=1)]
        if y.shape != pred.shape:
            raise ValueError(f"y has shape {y.shape} but X has {pred.shape[0]} samples")
        return float(np.mean(pred == y))


def _host(a):
    """A NumPy view of predictions / labels that may be Dask or array-API arrays."""
    kind = input_kind(a)
    if kind == "dask":
        return a.compute()
    if kind == "xp":
        from ._xp import to_numpy
        return to_numpy(a)
    return a


def _same(a, b):
    """Parameter equality for repr (arrays and generators compare by identity)."""
    try:
        return bool(a == b) if type(a) is type(b) else False
    except (TypeError, ValueError):
        return a is b
