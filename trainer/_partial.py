"""partial_fit: the seed's stochastic method on a stream of blocks (see SoftmaxRegression.partial_fit)."""

import numpy as np

from ._sgd import minibatch_epoch, sgd_epoch
from ._stepsize import mean_example_lipschitz, stochastic_lipschitz
from ._validation import DivergenceError, check_labels, check_params, check_X, classes_for_partial_fit

__all__ = ["partial_fit_block"]


def partial_fit_block(est, X, y, classes):
    """One pass of one-example (or mini-batch) steps of ``est`` over the block (X, y)."""
    check_params(est)
    first = not hasattr(est, "coef_")
    X = check_X(X, n_features=None if first else est.n_features_in_,
                sparse_hint="; partial_fit takes dense blocks (X.toarray() per block)")
    classes = classes_for_partial_fit(classes, None if first else est.classes_)
    labels = check_labels(y, X.shape[0], dtype=X.dtype, classes=classes)
    n, (N, m) = len(classes), X.shape
    if first:
        est.coef_ = np.zeros((n, m), X.dtype)
        est.intercept_ = np.zeros(n, X.dtype)
        est.classes_, est.n_features_in_, est.n_iter_ = classes, m, 0
    if getattr(est, "_partial_alpha", None) is None:  # first call of this stream (also after fit)
        est._partial_calls = 0
        bs = 1 if est.method != "minibatch" else est.batch_size
        if est.learning_rate == "auto":
            L = stochastic_lipschitz(X, labels.codes, labels.rows, est.l2, bs) if bs > 1 and N > 1 \
                else mean_example_lipschitz(X, labels.codes, labels.rows) + float(est.l2)
            est._partial_alpha = 1.0 / L
        else:
            est._partial_alpha = float(est.learning_rate)
        est.learning_rate_ = est._partial_alpha
    W, b = (a.astype(X.dtype, copy=True) for a in est._numpy_coef())
    est._partial_calls += 1
    est.n_iter_ = est._partial_calls
    schedule = est.schedule
    if schedule == "auto":
        schedule = "constant" if est.method == "minibatch" else "invsqrt"
    alpha = est._partial_alpha
    step = alpha / np.sqrt(est._partial_calls) if schedule == "invsqrt" else alpha
    rows = labels.rows
    s = None if rows is None else rows.sum(axis=1, dtype=X.dtype)
    if s is not None and np.all(s == 1):
        s = None
    order = np.arange(N)
    with np.errstate(over="ignore", invalid="ignore"):
        if est.method == "minibatch":
            minibatch_epoch(X, labels.codes, rows, s, order, est.batch_size, W, b, step, float(est.l2))
        else:
            sgd_epoch(X, labels.codes, rows, s, order, W, b, step, float(est.l2))
    if not (np.isfinite(W).all() and np.isfinite(b).all()):
        raise DivergenceError(f"partial_fit diverged at call {est.n_iter_} (weights no longer finite); "
                              f"learning_rate={est.learning_rate!r} is too large: try a smaller one or 'auto'")
    est.coef_, est.intercept_ = W, b
    return est
