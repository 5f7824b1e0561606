"""The one standard for "refuted", reusable: a counterexample counts only when confirmed.

``confirm_counterexample(lhs, rhs, point, assume=...)`` says whether ``point`` is a
counterexample by the standard :func:`derivation.equivalence.equivalent` uses:

* every symbol gets an exact value (integers, fractions, Rationals; floats are read
  as their exact binary value); symbols solved from the assumptions (``y'_n`` in
  ``y'_1 + ... + y'_n = 1``) are computed from the others;
* every assumption holds there, and both sides *as typed* have a real, finite value
  (``sqrt(x)**2`` has none at x = -1, so no point with x < 0 refutes it);
* the two values differ, confirmed exactly (rational arithmetic) or by interval
  arithmetic at 80-320 digits (intervals of the two sides disjoint), which rounding
  and cancellation cannot fool; point values at 80/160/320 digits only for functions
  without an interval version.

``refute(lhs, rhs, assume=...)`` searches for such a point (the sampler of
``equivalent``) and returns a confirmed :class:`Counterexample` or None.  Both run
in the checker's bounded worker process: they return within ``timeout`` plus a small
grace whatever the input.
"""

from __future__ import annotations

import numbers
from fractions import Fraction

import sympy

from derivation.equivalence import worker
from derivation.equivalence.assumptions import solve_assumptions
from derivation.equivalence.budget import BudgetExceeded, Deadline
from derivation.equivalence.inputs import (
    as_equations, as_expr, assumption_items, check_input, check_timeout, prepare,
)
from derivation.equivalence.sampling import Counterexample, Sampler

__all__ = ["confirm_counterexample", "refute", "Counterexample"]

_GRACE = 0.3


def _prepared(lhs, rhs, assume):
    """(sampler, back map, Prepared, equations) for the typed sides and the assumptions."""
    from derivation.equivalence.checker import evaluate_operators

    given = [evaluate_operators(as_expr(lhs, "lhs")), evaluate_operators(as_expr(rhs, "rhs"))]
    equations = as_equations(assume)
    if any(eq is sympy.false for eq in equations):
        return None
    prep = prepare(given + [sympy.Tuple(eq.lhs, eq.rhs) for eq in equations])
    typed = prep.typed[:2]
    eqs = [sympy.Eq(p[0], p[1], evaluate=False) for p in prep.evaluated[2:] if p[0] != p[1]]
    solved = solve_assumptions(eqs)
    if solved.contradiction:
        return None
    return Sampler(typed[0], typed[1], eqs, solved), prep


def _exact_value(value, key):
    if isinstance(value, sympy.Rational):
        return value
    if isinstance(value, sympy.Float):
        return sympy.Rational(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"the value of {key} must be a real number, got {value!r}")
    if isinstance(value, numbers.Rational):
        return sympy.Rational(int(value.numerator), int(value.denominator))
    exact = Fraction(float(value))
    return sympy.Rational(exact.numerator, exact.denominator)


def _confirm(lhs, rhs, point, assume, deadline):
    built = _prepared(lhs, rhs, assume)
    if built is None:
        return False  # contradictory assumptions: no point satisfies them
    sampler, prep = built
    by_name = {}
    for real, original in prep.back.items():
        by_name[original] = real
        by_name[sympy.sstr(original)] = real
    values = {}
    for key, value in point.items():
        real = by_name.get(key if not isinstance(key, str) else key.strip())
        if real is None:
            continue  # a symbol neither side nor an assumption mentions
        values[real] = _exact_value(value, key)
    if not all(s in values for s in sampler.free):
        return False  # not a point: some symbol has no value
    found = sampler.check({s: values[s] for s in sampler.free}, deadline.end, screen=False)
    return bool(found)


def confirm_counterexample(lhs, rhs, point, *, assume=(), timeout=5.0) -> bool:
    """Whether ``point`` is a confirmed counterexample to ``lhs == rhs``.

    Parameters
    ----------
    lhs, rhs : sympy.Expr, str or real number
        As for :func:`derivation.equivalence.equivalent` (strings are parsed).
    point : mapping
        Symbol (or ``Indexed`` atom, or its printed name such as ``"w[1, 2]"``) ->
        real number (int, Fraction, sympy.Rational; floats read exactly).  Symbols
        solved from the assumptions may be omitted (they are computed).
    assume : iterable of sympy.Eq or str
        Equations that must hold at the point.
    timeout : float
        Seconds; False (not confirmed) when the budget runs out.

    Returns
    -------
    bool
        True iff every assumption holds at the point, both sides as typed are real and
        finite there, and ``lhs != rhs`` is confirmed exactly or by interval arithmetic.
    """
    check_timeout(timeout)
    check_input(lhs, "lhs")
    check_input(rhs, "rhs")
    if not hasattr(point, "items"):
        raise TypeError(f"point must be a mapping symbol -> value, got {point!r}")
    deadline = Deadline(timeout)
    try:
        return worker.call(_confirm, (lhs, rhs, dict(point), assumption_items(assume), deadline),
                           deadline.remaining() + _GRACE, reraise=(ValueError, TypeError))
    except (BudgetExceeded, RuntimeError):
        return False


def _refute(lhs, rhs, assume, deadline, random_state, points):
    built = _prepared(lhs, rhs, assume)
    if built is None:
        return None
    sampler, prep = built
    sampler.reseed(random_state)
    found = sampler.run(deadline.end, points)
    if found is None or prep.indexed_clash:
        return None
    return Counterexample({prep.back.get(s, s): v for s, v in found.point.items()},
                          found.lhs_value, found.rhs_value, found.difference, found.how)


def refute(lhs, rhs, *, assume=(), timeout=5.0, random_state=0, points=200):
    """A confirmed counterexample to ``lhs == rhs``, or None.

    Parameters
    ----------
    lhs, rhs, assume
        As for :func:`confirm_counterexample`.
    timeout : float
        Seconds for the search (None when it runs out).
    random_state : int
        Seed of the random points (after the structured ones: all ones, zeros, ...).
    points : int
        Valid points (assumptions hold, both sides defined) looked at, at most.

    Returns
    -------
    Counterexample or None
        ``.point`` (input symbol -> exact value, or a 30-digit Float for symbols computed
        from the assumptions), ``.lhs_value``, ``.rhs_value``, ``.difference``, ``.how``.
    """
    check_timeout(timeout)
    check_input(lhs, "lhs")
    check_input(rhs, "rhs")
    deadline = Deadline(timeout)
    try:
        return worker.call(_refute, (lhs, rhs, assumption_items(assume), deadline,
                                     int(random_state), int(points)),
                           deadline.remaining() + _GRACE, reraise=(ValueError, TypeError))
    except (BudgetExceeded, RuntimeError):
        return None

