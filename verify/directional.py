"""``method="random"``: directional derivatives along random unit directions.

For unit directions v (over all parameters at once), g.v is compared with the central
difference D_v(t) = [f(x + t v) - f(x - t v)] / 2t, t = eps^(1/3) max(1, ||x||_inf), 2 calls
of f per direction. The absolute tolerance is the larger of rtol ||g|| / sqrt(P) (the size of
g.v for a random v) and KAPPA standard deviations of the rounding noise of D_v (measured
along the first direction). A direction outside tolerance is refined by `verify.refine`,
with the same rule as entries: confirmed, proved within the first-pass tolerance, or
undecided.
"""

from __future__ import annotations

import math
import time

import numpy as np

from verify import _tolerance as tol
from verify import finite_diff as fd
from verify import steps as st
from verify.refine import COARSE, PASSED, refine
from verify.result import Entry, GradientCheckResult


def check_directions(problem, opts, start):
    """The random-direction check of `verify.check_gradient` (see there)."""
    layout, g, dtype = problem.layout, problem.g, problem.layout.dtype
    rng = np.random.default_rng(opts.seed)
    vs = rng.standard_normal((opts.directions, layout.size))
    vs /= np.linalg.norm(vs, axis=1, keepdims=True)
    rel = opts.eps if opts.eps is not None else st.machine_eps(dtype) ** (1 / 3)
    t = rel * max(1.0, float(np.max(np.abs(problem.x))))
    nu, n_evals = _direction_noise(problem, vs[0], t)
    n_evals += problem.n_evals
    finite_g = np.isfinite(g)
    g0 = np.where(finite_g, g, 0.0)
    with np.errstate(all="ignore"):
        num, disp = fd.directional(problem.call, problem.work, [layout.split(v) for v in vs], t)
        ana = disp @ g0  # exact directional derivative along the displacement actually applied
        if not finite_g.all():
            ana[:] = np.nan
        n_evals += 2 * len(num)
        gnorm = float(np.linalg.norm(g0))
        noise = st.KAPPA * float(st.central_noise(nu, t))
        atol_d = np.full(len(num), opts.atol if opts.atol is not None else max(opts.rtol * gnorm / np.sqrt(layout.size), noise))
        first = tol.judge(ana, num, atol_d, opts.rtol)
        unresolved = np.isfinite(ana) & (np.abs(ana) <= noise) & (np.abs(num) <= noise)
        status = np.full(len(num), PASSED)
        redo = np.flatnonzero(~(first["ratio"] <= 1.0) & first["finite"])
        if redo.size:

            def central_at(steps, k):
                return np.array([
                    fd.directional(problem.call, problem.work, [layout.split(vs[i])], float(s))[0][0]
                    for i, s in zip(redo[k], steps)
                ])

            est, bound, status[redo], calls, _ = refine(
                central_at, {1.0: num[redo]}, np.full(redo.size, t), ana[redo], atol=atol_d[redo],
                tol1=first["tol"][redo], rtol=opts.rtol, nu=nu,
            )
            num[redo] = est
            n_evals += calls
            # a refined direction whose value is within its own bound of 0 is not resolved either
            unresolved[redo] = np.isfinite(ana[redo]) & (np.abs(ana[redo]) <= noise) & (np.abs(est) <= np.maximum(noise, bound))
        decided_bad = (status != PASSED) & (status != COARSE)
    judged = tol.judge(ana, num, atol_d, opts.rtol)
    judged["tol"] = np.minimum(judged["tol"], first["tol"])
    failed = ~(judged["err"] <= judged["tol"]) | ~judged["finite"] | decided_bad
    err, rel_e, tol_d, finite = judged["err"], judged["rel"], judged["tol"], judged["finite"]
    order = np.argsort(-np.nan_to_num(judged["ratio"] + failed * 1e300, nan=np.inf), kind="stable")

    def entry(i):
        return Entry(f"direction {i}", (), float(ana[i]), float(num[i]), float(err[i]), float(rel_e[i]), float(tol_d[i]))

    reason, state = "", "passed"
    if not finite_g.all():
        k = int(np.flatnonzero(~finite_g)[0])
        reason, state = (
            f"the analytic gradient has {int((~finite_g).sum())} non-finite entries (first {layout.label(k)} = {g[k]})",
            "failed",
        )
    elif failed.any():
        reason, state = f"{int(failed.sum())} of {len(num)} random directions exceed the tolerance", "failed"
    n_unresolved = int(unresolved.sum())
    if n_unresolved == len(num):
        why = (
            f"no entry could be resolved: all {len(num)} directions are below the rounding noise of finite "
            "differences, so nothing was verified; rescale the problem or use method='complex'"
        )
        reason, state = (f"{reason}; {why}" if reason else why), ("unknown" if state == "passed" else state)
    elif n_unresolved and opts.require_resolved:
        why = f"{n_unresolved} of {len(num)} directions are below the resolution of finite differences (require_resolved=True)"
        reason, state = (f"{reason}; {why}" if reason else why), ("unknown" if state == "passed" else state)
    with np.errstate(all="ignore"):
        denom = max(np.linalg.norm(ana), np.linalg.norm(num))
        norm_rel = float(np.linalg.norm(ana - num) / denom) if denom > 0 else 0.0
    return GradientCheckResult(
        ok=state == "passed",
        method="random",
        reason=reason,
        worst=entry(int(order[0])),
        max_abs_error=math.inf if not finite.all() else float(np.max(err)),
        max_rel_error=math.inf if not finite.all() else float(np.max(rel_e)),
        norm_rel_error=norm_rel if finite.all() else math.inf,
        n_failed=int(failed.sum()),
        n_checked=int(len(num)),
        numeric=None,
        analytic=layout.build(layout.split(g), plain=True),
        rtol=float(opts.rtol),
        atol=float(np.max(atol_d)),
        n_evals=n_evals,
        elapsed=time.perf_counter() - start,
        failures=tuple(entry(int(i)) for i in order[:5] if failed[i]),
        directional=tuple(zip(ana.tolist(), num.tolist())),
        n_unresolved=n_unresolved,
        resolution=float(noise) if n_unresolved else 0.0,
        status=state,
        noise=float(nu),
    )


def _direction_noise(problem, v, t):
    """Rounding noise of f along direction v (difference tables at steps t and t / 16)."""
    work, base = problem.work, [a.copy() for a in problem.work]
    parts = problem.layout.split(v)

    def at(s):
        for a, a0, va in zip(work, base, parts):
            np.add(a0, s * va, out=a, casting="unsafe")
        try:
            return float(np.real(problem.call()))
        finally:
            for a, a0 in zip(work, base):
                a[...] = a0

    def central_values(delta, probe):
        d = float(delta[0])
        return None, np.array([at(d)]), np.array([at(-d)])

    sigma, _, calls = st.noise_tables(central_values, np.zeros(1, dtype=int), np.array([t]), problem.f0)
    floor = st.machine_eps(problem.layout.dtype) * abs(problem.f0) / 2.0
    return float(max(sigma[0], floor, np.finfo(float).tiny)), calls
