"""Deciding whether two formulas are equal: proved / refuted (with a confirmed counterexample)
/ unknown, within a time budget.

Parts: ``checker`` (``equivalent`` and its ``Verdict``), ``normalise`` (exact rewrites),
``sampling`` and ``numeric`` (counterexample search, confirmed in high precision),
``assumptions`` (stated equations solved for a symbol), ``budget`` (the hard time bound).
"""

from derivation.equivalence.checker import STATUSES, Verdict, equivalent

__all__ = ["equivalent", "Verdict", "STATUSES"]
