"""SoftmaxRegression: a scikit-learn style estimator trained with the proved gradient."""

import warnings

import numpy as np

from ._batch import run_batch
from ._kernel import BatchKernel, block_rows
from ._monitor import Monitor
from ._sgd import minibatch_epoch, sgd_epoch
from ._softmax import softmax
from ._stepsize import batch_lipschitz, stochastic_lipschitz
from ._threads import blas_capped, fit_threads
from ._validation import (
    ConvergenceWarning,
    NotFittedError,
    TrainingInterruptedWarning,
    check_labels,
    check_params,
    check_X,
)

__all__ = ["SoftmaxRegression"]

_DEFAULT_EPOCHS = {"batch": 1000, "sgd": 20, "minibatch": 50}


class SoftmaxRegression:
    """Multinomial logistic (softmax) regression trained by gradient descent.

    Every update uses the proved gradient (contracts.md, trainer.objective):
    dJ/dw_ij = mean_k -x^k_j (y'^k_i - p^k_i sum_l y'^k_l) + l2 w_ij,
    dJ/db_i = mean_k -(y'^k_i - p^k_i sum_l y'^k_l), for the objective
    J = mean_k [-sum_i y'^k_i ln p^k_i] + (l2/2) ||W||^2 (bias not penalised).

    Parameters
    ----------
    method : {"batch", "sgd", "minibatch"}, default "batch"
        "batch": full-batch gradient descent (with Barzilai-Borwein steps or Nesterov
        momentum, or plain with ``accelerate=False``); "sgd": one example per update,
        examples shuffled each epoch (the seed's stochastic loop); "minibatch":
        ``batch_size`` examples per update, shuffled each epoch.
    learning_rate : float or "auto", default "auto"
        Step size alpha. "auto": 1/L with L a bound on the Hessian of the objective
        being stepped on (trainer._stepsize): full batch, L = lambda_max(X~^T X~/N)/2 + l2
        with X~ = [X, 1] (a guaranteed bound); sgd, L = mean_k (||x^k||^2 + 1)/2 + l2;
        minibatch, the expected smoothness of a random batch of ``batch_size`` (between the
        two). Scaled by the label-row sums for soft rows. For "batch" with
        ``accelerate="bb"`` it is the smallest step the line search tries.
    l2 : float, default 1e-4
        L2 penalty (l2/2) ||W||^2 (scikit-learn's ``C`` corresponds to l2 = 1/(C N)).
    max_epochs : int or None, default None
        Passes over the data; None means 1000 for "batch", 20 for "sgd", 50 for "minibatch".
        If "batch" uses them all without meeting ``tol`` (> 0), a
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
        Epochs run (passes over the data, line-search trials included).
    loss_history_ : list of float
        J at the point evaluated in each epoch ("batch": the point whose gradient was taken:
        the iterate for plain descent, the extrapolated point for "nesterov", the trial
        point for "bb"; "sgd"/"minibatch": the weights at the end of the epoch).
        The returned weights are the last evaluated point, so ``loss_history_[-1] == loss_``,
        except for "bb" when the epochs run out (or the callback stops fit) during a line
        search: the rejected trial is then the last entry, and the returned weights are the
        last accepted iterate (whose J is ``loss_``); and after Ctrl-C.
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
    learning_rate_ : float
        The step size alpha used (for "batch" with "bb": the smallest step of the line
        search, 1/L for "auto"; the accepted steps are >= alpha).
    n_features_in_ : int

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

    def __init__(self, *, method="batch", learning_rate="auto", l2=1e-4, max_epochs=None, tol=1e-4,
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

    # scikit-learn compatible parameter access (for clone / grid search)
    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names}

    def set_params(self, **params):
        for name, value in params.items():
            if name not in self._param_names:
                raise ValueError(f"unknown parameter {name!r} for SoftmaxRegression; valid: {', '.join(self._param_names)}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        changed = {k: v for k, v in self.get_params().items() if v != type(self)().get_params()[k]}
        return f"SoftmaxRegression({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    # -- fitting -----------------------------------------------------------
    def fit(self, X, y):
        """Fit W, b to X (N, m) and labels y: (N,) class labels or (N, n) label rows.

        Returns
        -------
        self
        """
        check_params(self)
        X = check_X(X)
        labels = check_labels(y, X.shape[0], dtype=X.dtype)
        N, m = X.shape
        n = labels.n_classes
        dtype = X.dtype
        codes, rows = labels.codes, labels.rows
        method = self.method
        max_epochs = self.max_epochs or _DEFAULT_EPOCHS[method]
        l2 = float(self.l2)
        W = np.zeros((n, m), dtype)
        b = np.zeros(n, dtype)
        self.interrupted_ = False
        converged = False
        epochs = 0
        with blas_capped() as capped:
            B = block_rows(m, n, dtype.itemsize)
            threads = fit_threads(self.n_threads, -(-N // B), N * m, capped)
            with BatchKernel(X, codes, rows, n, l2, n_threads=threads, block=B) as kernel:
                if self.learning_rate == "auto":
                    if method == "batch":
                        L = batch_lipschitz(X, codes, rows, l2, kernel.gram)
                    else:
                        bs = 1 if method == "sgd" else self.batch_size
                        L = stochastic_lipschitz(X, codes, rows, l2, bs, kernel.gram)
                    alpha = 1.0 / L
                    hint = "the data may have extreme values; standardize the features"
                else:
                    alpha = float(self.learning_rate)
                    hint = f"learning_rate={self.learning_rate!r} is too large; try a smaller one or learning_rate='auto'"
                    if alpha * l2 > 2:
                        hint += (f" (learning_rate * l2 = {alpha * l2:.3g} > 2: the weight decay W := (1 - alpha l2) W "
                                 f"alone makes |W| grow at every step)")
                self.learning_rate_ = alpha
                # J at W = 0, b = 0: p = 1/n, so J0 = mean_k s_k ln n (s_k = sum_i y'^k_i)
                s_mean = 1.0 if rows is None else float(rows.sum(axis=1, dtype=np.float64).mean())
                J0 = s_mean * np.log(n)
                monitor = Monitor(self.callback, self.verbose, max_epochs, hint, J0=J0)
                monitor.keep(W, b, 0, J0, None)
                try:
                    with np.errstate(over="ignore", invalid="ignore"):  # divergence -> DivergenceError
                        if method == "batch":
                            W, b, epochs, converged, J, gmax = run_batch(
                                kernel, W, b, dtype.type(alpha), accelerate=self._scheme(),
                                max_epochs=max_epochs, tol=self.tol, monitor=monitor,
                            )
                        else:
                            W, b, epochs, converged, J, gmax = self._run_stochastic(
                                kernel, X, codes, rows, W, b, alpha, l2, max_epochs, monitor
                            )
                except KeyboardInterrupt:
                    W, b, epochs = monitor.W, monitor.b, monitor.kept_epoch
                    J, gmax = monitor.kept_J, monitor.kept_gmax
                    self.interrupted_ = True
                    if gmax is None:  # kept weights never evaluated (interrupted in epoch 1)
                        dW, db = np.empty_like(W), np.empty_like(b)
                        J = kernel(W, b, dW, db)
                        gmax = max(float(np.abs(dW).max()), float(np.abs(db).max()))
        self.coef_ = np.ascontiguousarray(W, dtype=dtype)
        self.intercept_ = np.ascontiguousarray(b, dtype=dtype)
        self.classes_ = labels.classes
        self.n_features_in_ = m
        self.n_iter_ = epochs
        self.converged_ = converged
        self.loss_history_ = monitor.loss_history
        self.grad_max_history_ = monitor.grad_history
        self.loss_ = float(J)
        self.grad_max_ = float(gmax)
        if method == "batch" and not converged and not self.interrupted_ and self.tol > 0 and epochs >= max_epochs:
            warnings.warn(
                f"SoftmaxRegression(method='batch') did not converge in max_epochs={max_epochs} epochs: the largest "
                f"gradient entry is {gmax:.3g}, above tol={self.tol:g}; increase max_epochs (standardizing the "
                f"features also helps), or pass tol=0 to run a fixed number of epochs",
                ConvergenceWarning,
                stacklevel=2,
            )
        if self.interrupted_:
            warnings.warn(
                f"training interrupted (KeyboardInterrupt) after {epochs} epoch(s); kept the last good weights",
                TrainingInterruptedWarning,
                stacklevel=2,
            )
        return self

    def _scheme(self):
        """Full-batch scheme: False (plain), "nesterov" or "bb"."""
        acc = self.accelerate
        if acc is True:
            return "bb" if self.learning_rate == "auto" else "nesterov"
        return acc

    def _run_stochastic(self, kernel, X, codes, rows, W, b, alpha, l2, max_epochs, monitor):
        """sgd / minibatch epochs; the full-batch gradient is evaluated after each epoch
        (for the loss history and the ``tol`` test)."""
        schedule = self.schedule
        if schedule == "auto":
            schedule = "invsqrt" if self.method == "sgd" else "constant"
        rng = self.random_state if isinstance(self.random_state, np.random.Generator) \
            else np.random.default_rng(self.random_state)
        N = X.shape[0]
        s = None
        if rows is not None:
            s = rows.sum(axis=1, dtype=X.dtype)
            if np.all(s == 1):
                s = None
        dW = np.empty_like(W)
        db = np.empty_like(b)
        W = W.copy()
        b = b.copy()
        for epoch in range(1, max_epochs + 1):
            order = rng.permutation(N)
            # step for this epoch: alpha, or alpha / sqrt(epoch) (shrinks the SGD noise ball)
            step = alpha / np.sqrt(epoch) if schedule == "invsqrt" else alpha
            if self.method == "sgd":
                sgd_epoch(X, codes, rows, s, order, W, b, step, l2)
            else:
                minibatch_epoch(X, codes, rows, s, order, self.batch_size, W, b, step, l2)
            J = kernel(W, b, dW, db)
            gmax = max(float(np.abs(dW).max()), float(np.abs(db).max()))
            monitor.keep(W.copy(), b.copy(), epoch, J, gmax)  # (a divergence raised below discards it)
            stop = monitor.epoch_end(epoch, J, dW, db, gmax)
            if gmax < self.tol:
                return W, b, epoch, True, J, gmax
            if stop or epoch == max_epochs:
                return W, b, epoch, False, J, gmax
        raise AssertionError("unreachable: the last epoch returns")

    # -- prediction --------------------------------------------------------
    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise NotFittedError(
                "this SoftmaxRegression is not fitted yet; call fit(X, y) before predict, "
                "predict_proba, decision_function or score"
            )

    def decision_function(self, X):
        """Logits V = X W^T + b, shape (N, n_classes)."""
        self._check_fitted()
        X = check_X(X, n_features=self.n_features_in_)
        dtype = np.result_type(X.dtype, self.coef_.dtype)
        return X.astype(dtype, copy=False) @ self.coef_.T.astype(dtype, copy=False) + self.intercept_

    def predict_proba(self, X):
        """p = softmax(X W^T + b), shape (N, n_classes); rows sum to 1, columns follow ``classes_``."""
        return softmax(self.decision_function(X), axis=1)

    def predict_log_proba(self, X):
        """ln p, computed as log-sum-exp (finite even where p underflows)."""
        from ._softmax import log_softmax
        return log_softmax(self.decision_function(X), axis=1)

    def predict(self, X):
        """Class with the largest logit (= largest probability), from ``classes_``."""
        self._check_fitted()
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]

    def score(self, X, y):
        """Mean accuracy. ``y``: class labels (N,), or label rows (N, n) compared by argmax."""
        self._check_fitted()
        pred = self.predict(X)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == len(self.classes_):
            y = self.classes_[np.argmax(y, axis=1)]
        if y.shape != pred.shape:
            raise ValueError(f"y has shape {y.shape} but X has {pred.shape[0]} samples")
        return float(np.mean(pred == y))
