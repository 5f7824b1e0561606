"""The README's Python snippets run as written and print what their comments say."""

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
    assert re.match(r"True W\[\d, \d\]: analytic=", out), out


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
