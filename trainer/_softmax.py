"""Numerically stable softmax and log-softmax.

Math: for logits V (any shape, classes along ``axis``) with c = max_k V_k,
    softmax(V)_i     = e^{V_i - c} / sum_k e^{V_k - c}            (= e^{V_i} / S)
    log_softmax(V)_i = (V_i - c) - ln sum_k e^{V_k - c}          (= V_i - ln S)
Subtracting c leaves the value unchanged (numerator and denominator both gain
the factor e^{-c}) but keeps every exponent <= 0, so e^{...} never overflows and
the denominator is >= 1 (the largest term is e^0 = 1), so it never underflows to 0.
"""

import numpy as np

__all__ = ["softmax", "log_softmax"]


def _as_float_array(V):
    V = np.asarray(V)
    if V.dtype.kind not in "fiub":
        raise TypeError(f"logits must be real numbers, got dtype {V.dtype}")
    if V.dtype.kind != "f":
        V = V.astype(np.float64)
    if V.ndim == 0:
        raise ValueError("logits must have at least one axis (the classes), got a scalar")
    return V


def softmax(V, axis=-1):
    """Softmax along ``axis``, stable for logits of any magnitude.

    Parameters
    ----------
    V : array_like, shape (..., n, ...)
        Logits; the n classes lie along ``axis``. Integer input is promoted to
        float64; float32 stays float32.
    axis : int, default -1
        The class axis.

    Returns
    -------
    p : ndarray, same shape and float dtype as ``V``
        p_i = e^{V_i} / sum_k e^{V_k}, computed as e^{V_i - c} / sum_k e^{V_k - c}
        with c = max_k V_k. Entries are in [0, 1] and sum to 1 along ``axis``.
        A row containing +inf or NaN gives NaN (the value is undefined).
    """
    V = _as_float_array(V)
    c = np.max(V, axis=axis, keepdims=True)
    # rows whose max is not finite are left to produce NaN without warnings
    c = np.where(np.isfinite(c), c, 0)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(V - c)
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(V, axis=-1):
    """Log of the softmax along ``axis`` (log-sum-exp form, no log of 0).

    Parameters
    ----------
    V : array_like, shape (..., n, ...)
        Logits; classes along ``axis``.
    axis : int, default -1
        The class axis.

    Returns
    -------
    log_p : ndarray, same shape and float dtype as ``V``
        ln p_i = V_i - ln S = (V_i - c) - ln sum_k e^{V_k - c}, c = max_k V_k.
        Finite for finite ``V`` even when p_i underflows to 0.
    """
    V = _as_float_array(V)
    c = np.max(V, axis=axis, keepdims=True)
    c = np.where(np.isfinite(c), c, 0)
    with np.errstate(invalid="ignore", over="ignore"):
        shifted = V - c
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
