"""`check_gradient` / `assert_gradient`: compare an analytic gradient with finite differences.

For a scalar loss f(params) and a claimed gradient g = grad(params), every entry i is
compared with a numeric derivative n_i and passes when

    |g_i - n_i| <= atol_i + rtol max(|g_i|, |n_i|).

The pieces, one module each: `verify.steps` (measured noise of f, per-array steps from a
pilot), `verify.finite_diff` (evaluations), `verify._tolerance` (defaults, the judgement),
`verify.refine` with `verify.richardson` (flagged entries: confirm or prove), `verify.hints`
and `verify.result` (the report), `verify.directional` (``method="random"``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from verify import _tolerance as tol
from verify import finite_diff as fd
from verify import steps as st
from verify.outcome import array_scale, entrywise_result
from verify.problem import Problem
from verify.refine import COARSE, FAILED, INCONCLUSIVE, PASSED, kinks, refine
from verify.result import Entry, GradientCheckError, GradientCheckResult  # noqa: F401  (public here)

__all__ = ["check_gradient", "assert_gradient", "GradientCheckError", "GradientCheckResult", "Entry"]

_INDEPENDENCE_PROBE = 1024.0  # second probe step for "f does not depend on the entry", in h
SCREEN = 0.5  # entries with |a - n| > SCREEN t_i are refined (confirmed failures only count)


@dataclass(frozen=True)
class Options:
    """Validated options of a check."""

    method: str
    eps: float | None
    rtol: float
    atol: float | None
    sample: int | None
    directions: int
    seed: int
    require_resolved: bool
    promote: bool


def check_gradient(
    f,
    grad,
    params,
    *,
    method="central",
    eps=None,
    rtol=None,
    atol=None,
    names=None,
    sample=None,
    directions=4,
    seed=0,
    require_resolved=False,
    random_state=None,
    promote=True,
):
    """Compare an analytic gradient with numeric derivatives of a black-box loss.

    Parameters
    ----------
    f : callable
        ``f(params) -> scalar`` loss. Called with private copies of the parameters, in the
        structure and kinds of ``params`` (NumPy arrays, floats, torch tensors, jax arrays).
    grad : callable or gradient structure
        ``grad(params)`` returning arrays shaped like ``params`` in the same structure
        (e.g. ``(dW, db)`` for ``(W, b)``), or that gradient itself.
    params : array, float, or (nested) tuple / list / dict of them
        Float arrays (float32 or float64; dtype sets steps and tolerances; torch / jax /
        array-API arrays keep their dtype and device) or Python floats. Never modified.
        Dict keys name the arrays in messages (``W1[0, 3]``).
    method : {"central", "richardson", "complex", "random"}
        ``"central"``: D(h) = (f(x+h) - f(x-h)) / 2h per entry, 2 calls of f per entry, with
        steps h_i = rho_a s_i chosen per array from the measured noise of f and a pilot
        measurement of the truncation error (s_i = max(1, |x_i|) in float32; in float64
        |x_i| capped near the array's typical magnitude, see `verify.steps`).
        ``"richardson"``: (4 D(h) - D(2h)) / 3, h = eps^(1/5) max(1, |x|) (a quarter of that
        in float32), 4 calls per entry (~1e-11 relative in float64).
        ``"complex"``: complex step Im f(x + ih) / h, 1 call per entry, ~1e-16; f must accept
        complex arrays (NumPy parameters only).
        ``"random"``: a pre-screen for very large parameter counts: ``directions`` random
        unit directions v, each checked with 2 calls of f: g.v against
        [f(x+tv) - f(x-tv)] / 2t. It can miss a *localized* bug (one direction misses an
        error e with probability about 1.5 rtol ||g|| / ||e||); use the full check for that.
    eps : float, optional
        Relative step h_i = eps max(1, |x_i|) instead of the chosen one (absolute imaginary
        step for "complex").
    rtol, atol : float, optional
        Tolerances of |g - n| <= atol + rtol max(|g|, |n|). Defaults: rtol per method and
        dtype (float64 / float32: central and random 1.5e-6 / 1.2e-3, richardson 5e-7 / 6e-4,
        complex 1.5e-8 / 3.5e-4); atol_i = 6 standard deviations of the rounding noise of
        entry i's own difference quotient, from the measured noise of f (complex: rtol times
        the largest |g| of the entry's own array).
    names : sequence of str or dict, optional
        Names of the top-level arrays for messages, e.g. ``("W", "b")`` -> ``W[1, 2]``.
    sample : int, optional
        Check only this many randomly chosen entries, plus every non-finite analytic entry.
    directions : int
        Number of random directions for ``method="random"``.
    seed, random_state : int
        Seed for the noise measurement, the pilot, ``sample`` and ``method="random"``
        (``random_state``, if given, wins).
    require_resolved : bool
        Do not pass when any checked entry is *unresolved* (see ``result.n_unresolved``).
        Independently of this option a check that resolved no entry does not pass.
    promote : bool
        For float32 (float16) parameters: evaluate f and grad again at float64 copies of
        the same values for the entries the float32 check cannot settle (flagged, undecided,
        beyond half their first-pass tolerance, unresolved, or too small for float32's noise
        to show a 1% error in them), and let that check decide them where its difference
        quotients are less noisy (`verify.reference`; ``result.reference`` says what it
        did). Used only where f returns a float64 scalar at float64 parameters (and, for
        the analytic side, grad float64 arrays); ``promote=False`` checks in float32 alone.

    Returns
    -------
    GradientCheckResult
        ``.ok`` (also its truth value), ``.status``, ``.worst``, ``.failures`` (5 worst),
        ``.hints``, ``.numeric``, ``.analytic``, counts of unresolved / independent /
        inconclusive / insensitive entries.

    Raises
    ------
    TypeError, ValueError
        Bad inputs: params not float arrays / floats or not finite, grad(params) of a
        different structure or shape, f(params) not a finite scalar, unknown options.

    Notes
    -----
    Calls of f: 1 at params, 16 (sometimes up to 48) per array for the noise tables, 8 per
    pilot entry (up to 4 entries per array; float64: one per 64 entries, up to 8), then 2
    per entry ("central"); 4 per entry
    ("richardson"). Entries with an analytic 0 at which f did not change get up to 4 more
    calls (is f independent of them?). Entries outside tolerance are refined
    (`verify.refine`): they pass only if a refined estimate proves the analytic value within
    the first-pass tolerance, and fail only if it confirms the error; otherwise the check's
    status is "unknown". Entries within tolerance but beyond half of it ("central", default
    atol) are refined too and fail only where refinement confirms the error (a 1% error that
    float32's rounding allowance hides in the first pass); otherwise the first pass stands.
    A failure is confirmed only where f looks smooth within the steps: at a kink (a ReLU
    unit near its corner) an analytic value equal to a one-sided slope passes, any other is
    undecided. A wrong gradient costs up to 32 more calls per refined entry. For float32
    parameters the entries float32 cannot settle are checked again in float64 (``promote``).
    """
    __tracebackhide__ = True
    opts = _options(
        method, eps, rtol, atol, sample, directions, seed if random_state is None else random_state,
        require_resolved, promote,
    )
    start = time.perf_counter()
    problem = Problem(f, grad, params, names)
    opts = _with_default_rtol(opts, problem.layout.dtype)
    if opts.method == "random":
        from verify.directional import check_directions

        return check_directions(problem, opts, start)
    return _check_entries(problem, opts, start)


def assert_gradient(f, grad, params, **options):
    """Like `check_gradient`, but raise `GradientCheckError` when the check does not pass.

    The message (<= 1500 characters) names the 5 worst entries as ``name[i, j]`` with their
    analytic and numeric values and errors, pattern hints, and how many entries failed.

    Returns
    -------
    GradientCheckResult
        The (passing) result.
    """
    __tracebackhide__ = True
    result = check_gradient(f, grad, params, **options)
    if not result.ok:
        raise GradientCheckError(str(result), result)
    return result


# ----------------------------------------------------------------------------- options


def _options(method, eps, rtol, atol, sample, directions, seed, require_resolved, promote):
    tol.check_method(method)
    for name, value in (("require_resolved", require_resolved), ("promote", promote)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be a bool, got {value!r}")
    eps = tol.validate_tolerance("eps", eps)
    if eps == 0:
        raise ValueError("eps must be positive, got 0")
    if sample is not None:
        if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < 1:
            raise ValueError(f"sample must be a positive int (number of entries to check), got {sample!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed / random_state must be an int, got {seed!r}")
    if method == "random":
        tol.validate_count("directions", directions)
    rtol = tol.validate_tolerance("rtol", rtol)
    return Options(
        method, eps, rtol, tol.validate_tolerance("atol", atol),
        sample, directions, int(seed), bool(require_resolved), bool(promote),
    )


def _with_default_rtol(opts, dtype):
    if opts.rtol is not None:
        return opts
    return Options(**{**opts.__dict__, "rtol": tol.default_rtol(opts.method, dtype)})


# ----------------------------------------------------------------------------- entrywise


def _selection(problem, opts):
    """Flat indices to check: all, or a sample plus every non-finite analytic entry."""
    size = problem.layout.size
    if opts.sample is None or opts.sample >= size:
        return np.arange(size)
    idx = np.random.default_rng(opts.seed).choice(size, size=int(opts.sample), replace=False)
    return np.union1d(idx, np.flatnonzero(~np.isfinite(problem.g)))


def _steps(problem, opts, idx, nu):
    """Steps of the selected entries and the pilot's calls."""
    x, dtype = problem.x[idx], problem.layout.dtype
    if opts.method == "complex":
        e = st.machine_eps(dtype)
        return np.full(x.shape, e * e if opts.eps is None else opts.eps), 0
    if opts.eps is not None:
        return opts.eps * np.maximum(1.0, np.abs(x)), 0
    if opts.method == "richardson":
        return st.default_relative_step("richardson", dtype) * np.maximum(1.0, np.abs(x)), 0
    h, _, calls = st.choose_steps(
        problem.central_at, problem.layout, problem.x, idx, dtype=dtype, nu=nu, seed=opts.seed,
        # float32 and below: half the pilot at the largest entries (the most curved ones set
        # the step; float64's noise leaves refinement ample room, a random pilot is more accurate)
        magnitude=problem.g if np.dtype(dtype).itemsize < 8 else None,
    )
    return h, calls


def _evaluate(problem, opts, idx, h):
    """First-pass numeric derivatives, the levels known for refinement, and f(x +- h)."""
    x, dts, work, call = problem.x[idx], problem.dtypes[idx], problem.work, problem.call
    every = None if len(idx) == problem.layout.size else idx  # (the faster loop over all entries)
    with np.errstate(all="ignore"):
        if opts.method == "central":
            num, fp, fm = fd.central(call, work, x, h, dts, every, values=True)
            return num, {1.0: num.copy()}, (fp, fm), 2 * len(idx)
        if opts.method == "richardson":
            num, d1, d2 = fd.richardson(call, work, x, h, dts, every, parts=True)
            return num, {1.0: d1, 2.0: d2}, None, 4 * len(idx)
        if problem.layout.foreign:
            raise TypeError("method='complex' needs NumPy parameters; use method='central' for torch / jax arrays")
        cdtype = np.result_type(problem.layout.dtype, np.complex64)
        cwork = problem.layout.copies(problem.params, dtype=cdtype)
        ccall = problem.layout.caller(problem.f, cwork)
        return fd.complex_step(ccall, cwork, x, h, every), None, None, len(idx)


def _independent(problem, idx, h, a, values):
    """Entries with analytic 0 on which f does not depend.

    f is bitwise equal to f(x) at x +- h e_i, x +- 1024 h e_i and x +- max(1, |x_i|) e_i.
    """
    if values is None:
        return np.zeros(len(idx), dtype=bool), 0
    fp, fm = values
    f0 = problem.f0
    cand = np.flatnonzero((a == 0) & (fp == f0) & (fm == f0))
    out = np.zeros(len(idx), dtype=bool)
    calls = 0
    for step in (_INDEPENDENCE_PROBE * h, np.maximum(1.0, np.abs(problem.x[idx]))):
        if cand.size == 0:
            break
        with np.errstate(all="ignore"):
            _, gp, gm = problem.central_values(step[cand], idx[cand])
        calls += 2 * cand.size
        cand = cand[(gp == f0) & (gm == f0)]
    out[cand] = True
    return out, calls


def _check_entries(problem, opts, start):
    o = entry_outcome(problem, opts, _selection(problem, opts))
    if opts.promote and opts.method in ("central", "richardson") and np.dtype(problem.layout.dtype).itemsize < 8:
        from verify.reference import with_reference

        o = with_reference(problem, opts, o)
    return entrywise_result(problem, opts, start, o)


def entry_outcome(problem, opts, idx):
    """Per-entry arrays of the check of flat entries `idx`: values, tolerances, statuses.

    Returns
    -------
    dict
        ``idx, a, num, h, nu, atol_i, noise_i, judged`` (see `verify._tolerance.judge`),
        boolean arrays ``failed, unresolved, independent, insensitive, coarse, kink, rough``,
        ``status`` (`verify.refine` codes), ``bound`` (refined bounds), ``first`` (the
        first-pass judgement), ``n_evals``.
    """
    layout, method = problem.layout, opts.method
    a = problem.g[idx]
    if method == "complex":
        nu_arr, calls = np.zeros(len(layout.sizes)), 0
    else:
        nu_arr, calls = st.measure_noise(
            problem.central_values, layout, problem.x, idx, dtype=layout.dtype, f0=problem.f0, seed=opts.seed
        )
    nu = nu_arr[layout.array_of(idx)]
    n_evals = problem.n_evals + calls
    h, calls = _steps(problem, opts, idx, nu_arr)
    n_evals += calls
    num, levels, values, calls = _evaluate(problem, opts, idx, h)
    n_evals += calls
    noise_i = tol.noise_atol(method, nu, h)
    if opts.atol is not None:
        atol_i = np.full(len(idx), opts.atol)
    elif method == "complex":
        atol_i = opts.rtol * array_scale(layout, idx, a, num)
    else:
        atol_i = noise_i
    first = tol.judge(a, num, atol_i, opts.rtol)
    status = np.full(len(idx), PASSED)
    bound = np.zeros(len(idx))  # refined estimates' error bounds (0: first pass)
    rough = np.zeros(len(idx), dtype=bool)
    kink = np.zeros(len(idx), dtype=bool)  # passed as a one-sided derivative at a kink of f
    flagged = ~(first["ratio"] <= 1.0) & first["finite"]
    # suspicious: within tolerance but beyond SCREEN of it (an error the first pass's rounding
    # allowance may hide); refined too, and failed only where refinement confirms the error
    suspicious = (first["ratio"] > SCREEN) & ~flagged & (opts.atol is None) & (method == "central")
    redo = np.flatnonzero(flagged | suspicious)
    if redo.size and levels is not None:
        ent = idx[redo]
        est, bound[redo], status[redo], calls, rough[redo] = refine(
            lambda hk, k: fd.central(problem.call, problem.work, problem.x[ent[k]], hk, problem.dtypes[ent[k]], ent[k]),
            {m: v[redo] for m, v in levels.items()},
            h[redo], a[redo], atol=atol_i[redo], tol1=first["tol"][redo], rtol=opts.rtol, nu=nu[redo],
            floor=st.machine_eps(layout.dtype) * max(1.0, abs(problem.f0)) / 8.0, eps=st.machine_eps(layout.dtype),
        )
        num = num.copy()
        keep = suspicious[redo] & (status[redo] != FAILED)  # not confirmed: the first pass stands
        num[redo] = np.where(keep, num[redo], est)
        bound[redo[keep]] = 0.0
        rough[redo[keep]] = False
        status[redo[keep]] = PASSED
        n_evals += calls
        conf = redo[(status[redo] == FAILED) | ((status[redo] == INCONCLUSIVE) & flagged[redo])]
        if conf.size:
            # a confirmed (or undecided) failure at a kink of f is no counterexample: the
            # one-sided slopes differ there, and the analytic value may be one of them
            at_kink, one_sided, side, calls = kinks(
                lambda s, k: problem.central_values(s, idx[conf[k]]), h[conf], a[conf], num[conf],
                first["tol"][conf], nu=nu[conf], f0=problem.f0,
                floor=st.machine_eps(layout.dtype) * max(1.0, abs(problem.f0)) / 8.0,
            )
            n_evals += calls
            kink[conf[one_sided]] = True
            status[conf[one_sided]] = PASSED
            num[conf[one_sided]] = side[one_sided]
            undecided = conf[at_kink & ~one_sided]
            status[undecided], rough[undecided] = 0, True
    elif flagged.any():
        status[flagged] = -1
    independent, calls = _independent(problem, idx, h, a, values)
    n_evals += calls
    judged = tol.judge(a, num, atol_i, opts.rtol)
    judged["tol"] = np.minimum(judged["tol"], first["tol"])
    with np.errstate(all="ignore"):
        unresolved = (
            np.isfinite(a) & (np.abs(a) <= noise_i) & (np.abs(num) <= np.maximum(noise_i, bound)) & ~independent
        )
    if method == "complex":
        unresolved[:] = False
    # an undecided entry whose analytic and numeric values are both below the noise is
    # "not verified" (unresolved), not an error
    status[unresolved & (status == 0) & (judged["err"] <= judged["tol"])] = PASSED
    coarse = status == COARSE
    status[coarse] = PASSED
    failed = (~(judged["err"] <= judged["tol"]) & ~kink) | ~judged["finite"] | (status != PASSED)
    with np.errstate(all="ignore"):
        # a 1% error is caught for sure only when it exceeds the tolerance plus the noise
        # (plus a refined estimate's bound where the entry passed only coarsely)
        insensitive = ~unresolved & ~independent & ~failed & (0.01 * np.abs(a) <= judged["tol"] + atol_i + bound)
    if method == "complex":
        unresolved[:] = insensitive[:] = False
    return dict(
        n_evals=n_evals, idx=idx, a=a, num=num, h=h, nu=nu, atol_i=atol_i, judged=judged, failed=failed,
        status=status, rough=rough, unresolved=unresolved, independent=independent, insensitive=insensitive,
        noise_i=noise_i, coarse=coarse & ~failed, bound=bound, kink=kink & ~failed, first=first,
    )
