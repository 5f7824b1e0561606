"""Refinement of entries that the first pass flagged: confirm the failure or prove a pass.

An entry outside its first-pass tolerance t_i = atol_i + rtol max(|a_i|, |n_i|) may be
truncation error of the step (a stationary point, a strongly curved f) rather than a bug.
Refinement evaluates central differences at further steps (h/2, h/4, 2h, 4h, h/8, h/16:
8h, h/8, h/16: 2 calls of f each) and extrapolates them (`verify.richardson`): an estimate
T_i with an error bound B_i (truncation + KAPPA rounding standard deviations). Then

- **pass** only if |a_i - T_i| <= t_i and B_i <= t_i: the analytic value is within the
  *first-pass* tolerance of an estimate at least that accurate (the tolerance is never
  loosened or replaced by the refined bound);
- **fail (confirmed)** if |a_i - T_i| - B_i > t_i for the estimate from steps <= h, and
  those central differences converge as h shrinks (each change at most half the one
  before, or at noise level): a table that has not reached its asymptotic regime can give
  a precise-looking wrong estimate, which must not count as a counterexample; or if the
  estimate T'_i of the whole table (steps above h too, less rounding; bound B'_i) agrees with
  that converging one within B_i + B'_i and |a_i - T'_i| - B'_i > min(t_i, rtol
  max(|a_i|, |T'_i|) + B'_i): the error is then more than twice the refined bound plus the
  relative tolerance (in float32 the first pass's rounding allowance in t_i can exceed a 1%
  error that the refined estimate resolves);
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

SCHEDULE = (0.5, 0.25, 2.0, 4.0, 8.0, 1 / 8, 1 / 16, 1 / 32, 1 / 64)  # new steps, in multiples of h
PASSED, FAILED, INCONCLUSIVE, COARSE = 1, -1, 0, 2


def refine(central_at, levels, h, a, *, atol, tol1, rtol, nu, floor=0.0, eps=2.0**-52, schedule=SCHEDULE):
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
        Rounding of f's last operation alone (eps max(1, |f|) / 8): the smoothness test
        counts the measured noise only up to 64x this (a kink inflates the measured ``nu``).
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
    nu = np.broadcast_to(np.asarray(nu, dtype=float), (n,))
    levels = {float(m): np.asarray(v, dtype=float).copy() for m, v in levels.items()}
    estimate = levels[1.0].copy()
    bound = np.full(n, np.inf)
    status = np.full(n, INCONCLUSIVE)
    undecided = np.ones(n, dtype=bool)
    converging = np.zeros(n, dtype=bool)
    down_est = estimate.copy()
    down_bound = np.full(n, np.inf)
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
        full = _extrapolate(levels, sorted(levels, reverse=True), act, h, nu)
        down = [m for m in sorted(levels, reverse=True) if m <= 1.0]
        estimate[act], bound[act] = full.estimate, full.bound
        with np.errstate(all="ignore"):
            t = np.minimum(tol1[act], atol[act] + rtol * np.maximum(np.abs(a[act]), np.abs(full.estimate)))
            ok = (np.abs(a[act] - full.estimate) <= t) & (full.bound <= t)
            bad = np.zeros(act.size, dtype=bool)
            if len(down) >= 3:
                # a failure counts only where the central differences converge as h shrinks
                # (an estimate from a non-asymptotic table can look precise and be wrong)
                conv = _converging(levels, down, act, h, nu)
                converging[act] = conv
                # from the three smallest steps only, where the table converges: its larger
                # steps may reach a kink of f (D(s) = f' + J (s - d) / 2s beyond the kink's
                # distance d), and an extrapolation over them can look precise and be wrong
                dx = _extrapolate(levels, down[-3:], act, h, nu)
                # a coarse pass counts the best estimate of the whole converging table, with its bound
                whole = _extrapolate(levels, down, act, h, nu)
                down_est[act], down_bound[act] = whole.estimate, whole.bound
                # and the smallest step's own quotient disagrees beyond its truncation (the
                # last change) and rounding: an extrapolation of a table bent by a kink can
                # miss a value that D at the smallest step already shows
                m0, m1 = down[-1], down[-2]
                raw = (
                    np.abs(a[act] - levels[m0][act]) - np.abs(levels[m0][act] - levels[m1][act])
                    - KAPPA * central_noise(nu[act], m0 * h[act]) > t
                )
                bad = conv & raw & (np.abs(a[act] - dx.estimate) - dx.bound > t) & ~ok
                estimate[act[bad]], bound[act[bad]] = dx.estimate[bad], dx.bound[bad]
                # the whole table (steps above h too: less rounding) confirms where the
                # converging table of steps <= h agrees with it within both bounds, and the
                # error exceeds twice its bound plus rtol (its bound replaces the first
                # pass's rounding allowance; never a looser threshold than t)
                err_full = np.abs(a[act] - full.estimate)
                agree = conv & (np.abs(full.estimate - dx.estimate) <= full.bound + dx.bound)
                thr = np.minimum(t, rtol * np.maximum(np.abs(a[act]), np.abs(full.estimate)) + full.bound)
                bad_full = agree & raw & (err_full - full.bound > thr) & ~ok & ~bad
                bad |= bad_full
        status[act[ok]] = PASSED
        status[act[bad]] = FAILED
        undecided[act[ok | bad]] = False
    with np.errstate(all="ignore"):
        t = np.minimum(tol1, atol + rtol * np.maximum(np.abs(a), np.abs(down_est)))
        coarse = undecided & converging & (np.abs(a - down_est) <= t)
    status[coarse] = COARSE
    estimate[coarse], bound[coarse] = down_est[coarse], down_bound[coarse]
    rough = np.zeros(n, dtype=bool)
    if {1.0, 0.5, 0.25} <= set(levels):
        # hint only: the changes of D do not shrink (ratio > 1/2) and stand out of both the
        # final rounding of f and sqrt(eps) |D| (a kink also inflates the measured noise)
        with np.errstate(all="ignore"):
            d0 = np.abs(levels[0.5] - levels[1.0])
            d1 = np.abs(levels[0.25] - levels[0.5])
            # the measured noise counts, up to 64x the final rounding (a kink near x inflates
            # the noise table itself by orders of magnitude)
            noise_d = KAPPA * np.sqrt(2.0) * central_noise(np.minimum(nu, 64.0 * floor), 0.25 * h)
            relative = np.sqrt(eps) * np.abs(levels[0.5])
            rough = (d1 > 0.5 * d0) & (d1 > np.maximum(noise_d, relative))
        rough &= (status != PASSED) & (status != COARSE)
    return estimate, bound, status, calls, rough


def _extrapolate(levels, mults, act, h, nu):
    D = np.array([levels[m][act] for m in mults])
    noise = np.array([central_noise(nu[act], m * h[act]) for m in mults])
    return extrapolate(D, noise, kappa=KAPPA)


def _converging(levels, down, act, h, nu):
    """The last change of D as h halves is at most half the one before, or at noise level."""
    m2, m1, m0 = down[-3], down[-2], down[-1]
    with np.errstate(all="ignore"):
        d_prev = np.abs(levels[m1][act] - levels[m2][act])
        d_last = np.abs(levels[m0][act] - levels[m1][act])
        noise = KAPPA * np.sqrt(2.0) * central_noise(nu[act], m0 * h[act])
        return (d_last <= 0.5 * d_prev) | (d_last <= noise)


def kinks(central_values, h, a, estimate, tol, *, nu, f0, floor, scales=(0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)):
    """Which confirmed failures sit at a kink of f, and whether `a` is a one-sided derivative there.

    With F(s) = [f(x + s) - f(x)] / s, B(s) = [f(x) - f(x - s)] / s and J(s) = F(s) - B(s)
    at s = h/4, h/8, h/16, h/32: for a smooth f, J(s) = f'' s + O(s^3) halves with s (ratio
    J(s) / J(s/2) near 2); at a kink at distance d from x it is about the jump of the slope
    for s > d and f'' s for s < d, and central differences with steps above d give the
    *mean* of the one-sided slopes, which no one-sided (sub)gradient equals. An entry is at a
    kink when for two consecutive scales the ratio is below 1.3 (J does not shrink; both
    above KAPPA standard deviations of their rounding, sqrt(6) nu / s) or above 12 (it
    collapses; J(s) above that noise), and J(s) explains the error (|J(s)| >= |a - estimate| / 2). There `a` is
    *one-sided* when it matches some F(s) or B(s) within `tol` plus their truncation
    (|F(s) - F(2s)|) and rounding (KAPPA sqrt(2) nu / s).

    Parameters
    ----------
    central_values : callable
        ``central_values(steps, k)`` -> ``(D, f(x + s e_k), f(x - s e_k))`` for local entries k.
    h, a, estimate, tol, nu : ndarray (n,)
        Steps, analytic values, refined estimates, first-pass tolerances, noise of f.
    f0 : float
        f(x).
    floor : float
        Rounding of f's last operation (eps max(1, |f|) / 8): nu counts up to 64x this (a
        kink inflates the measured noise).

    Returns
    -------
    kink, one_sided : ndarray (n,) of bool
    side : ndarray (n,)
        The one-sided difference quotient that `a` matches.
    calls : int
    """
    n = len(a)
    nu = np.minimum(np.broadcast_to(np.asarray(nu, dtype=float), (n,)), 64.0 * floor)
    F, B, S = [], [], []
    with np.errstate(all="ignore"):
        for q in scales:
            st = h / q
            _, fp, fm = central_values(st, np.arange(n))
            F.append((fp - f0) / st)
            B.append((f0 - fm) / st)
            S.append(st)
        err = np.abs(a - estimate)
        kink = np.zeros(n, dtype=bool)
        for k in range(len(scales) - 1):
            J0, J1 = np.abs(F[k] - B[k]), np.abs(F[k + 1] - B[k + 1])
            big0 = J0 > KAPPA * np.sqrt(6.0) * nu / S[k]
            big1 = J1 > KAPPA * np.sqrt(6.0) * nu / S[k + 1]
            ratio = J0 / np.where(J1 > 0, J1, np.finfo(float).tiny)
            kink |= big0 & ((big1 & (ratio < 1.3)) | (ratio > 12.0)) & (J0 >= err / 2.0)
        one_sided = np.zeros(n, dtype=bool)
        side = np.full(n, np.nan)
        for k in range(1, len(scales)):
            slack = tol + KAPPA * np.sqrt(2.0) * nu / S[k]
            for D, D2 in ((F[k], F[k - 1]), (B[k], B[k - 1])):
                hit = kink & ~one_sided & (np.abs(a - D) <= slack + np.abs(D - D2))
                side[hit] = D[hit]
                one_sided |= hit
    return kink, one_sided, side, 2 * len(scales) * n
