"""The README's Python snippets run as written and print what their comments say."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def run(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_readme_has_the_two_snippets():
    assert len(SNIPPETS) == 2


def test_check_gradient_snippet_passes_and_names_the_worst_entry():
    out = run(SNIPPETS[0])
    assert re.match(r"True (W\[\d, \d\]|b\[\d\]): analytic=", out), out


def test_equivalent_snippet_refutes_then_proves():
    lines = run(SNIPPETS[1]).splitlines()
    assert lines[0].startswith("refuted {"), lines
    assert lines[1] == "proved", lines


@pytest.mark.parametrize("command", ["python -m verify", "python -m pytest"])
def test_setup_commands_are_in_the_readme_and_ci_runs_the_test_one(command):
    text = README.read_text(encoding="utf-8")
    setup = re.search(r"```bash\n(.*?)```", text, flags=re.S).group(1).splitlines()
    assert any(line.endswith(command.replace("python", ".venv/bin/python")) for line in setup)
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert setup[1] in ci  # .ci/run runs exactly the README's test command


# -- the seed and `python -m verify check` ------------------------------------------------------
def _check_section():
    text = README.read_text(encoding="utf-8")
    assert "## Check your own derivation" in text
    return text.split("## Check your own derivation", 1)[1].split("\n## ", 1)[0]


def test_readme_links_the_seed_inside_the_repository():
    text = README.read_text(encoding="utf-8")
    assert "../shared" not in text
    assert "(derivation/documents/handwritten-derivation.md)" in text
    assert (README.parent / "derivation" / "documents" / "handwritten-derivation.md").is_file()


def test_check_section_documents_exit_codes_and_options():
    section = _check_section()
    for code, words in (("0", "proved"), ("1", "refuted"), ("3", "unknown"), ("2", "bad usage")):
        assert re.search(rf"^\| {code} \| .*{words}", section, flags=re.M), code
    for option in ("--json", "--html", "--timeout"):
        assert option in section


def _marks_and_lines(text):
    """The summary line, each step's first line (mark, line number, LaTeX) and the verdict."""
    lines = text.strip("\n").splitlines()
    steps = [line for line in lines if re.match(r"  \S+ line +\d+  ", line)]
    return lines[0], steps, lines[-1]


@pytest.mark.slow
def test_check_example_output_is_from_a_real_run():
    section = _check_section()
    command = re.search(r"```bash\n(python -m verify check (\S+))\n```", section)
    assert command, "no `python -m verify check FILE` command in the section"
    path = README.parent / command.group(2)
    assert path.is_file() and path.parent.name == "examples"
    shown = re.search(r"```text\n(.*?)```", section, flags=re.S).group(1)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    result = subprocess.run([sys.executable, "-m", "verify", "check", command.group(2)],
                            capture_output=True, text=True, timeout=300, cwd=README.parent,
                            env=env)
    assert result.returncode in (0, 1, 3), result.stderr
    assert _marks_and_lines(shown) == _marks_and_lines(result.stdout)
    assert shown.rstrip().endswith(f"(exit {result.returncode})")
