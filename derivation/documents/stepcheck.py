r"""Checking hand-transcribed steps: `Step` (LaTeX, a SymPy expression, its relation to an
earlier step) and `check_steps`, which checks each against its base with
`derivation.equivalence.equivalent` and searches the given known assumptions for a repair.

The document reader (`derivation.documents.check_document`) reads derivations as written;
this is the older, hand-transcribed route (the seed's transcription now lives in the tests
as an oracle, tests/derivation/seed_oracle.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sympy

__all__ = ["Step", "StepCheck", "RepairAttempt", "check_steps"]


@dataclass(frozen=True)
class Step:
    """One line of the handwritten derivation.

    Attributes
    ----------
    label : str
        Short unique id, e.g. "J2".
    latex : str
        The line as written in the seed (LaTeX).
    expr : sympy.Expr
        The line's right-hand side at the concrete size (see module docstring); derivative
        operators written in the line are evaluated.
    relation : str
        "given" (definition / start of a chain: not checked), "equal" (same value as the
        base step) or "derivative" (d/d`wrt` of the base step).
    wrt : sympy.Symbol or None
        The variable of a "derivative" relation (w_11).
    assumption : sympy.Eq or None
        The assumption the line states (e.g. the seed's "Note: V = 1").
    assumption_text : str
        That assumption as written.
    note : str
        How the line is read.
    base : str or None
        Label of the step it is checked against; None means the previous step.
    """

    label: str
    latex: str
    expr: sympy.Expr
    relation: str = "equal"
    wrt: sympy.Symbol | None = None
    assumption: sympy.Eq | None = None
    assumption_text: str = ""
    note: str = ""
    base: str | None = None

    def __post_init__(self):
        if self.relation not in ("given", "equal", "derivative"):
            raise ValueError(f"Step {self.label!r}: relation must be 'given', 'equal' or "
                             f"'derivative', got {self.relation!r}")
        if self.relation == "derivative" and self.wrt is None:
            raise ValueError(f"Step {self.label!r}: a 'derivative' step needs wrt")


@dataclass(frozen=True)
class RepairAttempt:
    """A refuted step re-checked under a known assumption.

    Attributes
    ----------
    name : str
        e.g. "sum_i y'_i = 1", "one-hot labels", "y_i = y'_i and one-hot labels".
    holds : bool
        True iff proved under every alternative of the assumption.
    verdicts : tuple of Verdict
        One per alternative (stops at the first that is not proved).
    alternatives : tuple of tuple of sympy.Eq
        The assumption sets tried (all of them, also those not reached).
    """

    name: str
    holds: bool
    verdicts: tuple
    alternatives: tuple = ()

    @property
    def failing(self):
        """The first verdict that is not proved (with its counterexample), or None."""
        return next((vd for vd in self.verdicts if vd.status != "proved"), None)


@dataclass(frozen=True)
class StepCheck:
    """The outcome of checking one step.

    Attributes
    ----------
    step : Step
    status : str
        "given", "proved", "refuted" or "unknown".
    verdict : Verdict or None
        The check without assumptions (None for "given").
    under : tuple of sympy.Eq
        Non-empty when the step is proved only under its stated assumption.
    stated_verdict : Verdict or None
        The check under the step's stated assumption (if it states one and the plain check
        did not prove it).
    assumption_identity : Verdict or None
        Whether the stated assumption is itself an identity (e.g. "V = 1": refuted).
    repairs : tuple of RepairAttempt
        For a refuted/unknown step: the known assumptions tried, in order.
    base : str or None
        Label of the step it was compared against.
    """

    step: Step
    status: str
    verdict: object = None
    under: tuple = ()
    stated_verdict: object = None
    assumption_identity: object = None
    repairs: tuple = field(default=(), repr=False)
    base: str | None = None

    @property
    def repair(self):
        """The first known assumption that makes a refuted step hold, or None."""
        return next((r for r in self.repairs if r.holds), None)

    @property
    def counterexample(self):
        return None if self.verdict is None else self.verdict.counterexample

    @property
    def ok(self) -> bool:
        return self.status in ("given", "proved")


# -- checking ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _CheckerFailure:
    """Stand-in verdict when the checker raised a DerivationError (status "unknown")."""

    reason: str
    assumptions: tuple = ()
    status: str = "unknown"
    counterexample: object = None
    lhs_value: object = None
    rhs_value: object = None
    method: str = "checker error"
    elapsed: float = 0.0

    def __bool__(self) -> bool:
        return False


_BUDGET_EXHAUSTED = "time budget exhausted"


def _budget_exhausted(assume=()) -> _CheckerFailure:
    """Stand-in "unknown" verdict for a check not run because the total budget is spent."""
    return _CheckerFailure(_BUDGET_EXHAUSTED, tuple(assume), method="budget")


def _guarded(equivalent):
    """Wrap the checker so that a DerivationError becomes an "unknown" verdict."""
    from derivation.errors import DerivationError

    def check(lhs, rhs, *, assume=(), timeout=5.0):
        try:
            return equivalent(lhs, rhs, assume=assume, timeout=timeout)
        except DerivationError as exc:
            return _CheckerFailure(f"{type(exc).__name__}: {exc}", tuple(assume))

    return check


def _default_checker():
    from derivation.equivalence.checker import equivalent
    return equivalent


def _repair_candidates(expr_symbols, known_assumptions, readings) -> list:
    """(name, alternatives) to try on a refuted step, simplest first: each reading that
    concerns the step alone, each known assumption, and each reading combined with each."""
    base = list(known_assumptions.items())
    usable = [(name, eq) for name, eq in readings if eq.lhs.free_symbols & expr_symbols]
    if not usable:
        return base
    out = [(name, ((eq,),)) for name, eq in usable]
    for name, alternatives in base:
        out.append((name, alternatives))
        for rname, eq in usable:
            out.append((f"{rname} and {name}", tuple((eq,) + alt for alt in alternatives)))
    return out


def check_steps(steps, *, timeout: float = 5.0, checker=None, repair: bool = True,
                total_timeout: float = 20.0, known_assumptions=None, readings=()) -> list:
    """Check each step against its base step with `equivalent`.

    For a step with relation "equal" the check is ``equivalent(step.expr, base.expr)``; for
    "derivative" it is ``equivalent(step.expr, diff(base.expr, step.wrt))``; "given" steps
    are not checked. A step not proved outright but proved under the assumption it states
    counts as proved (``.under``). A refuted (or unknown) step is re-checked under the known
    assumptions (`known_assumptions`, e.g. sum_i y'_i = 1 or each one-hot label vector) and
    the `readings` that concern it (e.g. y_i = y'_i), alone and combined;
    ``StepCheck.repair`` is the first that makes it hold.

    Parameters
    ----------
    steps : sequence of Step
        E.g. `AS_WRITTEN` or `CORRECTED`; labels must be unique, bases must come earlier.
    timeout : float
        Budget per `equivalent` call, seconds; each call gets min(timeout, what is left of
        `total_timeout`).
    checker : callable, optional
        Replacement for `derivation.equivalence.equivalent` (same signature).
    repair : bool
        Try the known assumptions on refuted steps (default True).
    known_assumptions : dict, optional
        name -> tuple of alternatives (each a tuple of sympy.Eq); a step holds under the
        assumption iff it is proved under every alternative.
    readings : sequence of (name, sympy.Eq)
        Readings of a letter (``Eq(y_1, y'_1)``), tried when the step contains its left side.
    total_timeout : float, default 20.0
        Budget in seconds for all checks together (steps, stated assumptions, repairs).
        When it runs out, every step not yet checked is reported "unknown" with a verdict
        whose reason is "time budget exhausted" (and a repair search in progress stops).

    Returns
    -------
    list of StepCheck
        One per step, in order.
    """
    for name, value in (("timeout", timeout), ("total_timeout", total_timeout)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    deadline = time.perf_counter() + total_timeout
    steps = tuple(steps)
    for s in steps:
        if not isinstance(s, Step):
            raise TypeError(f"check_steps expects Step objects, got {type(s).__name__}: {s!r}")
    guarded = _guarded(checker or _default_checker())

    def left() -> float:
        return deadline - time.perf_counter()

    def equivalent(lhs, rhs, *, assume=()):
        # one call, bounded by min(timeout, remaining total budget)
        if left() <= 0:
            return _budget_exhausted(assume)
        return guarded(lhs, rhs, assume=assume, timeout=min(timeout, left()))

    seen: dict = {}
    results = []
    previous = None
    for step in steps:
        if step.label in seen:
            raise ValueError(f"duplicate step label {step.label!r}")
        base_label = step.base if step.base is not None else previous
        seen[step.label] = step
        previous = step.label
        if step.relation == "given":
            results.append(StepCheck(step, "given"))
            continue
        if base_label is None or base_label not in seen or base_label == step.label:
            raise ValueError(f"step {step.label!r}: base {base_label!r} is not an earlier step")
        if left() <= 0:  # total budget spent: this step is not checked
            results.append(StepCheck(step, "unknown", _budget_exhausted(), base=base_label))
            continue
        base_expr = seen[base_label].expr
        target = sympy.diff(base_expr, step.wrt) if step.relation == "derivative" else base_expr
        verdict = equivalent(step.expr, target)
        status, under, stated, identity, repairs = verdict.status, (), None, None, ()
        if step.assumption is not None:
            # is the stated assumption itself an identity (e.g. "V = 1")?
            identity = equivalent(step.assumption.lhs, step.assumption.rhs)
            if status != "proved":
                stated = equivalent(step.expr, target, assume=(step.assumption,))
                if stated.status == "proved":
                    status, under = "proved", (step.assumption,)
        if status != "proved" and repair:
            symbols = step.expr.free_symbols | target.free_symbols
            attempts = []
            for name, alternatives in _repair_candidates(symbols, known_assumptions or {},
                                                         tuple(readings)):
                if left() <= 0:
                    break
                verdicts = []
                for alt in alternatives:
                    vd = equivalent(step.expr, target, assume=alt)
                    verdicts.append(vd)
                    if vd.status != "proved":
                        break
                attempt = RepairAttempt(name, all(vd.status == "proved" for vd in verdicts)
                                        and len(verdicts) == len(alternatives), tuple(verdicts),
                                        tuple(alternatives))
                attempts.append(attempt)
                if attempt.holds:
                    break
            repairs = tuple(attempts)
        results.append(StepCheck(step, status, verdict, under, stated, identity, repairs,
                                 base_label))
    return results
