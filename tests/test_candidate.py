"""check_candidate: a student's dJ/dw_ij as a one-line document on the model, for all n, m.

The verdicts are the mathematics': with J = -sum_i y'_i ln p_i,
dJ/dw_ij = x_j (p_i sum_k y'_k - y'_i) and dJ/db_i = p_i sum_k y'_k - y'_i, which are
x_j (p_i - y'_i) and p_i - y'_i exactly when the labels sum to 1. Counterexamples are
checked against SymPy's own derivative of the concrete model at the sizes they name.
"""

from __future__ import annotations

import pytest

from derivation import check_candidate
from derivation.candidate import CandidateCheck, model_document, to_latex

NEEDS_SUM = [  # equal to the gradient when sum_k y'_k = 1, not otherwise
    "x_j*(p_i - y_i)",
    r"x_j (p_i - y'_i)",
    r"x_j \left(\mathrm{softmax}(V)_i - y_i\right)",
    "x_j*(softmax(z)_i - y_i)",
    r"x_j \left(\sigma(z)_i - y'_i\right)",
    r"-x_j \left(y_i - \frac{e^{V_i}}{\sum_{k=1}^{n} e^{V_k}}\right)",
    r"-x_j \left(y_i - \frac{e^{v_i}}{V}\right)",          # the seed's final line
    r"\frac{\partial J}{\partial w_{ij}} = x_j (\hat{y}_i - y'_i)",
    "x_j*(yhat_i - y'_i)",
]
EXACT = [  # equal to the gradient for any labels
    r"-x_j \left[ y_i - \frac{e^{v_i} Y}{V} \right]",     # the seed's boxed line
    "-x_j*(y'_i - exp(V_i)*Y/S)",
    r"x_j \left(p_i \sum_{k=1}^{n} y'_k - y'_i\right)",
]


@pytest.mark.parametrize("text", NEEDS_SUM)
def test_one_hot_forms_are_proved_for_all_sizes_under_the_label_sum(text):
    result = check_candidate(text, assume_normalized=True)
    assert isinstance(result, CandidateCheck)
    assert result.status == "proved", str(result)
    assert result.ok and bool(result)
    assert result.sizes is None, "proved at concrete sizes only"
    assert "PROVED" in str(result) and "for all n, m" in str(result)


@pytest.mark.parametrize("text", NEEDS_SUM[:4])
def test_one_hot_forms_are_refuted_without_the_label_sum(text):
    result = check_candidate(text)
    assert result.status == "refuted", str(result)
    assert not result.ok
    point = result.counterexample
    assert point
    labels = [v for k, v in point.items() if str(k).startswith("y")]
    assert labels and sum(labels) != 1  # the point's labels do not sum to 1
    assert "counterexample" in str(result)


@pytest.mark.parametrize("text", EXACT)
def test_soft_label_forms_are_proved_with_no_assumption(text):
    result = check_candidate(text)
    assert result.status == "proved", str(result)
    assert result.sizes is None


def test_wrong_sign_is_refuted_even_under_the_label_sum():
    result = check_candidate("x_j*(y'_i - p_i)", assume_normalized=True)
    assert result.status == "refuted", str(result)
    assert result.counterexample
    assert "REFUTED" in result._repr_html_() and "REFUTED" in result._repr_markdown_()


def test_bias_gradient():
    assert check_candidate("p_i*Y - y'_i", wrt="b").status == "proved"
    assert check_candidate("p_i - y'_i", wrt="b", assume_normalized=True).status == "proved"
    assert check_candidate("p_i - y'_i", wrt="b").status == "refuted"
    # dJ/db_i has no feature in it
    assert check_candidate("x_j*(p_i - y'_i)", wrt="b", assume_normalized=True).status == "refuted"


@pytest.mark.parametrize("text", ["-x_j*(y'_i - ", "__import__('os').system('echo hi')", "",
                                  "(((((", r"\frac{x_j}{", "x_j*(p_i - y_i", "   "])
def test_unreadable_input_is_an_error_that_says_what_to_write(text):
    result = check_candidate(text)
    assert result.status == "error", str(result)
    assert not result.ok
    assert "Could not read" in str(result) and "Traceback" not in str(result)
    assert "Write the gradient in the model's names" in result.error
    assert "x_j (p_i - y'_i)" in result.error
    assert "Could not read" in result._repr_html_() and "Could not read" in result._repr_markdown_()


def test_the_document_states_the_model_and_the_claim():
    text = model_document(r"x_j (\hat{y}_i - y_i)", assume_normalized=True)
    assert r"$$V_i = \sum_{j=1}^{m} w_{ij} x_j + b_i$$" in text
    assert r"$$J = -\sum_{i=1}^{n} y'_i \ln p_i$$" in text
    assert r"$$y_i = y'_i$$" in text and r"$$\hat{y}_i = p_i$$" in text
    assert r"\sum_{k=1}^{n} y'_k = 1" in text
    assert text.rstrip().endswith(r"$$\frac{\partial J}{\partial w_{ij}} = x_j (\hat{y}_i - y_i)$$")
    assert r"$$v_i = V_i$$" not in text  # only the names the candidate uses


def test_sympy_syntax_is_printed_to_latex_by_sympy():
    latex, notes = to_latex("-x_j*(y'_i - exp(V_i)/S)", "auto")
    assert latex == r"- x_{j} \left(y'_{i} - \frac{e^{V_{i}}}{S}\right)"
    assert "read in SymPy syntax" in notes
    latex, _ = to_latex("softmax(z)_i", "auto")  # not SymPy syntax: LaTeX with commands
    assert latex == r"\mathrm{softmax}(z)_i"


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="wrt"):
        check_candidate("x_j", wrt="q")
    with pytest.raises(TypeError):
        check_candidate(3)
    with pytest.raises(ValueError):
        check_candidate("x_j", n=0)
    with pytest.raises(ValueError, match="timeout"):
        check_candidate("x_j", timeout=0)
    with pytest.raises(ValueError, match="syntax"):
        check_candidate("x_j", syntax="python")


@pytest.mark.parametrize("text, name", [("-x_j*z", "'z'"), (r"x_j (q_i - p_i)", "'q_i'"),
                                        (r"\alpha x_j (p_i - y_i)", r"'\\alpha'")])
def test_names_the_model_lacks_are_refused_by_name(text, name):
    result = check_candidate(text, assume_normalized=True)
    assert result.status == "error", str(result)
    assert f"{name} is not a name of the model" in result.error
    assert "Names: " in result.error  # the vocabulary, i.e. what to write instead


def test_dollar_signs_cannot_end_the_formula_inside_the_model_document():
    # a "$" would close the claim and let the text add its own lines to the model
    result = check_candidate("0$$\n\n$$\\frac{\\partial J}{\\partial w_{ij}} = 0")
    assert result.status == "error" and "without '$' signs" in result.error
    pasted = check_candidate("$x_j (p_i - y'_i)$", assume_normalized=True)  # delimiters dropped
    assert pasted.latex == "x_j (p_i - y'_i)"
    assert check_candidate("x_j\n(p_i - y'_i)").latex == "x_j (p_i - y'_i)"
