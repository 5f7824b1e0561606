"""Soundness classes of issue 9 that live in the checker: assumptions (3), budgets (4),
definedness as typed (2), the sampler's symbol assumptions and exact floats (6), one
standard for "refuted" (8), and Indexed atoms from the document reader."""

import time
from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derivation.equivalence import Counterexample, confirm_counterexample, equivalent, refute
from derivation.equivalence.assumptions import solve_assumptions

x, y, s = sympy.symbols("x y s", real=True)
GRACE = 0.5  # seconds a verdict may come after its budget


def typed_pow(base, exponent):
    return sympy.Pow(base, exponent, evaluate=False)


def sampled_differ(lhs, rhs, point, digits=50):
    """An independent check (SymPy's evalf) that the sides differ at ``point``."""
    left, right = (sympy.N(e.subs(point), digits) for e in (lhs, rhs))
    return left.is_real and right.is_real and abs(left - right) > 1e-30 * max(abs(left), abs(right), 1)


# ---- class 3: assumptions solved soundly ---------------------------------------------------
@pytest.mark.parametrize("constant", [10, 2])
def test_a_solution_is_used_in_a_proof_only_if_it_satisfies_the_assumption(constant):
    # d/ds arg(s - 1) is 0 to SymPy, so "linear" solving gives s = c - pi; for c = 10 the
    # only solution is s = 10, for c = 2 both s = 2 and s = 2 - pi solve it
    assumption = sympy.Eq(s + sympy.arg(s - 1), constant)
    solved = solve_assumptions([assumption])
    assert s not in solved.proof
    verdict = equivalent(s, constant - sympy.pi, assume=[assumption], timeout=2)
    assert verdict.status != "proved", str(verdict)
    if verdict.status == "refuted":
        point = verdict.counterexample
        assert abs(sympy.N(assumption.lhs.subs(point) - constant, 20)) < 1e-15


def test_consistent_assumptions_are_not_called_contradictory():
    assume = [sympy.Eq(x * y, 0), sympy.Eq(y, 1)]
    verdict = equivalent(x, 0, assume=assume)
    assert verdict.status == "proved", str(verdict)
    verdict = equivalent(x + y, 2, assume=assume)
    assert verdict.status == "refuted", str(verdict)
    assert verdict.counterexample == {x: 0, y: 1}


def test_exact_solutions_are_still_used():
    y1, y2, y3 = sympy.symbols("y'_1 y'_2 y'_3", real=True)
    V = sympy.Symbol("V", real=True)
    assert solve_assumptions([sympy.Eq(y1 + y2 + y3, 1)]).proof == {y3: 1 - y1 - y2}
    assert solve_assumptions([sympy.Eq(sympy.exp(V) * s, 1)]).proof == {s: sympy.exp(-V)}
    assert solve_assumptions([sympy.Eq(sympy.log(x + 1), 2)]).proof == {x: sympy.exp(2) - 1}


# ---- class 4: every budget held, parsing included ----------------------------------------------
@pytest.mark.timeout(20)
@pytest.mark.parametrize("lhs, rhs", [
    ("exp(2*10^7*log(3/2))", "1"), ("exp(10^10*log(2))", "2"), ("(x+y+1)^300", "(x+y+1)^299*(x+y+2)"),
    ("x^(10^6)", "x^(10^6-1)*x"), ("sin(cos(tan(exp(log(x^99+1)))))", "0"),
])
def test_string_inputs_are_parsed_within_the_budget(lhs, rhs):
    start = time.monotonic()
    try:
        verdict = equivalent(lhs, rhs, timeout=1)
    except ValueError:  # refused by the parser: also an answer within the budget
        verdict = None
    assert time.monotonic() - start <= 1 + GRACE
    assert verdict is None or verdict.status in ("proved", "refuted", "unknown")


_hostile_text = st.one_of(
    st.text(alphabet="x y 1 2 9 0 ( ) ^ * / + - . e", min_size=1, max_size=40),
    st.builds(lambda f, a, b: f"{f}({a}*x^{b})", st.sampled_from(["exp", "log", "sin", "tanh", ""]),
              st.sampled_from(["10^9", "2^64", "7", "10^-30"]), st.sampled_from(["1000", "3", "10^5"])),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_hostile_text, _hostile_text, st.sampled_from([0.2, 0.5]))
@pytest.mark.timeout(120)
def test_wall_time_never_exceeds_the_budget_plus_grace(lhs, rhs, timeout):
    start = time.monotonic()
    try:
        equivalent(lhs, rhs, timeout=timeout)
    except ValueError:  # unparsable text: a ParseError within the budget
        pass
    assert time.monotonic() - start <= timeout + GRACE


_big = st.sampled_from([97, 500, 999, 10 ** 4, 10 ** 9])
_hostile_expr = st.one_of(
    st.builds(lambda k: (x + y + 1) ** k, st.sampled_from([60, 200, 999])),
    st.builds(lambda k: sympy.exp(k * x) + sympy.log(sympy.exp(k * y) + 1), _big),
    st.builds(lambda k: sympy.sin(sympy.Integer(10) ** k * x) ** 2, st.sampled_from([20, 300, 800])),
    st.builds(lambda n: sympy.Add(*sympy.symbols(f"a0:{n}", real=True)) ** 2, st.sampled_from([30, 90])),
    st.builds(lambda k: sympy.Rational(10 ** k + 1, 10 ** k) * x, st.sampled_from([30, 300, 3000])),
    st.builds(lambda d: sympy.Abs(x ** d - 3 * x ** (d // 2) + 7), st.sampled_from([999, 10 ** 4])),
    st.just(sympy.log(sympy.log(sympy.log(sympy.exp(sympy.exp(sympy.exp(x))))))),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_hostile_expr, _hostile_expr, st.sampled_from([0.2, 0.5]))
@pytest.mark.timeout(120)
def test_wall_time_on_hostile_expressions_never_exceeds_the_budget_plus_grace(lhs, rhs, timeout):
    calls = (lambda: equivalent(lhs, rhs, timeout=timeout),
             lambda: confirm_counterexample(lhs, rhs, {x: 1, y: 2}, timeout=timeout),
             lambda: refute(lhs, rhs, timeout=timeout))
    for check in calls:
        start = time.monotonic()
        check()
        assert time.monotonic() - start <= timeout + GRACE


# ---- class 2: definedness is judged on the typed expression -----------------------------------
def test_typed_square_of_a_root_is_not_refuted_where_it_has_no_real_value():
    typed = typed_pow(sympy.sqrt(x), 2)  # as typed: undefined for x < 0
    assert typed != x
    verdict = equivalent(typed, sympy.Abs(x))
    assert verdict.status in ("proved", "unknown"), str(verdict)
    verdict = equivalent(sympy.exp(sympy.log(x), evaluate=False), sympy.Abs(x))
    assert verdict.status in ("proved", "unknown"), str(verdict)
    q = sympy.Symbol("q")  # not declared real: made real without re-evaluating the tree
    assert equivalent(typed_pow(sympy.sqrt(q), 2), sympy.Abs(q)).status in ("proved", "unknown")
    assert equivalent(sympy.exp(sympy.log(q), evaluate=False), sympy.Abs(q)).status != "refuted"
    # a wrong claim is still refuted, at a point where the typed side is defined
    verdict = equivalent(typed, x + 1)
    assert verdict.status == "refuted" and verdict.counterexample[x] >= 0, str(verdict)


def test_typed_division_is_proved_where_defined():
    typed = sympy.Mul(x, typed_pow(x, -1), evaluate=False)
    assert equivalent(typed, 1).status == "proved"
    assert equivalent(sympy.Mul(x - 1, typed_pow(x - 1, -1), evaluate=False), 2).status == "refuted"


def test_typed_strings_from_the_parser_are_judged_as_typed():
    assert equivalent("sqrt(x)^2", "abs(x)").status != "refuted"
    assert equivalent("exp(log(x))", "abs(x)").status != "refuted"
    assert equivalent("sqrt(x)^2", "x").status != "refuted"


# ---- class 6: the sampler respects symbol assumptions, floats are exact -----------------------
@pytest.mark.parametrize("facts, lhs, rhs", [
    ({"odd": True}, lambda k: 2 * sympy.floor(k / 2) + 1, lambda k: k),
    ({"even": True}, lambda k: 2 * sympy.floor(k / 2), lambda k: k),
    ({"integer": True, "positive": True}, lambda k: sympy.floor(k), lambda k: sympy.Abs(k)),
    ({"nonnegative": True}, lambda k: typed_pow(sympy.sqrt(k), 2), lambda k: sympy.Abs(k)),
    ({"nonzero": True, "integer": True}, lambda k: sympy.Mul(k, typed_pow(k, -1), evaluate=False),
     lambda k: 1),
])
def test_symbol_assumptions_are_respected(facts, lhs, rhs):
    k = sympy.Symbol("k", **facts)
    verdict = equivalent(lhs(k), rhs(k))
    assert verdict.status != "refuted", str(verdict)
    wrong = equivalent(lhs(k), rhs(k) + 1)
    assert wrong.status == "refuted", str(wrong)
    value = wrong.counterexample[k]
    assert all(getattr(value, f"is_{fact}") is truth for fact, truth in facts.items())


def test_floats_are_read_exactly():
    for big in (2.0 ** 70, sympy.Float(2.0) ** 70, sympy.Float(2.0 ** 70, 30)):
        assert equivalent(big, 2 ** 70).status == "proved"
        assert equivalent(big, 2 ** 70 + 1).status == "refuted"
    assert equivalent(0.5 * x, x / 2).status == "proved"


# ---- class 8: the one standard for "refuted" -------------------------------------------------
def test_confirm_counterexample_accepts_only_confirmed_points():
    assert confirm_counterexample(x + 1, x, {x: 0}) is True
    assert confirm_counterexample("x^2", "x", {"x": Fraction(1, 2)}) is True
    assert confirm_counterexample(x ** 2, x, {x: 1}) is False  # equal there
    assert confirm_counterexample(typed_pow(sympy.sqrt(x), 2), sympy.Abs(x), {x: -1}) is False
    assert confirm_counterexample(sympy.log(x), 0, {x: 0}) is False  # lhs undefined
    assert confirm_counterexample(x, y, {x: 1}) is False  # y has no value
    # the assumption must hold: y'_2 is computed from y'_1 + y'_2 = 1
    y1, y2 = sympy.symbols("y'_1 y'_2", real=True)
    assert confirm_counterexample(y1 + y2, 2, {y1: 5}, assume=[sympy.Eq(y1 + y2, 1)]) is True
    assert confirm_counterexample(y1 + y2, 1, {y1: 5}, assume=[sympy.Eq(y1 + y2, 1)]) is False
    # cancellation cannot fool it: tanh(100) - 1 is 0 at 80 digits, both forms agree exactly
    assert confirm_counterexample(sympy.tanh(100 * x) - 1, -2 / (sympy.exp(200 * x) + 1), {x: 1}) is False
    assert confirm_counterexample(sympy.tanh(100 * x) - 1, 0, {x: 1}) is True


def test_refute_returns_a_confirmed_counterexample_or_none():
    found = refute(sympy.exp(x + y), sympy.exp(x) + sympy.exp(y))
    assert isinstance(found, Counterexample)
    assert sampled_differ(sympy.exp(x + y), sympy.exp(x) + sympy.exp(y), found.point)
    assert confirm_counterexample(sympy.exp(x + y), sympy.exp(x) + sympy.exp(y), found.point)
    assert refute((x + y) ** 2, x ** 2 + 2 * x * y + y ** 2) is None
    assert refute(typed_pow(sympy.sqrt(x), 2), sympy.Abs(x)) is None


def test_verdict_ok():
    assert equivalent(x + x, 2 * x).ok is True
    assert equivalent(x, x + 1).ok is False
    assert equivalent(sympy.log(x * y), sympy.log(x) + sympy.log(y), timeout=0.5).ok is False


# ---- Indexed atoms (the document reader's expressions) -------------------------------------------
def _seed(n, m):
    w, xs, b, ys = (sympy.IndexedBase(c) for c in "wxby")
    V = [sum(w[i, j] * xs[j] for j in range(1, m + 1)) + b[i] for i in range(1, n + 1)]
    S = sum(sympy.exp(v) for v in V)
    J = -sum(ys[i + 1] * sympy.log(sympy.exp(V[i]) / S) for i in range(n))
    return J, V, S, w, xs, ys


def test_indexed_atoms_are_real_variables_at_the_seeds_size():
    n, m = 4, 3
    J, V, S, w, xs, ys = _seed(n, m)
    p, q = 2, 3
    derivative = sympy.diff(J, w[p, q])
    label_sum = sum(ys[i] for i in range(1, n + 1))
    soft = -xs[q] * (ys[p] - sympy.exp(V[p - 1]) / S * label_sum)
    assert equivalent(derivative, soft).status == "proved"
    one_hot = -xs[q] * (ys[p] - sympy.exp(V[p - 1]) / S)
    verdict = equivalent(derivative, one_hot)
    assert verdict.status == "refuted", str(verdict)
    assert all(isinstance(k, sympy.Indexed) for k in verdict.counterexample)
    assert "y[1] = " in str(verdict) and f"x[{q}] = " in str(verdict)
    assert confirm_counterexample(derivative, one_hot, verdict.counterexample)
    assert equivalent(derivative, one_hot, assume=[sympy.Eq(label_sum, 1)]).status == "proved"


def test_kronecker_delta_and_concrete_sums():
    i = sympy.Symbol("i", integer=True)
    w = sympy.IndexedBase("w")
    total = sympy.Sum(w[i] * sympy.KroneckerDelta(i, 2), (i, 1, 3))
    assert equivalent(total, w[2]).status == "proved"
    assert equivalent(total, w[3]).status == "refuted"


def test_symbolic_indices_that_could_coincide_are_not_refuted_independently():
    j = sympy.Symbol("j", integer=True)
    xs = sympy.IndexedBase("x")
    verdict = equivalent(xs[j], xs[1])  # equal when j = 1, different atoms otherwise
    assert verdict.status == "unknown", str(verdict)


def test_a_proof_under_assumptions_no_point_satisfies_says_so():
    verdict = equivalent(y, 2, assume=[sympy.Eq(y, 2), sympy.Eq(y, sympy.sin(x) + 5)], timeout=2)
    assert verdict.status == "proved" and "may be contradictory" in verdict.reason, str(verdict)
    verdict = equivalent(y, 2, assume=[sympy.Eq(y, 2), sympy.Eq(x ** 2, 4)], timeout=2)
    assert verdict.status == "proved" and "contradictory" not in verdict.reason, str(verdict)


def test_integer_powers_of_negative_numbers_have_real_values():
    k = sympy.Symbol("k", integer=True)
    verdict = equivalent((-1) ** k, 1)
    assert verdict.status == "refuted" and verdict.counterexample[k] % 2 == 1, str(verdict)
    assert equivalent(x ** y, abs(x) ** y).status != "proved"


def test_decimal_numbers_are_exact():
    import decimal

    assert equivalent(decimal.Decimal("0.1"), "1/10").status == "proved"
    assert equivalent(Fraction(1, 3), "1/3").status == "proved"
