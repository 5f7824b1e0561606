"""Sample points for the counterexample search, respecting each symbol's SymPy assumptions.

A symbol declared ``integer``, ``odd``, ``even``, ``positive``, ``nonnegative``,
``nonzero``, ``prime``... only ever gets values that have those properties (a Rational
decides every one of them): with ``k`` odd, ``2*floor(k/2) + 1`` vs ``k`` is never
"refuted" at k = 2.  A symbol no rational value fits (declared ``irrational``) gets no
points at all (so no refutation).
"""

from __future__ import annotations

import sympy

__all__ = ["points", "fits", "complexity", "SIMPLE_VALUES"]

# SymPy assumptions a sample value must respect (a Rational decides all of them)
_FACTS = ("integer", "noninteger", "odd", "even", "positive", "negative", "nonnegative",
          "nonpositive", "nonzero", "zero", "prime", "composite", "rational", "irrational")


def fits(symbol, value):
    """Whether ``value`` respects the symbol's own SymPy assumptions (odd, positive, ...)."""
    for fact in _FACTS:
        wanted = getattr(symbol, f"is_{fact}")
        if wanted is not None and getattr(value, f"is_{fact}") is not wanted:
            return False
    return True


# values tried, in order, when a structured value does not fit a symbol
_FALLBACK = [sympy.Integer(v) for v in (1, -1, 2, -2, 3, -3, 0, 5, 7, 11, -5)] + [
    sympy.Rational(1, 2), sympy.Rational(-1, 2), sympy.Rational(3, 2)] + [
    sympy.Integer(v) for v in range(4, 60)] + [sympy.Integer(-v) for v in range(4, 60)]


SIMPLE_VALUES = [sympy.Integer(v) for v in (0, 1, -1, 2, -2, 3, -3)] + [
    sympy.Rational(1, 2), sympy.Rational(-1, 2)]


def complexity(value):
    """How hard a value is to read (counterexamples are simplified towards 0, 1, -1, ...)."""
    if isinstance(value, sympy.Rational):
        return abs(int(value.p)) + int(value.q) + (1 if value < 0 else 0)
    return 10 ** 6  # Floats from root finding: not simplified


def _fallback(s):
    return next((v for v in _FALLBACK if fits(s, v)), None)


def _draw(s, count, rng):
    """A random value for ``s`` that fits its assumptions (None if none found)."""
    integer = bool(s.is_integer)
    for attempt in range(40):
        spread = 3 if attempt < 20 else 9
        if count <= 40 or integer:
            wide = 6 if count > 40 else 0
            value = sympy.Integer(rng.randint(-spread - wide, spread + wide))
        else:
            q = rng.randint(1, 7 if count <= 200 else 97)
            value = sympy.Rational(rng.randint(-3 * q, 3 * q), q)
        if fits(s, value):
            return value
    return _fallback(s)


def points(free, rng):
    """Points (dict symbol -> Rational) for the symbols ``free``, endlessly (see module doc).

    Structured points first (all ones, zeros, twos, ...), then random integers in
    [-3, 3], then random fractions; every value fits its symbol's assumptions (a value
    that does not is replaced by the symbol's simplest fitting one); no point twice.
    """
    k = len(free)
    seen = set()
    fallback = [_fallback(s) for s in free]
    if any(v is None for v in fallback):
        return  # a symbol no rational value fits (e.g. declared irrational)

    def emit(values):
        values = tuple(v if fits(s, v) else f
                       for s, v, f in zip(free, map(sympy.Rational, values), fallback))
        if values in seen:
            return None
        seen.add(values)
        return dict(zip(free, values))

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
    count = misses = 0
    while misses < 10 ** 4:  # a tiny search space is exhausted
        count += 1
        point = emit([_draw(s, count, rng) for s in free])
        if point is None:
            misses += 1
            continue
        yield point

