"""Deciding whether two formulas are equal: proved / refuted (with a confirmed counterexample)
/ unknown, within a time budget.

Parts: ``checker`` (``equivalent`` and its ``Verdict``), ``confirm`` (the one standard for
"refuted": ``confirm_counterexample``, ``refute``), ``inputs`` (reading inputs as typed),
``normalise`` (exact rewrites), ``sampling`` and ``numeric`` (counterexample search, confirmed
in high precision), ``assumptions`` (stated equations solved for a symbol), ``budget`` (the
hard time bound) and ``worker`` (the long-lived checker processes).
"""

from derivation.equivalence.checker import STATUSES, Verdict, equivalent
from derivation.equivalence.confirm import Counterexample, confirm_counterexample, refute

__all__ = ["equivalent", "Verdict", "STATUSES", "confirm_counterexample", "refute",
           "Counterexample"]
