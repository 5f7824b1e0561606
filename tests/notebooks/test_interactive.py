"""The notebook side: the "check my derivation" widget, its table, and the old import paths."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from dataclasses import dataclass

import pytest

needs_widgets = pytest.mark.skipif(importlib.util.find_spec("ipywidgets") is None,
                                   reason="ipywidgets not installed")


@needs_widgets
def test_widget_checks_a_whole_pasted_derivation():
    from derivation.ui.widget import EXAMPLE, gradient_checker_widget

    box = gradient_checker_widget()
    assert box.text.value == EXAMPLE and box.last is None
    box.button.click()  # runs the on_click handler
    document = box.last
    assert document is not None
    statuses = [s.status for s in document.steps if s.kind not in ("range", "list", "expression")]
    # the example: definitions, a stated assumption, one right and one wrong gradient
    assert statuses.count("refuted") == 1 and statuses[-1] == "refuted"
    assert statuses[-2] == "proved"
    table = box.result.value
    assert "\u2713" in table and "\u2717" in table and "counterexample" in table
    assert "REFUTED" in table and "<table>" in table


@needs_widgets
def test_widget_with_the_users_text_and_unreadable_input():
    from derivation.ui.widget import gradient_checker_widget

    box = gradient_checker_widget("$$f = x^2$$\n\n$$\\frac{df}{dx} = 2x$$\n", timeout=20)
    document = box.check()
    assert [s.status for s in document.steps if s.kind != "range"] == ["given", "proved"]
    assert "PROVED" in box.result.value
    box.text.value = "$$f = \\frac{1}{$$\n"
    document = box.check()
    assert document is None or not document.ok
    assert "?" in box.result.value or "ERROR" in box.result.value


@needs_widgets
def test_widget_bad_arguments():
    from derivation.ui.widget import gradient_checker_widget

    with pytest.raises(ValueError, match="timeout"):
        gradient_checker_widget(timeout=0)
    with pytest.raises(TypeError):
        gradient_checker_widget(3)


@dataclass
class _Step:
    line: int
    latex: str
    status: str
    kind: str = "equality"
    reading: str = ""
    base: object = None
    assumptions: tuple = ()
    counterexample: dict | None = None
    sizes: tuple | None = None
    reason: str = ""
    repair: str | None = None


@dataclass
class _Doc:
    steps: list
    status: str = "refuted"


def test_steps_table_escapes_and_marks():
    from derivation.ui.table import steps_table

    given = _Step(1, "a = 1", "given", kind="definition")
    doc = _Doc([given, _Step(2, "&= a < b", "refuted", base=given, counterexample={"a": 1},
                             repair="none <known>")])
    table = steps_table(doc)
    assert "$= a &lt; b$" in table  # alignment marks dropped, "<" escaped for the browser
    assert "none &lt;known&gt;" in table and "checked against:</b> line 1" in table
    assert "\u2717" in table and "\u00b7" in table and "a = 1 (all" not in table


def test_symbolic_core_does_not_import_ipywidgets():
    code = ("import sys, derivation\n"
            "from derivation import check_candidate, gradient_checker_widget\n"
            "import derivation.candidate, derivation.interactive, derivation.ui.table\n"
            "assert 'ipywidgets' not in sys.modules, 'imported ipywidgets'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr


def test_old_import_paths_still_work():
    import derivation
    from derivation.candidate import check_candidate
    from derivation.interactive import check_candidate as old
    from derivation.ui.widget import gradient_checker_widget

    assert derivation.check_candidate is check_candidate is old
    assert derivation.gradient_checker_widget is gradient_checker_widget
