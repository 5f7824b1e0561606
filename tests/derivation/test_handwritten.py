"""The handwritten derivation: both mistakes found with valid counterexamples; CORRECTED passes."""

import pytest
import sympy

from derivation import Step
from tests.derivation import seed_oracle as hw
from tests.derivation.seed_oracle import (
    AS_WRITTEN, CORRECTED, KNOWN_ASSUMPTIONS, SEED_Y, Y_IS_LABEL, check_steps,
)


@pytest.fixture(scope="module")
def written():
    return {c.step.label: c for c in check_steps(AS_WRITTEN)}


@pytest.fixture(scope="module")
def corrected():
    return check_steps(CORRECTED)


def _difference_at(check, point):
    step = check.step
    base = {s.label: s for s in AS_WRITTEN + CORRECTED}[check.base].expr
    target = sympy.diff(base, step.wrt) if step.relation == "derivative" else base
    return (step.expr - target).xreplace(point).evalf(40)


def _satisfies(point, assumptions):
    return all(abs((eq.lhs - eq.rhs).xreplace(point).evalf(40)) < 1e-30 for eq in assumptions)


def test_steps_are_well_formed():
    for steps in (AS_WRITTEN, CORRECTED):
        labels = [s.label for s in steps]
        assert len(labels) == len(set(labels))
        assert {s.relation for s in steps} == {"given", "equal", "derivative"}
        assert all(s.latex and isinstance(s.expr, sympy.Expr) for s in steps)
    w11 = hw.w
    assert w11.name == "w_11" and hw.SIZE == (3, 2) and hw.ENTRY == (1, 1)
    # as written keeps the seed's letter y_1 from the derivative line on; corrected does not
    assert SEED_Y in {s.label: s for s in AS_WRITTEN}["D1"].expr.free_symbols
    assert not any(SEED_Y in s.expr.free_symbols for s in CORRECTED)
    g3 = {s.label: s for s in AS_WRITTEN}["G3"]
    assert g3.expr.has(sympy.exp(hw.v_i * SEED_Y))


def test_exactly_the_three_findings(written):
    refuted = sorted(label for label, c in written.items() if c.status == "refuted")
    assert refuted == ["D1", "G3", "G4"]
    assert all(c.status in ("given", "proved") for l, c in written.items() if l not in refuted)
    assert all(c.counterexample for l, c in written.items() if l in refuted)


def test_y_mixup_is_refuted_and_repaired_by_reading_y_as_label(written):
    check = written["D1"]
    assert check.step.relation == "derivative" and check.base == "J6"
    assert abs(_difference_at(check, check.counterexample)) > 1e-20
    assert check.repair is not None and check.repair.alternatives == ((Y_IS_LABEL,),)


def test_exponent_v_i_y_i_is_wrong_even_for_one_hot_labels(written):
    check = written["G3"]
    assert check.repair is None
    last = check.repairs[-1]
    assert "one-hot" in last.name and "y_i = y'_i" in last.name and not last.holds
    failing = last.failing
    point = failing.counterexample
    assert failing.status == "refuted" and point
    # the counterexample satisfies the assumption it was found under: a one-hot label
    # vector, y_1 = y'_1 ... and it takes y_1 = 0
    assert _satisfies(point, failing.assumptions)
    assert sorted(point[y] for y in hw.labels) == [0, 0, 1]
    assert point[SEED_Y] == 0 == point[hw.labels[0]]
    assert abs(_difference_at(check, point)) > 1e-20
    tried = [r.name for r in check.repairs]
    assert "sum_i y'_i = 1" in tried and "one-hot labels" in tried


def test_note_v_equals_1_is_wrong_and_needs_sum_of_labels_1(written):
    check = written["G4"]
    assert check.step.assumption == sympy.Eq(hw.S, 1)
    assert check.base == "G2"
    assert abs(_difference_at(check, check.counterexample)) > 1e-20
    # V = sum_j e^{V_j} is not 1: the identity check refutes it at a concrete point
    identity = check.assumption_identity
    assert identity.status == "refuted"
    assert abs(hw.S.xreplace(identity.counterexample).evalf(30) - 1) > 1e-6
    assert check.stated_verdict is not None and check.stated_verdict.status != "proved"
    assert check.repair is not None and check.repair.name == "sum_i y'_i = 1"
    assert check.repair.alternatives == KNOWN_ASSUMPTIONS["sum_i y'_i = 1"]


def test_corrected_passes_fully(corrected):
    assert all(c.status in ("given", "proved") for c in corrected)
    assert sum(c.status == "proved" for c in corrected) >= 15
    by_label = {c.step.label: c for c in corrected}
    assert by_label["G4"].under == (sympy.Eq(hw.Y, 1),)
    assert by_label["D3"].under == ()


def test_given_steps_are_not_checked_and_a_doubtful_checker_gives_unknown():
    calls = []

    class Unknown:
        status, counterexample, lhs_value, rhs_value = "unknown", None, None, None
        reason, assumptions = "no idea", ()

    def checker(lhs, rhs, *, assume=(), timeout=5.0):
        calls.append(assume)
        return Unknown()

    steps = [s for s in CORRECTED if s.label in ("J1", "J2", "J3")]
    result = check_steps(steps, checker=checker)
    assert [c.status for c in result] == ["given", "unknown", "unknown"]
    # two checks plus, for each, the repair attempts (sum = 1; one-hot: stops at first alt)
    assert len(calls) == 2 * (1 + len(KNOWN_ASSUMPTIONS))


def test_bad_inputs():
    with pytest.raises(ValueError, match="relation"):
        Step("X", "x", sympy.Integer(1), "implies")
    with pytest.raises(ValueError, match="wrt"):
        Step("X", "x", sympy.Integer(1), "derivative")
    with pytest.raises(ValueError, match="duplicate"):
        check_steps([CORRECTED[0], CORRECTED[0]])
    with pytest.raises(ValueError, match="base"):
        check_steps([CORRECTED[1]])
    with pytest.raises(TypeError, match="Step"):
        check_steps(["J = 1"])
    with pytest.raises(ValueError, match="timeout"):
        check_steps(CORRECTED, timeout=0)


def test_checker_errors_become_unknown():
    from derivation.errors import DerivationError

    def checker(lhs, rhs, *, assume=(), timeout=5.0):
        raise DerivationError("cannot decide")

    result = check_steps([s for s in CORRECTED if s.label in ("J1", "J2")], checker=checker)
    assert [c.status for c in result] == ["given", "unknown"]
    assert "cannot decide" in result[1].verdict.reason


@pytest.mark.timeout(20)
def test_total_budget_exhausted_marks_remaining_steps_unknown():
    result = check_steps(AS_WRITTEN, total_timeout=1e-9)
    checked = [c for c in result if c.step.relation != "given"]
    assert checked and all(c.status == "unknown" for c in checked)
    assert all(c.verdict.reason == "time budget exhausted" for c in checked)
    assert [c.step.label for c in result] == [s.label for s in AS_WRITTEN]


@pytest.mark.timeout(20)
def test_each_call_gets_at_most_the_remaining_total_budget():
    from derivation.equivalence.checker import equivalent

    given = []

    def checker(lhs, rhs, *, assume=(), timeout=5.0):
        given.append(timeout)
        return equivalent(lhs, rhs, assume=assume, timeout=timeout)

    check_steps(CORRECTED[:4], timeout=30, total_timeout=10, checker=checker)
    assert given and all(0 < t <= 10 for t in given)


def test_total_timeout_must_be_positive():
    with pytest.raises(ValueError, match="total_timeout"):
        check_steps(CORRECTED, total_timeout=0)
