"""Refinement of entries that the first pass flagged: confirm the failure or prove a pass.

An entry outside its first-pass tolerance t_i = atol_i + rtol max(|a_i|, |n_i|) may be
truncation error of the step (a stationary point, a strongly curved f) rather than a bug.
Refinement evaluates central differences at further steps (h/2, h/4, 2h, 4h, h/8, h/16:
8h, h/8, h/16: 2 calls of f each) and extrapolates them (`verify.richardson`): an estimate
T_i with an error bound B_i (truncation + KAPPA rounding standard deviations). Then

- **pass** only if |a_i - T_i| <= t_i and B_i <= t_i: the analytic value is within the
  *first-pass* tolerance of an estimate at least that accurate (the tolerance is never
  loosened or replaced by the refined bound);
- **fail (confirmed)** if |a_i - T_i| - B_i > t_i, after at least two further steps;
- **coarse**: after every step was tried, |a_i - T_i| <= t_i but B_i > t_i: the analytic
  value agrees with the best estimate *within the first-pass tolerance*, but that estimate
  is known only to +-B_i (f too curved for the chosen step and too noisy for smaller ones).
  The entry passes and is counted and reported (``n_coarse``) with its bound;
- otherwise **inconclusive**: the entry stays failed, and the report says that finite
  differences could not decide it.

t_i uses the smaller of rtol max(|a_i|, |n_i|) and rtol max(|a_i|, |T_i|).
"""

from __future__ import annotations

import numpy as np

from verify.richardson import extrapolate
from verify.steps import KAPPA, central_noise

SCHEDULE = (0.5, 0.25, 2.0, 4.0, 8.0, 0.125, 0.0625)  # new steps, in multiples of h
PASSED, FAILED, INCONCLUSIVE, COARSE = 1, -1, 0, 2


def refine(central_at, levels, h, a, atol, tol1, rtol, nu, *, floor=0.0, eps=2.0**-52, schedule=SCHEDULE):
    """Refine flagged entries.

    Parameters
    ----------
    central_at : callable
        ``central_at(steps, k)`` -> central differences of flagged entries k (local
        indices) at the given steps (2 calls of f each).
    levels : dict float -> ndarray (n,)
        Central differences already known, by step multiple of h (``{1.0: D(h)}``; for
        Richardson ``{1.0: D(h), 2.0: D(2h)}``).
    h, a, atol, tol1 : ndarray (n,)
        Steps, analytic values, first-pass atol_i and tolerance t_i of the flagged entries.
    rtol : float
    nu : float or ndarray (n,)
        Rounding noise of f (per entry).
    floor : float
        Rounding noise of f's last rounding alone (eps |f| / 8): the level above which a
        change of D counts for the smoothness test (a kink inflates the measured ``nu``).
    eps : float
        Machine epsilon of the parameters' dtype.

    Returns
    -------
    estimate, bound : ndarray (n,)
        Refined estimate T_i and its bound B_i.
    status : ndarray (n,) of int
        PASSED, COARSE, FAILED or INCONCLUSIVE.
    calls : int
        Evaluations of f made.
    rough : ndarray (n,) of bool
        Central differences did not converge as the step shrank: the change
        |D(h/4) - D(h/2)| is at least half of |D(h/2) - D(h)| (smooth f: about 1/4), and
        above both the final rounding of f and sqrt(eps) |D(h/2)| (noise of a smooth f
        stays far below that). f does not look smooth within h of such an entry.
    """
    n = len(a)
    floor_eps = eps
    nu = np.broadcast_to(np.asarray(nu, dtype=float), (n,))
    levels = {float(m): np.asarray(v, dtype=float).copy() for m, v in levels.items()}
    estimate = levels[1.0].copy()
    bound = np.full(n, np.inf)
    status = np.full(n, INCONCLUSIVE)
    undecided = np.ones(n, dtype=bool)
    calls, added = 0, 0
    for mult in schedule:
        act = np.flatnonzero(undecided)
        if act.size == 0:
            break
        if mult in levels:
            continue
        new = np.full(n, np.nan)
        new[act] = central_at(mult * h[act], act)
        levels[mult] = new
        calls += 2 * act.size
        added += 1
        mults = sorted(levels, reverse=True)  # steps h_0 > h_1 > ... (ratio 2)
        D = np.array([levels[m][act] for m in mults])
        noise = np.array([central_noise(nu[act], m * h[act]) for m in mults])
        ext = extrapolate(D, noise, kappa=KAPPA)
        estimate[act], bound[act] = ext.estimate, ext.bound
        with np.errstate(all="ignore"):
            err = np.abs(a[act] - ext.estimate)
            t = np.minimum(tol1[act], atol[act] + rtol * np.maximum(np.abs(a[act]), np.abs(ext.estimate)))
            ok = (err <= t) & (ext.bound <= t)
            bad = (err - ext.bound > t) & (added >= 2)
        status[act[ok]] = PASSED
        status[act[bad & ~ok]] = FAILED
        undecided[act[ok | bad]] = False
    with np.errstate(all="ignore"):
        t = np.minimum(tol1, atol + rtol * np.maximum(np.abs(a), np.abs(estimate)))
        coarse = undecided & (np.abs(a - estimate) <= t) & (added >= 2)
    status[coarse] = COARSE
    rough = np.zeros(n, dtype=bool)
    if {1.0, 0.5, 0.25} <= set(levels):
        with np.errstate(all="ignore"):
            d0 = np.abs(levels[0.5] - levels[1.0])
            d1 = np.abs(levels[0.25] - levels[0.5])
            floor_d = KAPPA * np.sqrt(2.0) * central_noise(floor, 0.25 * h)
            relative = np.sqrt(floor_eps) * np.abs(levels[0.5])
            rough = (d1 > 0.5 * d0) & (d1 > np.maximum(floor_d, relative))
        rough &= (status != PASSED) & (status != COARSE)
    return estimate, bound, status, calls, rough
