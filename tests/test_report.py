"""`python -m verify`: exit status, content, options."""

import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from verify.report import main, parse_sizes


SEED = Path(__file__).resolve().parents[1] / "derivation" / "documents" / "handwritten-derivation.md"


def _seed_line(piece: str) -> int:
    """The 1-based line of the seed that holds ``piece`` (exactly one)."""
    hits = [k for k, text in enumerate(SEED.read_text(encoding="utf-8").splitlines(), 1)
            if piece in text]
    assert len(hits) == 1, (piece, hits)
    return hits[0]


@pytest.fixture(scope="module")
def default_run():
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(["--no-numeric"])
    return status, buffer.getvalue()


def _finding(text: str, line: int) -> str:
    """The block of the findings list about the seed's ``line``."""
    findings = text.split("Findings (", 1)[1].split("\n4. ", 1)[0]
    blocks = re.split(r"\n   (?=\d+\. )", findings)
    hits = [b for b in blocks if re.match(rf"\d+\. \S+ line {line} is ", b)]
    assert len(hits) == 1, f"no finding for line {line} in:\n{findings}"
    return hits[0]


def test_default_run_exits_0_and_shows_general_proof(default_run):
    status, text = default_run
    assert status == 0
    assert "HOLDS for all n, m" in text
    for size in ("1x1", "2x2", "3x3", "4x4", "5x5"):
        assert f"{size}: HOLDS" in text
    assert "=> VERIFIED" in text


def test_the_seed_is_read_from_its_file(default_run):
    _, text = default_run
    assert "handwritten-derivation.md" in text and "read from its file" in text
    # every step is listed with its source line; the seed's lines are the file's lines
    listed = {int(n) for n in re.findall(r"^  \S+ line +(\d+)", text, flags=re.M)}
    assert _seed_line(r"J(y) = - \sum_i y'_i \ln(y_i)") in listed
    assert _seed_line("Note:  $V = 1$") in listed


def test_the_three_findings_come_out_of_the_reader(default_run):
    _, text = default_run
    # 1. the y/y' mix-up: the derivative line uses y_i (the seed's prediction) for the label
    mixup = _finding(text, _seed_line(r"y_i \frac{\partial v_i}{\partial w_{ij}}"))
    assert "is refuted" in mixup and "counterexample:" in mixup
    assert "holds under" in mixup and "y'" in mixup.split("holds under", 1)[1]
    # 2. e^{v_i y_i}: refuted, and no assumption repairs it
    exponent = _finding(text, _seed_line(r"\frac{e^{v_i y_i}}{V}"))
    assert "is refuted" in exponent and "counterexample:" in exponent
    assert "holds under" not in exponent
    # 3. "Note: V = 1": not an identity, it contradicts the definition of V ...
    note = _finding(text, _seed_line("Note:  $V = 1$"))
    assert "stated assumption that is not an identity" in note and "contradicts" in note
    # ... and the step after it holds under sum_i y'_i = 1, not under V = 1
    after = _finding(text, _seed_line(r"[y_i - \frac{e^{v_i}}{V}]$$"))
    assert "is refuted" in after and "holds under" in after
    assert "y'" in after.split("holds under", 1)[1]


def test_sizes_option_and_verbose(capsys):
    assert main(["--no-numeric", "--no-handwritten", "--sizes", "2x3, 1x4", "-v"]) == 0
    text = capsys.readouterr().out
    assert "2x3: HOLDS - 8/8 entries proved" in text and "1x4: HOLDS" in text
    assert "3x3:" not in text
    assert "dJ/dw_23 (one-hot: proved)" in text


def test_latex_and_ascii(capsys):
    assert main(["--no-numeric", "--sizes", "1x1", "--latex", "--ascii"]) == 0
    text = capsys.readouterr().out
    assert "LaTeX:" in text and "\\frac" in text
    assert "\u2713" not in text and "\u2717" not in text
    line = _seed_line(r"\frac{e^{v_i y_i}}{V}")
    assert re.search(rf"^  XX line +{line} ", text, flags=re.M)
    assert re.search(r"^  ok line +\d+ ", text, flags=re.M)


def test_failing_proof_gives_exit_1(monkeypatch, capsys):
    import derivation.proofs.concrete as proofs
    from derivation.model import SoftmaxModel

    real = proofs.prove_gradients

    def wrong(n, m, *, timeout):
        return real(n, m, timeout=timeout, expected_b=-SoftmaxModel(n, m).grad_b_formula())

    monkeypatch.setattr(proofs, "prove_gradients", wrong)
    assert main(["--no-numeric", "--no-handwritten", "--sizes", "2x1"]) == 1
    text = capsys.readouterr().out
    assert "NOT PROVED" in text and "=> FAILED" in text


def test_numeric_section_missing_module_does_not_crash(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "verify.numeric_report", None)  # import raises ImportError
    assert main(["--no-handwritten", "--sizes", "1x1"]) == 0
    assert "numeric section unavailable" in capsys.readouterr().out


@pytest.mark.parametrize("ok, status", [(True, 0), (False, 1)])
def test_numeric_section_result_sets_exit_status(monkeypatch, capsys, ok, status):
    seen = {}

    def numeric_section(*, seed=0, trials=5):
        seen.update(seed=seed, trials=trials)
        return "fake numeric line", ok

    fake = types.ModuleType("verify.numeric_report")
    fake.numeric_section = numeric_section
    monkeypatch.setitem(sys.modules, "verify.numeric_report", fake)
    assert main(["--no-handwritten", "--sizes", "1x1", "--seed", "7", "--trials", "2"]) == status
    assert seen == {"seed": 7, "trials": 2}
    assert "fake numeric line" in capsys.readouterr().out


def test_help_documents_options(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # whatever the terminal width
    for option in ("--sizes", "--latex", "--no-numeric", "--seed", "--trials", "--timeout",
                   "--ascii", "--verbose", "Exit status"):
        assert option in text


@pytest.mark.parametrize("bad", ["3", "0x2", "2x", "2x3,abc", "61x1", "1000x1000"])
def test_bad_sizes_are_usage_errors(capsys, bad):
    with pytest.raises(SystemExit) as exc:
        main(["--sizes", bad])
    assert exc.value.code == 2
    assert "bad size" in capsys.readouterr().err


def test_parse_sizes():
    assert parse_sizes("2x3,4X4, 1*5") == [(2, 3), (4, 4), (1, 5)]
    assert parse_sizes("2x3,2x3") == [(2, 3)]


@pytest.mark.parametrize("option, value", [
    ("--seed", "-1"), ("--seed", "x"), ("--trials", "0"), ("--trials", "100000"),
    ("--timeout", "inf"), ("--timeout", "nan"), ("--timeout", "-1"), ("--proof-timeout", "0"),
])
def test_bad_numbers_are_usage_errors_naming_the_value(capsys, option, value):
    with pytest.raises(SystemExit) as exc:
        main([option, value, "--no-handwritten", "--no-numeric", "--sizes", "1x1"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert option in err and repr(value) in err


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "verify", "--no-numeric", "--no-handwritten", "--sizes", "1x2"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "1x2: HOLDS" in result.stdout
