"""`python -m verify check` end to end: the real reader, in a subprocess and via main(argv).

The small derivations here have verdicts fixed by calculus: d(x^2)/dx = 2x (proved), not 3x
(refuted, e.g. at x = 1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from verify.cli import main

ROOT = Path(__file__).resolve().parents[2]
PROVED = "Let\n\n$$f = x^2$$\n\nthen\n\n$$\\frac{df}{dx} = 2x$$\n"
REFUTED = "Let\n\n$$f = x^2$$\n\nthen\n\n$$\\frac{df}{dx} = 3x$$\n"
# an integral is not a construct the reader knows: it must say so, not guess
UNKNOWN = "Let\n\n$$f = x^2$$\n\nthen\n\n$$\\int_0^1 f \\, dx = \\frac{1}{3}$$\n"


def _run(*args, cwd=ROOT):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "verify", "check", *map(str, args)],
                          capture_output=True, text=True, timeout=180, cwd=cwd, env=env)


def _write(tmp_path, text, name="d.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, code, mark", [(PROVED, 0, "\u2713"), (REFUTED, 1, "\u2717"),
                                               (UNKNOWN, 3, "?")])
def test_exit_codes_in_a_subprocess(tmp_path, text, code, mark):
    path = _write(tmp_path, text)
    result = _run(path)
    assert result.returncode == code, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert f"  \u00b7 line 3  f = x^2" in lines
    assert any(line.startswith(f"  {mark} line 7  ") for line in lines), result.stdout
    assert lines[-1].endswith(f"(exit {code})")


def test_refuted_step_shows_its_base_and_counterexample(tmp_path, capsys):
    path = _write(tmp_path, REFUTED)
    assert main([str(path)]) == 1
    out = capsys.readouterr().out
    assert "checked against line 3" in out and "counterexample: x = " in out


def test_json_in_a_subprocess(tmp_path):
    path = _write(tmp_path, REFUTED)
    result = _run(path, "--json")
    assert result.returncode == 1, result.stderr
    record = json.loads(result.stdout)
    assert record["file"] == str(path) and record["ok"] is False and record["status"] == "refuted"
    steps = [s for s in record["steps"] if s["kind"] not in ("range", "list", "expression")]
    assert [(s["line"], s["status"]) for s in steps] == [(3, "given"), (7, "refuted")]
    assert steps[1]["base"]["line"] == 3 and "x" in steps[1]["counterexample"]


def test_html_in_a_subprocess(tmp_path):
    path, out = _write(tmp_path, PROVED), tmp_path / "out.html"
    result = _run(path, "--html", out)
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert "\u2713" in page and "<math" in page and "line 7" in page


def test_timeout_option_is_passed_and_bounded(tmp_path):
    path = _write(tmp_path, PROVED)
    assert _run(path, "--timeout", "20").returncode == 0
    bad = _run(path, "--timeout", "-1")
    assert bad.returncode == 2 and "--timeout" in bad.stderr


@pytest.mark.parametrize("case", ["missing", "directory", "latin-1", "no file", "two files"])
def test_usage_errors_and_unreadable_files_exit_2(tmp_path, case):
    args = {"missing": [tmp_path / "nope.md"], "directory": [tmp_path], "no file": [],
            "two files": ["a.md", "b.md"]}.get(case)
    if case == "latin-1":
        path = tmp_path / "latin.md"
        path.write_bytes("$$x = \u00e9t\u00e9$$\n".encode("latin-1"))
        args = [path]
    result = _run(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr and "Traceback" not in result.stderr
