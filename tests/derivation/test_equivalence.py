"""Tests of derivation.equivalence.checker: proved / refuted (with counterexample) / unknown."""

import time

import mpmath
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivation.equivalence.assumptions import solve_assumptions
from derivation.equivalence.budget import BudgetExceeded, run_bounded
from derivation.equivalence.normalise import expanded_terms, explog
from derivation.errors import ParseError
from derivation.equivalence.sampling import Sampler
from derivation.equivalence.checker import Verdict, equivalent
from derivation.parsing.api import parse

x, y, z, a = sympy.symbols("x y z a", real=True)
V1, V2, V3 = sympy.symbols("V_1 V_2 V_3", real=True)
y1, y2, y3 = sympy.symbols("y'_1 y'_2 y'_3", real=True)
p1, x1 = sympy.symbols("p_1 x_1", real=True)
e1, e2, e3 = sympy.exp(V1), sympy.exp(V2), sympy.exp(V3)
ONE_HOT_2 = sympy.Eq(y1 + y2, 1)


def independent_values(expr_l, expr_r, point, digits=60):
    """Both sides at ``point`` computed by SymPy's own evalf (independent check)."""
    subs = {s: sympy.nsimplify(v) if isinstance(v, sympy.Rational) else v for s, v in point.items()}
    return sympy.N(expr_l.subs(subs), digits), sympy.N(expr_r.subs(subs), digits)


def assert_real_counterexample(verdict, lhs, rhs, digits=60):
    assert verdict.status == "refuted", str(verdict)
    left, right = independent_values(lhs, rhs, verdict.counterexample, digits)
    assert left.is_real and right.is_real
    tolerance = sympy.Float(10) ** (25 - digits)  # 1e-35 at 60 digits
    assert abs(left - right) > tolerance * max(abs(left), abs(right)), str(verdict)


# ---- the seed's identities -----------------------------------------------------------
def test_log_softmax_identity_is_proved():
    verdict = equivalent(sympy.log(e1 / (e1 + e2)), V1 - sympy.log(e1 + e2))
    assert verdict.status == "proved" and verdict
    assert verdict.counterexample is None and verdict.method


def test_loss_rewrite_with_three_classes_is_proved():
    S = e1 + e2 + e3
    J = -(y1 * sympy.log(e1 / S) + y2 * sympy.log(e2 / S) + y3 * sympy.log(e3 / S))
    rewritten = -(y1 * V1 + y2 * V2 + y3 * V3) + (y1 + y2 + y3) * sympy.log(S)
    assert equivalent(J, rewritten).status == "proved"


def test_exp_of_linear_form_is_split_into_positive_atoms():
    w11, w12, b1 = sympy.symbols("w_11 w_12 b_1", real=True)
    V = w11 * x + w12 * y + b1
    lhs = sympy.log(sympy.exp(V) / (sympy.exp(V) + sympy.exp(2 * b1)))
    rhs = V - sympy.log(sympy.exp(w11 * x) * sympy.exp(w12 * y) * sympy.exp(b1) + sympy.exp(b1) ** 2)
    verdict = equivalent(lhs, rhs)
    assert verdict.status == "proved", str(verdict)


def test_one_hot_reduction_proved_under_assumption():
    lhs, rhs = -x1 * (y1 - p1 * (y1 + y2)), -x1 * (y1 - p1)
    verdict = equivalent(lhs, rhs, assume=[ONE_HOT_2])
    assert verdict.status == "proved", str(verdict)
    assert verdict.assumptions == (ONE_HOT_2,)


def test_one_hot_reduction_refuted_without_assumption():
    lhs, rhs = -x1 * (y1 - p1 * (y1 + y2)), -x1 * (y1 - p1)
    verdict = equivalent(lhs, rhs)
    assert_real_counterexample(verdict, lhs, rhs)
    assert set(verdict.counterexample) == {x1, y1, y2, p1}
    assert not verdict


def test_dropping_the_label_sum_is_refuted_and_fixed_by_it():
    # the "Y = 1" step: -x [y_1 - e^{V_1} Y / S] with Y = sum y' becomes -x [y_1 - e^{V_1} / S]
    S = e1 + e2
    before = -x1 * (y1 - e1 * (y1 + y2) / S)
    after = -x1 * (y1 - e1 / S)
    assert_real_counterexample(equivalent(before, after), before, after)
    assert equivalent(before, after, assume=[ONE_HOT_2]).status == "proved"


def test_exp_of_v_times_y_refuted_even_for_one_hot_labels():
    S = e1 + e2
    lhs, rhs = sympy.exp(V1 * y1) / S, e1 / S
    verdict = equivalent(lhs, rhs, assume=[ONE_HOT_2])
    assert_real_counterexample(verdict, lhs, rhs)
    point = verdict.counterexample
    assert point[y1] + point[y2] == 1  # exact: the assumption holds at the counterexample
    assert isinstance(point[y2], sympy.Rational)


def test_v_equals_one_is_refuted_and_counterexample_satisfies_nonlinear_assumption():
    S = e1 + e2
    verdict = equivalent(S, 1)
    assert_real_counterexample(verdict, S, sympy.Integer(1))
    # a wrong step under the assumption S = 1 (solved as V_2 = log(1 - e^{V_1}))
    lhs, rhs = e1 / S, e1 + 1
    verdict = equivalent(lhs, rhs, assume=[sympy.Eq(S, 1)])
    assert_real_counterexample(verdict, lhs, rhs)
    point = verdict.counterexample
    with mpmath.workdps(40):
        residual = mpmath.exp(mpmath.mpf(str(point[V1]))) + mpmath.exp(mpmath.mpf(str(point[V2]))) - 1
    assert abs(residual) < 1e-25
    # and a right step under that assumption is proved
    assert equivalent(lhs, e1, assume=[sympy.Eq(S, 1)]).status == "proved"


def test_unevaluated_derivative_is_evaluated():
    J = -sympy.log(e1 / (e1 + e2))
    expected = -(1 - e1 / (e1 + e2))
    assert equivalent(sympy.Derivative(J, V1), expected).status == "proved"
    assert equivalent(sympy.Derivative(J, V1), -expected).status == "refuted"


# ---- precision -----------------------------------------------------------------------
@pytest.mark.parametrize("delta", [sympy.Rational(1, 10**12), sympy.Rational(-3, 10**15)])
def test_tiny_relative_difference_is_caught(delta):
    verdict = equivalent(x, x * (1 + delta))
    assert verdict.status == "refuted", str(verdict)
    assert verdict.lhs_value != verdict.rhs_value


def test_cancellation_noise_is_not_a_counterexample():
    big = sympy.Integer(10) ** 26
    noisy = big * (sympy.sin(x) ** 2 + sympy.cos(x) ** 2) - big
    sampler = Sampler(noisy, sympy.Integer(0), [], solve_assumptions([]))
    assert sampler.run(time.monotonic() + 5, 20) is None
    assert sampler.valid == 20
    assert equivalent(noisy, 0, timeout=1.0).status != "refuted"


def test_constants_compared():
    verdict = equivalent(sympy.pi, sympy.Rational(355, 113))
    assert verdict.status == "refuted" and verdict.counterexample == {}
    assert equivalent(sympy.log(6), sympy.log(2) + sympy.log(3)).status == "proved"


def test_exact_rational_differences_are_refuted_exactly():
    verdict = equivalent("1 + 10**-30", "1")
    assert verdict.status == "refuted" and verdict.counterexample == {}, str(verdict)
    assert verdict.lhs_value == 1 + sympy.Rational(1, 10**30) and verdict.rhs_value == 1
    assert "exact" in verdict.method
    verdict = equivalent(x * (1 + sympy.Rational(1, 10**25)), x)
    assert verdict.status == "refuted" and "exact" in verdict.method, str(verdict)
    assert verdict.lhs_value - verdict.rhs_value == verdict.counterexample[x] / 10**25


# tanh(100) - 1 is exactly 0 at 40 and at 80 digits (the true value is -2.8e-87)
CANCELLING_PAIRS = [
    (sympy.tanh(100 * x) - 1, -2 / (sympy.exp(200 * x) + 1)),
    (sympy.tanh(300 * x) - 1, -2 / (sympy.exp(600 * x) + 1)),
    (sympy.cosh(100 * x) - sympy.sinh(100 * x), sympy.exp(-100 * x)),
    (sympy.log(1 + sympy.exp(-120 * x)) + 1, sympy.log(sympy.exp(120 * x) + 1) - 120 * x + 1),
]


@pytest.mark.parametrize("lhs, rhs", CANCELLING_PAIRS)
def test_cancellation_to_zero_is_not_a_counterexample(lhs, rhs):
    sampler = Sampler(lhs, rhs, [], solve_assumptions([]))
    assert sampler.check({x: sympy.Integer(1)}, time.monotonic() + 10) is False
    assert sampler.run(time.monotonic() + 10, 30) is None
    assert equivalent(lhs, rhs, timeout=1.0).status != "refuted"


def test_a_true_difference_hidden_by_cancellation_is_confirmed_with_more_digits():
    lhs, rhs = sympy.tanh(100 * x) - 1, -2 / (sympy.exp(200 * x) + 1) + sympy.exp(-210 * x)
    sampler = Sampler(lhs, rhs, [], solve_assumptions([]))
    found = sampler.check({x: sympy.Integer(1)}, time.monotonic() + 10)
    assert found and "interval" in found.how
    exact_difference = sympy.N(lhs.subs(x, 1) - rhs.subs(x, 1), 30)
    assert abs(found.difference - exact_difference) < 1e-5 * abs(exact_difference)


# ---- real values only ------------------------------------------------------------------------
def test_complex_exponentials_are_not_positive_atoms():
    u = sympy.exp(sympy.I * x) + sympy.exp(-sympy.I * x)  # 2 cos x, negative at x = pi
    assert explog(sympy.Abs(u), u) is None
    verdict = equivalent(sympy.Abs(u), u)
    assert verdict.status == "unknown" and "non-real" in verdict.reason, str(verdict)
    cube_root = sympy.Pow(-1, sympy.Rational(1, 3), evaluate=False)  # no I, still complex
    v = sympy.exp(cube_root * x)
    assert explog(sympy.Abs(v), v) is None
    assert equivalent(sympy.Abs(v), v).status == "unknown"
    assumption = sympy.Eq(y, sympy.log(-2), evaluate=False)
    assert equivalent(x, 1, assume=[assumption]).status == "unknown"


@pytest.mark.parametrize("text", [
    "abs(exp(sqrt(-1)*x) + exp(-sqrt(-1)*x))", "exp((-1)**(1/2)*x)", r"e^{\ln(-1) x}",
    "log(x, 0)", "I*x", "oo",
])
def test_text_with_non_real_constants_is_a_parse_error(text):
    with pytest.raises(ParseError):
        equivalent(text, "x")


# ---- soundness of the normalisations ------------------------------------------------------
def test_logs_of_products_of_unknown_sign_are_not_split():
    verdict = equivalent(sympy.log(x * y), sympy.log(x) + sympy.log(y), timeout=1.0)
    assert verdict.status == "unknown", str(verdict)  # equal only where x, y > 0


def test_substitution_through_a_possibly_zero_factor_is_not_a_proof():
    # a*y = a does not imply y = 1 (take a = 0)
    verdict = equivalent(y, 1, assume=[sympy.Eq(a * y, a)], timeout=1.0)
    assert verdict.status != "proved", str(verdict)


def test_assumption_solved_for_last_linear_symbol():
    solved = solve_assumptions([sympy.Eq(y1 + y2 + y3, 1)])
    assert solved.proof == {y3: 1 - y1 - y2}
    solved = solve_assumptions([sympy.Eq(x * y, 1), sympy.Eq(y1 + 2 * y2, 3)])
    assert y2 in solved.proof and y not in solved.proof and x not in solved.proof
    assert solved.sample[y2] == (3 - y1) / 2


def test_unsolvable_assumption_filters_sample_points():
    lhs, rhs = y1 ** 2, y1
    verdict = equivalent(lhs, rhs, assume=[sympy.Eq(y1 * (y1 - 1), 0)], timeout=1.0)
    assert verdict.status != "refuted", str(verdict)
    verdict = equivalent(x + y1, x, assume=[sympy.Eq(y1 ** 2 + x ** 2, 1)], timeout=2.0)
    assert verdict.status == "refuted", str(verdict)


@pytest.mark.parametrize("expr", [
    (x + y) ** 5, (x + y + z) ** 4 * (x - 1), (x + 1) * (y + 2) * (z + 3),
    sympy.exp((x + y) ** 2) + (x + y) ** 2,
])
def test_expanded_terms_bounds_the_expansion(expr):
    assert expanded_terms(expr) >= len(sympy.Add.make_args(sympy.expand(expr)))


def test_expanded_terms_sees_large_multinomials():
    assert expanded_terms((x + y + z) ** 300) >= 45451  # C(302, 2) monomials
    assert expanded_terms((x + y) ** 10 ** 12) >= 10 ** 9


# ---- budget --------------------------------------------------------------------------
@pytest.mark.timeout(10)  # a hang fails here; the hard bound itself is measured in benchmarks
def test_heavy_pair_gives_unknown_not_a_hang():
    lhs = (x + y + z) ** 120
    rhs = sympy.expand((x + y + z) ** 60) * (x + y + z) ** 60
    assert expanded_terms(lhs - rhs) > 10**4
    verdict = equivalent(lhs, rhs, timeout=0.3)
    assert verdict.status == "unknown", str(verdict)
    assert "timed out" in verdict.reason or "time budget" in verdict.reason


# inputs whose numbers become huge polynomial degrees (factor/real_roots of degree 500
# took minutes in-process), towers, big powers and big arguments of sin
HOSTILE_PAIRS = [
    ("log(exp(200*x)+1)", "x"),
    ("log(exp(500*x)+1)", "log(exp(500*x)+2)"),
    ("log(exp(977*x)+exp(991*y)+1)", "log(exp(991*y)+exp(977*x)+1)"),
    ("exp(1000*x)/(exp(1000*x)+exp(999*y))", "1/(1+exp(999*y-1000*x))"),
    ("abs(x**999 - 3*x**500 + 7)", "x**999 - 3*x**500 + 7"),
    ("(x+y+1)**40", "(x+y+1)**20*(x+y+1)**20 + 1"),
    ("(2*x+3)**1000 - 1", "(2*x+3)**999*(2*x+2)"),
    ("sin(10**800*x)**2 + cos(10**800*x)**2", "1"),
    ("log(log(log(log(exp(exp(exp(exp(x))))))))", "x"),
    ("tanh(1000*x) + cosh(997*x)", "1 - 2/(exp(2000*x)+1) + (exp(997*x)+exp(-997*x))/2"),
]


@pytest.mark.timeout(8)  # generous: the verdict is due after about timeout + 0.3 s
@pytest.mark.parametrize("lhs, rhs", HOSTILE_PAIRS)
def test_hostile_inputs_get_a_verdict_within_the_budget(lhs, rhs):
    verdict = equivalent(lhs, rhs, timeout=1.0)
    assert verdict.status in ("proved", "refuted", "unknown")
    if verdict.status == "refuted":
        assert_real_counterexample(verdict, parse(lhs), parse(rhs))


_hostile_numbers = st.sampled_from([97, 200, 499, 997, 10**6])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from((x, y)), _hostile_numbers, _hostile_numbers, st.integers(1, 3),
       st.sampled_from(["log", "tanh", "power", "abs"]))
@pytest.mark.timeout(60)  # 12 examples, each due within about 0.6 s: a hang fails the test
def test_large_coefficients_and_degrees_never_hang(s, k, j, c, shape):
    if shape == "log":
        lhs, rhs = sympy.log(sympy.exp(k * s) + c), sympy.log(sympy.exp(j * s) + c)
    elif shape == "tanh":
        lhs, rhs = sympy.tanh(k * s) - 1, -2 / (sympy.exp(2 * k * s) + 1)
    elif shape == "power":
        k = min(k, 1000)
        lhs, rhs = (s + c) ** k, (s + c) ** (k - 1) * (s + c + 1)
    else:
        j, k = min(j, 999), min(k, 999)
        lhs, rhs = sympy.Abs(s ** j - c * s ** k + 7), s ** j - c * s ** k + 7
    verdict = equivalent(lhs, rhs, timeout=0.3)
    assert verdict.status in ("proved", "refuted", "unknown")
    if shape == "tanh":
        assert verdict.status != "refuted", str(verdict)
    if shape == "power":
        assert verdict.status != "proved", str(verdict)
    if verdict.status == "refuted":
        assert_real_counterexample(verdict, lhs, rhs)


def test_run_bounded_kills_a_runaway_child():
    def forever():
        while True:
            pass

    with pytest.raises(BudgetExceeded):
        run_bounded(forever, (), 0.2)
    assert run_bounded(sympy.expand, ((x + 1) ** 2,), 5.0) == x ** 2 + 2 * x + 1
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        run_bounded(lambda: 1 // 0, (), 5.0)


# ---- inputs ----------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [[1, 2], None, {"x": 1}, sympy.Matrix([x]), True])
def test_non_expressions_are_type_errors(bad):
    with pytest.raises(TypeError, match="lhs"):
        equivalent(bad, x)
    with pytest.raises(TypeError, match="rhs"):
        equivalent(x, bad)


@pytest.mark.parametrize("bad", [x + 1, sympy.Lt(x, 1), 3])
def test_assumption_that_is_not_an_equation(bad):
    with pytest.raises(ValueError, match="not an equation"):
        equivalent(x, x, assume=[bad])


@pytest.mark.parametrize("assume", [
    [sympy.Eq(y1 + y2, 1), sympy.Eq(y1 + y2, 2)], [sympy.Eq(1, 2)],
    [sympy.Eq(x ** 2 + 1, 0)], ["exp(y) = -1"], [sympy.Eq(x, 1), sympy.Eq(x * y, 2), sympy.Eq(y, 3)],
])
def test_contradictory_assumptions_are_flagged_never_proved(assume):
    for lhs, rhs in ((x, x + 1), (x, x)):
        verdict = equivalent(lhs, rhs, assume=assume)
        assert verdict.status == "unknown", str(verdict)
        assert verdict.reason.startswith("the assumptions are contradictory"), str(verdict)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_bad_timeout(bad):
    with pytest.raises(ValueError, match="timeout"):
        equivalent(x, x, timeout=bad)


def test_strings_are_parsed():
    verdict = equivalent("-x_j*(y_i - exp(v_i)/V)", r"-x_j \left(y_i - \frac{e^{v_i}}{V}\right)")
    assert verdict.status == "proved"
    verdict = equivalent("-x_1*(y'_1 - p_1*(y'_1 + y'_2))", "-x_1*(y'_1 - p_1)",
                         assume=["y'_1 + y'_2 = 1"])
    assert verdict.status == "proved"
    assert verdict.assumptions == (ONE_HOT_2,)
    verdict = equivalent("e^{v_i y_i}/V", "e^{v_i}/V")
    assert verdict.status == "refuted"
    assert {s.name for s in verdict.counterexample} == {"v_i", "y_i", "V"}


def test_decimals_and_non_real_symbols():
    assert equivalent(sympy.Float("0.5") * x, x / 2).status == "proved"
    # a float is its exact binary value (0.1 is not 1/10), and the verdict says so
    verdict = equivalent(sympy.Float("0.1") * x, x / 10)
    assert verdict.status == "refuted" and "exact binary" in verdict.reason, str(verdict)
    assert equivalent(0.1 * x, "x/10").status == "refuted"
    q = sympy.Symbol("q")  # not declared real: treated as a real variable
    assert equivalent(sympy.log(sympy.exp(q)), q).status == "proved"
    verdict = equivalent(q, 1)
    assert verdict.status == "refuted" and q in verdict.counterexample


def test_verdict_is_readable_and_frozen():
    refuted = equivalent(e1, 1)
    text = str(refuted)
    assert text.startswith("refuted") and "V_1 = " in text and "lhs = " in text
    proved = equivalent(x * (x + 1), x ** 2 + x)
    assert str(proved).startswith("proved") and proved.method in str(proved)
    assert isinstance(proved, Verdict) and bool(proved) and not bool(refuted)
    with pytest.raises(AttributeError):
        proved.status = "refuted"
    with pytest.raises(ValueError, match="status"):
        Verdict("maybe")


# ---- properties --------------------------------------------------------------------------
_SYMBOLS = (x, y, z)
_leaves = st.one_of(
    st.sampled_from(_SYMBOLS),
    st.integers(-3, 3).map(sympy.Integer),
    st.fractions(min_value=-3, max_value=3, max_denominator=5).map(
        lambda f: sympy.Rational(f.numerator, f.denominator)),
)


def _extend(children):
    return st.one_of(
        st.tuples(children, children).map(lambda t: t[0] + t[1]),
        st.tuples(children, children).map(lambda t: t[0] * t[1]),
        st.tuples(children, children).map(lambda t: t[0] - t[1]),
        st.tuples(children, children).map(lambda t: t[0] / (1 + t[1] ** 2)),
        st.tuples(children, st.integers(2, 3)).map(lambda t: t[0] ** t[1]),
        children.map(lambda c: sympy.exp(c)),
        children.map(lambda c: sympy.log(1 + c ** 2)),
        st.tuples(children, children).map(lambda t: sympy.log(sympy.exp(t[0]) + sympy.exp(t[1]))),
    )


expressions = st.recursive(_leaves, _extend, max_leaves=6)


def _split_exp(e):
    # exp(a + b) -> exp(a) exp(b)
    return e.replace(lambda n: isinstance(n, sympy.exp),
                     lambda n: sympy.Mul(*[sympy.exp(t) for t in sympy.Add.make_args(sympy.expand(n.args[0]))]))


_REWRITES = {
    "expand": sympy.expand,
    "together": sympy.together,
    "cancel": sympy.cancel,
    "factor": sympy.factor,
    "split_exp": _split_exp,
    "expand_log": sympy.expand_log,
    "log_of_exp": lambda e: sympy.log(sympy.exp(e), evaluate=False),
    "powsimp": sympy.powsimp,
}

_PROPERTY = settings(max_examples=20, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@_PROPERTY
@given(expressions, st.sampled_from(sorted(_REWRITES)))
def test_never_refutes_pairs_equal_by_construction(e, rewrite):
    other = _REWRITES[rewrite](e)
    verdict = equivalent(e, other, timeout=0.3)
    assert verdict.status != "refuted", f"{e} vs {other}: {verdict}"


@_PROPERTY
@given(expressions, st.sampled_from(_SYMBOLS), st.integers(-3, 3),
       st.fractions(min_value=-2, max_value=2, max_denominator=4).filter(lambda f: f != 0),
       st.booleans())
def test_never_proves_pairs_that_differ(e, s, s0, c, constant_shift):
    c = sympy.Rational(c.numerator, c.denominator)
    other = e + c if constant_shift else e + c * (s - s0)
    verdict = equivalent(e, other, timeout=0.3)
    assert verdict.status != "proved", f"{e} vs {other}: {verdict}"
    if verdict.status == "refuted":
        assert_real_counterexample(verdict, e, other)


# hyperbolic functions and large coefficients: cancellation, huge exp atoms
_hyper_leaves = st.tuples(st.sampled_from(_SYMBOLS), st.sampled_from([1, 2, 50, 100, 200]),
                          st.integers(-2, 2)).map(lambda t: t[1] * t[0] + t[2])


def _hyper_extend(children):
    return st.one_of(
        children.map(sympy.tanh), children.map(sympy.sinh), children.map(sympy.cosh),
        children.map(sympy.exp),
        st.tuples(children, children).map(lambda t: t[0] + t[1]),
        st.tuples(children, children).map(lambda t: t[0] * t[1]),
        st.tuples(children, children).map(lambda t: t[0] - t[1]),
    )


hyperbolic = st.recursive(_hyper_leaves, _hyper_extend, max_leaves=4)


def _tanh_as_fraction(e):
    # tanh u = 1 - 2/(e^{2u} + 1), cosh u - sinh u = e^{-u}: exact, cancel badly for large u
    return e.replace(lambda n: isinstance(n, sympy.tanh),
                     lambda n: 1 - 2 / (sympy.exp(2 * n.args[0]) + 1))


_HYPER_REWRITES = {
    "rewrite_exp": lambda e: e.rewrite(sympy.exp),
    "tanh_as_fraction": _tanh_as_fraction,
    "cosh_minus_sinh": lambda e: e + sympy.exp(-100 * x) - (sympy.cosh(100 * x) - sympy.sinh(100 * x)),
    "expand": sympy.expand,
}


@_PROPERTY
@given(hyperbolic, st.sampled_from(sorted(_HYPER_REWRITES)))
def test_hyperbolic_rewrites_with_large_coefficients_are_never_refuted(e, rewrite):
    other = _HYPER_REWRITES[rewrite](e)
    verdict = equivalent(e, other, timeout=0.3)
    assert verdict.status != "refuted", f"{e} vs {other}: {verdict}"


@_PROPERTY
@given(hyperbolic, st.sampled_from(_SYMBOLS), st.sampled_from([1, 30, 100]),
       st.integers(-2, 2).filter(lambda c: c != 0))
def test_tiny_true_differences_are_never_proved_and_refutations_are_real(e, s, k, c):
    other = e + c * sympy.exp(-k * s ** 2)  # relative size down to e^-100 near s = +-1
    verdict = equivalent(e, other, timeout=0.3)
    assert verdict.status != "proved", f"{e} vs {other}: {verdict}"
    if verdict.status == "refuted":
        assert_real_counterexample(verdict, e, other, digits=150)
