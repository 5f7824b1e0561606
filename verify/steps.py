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
  c^2 h^4 + nu^2 / (2 h^2)). Steps are h_i = rho_a s_i, rho_a per array within
  [eps^(1/3) / 256, eps^(1/4)]:
  - float32 and below: s_i = max(1, |x_i|) and rho_a the step of the most curved pilot
    entry (its truncation must stay below float32's tight rtol);
  - float64: s_i = max(1, min(|x_i|, m_a), |x_i| / 8), m_a the median |x| of the array:
    the entry's own magnitude up to the array's typical one, and beyond it only far above
    it (the curvature of a weight rarely grows with its value: steps scaled by |x_i|
    multiply the truncation of an array's large entries by |x_i|^2; never larger than
    max(1, |x_i|)), and rho_a minimises the array's total squared error
    sum_i (c_i^2 rho^4 s_i^4 + nu^2 / (2 rho^2 s_i^2)) over the pilot (up to 8 entries),
    rho_a^6 = nu^2 mean(s^-2) / (4 mean(c^2 s^4)): the error of the whole gradient, not
    of its most curved entry, is what the step balances.

At two calls of f per entry a central difference cannot do better than the per-entry
optimum, error 1.09 (|c_i| nu^2)^(1/3) per entry (`benchmarks/bench_check_gradient.py`
prints that floor for its problems).
"""

from __future__ import annotations

import math

import numpy as np

NOISE_HALF = 4  # noise table: f at x + k delta e_i for k = -4..4
PROBE_TRIES = 3  # probe entries tried per array for the noise table
PILOT_ENTRIES = 4  # pilot entries per array
PILOT_MAX_64 = 8  # float64: up to this many, one per 64 entries of the array
OUTLIER = 8.0  # float64: steps scale with |x| / OUTLIER beyond the array's median |x|
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
        # a kink of f within the table (a ReLU unit near its corner) looks like noise, but
        # its estimates scale with delta and noise's do not: an estimate above
        # 8 eps max(1, |f|) is checked at delta / 16 too (and / 256 if it fell)
        suspect = 8.0 * e * max(1.0, abs(f0))
        sigma, constant, n = noise_tables(central_values, probe, h0, f0, suspect=suspect)
        calls += n
        for k, sg, c in zip(todo, sigma, constant):
            if not c:
                nu[k] = max(sg, floor)
    known = nu[np.isfinite(nu)]
    nu[np.isnan(nu)] = float(np.max(known)) if known.size else floor
    return nu, calls


def noise_tables(central_values, probe, h0, f0, *, suspect=np.inf):
    """Noise estimates per probe from difference tables at step h0, and h0 / 16 when needed.

    The table at h0 is accepted when its estimates for orders j = 3..6 agree within a
    factor 3 (noise does not depend on j; the smooth part of a strongly curved f grows
    with it), and its estimate is at most `suspect`; otherwise the smaller of the two
    estimates counts (the one at h0 / 16 unless its table is mostly exact zeros: the
    perturbation vanished in f's rounding). A kink of f within 4 h0 of x gives estimates
    proportional to the table's step; noise does not depend on it.

    Returns
    -------
    sigma : ndarray
    constant : ndarray of bool
        f was the same at every point of the h0 table (the probe tells nothing).
    calls : int
    """
    sigma, spread, quantized, constant = _noise_table(central_values, probe, h0, f0)
    calls = 2 * NOISE_HALF * probe.size
    redo = np.flatnonzero((~(spread <= 3.0) | (sigma > suspect)) & ~constant)
    delta = h0.astype(float)
    for _ in range(2):
        if not redo.size:
            break
        delta[redo] /= 16.0
        s2, _, q2, _ = _noise_table(central_values, probe[redo], delta[redo], f0)
        calls += 2 * NOISE_HALF * redo.size
        with np.errstate(all="ignore"):
            # an estimate that fell with the step (> 4x for a 16x smaller one) was a kink's,
            # not noise: look once more, smaller still
            scaling = ~q2 & (s2 < sigma[redo] / 4.0)
        sigma[redo] = np.where(q2, sigma[redo], np.fmin(sigma[redo], s2))
        redo = redo[scaling]
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


def pilot_entries(layout, selected, seed, magnitude=None, per_array=None):
    """Pilot entries of each array among `selected` (flat indices), seeded.

    ``per_array(n)`` gives how many for an array with n selected entries (default
    PILOT_ENTRIES). With ``magnitude`` (e.g. |analytic gradient| per flat entry) half of them
    are the array's largest entries (where f changes fastest, and typically curves most),
    the rest random.
    """
    rng = np.random.default_rng(seed + 104729)
    arr = layout.array_of(selected)
    out = []
    for k in range(len(layout.sizes)):
        mine = selected[arr == k]
        if not mine.size:
            continue
        take = min(PILOT_ENTRIES if per_array is None else per_array(mine.size), mine.size)
        first = np.zeros(0, dtype=mine.dtype)
        if magnitude is not None:
            mag = np.nan_to_num(np.abs(magnitude[mine]), nan=0.0, posinf=0.0)
            first = mine[np.argsort(-mag, kind="stable")[: take // 2]]
        rest = np.setdiff1d(mine, first)
        out.append(np.concatenate([first, rng.choice(rest, size=take - first.size, replace=False)]))
    return np.sort(np.concatenate(out)) if out else np.zeros(0, dtype=int)


def pilot_count_64(n):
    """float64 pilot size for an array of n entries: one per 64, within [4, 8]."""
    return int(min(max(PILOT_ENTRIES, n // 64), PILOT_MAX_64))


def step_scale(layout, x, selected, *, dtype):
    """s_i of h_i = rho_a s_i for the `selected` flat entries (see the module docstring).

    float32 and below: max(1, |x_i|). float64: max(1, min(|x_i|, m_a), |x_i| / OUTLIER),
    m_a the median of |x| over the array's selected entries.
    """
    ax = np.abs(x[selected])
    if np.dtype(dtype).itemsize < 8:
        return np.maximum(1.0, ax)
    arr = layout.array_of(selected)
    m = np.ones(ax.size)
    for k in np.unique(arr):
        mine = arr == k
        m[mine] = float(np.median(ax[mine]))
    return np.maximum(np.maximum(1.0, np.minimum(ax, m)), ax / OUTLIER)


def truncation_coefficients(central_at, h0, hp, entries, nu):
    """|c| = |f'''(x)| / 6 per entry from D(h) and D(2h) at two steps h0 < hp (8 calls per entry).

    D(2h) - D(h) = 3 c h^2 + O(h^4): at h0 only what rises above the rounding noise counts
    (seen there only when f is strongly curved), at hp the noise counts too (an upper bound
    where no curvature is seen); c is the larger of the two (inf where D is not finite).
    """
    c = np.zeros(entries.size)
    with np.errstate(all="ignore"):
        for h1, strict in ((h0, True), (hp, False)):
            d1, d2 = central_at(h1, entries), central_at(2.0 * h1, entries)
            noise = np.sqrt(central_noise(nu, h1) ** 2 + central_noise(nu, 2.0 * h1) ** 2)
            delta = np.abs(d2 - d1) + (-3.0 if strict else 3.0) * noise
            c = np.fmax(c, np.where(np.isfinite(delta), np.maximum(delta, 0.0), np.inf) / (3.0 * h1**2))
    return c


def choose_steps(central_at, layout, x, selected, *, dtype, nu, seed, magnitude=None):
    """Per-entry steps h_i = rho_a s_i for the `selected` flat entries.

    The pilot measures the truncation coefficient c at two scales (`truncation_coefficients`):
    the textbook step h_0 = eps^(1/3) s and h_p = eps^(1/4) s. From c and the noise nu
    each array gets rho_a (module docstring): float32 the smallest pilot optimum
    min_k h*_k / s_k, h*_k = (nu / (2 |c_k|))^(1/3); float64 the minimiser of the array's
    total squared error, rho_a = (nu^2 mean(s^-2) / (4 mean(c^2 s^4)))^(1/6).

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
        Relative step per array (relative to s_i), within [eps^(1/3) / 256, eps^(1/4)].
    calls : int
        Evaluations of f spent by the pilot (8 per pilot entry).
    """
    e = machine_eps(dtype)
    wide = np.dtype(dtype).itemsize >= 8
    r0, rp = default_relative_step("central", dtype), e ** (1 / 4)
    lo = r0 / 256.0
    rho = np.full(len(layout.sizes), r0)
    scale = step_scale(layout, x, selected, dtype=dtype)
    pilot = pilot_entries(layout, selected, seed, magnitude, pilot_count_64 if wide else None)
    if pilot.size == 0:
        return rho[layout.array_of(selected)] * scale, rho, 0
    order = np.argsort(selected, kind="stable")
    s = scale[order[np.searchsorted(selected[order], pilot)]]
    nu_p = np.asarray(nu, dtype=float)[layout.array_of(pilot)]
    c = truncation_coefficients(central_at, r0 * s, rp * s, pilot, nu_p)
    arrays = layout.array_of(pilot)
    with np.errstate(all="ignore"):
        for k in np.unique(arrays):
            mine = arrays == k
            ck, sk, nk = c[mine], s[mine], float(nu_p[mine][0])
            if wide:
                r = (nk**2 * np.mean(sk**-2.0) / (4.0 * np.mean(ck**2 * sk**4))) ** (1 / 6)
            else:
                r_k = (nk / (2.0 * ck)) ** (1 / 3) / sk
                r = np.min(np.where(np.isfinite(r_k), r_k, lo))
            rho[k] = float(np.clip(r if np.isfinite(r) else lo, lo, rp))
    h = rho[layout.array_of(selected)] * scale
    return h, rho, 8 * int(pilot.size)
