"""Notebooks are kept clean in git: valid nbformat, no outputs, no execution counts, no absolute paths."""

import json
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))

# "/home/...", "/work/...", "C:\..." and file:// URLs inside notebook text
_ABSOLUTE = re.compile(r"(?<![\w.])(?:/(?:home|Users|work|tmp|root|usr|opt|mnt|var)/|[A-Za-z]:\\\\|file://)")


def test_there_are_at_least_three_notebooks():
    assert len(NOTEBOOKS) >= 3, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_and_stripped(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {index} has outputs"
            assert cell.execution_count is None, f"{path.name} cell {index} has an execution count"
    assert "widgets" not in nb.metadata, f"{path.name} stores widget state"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_absolute_paths(path):
    text = path.read_text(encoding="utf-8")
    json.loads(text)  # well-formed JSON
    hits = _ABSOLUTE.findall(text)
    assert not hits, f"{path.name} contains absolute paths: {hits}"


def test_notebook_1_reads_the_seed_from_its_file():
    path = next(p for p in NOTEBOOKS if p.name == "01_derivation.ipynb")
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                       if c.cell_type == "code")
    assert "check_document(seed_text())" in source
    for retired in ("AS_WRITTEN", "CORRECTED", "check_steps", "derivation.handwritten"):
        assert retired not in source, f"notebook 1 still uses the hand transcription: {retired}"
    assert "gradient_checker_widget()" in source  # the "check my derivation" form
