"""Hessian-vector products of the softmax-regression objective (`trainer.loss`).

Notation as in `trainer.objective`: W (n, m), b (n,), X (N, m), label rows Y (N, n) with row
sums s_k = sum_i y'^k_i (index labels: one-hot rows, s_k = 1), P = softmax(X W^T + b) (N, n).
For a direction (V, v) in parameter space (V (n, m), v (n,)) the logits move by

    U = X V^T + 1 v^T                                   (N, n),

the softmax by dP = P ⊙ U - P ⊙ rowsum(P ⊙ U) (its Jacobian diag(p) - p p^T applied per row),
and the gradient G = P s - Y by R = s ⊙ dP, so

    (H [V; v])_W = (1/N) [s ⊙ (P ⊙ U - P ⊙ rowsum(P ⊙ U))]^T X + l2 V,
    (H [V; v])_b = (1/N) [s ⊙ (P ⊙ U - P ⊙ rowsum(P ⊙ U))]^T 1,

i.e. H v = X^T [(P ⊙ (X V^T)) - P ⊙ rowsum(P ⊙ (X V^T))] / N + l2 V (transposed to (n, m),
with the bias direction added to the logits and the label sums s as weights). Entrywise
this is the Hessian

    ∂²J / ∂w_ij ∂w_pq = (1/N) Σ_k s_k x^k_j x^k_q p^k_i (δ_ip - p^k_p) + l2 δ_ip δ_jq

applied to (V, v) without forming it (the cost of two products with X, like one gradient).
"""

import numpy as np

from ._softmax import log_softmax
from .objective import _check_problem

__all__ = ["hessian_vector_product"]


def hessian_vector_product(W, b, X, Y, V, v, *, l2=0.0):
    """Hessian of `trainer.loss` at (W, b) applied to the direction (V, v).

    Parameters
    ----------
    W, b, X, Y, l2
        As in `trainer.loss`: W (n, m), b (n,), X (N, m), Y (N,) integer labels or (N, n)
        label rows, l2 >= 0.
    V : array_like, shape (n, m)
        Direction for W.
    v : array_like, shape (n,)
        Direction for b.

    Returns
    -------
    HV : ndarray, shape (n, m)
        (H [V; v])_W = (1/N) R^T X + l2 V, with U = X V^T + 1 v^T,
        R = s ⊙ (P ⊙ U - P ⊙ rowsum(P ⊙ U)), s_k = sum_i y'^k_i.
    Hv : ndarray, shape (n,)
        (H [V; v])_b = (1/N) R^T 1 (no penalty on the bias).

    Raises
    ------
    ValueError, TypeError
        As `trainer.loss`, and directions of the wrong shape or with NaN / inf.
    """
    W, b, X, codes, Yrows = _check_problem(W, b, X, Y, l2)
    V = np.asarray(V)
    v = np.asarray(v)
    for name, arr, shape in (("V", V, W.shape), ("v", v, b.shape)):
        if arr.dtype.kind not in "fiub":
            raise TypeError(f"{name} must be numeric; got dtype {arr.dtype}")
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape} like {'W' if name == 'V' else 'b'}; got {arr.shape}")
        if not np.isfinite(arr).all():
            where = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
            raise ValueError(f"{name} contains {float(arr[where])!r} at index {where}; directions must be finite")
    V = V.astype(W.dtype, copy=False)
    v = v.astype(W.dtype, copy=False)
    N = X.shape[0]
    P = np.exp(log_softmax(X @ W.T + b, axis=1))  # (N, n)
    U = X @ V.T + v  # logit change along the direction
    PU = P * U
    R = PU - P * PU.sum(axis=1, keepdims=True)  # softmax Jacobian applied to each row of U
    if codes is None:
        R *= Yrows.sum(axis=1, keepdims=True)  # s_k (1 for one-hot / index labels)
    HV = R.T @ X / N + l2 * V
    Hv = R.sum(axis=0) / N
    return HV, Hv
