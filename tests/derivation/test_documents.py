"""The document reader on small documents, one construct each."""

import pytest

from derivation import documents
from derivation.documents import DocumentCheck, DocumentStep, check_document


def steps(text, **kw):
    return check_document(text, **kw).steps


def test_api_types():
    res = check_document("Let $a = 2$ and $b = a + a$. Then $$b = 4$$")
    assert isinstance(res, DocumentCheck) and all(isinstance(s, DocumentStep) for s in res.steps)
    assert [s.line for s in res.steps] == [1, 1, 1]
    assert [s.status for s in res.steps] == ["given", "given", "proved"]
    assert res.ok and res.status == "proved" and res.counts["proved"] == 1
    assert res.to_dict()["steps"][2]["base"] is None


def test_inline_math_in_prose_and_lines():
    text = "Intro\n\nLet $z_i = 2 x_i$ be the score, for $i = 1, \\dots, n$.\n\n$$z_i = x_i + x_i$$\n"
    s = steps(text)
    assert [(x.line, x.kind, x.status) for x in s] == [
        (3, "definition", "given"), (3, "range", "given"), (5, "equality", "proved")]


def test_equals_chain_each_link_a_step_and_row_starting_with_equals():
    text = "$$q = (a+b)^2 = a^2 + 2ab + b^2$$\n\n$$= a^2 + b^2$$\n"
    s = steps(text)
    assert [x.status for x in s] == ["given", "proved", "refuted"]
    assert s[2].base is s[1] and s[2].line == 3
    assert s[2].counterexample and {"a", "b"} <= set(s[2].counterexample)


def test_aligned_rows_on_one_line_share_it():
    text = "$$\\begin{aligned} f &= (x+1)^2 \\\\ &= x^2 + 2x + 1 \\\\ &= x^2 + 1 \\end{aligned}$$"
    s = steps(text)
    assert [x.line for x in s] == [1, 1, 1]
    assert [x.status for x in s] == ["given", "proved", "refuted"]


def test_sums_with_and_without_bounds_and_ellipsis_reading():
    text = ("Let $s = \\sum_{j=1}^{m} x_j$.\n\n"
            "$$s = x_1 + x_2 + \\dots + x_m$$\n\n$$\\sum_j x_j = s$$\n")
    s = steps(text)
    assert [x.status for x in s] == ["given", "proved", "proved"]
    assert "read as Σ_{k=1}^{m}" in s[1].reading or "read as (Σ" in s[1].reading
    assert s[1].sizes is None          # for all m


def test_ellipsis_misread_trap_not_proved():
    # x_1 + x_3 + ... + x_n is not Σ x_k; the reader must not prove it equal to the sum
    text = "Let $s = \\sum_{j=1}^{n} x_j$.\n\n$$s = x_1 + x_3 + \\dots + x_n$$\n"
    s = steps(text)
    assert s[1].status != "proved"


def test_softmax_entry_and_hat():
    text = ("Let $z_i = w_i + c$ for $i = 1, \\dots, n$. Let $\\hat{y}_i = \\text{softmax}(z)_i$.\n\n"
            "$$\\hat{y}_i = \\frac{e^{z_i}}{\\sum_{k=1}^{n} e^{z_k}}$$\n")
    s = [x for x in steps(text) if x.kind != "range"]
    assert [x.status for x in s][-1] == "proved"


def test_function_definition_and_derivative():
    text = ("Let $\\sigma(z) = \\frac{1}{1 + e^{-z}}$.\n\n"
            "$$\\frac{d\\sigma}{dz} = \\sigma(z)(1 - \\sigma(z))$$\n\n"
            "$$\\frac{d\\sigma}{dz} = \\sigma(z)^2$$\n")
    s = steps(text)
    assert [x.status for x in s] == ["given", "proved", "refuted"]
    assert s[1].kind == "derivative"
    assert s[2].base is s[1]           # against the previous claim about dσ/dz


def test_derivative_claim_indexed_and_operator():
    text = ("Let $v_i = \\sum_{j=1}^{m} w_{ij} x_j + b_i$ for $i = 1, \\dots, n$.\n\n"
            "$$\\frac{\\partial v_i}{\\partial w_{ij}} = x_j$$\n\n"
            "$$\\frac{\\partial}{\\partial w_{ij}} v_i^2 = 2 v_i x_j$$\n\n"
            "$$\\frac{\\partial v_i}{\\partial b_i} = 0$$\n")
    s = [x for x in steps(text) if x.kind != "range"]
    assert [x.status for x in s] == ["given", "proved", "proved", "refuted"]


def test_update_rules_against_the_previous():
    text = ("Let $J = (w - 3)^2$.\n\n$$w := w - \\alpha \\frac{\\partial J}{\\partial w}$$\n\n"
            "$$w := w - 2 \\alpha (w - 3)$$\n\n$$w := w - \\alpha (w - 3)$$\n")
    s = steps(text)
    assert [(x.kind, x.status) for x in s] == [
        ("definition", "given"), ("update", "given"), ("update", "proved"),
        ("update", "refuted")]
    assert s[3].base is s[2]


def test_stated_assumption_used_later_and_repair():
    text = ("Let $S = \\sum_{k=1}^{n} t_k$ and $L = -\\sum_{k=1}^{n} t_k \\ln p_k$.\n\n"
            "Note: $S = 1$\n\n$$S t_1 = t_1$$\n")
    s = steps(text)
    note = s[2]
    assert note.kind == "assumption" and note.status == "given"
    assert "not an identity" in note.reading
    assert s[3].status == "proved" and s[3].assumptions == (note,)


def test_unreadable_construct_is_unknown_with_named_reason():
    s = steps("$$a = \\int_0^1 x \\, dx$$")
    assert s and s[0].status == "unknown" and s[0].reason


@pytest.mark.parametrize("text", ["", "no math at all", "$$$$", "$\\frac{$", "$$= 2$$",
                                  "$$\\begin{aligned} & \\end{aligned}$$", "$x = = y$",
                                  "\x00\x01 $a^{{{{$", "$$" + "(" * 300 + "$$"])
def test_garbage_never_crashes(text):
    res = check_document(text, timeout=5)
    assert res.status in ("proved", "refuted", "unknown")
    for s in res.steps:
        assert s.status in ("unknown", "given", "proved", "refuted")


def test_bad_arguments():
    with pytest.raises(TypeError):
        check_document(b"$a = 1$")
    with pytest.raises(ValueError):
        check_document("$a = 1$", timeout=0)


def test_seed_path_is_package_data():
    assert documents.SEED_PATH.is_file()


def test_ellipsis_with_a_step_of_two_is_refused_not_misread():
    s = steps("Let $s = \\sum_{j=1}^{n} x_j$.\n\n$$s = x_1 + x_3 + \\dots + x_n$$\n")
    assert s[1].status == "unknown" and "step by 1" in s[1].reason


def test_example_superscripts_in_sums_are_examples_not_powers():
    text = ("Let $J = \\sum_{k=1}^{N} (y^{(k)} - w x^{(k)})^2$.\n\n"
            "$$\\frac{\\partial J}{\\partial w} = -2 \\sum_{k=1}^{N} x^{(k)} (y^{(k)} - w x^{(k)})$$\n\n"
            "$$\\frac{\\partial J}{\\partial w} = -2 \\sum_{k=1}^{N} x^{(k)} y^{(k)}$$\n")
    s = steps(text)
    assert "x^{(k)} read as x at training example k" in s[0].reading
    assert [x.status for x in s] == ["given", "proved", "refuted"]
    assert "N" in s[2].counterexample   # found at a concrete number of examples


def test_refuted_step_repaired_by_labels_summing_to_one():
    text = ("Let $p_i = \\frac{e^{z_i}}{\\sum_{k=1}^{n} e^{z_k}}$ and "
            "$J = -\\sum_{i=1}^{n} t_i \\ln p_i$.\n\n"
            "$$\\frac{\\partial J}{\\partial z_i} = p_i - t_i$$\n")
    s = steps(text)
    assert s[2].kind == "derivative" and s[2].status == "refuted"
    assert s[2].repair == "Σ_k t_k = 1"
    assert s[2].base is s[1]


def test_function_application_and_names():
    s = steps("Let $f(x) = x^2$.\n\n$$f(3) = 9$$\n\n$$f(2) = 5$$")
    assert [x.status for x in s] == ["given", "proved", "refuted"]
    assert "applies the function defined on line 1" in s[1].reading


def test_unknown_function_named():
    (s,) = steps("$$a = \\operatorname{sgn}(x)$$")
    assert s.status == "unknown" and "sgn" in s.reason


def test_undefined_letter_before_parentheses_is_a_product_and_said_so():
    s = steps("Let $q = a + b$.\n\n$$q = L(a + b)$$\n")
    assert s[1].status == "refuted"
    assert "L(a + b) read as the product" in s[1].reading


def test_matrix_defines_a_vector():
    text = ("Let $$z = \\begin{bmatrix} a \\\\ b \\end{bmatrix}$$\n\n$$\\sum_k z_k = a + b$$\n\n"
            "$$\\text{softmax}(z)_1 = \\frac{e^a}{e^a + e^b}$$\n\n$$z_2 = a$$\n")
    s = steps(text)
    assert [x.status for x in s] == ["given", "proved", "proved", "refuted"]
    assert "z is the vector (a, b)" in s[0].reading


def test_big_powers_stay_within_the_budget():
    import time
    t = time.perf_counter()
    res = check_document("Let $q = (a + b)^{400}$.\n\n$$q = (b + a)^{400}$$\n\n$$q = a^{400}$$\n",
                         timeout=6)
    assert time.perf_counter() - t < 20
    assert res.steps[1].status in ("proved", "unknown")
    assert res.steps[2].status in ("refuted", "unknown")


def test_lists_are_read_not_checked():
    (s,) = steps("The inputs $x_1, \\dots, x_m$ are real.")
    assert s.kind == "list" and s.status == "given"


def test_one_hot_premise_used_by_the_derivative():
    text = ("Let $p_i = \\frac{e^{z_i}}{\\sum_{k=1}^{n} e^{z_k}}$ and "
            "$J = -\\sum_{i=1}^{n} y_i \\ln p_i$.\n\n"
            "The labels are one-hot, so $\\sum_i y_i = 1$.\n\n"
            "$$\\frac{\\partial J}{\\partial z_i} = p_i - y_i$$\n")
    s = steps(text)
    premise, claim = s[2], s[3]
    assert premise.kind == "assumption" and premise.status == "given"
    assert "not an identity, assumed from here on" in premise.reading
    assert claim.status == "proved" and claim.assumptions == (premise,)
    assert premise.line == 3 and claim.line == 5


def test_a_defined_e_is_not_eulers_number():
    s = steps("Let $e = 2$.\n\n$$e^3 = 8$$\n")
    assert s[1].status == "proved" and "Euler" not in s[1].reading
    s = steps("$$e^0 = 1$$\n\n$$\\ln e = 1$$\n")
    assert [x.status for x in s] == ["proved", "proved"]
    assert "e read as Euler's number" in s[0].reading


def test_approximation_is_unknown_not_given():
    (s,) = steps("$$\\pi \\approx 3.14$$")
    assert s.status == "unknown" and "approx" in s.reason
