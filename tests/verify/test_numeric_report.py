"""verify.numeric_report.numeric_section: the report's numeric part."""

import re

import pytest

import trainer
from verify.numeric_report import hessian_section, numeric_section


def test_section_passes_for_the_trainer_and_shows_the_worst_error():
    text, ok = numeric_section(seed=0, trials=3)
    assert ok is True
    lines = text.splitlines()
    h = lines.index("Hessian check: trainer.hessian_vector_product vs differences of trainer.gradient")
    assert h == 2 + 2 * 3 + 1 and len(lines) == h + 1 + 2 * 3 + 1
    assert all(line.endswith("ok") for line in lines[2 : h - 1] + lines[h + 1 : -1])
    assert lines[-1].startswith("PASS: 6 Hessian checks, worst norm-relative error")
    lines = lines[:h]
    assert "float64" in text and "float32" in text
    assert re.search(r"PASS: 6 problems, float64: worst norm-relative error \d\.\d\de-\d+ at [Wb]\[", lines[-1])


def test_section_fails_when_the_trainer_gradient_is_wrong(monkeypatch):
    right = trainer.gradient

    def missing_l2(W, b, X, Y, *, l2=0.0):  # forgets the regularisation term
        dW, db = right(W, b, X, Y, l2=0.0)
        return dW, db

    monkeypatch.setattr(trainer, "gradient", missing_l2)
    text, ok = numeric_section(seed=1, trials=4)
    assert ok is False
    assert "FAILED" in text and text.splitlines()[-1].startswith("FAIL:")


def test_trials_must_be_positive():
    with pytest.raises(ValueError, match="trials"):
        numeric_section(trials=0)


def test_hessian_section_fails_when_the_hvp_is_wrong(monkeypatch):
    right = trainer.hessian_vector_product

    def missing_l2(W, b, X, Y, V, v, *, l2=0.0):  # forgets the l2 V term
        return right(W, b, X, Y, V, v, l2=0.0)

    monkeypatch.setattr(trainer, "hessian_vector_product", missing_l2)
    text, ok = hessian_section(seed=0, trials=3)
    assert ok is False and "FAILED" in text and text.splitlines()[-1].startswith("FAIL:")
