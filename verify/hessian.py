"""`check_hessian`: Hessian-vector products against finite differences of the gradient.

For a direction v (a random unit vector, or a unit vector e_j: column j of the Hessian),

    H v ≈ D(t) = [grad(x + t v) - grad(x - t v)] / 2t,
    T = (4 D(t) - D(2t)) / 3                      (Richardson; error O(t^4)),

4 calls of grad per direction, compared component by component with ``hvp(params, v)``:

    |hvp_i - T_i| <= atol_i + rtol max(|hvp_i|, |T_i|),
    atol_i = |T_i - D_i(t)| + KAPPA * 1.34 * nu_i / (sqrt(2) t),

where |T - D(t)| (the truncation of D(t)) bounds T's own truncation conservatively and
nu_i = 4 eps max|grad| over component i's array is the rounding of a gradient component.
A random-direction check of grad against f (`check_gradient(method="random")`) comes first:
the differences of grad measure the Hessian of f only if grad is right.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from verify import _tolerance as tol
from verify.check import check_gradient
from verify.problem import Problem
from verify.result import MAX_MESSAGE, TOP, Entry
from verify.steps import KAPPA, machine_eps

_RTOL = {8: 1e-6, 4: 5e-3}


@dataclass(frozen=True)
class HessianCheckResult:
    """Outcome of `check_hessian`; ``bool(result)`` is ``result.ok``.

    Attributes
    ----------
    ok : bool
        True iff ``status == "passed"``.
    status : {"passed", "failed", "unknown"}
        "failed": some Hessian-vector product component is outside tolerance (or the
        gradient itself failed its check); "unknown": grad could not be verified.
    reason : str
    worst : Entry
        Worst component, labelled ``column W[0, 1] -> b[2]`` or ``direction 3 -> W[1, 2]``.
    failures : tuple of Entry
        Up to 5 worst failing components.
    n_directions, n_columns : int
        Random directions and Hessian columns checked.
    n_checked, n_failed : int
        Components compared / outside tolerance.
    max_abs_error, norm_rel_error : float
        Over all compared components.
    gradient : GradientCheckResult
        The random-direction check of grad against f.
    n_grad_evals, n_hvp_evals : int
    """

    ok: bool
    status: str
    reason: str
    worst: Entry | None
    n_directions: int
    n_columns: int
    n_checked: int
    n_failed: int
    max_abs_error: float
    norm_rel_error: float
    rtol: float
    gradient: object = field(repr=False, default=None)
    failures: tuple = field(repr=False, default=())
    n_grad_evals: int = 0
    n_hvp_evals: int = 0
    elapsed: float = 0.0

    def __bool__(self):
        return bool(self.ok)

    def __str__(self):
        word = {"passed": "passed", "failed": "FAILED"}.get(self.status, "UNVERIFIED")
        head = (
            f"Hessian check {word} ({self.n_directions} random directions, {self.n_columns} columns, "
            f"{self.n_checked} components, rtol={self.rtol:.2g}): "
        )
        if self.ok:
            lines = [head + f"max abs error {self.max_abs_error:.3g}, norm-relative error {self.norm_rel_error:.3g}"]
        else:
            lines = [head + self.reason]
            if self.worst is not None:
                lines.append(f"worst {self.worst}")
            lines += [f"  also {e}" for e in self.failures[1:TOP]]
        text = "\n".join(lines)
        return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def check_hessian(
    f,
    grad,
    hvp,
    params,
    *,
    directions=4,
    max_columns=64,
    rtol=None,
    atol=None,
    names=None,
    random_state=0,
):
    """Check Hessian-vector products against finite differences of the gradient.

    Parameters
    ----------
    f : callable
        ``f(params) -> scalar`` loss (used to check ``grad`` first, along random directions).
    grad : callable
        ``grad(params)`` -> gradient in the structure of params.
    hvp : callable
        ``hvp(params, v)`` -> H v in the structure of params, for v in that structure
        (H the Hessian of f at params; v of the params' kinds, e.g. torch tensors).
    params : array, float, or (nested) tuple / list / dict of them
        As in `verify.check_gradient`; never modified.
    directions : int
        Random unit directions v over all parameters.
    max_columns : int
        Full columns H e_j are checked for every j when the parameters have at most this
        many entries, else for a random sample of this many.
    rtol, atol : float, optional
        Tolerances (defaults: rtol 1e-6 in float64, 5e-3 in float32; atol per component,
        see the module docstring).
    names : sequence of str or dict, optional
        Names of the top-level arrays for messages.
    random_state : int
        Seed of the directions and of the column sample.

    Returns
    -------
    HessianCheckResult
        ``.ok``, ``.status``, ``.worst``, ``.failures``, ``.gradient``.

    Notes
    -----
    Cost: 4 calls of grad and 1 of hvp per direction and per column, plus the gradient
    check (2 calls of f per random direction and a noise table).
    """
    __tracebackhide__ = True
    start = time.perf_counter()
    if not callable(hvp):
        raise TypeError(f"hvp must be callable (params, v) -> H v, got {type(hvp).__name__}")
    if not callable(grad):
        raise TypeError(f"grad must be callable for a Hessian check, got {type(grad).__name__}")
    directions = tol.validate_count("directions", directions)
    max_columns = tol.validate_count("max_columns", max_columns)
    rtol, atol = tol.validate_tolerance("rtol", rtol), tol.validate_tolerance("atol", atol)
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)):
        raise TypeError(f"random_state must be an int, got {random_state!r}")
    problem = Problem(f, grad, params, names)
    layout = problem.layout
    gcheck = check_gradient(f, grad, params, method="random", names=names, random_state=int(random_state))
    dtype = layout.dtype
    rtol = _RTOL.get(np.dtype(dtype).itemsize, 1e-2) if rtol is None else rtol
    rng = np.random.default_rng(int(random_state))
    V = rng.standard_normal((directions, layout.size))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    cols = np.arange(layout.size)
    if layout.size > max_columns:
        cols = np.sort(rng.choice(layout.size, size=max_columns, replace=False))
    labels = [f"direction {k}" for k in range(directions)] + [f"column {layout.label(int(j))}" for j in cols]
    E = np.zeros((len(cols), layout.size))
    E[np.arange(len(cols)), cols] = 1.0
    vs = np.vstack([V, E])
    # rounding of one gradient component: a few eps of the largest |grad| in its array
    g0 = np.where(np.isfinite(problem.g), np.abs(problem.g), 0.0)
    scale = np.zeros(layout.size)
    for o, s in zip(layout.offsets[:-1], layout.sizes):
        scale[o : o + s] = g0[o : o + s].max() if s else 0.0
    nu = 4.0 * machine_eps(dtype) * np.maximum(scale, np.finfo(float).tiny)
    e13 = machine_eps(dtype) ** (1 / 3)
    rows = []
    for v in vs:
        support = np.abs(v) > 0
        t = e13 * max(1.0, float(np.max(np.abs(problem.x[support]))))
        ana = _flat_hvp(layout, hvp, problem, v)
        d1 = _grad_difference(problem, v, t)
        d2 = _grad_difference(problem, v, 2.0 * t)
        T = (4.0 * d1 - d2) / 3.0
        with np.errstate(all="ignore"):
            atol_i = np.full(layout.size, atol) if atol is not None else (
                np.abs(T - d1) + KAPPA * tol.RICHARDSON_AMPLIFICATION * nu / (math.sqrt(2.0) * t)
            )
        rows.append((ana, T, tol.judge(ana, T, atol_i, rtol)))
    return _result(layout, rows, labels, directions, len(cols), rtol, gcheck, start)


def _flat_hvp(layout, hvp, problem, v):
    vstruct = layout.build([np.asarray(a, dtype=d) for a, d in zip(layout.split(v), layout.dtypes)])
    out = hvp(layout.build(layout.copies(problem.params), for_grad=True), vstruct)
    return layout.flatten_gradient(out, "hvp(params, v)")


def _grad_difference(problem, v, t):
    """[grad(x + t v) - grad(x - t v)] / (2t), with the displacement as stored in the dtype."""
    layout, work = problem.layout, problem.work
    base = [a.copy() for a in work]
    parts = layout.split(v)
    out = []
    try:
        for sign in (1.0, -1.0):
            for a, a0, va in zip(work, base, parts):
                np.add(a0, sign * t * va, out=a, casting="unsafe")
            raw = problem.grad(layout.build([a.copy() for a in work], for_grad=True))
            out.append(layout.flatten_gradient(raw, "grad(params)"))
    finally:
        for a, a0 in zip(work, base):
            a[...] = a0
    return (out[0] - out[1]) / (2.0 * t)


def _result(layout, rows, labels, n_dirs, n_cols, rtol, gcheck, start):
    ana = np.concatenate([r[0] for r in rows])
    num = np.concatenate([r[1] for r in rows])
    judged = {k: np.concatenate([r[2][k] for r in rows]) for k in ("err", "rel", "tol", "ratio", "finite")}
    failed = ~(judged["ratio"] <= 1.0)
    P = layout.size

    def entry(i):
        row, comp = divmod(int(i), P)
        return Entry(
            f"{labels[row]} -> {layout.label(comp)}", (), float(ana[i]), float(num[i]),
            float(judged["err"][i]), float(judged["rel"][i]), float(judged["tol"][i]),
        )

    order = np.lexsort((-np.nan_to_num(judged["ratio"], nan=np.inf), ~failed))
    reasons, status = [], "passed"
    if failed.any():
        bad_rows = sorted({int(i) // P for i in np.flatnonzero(failed)})
        reasons.append(
            f"{int(failed.sum())} of {len(ana)} components exceed the tolerance "
            f"(in {len(bad_rows)} of {len(labels)} products, first {labels[bad_rows[0]]})"
        )
        status = "failed"
    if not gcheck.ok:
        reasons.append(f"the gradient itself did not pass its check ({gcheck.status}: {gcheck.reason})")
        status = "failed" if gcheck.status == "failed" else (status if status == "failed" else "unknown")
    finite = judged["finite"]
    with np.errstate(all="ignore"):
        denom = max(np.linalg.norm(ana[finite]), np.linalg.norm(num[finite])) if finite.any() else 0.0
        nrel = float(np.linalg.norm(ana[finite] - num[finite]) / denom) if denom > 0 else 0.0
    return HessianCheckResult(
        ok=status == "passed",
        status=status,
        reason="; ".join(reasons),
        worst=entry(order[0]),
        n_directions=n_dirs,
        n_columns=n_cols,
        n_checked=len(ana),
        n_failed=int(failed.sum()),
        max_abs_error=float(np.max(judged["err"])) if finite.all() else math.inf,
        norm_rel_error=nrel if finite.all() else math.inf,
        rtol=float(rtol),
        gradient=gcheck,
        failures=tuple(entry(i) for i in order[:TOP] if failed[i]),
        n_grad_evals=4 * len(labels),
        n_hvp_evals=len(labels),
        elapsed=time.perf_counter() - start,
    )
