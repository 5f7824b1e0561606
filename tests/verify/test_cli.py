"""`python -m verify check FILE.md`: output and exit codes, on hand-made step objects.

The reader is replaced by a stub returning steps built here (same attributes as
`derivation.check_document`'s), so the command's logic is tested apart from the reader;
tests/verify/test_cli_documents.py runs the real reader end to end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
import sympy

import verify.cli as cli
from verify.report import main as verify_main


@dataclass
class Step:
    line: int
    latex: str
    status: str
    counterexample: dict | None = None
    base: object = None
    assumptions: tuple = ()
    reading: str | None = None
    sizes: tuple | None = None
    reason: str | None = None
    kind: str = "equal"
    repair: str | None = None


@dataclass
class Doc:
    steps: list
    status: str = "proved"
    ok: bool = field(init=False)

    def __post_init__(self):
        self.ok = all(s.status in ("given", "proved") for s in self.steps)


def _doc(*statuses):
    given = Step(3, r"p_i = \frac{e^{z_i}}{\sum_k e^{z_k}}", "given", kind="definition",
                 reading="p_i defined for all i")
    steps = [given]
    for number, status in enumerate(statuses, start=5):
        point = {sympy.Symbol("z_1"): sympy.Rational(1, 2), sympy.Symbol("y_2"): 0} \
            if status == "refuted" else None
        steps.append(Step(number, rf"= q_{number}", status, counterexample=point, base=given,
                          reading=f"step on line {number}",
                          reason="no proof in time" if status == "unknown" else None,
                          repair="holds under sum_i y_i = 1" if status == "refuted" else None))
    worst = "refuted" if "refuted" in statuses else "unknown" if "unknown" in statuses else "proved"
    return Doc(steps, status=worst)


@pytest.fixture
def derivation_file(tmp_path):
    path = tmp_path / "mine.md"
    path.write_text("$$p_i = \\frac{e^{z_i}}{\\sum_k e^{z_k}}$$\n", encoding="utf-8")
    return path


@pytest.fixture
def stub(monkeypatch):
    seen = {}

    def install(document):
        def fake(text, timeout):
            seen.update(text=text, timeout=timeout)
            return document
        monkeypatch.setattr(cli, "_check", fake)
        return seen
    return install


@pytest.mark.parametrize("statuses, code", [
    (("proved", "proved"), 0),
    ((), 3),                                   # definitions only: nothing verified
    (("proved", "refuted", "unknown"), 1),     # refuted wins over unknown
    (("proved", "unknown"), 3),
    (("given",), 3),
])
def test_exit_status_from_the_steps(stub, derivation_file, capsys, statuses, code):
    stub(_doc(*statuses))
    assert cli.main([str(derivation_file)]) == code
    out = capsys.readouterr().out
    assert out.rstrip().endswith(f"(exit {code})")
    assert out.startswith(f"{derivation_file}: ")
    if not [s for s in statuses if s != "given"]:
        assert "=> NOTHING CHECKED (no claim found) (exit 3)" in out


def test_text_output_shows_line_mark_reading_base_and_counterexample(stub, derivation_file, capsys):
    seen = stub(_doc("proved", "refuted", "unknown"))
    assert cli.main([str(derivation_file), "--timeout", "7.5"]) == 1
    assert seen["timeout"] == 7.5 and seen["text"].startswith("$$p_i")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(line.startswith("  \u00b7 line 3  p_i = ") for line in lines)
    assert any(line.startswith("  \u2713 line 5  = q_5") for line in lines)
    assert any(line.startswith("  \u2717 line 6  = q_6") for line in lines)
    assert any(line.startswith("  ? line 7  = q_7") for line in lines)
    assert "reading: step on line 6" in out
    assert "checked against line 3" in out
    # derivation.format_point: non-zero coordinates, then the note on the zeros
    assert "counterexample: z_1 = 1/2 (all other symbols 0)" in out
    assert "reason: no proof in time" in out and "repair: holds under sum_i y_i = 1" in out
    assert "proved for all sizes" in out
    assert "1 proved, 1 refuted, 1 unknown, 1 given" in lines[0]
    assert lines[-3:] == ["refuted on line 6", "unknown on line 7", "=> REFUTED (exit 1)"]


def test_ascii_marks(stub, derivation_file, capsys):
    stub(_doc("proved", "refuted"))
    assert cli.main([str(derivation_file), "--ascii"]) == 1
    out = capsys.readouterr().out
    assert "  ok line 5" in out and "  XX line 6" in out and "  .. line 3" in out
    assert out.isascii()


def test_json_is_one_object_with_every_step(stub, derivation_file, capsys):
    stub(_doc("proved", "refuted", "unknown"))
    assert cli.main([str(derivation_file), "--json"]) == 1
    record = json.loads(capsys.readouterr().out)
    assert set(record) >= {"file", "ok", "status", "steps"}
    assert record["file"] == str(derivation_file) and record["ok"] is False
    assert record["status"] == "refuted" and record["exit_status"] == 1
    assert [s["status"] for s in record["steps"]] == ["given", "proved", "refuted", "unknown"]
    assert [s["line"] for s in record["steps"]] == [3, 5, 6, 7]
    refuted = record["steps"][2]
    assert refuted["counterexample"] == {"y_2": 0, "z_1": "1/2"}
    assert refuted["base_line"] == 3 and refuted["base"]["line"] == 3
    assert refuted["sizes"] is None and refuted["mark"] == "\u2717"


def test_concrete_sizes_are_named(stub, derivation_file, capsys):
    doc = _doc("proved")
    doc.steps[1].sizes = ({"n": 2, "m": 3}, {"n": 3, "m": 3})
    stub(doc)
    assert cli.main([str(derivation_file), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["steps"][1]["sizes"] == [{"n": 2, "m": 3}, {"n": 3, "m": 3}]
    assert cli.main([str(derivation_file)]) == 0
    assert "proved for sizes n=2, m=3; n=3, m=3" in capsys.readouterr().out


def test_html_option_writes_the_page(stub, derivation_file, tmp_path, capsys):
    stub(_doc("proved", "refuted"))
    out = tmp_path / "report.html"
    assert cli.main([str(derivation_file), "--html", str(out)]) == 1
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "\u2717" in page and "<math" in page
    assert "line 6" in capsys.readouterr().out  # the text report is printed too


def test_unwritable_html_path_is_a_usage_error(stub, derivation_file, tmp_path, capsys):
    stub(_doc("proved"))
    assert cli.main([str(derivation_file), "--html", str(tmp_path / "no" / "such" / "x.html")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_missing_file_is_exit_2(tmp_path, capsys):
    missing = tmp_path / "nope.md"
    assert cli.main([str(missing)]) == 2
    assert f"{missing}: no such file" in capsys.readouterr().err


def test_directory_is_exit_2(tmp_path, capsys):
    assert cli.main([str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_non_utf8_file_is_exit_2_naming_the_line(tmp_path, capsys):
    path = tmp_path / "latin1.md"
    path.write_bytes("line one\n$$x = \u00e9$$\n".encode("latin-1"))
    assert cli.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "0xe9" in err and "line 2" in err


@pytest.mark.parametrize("argv", [[], ["a.md", "b.md"], ["a.md", "--timeout", "0"],
                                  ["a.md", "--timeout", "nan"], ["a.md", "--frobnicate"]])
def test_bad_usage_is_exit_2(argv, capsys):
    assert cli.main(argv) == 2
    assert "usage: python -m verify check" in capsys.readouterr().err


def test_help_is_exit_0_and_documents_the_exit_codes(capsys):
    assert cli.main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())  # whatever the terminal width
    for word in ("--json", "--html", "--timeout", "Exit status", "3 none refuted"):
        assert word in text


def test_a_crashing_reader_decides_nothing(monkeypatch, derivation_file, capsys):
    def broken(text, timeout):
        raise RuntimeError("boom")
    monkeypatch.setattr(cli, "_check", broken)
    assert cli.main([str(derivation_file)]) == 3
    err = capsys.readouterr().err
    assert "the reader failed" in err and "RuntimeError: boom" in err


def test_the_check_verb_goes_through_verify_main(stub, derivation_file, capsys):
    stub(_doc("proved", "unknown"))
    assert verify_main(["check", str(derivation_file)]) == 3
    assert "(exit 3)" in capsys.readouterr().out
