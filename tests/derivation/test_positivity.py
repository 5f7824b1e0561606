"""Signs read from the structure (`derivation.proofs.positivity`), checked against SymPy's own
numerical evaluation (30 digits) at random real points: "positive" must mean positive wherever
the expression is defined, "real" real, and the logarithm rules must keep the value."""

import random

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import E, IndexedBase, Rational, Sum, exp, log

from derivation.proofs.positivity import expand_log, positive, real

x, y, T = sympy.symbols("x y T", real=True)
n = sympy.Symbol("n", integer=True, positive=True)
k = sympy.Symbol("k", integer=True)
z = IndexedBase("z", real=True)

_leaves = st.sampled_from([x, y, T, z[1], z[2], E, Rational(1, 2), Rational(-3, 2),
                           sympy.Integer(0), sympy.Integer(2)])


def _extend(children):
    pairs = st.tuples(children, children)
    return st.one_of(
        pairs.map(lambda p: p[0] + p[1]),
        pairs.map(lambda p: p[0] * p[1]),
        pairs.map(lambda p: p[0] / p[1]),
        pairs.map(lambda p: p[0] ** p[1]),
        st.tuples(children, st.integers(-3, 3)).map(lambda p: p[0] ** p[1]),
        children.map(exp),
        children.map(log),
        # sums over ranges that may be empty or reversed (Karr's convention)
        st.tuples(children, st.integers(-1, 3)).map(
            lambda p: Sum(exp(z[k] * p[0]) + p[0], (k, 1, p[1]))),
        st.tuples(children, st.integers(-1, 3)).map(
            lambda p: Sum(exp(z[k] * p[0]), (k, 1, p[1]))),
    )


expressions = st.recursive(_leaves, _extend, max_leaves=6)


def _value(expr, rng):
    """expr at a random real point (T may be 0), or None where it is not a finite number."""
    point = {s: Rational(rng.choice([-2, -1, 0, 1, 3]), rng.choice([1, 2, 3]))
             for s in (x, y, T)}
    point.update({z[t]: Rational(rng.randint(-4, 4), 3) for t in range(-1, 4)})
    try:
        value = expr.xreplace(point).doit().evalf(30)
    except (ZeroDivisionError, ValueError, TypeError, OverflowError):
        return None
    if not value.is_number or value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return None
    return complex(value) if abs(value) < 1e300 else None


@settings(max_examples=150)
@given(expressions, st.integers(0, 10 ** 6))
def test_positive_and_real_hold_where_defined(expr, seed):
    rng = random.Random(seed)
    for _ in range(3):
        value = _value(expr, rng)
        if value is None:
            continue
        if real(expr):
            assert abs(value.imag) <= 1e-20 * (1 + abs(value)), (expr, value)
        if positive(expr):
            assert abs(value.imag) <= 1e-20 * (1 + abs(value)) and value.real > 0, (expr, value)


@settings(max_examples=150)
@given(expressions, st.integers(0, 10 ** 6))
def test_expand_log_keeps_the_value(expr, seed):
    expr = log(expr)
    rewritten = expand_log(expr)
    rng = random.Random(seed)
    for _ in range(3):
        state = rng.getstate()
        before = _value(expr, rng)
        rng.setstate(state)
        after = _value(rewritten, rng)
        if before is None or after is None:
            continue
        assert abs(before - after) <= 1e-15 * (1 + abs(before)), (expr, rewritten, before, after)


@pytest.mark.parametrize("expr, sign", [
    (exp(z[1] / T), True),                                    # real T, possibly 0: e^{z/T} > 0
    (Sum(exp(z[k] / T), (k, 1, n)), True),                    # n >= 1 terms, each > 0
    (Sum(exp(z[k] / T), (k, 1, n - 1)), None),                # empty at n = 1
    (Sum(exp(z[k] / T), (k, 1, n - 2)), None),                # reversed at n = 1: negative
    (Sum(exp(z[k]), (k, 2, n)), None),                        # empty at n = 1
    (Sum(exp(z[k]), (k, 1, sympy.oo)), None),                 # infinitely many terms
    (exp(x) - 1, None),
    (-exp(x), None),
    (x, None),
    (x ** 2, None),                                           # 0 at x = 0
    (exp(x) ** T + E, True),
    (sympy.sqrt(x), None),                                    # not real for x < 0
])
def test_signs_read_from_the_structure(expr, sign):
    assert positive(expr) is sign


def test_logarithms_split_only_on_positive_factors():
    S = Sum(exp(z[k] / T), (k, 1, n))
    assert expand_log(log(exp(z[1] / T) / S)) == z[1] / T - log(S)
    assert expand_log(log(exp(z[1] / T) ** y)) == y * z[1] / T
    assert expand_log(log(x * y)) == log(x * y)              # x, y may be negative
    assert expand_log(log(x * exp(y))) == y + log(x)          # ln(P R) = ln P + ln R, P > 0
    assert expand_log(log(x ** 2)) == log(x ** 2)             # not 2 ln x (x < 0)
