"""The derivations under examples/: the verdict of every line, decided by the mathematics.

Each example is listed with the claims on each of its lines (found by a piece of the line's
text, so the expectations read like the derivation): a definition or a stated assumption is
"given", a true step "proved", a false one "refuted" (with a counterexample). Steps that
claim nothing (an index range "i = 1, ..., n", a list "x_1, ..., x_m", a bare expression)
must be "given" too; every other step of the reader must be listed here, in order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOT_CLAIMS = ("range", "list", "expression")

G, P, R = "given", "proved", "refuted"

#: file -> [(a piece of text unique to the line, statuses of the claims on it, in order)]
EXPECTED = {
    "softmax_other_letters.md": [
        (r"z_i = \sum_{j=1}^{m} w_{ij} x_j + b_i$$", [G]),
        (r"\sigma(z)_i = \frac{e^{z_i}}", [G]),
        (r"\hat{y}_i = \sigma(z)_i$$", [G]),
        (r"L = -\sum_{i=1}^{n} y_i \ln \hat{y}_i", [G]),
        (r"so $\sum_{i=1}^{n} y_i = 1$", [G]),                    # stated assumption
        (r"Since $\ln \hat{y}_i = z_i - \ln \sum_{k} e^{z_k}$", [P]),
        (r"L &= -\sum_{i=1}^{n} y_i \left( z_i", [P]),
        (r"&= -\sum_{i=1}^{n} y_i z_i + \left( \sum", [P]),
        (r"&= -\sum_{i=1}^{n} y_i z_i + \ln \left(", [P]),         # uses sum y = 1
        (r"\frac{\partial L}{\partial z_i} = -y_i", [P, P]),
        (r"$\partial z_i / \partial w_{ij} = x_j$", [P]),
        (r"\frac{\partial L}{\partial w_{ij}} = \left(", [P]),
        (r"\frac{\partial L}{\partial b_i} = ", [P]),
        (r"w_{ij} := w_{ij} - \alpha \frac{\partial L}", [G]),     # the first update rule
        (r"w_{ij} := w_{ij} - \alpha \left(", [P]),
    ],
    "student_mistakes.md": [
        (r"V_i &= \sum_{j=1}^{m} w_{ij} x_j + b_i", [G]),
        (r"S &= \sum_{k=1}^{n} e^{V_k}", [G]),
        (r"p_i &= \frac{e^{V_i}}{S}", [G]),
        (r"J = -\sum_{i=1}^{n} y_i \ln p_i", [G]),
        # ln(a/b) = ln a / ln b is the wrong log rule; the next link follows from it
        (r"\ln p_i = \ln \frac{e^{V_i}}{S} = ", [P, R, P]),
        (r"\ln p_i = V_i - \ln S$$", [P]),
        # dS/dw_ij = e^{V_i} x_j: the factor x_j of the chain rule is dropped
        (r"\frac{\partial S}{\partial w_{ij}} = e^{V_i}$$", [R]),
        (r"\frac{\partial}{\partial w_{ij}} \ln S = ", [P, P]),
        # dJ/db_i = p_i sum_k y_k - y_i: p_i - y_i needs sum_k y_k = 1, not yet stated
        (r"\frac{\partial J}{\partial b_i} = p_i - y_i$$", [R]),
        (r"With one-hot labels, $\sum_{k=1}^{n} y_k = 1$", [G]),
        (r"\frac{\partial J}{\partial w_{ij}} = x_j", [P]),
    ],
    "logistic_regression.md": [
        (r"\sigma(t) = \frac{1}{1 + e^{-t}}", [G]),
        (r"\frac{d\sigma}{dt} = ", [P]),
        (r"z = \sum_{j=1}^{m} w_j x_j + b$$", [G]),
        (r"p = \sigma(z)$$", [G]),
        (r"J = -\left[ y \ln p", [G]),
        (r"\frac{\partial J}{\partial p} = ", [P]),
        (r"where $dp/dz = p(1 - p)$", [P]),
        (r"\frac{\partial J}{\partial z} &= ", [P]),
        (r"&= -y (1 - p) + (1 - y) p", [P]),
        (r"&= p - y", [P]),
        (r"$\partial z / \partial w_j = x_j$", [P]),
        (r"\frac{\partial J}{\partial w_j} = (p - y) x_j, \qquad", [P, P]),
        (r"w_j := w_j - \alpha \frac{\partial J}", [G]),
        (r"w_j := w_j + \alpha (y - p) x_j", [P]),
    ],
    "least_squares.md": [
        (r"\hat{y}^{(k)} = \sum_{j=1}^{m} w_j x_j^{(k)} + b$$", [G]),
        (r"E = \frac{1}{2N} \sum_{k=1}^{N}", [G]),
        (r"E = \frac{1}{2N} \left[", [P]),                          # the ellipsis is the sum
        (r"\frac{\partial E}{\partial w_j} &= \frac{1}{2N}", [P]),
        (r"&= \frac{1}{N} \sum_{k=1}^{N} \left( \hat{y}^{(k)} - t^{(k)} \right) x_j^{(k)}", [P]),
        (r"\frac{\partial E}{\partial b} = ", [P]),
        (r"w_j := w_j - \alpha \frac{\partial E}", [G]),
        (r"w_j := w_j - \frac{\alpha}{N}", [P]),
    ],
    "softmax_temperature.md": [
        (r"p_i = \frac{e^{z_i / T}}", [G]),
        (r"J = -\sum_{i=1}^{n} y_i \ln p_i$$", [G]),
        (r"probability vector, so $\sum_{i=1}^{n} y_i = 1$", [G]),
        (r"Taking logarithms, $\ln p_i = ", [P]),
        (r"J &= -\sum_{i=1}^{n} y_i \left(", [P]),
        (r"&= -\frac{1}{T} \sum_{i=1}^{n} y_i z_i", [P]),           # uses sum y = 1
        (r"\frac{\partial J}{\partial z_i} = -\frac{y_i}{T}", [P, P]),
        # dp_i/dz_i = p_i (1 - p_i) / T: the factor 1/T is dropped
        (r"\frac{\partial p_i}{\partial z_i} = p_i", [R]),
        (r"\frac{\partial}{\partial z_i} \frac{e^{z_i / T}}", [P]),
    ],
    "softmax_batch.md": [
        (r"V_i^{(k)} = \sum_{j=1}^{m} w_{ij} x_j^{(k)} + b_i$$", [G]),
        (r"p_i^{(k)} = \frac{e^{V_i^{(k)}}}", [G]),
        (r"J = \frac{1}{N} \sum_{k=1}^{N} \underbrace", [G]),
        (r"so $\sum_{i=1}^{n} y_i^{(k)} = 1$ for every example", [G]),
        (r"\Rightarrow \frac{\partial J}{\partial w_{ij}} = \frac{1}{N}", [P]),
        (r"\frac{\partial J}{\partial b_i} = \boxed{", [P]),
        # the sum is N times the mean: refuted (at N = 2, say)
        (r"\frac{\partial J}{\partial b_i} = \sum_{k=1}^{N}", [R]),
    ],
    "soft_labels_l2.md": [
        (r"V_i = \sum_{j=1}^{m} w_{ij} x_j + b_i$$", [G]),
        (r"p_i = \frac{e^{V_i}}{\sum_{k=1}^{n} e^{V_k}}$$", [G]),
        (r"J = -\sum_{i=1}^{n} q_i \ln p_i", [G]),
        (r"x_j \left( p_i \sum_{k=1}^{n} q_k - q_i \right)", [P]),
        (r"assume $\sum_{k=1}^{n} q_k = 1$ from here on", [G]),
        (r"x_j \left( p_i - q_i \right) + \lambda w_{ij}$$", [P]),
        (r"\frac{\partial J}{\partial b_i} = p_i - q_i$$", [P]),
        # the bias carries no penalty: + lambda b_i is wrong
        (r"\frac{\partial J}{\partial b_i} = p_i - q_i + \lambda b_i$$", [R]),
    ],
}


def _line_of(lines, piece, name):
    hits = [number for number, text in enumerate(lines, 1) if piece in text]
    assert len(hits) == 1, f"{name}: {piece!r} is on lines {hits}, expected exactly one"
    return hits[0]


def _expected(name):
    """[(line, [statuses of the claims on it])] in line order."""
    lines = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()
    return sorted(((_line_of(lines, piece, name), statuses)
                   for piece, statuses in EXPECTED[name]), key=lambda item: item[0])


#: (example, line) -> why the reader gets that line wrong today. Each is an expected failure
#: (strict: when the reader is fixed the test passes, fails as XPASS, and the entry goes).
KNOWN_WRONG: dict = {}


def _cases():
    for name in sorted(EXPECTED):
        for line, statuses in _expected(name):
            marks = ()
            if (name, line) in KNOWN_WRONG:
                marks = (pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[name, line]),)
            yield pytest.param(name, line, statuses, id=f"{name}:{line}", marks=marks)


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.md")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 5


@pytest.fixture(scope="module")
def checked():
    from derivation.documents import check_document

    cache = {}

    def check(name):
        if name not in cache:
            cache[name] = check_document((EXAMPLES / name).read_text(encoding="utf-8"),
                                         timeout=60)
        return cache[name]
    return check


def _table(document, line=None):
    return "\n".join(f"  line {s.line}: {s.status} {s.kind} {s.latex[:70]!r} "
                     f"{s.reason or ''} {s.counterexample or ''}"
                     for s in document.steps if line is None or s.line == line)


@pytest.mark.parametrize("name, line, statuses", list(_cases()))
def test_verdict_of_the_line(checked, name, line, statuses):
    document = checked(name)
    got = [s.status for s in document.steps if s.line == line and s.kind not in NOT_CLAIMS]
    assert got == statuses, f"{name} line {line} as read:\n{_table(document, line)}"
    for step in document.steps:
        if step.line == line and step.status == "refuted":
            assert step.counterexample, f"{name} line {line}: refuted without a counterexample"
            assert step.base is not None and step.base.line <= step.line


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_other_claims_and_nothing_else_checked(checked, name):
    """Lines not listed claim nothing: only ranges, lists or bare expressions, all given."""
    document = checked(name)
    listed = {line for line, _ in _expected(name)}
    extra = [s for s in document.steps if s.line not in listed
             and (s.kind not in NOT_CLAIMS or s.status != "given")]
    assert not extra, f"{name}: steps where the text claims nothing:\n" + "\n".join(
        f"  line {s.line}: {s.status} {s.kind} {s.latex[:70]!r}" for s in extra)


def test_unstated_assumption_is_repaired_by_the_label_sum(checked):
    document = checked("student_mistakes.md")
    lines = (EXAMPLES / "student_mistakes.md").read_text(encoding="utf-8").splitlines()
    line = _line_of(lines, r"\frac{\partial J}{\partial b_i} = p_i - y_i$$", "student_mistakes.md")
    (step,) = [s for s in document.steps if s.line == line]
    assert step.status == "refuted"
    labels = sum(v for k, v in step.counterexample.items() if str(k).startswith("y"))
    assert labels != 1  # the point shows labels that do not sum to 1
    assert step.repair and ("1" in step.repair or "one-hot" in step.repair)


def test_temperature_steps_are_proved_for_all_sizes(checked):
    # e^{z_k/T} > 0 for a real T (undefined at T = 0) and a sum of n >= 1 such terms > 0 are
    # read from the structure, so ln(e^{z_i/T}/S) = z_i/T - ln S holds for every n
    name = "softmax_temperature.md"
    document = checked(name)
    lines = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()
    for piece in (r"Taking logarithms, $\ln p_i = ", r"J &= -\sum_{i=1}^{n} y_i \left("):
        line = _line_of(lines, piece, name)
        (step,) = [s for s in document.steps if s.line == line]
        assert step.status == "proved" and step.sizes is None, _table(document, line)
