"""check_document and check_candidate return within their budget, whatever the document."""

import time

import pytest

from derivation import check_candidate, check_document
from derivation.documents import seed_text

GRACE = 1.0  # seconds: the worker's round trip and process start on a loaded 2-core machine

HOSTILE = [
    # an identity whose exact proof is far beyond any small budget
    "$$f = (a + b + c)^{60}$$\n\n$$= (c + b + a)^{60} + (a - b)^{30} - (b - a)^{30}$$\n",
    # many long steps
    "\n\n".join(f"$$s_{k} = " + " + ".join(f"e^{{x_{j} {k}}}" for j in range(1, 40)) + "$$"
                for k in range(1, 30)),
    # deep nesting of logs and exponentials
    "$$g = " + r"\ln(" * 25 + "x" + ")" * 25 + "$$\n\n$$= x$$\n",
]


@pytest.mark.parametrize("text", HOSTILE + [seed_text()])
@pytest.mark.parametrize("timeout", [0.3, 1.0])
def test_check_document_returns_within_its_budget(text, timeout):
    start = time.perf_counter()
    result = check_document(text, timeout=timeout)
    assert time.perf_counter() - start < timeout + GRACE
    assert result.status in ("proved", "refuted", "unknown")
    assert all(s.status in ("given", "proved", "refuted", "unknown") for s in result.steps)


def test_a_document_cut_short_says_the_budget_ran_out():
    result = check_document(seed_text(), timeout=0.3)
    assert not result.ok
    assert any("time budget" in (s.reason or "") for s in result.steps)


@pytest.mark.parametrize("timeout", [0.2, 1.0])
def test_check_candidate_at_40_by_40_returns_within_its_budget(timeout):
    check_candidate("x_j*(p_i - y'_i)", n=2, m=2, timeout=5)      # imports and worker warm
    start = time.perf_counter()
    result = check_candidate("x_j*(p_i - y'_i)", n=40, m=40, timeout=timeout,
                             total_timeout=timeout)
    assert time.perf_counter() - start < timeout + GRACE
    assert result.status in ("proved", "refuted", "unknown")


@pytest.mark.parametrize("text, construct", [
    ("$$a = 1\\,000$$\n\n$$a = 0$$\n", "two numbers side by side"),
    ("$$f = x^4$$\n\n$$\\frac{d}{dx^2} f = x^2$$\n", "looks like a derivative"),
    ("$$g = \\sin x/2$$\n\n$$= \\sin(x/2)$$\n", "inside \\sin's argument"),
    ("$$h = x^T$$\n\n$$= x^2$$\n", "a transpose"),
])
def test_the_reader_refuses_what_the_conventions_do_not_fix(text, construct):
    """The reader shares parse()'s conventions (derivation.parsing.conventions): never a
    verdict from one silent reading of an ambiguous construct."""
    result = check_document(text, timeout=20)
    assert not any(s.status in ("proved", "refuted") for s in result.steps)
    assert any(construct in (s.reason or "") for s in result.steps)
