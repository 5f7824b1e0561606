"""Counterexample search: points where lhs and rhs differ, checked in high precision.

Points give every free symbol a small exact value (structured points such as
all ones first, then random integers in [-3, 3], then random fractions in
[-3, 3]); symbols solved from the assumptions are computed from the others, and
assumptions that could not be solved symbolically are solved numerically for one
symbol (mpmath ``findroot``).  A point counts only if every assumption holds
there and both sides are real and finite.

A point is a *candidate* when, at ``DPS`` digits,
``|l - r| > REL_TOL * max(|l|, |r|)``.  It is *confirmed* when the same holds at
``CONFIRM_DPS`` digits and the difference is stable between the two precisions
(rounding noise shrinks with precision, a true difference does not), so a
relative difference of 1e-12 is caught while cancellation noise is not mistaken
for one.  Confirmed counterexamples are then simplified symbol by symbol
(0, 1, -1, 2, ... first) so a reader can check them by hand.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import mpmath
import sympy

from derivation._assumptions import natural_key
from derivation._numeric import OutOfTime, Undefined, evaluate, to_mpf

__all__ = ["Counterexample", "Sampler", "DPS", "CONFIRM_DPS", "REL_TOL", "REPORT_DIGITS"]

DPS = 40            # digits for the search
CONFIRM_DPS = 80    # digits for the confirmation
REL_TOL = mpmath.mpf("1e-20")
STABLE = mpmath.mpf("1e-8")  # allowed relative change of the difference between precisions
REPORT_DIGITS = 30  # digits of reported values

_SIMPLE_VALUES = [sympy.Integer(v) for v in (0, 1, -1, 2, -2, 3, -3)] + [
    sympy.Rational(1, 2), sympy.Rational(-1, 2)]


def _complexity(value):
    if isinstance(value, sympy.Rational):
        return abs(int(value.p)) + int(value.q) + (1 if value < 0 else 0)
    return 10 ** 6  # Floats from root finding: not simplified


@dataclass(frozen=True)
class Counterexample:
    """A confirmed point: symbol values, both sides' values (sympy Floats)."""

    point: dict
    lhs_value: sympy.Float
    rhs_value: sympy.Float


def _fits(symbol, value):
    """Whether ``value`` respects the symbol's own SymPy assumptions."""
    if symbol.is_integer and not value.is_integer:
        return False
    if symbol.is_positive and not value > 0:
        return False
    if symbol.is_nonnegative and not value >= 0:
        return False
    if symbol.is_negative and not value < 0:
        return False
    if symbol.is_nonpositive and not value <= 0:
        return False
    return not (symbol.is_nonzero and value == 0)


class Sampler:
    """Stateful search over points; ``run`` can be called repeatedly.

    Parameters
    ----------
    lhs, rhs : sympy.Expr
    equations : sequence of sympy.Eq
        All assumptions (checked at every point).
    solved : derivation._assumptions.Solved
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
        self.points = self._points()
        self.tried = 0       # points looked at
        self.valid = 0       # points where everything was defined and assumptions held
        self.skipped = 0     # points outside the domain / assumptions not satisfiable

    # ---- point generation -------------------------------------------------
    def _points(self):
        k = len(self.free)
        seen = set()

        def emit(values):
            values = tuple(sympy.Rational(v) for v in values)
            if values in seen:
                return None
            seen.add(values)
            if not all(_fits(s, v) for s, v in zip(self.free, values)):
                return None
            return dict(zip(self.free, values))

        half = sympy.Rational(1, 2)
        third = sympy.Rational(1, 3)
        structured = [
            [1] * k, [0] * k, [2] * k, [-1] * k, [half] * k,
            [(i % 3) + 1 for i in range(k)],
            [[1, -1, 2, 0, -2, 3][i % 6] for i in range(k)],
            [[2, half, -1, 3, third, -2][i % 6] for i in range(k)],
        ]
        for values in structured:
            point = emit(values)
            if point is not None:
                yield point
        if k == 0:
            return
        count = 0
        while True:
            count += 1
            if count <= 40:
                values = [self.rng.randint(-3, 3) for _ in range(k)]
            elif count <= 200:
                values = []
                for _ in range(k):
                    q = self.rng.randint(1, 7)
                    values.append(sympy.Rational(self.rng.randint(-3 * q, 3 * q), q))
            else:
                values = []
                for _ in range(k):
                    q = self.rng.randint(1, 97)
                    values.append(sympy.Rational(self.rng.randint(-3 * q, 3 * q), q))
            point = emit(values)
            if point is not None:
                yield point
            elif count > 10 ** 5:  # tiny search space exhausted
                return

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

    def check(self, point, deadline):
        """A confirmed Counterexample at ``point`` or None (raises OutOfTime)."""
        try:
            _, l1, r1 = self._sides(point, DPS, deadline)
        except Undefined:
            return None
        with mpmath.workdps(DPS):
            d1 = l1 - r1
            if not abs(d1) > REL_TOL * max(abs(l1), abs(r1)):
                return False
        try:
            env, l2, r2 = self._sides(point, CONFIRM_DPS, deadline)
        except Undefined:
            return None
        with mpmath.workdps(CONFIRM_DPS):
            d2 = l2 - r2
            if not abs(d2) > REL_TOL * max(abs(l2), abs(r2)):
                return False
            if abs(d2 - d1) > STABLE * abs(d2):
                return False  # the "difference" was rounding noise
        full = dict(point)
        for s in list(self.sample) + [s for s in self.root_symbols if s is not None]:
            full[s] = self._exact_or_float(s, point, env)
        return Counterexample(full, sympy.Float(l2, REPORT_DIGITS), sympy.Float(r2, REPORT_DIGITS))

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

    def _shrink(self, found, deadline):
        """Replace values by simpler ones while the point stays a counterexample."""
        point = {s: found.point[s] for s in self.free}
        for s in self.free:
            for value in _SIMPLE_VALUES:
                if time.monotonic() >= deadline:
                    return found
                if _complexity(value) >= _complexity(point[s]) or not _fits(s, value):
                    continue
                trial = dict(point)
                trial[s] = value
                try:
                    outcome = self.check(trial, deadline)
                except OutOfTime:
                    return found
                if outcome:
                    point, found = trial, outcome
                    break
        return found

    def describe(self):
        """One line: how many points were tried / usable."""
        return (f"{self.valid} sample point(s) evaluated at {DPS} digits"
                + (f", {self.skipped} skipped (undefined or assumptions not satisfiable)"
                   if self.skipped else ""))
