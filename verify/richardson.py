"""Richardson extrapolation of difference quotients, with error bounds.

A difference quotient with step h has an error expansion in powers of h,

    D(h) = d + c_1 h^p + c_2 h^(2p) + ...      (central differences: p = 2)

Given D at steps h_0 > h_1 > ... with a fixed ratio r = h_{k-1} / h_k, the Richardson
(Neville) table removes one term per column:

    T[k][0] = D(h_k),
    T[k][j] = T[k][j-1] + (T[k][j-1] - T[k-1][j-1]) / (r^(p j) - 1),

so T[k][j] has error O(h_k^(p (j+1))). Each entry gets a bound on |T[k][j] - d|:

- truncation: |T[k][j] - T[k-1][j]| (the same order at the previous step; it is
  (r^(p (j+1)) - 1) times the standard estimate of T[k][j]'s own error: 3x for
  central differences at j = 0, 15x at j = 1, so conservative);
- rounding: kappa * sqrt(sum_l w_l^2 s_l^2), where T[k][j] = sum_l w_l D(h_l) (the weights
  are exact) and s_l is the rounding noise (standard deviation) of D(h_l).

The best estimate of each entry is the table entry with the smallest bound. This is the
scheme of numdifftools' ``extrapolation.py`` (Richardson with a step ratio, an order and a
number of terms), for many entries at once and with the rounding part made explicit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Extrapolation:
    """Best estimates from a Richardson table.

    Attributes
    ----------
    estimate : ndarray (n,)
        Best estimate of d per entry.
    bound : ndarray (n,)
        Its error bound (truncation + kappa * rounding); inf where no entry of the table
        has a truncation estimate (a single step).
    level, order : ndarray (n,) of int
        Row k (step h_k) and column j of the chosen table entry.
    """

    estimate: np.ndarray
    bound: np.ndarray
    level: np.ndarray
    order: np.ndarray


def table(D, *, ratio=2.0, power=2):
    """Neville table of the rows of `D` (shape (L, n): D(h_0), ..., D(h_{L-1})).

    Returns
    -------
    T : list of lists of ndarray
        ``T[k][j]`` for 0 <= j <= k < L, each of shape (n,).
    weights : list of lists of ndarray
        ``weights[k][j]`` (shape (L,)): T[k][j] = sum_l weights[k][j][l] D[l].
    """
    D = np.asarray(D, dtype=float)
    L = D.shape[0]
    T, Wt = [], []
    for k in range(L):
        e = np.zeros(L)
        e[k] = 1.0
        Tk, Wk = [D[k]], [e]
        for j in range(1, k + 1):
            q = ratio ** (power * j) - 1.0
            Tk.append(Tk[j - 1] + (Tk[j - 1] - T[k - 1][j - 1]) / q)
            Wk.append(Wk[j - 1] + (Wk[j - 1] - Wt[k - 1][j - 1]) / q)
        T.append(Tk)
        Wt.append(Wk)
    return T, Wt


def extrapolate(D, noise, *, ratio=2.0, power=2, kappa=6.0, min_order=0):
    """Best Richardson estimate per entry and its error bound.

    Parameters
    ----------
    D : array (L, n)
        Difference quotients at steps h_0 > h_1 > ... > h_{L-1}, h_{k-1} / h_k = ratio.
    noise : array (L, n)
        Rounding noise (standard deviation) of each D.
    ratio, power : float, int
        Step ratio r and the exponent p of the error expansion (2 for central differences).
    kappa : float
        Multiple of the rounding standard deviation counted in the bound.
    min_order : int
        Only table columns j >= min_order are candidates.

    Returns
    -------
    Extrapolation
    """
    D = np.asarray(D, dtype=float)
    noise = np.asarray(noise, dtype=float)
    L, n = D.shape
    T, Wt = table(D, ratio=ratio, power=power)
    best = D[0].copy()
    bound = np.full(n, np.inf)
    level = np.zeros(n, dtype=int)
    order = np.zeros(n, dtype=int)
    with np.errstate(all="ignore"):
        for k in range(1, L):
            for j in range(max(min_order, 0), k):
                rounding = kappa * np.sqrt(np.einsum("l,ln->n", Wt[k][j] ** 2, noise**2))
                b = np.abs(T[k][j] - T[k - 1][j]) + rounding
                take = np.isfinite(b) & (b < bound)
                best[take] = T[k][j][take]
                bound[take] = b[take]
                level[take] = k
                order[take] = j
    return Extrapolation(best, bound, level, order)
