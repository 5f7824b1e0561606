"""Properties of the document reader on generated input: never a crash, every step has a
status and a line inside the document, the budget is kept, and a claim that differs from
its base at a random point is never "proved"."""

import time

import hypothesis.strategies as st
from hypothesis import given, settings

from derivation.documents import check_document

PIECES = ["$", "$$", "\\frac{", "}", "{", "=", ":=", "x_i", "\\sum_{k=1}^{n}", "\\dots", "+",
          "\\ln", "e^{", "(", ")", "\\begin{aligned}", "\\end{aligned}", "&", "\\\\", "\n",
          "Note: ", "a", "b", "2", "\\partial", "w_{ij}", "\\text{x}", "^", "_", " "]


@settings(max_examples=30)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_random_markdown_never_crashes(pieces):
    text = "".join(pieces)
    t = time.perf_counter()
    res = check_document(text, timeout=3)
    assert time.perf_counter() - t < 3 + 10 + 5   # budget + one check's slice + grace
    lines = text.count("\n") + 1
    for s in res.steps:
        assert s.status in ("given", "proved", "refuted", "unknown")
        assert 1 <= s.line <= lines
        if s.status == "unknown":
            assert s.reason
    res.to_dict()


@settings(max_examples=15)
@given(st.integers(1, 5), st.integers(-3, 3).filter(lambda c: c != 0))
def test_a_wrong_coefficient_is_never_proved(a, c):
    # (x + a)^2 = x^2 + 2a x + a^2 is true; perturbing the middle coefficient breaks it
    text = (f"Let $q = (x + {a})^2$.\n\n$$q = x^2 + {2 * a} x + {a * a}$$\n\n"
            f"$$q = x^2 + {2 * a + c} x + {a * a}$$\n")
    s = check_document(text, timeout=20).steps
    assert s[1].status == "proved"
    assert s[2].status in ("refuted", "unknown") and s[2].status != "proved"
    if s[2].status == "refuted":
        assert s[2].counterexample
