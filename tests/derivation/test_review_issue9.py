"""Second hostile review of issue 9: new members of its classes, each a regression test.

Class 1 (readings that change the meaning): every construct below was read one way while a
mathematician (or SymPy's own printer) reads it another; now each is refused by name, so no
verdict can come from the misreading. Class 2 (a domain erased while parsing): ``log(x, x)``
was a two-argument SymPy node whose value at x = 1 is 0, so "log(x, x) = 1" was refuted at the
one point where log base x is undefined. Counterexamples are re-evaluated here with mpmath at
50 digits: real, finite, different, and satisfying the assumptions.
"""

import time

import mpmath
import pytest
import sympy

from derivation import equivalent
from derivation.errors import ParseError
from derivation.parsing import detect_syntax, parse, parse_equation

# (LaTeX, the formula it was silently read as, the verdict that reading produced)
MISREAD = [
    (r"1\,000", "0", "proved"),                       # a digit group read as 1 * 000
    (r"1.2.3", "36/100", "proved"),                   # 1.2 * .3
    (r"\frac{d}{dx^2} x^4", "x**2", "proved"),        # d/(d x^2) * x^4
    (r"\frac{d}{dx} \sin x \cos x", "cos(2*x)", "refuted"),  # operand scope
    (r"\sin^{(-1)} x", "asin(x)", "refuted"),         # read as 1/sin x
    (r"\mathrm{d}x", "d*x", "proved"),                # a differential as a product
    (r"\mathrm{i}^2", "-1", "refuted"),               # the imaginary unit as a real variable
    (r"\sigma(z)", r"\frac{1}{1 + e^{-z}}", "refuted"),  # sigmoid as sigma * z
    (r"f(x)", "f*x", "proved"),
    (r"x^T", "x**T", "proved"),                       # a transpose as a power
    (r"x^ab", "x**a*b", "proved"),                    # TeX shows x^a b
    (r"|a|b|c|", "Abs(a)*b*Abs(c)", "proved"),        # or |a |b| c|
    (r"\sin x/2", "sin(x/2)", "refuted"),
    (r"\operatorname{asin}x \cdot y", "asin(x*y)", "refuted"),  # SymPy's printer's meaning
    (r"\mathbb{E}[x]", "Ebb*x", "proved"),            # an expectation as a product
]


@pytest.mark.parametrize("text, reading, verdict", MISREAD)
def test_misreadings_are_refused_by_name(text, reading, verdict):
    with pytest.raises(ParseError, match="position"):
        parse(text, syntax="latex")
    if detect_syntax(text) == "latex":  # x^T, f(x) are SymPy syntax (a power, refused) alone
        with pytest.raises(ParseError):
            equivalent(text, reading, timeout=2)


@pytest.mark.parametrize("text, expected", [
    (r"\sin^{-1} x", sympy.asin(sympy.Symbol("x", real=True))),
    (r"\sin^{1/2} x", sympy.sqrt(sympy.sin(sympy.Symbol("x", real=True)))),
    (r"x^a b", sympy.Symbol("x", real=True) ** sympy.Symbol("a", real=True)
     * sympy.Symbol("b", real=True)),
    (r"\sin(x) \cdot y", sympy.sin(sympy.Symbol("x", real=True)) * sympy.Symbol("y", real=True)),
    (r"x(x+1)", sympy.Symbol("x", real=True) * (sympy.Symbol("x", real=True) + 1)),
    (r"y \frac{d}{dx} x^2", 2 * sympy.Symbol("x", real=True) * sympy.Symbol("y", real=True)),
    (r"2 \cdot 3", sympy.Integer(6)),
    (r"\log_2 8", sympy.Integer(3)),
])
def test_the_unambiguous_neighbours_still_read(text, expected):
    assert sympy.simplify(parse(text, syntax="latex") - expected) == 0


def test_two_argument_log_keeps_its_base_domain():
    # log_x(x) = 1 wherever it is defined (x > 0, x != 1): never refuted, at x = 1 least of all
    for text in ("log(x, x)", r"\log_x x"):
        assert equivalent(text, "1", timeout=3).status != "refuted"
    verdict = equivalent(r"\log_x x", "2", timeout=3)
    assert verdict.status == "refuted"
    (x_value,) = verdict.counterexample.values()
    assert x_value > 0 and x_value != 1


def test_huge_integers_are_reported_not_crashed_on():
    with pytest.raises(TypeError, match="int"):
        parse(10 ** 5000)
    verdict = equivalent(10 ** 5000, "x", timeout=3)
    assert verdict.status == "refuted" and "e+5000" in str(verdict)


def test_huge_integer_timeout_is_a_clear_value_error():
    with pytest.raises(ValueError, match="timeout"):
        equivalent("x", "x", timeout=10 ** 5000)


# ---- every "refuted" comes with a point confirmed here, independently, at 50 digits ----
REFUTED = [
    ("sqrt(x**2)", "x", ()),
    (r"\frac{|x|}{x}", "1", ()),
    ("s", "2", ("s**2 = 4",)),
    ("a", "b", ("a**2 = b**2",)),
    ("s", "pi/4", ("tan(s) = 1",)),
    ("t", "1", ("s*t = 1",)),
    (r"\log_x x", "2", ()),
    (r"\arccos(\cos x)", "x", ()),
    ("sqrt((x-1)**2)", "x - 1", ()),
    (r"\sqrt{1-x}\sqrt{1-x}", "x - 1", ()),
]


def _value(expr, point):
    subs = {s: sympy.Rational(v) if isinstance(v, sympy.Rational) else sympy.Float(v, 60)
            for s, v in point.items()}
    with mpmath.workdps(50):
        value = sympy.N(expr.xreplace({s: sympy.Symbol(s.name, real=True) for s in subs})
                        .subs({sympy.Symbol(s.name, real=True): v for s, v in subs.items()}), 50)
    return value


@pytest.mark.parametrize("lhs, rhs, assume", REFUTED)
def test_counterexamples_hold_at_fifty_digits(lhs, rhs, assume):
    verdict = equivalent(lhs, rhs, assume=assume, timeout=4)
    assert verdict.status == "refuted", verdict
    point = verdict.counterexample
    a, b = _value(parse(lhs), point), _value(parse(rhs), point)
    for v in (a, b):
        assert v.is_real and v.is_finite, (verdict, v)
    assert abs(a - b) > sympy.Float(10) ** -20
    for eq in (parse_equation(e) for e in assume):
        assert abs(_value(eq.lhs - eq.rhs, point)) < sympy.Float(10) ** -25


@pytest.mark.parametrize("text", [
    "exp(2*10**7*log(3/2))", "exp(exp(exp(exp(exp(exp(exp(x)))))))",
    r"\sum_{k=1}^{400} k (x+k)^{3}", "(x+1)**1000*(x-1)**1000 - (x**2-1)**1000",
    "+".join(f"x_{k}**{k % 7}" for k in range(150)),
])
def test_hostile_inputs_stay_within_the_budget(text):
    start = time.monotonic()
    equivalent(text, "x", timeout=1.0)
    assert time.monotonic() - start <= 1.0 + 1.5
