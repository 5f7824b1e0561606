"""The result of an entrywise gradient check from its per-entry arrays: order, reason, status."""

from __future__ import annotations

import math
import time

import numpy as np

from verify.hints import hints
from verify.result import Entry, GradientCheckResult


def entrywise_result(problem, opts, start, o):
    """The GradientCheckResult of an entrywise check from its outcome `o` (a dict)."""
    layout = problem.layout
    idx, a, num, h, failed, status = o["idx"], o["a"], o["num"], o["h"], o["failed"], o["status"]
    unresolved, noise_i = o["unresolved"], o["noise_i"]
    err, rel, tol_i, finite = (o["judged"][k] for k in ("err", "rel", "tol", "finite"))

    ref = o.get("ref")

    def entry(i):
        name, index = layout.locate(int(idx[i]))
        where = "float64" if ref is not None and ref[i] else ""
        return Entry(name, index, float(a[i]), float(num[i]), float(err[i]), float(rel[i]), float(tol_i[i]), where)

    # non-finite analytic entries first, then failing before passing, then the largest error
    # relative to max(tolerance, rtol * largest |g| of the entry's own array)
    with np.errstate(all="ignore"):
        yardstick = np.maximum(tol_i, opts.rtol * array_scale(layout, idx, a, num))
        severity = np.where(finite, err / np.where(yardstick > 0, yardstick, np.finfo(float).tiny), np.inf)
    order = np.lexsort((-np.nan_to_num(severity, nan=np.inf), ~failed, np.isfinite(a)))
    inconclusive = failed & (status == 0) & finite
    confirmed = failed & ~inconclusive
    n_unresolved = int(unresolved.sum())
    reason, state = _reason(layout, o, confirmed, inconclusive, n_unresolved, opts)
    numeric = np.full(layout.size, np.nan)
    numeric[idx] = num
    with np.errstate(all="ignore"):
        diff = a[finite] - num[finite]
        denom = max(np.linalg.norm(a[finite]), np.linalg.norm(num[finite])) if finite.any() else 0.0
        norm_rel = float(np.linalg.norm(diff) / denom) if denom > 0 else float(np.linalg.norm(diff))
    return GradientCheckResult(
        ok=state == "passed",
        method=opts.method,
        reason=reason,
        worst=entry(int(order[0])),
        max_abs_error=_max_or_inf(err, finite),
        max_rel_error=_max_or_inf(rel, finite),
        norm_rel_error=norm_rel if finite.all() else math.inf,
        n_failed=int(failed.sum()),
        n_checked=int(len(idx)),
        numeric=layout.build(layout.split(numeric), plain=True),
        analytic=layout.build(layout.split(problem.g), plain=True),
        rtol=float(opts.rtol),
        atol=float(np.max(o["atol_i"], initial=0.0)),
        n_evals=o["n_evals"],
        elapsed=time.perf_counter() - start,
        failures=tuple(entry(int(i)) for i in order[:5] if failed[i]),
        n_unresolved=n_unresolved,
        resolution=float(np.max(noise_i[unresolved])) if n_unresolved else 0.0,
        status=state,
        hints=tuple(hints(layout, idx, a, num, tol_i, confirmed)),
        n_independent=int(o["independent"].sum()),
        independent=tuple(layout.label(int(idx[i])) for i in np.flatnonzero(o["independent"])[:5]),
        unresolved=tuple(layout.label(int(idx[i])) for i in np.flatnonzero(unresolved)[:5]),
        n_inconclusive=int(inconclusive.sum()),
        n_insensitive=int(o["insensitive"].sum()),
        n_coarse=int(o["coarse"].sum()),
        coarse_bound=float(np.max(o["bound"][o["coarse"]], initial=0.0)),
        noise=float(np.max(o["nu"], initial=0.0)),
        detectable=_detectable(layout, idx, a, tol_i, o["atol_i"] + o["bound"]),
        n_kinks=int(o["kink"].sum()),
        kinks=tuple(layout.label(int(idx[i])) for i in np.flatnonzero(o["kink"])[:5]),
        reference=o.get("reference", ""),
        n_reference=int(ref.sum()) if ref is not None else 0,
    )


def _reason(layout, o, confirmed, inconclusive, n_unresolved, opts):
    """(reason, status) of an entrywise check with outcome `o`."""
    idx, a, num, h, rough = o["idx"], o["a"], o["num"], o["h"], o["rough"]
    n = len(idx)
    parts, state = [], "passed"
    bad_a = ~np.isfinite(a)
    bad_n = ~np.isfinite(num) & ~bad_a
    if bad_a.any():
        k = int(np.flatnonzero(bad_a)[0])
        parts.append(
            f"the analytic gradient has {int(bad_a.sum())} non-finite entries (first {layout.label(int(idx[k]))} "
            f"= {a[k]}); {int(confirmed.sum())} entries fail"
        )
    elif bad_n.any():
        k = int(np.flatnonzero(bad_n)[0])
        parts.append(
            f"the numeric derivative is non-finite at {int(bad_n.sum())} entries (first {layout.label(int(idx[k]))}: "
            f"f is nan/inf near params); {int(confirmed.sum())} entries fail"
        )
    elif confirmed.any():
        parts.append(f"{int(confirmed.sum())} of {n} entries exceed the tolerance")
    if confirmed.any():
        state = "failed"
    if inconclusive.any():
        k = int(np.flatnonzero(inconclusive)[0])
        parts.append(
            f"{int(inconclusive.sum())} of {n} entries could not be decided (first {layout.label(int(idx[k]))}): "
            "refined finite differences neither confirm the error nor prove it within the first-pass tolerance"
        )
        state = "unknown" if state == "passed" else state
    if rough.any():
        k = int(np.flatnonzero(rough)[0])
        parts.append(
            f"f does not look smooth within h={h[k]:.2g} of {layout.label(int(idx[k]))}: finite differences "
            "are unreliable there (refinement at smaller steps did not converge)"
        )
    if n_unresolved and n_unresolved == n:
        parts.append(
            f"no entry could be resolved: all {n} entries are below the rounding noise of finite differences, "
            "so nothing was verified; rescale the problem or use method='complex'"
        )
        state = "unknown" if state == "passed" else state
    elif n_unresolved and opts.require_resolved:
        parts.append(
            f"{n_unresolved} of {n} entries are below the resolution of finite differences "
            "(require_resolved=True); rescale the problem or use method='complex'"
        )
        state = "unknown" if state == "passed" else state
    return "; ".join(parts), state


def array_scale(layout, idx, a, num):
    """Per entry: the largest finite |analytic| or |numeric| value within the entry's own array."""
    arr = layout.array_of(idx)
    out = np.zeros(len(idx))
    with np.errstate(all="ignore"):
        mag = np.maximum(np.where(np.isfinite(a), np.abs(a), 0.0), np.where(np.isfinite(num), np.abs(num), 0.0))
    for k in np.unique(arr):
        out[arr == k] = mag[arr == k].max()
    return out


def _detectable(layout, idx, a, tol_i, atol_i):
    """Per entry (structure of params): the relative error surely caught, (t_i + atol_i) / |a_i|.

    inf where a_i = 0, NaN for entries not checked.
    """
    out = np.full(layout.size, np.nan)
    with np.errstate(all="ignore"):
        out[idx] = np.where(np.abs(a) > 0, (tol_i + atol_i) / np.abs(a), np.inf)
    return layout.build(layout.split(out), plain=True)


def _max_or_inf(v, finite):
    if not finite.all():
        return math.inf
    return float(np.max(v)) if v.size else 0.0
