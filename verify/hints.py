"""Hints for failed gradient checks whose error has a pattern.

Per array (and for all arrays together when they agree):

- a constant factor: a = r n on every resolved entry ("analytic = 0.5 x numeric everywhere:
  a missing factor 2?", "an extra factor 4?", "a missing 1/N?" is left to the reader);
- a flipped sign: r = -1;
- a missing gradient: a = 0 where n is clearly not;
- a transpose: a matches n^T (square arrays) or n^T reshaped to the array's shape (what a
  transposed product of the right size gives).

A pattern is reported only when it explains every resolved entry of the array within its
tolerance, and the plain comparison fails.
"""

from __future__ import annotations

import numpy as np

MAX_DENOMINATOR = 1024


def _fraction(r):
    """'a missing factor k?' / 'an extra factor k?' when r is close to 1/k or k."""
    s = "sign flipped and " if r < 0 else ""
    r = abs(r)
    for value, what in ((1.0 / r, "a missing factor"), (r, "an extra factor")):
        k = round(value)
        if 2 <= k <= MAX_DENOMINATOR and abs(value - k) <= 1e-3 * k:
            return f"{s}{what} {k}?"
    return f"{s}a wrong scale?" if s or r != 1 else ""


def _factor(a, n, tol):
    """r with a = r n on every entry (within tol), or None."""
    big = np.abs(n) > tol
    if big.sum() == 0:
        return None
    r = float(np.median(a[big] / n[big]))
    if not np.isfinite(r) or abs(r - 1.0) < 1e-3:
        return None
    # n's own error is scaled by r in r n
    if np.all(np.abs(a - r * n) <= max(1.0, abs(r)) * tol + 1e-3 * np.abs(a)):
        return r
    return None


def _transposed(a, n, tol, shape):
    if len(shape) != 2 or shape[0] < 2 or shape[1] < 2:
        return None
    A, Nm = a.reshape(shape), n.reshape(shape)
    T = tol.reshape(shape)
    if shape[0] == shape[1] and np.all(np.abs(A - Nm.T) <= T):
        return "analytic = numeric.T"
    R = Nm.T.reshape(shape)
    if np.all(np.abs(A - R) <= T):
        return f"analytic = numeric.T reshaped to {shape}"
    return None


def hints(layout, idx, a, n, tol, failed):
    """Pattern hints for a failed check.

    Parameters
    ----------
    layout : ParamLayout
    idx : ndarray of int
        Flat indices of the checked entries; a, n, tol, failed are per checked entry.

    Returns
    -------
    list of str
    """
    if not failed.any():
        return []
    finite = np.isfinite(a) & np.isfinite(n)
    out, factors = [], {}
    arr = layout.array_of(idx)
    for k, name in enumerate(layout.names):
        sel = (arr == k) & finite
        if not (failed & sel).any():
            continue
        ak, nk, tk = a[sel], n[sel], tol[sel]
        if np.all(ak == 0) and np.any(np.abs(nk) > tk):
            out.append(f"analytic {name} is 0 everywhere: its gradient is missing?")
            continue
        r = _factor(ak, nk, tk)
        if r is not None:
            factors[name] = r
            continue
        if sel.sum() == layout.sizes[k]:
            order = np.argsort(idx[sel])
            t = _transposed(ak[order], nk[order], tk[order], layout.shapes[k])
            if t is not None:
                out.append(f"the transpose matches in {name} ({t}): a transposed product?")
    if factors:
        rs = list(factors.values())
        same = all(abs(r - rs[0]) <= 1e-3 * abs(rs[0]) for r in rs)
        groups = [("everywhere", rs[0])] if same and len(factors) == len(layout.names) else [
            (f"everywhere in {name}", r) for name, r in factors.items()
        ]
        for where, r in groups:
            if abs(r + 1.0) < 1e-3:
                out.insert(0, f"sign flipped {where}: analytic = -numeric")
            else:
                why = _fraction(r)
                shown = f"{round(r):d}" if abs(r) >= 2 and abs(r - round(r)) <= 1e-3 * abs(r) else f"{r:.4g}"
                out.insert(0, f"analytic = {shown} × numeric {where}" + (f": {why}" if why else ""))
    return out
