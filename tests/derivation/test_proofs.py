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
