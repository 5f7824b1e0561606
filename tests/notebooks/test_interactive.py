"""The interactive "check my gradient" checker (derivation.interactive), outside any notebook."""

import importlib.util

import pytest
import sympy

from derivation.interactive import CandidateCheck, candidate_entry, check_candidate

SEED_FINAL_LATEX = r"-x_j \left(y_i - \frac{e^{v_i}}{V}\right)"


def _value_at(expr, point):
    return sympy.N(expr.xreplace(point), 30)


def test_correct_candidate_sympy_syntax_is_proved():
    result = check_candidate("-x_j*(y'_i - exp(V_i)*Y/S)", n=3, m=2)
    assert isinstance(result, CandidateCheck)
    assert result.status == "proved", str(result)
    assert bool(result)
    assert len(result.entries) == 6 == result.total_entries
    assert all(e.verdict.status == "proved" for e in result.entries)
    assert "PROVED" in str(result)


def test_soft_label_form_with_prediction_name_is_proved():
    result = check_candidate(r"x_j (p_i (y'_1 + y'_2) - y'_i)", n=2, m=2)
    assert result.status == "proved", str(result)


def test_seed_final_form_refuted_without_assumption():
    result = check_candidate(SEED_FINAL_LATEX, n=3, m=2)
    assert result.status == "refuted", str(result)
    assert not result
    failing = result.failure
    assert failing is not None and failing.verdict.status == "refuted"
    point = result.counterexample
    assert point
    # the counterexample really separates the two sides, and its labels do not sum to 1
    lhs, rhs = _value_at(failing.candidate, point), _value_at(failing.truth, point)
    assert abs(lhs - rhs) > 1e-20
    labels = sum(point.get(sympy.Symbol(f"y'_{k}", real=True), 0) for k in (1, 2, 3))
    assert labels != 1
    assert "REFUTED" in str(result) and "candidate =" in str(result)


def test_seed_final_form_proved_with_one_hot_assumption():
    result = check_candidate(SEED_FINAL_LATEX, n=3, m=2, assume_normalized=True)
    assert result.status == "proved", str(result)
    assert len(result.assumptions) == 1
    assert "assuming" in result.summary()


def test_wrong_sign_is_refuted_with_counterexample_and_values():
    result = check_candidate("x_j*(y'_i - p_i)", n=2, m=2, assume_normalized=True)
    assert result.status == "refuted", str(result)
    verdict = result.failure.verdict
    assert verdict.counterexample and verdict.lhs_value is not None and verdict.rhs_value is not None
    assert verdict.lhs_value != verdict.rhs_value
    # the first entry already fails; the point satisfies the assumption
    assert (result.failure.i, result.failure.j) == (1, 1)
    total = sum(verdict.counterexample.get(sympy.Symbol(f"y'_{k}", real=True), 0) for k in (1, 2))
    assert abs(sympy.N(total, 30) - 1) < 1e-25
    html = result._repr_html_()
    assert "REFUTED" in html and "<pre" in html
    assert "REFUTED" in result._repr_markdown_()


def test_entry_off_in_one_place_only_is_found():
    # right for j = 1, wrong for j = 2 (uses x_1 instead of x_j): the checker must find (i, 2)
    result = check_candidate("-x_1*(y'_i - p_i)", n=2, m=2, assume_normalized=True)
    assert result.status == "refuted"
    assert result.failure.j == 2


def test_bias_gradient():
    assert check_candidate("p_i*Y - y'_i", n=3, m=1, wrt="b").status == "proved"
    wrong = check_candidate("p_i - y'_i", n=3, m=1, wrt="b")
    assert wrong.status == "refuted"
    assert check_candidate("-x_j*(y'_i - p_i)", n=2, m=1, wrt="b").status == "error"


def test_hat_y_and_left_hand_side_are_accepted():
    result = check_candidate(r"\frac{\partial J}{\partial w_{ij}} = x_j (\hat{y}_i - y'_i)", n=2, m=2,
                             assume_normalized=True)
    assert result.status == "proved", str(result)
    assert result.notes


@pytest.mark.parametrize("text", ["-x_j*(y'_i - ", "__import__('os').system('echo hi')", "", "((((("])
def test_garbage_reports_a_parse_error_not_a_traceback(text):
    result = check_candidate(text)
    assert result.status == "error"
    assert result.error
    assert not result
    assert "Could not read" in str(result)
    assert "Could not read" in result._repr_html_() and "Traceback" not in str(result)
    assert "Could not read" in result._repr_markdown_()


def test_unknown_names_and_indices_are_errors():
    assert "z" in check_candidate("-x_j*z").error
    assert "k" in check_candidate("-x_k*(y'_i - p_i)").error
    assert "out of range" in check_candidate("-x_5*(y'_i - p_i)", m=2).error


def test_candidate_entry_substitutes_definitions():
    got = candidate_entry("-x_j*(y_i - exp(v_i)/V)", 2, 1, n=2, m=1)
    model_names = {s.name for s in got.free_symbols}
    assert model_names == {"x_1", "y'_2", "w_11", "w_21", "b_1", "b_2"}


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="wrt"):
        check_candidate("x_j", wrt="q")
    with pytest.raises(TypeError):
        check_candidate(3)
    with pytest.raises(ValueError):
        check_candidate("x_j", n=0)


@pytest.mark.skipif(importlib.util.find_spec("ipywidgets") is None, reason="ipywidgets not installed")
def test_widget_builds_and_button_produces_output():
    from derivation.interactive import gradient_checker_widget

    box = gradient_checker_widget(n=2, m=2)
    box.text.value = "x_j*(p_i - y'_i)"
    box.normalized.value = True
    box.button.click()  # runs the on_click handler
    assert box.last is not None and box.last.status == "proved"
    assert "PROVED" in box.result.value
    box.normalized.value = False
    outcome = box.check()
    assert outcome.status == "refuted" and "REFUTED" in box.result.value
    box.text.value = "x_j*("
    box.check()
    assert "ERROR" in box.result.value
    box.wrt.value = "b"
    assert "b_i" in box.text.description
