r"""Differential test (issue 9, "Tests" (a)): LaTeX printed by SymPy's own ``latex()`` reads back
as the same function.

Oracle: SymPy's printer (with its options) and high-precision evaluation (``evalf`` at 40 digits)
at random rational points where both expressions are real and finite. A refusal is allowed only
for what the reader refuses by design (``REFUSED_BY_DESIGN``); every other ParseError fails.
"""

import random

import pytest
import sympy
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from derivation.errors import ParseError
from derivation.parsing import parse
from derivation.parsing.common import MAX_EXPONENT

x, y, z = (sympy.Symbol(n, real=True) for n in "xyz")
# names the printer decorates: x_{1}, \alpha, w_{ij}, \lambda, \hat{y}_{i}, y'_{i}
NAMED = [sympy.Symbol(n, real=True) for n in ("x_1", "alpha", "w_ij", "lamda", "yhat_i", "y'_i")]
SYMBOLS = [x, y, z] + NAMED

# what SymPy's printer can emit that the reader refuses on purpose -> why
REFUSED_BY_DESIGN = {
    "inside \\": "\\sin x \\cdot y, \\sin x / 2: is the rest inside the argument?",
    "is ambiguous: TeX shows": "\\f{x}^2: TeX shows f x^2, SymPy's printer means (f x)^2",
    "ambiguous after a '/'": "y / 2 x (fold_short_frac): y/(2x) to SymPy, (y/2) x left to right",
    "is not a real number": "a non-real constant such as (-1)^(1/3): only real values",
    "positive argument": "the logarithm of a negative constant: not real",
}

leaves = st.one_of(
    st.sampled_from([x, y, z]),
    st.sampled_from(NAMED),
    st.integers(-9, 9).map(sympy.Integer),
    st.tuples(st.integers(-9, 9), st.integers(1, 9)).map(lambda pq: sympy.Rational(*pq)),
)
UNARY = [sympy.exp, sympy.log, sympy.sqrt, sympy.sin, sympy.cos, sympy.tan, sympy.Abs,
         sympy.asin, sympy.atan]
EXPONENTS = st.sampled_from([2, 3, -1, -2, sympy.Rational(1, 2), sympy.Rational(-1, 2),
                             sympy.Rational(3, 2), sympy.Rational(1, 3)])


def _extend(children):
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda a: sympy.Add(*a)),
        st.lists(children, min_size=2, max_size=3).map(lambda a: sympy.Mul(*a)),
        st.tuples(children, children).map(lambda ab: ab[0] - ab[1]),
        st.tuples(children, children).map(lambda ab: ab[0] / ab[1]),
        st.tuples(children, EXPONENTS).map(lambda be: sympy.Pow(*be)),
        st.tuples(st.sampled_from(UNARY), children).map(lambda fa: fa[0](fa[1])),
    )


def _printable(e):
    return (e.is_finite is not False and not e.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo,
                                                   sympy.I, sympy.AccumBounds)
            and not any(p.exp.is_Rational and max(abs(p.exp.p), p.exp.q) > MAX_EXPONENT
                        for p in e.atoms(sympy.Pow))
            and not e.atoms(sympy.Float))


expressions = st.recursive(leaves, _extend, max_leaves=7).filter(_printable)

OPTIONS = st.fixed_dictionaries({
    "ln_notation": st.booleans(),
    "mul_symbol": st.sampled_from([None, "dot", "times", "ldot"]),
    "fold_short_frac": st.booleans(),
    "root_notation": st.booleans(),
    "fold_frac_powers": st.booleans(),
    "fold_func_brackets": st.booleans(),
    "inv_trig_style": st.sampled_from(["abbreviated", "full", "power"]),
    "long_frac_ratio": st.sampled_from([None, 0.5, 2]),
    "order": st.sampled_from([None, "lex", "rev-lex", "grlex"]),
})

DIGITS = 40


def value_at(expr, point):
    """expr at point to DIGITS digits, or None where it is not a finite real number."""
    try:
        v = expr.evalf(DIGITS, subs=point)
    except (ZeroDivisionError, ValueError, TypeError, OverflowError):
        return None
    if not v.is_number or v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return None
    re, im = v.as_real_imag()
    if not (re.is_Number and im.is_Number) or abs(im) > sympy.Float(10) ** (5 - DIGITS):
        return None
    return re


def points(seed, count=6):
    rng = random.Random(seed)
    return [{s: sympy.Rational(rng.randint(-300, 300), rng.randint(1, 100)) for s in SYMBOLS}
            for _ in range(count)]


@settings(max_examples=250,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(expressions, OPTIONS, st.integers(0, 2**32))
def test_sympy_latex_reads_back_as_the_same_function(expr, options, seed):
    text = sympy.latex(expr, **options)
    try:
        parsed = parse(text, syntax="latex")
    except ParseError as error:
        reason = next((k for k in REFUSED_BY_DESIGN if k in str(error)), None)
        assert reason is not None, f"{text!r} (from {expr}) refused: {error}"
        event(f"refused by design: {reason}")
        return
    compared = 0
    for point in points(seed):
        a, b = value_at(expr, point), value_at(parsed, point)
        if a is None or b is None:
            continue
        scale = max(1, abs(a), abs(b))
        assert abs(a - b) <= scale * sympy.Float(10) ** (10 - DIGITS), (
            f"{text!r}: {expr} = {a} but read as {parsed} = {b} at {point}")
        compared += 1
    event("points compared: 3+" if compared >= 3 else f"points compared: {compared}")


@pytest.mark.parametrize("expr", [
    sympy.log(x) ** 2, sympy.sin(x) ** 2, sympy.asin(x) ** 2, sympy.sqrt(x) * sympy.sin(y),
    sympy.exp(-x) / (1 + sympy.exp(-x)), x ** sympy.Rational(3, 2) * sympy.tan(x),
    sympy.Abs(x - y) ** 3, 1 / sympy.sqrt(sympy.cos(x) + 2), sympy.atan(x / y),
])
@pytest.mark.parametrize("style", ["abbreviated", "full", "power"])
@pytest.mark.parametrize("fold", [False, True])
def test_printer_styles_of_known_shapes(expr, style, fold):
    text = sympy.latex(expr, inv_trig_style=style, fold_func_brackets=fold, ln_notation=fold)
    parsed = parse(text, syntax="latex")
    for point in points(7):
        a, b = value_at(expr, point), value_at(parsed, point)
        if a is not None and b is not None:
            assert abs(a - b) <= max(1, abs(a)) * sympy.Float(10) ** (10 - DIGITS), text
