"""Counterexample search: points where lhs and rhs differ, checked in high precision.

Points give every free symbol a small exact value that respects its SymPy
assumptions (``derivation.equivalence.points``: structured points such as all ones
first, then random integers in [-3, 3], then random fractions); the expressions are
evaluated *as typed* (``sqrt(x)**2`` has no value at x = -1, so such a point is
skipped); symbols solved from the assumptions are computed from the others, and
assumptions that could not be solved symbolically are solved numerically for one
symbol (mpmath ``findroot``).  A point counts only if every assumption holds
there and both sides are real and finite.

A point is a *candidate* when, at ``DPS`` digits,
``|l - r| > REL_TOL * max(|l|, |r|)``; point values can be fooled by
cancellation (tanh(100) - 1 is exactly 0 at 40 and at 80 digits), so a
candidate is only *confirmed* by a computation that cannot be fooled:

* **exactly** in rational arithmetic when both sides are rational functions and
  the point is rational (1 + 10**-30 vs 1 is refuted this way);
* else by **interval arithmetic** (``evaluate_interval``) at ``CONFIRM_DPS``
  digits, raised to 160 and 320 digits while the intervals are too wide to
  decide: the sides differ when their intervals are disjoint.  Symbols found
  by root finding (unsolved assumptions) enter as an interval that provably
  brackets a root (a sign change of the residual);
* only for functions without an interval version, by point evaluation at 80,
  160 and 320 digits, requiring each side to be stable between precisions
  (relative change below ``STABLE``; an exact 0 must stay 0) and the
  difference to persist.

Confirmed counterexamples are then simplified symbol by symbol (0, 1, -1, 2,
... first) so a reader can check them by hand.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import mpmath
import sympy

from derivation.equivalence.assumptions import natural_key
from derivation.equivalence.numeric import (
    NoInterval, OutOfTime, Undefined, bounds, evaluate, evaluate_interval, interval_dps,
    to_interval, to_mpf,
)
from derivation.equivalence.points import SIMPLE_VALUES, complexity, fits, points

__all__ = ["Counterexample", "Sampler", "DPS", "CONFIRM_DPS", "REL_TOL", "REPORT_DIGITS"]

DPS = 40            # digits for the search
CONFIRM_DPS = 80    # first precision of the confirmation
ESCALATION = (80, 160, 320)  # precisions tried in turn while the outcome is open
REL_TOL = mpmath.mpf("1e-32")  # candidate: relative difference at DPS digits (noise is ~1e-38)
STABLE = mpmath.mpf("1e-8")  # point fallback: allowed relative change between precisions
EXACT_NODES = 2000  # rational functions up to this size are compared exactly
REPORT_DIGITS = 30  # digits of reported values

@dataclass(frozen=True)
class Counterexample:
    """A confirmed point: symbol values, both sides' values (sympy Floats)."""

    point: dict
    lhs_value: sympy.Expr      # exact Rational or a 30-digit Float
    rhs_value: sympy.Expr
    difference: sympy.Expr     # lhs - rhs (exact or 6 significant digits)
    how: str                   # how it was confirmed


def _rational_function(expr):
    """Only +, *, integer powers, rationals and symbols (exactly computable)."""
    for node in sympy.preorder_traversal(expr):
        if node.is_Symbol or node.is_Rational or node.is_Add or node.is_Mul:
            continue
        if node.is_Pow and node.exp.is_Integer and abs(node.exp) <= 1000:
            continue
        return False
    return True


class Sampler:
    """Stateful search over points; ``run`` can be called repeatedly.

    Parameters
    ----------
    lhs, rhs : sympy.Expr
    equations : sequence of sympy.Eq
        All assumptions (checked at every point).
    solved : derivation.equivalence.assumptions.Solved
        ``solved.sample`` gives the solved symbols as functions of the free ones;
        ``solved.unsolved`` equations are solved numerically.
    seed : int
        Seed of the (deterministic) random points.
    """

    def __init__(self, lhs, rhs, equations, solved, seed: int = 0):
        self.lhs, self.rhs = lhs, rhs
        self.equations = list(equations)
        self.sample = dict(solved.sample)
        self.unsolved = list(solved.unsolved)
        symbols = set(lhs.free_symbols) | set(rhs.free_symbols)
        for eq in self.equations:
            symbols |= eq.free_symbols
        symbols -= set(self.sample)
        # one symbol per unsolved equation is found numerically
        self.root_symbols = []
        for eq in self.unsolved:
            choices = sorted((eq.free_symbols & symbols) - set(self.root_symbols), key=natural_key)
            if choices:
                self.root_symbols.append(choices[-1])
            else:
                self.root_symbols.append(None)
        self.free = sorted(symbols, key=natural_key)
        self.rng = random.Random(seed)
        self.points = points(self.free, self.rng)
        self.tried = 0       # points looked at
        self.valid = 0       # points where everything was defined and assumptions held
        self.skipped = 0     # points outside the domain / assumptions not satisfiable

    # ---- point generation -------------------------------------------------
    def reseed(self, seed: int):
        """Restart the random points from ``seed`` (structured points first again)."""
        self.rng = random.Random(seed)
        self.points = points(self.free, self.rng)

    # ---- evaluation ---------------------------------------------------------
    def _environment(self, point, dps, deadline):
        """mpmath values of all symbols at ``point`` (None if assumptions fail)."""
        with mpmath.workdps(dps):
            env = {s: to_mpf(v, dps) for s, v in point.items()}
        for s, g in self.sample.items():
            env[s] = evaluate(g, env, dps, deadline)
        for eq, s in zip(self.unsolved, self.root_symbols):
            if s is None:
                continue
            env[s] = self._root(eq, s, env, dps, deadline)
        for eq in self.equations:
            a = evaluate(eq.lhs, env, dps, deadline)
            b = evaluate(eq.rhs, env, dps, deadline)
            with mpmath.workdps(dps):
                scale = max(mpmath.mpf(1), abs(a), abs(b))
                if abs(a - b) > mpmath.mpf(10) ** (-(dps // 2)) * scale:
                    raise Undefined(f"assumption {eq} does not hold")
        return env

    @staticmethod
    def _root(eq, s, env, dps, deadline):
        residual = eq.lhs - eq.rhs
        local = dict(env)

        def f(t):
            local[s] = t
            return evaluate(residual, local, dps, deadline)

        with mpmath.workdps(dps):
            try:
                return mpmath.mpf(mpmath.findroot(f, env[s], tol=mpmath.mpf(10) ** (-dps + 5)))
            except (ValueError, ZeroDivisionError, TypeError, Undefined) as exc:
                raise Undefined(f"cannot satisfy {eq} numerically: {exc}") from None

    def _sides(self, point, dps, deadline):
        env = self._environment(point, dps, deadline)
        return (env, evaluate(self.lhs, env, dps, deadline),
                evaluate(self.rhs, env, dps, deadline))

    def check(self, point, deadline, screen=True):
        """A confirmed Counterexample at ``point``, False (not one) or None
        (outside the domain); raises OutOfTime.

        With ``screen`` (the search), points whose sides agree to ``REL_TOL`` at
        ``DPS`` digits are dismissed at once and interval confirmation stops when the
        midpoints agree; without it (a given point) every precision is tried.
        """
        try:
            _, l1, r1 = self._sides(point, DPS, deadline)
        except Undefined:
            return None
        with mpmath.workdps(DPS):
            if screen and not abs(l1 - r1) > REL_TOL * max(abs(l1), abs(r1)):
                return False
        found = self._exact(point)
        if found is None:
            try:
                found = self._interval(point, deadline, persist=not screen)
            except NoInterval:
                found = self._stable_points(point, deadline)
        if not found:
            return False
        full = dict(point)
        env = found.pop("env")
        for s in list(self.sample) + [s for s in self.root_symbols if s is not None]:
            full[s] = self._exact_or_float(s, point, env)
        return Counterexample(full, **found)

    def _exact(self, point):
        """Exact comparison in rationals, or None when not applicable/undefined."""
        if self.unsolved or not all(_rational_function(e) for e in (self.lhs, self.rhs)):
            return None
        values = dict(point)
        for s, g in self.sample.items():
            value = g.xreplace(point) if _rational_function(g) else None
            if not isinstance(value, sympy.Rational):
                return None
            values[s] = value
        if (sum(len(e.args) + 1 for e in (self.lhs, self.rhs)) > EXACT_NODES
                or len(list(sympy.preorder_traversal(self.lhs - self.rhs))) > EXACT_NODES):
            return None
        left, right = self.lhs.xreplace(values), self.rhs.xreplace(values)
        if not (isinstance(left, sympy.Rational) and isinstance(right, sympy.Rational)):
            return None  # a zero denominator somewhere (zoo/nan)
        if left == right:
            return False
        with mpmath.workdps(CONFIRM_DPS):
            env = {s: to_mpf(v, CONFIRM_DPS) for s, v in values.items()}
        return {"lhs_value": left, "rhs_value": right, "difference": left - right,
                "how": "exact rational arithmetic", "env": env}

    def _interval_environment(self, point, dps, deadline):
        """Intervals for all symbols (roots bracketed by a sign change)."""
        with interval_dps(dps):
            env = {s: to_interval(v, dps) for s, v in point.items()}
        for s, g in self.sample.items():
            env[s] = evaluate_interval(g, env, dps, deadline)
        if not self.unsolved:
            return env
        with mpmath.workdps(dps):
            centre = self._environment(point, dps, deadline)
        later = [s for s in self.root_symbols if s is not None]
        for eq, s in zip(self.unsolved, self.root_symbols):
            if s is None:
                continue
            later.remove(s)
            if eq.free_symbols & set(later):
                raise Undefined("assumptions not in triangular form: the root is not certified")
            residual = eq.lhs - eq.rhs
            with mpmath.workdps(dps):
                r = centre[s]
                eps = (abs(r) + 1) * mpmath.mpf(10) ** (-(dps // 2))
                lo, hi = r - eps, r + eps
            signs = []
            for end in (lo, hi):
                trial = dict(env)
                with interval_dps(dps):
                    trial[s] = mpmath.iv.mpf(end)
                a, b = bounds(evaluate_interval(residual, trial, dps, deadline))
                signs.append(1 if a > 0 else (-1 if b < 0 else 0))
            if 0 in signs or signs[0] == signs[1]:
                raise Undefined(f"no certified root of {eq} near {s} = {r}")
            with interval_dps(dps):
                env[s] = mpmath.iv.mpf([lo, hi])
        return env

    def _interval(self, point, deadline, persist=False):
        """Disjoint intervals of the two sides at 80, 160 or 320 digits, else False."""
        for dps in ESCALATION:
            try:
                env = self._interval_environment(point, dps, deadline)
                left = evaluate_interval(self.lhs, env, dps, deadline)
                right = evaluate_interval(self.rhs, env, dps, deadline)
            except Undefined:
                continue  # e.g. a log argument interval touching 0: more digits may help
            (la, lb), (ra, rb) = bounds(left), bounds(right)
            if lb < ra or rb < la:
                try:
                    env = self._environment(point, dps, deadline)  # for the reported point
                except Undefined:
                    return False
                with mpmath.workdps(dps):
                    lm, rm = (la + lb) / 2, (ra + rb) / 2
                    return {"lhs_value": sympy.Float(lm, REPORT_DIGITS),
                            "rhs_value": sympy.Float(rm, REPORT_DIGITS),
                            "difference": sympy.Float(lm - rm, 6),
                            "how": f"confirmed by interval arithmetic at {dps} digits",
                            "env": env}
            with mpmath.workdps(dps):
                gap = abs((la + lb) - (ra + rb)) / 2
                width = (lb - la) + (rb - ra)
            if not gap > width / 4 and not persist:
                return False  # midpoints agree within the widths: most likely equal
        return False

    def _stable_points(self, point, deadline):
        """Fallback for functions without intervals: stable point values."""
        previous = None
        for dps in ESCALATION:
            try:
                env, l2, r2 = self._sides(point, dps, deadline)
            except Undefined:
                return False
            if previous is not None:
                l1, r1 = previous
                with mpmath.workdps(dps):
                    for old, new in ((l1, l2), (r1, r2)):
                        if (old == 0) != (new == 0) or abs(new - old) > STABLE * abs(new):
                            break
                    else:
                        if abs(l2 - r2) > REL_TOL * max(abs(l2), abs(r2)) and not (
                                l1 == 0 or r1 == 0 or l2 == 0 or r2 == 0):
                            return {"lhs_value": sympy.Float(l2, REPORT_DIGITS),
                                    "rhs_value": sympy.Float(r2, REPORT_DIGITS),
                                    "difference": sympy.Float(l2 - r2, 6),
                                    "how": f"point values stable from {dps // 2} to {dps} digits",
                                    "env": env}
            previous = (l2, r2)
        return False

    def _exact_or_float(self, s, point, env):
        if s in self.sample:
            g = self.sample[s]
            if len(g.free_symbols) <= 50:
                exact = g.xreplace(point)
                if isinstance(exact, sympy.Rational):
                    return exact
        return sympy.Float(env[s], REPORT_DIGITS)

    def run(self, deadline: float, max_valid: int):
        """Search until a counterexample is confirmed, ``max_valid`` valid points
        were seen, the points run out, or ``deadline`` (monotonic time) passes.

        Returns a Counterexample or None.
        """
        try:
            while self.valid < max_valid and time.monotonic() < deadline:
                point = next(self.points, None)
                if point is None:
                    return None
                self.tried += 1
                outcome = self.check(point, deadline)
                if outcome is None:
                    self.skipped += 1
                    continue
                self.valid += 1
                if outcome:
                    return self._shrink(outcome, deadline)
        except OutOfTime:
            return None
        return None

    def _candidate(self, point, deadline):
        """The sides differ at ``point`` at ``DPS`` digits (a screen, not a confirmation)."""
        try:
            _, l1, r1 = self._sides(point, DPS, deadline)
        except Undefined:
            return False
        with mpmath.workdps(DPS):
            return abs(l1 - r1) > REL_TOL * max(abs(l1), abs(r1))

    def _shrink(self, found, deadline):
        """Replace values by simpler ones while the point stays a counterexample.

        Trials are screened at ``DPS`` digits; the simplified point is then confirmed
        like any other (if that fails, the confirmed original is kept).
        """
        original = point = {s: found.point[s] for s in self.free}
        try:
            for s in self.free:
                for value in SIMPLE_VALUES:
                    if time.monotonic() >= deadline:
                        raise OutOfTime("no time left to simplify the counterexample")
                    if complexity(value) >= complexity(point[s]) or not fits(s, value):
                        continue
                    trial = dict(point)
                    trial[s] = value
                    if self._candidate(trial, deadline):
                        point = trial
                        break
            if point is original:
                return found
            return self.check(point, deadline) or found
        except OutOfTime:
            return found

    def describe(self):
        """One line: how many points were tried / usable."""
        return (f"{self.valid} sample point(s) evaluated at {DPS} digits"
                + (f", {self.skipped} skipped (undefined or assumptions not satisfiable)"
                   if self.skipped else ""))
