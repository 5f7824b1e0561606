"""Compatibility shim: the student checker and the widget have moved.

* `check_candidate`, `CandidateCheck`, `VOCABULARY`: `derivation.candidate` (a one-line
  document on the softmax model, checked by `derivation.check_document` for all n, m);
* `gradient_checker_widget`: `derivation.ui.widget` (ipywidgets is imported there only, when
  the widget is built).
"""

from derivation.candidate import VOCABULARY, CandidateCheck, check_candidate

__all__ = ["CandidateCheck", "VOCABULARY", "check_candidate", "gradient_checker_widget"]


def gradient_checker_widget(*args, **kwargs):
    """`derivation.ui.widget.gradient_checker_widget` (see there)."""
    from derivation.ui.widget import gradient_checker_widget as build

    return build(*args, **kwargs)
