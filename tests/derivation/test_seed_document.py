"""The seed, read from its file by the document reader: the three findings at their lines,
J6's garble reported with its repairing reading, every other claimed step proved; agreement
with the old hand transcription (tests/derivation/seed_oracle.py)."""

import pytest

from derivation.documents import SEED_PATH, check_document, seed_text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seed():
    return check_document(seed_text())


def at(check, line, kind=None):
    return [s for s in check.steps if s.line == line and (kind is None or s.kind == kind)]


def test_seed_ships_verbatim_as_package_data():
    text = seed_text()
    assert SEED_PATH.name == "handwritten-derivation.md"
    assert "Note:  $V = 1$" in text and text.count("\n") == 73


def test_yy_mixup_at_line_32(seed):
    (step,) = at(seed, 32, "derivative")
    assert step.status == "refuted"
    assert step.counterexample and "y'_1" in step.counterexample
    assert step.repair == "y_i read as the label y'_i"
    assert "y_i is the quantity defined on line 12" in step.reading   # the prediction


def test_e_vi_yi_line_51_wrong_even_for_one_hot(seed):
    (step,) = at(seed, 51)
    assert step.status == "refuted" and step.kind == "update"
    assert step.repair is None          # no known assumption (one-hot included) repairs it
    assert step.base is not None and step.base.line == 49


def test_note_V_equals_1(seed):
    (note,) = at(seed, 53)
    assert note.status == "given" and note.kind == "assumption"
    assert "not an identity" in note.reading and "contradicts the definition of V" in note.reading
    assert note.counterexample
    (step,) = at(seed, 55)
    assert step.status == "refuted"
    assert step.base.line == 49          # the boxed Y-form, not the garbled line 51
    assert "Y = 1" in step.repair and "y'" in step.repair


def test_j6_garble_reported_with_its_repair(seed):
    (step,) = at(seed, 28)
    assert step.status == "refuted" and "L" in step.counterexample
    assert "'L(' read as '[('" in step.repair
    assert "y'_1" in step.reading


#: every step of the seed: (line, kind, status), in document order
EXPECTED = [
    (8, "definition", "given"), (8, "definition", "given"), (8, "definition", "given"),
    (10, "definition", "given"),
    (12, "definition", "given"), (12, "definition", "given"), (12, "equality", "proved"),
    (14, "equality", "proved"), (14, "equality", "proved"),
    (18, "definition", "given"), (20, "equality", "proved"), (22, "equality", "proved"),
    (24, "equality", "proved"), (26, "equality", "proved"), (28, "equality", "refuted"),
    (30, "definition", "given"), (32, "definition", "given"), (32, "derivative", "refuted"),
    (37, "derivative", "proved")] + [(39, "equality", "proved")] * 6 + [
    (41, "derivative", "proved"), (41, "equality", "proved"),
    (43, "update", "given"), (49, "update", "proved"), (51, "update", "refuted"),
    (53, "assumption", "given"), (55, "update", "refuted"),
    (61, "update", "proved"), (67, "range", "given"), (67, "range", "given"),
    (69, "update", "proved")]


def test_every_step_status(seed):
    assert [(s.line, s.kind, s.status) for s in seed.steps] == EXPECTED
    for s in seed.steps:
        if s.status == "refuted":
            assert s.counterexample, str(s)
        if s.status == "proved" and s.kind != "update":
            assert s.sizes is None, str(s)      # for all sizes n, m


def test_examples_rules(seed):
    (batch,) = at(seed, 61)
    (sgd,) = at(seed, 69)
    assert batch.base.line == 55 and sgd.base.line == 55
    assert "summed over the training examples k" in batch.reading
    assert "x_j^k read as x_j at training example k (not a power)" in batch.reading
    assert "at one training example k" in sgd.reading


def test_lines_and_bases(seed):
    rows = at(seed, 39)
    assert len(rows) == 6 and all(s.status == "proved" for s in rows)
    assert rows[1].base is rows[0]
    (defn,) = [s for s in at(seed, 12) if s.latex.startswith("\\sum_j")]
    assert defn.status == "given" and defn.kind == "definition"
    cont = at(seed, 14)
    assert cont[0].base.line == 12 and "softmax" in cont[0].base.latex


def test_agrees_with_the_hand_transcription(seed):
    from tests.derivation.seed_oracle import oracle_findings
    oracle = oracle_findings()
    reader = {s.line for s in seed.steps if s.status == "refuted"} - {28}
    assert set(oracle) == reader
    assert oracle[32][2].startswith("y_i = y'_i")
    assert oracle[55][2] == "sum_i y'_i = 1"


def test_to_dict_is_json(seed):
    import json
    data = json.loads(json.dumps(seed.to_dict()))
    assert data["status"] == "refuted" and len(data["steps"]) == len(seed.steps)
