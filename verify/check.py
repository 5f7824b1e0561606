"""`check_gradient` / `assert_gradient`: compare an analytic gradient with finite differences.

For a scalar loss f(params) and a claimed gradient g = grad(params), every entry i is
compared with a numeric derivative n_i (see `verify.finite_diff`) and passes when

    |g_i - n_i| <= atol_i + rtol * max(|g_i|, |n_i|)

(defaults depend on method and dtype; see `verify._tolerance`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from verify import _tolerance as tol
from verify import finite_diff as fd
from verify._params import ParamLayout

_MAX_MESSAGE = 1500


class GradientCheckError(AssertionError):
    """Raised by `assert_gradient` when the gradient check fails; ``.result`` holds details."""

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class Entry:
    """One compared entry: where it is and how far apart the two values are."""

    name: str  #: array name, e.g. "W" or "params[0]"
    index: tuple  #: index inside that array, e.g. (1, 2); () for a 0-d array
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    tolerance: float

    @property
    def label(self):
        """``name[i, j]`` (or ``direction k`` in random mode)."""
        if self.name.startswith("direction "):
            return self.name
        return self.name + ("[" + ", ".join(map(str, self.index)) + "]" if self.index else "")

    def __str__(self):
        if not math.isfinite(self.analytic):
            return f"{self.label}: non-finite analytic value ({self.analytic}), numeric={self.numeric:.10g}"
        return (
            f"{self.label}: analytic={self.analytic:.10g}, numeric={self.numeric:.10g}, "
            f"abs error={self.abs_error:.3g}, rel error={self.rel_error:.3g} (tolerance {self.tolerance:.3g})"
        )


@dataclass(frozen=True)
class GradientCheckResult:
    """Outcome of `check_gradient`; ``bool(result)`` is ``result.ok``.

    Attributes
    ----------
    ok : bool
        True iff every checked entry is finite and within tolerance.
    reason : str
        Why the check failed ("" when ok).
    worst : Entry or None
        The entry with the largest error / tolerance ratio (any non-finite analytic entry first).
    max_abs_error, max_rel_error, norm_rel_error : float
        max |g - n|, max |g - n| / max(|g|, |n|), and ||g - n||_2 / max(||g||_2, ||n||_2)
        over the checked entries.
    n_failed, n_checked : int
        Entries outside tolerance (or non-finite) / entries compared (directions in random mode).
    numeric, analytic : same structure as params
        Numeric and analytic gradients (numeric entries that were not checked are NaN; in
        random mode ``numeric`` is None and ``directional`` holds (analytic, numeric) pairs).
    n_unresolved : int
        Checked entries (directions) that were *not verified*: both |analytic| and |numeric|
        are within the rounding noise of the difference quotient (noise_i ~ eps |f| / h_i),
        so finite differences cannot tell them from 0 or from each other. Always 0 for
        ``method="complex"`` (no cancellation).
    resolution : float
        The largest such noise_i among the unresolved entries (0.0 when none).
    """

    ok: bool
    method: str
    reason: str
    worst: Entry | None
    max_abs_error: float
    max_rel_error: float
    norm_rel_error: float
    n_failed: int
    n_checked: int
    numeric: object
    analytic: object
    rtol: float
    atol: float
    n_evals: int
    elapsed: float
    failures: tuple = field(default=(), repr=False)  #: up to 5 worst failing entries
    directional: object = field(default=None, repr=False)
    n_unresolved: int = 0
    resolution: float = 0.0

    def __bool__(self):
        return bool(self.ok)

    def __str__(self):
        unit = "directions" if self.method == "random" else "entries"
        head = (
            f"gradient check {'passed' if self.ok else 'FAILED'} ({self.method}, "
            f"{self.n_checked} {unit}, rtol={self.rtol:.2g}, atol<={self.atol:.2g}): "
        )
        if self.ok:
            text = head + (
                f"max abs error {self.max_abs_error:.3g}, max rel error {self.max_rel_error:.3g}, "
                f"norm-relative error {self.norm_rel_error:.3g}"
            )
        else:
            lines = [head + self.reason]
            if self.worst is not None:
                lines.append(f"worst {self.worst}")
            for e in self.failures[1:5]:
                lines.append(f"  also {e}")
            lines.append(
                f"max abs error {self.max_abs_error:.3g}, norm-relative error {self.norm_rel_error:.3g}"
            )
            text = "\n".join(lines)
        if self.n_unresolved:
            text += (
                f"\n{self.n_unresolved} of {self.n_checked} {unit} are below the resolution of finite "
                f"differences (noise ~ {self.resolution:.2g}): not verified"
            )
        if len(text) > _MAX_MESSAGE:
            text = text[: _MAX_MESSAGE - 3] + "..."
        return text


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
):
    """Compare an analytic gradient with numeric derivatives of a black-box loss.

    Parameters
    ----------
    f : callable
        ``f(params) -> scalar`` loss. Called with private copies of the arrays, in the
        structure of ``params`` (an ndarray, a tuple / list of ndarrays, or a dict).
    grad : callable or gradient structure
        ``grad(params)`` returning arrays shaped like ``params`` in the same structure
        (e.g. ``(dW, db)`` for ``(W, b)``), or that gradient itself.
    params : ndarray or tuple / list / dict of ndarrays
        Float arrays (float32 or float64; dtype sets default steps and tolerances). They are
        never modified.
    method : {"central", "richardson", "complex", "random"}
        ``"central"``: (f(x+h) - f(x-h)) / 2h per entry, h = eps^(1/3) max(1, |x|), 2 calls of
        f per entry (~1e-10 relative in float64).
        ``"richardson"``: extrapolated central differences (4 D(h) - D(2h)) / 3,
        h = eps^(1/5) max(1, |x|) (a quarter of that in float32), 4 calls per entry
        (~1e-11 relative in float64).
        ``"complex"``: complex step Im f(x + ih) / h, 1 call per entry, ~1e-16; f must accept
        complex arrays (no abs, no real-only comparisons, no cast to float).
        ``"random"``: a fast pre-screen for very large parameter counts: ``directions`` random
        unit directions v (over all parameters at once), each checked with 2 calls of f:
        g.v against [f(x+tv) - f(x-tv)] / 2t. It can miss a *localized* bug. An error
        vector e (e.g. one wrong entry) shows in direction v as e.v ~ N(0, ||e||^2 / P)
        (P parameters) against a tolerance ~ rtol ||g|| / sqrt(P), so one direction misses it
        with probability about 1.5 rtol ||g|| / ||e||, and k directions with about that to
        the power k. Measured (float64, rtol 1.5e-6, 2000 parameters, one median-size entry
        1% off): 3% per direction, so the default 4 directions miss it with probability
        ~1e-6. In float32 (rtol 1.2e-3) only errors of size ~rtol ||g|| (sign, scale,
        missing terms) are seen; a localized 1% bug practically never is: use the full check.
    eps : float, optional
        Relative step h_i = eps * max(1, |x_i|) (absolute imaginary step for "complex").
    rtol, atol : float, optional
        Tolerances of |g - n| <= atol + rtol max(|g|, |n|). Defaults: rtol from method and
        dtype (float64 / float32: central and random 1.5e-6 / 1.2e-3, richardson 5e-7 / 6e-4,
        complex 1.5e-8 / 3.5e-4); atol_i = rounding noise of entry i's own difference
        quotient (measured noise of f / h_i), never the size of other entries, so a large
        array cannot hide errors in a small one and entries near zero do not blow up
        (complex: rtol times the largest |g| of the entry's own array).
    names : sequence of str or dict, optional
        Names of the arrays for messages, e.g. ``("W", "b")`` -> ``W[1, 2]``.
    sample : int, optional
        Check only this many randomly chosen entries (default: all entries), plus every
        non-finite entry of the analytic gradient.
    directions : int
        Number of random directions for ``method="random"``.
    seed : int
        Seed for ``sample`` and ``method="random"``.
    require_resolved : bool
        Fail when any checked entry is *unresolved* (both |analytic| and |numeric| within the
        rounding noise of its difference quotient, so it was not really verified; see
        ``result.n_unresolved``). Default False: such entries pass but are counted and
        reported. Independently of this option, a check in which *every* entry is
        unresolved fails (it verified nothing): rescale the problem or use
        ``method="complex"``.

    Notes
    -----
    Besides the stencil's calls, f is called 4 times to measure its rounding noise (f at
    params moved by a few ulps), which sets the absolute tolerance. Entries outside
    tolerance are re-derived before they count as failed ("central" and "richardson"):
    central differences at steps h/2, h/4, ... (up to h/64 resp. h/32, 2 calls each) form a
    Richardson table; each estimate gets an error bound (difference of successive
    same-order estimates, >= 3x the usual estimate, plus rounding noise / step) and the
    entry fails only if the analytic value lies outside the best estimate's bound plus the
    tolerance. Refinement continues while the bound is looser than the original tolerance
    and stops early once an entry is 16x outside. This removes false alarms from truncation
    error (stationary points, strongly curved f such as features ~1e2 in float32) without
    letting a wrong gradient pass. A correct gradient costs ~2 calls per entry with
    "central"; a wrong one up to 2 + 12. NaN / inf anywhere in the analytic gradient fails
    (such entries are checked even when ``sample`` would skip them).
    Limit: an error smaller than the rounding noise of f at the step (~8 eps |f| / h, e.g.
    2e-4 |f| in float32) cannot be seen by any difference of f; ``result.worst.tolerance``
    and ``result.atol`` show how large that noise was.

    Returns
    -------
    GradientCheckResult
        ``.ok`` (also its truth value), ``.worst`` (name, index, analytic, numeric, errors),
        ``.max_abs_error``, ``.max_rel_error``, ``.n_failed``, ``.numeric``, ``.analytic``.

    Raises
    ------
    TypeError, ValueError
        Bad inputs: params not float arrays or not finite, grad(params) of a different
        structure or shape, f(params) not a finite scalar, unknown method or option.
    """
    start = time.perf_counter()
    tol.check_method(method)
    if not isinstance(require_resolved, (bool, np.bool_)):
        raise TypeError(f"require_resolved must be a bool, got {require_resolved!r}")
    rtol = tol.validate_tolerance("rtol", rtol)
    atol = tol.validate_tolerance("atol", atol)
    if eps is not None:
        eps = tol.validate_tolerance("eps", eps)
        if eps == 0:
            raise ValueError("eps must be positive, got 0")
    if not callable(f):
        raise TypeError(f"f must be callable (params -> scalar loss), got {type(f).__name__}")
    layout = ParamLayout(params, names)
    dtype = layout.dtype
    if rtol is None:
        rtol = tol.default_rtol(method, dtype)

    # analytic gradient on its own copies (grad may modify its input)
    g_raw = grad(layout.build(layout.copies(params))) if callable(grad) else grad
    g = layout.flatten_gradient(g_raw, "grad(params)" if callable(grad) else "grad")

    work = layout.copies(params)
    structure = layout.build(work)
    f0 = _scalar(f(structure), "f(params)")
    n_evals = 1

    def call():
        return f(structure)

    x = np.concatenate([a.reshape(-1).astype(np.float64) for a in work])
    # rounding noise of f at params: how much f moves when every entry moves a few ulps
    noise_f = _measured_noise(call, work, seed)
    n_evals += _NOISE_SAMPLES
    if method == "random":
        return _random_check(
            layout, work, call, g, x, f0, rtol, atol, eps, directions, seed, start, noise_f, bool(require_resolved)
        )

    # NaN / inf anywhere in the analytic gradient is a failure, sampled or not: such
    # entries are always added to the checked set
    entries = _sample(layout.size, sample, seed)
    if entries is not None and not np.isfinite(g).all():
        entries = np.union1d(entries, np.flatnonzero(~np.isfinite(g)))
    sel = slice(None) if entries is None else entries
    dtypes = np.concatenate([np.full(s, d, dtype=object) for s, d in zip(layout.sizes, layout.dtypes)])
    h = tol.steps(x[sel], method, dtype, eps)
    table = None  # central differences D(h_k) already computed, for refinement
    with np.errstate(all="ignore"):
        if method == "central":
            num = fd.central(call, work, x[sel], h, dtypes[sel], entries)
            table = ([num.copy()], h)
            n_evals += 2 * len(num)
        elif method == "richardson":
            num, d1, d2 = fd.richardson(call, work, x[sel], h, dtypes[sel], entries, parts=True)
            table = ([d2, d1], 2.0 * h)
            n_evals += 4 * len(num)
        else:
            cdtype = np.result_type(dtype, np.complex64)
            cwork = layout.copies(params, dtype=cdtype)
            cstruct = layout.build(cwork)
            num = fd.complex_step(lambda: f(cstruct), cwork, x[sel], h, entries)
            n_evals += len(num)

    a = g[sel]
    idx = entries if entries is not None else np.arange(layout.size)
    # absolute tolerance: the rounding noise of each entry's own difference quotient (never
    # the size of other entries); complex step has no cancellation, so its floor is rtol
    # times the largest |gradient| of the entry's own array
    if atol is not None:
        atol_i = np.full(len(num), atol)
    elif method == "complex":
        atol_i = rtol * _array_scale(layout, idx, a, num)
    else:
        atol_i = tol.noise_atol(method, dtype, f0, noise_f, h)
    # unresolved: analytic and numeric both within the rounding noise of the entry's own
    # difference quotient (noise_i ~ eps |f| / h_i): the check cannot tell them from 0 or
    # from each other (complex step has no cancellation: every entry is resolved)
    noise_i = tol.noise_atol(method, dtype, f0, noise_f, h)
    judged = _judge(a, num, rtol, atol_i)
    # Refinement: an entry outside tolerance may be truncation error of the step (a stationary
    # point, or a strongly curved f such as features ~1e2 in float32). Before it counts as
    # failed, it is re-derived with steps h/2, h/4, ... and Richardson extrapolation; every
    # estimate comes with an error bound (truncation: difference of successive same-order
    # estimates; rounding: noise / step), and the entry fails only if the analytic value is
    # outside the best estimate's bound plus the tolerance.
    redo = np.flatnonzero(~(judged["ratio"] <= 1.0) & judged["finite"])
    rough = np.zeros(len(num), dtype=bool)  # refinement did not converge: f not smooth there
    if redo.size and table is not None:
        ent = idx[redo]
        rows, h_top = table
        est, bound, calls, rough[redo] = _refine(
            lambda hk, k: fd.central(call, work, x[ent[k]], hk[k], dtypes[ent[k]], ent[k]),
            [r[redo] for r in rows],
            h_top[redo],
            num[redo],
            atol_i[redo],
            a[redo],
            rtol,
            0.0 if atol is None else atol,
            tol.noise_floor(method, dtype, f0, noise_f),
            _REFINE_LEVELS[method],
        )
        num[redo] = est
        atol_i[redo] = bound
        n_evals += calls
        judged = _judge(a, num, rtol, atol_i)
    # (judged on the refined estimate, so truncation error at a stationary point is not "resolution")
    with np.errstate(all="ignore"):
        unresolved = np.isfinite(a) & (np.abs(a) <= noise_i) & (np.abs(num) <= noise_i)
    if method == "complex":
        unresolved[:] = False
    numeric = np.full(layout.size, np.nan)
    numeric[sel] = num
    err, rel, tol_i, ratio, finite = (judged[k] for k in ("err", "rel", "tol", "ratio", "finite"))
    failed = ~(ratio <= 1.0)

    def entry(i):
        name, index = layout.locate(int(idx[i]))
        return Entry(name, index, float(a[i]), float(num[i]), float(err[i]), float(rel[i]), float(tol_i[i]))

    # non-finite analytic entries rank first, then failing entries before passing ones, then
    # the largest error relative to max(tolerance, rtol * largest |g| of the entry's array), so
    # an entry that is wrong by a lot (not merely an entry with a tiny tolerance) is "worst"
    with np.errstate(all="ignore"):
        yardstick = np.maximum(tol_i, rtol * _array_scale(layout, idx, a, num))
        severity = np.where(finite, err / np.where(yardstick > 0, yardstick, np.finfo(float).tiny), np.inf)
    order = np.lexsort((-np.nan_to_num(severity, nan=np.inf), ~failed, np.isfinite(a)))
    worst_i = int(order[0])
    failures = tuple(entry(int(i)) for i in order[:5] if failed[i])
    reason = _reason(layout, idx, a, num, failed)
    n_unresolved = int(unresolved.sum())
    rough &= failed
    if rough.any():
        k = int(np.flatnonzero(rough)[0])
        reason += (
            f"; f does not look smooth within h={h[k]:.2g} of {layout.label(int(idx[k]))}: "
            "finite differences are unreliable there (refinement at smaller steps did not converge)"
        )
    reason = _resolution_reason(reason, failed.any(), n_unresolved, len(num), require_resolved, "entries")
    with np.errstate(all="ignore"):
        diff = a[finite] - num[finite]
        denom = max(np.linalg.norm(a[finite]), np.linalg.norm(num[finite]))
        norm_rel = float(np.linalg.norm(diff) / denom) if denom > 0 else float(np.linalg.norm(diff))
    return GradientCheckResult(
        ok=not reason,
        method=method,
        reason=reason,
        worst=entry(worst_i),
        max_abs_error=_max_or_inf(err, finite),
        max_rel_error=_max_or_inf(rel, finite),
        norm_rel_error=norm_rel if finite.all() else math.inf,
        n_failed=int(failed.sum()),
        n_checked=int(len(num)),
        numeric=layout.build(layout.split(numeric)),
        analytic=layout.build(layout.split(g)),
        rtol=float(rtol),
        atol=float(np.max(atol_i)) if len(atol_i) else 0.0,
        n_evals=n_evals,
        elapsed=time.perf_counter() - start,
        failures=failures,
        n_unresolved=n_unresolved,
        resolution=float(np.max(noise_i[unresolved])) if n_unresolved else 0.0,
    )


def assert_gradient(f, grad, params, **options):
    """Like `check_gradient`, but raise `GradientCheckError` when the check fails.

    The error message (<= 1500 characters) names the worst entry as ``name[i, j]`` with its
    analytic and numeric values and error, and how many entries failed.

    Returns
    -------
    GradientCheckResult
        The (passing) result.
    """
    result = check_gradient(f, grad, params, **options)
    if not result.ok:
        raise GradientCheckError(str(result), result)
    return result


# ----------------------------------------------------------------------------- helpers


def _scalar(value, what):
    """A finite real scalar from f's return value, or an error naming the value."""
    arr = np.asarray(value)
    if arr.dtype == object or arr.ndim != 0:
        raise TypeError(
            f"{what} must return a scalar loss, got {type(value).__name__} of shape {np.shape(value)}"
            + ("; reduce it with .sum() or .mean()" if arr.ndim else "")
        )
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{what} must return a real scalar, got {value!r} (dtype {arr.dtype})")
    v = float(arr)
    if not math.isfinite(v):
        raise ValueError(f"{what} is {v}; the loss must be finite at params")
    return v


_NOISE_SAMPLES = 4


def _measured_noise(call, work, seed):
    """max |f(x + d) - f(x)| over a few random perturbations d of 1-4 ulps per entry.

    The true change g.d is itself ~ulps, so this measures the rounding noise of f near x
    (which can far exceed eps |f| when f has large intermediates, e.g. log-sum-exp of big
    logits). Arrays are restored exactly afterwards.
    """
    rng = np.random.default_rng(seed + 7919)
    f0 = float(np.real(call()))
    worst = 0.0
    saved = [a.copy() for a in work]
    try:
        for _ in range(_NOISE_SAMPLES - 1):
            for a, a0 in zip(work, saved):
                k = rng.integers(-4, 5, size=a.shape)
                a[...] = a0 + k * np.spacing(a0)
            with np.errstate(all="ignore"):
                v = float(np.real(call()))
            if math.isfinite(v):
                worst = max(worst, abs(v - f0))
    finally:
        for a, a0 in zip(work, saved):
            a[...] = a0
    return worst


def _sample(size, sample, seed):
    if sample is None:
        return None
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < 1:
        raise ValueError(f"sample must be a positive int (number of entries to check), got {sample!r}")
    if sample >= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(size, size=int(sample), replace=False))


def _judge(a, num, rtol, atol_i):
    """Errors of analytic `a` vs numeric `num` and the tolerance atol_i + rtol max(|a|, |n|)."""
    with np.errstate(all="ignore"):
        finite = np.isfinite(a) & np.isfinite(num)
        err = np.abs(a - num)
        big = np.maximum(np.abs(a), np.abs(num))
        tol_i = atol_i + rtol * big
        ratio = np.where(finite, err / np.where(tol_i > 0, tol_i, np.finfo(float).tiny), np.inf)
        rel = np.where(big > 0, err / np.where(big > 0, big, 1.0), 0.0)
    return {"err": err, "rel": rel, "tol": tol_i, "ratio": ratio, "finite": finite}


def _array_scale(layout, idx, a, num):
    """Per entry: the largest finite |analytic| or |numeric| value within the entry's own array."""
    arr = np.searchsorted(layout.offsets, idx, side="right") - 1
    out = np.zeros(len(idx))
    with np.errstate(all="ignore"):
        mag = np.maximum(np.where(np.isfinite(a), np.abs(a), 0.0), np.where(np.isfinite(num), np.abs(num), 0.0))
    for k in np.unique(arr):
        out[arr == k] = mag[arr == k].max()
    return out


# refinement levels (new steps h/2, h/4, ...) per method
_REFINE_LEVELS = {"central": 6, "richardson": 5}
# an entry whose error exceeds this many times its bound after 2 refinement levels is
# decided (it cannot be truncation error that the next halving would remove)
_CONFIDENT_FAIL = 16.0


def _refine(central_at, rows, h_top, num0, bound0, a, rtol, atol, floor, levels):
    """Richardson table of central differences at halving steps, with error bounds.

    Parameters
    ----------
    central_at : callable
        ``central_at(h, k)`` -> central differences D(h[k]) of entries k (2 calls of f each).
    rows : list of ndarray
        D(h_top), D(h_top / 2), ... already computed.
    h_top : ndarray
        The largest step, of rows[0].
    num0, bound0 : ndarray
        The method's own estimate and its rounding bound, kept where no refined estimate
        with a truncation bound exists.
    a : ndarray
        Analytic values (for early stopping only: an entry stops once it is decided).
    floor : float
        Rounding noise of one difference of f; D(h) has rounding error <= floor / h.
    levels : int
        How many further halvings at most.

    Returns
    -------
    est, bound : ndarray
        Best estimate per entry and its error bound: T[k][j] (j-fold extrapolated D(h_k)),
        T[k][j] = T[k][j-1] + (T[k][j-1] - T[k-1][j-1]) / (4^j - 1), with bound
        |T[k][j] - T[k-1][j]| (truncation, >= 3x the standard estimate) + rounding
        r[k][j] floor / h_k, r[k][0] = 1, r[k][j] = (4^j r[k][j-1] + r[k-1][j-1] / 2) / (4^j - 1).
    calls : int
        Calls of f made.
    rough : ndarray of bool
        Entries whose central differences did not converge as the step shrank: the last
        change |D(h_k) - D(h_{k-1})| is above rounding noise (4 floor / h_k) and at least half
        the change before it (smooth f: ~1/4, since D(h) = f' + c h^2 + ...; a kink such as
        |x| near 0 gives ~2). f does not look smooth within h of such an entry.
    """
    n = len(a)
    T, R = [], []  # T[k][j] estimates, R[k][j] rounding amplification (units floor / h_k)
    best = np.array(num0, dtype=float)
    bound = np.full(n, np.inf)  # no truncation bound yet
    active = np.ones(n, dtype=bool)
    calls = 0
    min_order = len(rows) - 1
    # last two changes of the raw central difference between successive steps, per entry
    d_prev = np.full(n, np.nan)
    d_last = np.full(n, np.nan)
    rough = np.zeros(n, dtype=bool)

    def add_row(D):
        k = len(T)
        Tk, Rk = [D], [1.0]
        for j in range(1, k + 1):
            q = 4.0**j
            Tk.append(Tk[j - 1] + (Tk[j - 1] - T[k - 1][j - 1]) / (q - 1.0))
            Rk.append((q * Rk[j - 1] + 0.5 * R[k - 1][j - 1]) / (q - 1.0))
        T.append(Tk)
        R.append(Rk)
        if k == 0:
            return
        hk = h_top / 2.0**k
        with np.errstate(all="ignore"):
            step = np.abs(D - T[k - 1][0])
            upd = active.copy()
            d_prev[upd] = d_last[upd]
            d_last[upd] = step[upd]
            rough[upd] = (d_last[upd] > 0.5 * d_prev[upd]) & (d_last[upd] > 4.0 * floor / hk[upd])
            # T[k][j] has a same-order predecessor T[k-1][j]; orders below the method's own
            # (richardson: j >= 1) would trade its estimate for a cruder one
            for j in range(min_order, k):
                b = np.abs(T[k][j] - T[k - 1][j]) + R[k][j] * floor / hk
                take = active & np.isfinite(b) & (b < bound)
                best[take] = T[k][j][take]
                bound[take] = b[take]

    full = np.empty(n)
    for D in rows:
        add_row(D)
    for level in range(levels):
        with np.errstate(all="ignore"):
            err = np.abs(a - best)
            b = np.where(np.isinf(bound), bound0, bound + atol)
            tol_i = b + rtol * np.maximum(np.abs(a), np.abs(best))
            # decided: passes, with a bound no looser than the tolerance first asked for (a
            # looser bound is inconclusive: keep refining, it may tighten and expose a bug)
            active &= ~((err <= tol_i) & (b <= bound0 + rtol * np.abs(a)))
            if level >= 2:
                active &= ~(err > _CONFIDENT_FAIL * tol_i)  # decided: fails
        if not active.any():
            break
        hk = h_top / 2.0 ** len(T)
        act = np.flatnonzero(active)
        full[:] = np.nan
        full[act] = central_at(hk, act)
        calls += 2 * act.size
        prev = T[-1][0]
        add_row(np.where(active, full, prev))
    return best, np.where(np.isinf(bound), bound0, bound + atol), calls, rough


def _max_abs(v):
    return float(np.max(np.abs(v))) if v.size else 0.0


def _max_or_inf(v, finite):
    if not finite.all():
        return math.inf
    return float(np.max(v)) if v.size else 0.0


def _resolution_reason(reason, failed, n_unresolved, n, require_resolved, unit):
    """Append (or set) the reason for failing on unresolved entries; '' keeps the check passing."""
    if n == 0 or n_unresolved == 0:
        return reason
    if n_unresolved == n:
        why = (
            f"no entry could be resolved: all {n} {unit} are below the rounding noise of finite "
            "differences, so nothing was verified; rescale the problem or use method='complex'"
        )
    elif require_resolved:
        why = (
            f"{n_unresolved} of {n} {unit} are below the resolution of finite differences "
            "(require_resolved=True); rescale the problem or use method='complex'"
        )
    else:
        return reason
    return f"{reason}; {why}" if failed and reason else why


def _reason(layout, idx, a, num, failed):
    if not failed.any():
        return ""
    bad_a = ~np.isfinite(a)
    if bad_a.any():
        first = int(np.flatnonzero(bad_a)[0])
        return (
            f"the analytic gradient has {int(bad_a.sum())} non-finite entries "
            f"(first {layout.label(int(idx[first]))} = {a[first]}); {int(failed.sum())} entries fail"
        )
    bad_n = ~np.isfinite(num)
    if bad_n.any():
        first = int(np.flatnonzero(bad_n)[0])
        return (
            f"the numeric derivative is non-finite at {int(bad_n.sum())} entries "
            f"(first {layout.label(int(idx[first]))}: f is nan/inf near params); "
            f"{int(failed.sum())} entries fail"
        )
    return f"{int(failed.sum())} of {len(a)} entries exceed the tolerance"


def _random_check(layout, work, call, g, x, f0, rtol, atol, eps, directions, seed, start, noise_f, require_resolved):
    """method="random": compare g.v with central differences along unit directions v."""
    if isinstance(directions, bool) or not isinstance(directions, (int, np.integer)) or directions < 1:
        raise ValueError(f"directions must be a positive int, got {directions!r}")
    dtype = layout.dtype
    rng = np.random.default_rng(seed)
    vs = rng.standard_normal((int(directions), layout.size))
    vs /= np.linalg.norm(vs, axis=1, keepdims=True)
    rel = eps if eps is not None else tol.machine_eps(dtype) ** (1 / 3)
    t = rel * max(1.0, float(np.max(np.abs(x))))
    with np.errstate(all="ignore"):
        num, disp = fd.directional(call, work, [layout.split(v) for v in vs], t)
        finite_g = np.isfinite(g)
        # exact directional derivative along the displacement actually applied
        ana = disp @ np.where(finite_g, g, 0.0)
        if not finite_g.all():
            ana[:] = np.nan
        # typical |g.v| for a random unit v is ||g|| / sqrt(P): the absolute floor scales with it
        gnorm = float(np.linalg.norm(g[finite_g])) if finite_g.any() else 0.0
        noise = tol.noise_floor("random", dtype, f0, noise_f) / t
        atol_d = atol if atol is not None else max(rtol * gnorm / np.sqrt(layout.size), noise)
        atol_d = np.full(len(num), atol_d)

        def judge():
            err = np.abs(ana - num)
            big = np.maximum(np.abs(ana), np.abs(num))
            tol_d = atol_d + rtol * big
            finite = np.isfinite(ana) & np.isfinite(num)
            ratio = np.where(finite, err / np.maximum(tol_d, np.finfo(float).tiny), np.inf)
            relerr = np.where(big > 0, err / np.where(big > 0, big, 1.0), 0.0)
            return err, tol_d, finite, ratio, relerr

        err, tol_d, finite, ratio, relerr = judge()
        # unresolved directions: g.v and the difference quotient both within its noise
        unresolved = np.isfinite(ana) & (np.abs(ana) <= noise) & (np.abs(num) <= noise)
        # refinement as in the full check: failing directions get Richardson from D(t), D(2t)
        redo = np.flatnonzero(~(ratio <= 1.0) & finite)
        if redo.size:
            num2, disp2 = fd.directional(call, work, [layout.split(vs[i]) for i in redo], 2.0 * t)
            num[redo] = (4.0 * num[redo] - num2) / 3.0
            ana[redo] = (4.0 * ana[redo] - disp2 @ g) / 3.0
            if atol is None:
                atol_d[redo] = np.maximum(atol_d[redo], 1.5 * noise)
            n_extra = 2 * redo.size
            err, tol_d, finite, ratio, relerr = judge()
        else:
            n_extra = 0
    failed = ~(ratio <= 1.0)
    order = np.argsort(-np.nan_to_num(ratio, nan=np.inf), kind="stable")

    def entry(i):
        return Entry(f"direction {i}", (), float(ana[i]), float(num[i]), float(err[i]), float(relerr[i]), float(tol_d[i]))

    if not finite_g.all():
        first = int(np.flatnonzero(~finite_g)[0])
        reason = (
            f"the analytic gradient has {int((~finite_g).sum())} non-finite entries "
            f"(first {layout.label(first)} = {g[first]})"
        )
    elif failed.any():
        reason = f"{int(failed.sum())} of {len(num)} random directions exceed the tolerance"
    else:
        reason = ""
    n_unresolved = int(unresolved.sum())
    reason = _resolution_reason(reason, bool(reason), n_unresolved, len(num), require_resolved, "directions")
    with np.errstate(all="ignore"):
        denom = max(np.linalg.norm(ana), np.linalg.norm(num))
        norm_rel = float(np.linalg.norm(ana - num) / denom) if denom > 0 else 0.0
    return GradientCheckResult(
        ok=not reason,
        method="random",
        reason=reason,
        worst=entry(int(order[0])),
        max_abs_error=_max_or_inf(err, finite),
        max_rel_error=_max_or_inf(relerr, finite),
        norm_rel_error=norm_rel if finite.all() else math.inf,
        n_failed=int(failed.sum()),
        n_checked=int(len(num)),
        numeric=None,
        analytic=layout.build(layout.split(g)),
        rtol=float(rtol),
        atol=float(np.max(atol_d)),
        n_evals=1 + _NOISE_SAMPLES + 2 * len(num) + n_extra,
        elapsed=time.perf_counter() - start,
        failures=tuple(entry(int(i)) for i in order[:5] if failed[i]),
        directional=tuple(zip(ana.tolist(), num.tolist())),
        n_unresolved=n_unresolved,
        resolution=float(noise) if n_unresolved else 0.0,
    )
