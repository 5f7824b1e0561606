"""A float64 reference for float32 code: f and grad again, at float64 copies of the same params.

In float32 a central difference resolves a derivative only to about nu / h, nu ~ eps32 |f|
the rounding noise of f and h ~ eps32^(1/3): an entry much smaller than that cannot show an
error of 1%, and a step large enough to beat float32's rounding can reach across a kink of f
(a ReLU unit within h of its corner), where the quotient is the mean of two slopes. Most
NumPy (and much torch) code is written for any float dtype: evaluated at float64 copies of the
*same* values (float32 numbers are float64 numbers), f and grad are the same formula with
about 1e9 times less rounding. Per entry that the float32 check could not settle (flagged,
undecided, beyond half its first-pass tolerance, unresolved, or too small for a 1% error:
a set E), the float64 check of
g64 = grad(params64) against f64 = f(params64) decides:

- float64 confirms that g64_i is wrong -> entry i fails (shown as ``W[i, j] (float64)``);
- float32 flagged i, but float64 resolves it and float32's own analytic value is within its
  float32 first-pass tolerance t_i of the float64 numeric derivative,
  |g32_i - n64_i| <= t_i = atol_i + rtol max(|g32_i|, |n64_i|) -> i passes (it was the
  float32 difference quotient that was off); beyond t_i by more than n64_i's own bound, i
  fails (float32's value is off by more than float32's own test allows, seen without its
  noise); otherwise float32's verdict stands;
  (g64 is held to the float32 check's rtol, and atol from float64's measured noise: the
  same claim as float32's, seen with less noise);
- float32 could not resolve a 1% error in i and float64 verifies g64_i -> i passes, with
  float64's (much smaller) ``detectable``.

float64's values count only where its difference quotients are less noisy than float32's
(atol_i, from each one's measured noise): code that computes in float32 whatever it is
given (e.g. with float32 data) gains nothing from float64 copies and keeps its float32 verdict,
except where float64 confirms a failure with its own bounds.

The reference is used only when f(params64) returns a float64 (or Python) scalar; g64 only
when every array grad(params64) returns is float64 (a precomputed gradient gives none): an f
that returns float32 whatever it is given is checked in float32 alone, and
``result.reference`` says why.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from verify import _tolerance as tol
from verify.check import SCREEN, entry_outcome  # (verify.check imports this module lazily)
from verify.problem import Problem
from verify.refine import INCONCLUSIVE, PASSED


def with_reference(problem, opts, o):
    """The outcome `o` of a float32 check, with the entries it could not settle decided in float64.

    Parameters
    ----------
    problem : Problem
        The float32 (or float16) problem.
    opts : Options
        The float32 check's options (the reference keeps its method and rtol).
    o : dict
        `verify.check.entry_outcome` of the float32 check.

    Returns
    -------
    dict
        `o` with ``a, num, judged, atol_i, failed, status, unresolved, insensitive,
        independent`` updated at the decided entries, ``ref`` (bool per entry: decided in
        float64), ``reference`` (one line on what the reference did, "" when not needed).
    """
    o = {**o, "ref": np.zeros(len(o["idx"]), dtype=bool), "reference": ""}
    # flagged, undecided, or beyond half the tolerance in the first pass (a 1% error that
    # refinement could not confirm), unresolved, or too small for a 1% error to show
    need = o["failed"] | (o["status"] != PASSED) | (o["first"]["ratio"] > SCREEN) | o["unresolved"] | o["insensitive"]
    local = np.flatnonzero(need)
    if local.size == 0:
        return o
    p64, why = _promoted(problem)
    if p64 is None:
        o["reference"] = f"no float64 reference ({why}): the float32 check stands alone"
        return o
    # the same claim (g within the float32 check's rtol), with float64's noise: a grad that
    # rounds some intermediate to float32 whatever it is given stays within it
    opts64 = replace(opts, eps=None, sample=None, require_resolved=False, promote=False)
    o64 = entry_outcome(p64, opts64, o["idx"][local])
    o["n_evals"] += o64["n_evals"]
    analytic = p64.grad_itemsize >= 8 and callable(problem.grad)
    counts = _merge(o, o64, local, analytic, opts.rtol)
    o["reference"] = _describe(local.size, analytic, counts)
    return o


def _promoted(problem):
    """(the float64 Problem, "") or (None, why not)."""
    layout = problem.layout
    params64 = layout.build(layout.copies(problem.params, dtype=np.float64))
    try:
        # names come from the structure again: only per-entry values are taken from p64
        p64 = Problem(problem.f, problem.grad, params64, None)
    except Exception as exc:  # noqa: BLE001  (f or grad written for float32 only)
        return None, f"f or grad failed at float64 copies of params: {type(exc).__name__}: {exc}"[:300]
    if p64.f_itemsize < 8:
        return None, f"f returns float{8 * p64.f_itemsize} at float64 params"
    return p64, ""


def _merge(o, o64, local, analytic, rtol32):
    """Decide the entries `local` of float32 outcome `o` from float64 outcome `o64` (in place)."""
    fin64 = o64["judged"]["finite"]
    inconclusive64 = o64["failed"] & (o64["status"] == INCONCLUSIVE) & fin64
    confirmed64 = o64["failed"] & ~inconclusive64
    resolved64 = ~o64["unresolved"] & ~inconclusive64 & ~o64["rough"] & np.isfinite(o64["num"])
    passed64 = ~o64["failed"] & resolved64
    flagged32 = o["failed"][local] | (o["status"][local] != PASSED)
    # float64 sees more only where its quotients are less noisy than float32's (a function
    # that computes in float32 whatever it is given gains nothing from float64 copies)
    better = o64["atol_i"] < o["atol_i"][local]
    counts = {"failed": 0, "cleared": 0, "verified": 0}
    if analytic:
        fail = confirmed64
        _take(o, o64, local, fail, status=-1)
        o["failed"][local[fail]] = True
        counts["failed"] = int(fail.sum())
    else:
        fail = np.zeros(local.size, dtype=bool)
    # float32 flagged it: its own analytic value against the float64 numeric derivative
    arbiter = flagged32 & ~fail & resolved64 & (passed64 if analytic else True)
    with np.errstate(all="ignore"):
        a32 = o["a"][local]
        # within the float32 tolerance of an estimate known at least that well
        known = np.where(o64["bound"] > 0, o64["bound"], o64["atol_i"])
        within = (np.abs(a32 - o64["num"]) <= o["first"]["tol"][local]) & (known <= o["first"]["tol"][local])
        # beyond it by more than the float64 estimate's own bound (refined, else its whole
        # float64 tolerance): the float32 value is off
        bound64 = np.where(o64["bound"] > 0, o64["bound"], o64["judged"]["tol"])
        beyond = np.abs(a32 - o64["num"]) - bound64 > o["first"]["tol"][local]
    clear = arbiter & within & better
    confirm = arbiter & beyond & (o["status"][local] != PASSED)
    for which, status in ((clear, PASSED), (confirm, -1)):
        i = local[which]
        o["num"][i] = o64["num"][which]
        for key, v in tol.judge(a32[which], o64["num"][which], o["atol_i"][i], rtol32).items():
            o["judged"][key][i] = v
        o["failed"][i] = status != PASSED
        o["status"][i] = status
        o["rough"][i] = False
        o["ref"][i] = True
    counts["cleared"] = int(clear.sum())
    counts["failed"] += int(confirm.sum())
    if analytic:
        # float32 could not resolve a 1% error there: float64 verifies g64
        verify = ~flagged32 & ~fail & passed64 & better
        _take(o, o64, local, verify, status=PASSED)
        indep = ~flagged32 & ~verify & o64["independent"] & o["unresolved"][local]
        o["unresolved"][local[indep]] = False
        o["independent"][local[indep]] = True
        counts["verified"] = int(verify.sum() + indep.sum())
    return counts


def _take(o, o64, local, which, *, status):
    """Entries `local[which]` of `o` take float64's values, tolerances and flags."""
    i = local[which]
    for key in ("a", "num", "atol_i"):
        o[key][i] = o64[key][which]
    for key in o["judged"]:
        o["judged"][key][i] = o64["judged"][key][which]
    o["status"][i] = status
    o["unresolved"][i] = False
    o["insensitive"][i] = o64["insensitive"][which] & (status == PASSED)
    for key in ("kink", "coarse", "rough", "bound"):
        o[key][i] = o64[key][which]
    o["ref"][i] = True


def _describe(n, analytic, counts):
    what = "f and grad" if analytic else "f only (grad returns float32 at float64 params, or is no function)"
    parts = [f"{counts['failed']} fail"] if counts["failed"] else []
    if counts["cleared"]:
        parts.append(f"{counts['cleared']} float32 flags cleared (float32's analytic value agrees with float64's numeric one)")
    if counts["verified"]:
        parts.append(f"{counts['verified']} verified")
    head = f"float64 reference: {what} at float64 copies of params for {n} entries float32 could not settle"
    return head + (": " + ", ".join(parts) if parts else "")
