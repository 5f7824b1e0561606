"""The interactive "check my gradient" checker (derivation.interactive), outside any notebook."""

import importlib.util

import pytest
import sympy

from derivation.errors import ParseError
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


# --- swapped indices -----------------------------------------------------------------
def _y(k):
    return sympy.Symbol(f"y'_{k}", real=True)


@pytest.mark.parametrize("assume", [False, True])
def test_swapped_indices_out_of_range_are_refuted_with_a_reason(assume):
    # x_i with i over the classes 1..3, but x has only the features 1..2
    result = check_candidate("x_i*(p_j - y_j)", n=3, m=2, assume_normalized=assume)
    assert result.status == "refuted", str(result)
    assert not result and result.error is None
    f = result.failure
    assert (f.i, f.j) == (3, 1) and f.missing == ("x_3",)
    assert f.verdict.status == "refuted" and f.verdict.counterexample is None
    assert result.counterexample is None
    reason = f.verdict.reason
    assert "x_i" in reason and "features j = 1..2" in reason and "classes 1..3" in reason
    assert "x_3" in reason and "swapped" in reason
    text = str(result)
    assert "Could not read" not in text and "x_3" in result.summary()
    assert reason in text
    assert "x\\_3" in result._repr_markdown_() and "swapped" in result._repr_html_()


def test_swapped_class_index_with_more_features_than_classes():
    # p_j, y_j with j over the features 1..3, but only 2 classes: fails at entry (1, 3)
    result = check_candidate("x_i*(p_j - y_j)", n=2, m=3)
    assert result.status == "refuted", str(result)
    f = result.failure
    assert (f.i, f.j) == (1, 3)
    assert f.missing == ("p_3", "y'_3")
    assert "classes i = 1..2" in f.verdict.reason and "features 1..3" in f.verdict.reason


def test_swapped_weight_indices_and_bias_candidate():
    w = check_candidate("-w_ji", n=3, m=2)
    assert w.status == "refuted" and "second index of w" in w.failure.verdict.reason
    assert w.failure.missing == ("w_13",)
    b = check_candidate("x_i*(p_i - y_i)", n=3, m=2, wrt="b")
    assert b.status == "refuted" and b.failure.label == "dJ/db_3"
    assert "x_3" in b.failure.verdict.reason


def test_swapped_indices_in_the_square_case_are_refuted_numerically():
    # n == m: every name exists, so the entries are checked; the counterexample is real
    result = check_candidate("x_i*(p_j - y_j)", n=2, m=2, assume_normalized=True)
    assert result.status == "refuted", str(result)
    f = result.failure
    point = f.verdict.counterexample
    assert point
    assert abs(_value_at(f.candidate, point) - _value_at(f.truth, point)) > 1e-20
    assert any("swapped" in note and "x_i" in note for note in result.notes)
    correct = check_candidate("-x_j*(y'_i - p_i)", n=2, m=2, assume_normalized=True)
    assert correct.status == "proved" and not correct.notes


def test_swapped_index_in_range_gets_a_note():
    # x_i with n = 2 < m = 3 exists at every entry: checked numerically, with the note
    result = check_candidate("-x_i*(y'_i - p_i)", n=2, m=3, assume_normalized=True)
    assert result.status == "refuted" and result.counterexample
    assert any("x_i puts the class index i" in note for note in result.notes)


def test_names_the_model_lacks_are_errors_but_not_unreadable():
    result = check_candidate("-x_5*(y'_i - p_i)", n=3, m=2)
    assert result.status == "error" and "out of range" in result.error
    assert "Could not read" not in result.summary() and "does not have" in result.summary()
    with pytest.raises(ParseError, match="x_3"):
        candidate_entry("x_i", 3, 1, n=3, m=2)


# --- the label-sum hint ----------------------------------------------------------------
def test_refutation_without_assumption_notes_the_label_sum():
    result = check_candidate("-x_j*(y'_i - p_i)", n=3, m=2)
    assert result.status == "refuted", str(result)
    total = sum(result.counterexample.get(_y(k), 0) for k in (1, 2, 3))
    assert total != 1
    hint = result.label_sum_hint
    assert hint is not None and f"labels sum to {total} here" in hint
    assert "assume_normalized=True" in hint and "one-hot" in hint
    assert hint in str(result)
    assert "labels sum to" in result._repr_markdown_()


def test_no_label_sum_hint_under_the_assumption():
    result = check_candidate("x_j*(y'_i - p_i)", n=2, m=2, assume_normalized=True)
    assert result.status == "refuted"
    assert result.label_sum_hint is None and "labels sum to" not in str(result)


def test_no_label_sum_hint_when_the_labels_sum_to_one():
    from derivation.equivalence.checker import Verdict
    from derivation.interactive import EntryCheck

    x1 = sympy.Symbol("x_1", real=True)

    def refuted_at(point):
        verdict = Verdict(status="refuted", counterexample=point, lhs_value=sympy.Integer(0),
                          rhs_value=sympy.Integer(1), method="sample")
        entry = EntryCheck(i=1, j=1, candidate=x1, truth=x1, verdict=verdict, shown=x1,
                           shown_truth=x1)
        return CandidateCheck(text="x_1", status="refuted", n=2, m=2, wrt="w", candidate=x1,
                              entries=(entry,), total_entries=4)

    one = refuted_at({x1: sympy.Integer(1), _y(2): sympy.Integer(1)})
    assert one.label_sum_hint is None and "labels sum to" not in str(one)
    half = refuted_at({x1: sympy.Integer(1), _y(1): sympy.Rational(1, 2), _y(2): sympy.Integer(1)})
    assert "labels sum to 3/2 here" in half.label_sum_hint and "labels sum to" in str(half)


@pytest.mark.timeout(20)
def test_total_budget_exhausted_stops_at_first_unknown_entry():
    result = check_candidate("-x_j*(y'_i - exp(V_i)/S)", n=3, m=2, total_timeout=1e-9)
    assert result.status == "unknown" and not result
    assert len(result.entries) == 1
    assert result.failure.label == "dJ/dw_11"
    assert result.failure.verdict.reason == "time budget exhausted"
    assert "dJ/dw_11" in result.summary() and "time budget exhausted" in str(result)


@pytest.mark.timeout(20)
def test_total_budget_exhausted_reports_every_remaining_entry_when_asked():
    result = check_candidate("-x_j*(y'_i - exp(V_i)/S)", n=3, m=2, total_timeout=1e-9,
                             stop_at_unknown=False)
    assert result.status == "unknown"
    assert len(result.entries) == 6
    assert all(e.verdict.reason == "time budget exhausted" for e in result.entries)


@pytest.mark.timeout(30)
def test_total_budget_bounds_an_undecidable_looking_candidate():
    # sin^2 + cos^2 defeats the cheap normalisations: without a total budget, 6 entries
    # x `timeout` each; with it, the check stops at the first undecided entry
    result = check_candidate("-x_j*(y'_i - exp(V_i)/S)*(sin(V_i+S)**2+cos(V_i+S)**2)**3",
                             timeout=2, total_timeout=3, assume_normalized=True)
    assert result.status in ("unknown", "proved")
    if result.status == "unknown":
        assert len(result.entries) < result.total_entries


def test_total_timeout_must_be_positive():
    with pytest.raises(ValueError, match="total_timeout"):
        check_candidate("x_j", total_timeout=0)
