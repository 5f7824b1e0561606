"""Steps of the difference quotients, chosen from what evaluations of f tell.

The error of a central difference D(h) = [f(x + h) - f(x - h)] / 2h is

    truncation  c h^2  (c = f'''(x) / 6)   +   rounding  nu / (sqrt(2) h)  (standard deviation),

nu the rounding noise of one evaluation of f. Both are measured rather than assumed:

- `measure_noise`: nu from a difference table of f along one entry per array (Moré & Wild,
  "Estimating computational noise", SIAM J. Sci. Comput. 2011): for points
  x + k delta e_i (k = -4..4) the j-th differences of the smooth part of f vanish like
  delta^j, those of the noise do not, and nu_j^2 = gamma_j mean((Delta^j f)^2) with
  gamma_j = (j!)^2 / (2j)!; nu is the median over j = 3..6.
- `choose_steps`: a pilot of a few entries per array measures c from D(h) and D(2h)
  (D(2h) - D(h) = 3 c h^2 + O(h^4)) at the textbook step and at a large one; the
  step that balances the two errors is h* = (nu / (2 |c|))^(1/3) (minimum of
  c^2 h^4 + nu^2 / (2 h^2)). Each array gets the relative step of its most curved pilot
  entry, within [eps^(1/3) / 256, eps^(1/4)] (relative to max(1, |x|)).
"""

from __future__ import annotations

import math

import numpy as np

NOISE_HALF = 4  # noise table: f at x + k delta e_i for k = -4..4
PROBE_TRIES = 3  # probe entries tried per array for the noise table
PILOT_ENTRIES = 4  # pilot entries per array
KAPPA = 6.0  # tolerances count this many standard deviations of rounding noise


def machine_eps(dtype):
    return float(np.finfo(dtype).eps)


def default_relative_step(method, dtype):
    """The textbook step of each method, relative to max(1, |x|)."""
    e = machine_eps(dtype)
    if method == "richardson":
        return (1.0 if np.dtype(dtype).itemsize >= 8 else 0.25) * e ** (1 / 5)
    return e ** (1 / 3)


def measure_noise(central_values, layout, x, selected, *, dtype, f0, seed):
    """Rounding noise nu (standard deviation) of f, per array, from difference tables.

    For one probe entry i per array, f is evaluated at x + k delta e_i, k = -4..4 (8 calls;
    f(x) is known), for delta = the textbook step h_0 = eps^(1/3) max(1, |x_i|) and h_0 / 16:
    perturbations of the size of the finite-difference steps, so that they reach every
    rounding f does (much smaller ones can vanish in an intermediate rounding and hide the
    noise). The smaller estimate counts (the larger step may see the smooth part of a
    strongly curved f), unless the smaller step's table is mostly exact zeros.

    Parameters
    ----------
    central_values : callable
        ``central_values(h, entries)`` -> ``(D, f(x + h e_i), f(x - h e_i))``.

    Returns
    -------
    nu : ndarray (number of arrays,)
        max(difference-table estimate, eps |f0| / 2) per array (the largest over arrays
        for arrays without a selected entry).
    calls : int
        Evaluations of f made.
    """
    e = machine_eps(dtype)
    floor = max(e * abs(f0) / 2.0, np.finfo(float).tiny)
    rng = np.random.default_rng(seed + 7919)
    arr = layout.array_of(selected)
    nu = np.full(len(layout.sizes), np.nan)
    calls = 0
    for _ in range(PROBE_TRIES):
        # one probe entry per array still without an estimate (an entry f does not depend
        # on tells nothing: its table is constant, and another entry is tried)
        todo = [k for k in range(len(layout.sizes)) if np.isnan(nu[k]) and (arr == k).any()]
        if not todo:
            break
        probe = np.array([rng.choice(selected[arr == k]) for k in todo])
        h0 = default_relative_step("central", dtype) * np.maximum(1.0, np.abs(x[probe]))
        sigma, constant, n = noise_tables(central_values, probe, h0, f0)
        calls += n
        for k, sg, c in zip(todo, sigma, constant):
            if not c:
                nu[k] = max(sg, floor)
    known = nu[np.isfinite(nu)]
    nu[np.isnan(nu)] = float(np.max(known)) if known.size else floor
    return nu, calls


def noise_tables(central_values, probe, h0, f0):
    """Noise estimates per probe from difference tables at step h0, and h0 / 16 when needed.

    The table at h0 is accepted when its estimates for orders j = 3..6 agree within a
    factor 3 (noise does not depend on j; the smooth part of a strongly curved f grows
    with it); otherwise the table at h0 / 16 counts, unless that one is mostly exact zeros
    (the perturbation vanished in f's rounding).

    Returns
    -------
    sigma : ndarray
    constant : ndarray of bool
        f was the same at every point of the h0 table (the probe tells nothing).
    calls : int
    """
    sigma, spread, quantized, constant = _noise_table(central_values, probe, h0, f0)
    calls = 2 * NOISE_HALF * probe.size
    redo = np.flatnonzero(~(spread <= 3.0) & ~constant)
    if redo.size:
        s2, _, q2, _ = _noise_table(central_values, probe[redo], h0[redo] / 16.0, f0)
        sigma[redo] = np.where(q2, sigma[redo], np.fmin(sigma[redo], s2))
        calls += 2 * NOISE_HALF * redo.size
    return np.where(np.isfinite(sigma), sigma, np.inf), constant, calls


def _noise_table(central_values, probe, delta, f0):
    """Moré-Wild noise estimate per probe entry from f at x + k delta e_i, k = -4..4."""
    plus, minus = [], []
    with np.errstate(all="ignore"):
        for k in range(1, NOISE_HALF + 1):
            _, fp, fm = central_values(k * delta, probe)
            plus.append(fp)
            minus.append(fm)
    table = np.vstack(minus[::-1] + [np.full(probe.size, float(f0))] + plus)  # (9, probes)
    first = np.diff(table, axis=0)
    quantized = np.mean(first == 0, axis=0) > 0.5
    constant = np.all(first == 0, axis=0)
    estimates = []
    diff = table
    with np.errstate(all="ignore"):
        for j in range(1, 7):
            diff = np.diff(diff, axis=0)
            if j >= 3:
                gamma = math.factorial(j) ** 2 / math.factorial(2 * j)
                estimates.append(np.sqrt(gamma * np.mean(diff**2, axis=0)))
        est = np.array(estimates)
        spread = est.max(axis=0) / est.min(axis=0)
        return np.median(est, axis=0), spread, quantized, constant


def central_noise(nu, h):
    """Rounding noise (standard deviation) of a central difference with half-step h."""
    return nu / (math.sqrt(2.0) * np.asarray(h, dtype=float))


def pilot_entries(layout, selected, seed, magnitude=None):
    """Up to PILOT_ENTRIES entries of each array among `selected` (flat indices), seeded.

    With ``magnitude`` (e.g. |analytic gradient| per flat entry) half of them are the
    array's largest entries (where f changes fastest, and typically curves most), the rest
    random.
    """
    rng = np.random.default_rng(seed + 104729)
    arr = layout.array_of(selected)
    out = []
    for k in range(len(layout.sizes)):
        mine = selected[arr == k]
        if not mine.size:
            continue
        take = min(PILOT_ENTRIES, mine.size)
        first = np.zeros(0, dtype=mine.dtype)
        if magnitude is not None:
            mag = np.nan_to_num(np.abs(magnitude[mine]), nan=0.0, posinf=0.0)
            first = mine[np.argsort(-mag, kind="stable")[: take // 2]]
        rest = np.setdiff1d(mine, first)
        out.append(np.concatenate([first, rng.choice(rest, size=take - first.size, replace=False)]))
    return np.sort(np.concatenate(out)) if out else np.zeros(0, dtype=int)


def choose_steps(central_at, layout, x, selected, *, dtype, nu, seed, magnitude=None):
    """Per-entry steps h_i = rho_a max(1, |x_i|) for the `selected` flat entries.

    The pilot measures the truncation coefficient c at two scales: at the textbook step
    h_0 = eps^(1/3) max(1, |x|) (seen there only when f is strongly curved: then a smaller
    step is needed) and at h_p = eps^(1/4) max(1, |x|) (for gently curved f, where a larger
    step pays). c counts the larger of the two (the h_p one at least as its noise).

    Parameters
    ----------
    central_at : callable
        ``central_at(h, entries)`` -> central differences of those flat entries at steps h.
    layout : ParamLayout
    x : ndarray (P,)
        All parameter values (float64).
    selected : ndarray of int
        Flat indices to be checked.
    nu : ndarray
        Rounding noise of f per array (`measure_noise`).
    magnitude : ndarray (P,), optional
        |analytic gradient|: half the pilot entries are the largest ones of each array.

    Returns
    -------
    h : ndarray
        Steps of the selected entries.
    rho : ndarray
        Relative step per array, within [eps^(1/3) / 256, eps^(1/4)].
    calls : int
        Evaluations of f spent by the pilot (8 per pilot entry).
    """
    e = machine_eps(dtype)
    r0, rp = default_relative_step("central", dtype), e ** (1 / 4)
    lo = r0 / 256.0
    rho = np.full(len(layout.sizes), r0)
    pilot = pilot_entries(layout, selected, seed, magnitude)
    if pilot.size == 0:
        return rho[layout.array_of(selected)] * np.maximum(1.0, np.abs(x[selected])), rho, 0
    m = np.maximum(1.0, np.abs(x[pilot]))
    nu = np.asarray(nu, dtype=float)[layout.array_of(pilot)]
    with np.errstate(all="ignore"):
        c = np.zeros(pilot.size)
        for rel, strict in ((r0, True), (rp, False)):
            h1 = rel * m
            d1, d2 = central_at(h1, pilot), central_at(2.0 * h1, pilot)
            noise = np.sqrt(central_noise(nu, h1) ** 2 + central_noise(nu, 2.0 * h1) ** 2)
            # D(2h) - D(h) = 3 c h^2: at h_0 only what rises above the noise counts, at h_p
            # the noise counts too (an upper bound on c where no curvature is seen)
            delta = np.abs(d2 - d1) + (-3.0 if strict else 3.0) * noise
            c = np.fmax(c, np.where(np.isfinite(delta), np.maximum(delta, 0.0), np.inf) / (3.0 * h1**2))
        h_opt = (nu / (2.0 * c)) ** (1 / 3)
        rel = np.where(np.isfinite(h_opt), h_opt / m, lo)
    arrays = layout.array_of(pilot)
    for k in np.unique(arrays):
        rho[k] = float(np.clip(np.min(rel[arrays == k]), lo, rp))
    h = rho[layout.array_of(selected)] * np.maximum(1.0, np.abs(x[selected]))
    return h, rho, 8 * int(pilot.size)
