"""Differential test (b) of issue 9: SymPy's own rewrites are the oracle.

Random real expressions are paired with what SymPy's rewrites make of them (``expand``,
``powsimp``, ``logcombine``, ``together``, ``simplify``, ``factor``, ``cancel``,
``trigsimp``; never ``force=True``, which is unsound over the reals).  Such a pair is
equal wherever both sides are defined, so the checker must never refute it (unless an
independent evaluation by SymPy's ``evalf`` shows the rewrite itself changed the value).
Small perturbations of a rewrite (a coefficient changed, a term dropped, a sign swapped)
that really differ at a point (checked first with ``evalf``) must never be proved; nor
may random pairs that differ at a random point.  Every verdict is due within its budget
plus a small grace.
"""

import random
import time

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from derivation.equivalence import equivalent
from derivation.equivalence.budget import BudgetExceeded, run_bounded

x, y, z = sympy.symbols("x y z", real=True)
SYMBOLS = (x, y, z)
TIMEOUT, GRACE = 0.3, 0.5

REWRITES = {
    "expand": sympy.expand,
    "powsimp": sympy.powsimp,
    "logcombine": sympy.logcombine,
    "together": sympy.together,
    "simplify": sympy.simplify,
    "factor": sympy.factor,
    "cancel": sympy.cancel,
    "trigsimp": sympy.trigsimp,
}

_leaves = st.one_of(
    st.sampled_from(SYMBOLS),
    st.integers(-3, 3).map(sympy.Integer),
    st.fractions(min_value=-3, max_value=3, max_denominator=4).map(
        lambda f: sympy.Rational(f.numerator, f.denominator)),
)


def _extend(children):
    pair = st.tuples(children, children)
    return st.one_of(
        pair.map(lambda t: t[0] + t[1]),
        pair.map(lambda t: t[0] * t[1]),
        pair.map(lambda t: t[0] - t[1]),
        pair.map(lambda t: t[0] / t[1]),
        st.tuples(children, st.integers(-2, 3)).map(lambda t: t[0] ** t[1]),
        children.map(sympy.sqrt),
        children.map(sympy.exp),
        children.map(sympy.log),
        children.map(sympy.sin),
        children.map(sympy.cos),
        pair.map(lambda t: sympy.log(t[0]) + sympy.log(t[1])),
        pair.map(lambda t: sympy.exp(t[0]) * sympy.exp(t[1])),
    )


expressions = st.recursive(_leaves, _extend, max_leaves=6).filter(
    lambda e: isinstance(e, sympy.Expr) and e.is_finite is not False
    and not e.has(sympy.I, sympy.zoo, sympy.nan, sympy.oo, -sympy.oo))

PROPERTY = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _rewrite(name, e):
    """SymPy's rewrite, bounded (some rewrites of random input take very long)."""
    try:
        out = run_bounded(REWRITES[name], (e,), 2.0)
    except (BudgetExceeded, RuntimeError):
        out = None
    assume(out is not None and isinstance(out, sympy.Expr) and not out.has(sympy.I))
    return out


def _timed(lhs, rhs):
    start = time.monotonic()
    verdict = equivalent(lhs, rhs, timeout=TIMEOUT)
    assert time.monotonic() - start <= TIMEOUT + GRACE, (lhs, rhs, verdict)
    return verdict


def _value(e, point, digits=50):
    value = sympy.N(e.subs(point), digits)
    if not (value.is_number and value.is_real and value.is_finite):
        return None
    return value


def _differ_at(lhs, rhs, point):
    a, b = _value(lhs, point), _value(rhs, point)
    return a is not None and b is not None and abs(a - b) > sympy.Float(10) ** -20 * max(1, abs(a), abs(b))


def _points(seed, count=6):
    rng = random.Random(seed)
    for _ in range(count):
        yield {s: sympy.Rational(rng.randint(-30, 30), rng.randint(1, 10)) for s in SYMBOLS}


def _differing_point(lhs, rhs, seed):
    return next((p for p in _points(seed) if _differ_at(lhs, rhs, p)), None)


@PROPERTY
@given(expressions, st.sampled_from(sorted(REWRITES)))
@pytest.mark.timeout(120)
def test_sympy_rewrites_are_never_refuted(e, name):
    other = _rewrite(name, e)
    verdict = _timed(e, other)
    if verdict.status == "refuted":  # only if SymPy's rewrite itself changed the value
        assert _differ_at(e, other, verdict.counterexample), f"{name}: {e} vs {other}: {verdict}"


def _perturbations(r):
    """(kind, expression) variants of ``r`` that are usually different functions."""
    out = []
    numbers = sorted((a for a in r.atoms(sympy.Rational) if a not in (0,)), key=sympy.default_sort_key)
    if numbers:
        out.append(("coefficient", r.xreplace({numbers[0]: numbers[0] + 1})))
    terms = sympy.Add.make_args(r)
    if len(terms) > 1:
        out.append(("drop a term", sympy.Add(*terms[1:])))
        out.append(("swap a sign", sympy.Add(-terms[0], *terms[1:])))
    out.append(("shift", r + sympy.Rational(1, 7)))
    return out


@PROPERTY
@given(expressions, st.sampled_from(sorted(REWRITES)), st.integers(0, 3), st.integers(0, 10 ** 6))
@pytest.mark.timeout(120)
def test_perturbed_rewrites_are_never_proved(e, name, pick, seed):
    other = _rewrite(name, e)
    variants = _perturbations(other)
    kind, wrong = variants[pick % len(variants)]
    point = _differing_point(e, wrong, seed)
    assume(point is not None)  # they really differ somewhere (checked by SymPy's evalf)
    verdict = _timed(e, wrong)
    assert verdict.status != "proved", f"{kind} of {name}: {e} vs {wrong}: {verdict}"
    if verdict.status == "refuted":
        assert _differ_at(e, wrong, verdict.counterexample), f"{e} vs {wrong}: {verdict}"


@PROPERTY
@given(expressions, expressions, st.integers(0, 10 ** 6))
@pytest.mark.timeout(120)
def test_random_pairs_that_differ_at_a_point_are_never_proved(e1, e2, seed):
    point = _differing_point(e1, e2, seed)
    assume(point is not None)
    verdict = _timed(e1, e2)
    assert verdict.status != "proved", f"{e1} vs {e2} differ at {point}: {verdict}"
    if verdict.status == "refuted":
        assert _differ_at(e1, e2, verdict.counterexample), f"{e1} vs {e2}: {verdict}"


def _typed(e):
    """``e`` rebuilt as typed: every node unevaluated (sqrt(x)**2 stays sqrt(x)**2)."""
    if not e.args:
        return e
    args = [_typed(a) for a in e.args]
    try:
        return e.func(*args, evaluate=False)
    except TypeError:
        return e.func(*args)


_typed_extend = st.one_of(
    st.sampled_from(SYMBOLS).map(lambda s: sympy.Pow(sympy.sqrt(s), 2, evaluate=False)),
    st.sampled_from(SYMBOLS).map(lambda s: sympy.exp(sympy.log(s), evaluate=False)),
    st.sampled_from(SYMBOLS).map(lambda s: sympy.Mul(s, sympy.Pow(s, -1, evaluate=False),
                                                     evaluate=False)),
    st.sampled_from(SYMBOLS).map(lambda s: sympy.Pow(sympy.Pow(s, 2, evaluate=False),
                                                     sympy.Rational(1, 2), evaluate=False)),
)


@PROPERTY
@given(expressions, _typed_extend, st.sampled_from(["add", "mul"]))
@pytest.mark.timeout(120)
def test_typed_expressions_are_never_refuted_against_sympys_evaluation_of_them(e, piece, how):
    typed = sympy.Add(_typed(e), piece, evaluate=False) if how == "add" else sympy.Mul(
        _typed(e), piece, evaluate=False)
    evaluated = sympy.sympify(sympy.srepr(typed))  # SymPy's automatic evaluation
    verdict = _timed(typed, evaluated)
    assert verdict.status != "refuted", f"{typed} vs {evaluated}: {verdict}"
