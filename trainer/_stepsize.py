"""Step sizes 1/L from bounds on the Hessian of the objective.

Per example, J_k(W, b) = s_k ln S^k - sum_i y'^k_i V^k_i with V^k = W x^k + b and
s_k = sum_i y'^k_i. Its Hessian in the logits is s_k (diag(p) - p p^T), and
z^T (diag(p) - p p^T) z = Var_p(z) <= ||z||^2 / 2, so with x~ = (x, 1) (the bias as
a feature that is always 1) the Hessian in (W, b) is bounded by
    H_k <= (s_k / 2) * (x~ x~^T  kron  I_n)       -> L_k = s_k (||x^k||^2 + 1) / 2 + l2.
For the mean over N examples,
    L = (max_k s_k / 2) * lambda_max( X~^T X~ / N ) + l2,
with lambda_max of the (m+1) x (m+1) Gram matrix computed exactly (eigvalsh) when
m is moderate, else bounded by its trace (always >= lambda_max). Gradient descent
with step 1/L never increases J (descent lemma).

Stochastic steps use the smoothness of a random mini-batch (see stochastic_lipschitz);
there the per-example bounds are averaged, a choice (not a guarantee of monotone
descent per step) that keeps a few rows with huge norms from shrinking every step.
"""

import numpy as np

__all__ = ["batch_lipschitz", "mean_example_lipschitz", "stochastic_lipschitz"]

_EXACT_MAX_FEATURES = 2048


def _label_scale(codes, rows):
    """max_k s_k, s_k = sum_i y'^k_i (1 for hard labels)."""
    if codes is not None:
        return 1.0
    return float(rows.sum(axis=1).max())


def batch_lipschitz(X, codes, rows, l2, gram=None):
    """Upper bound L on the Hessian of the full-batch objective (see module docstring).

    Parameters
    ----------
    X : ndarray, shape (N, m)
    codes, rows : hard labels (N,) or label rows (N, n); one is None
    l2 : float
    gram : callable or None
        Returns X~^T X~ ((m+1) x (m+1)); default computes it here (trainer's fit passes
        ``BatchKernel.gram``, blocked and threaded).

    Returns
    -------
    L : float
    """
    N, m = X.shape
    s_max = _label_scale(codes, rows)
    if m <= _EXACT_MAX_FEATURES:
        if gram is not None:
            G = gram()
        else:
            X64 = X.astype(np.float64, copy=False)
            G = np.empty((m + 1, m + 1))
            G[:m, :m] = X64.T @ X64       # X^T X
            G[:m, m] = G[m, :m] = X64.sum(axis=0)  # X^T 1
            G[m, m] = N                   # 1^T 1
        lam = float(np.linalg.eigvalsh(G / N)[-1])
        lam *= 1 + 1e-9                   # rounding in eigvalsh
    else:
        lam = (float(np.vdot(X, X)) + N) / N  # trace(X~^T X~) / N >= lambda_max
    return 0.5 * s_max * lam + float(l2)


def mean_example_lipschitz(X, codes, rows):
    """L_bar = mean_k s_k (||x^k||^2 + 1) / 2: the per-example Hessian bounds L_k averaged
    (without l2). Unlike max_k L_k it is not dominated by a few outlying rows."""
    sq = np.einsum("ij,ij->i", X, X, dtype=np.float64) + 1.0
    if codes is None:
        sq *= rows.sum(axis=1)
    return 0.5 * float(sq.mean())


def stochastic_lipschitz(X, codes, rows, l2, batch_size, gram=None):
    """Smoothness constant for steps on mini-batches of ``batch_size`` drawn without
    replacement (the "expected smoothness" of b-nice sampling, Gower et al. 2019),
    with the averaged per-example bound L_bar in place of max_k L_k:
        L(B) = N (B - 1) / (B (N - 1)) * L_full + (N - B) / (B (N - 1)) * L_bar + l2.
    B = 1 (sgd) gives L_bar + l2; B = N gives the full-batch L."""
    N = X.shape[0]
    B = min(int(batch_size), N)
    L_bar = mean_example_lipschitz(X, codes, rows)
    if B == 1 or N == 1:
        return L_bar + float(l2)
    L_full = batch_lipschitz(X, codes, rows, 0.0, gram)
    return (N * (B - 1)) / (B * (N - 1)) * L_full + (N - B) / (B * (N - 1)) * L_bar + float(l2)
