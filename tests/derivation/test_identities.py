"""check_identity / differentiate: identities over indexed arrays for all sizes or at sizes."""

import random
import time

import pytest
import sympy
from sympy import Derivative, Eq, IndexedBase, KroneckerDelta, Rational, Sum, exp, log

from derivation.proofs.indexed import IdentityCheck, check_identity, differentiate

n, m, N = sympy.symbols("n m N", integer=True, positive=True)
i, j, k, l, r = sympy.symbols("i j k l r", integer=True)
w, x, b, y = (IndexedBase(s) for s in "wxby")
RANGES = {i: (1, n), j: (1, m)}
BUDGET = 30.0   # generous budget: the proofs take well under a second, but CI machines are shared


def V(a):
    """V_a = sum_l w_al x_l + b_a."""
    return Sum(w[a, l] * x[l], (l, 1, m)) + b[a]


S = Sum(exp(V(k)), (k, 1, n))                    # the seed's V = sum_k e^{V_k}
Y = Sum(y[k], (k, 1, n))
J = -Sum(y[i] * log(exp(V(i)) / S), (i, 1, n))  # bound i, like the seed's sum_i
p_i = exp(V(i)) / S


def _instance_values(check, lhs, rhs):
    """Both sides at the counterexample, computed by SymPy at the reported sizes (oracle)."""
    point = dict(check.counterexample)
    sizes_and_indices = {s: v for s, v in point.items() if isinstance(s, sympy.Symbol)
                         and s in (n, m, N, i, j, k, r)}
    values = {}
    for side in (lhs, rhs):
        concrete = side.xreplace(sizes_and_indices).doit()
        entries = {e: point.get(e, 0) for e in concrete.atoms(sympy.Indexed)}
        symbols = {s: point[s] for s in concrete.free_symbols if s in point}
        values[side] = sympy.N(concrete.xreplace(entries).xreplace(symbols), 30)
    return values[lhs], values[rhs]


def test_seed_derivative_proved_for_all_sizes():
    check = check_identity(Derivative(J, w[i, j]), -x[j] * (y[i] - p_i * Y), ranges=RANGES,
                           timeout=BUDGET)
    assert isinstance(check, IdentityCheck)
    assert check.status == "proved" and check.ok and check.sizes is None
    assert check.counterexample is None and check.elapsed > 0


def test_differentiate_agrees_with_sympy_at_a_concrete_size():
    derivative = differentiate(J, w[i, j], ranges=RANGES)
    assert not derivative.has(KroneckerDelta) and not derivative.has(sympy.Piecewise)
    rng = random.Random(3)
    at = {n: 3, m: 2, i: 2, j: 1}
    concrete_J = J.xreplace({n: 3, m: 2}).doit()
    oracle = sympy.diff(concrete_J, w[2, 1])              # SymPy on the expanded sum
    ours = derivative.xreplace(at).doit()
    entries = {e: Rational(rng.randint(-9, 9), 4) for e in (oracle + ours).atoms(sympy.Indexed)}
    assert abs(sympy.N((oracle - ours).xreplace(entries), 30)) < 1e-25


def test_lemma_and_ellipsis_steps():
    # -[y_1 (V_1 - ln V) + ... + y_n (V_n - ln V)]
    #     = -[(y_1 V_1 + ... + y_n V_n) - ln V (y_1 + ... + y_n)]
    lhs = -Sum(y[k] * (V(k) - log(S)), (k, 1, n))
    rhs = -(Sum(y[k] * V(k), (k, 1, n)) - log(S) * Sum(y[k], (k, 1, n)))
    assert check_identity(J, lhs, timeout=BUDGET).status == "proved"
    assert check_identity(lhs, rhs, timeout=BUDGET).status == "proved"


def test_wrong_exponent_form_refuted_at_a_named_size():
    lhs = w[i, j] + x[j] * (y[i] - exp(V(i)) * Y / S)
    rhs = w[i, j] + x[j] * (y[i] - exp(V(i) * y[i]) / S)       # the seed's e^{v_i y_i}/V
    check = check_identity(lhs, rhs, ranges=RANGES, timeout=BUDGET)
    assert check.status == "refuted" and not check.ok
    point = check.counterexample
    assert point[n] >= 1 and point[m] >= 1 and 1 <= point[i] <= point[n]
    assert f"n = {point[n]}" in check.reason
    left, right = _instance_values(check, lhs, rhs)
    assert abs(left - right) > 1e-10


def test_one_hot_reduction_needs_the_stated_assumption():
    claimed, seed = -x[j] * (y[i] - p_i * Y), -x[j] * (y[i] - p_i)
    under = check_identity(claimed, seed, ranges=RANGES, assume=[Eq(Sum(y[r], (r, 1, n)), 1)],
                           timeout=BUDGET)
    assert under.status == "proved"
    without = check_identity(claimed, seed, ranges=RANGES, timeout=BUDGET)
    assert without.status == "refuted"
    left, right = _instance_values(without, claimed, seed)
    assert abs(left - right) > 1e-10


def test_assumed_symbol_value_is_substituted():
    Vs = sympy.Symbol("V")
    check = check_identity(x[j] * exp(b[i]) / Vs, x[j] * exp(b[i]), assume=[Eq(Vs, 1)],
                           ranges=RANGES, timeout=BUDGET)
    assert check.status == "proved"
    without = check_identity(x[j] * exp(b[i]) / Vs, x[j] * exp(b[i]), ranges=RANGES, timeout=BUDGET)
    assert without.status == "refuted"


def test_least_squares_with_example_superscripts():
    # J = 1/2 sum_k (sum_l w_l x_l^(k) - y^(k))^2, dJ/dw_j = sum_k (...) x_j^(k)
    residual = Sum(w[l] * x[l, k], (l, 1, m)) - y[k]
    J_ls = Rational(1, 2) * Sum(residual ** 2, (k, 1, N))
    right = Sum(residual * x[j, k], (k, 1, N))
    assert check_identity(Derivative(J_ls, w[j]), right, ranges={j: (1, m)}, timeout=BUDGET).ok
    wrong = check_identity(Derivative(J_ls, w[j]), 2 * right, ranges={j: (1, m)}, timeout=BUDGET)
    assert wrong.status == "refuted" and N in wrong.counterexample


def test_binary_logistic_with_the_sigmoid():
    z, t = sympy.symbols("z t")
    sigma = 1 / (1 + exp(-z))
    assert check_identity(Derivative(sigma, z), sigma * (1 - sigma), timeout=BUDGET).ok
    u = Sum(w[l] * x[l], (l, 1, m)) + t
    s = 1 / (1 + exp(-u))
    label = sympy.Symbol("y")
    J_log = -(label * log(s) + (1 - label) * log(1 - s))
    assert check_identity(Derivative(J_log, w[j]), (s - label) * x[j], ranges={j: (1, m)},
                          timeout=BUDGET).ok
    dropped = check_identity(Derivative(J_log, w[j]), s - label, ranges={j: (1, m)}, timeout=BUDGET)
    assert dropped.status == "refuted"                      # dropped chain-rule factor x_j


def test_softmax_with_temperature_and_l2():
    T = sympy.Symbol("T", positive=True)
    lam = sympy.Symbol("lambda")
    S_T = Sum(exp(V(k) / T), (k, 1, n))
    J_T = -Sum(y[k] * log(exp(V(k) / T) / S_T), (k, 1, n))
    grad_T = -x[j] / T * (y[i] - exp(V(i) / T) / S_T * Y)
    assert check_identity(Derivative(J_T, w[i, j]), grad_T, ranges=RANGES, timeout=BUDGET).ok
    J_L2 = J + lam / 2 * Sum(w[k, l] ** 2, (k, 1, n), (l, 1, m))
    grad = -x[j] * (y[i] - p_i * Y) + lam * w[i, j]
    assert check_identity(Derivative(J_L2, w[i, j]), grad, ranges=RANGES, timeout=BUDGET).ok
    assert check_identity(Derivative(J_L2, w[i, j]), grad + lam * w[i, j],
                          ranges=RANGES, timeout=BUDGET).status == "refuted"


def test_free_index_is_not_captured_by_a_bound_one():
    # d/dw_i sum_i w_i^2 = 2 w_i (the summation i is not the free i)
    assert check_identity(Derivative(Sum(w[i] ** 2, (i, 1, n)), w[i]), 2 * w[i],
                          ranges={i: (1, n)}, timeout=BUDGET).ok


def test_index_range_matters():
    # for i = n + 1 the entry w_i is not in the sum: the derivative is 0 there, not 2 w_i
    claim = (Derivative(Sum(w[k] ** 2, (k, 1, n)), w[i]), 2 * w[i])
    assert check_identity(*claim, ranges={i: (1, n)}, timeout=BUDGET).ok
    wide = check_identity(*claim, ranges={i: (1, n + 1)}, timeout=BUDGET)
    assert wide.status == "refuted" and wide.counterexample[i] == wide.counterexample[n] + 1


def test_unknown_has_a_reason_and_the_budget_holds():
    hard = sympy.Symbol("t")
    lhs = Sum(exp(sympy.sin(w[k]) ** 7 + x[k] ** 5), (k, 1, n)) ** 3
    start = time.perf_counter()
    check = check_identity(lhs, lhs + sympy.exp(-exp(hard ** 2)) * 0 + 1e-40 * hard,
                           timeout=1.5)
    assert time.perf_counter() - start < 1.5 + 1.0
    assert check.status in ("unknown", "refuted")
    if check.status == "unknown":
        assert check.reason


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(lhs=[1], rhs=x[1]), TypeError, r"\[1\]"),
    (dict(lhs=x[i], rhs=x[i], ranges={i: (1,)}), ValueError, "range of i"),
    (dict(lhs=x[i], rhs=x[i], ranges={"i": (1, n)}), TypeError, "'i'"),
    (dict(lhs=x[i], rhs=x[i], assume=[x[1] > 0]), ValueError, "not an equation"),
    (dict(lhs=x[i], rhs=x[i], timeout=0), ValueError, "timeout"),
])
def test_bad_input_is_refused_with_the_value_named(kwargs, error, text):
    with pytest.raises(error, match=text):
        check_identity(**kwargs)


def test_differentiate_refuses_a_bad_variable():
    with pytest.raises(TypeError, match="wrt"):
        differentiate(J, w[i, j] + 1)


def test_differentiate_within_a_budget():
    bounded = differentiate(J, w[i, j], ranges=RANGES, timeout=BUDGET)
    assert bounded == differentiate(J, w[i, j], ranges=RANGES)
    huge = w[1]
    for _ in range(40):            # a cheap tree whose derivative doubles at every level
        huge = sympy.sin(huge * x[1] + huge ** 2)
    start = time.perf_counter()
    with pytest.raises(TimeoutError, match="differentiate"):
        differentiate(huge, w[1], timeout=0.2)
    assert time.perf_counter() - start < 0.2 + 1.0


def test_shifted_ranges_compare_for_all_sizes():
    shifted = check_identity(Sum(x[k], (k, 1, n)), Sum(x[k + 1], (k, 0, n - 1)), timeout=BUDGET)
    assert shifted.status == "proved" and shifted.sizes is None


def test_a_claim_only_checkable_at_sizes_says_which_sizes():
    # a telescoping sum: not a summand-wise match, so checked at every size of the grid
    telescoping = check_identity(Sum(x[k] - x[k + 1], (k, 1, n)), x[1] - x[n + 1],
                                 timeout=BUDGET)
    assert telescoping.status == "proved" and telescoping.sizes is not None
    assert {n: 1} in telescoping.sizes and {n: 2} in telescoping.sizes
    off_by_one = check_identity(Sum(x[k], (k, 1, n)), Sum(x[k], (k, 0, n - 1)), timeout=BUDGET)
    assert off_by_one.status == "refuted" and off_by_one.counterexample[n] == 1


def test_an_index_without_a_range_is_not_guessed():
    check = check_identity(Sum(w[k] ** 2, (k, 1, n)).diff(w[i]), 2 * w[i] + x[1] * 0 + 1,
                           timeout=BUDGET)
    assert check.status == "unknown" and "range of the index i" in check.reason


def test_sums_written_out_agree_with_sympy_doit():
    from derivation.proofs.instances import expand_sums

    rng = random.Random(11)
    for _ in range(6):
        lo, hi = rng.randint(-2, 2), rng.randint(-3, 3)
        inner = Sum(w[k, l] * x[l] ** rng.randint(1, 2), (l, 1, rng.randint(1, 3)))
        expr = Sum(exp(inner) + b[k], (k, lo, hi)) * Sum(y[l], (l, hi, lo))
        assert sympy.expand(expand_sums(expr) - expr.doit()) == 0


@pytest.mark.parametrize("seed", range(4))
def test_perturbed_identities_are_never_proved(seed):
    # equal by construction, then perturbed by a term that is not 0: never "proved"
    rng = random.Random(seed)
    base = [J, -Sum(y[k] * V(k), (k, 1, n)) + Y * log(S), -x[j] * (y[i] - p_i * Y)][seed % 3]
    perturbation = rng.choice([x[j] * b[i], exp(b[i]) / S, Rational(1, 10 ** 6) * y[i],
                               KroneckerDelta(i, j) * w[i, j]])
    check = check_identity(base, base + perturbation, ranges=RANGES, timeout=3)
    assert check.status != "proved"


def test_sizes_and_counterexamples_use_the_callers_symbols():
    plain_n = sympy.Symbol("n")                              # not declared a positive integer
    check = check_identity(Sum(x[k] - x[k + 1], (k, 1, plain_n)), x[1] - x[plain_n + 1],
                           timeout=BUDGET)
    assert check.ok and all(set(c) == {plain_n} for c in check.sizes)
    wrong = check_identity(Sum(x[k], (k, 1, plain_n)), plain_n * x[1], timeout=BUDGET)
    assert wrong.status == "refuted" and plain_n in wrong.counterexample
    assert wrong.counterexample[plain_n] == 2


def _nested(depth):
    tree = w[1]
    for _ in range(depth):
        tree = sympy.sin(tree * x[1] + tree ** 2)
    return tree


@pytest.mark.parametrize("lhs, rhs", [
    (Sum(x[k], (k, 1, 10 ** 7)), Sum(x[k], (k, 2, 10 ** 7)) + x[1]),     # ten million terms
    (Sum(exp(x[k]) ** (10 ** 9), (k, 1, n)) ** 7, Sum(exp(x[k]), (k, 1, n)) ** 7),
    (_nested(40), 0),                       # a shared tree of 2^40 nodes as a tree
    (sympy.Add(*[exp(w[t] * x[t]) for t in range(1, 3000)]), 0),      # a large input
])
def test_the_budget_holds_whatever_the_input(lhs, rhs):
    start = time.perf_counter()
    check = check_identity(lhs, rhs, timeout=1.0)
    assert time.perf_counter() - start < 1.0 + 1.0
    assert check.status in ("proved", "unknown", "refuted") and check.elapsed < 2.0
    if check.status == "unknown":
        assert check.reason


@pytest.mark.slow
def test_instances_proved_by_the_checker_count_as_proved():
    # the all-sizes normal form does not rewrite sinh; every instance is proved by
    # equivalent (which writes sinh u = (e^u - e^{-u})/2)
    z = IndexedBase("z")
    check = check_identity(sympy.sinh(z[i]), (exp(z[i]) - exp(-z[i])) / 2, ranges={i: (1, n)},
                           timeout=BUDGET)
    assert check.status == "proved", check.reason
    assert check.sizes is not None and {n: 2} in check.sizes


def test_exp_of_a_real_quotient_is_positive_for_all_sizes():
    # T is only real (1/T is undefined at T = 0, so SymPy leaves e^{z_i/T} > 0 open); the
    # structure shows e^{real} > 0 and a sum of n >= 1 such terms > 0, wherever defined
    T = sympy.Symbol("T")
    z = IndexedBase("z")
    S_T = Sum(exp(z[k] / T), (k, 1, n))
    check = check_identity(log(exp(z[i] / T) / S_T), z[i] / T - log(S_T), ranges={i: (1, n)},
                           timeout=BUDGET)
    assert check.status == "proved" and check.sizes is None, check.reason
    # over a range that may be empty or reversed (n - 2 < 1: at n = 1 the sum is
    # -e^{z_0/T} < 0 in Karr's convention), ln S^2 = 2 ln S is not shown for all sizes
    from derivation.proofs import sums
    real_T, real_z = sympy.Symbol("T", real=True), IndexedBase("z", real=True)
    S_short = Sum(exp(real_z[k] / real_T), (k, 1, n - 2))
    assert not sums.is_zero(log(S_short ** 2) - 2 * log(S_short))
    assert sums.is_zero(log(S_T.xreplace({T: real_T, z: real_z}) ** 2)
                        - 2 * log(S_T.xreplace({T: real_T, z: real_z})))


@pytest.mark.parametrize("rewrite", [sympy.expand, sympy.together, sympy.factor_terms,
                                     lambda e: sympy.powsimp(e, combine="exp"),
                                     lambda e: sympy.expand_log(e), sympy.cancel])
def test_sympys_own_rewrites_are_never_refuted(rewrite):
    # oracle: SymPy's rewrites (without force) of the seed's expressions are equal to them
    for expr in (J, -x[j] * (y[i] - p_i * Y), exp(V(i)) * x[j] / S * (1 - p_i),
                 Sum((Sum(w[k, l] * x[l], (l, 1, m)) - y[k]) ** 2, (k, 1, n))):
        check = check_identity(expr, rewrite(expr), ranges=RANGES, timeout=BUDGET)
        assert check.status != "refuted", (expr, check.reason)
        # (SymPy's expand writes e^{sum} as a Product of exponentials: normalised back)
        assert check.status == "proved" and check.sizes is None, (expr, check.reason)


def _batch():
    """Mean cross-entropy over N examples (superscript k), its gradient, the assumption."""
    q = sympy.Symbol("q", integer=True)

    def logit(a, e):
        return Sum(w[a, l] * x[l, e], (l, 1, m)) + b[a]

    def prob(a, e):
        return exp(logit(a, e)) / Sum(exp(logit(q, e)), (q, 1, n))

    J_batch = Sum(-Sum(y[q, k] * log(prob(q, k)), (q, 1, n)), (k, 1, N)) / N
    grad = Sum((prob(i, k) - y[i, k]) * x[j, k], (k, 1, N)) / N
    return J_batch, grad, Eq(Sum(y[q, k], (q, 1, n)), 1)


def test_an_assumption_for_every_example_is_used_inside_the_sum_over_examples():
    J_batch, grad, one_hot = _batch()
    ranges = {i: (1, n), j: (1, m), k: (1, N)}      # k is free only in the assumption
    proved = check_identity(Derivative(J_batch, w[i, j]), grad, ranges=ranges,
                            assume=[one_hot], timeout=BUDGET)
    assert proved.status == "proved" and proved.sizes is None
    assert check_identity(Derivative(J_batch, w[i, j]), grad, ranges=ranges,
                          timeout=BUDGET).status == "refuted"
    summed = check_identity(Derivative(J_batch, w[i, j]), N * grad, ranges=ranges,
                            assume=[one_hot], timeout=BUDGET)
    assert summed.status == "refuted" and summed.counterexample[N] >= 2


def test_an_assumption_for_every_example_is_not_used_beyond_its_range():
    # stated for k = 1..N - 1 only: the example k = N is unconstrained
    J_batch, grad, one_hot = _batch()
    check = check_identity(Derivative(J_batch, w[i, j]), grad, assume=[one_hot],
                           ranges={i: (1, n), j: (1, m), k: (1, N - 1)}, timeout=BUDGET)
    assert check.status == "refuted"
