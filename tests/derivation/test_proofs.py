"""prove_gradients: every entry proved at small sizes, wrong formulas not proved."""

import pytest
import sympy

from derivation.model import SoftmaxModel
from derivation.proofs.concrete import logit_lemma, prove_gradients, residual_is_zero


@pytest.mark.parametrize("n, m", [(1, 1), (1, 3), (2, 1), (3, 2), (4, 4)])
def test_all_entries_proved(n, m):
    proof = prove_gradients(n, m)
    assert proof.holds and bool(proof)
    assert proof.lemma.holds
    assert len(proof.entries) == n * m + n
    assert all(e.status == "proved" and e.one_hot == "proved" for e in proof.entries)
    names = [e.name for e in proof.entries]
    assert names[0] == "w_11" and names[-1] == f"b_{n}"
    assert f"{n * m + n}/{n * m + n} entries proved" in str(proof)


def test_derivative_is_really_the_derivative_of_J():
    # the chain-rule derivative agrees with sympy.diff of the model's J at a point
    model = SoftmaxModel(2, 2)
    proof = prove_gradients(2, 2)
    point = {s: sympy.Rational(k + 1, 7) * (-1) ** k for k, s in enumerate(model.symbols())}
    for entry in proof.entries:
        direct = sympy.diff(model.J, entry.parameter).xreplace(point).evalf(30)
        assert abs(entry.derivative.xreplace(point).evalf(30) - direct) < 1e-25


def test_wrong_formula_for_one_entry_is_refuted_with_counterexample():
    model = SoftmaxModel(3, 2)
    wrong = model.grad_W_formula()
    # the seed's one-hot form is wrong for soft labels that do not sum to 1
    wrong[1, 0] = -model.x[0] * (model.y[1] - model.p[1])
    proof = prove_gradients(3, 2, expected_W=wrong)
    assert not proof.holds
    bad = [e for e in proof.entries if e.status != "proved"]
    assert [e.name for e in bad] == ["w_21"]
    entry = bad[0]
    assert entry.status == "refuted" and entry.counterexample
    difference = (entry.derivative - entry.expected).xreplace(entry.counterexample).evalf(30)
    assert abs(difference) > 1e-10
    assert "w_21: refuted" in str(proof)


def test_wrong_sign_on_bias_is_refuted():
    model = SoftmaxModel(2, 1)
    proof = prove_gradients(2, 1, expected_b=-model.grad_b_formula())
    assert not proof.holds
    assert [e.name for e in proof.failures] == ["b_1", "b_2"]


def test_residual_is_zero_is_exact_and_not_vacuous():
    model = SoftmaxModel(2, 2)
    assert not residual_is_zero(model.grad_W_formula()[0, 0] + model.x[0] * model.y[0])
    assert residual_is_zero(model.grad_W_formula()[0, 0] - model.grad_W_formula()[0, 0])
    # e^{V_1} / S with n = 1 is 1 only after splitting e^{a+b}: the fallback handles it
    one = SoftmaxModel(1, 1)
    assert residual_is_zero(one.p[0] - 1)
    assert not residual_is_zero(one.p[0] - 2)


def test_lemma():
    assert logit_lemma(SoftmaxModel(3, 1)).holds


def test_timeout_marks_remaining_entries_unknown():
    proof = prove_gradients(3, 3, timeout=1e-9)
    assert proof.timed_out and not proof.holds
    assert all(e.status == "unknown" for e in proof.entries)


@pytest.mark.parametrize("kwargs, error", [
    (dict(n=0, m=1), ValueError), (dict(n=1, m="2"), TypeError), (dict(n=2, m=2, timeout=0), ValueError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        prove_gradients(**kwargs)


def test_bad_expected_shape():
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        prove_gradients(2, 2, expected_W=sympy.zeros(2, 3))


@pytest.mark.timeout(20)
def test_timeout_bounds_the_whole_proof_including_the_lemma():
    # the budget is spent (model build + bounded lemma) long before 30*30 + 30 entries
    proof = prove_gradients(30, 30, timeout=0.3)
    assert proof.timed_out and not proof.holds and not proof
    assert len(proof.entries) == 30 * 30 + 30
    assert proof.count("unknown") > 0
    assert all(e.reason == "time budget exhausted" for e in proof.entries if e.status == "unknown")
    assert "time budget exhausted" in str(proof)


def test_timeout_must_be_positive():
    with pytest.raises(ValueError, match="timeout"):
        prove_gradients(2, 2, timeout=0)


# -- issue 9, class 8: "refuted" only with a counterexample confirmed as `equivalent` does --
def test_no_refutation_at_a_point_where_the_claim_has_no_real_value():
    # (x^3)^(1/3) - x is 0 wherever it is real (x >= 0) and non-real for x < 0: the old
    # witness refuted it with a complex "counterexample" at x_1 = -1/2
    model = SoftmaxModel(2, 1)
    x = model.x[0]
    claimed = model.grad_W_formula()
    claimed[0, 0] = claimed[0, 0] + (x ** 3) ** sympy.Rational(1, 3) - x
    proof = prove_gradients(2, 1, expected_W=claimed)
    entry = proof.entries[0]
    assert entry.status != "refuted" and entry.counterexample is None
    assert entry.status == "unknown" and entry.reason
    assert not proof.holds


def test_a_refuted_entry_carries_a_counterexample_that_equivalent_confirms():
    from derivation.equivalence.checker import equivalent

    model = SoftmaxModel(2, 2)
    wrong = model.grad_W_formula()
    wrong[1, 1] = 2 * wrong[1, 1]
    entry = [e for e in prove_gradients(2, 2, expected_W=wrong).entries if e.name == "w_22"][0]
    assert entry.status == "refuted"
    point = entry.counterexample
    lhs = entry.derivative.xreplace(point)
    rhs = entry.expected.xreplace(point)
    assert equivalent(lhs, rhs).status == "refuted"          # two constants that differ


def test_one_hot_reduction_refuted_only_with_a_confirmed_point():
    # a formula equal to the soft-label gradient but whose one-hot form is not the seed's
    model = SoftmaxModel(2, 1)
    Y = model.label_sum()
    claimed = model.grad_b_formula() + sympy.Matrix([Y - 1, Y - 1])
    proof = prove_gradients(2, 1, expected_b=claimed)
    b1 = [e for e in proof.entries if e.name == "b_1"][0]
    assert b1.status == "refuted"          # differs by Y - 1 for soft labels
    point = b1.counterexample
    assert sum(point[s] for s in model.y) != 1
    assert all(e.one_hot == "proved" for e in prove_gradients(2, 1).entries)


# -- issue 9, class 7: cost independent of SymPy's cache -------------------------------------
def test_proofs_never_key_on_long_subexpressions(monkeypatch):
    # the proof works on symbols for e^{V_k}, S and Y: it never builds the model's long
    # expressions, whose dictionary lookups were the cache-dependent cost
    from derivation import model as model_module

    def forbidden(self):
        raise AssertionError("the proof built the long expressions of the model")

    for name in ("E", "S", "p", "J"):
        monkeypatch.setattr(model_module.SoftmaxModel, name, property(forbidden))
    proof = prove_gradients(6, 5)
    assert proof.holds


def test_proof_after_the_cache_is_cleared_gives_the_same_entries():
    from sympy.core.cache import clear_cache

    first = prove_gradients(4, 3)
    clear_cache()
    second = prove_gradients(4, 3)
    assert first.holds and second.holds
    assert [e.general for e in first.entries] == [e.general for e in second.entries]


def test_model_build_is_cheap_and_lazy():
    import time

    start = time.perf_counter()
    model = SoftmaxModel(60, 60)
    assert time.perf_counter() - start < 1.0 + 0.5        # symbols only (no J yet)
    assert "J" not in vars(model) and "S" not in vars(model)


def test_results_share_the_vocabulary():
    proof = prove_gradients(2, 2)
    assert proof.ok and proof.status == "proved" and all(e.ok for e in proof.entries)
    model = SoftmaxModel(2, 2)
    wrong = prove_gradients(2, 2, expected_b=-model.grad_b_formula())
    assert not wrong.ok and wrong.status == "refuted"
    assert prove_gradients(3, 3, timeout=1e-9).status == "unknown"


@pytest.mark.timeout(30)
def test_the_budget_covers_the_model_build_at_the_largest_size():
    # issue 9, class 4: building SoftmaxModel(60, 60) took ~2 s before the budget applied
    import time

    start = time.perf_counter()
    proof = prove_gradients(60, 60, timeout=0.5)
    assert time.perf_counter() - start < 0.5 + 2.0
    assert proof.timed_out and proof.status == "unknown"
