"""The reader's results: one `DocumentStep` per claim, a `DocumentCheck` for the document.

Status vocabulary (one across the project): "given" (a definition, a stated assumption, a
range or a list: read, not checked), "proved", "refuted", "unknown".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

__all__ = ["DocumentStep", "DocumentCheck", "STATUSES", "KINDS"]

STATUSES = ("given", "proved", "refuted", "unknown")
#: What a step is: a definition (first ``=``/``:=`` of a new name), a stated assumption, an
#: equality (a link of an ``=`` chain), a derivative claim, an update rule, an index range or
#: list (read, not checked), an expression with no claim, or a construct the reader refused.
KINDS = ("definition", "assumption", "equality", "derivative", "update", "range", "list",
         "expression", "unreadable")


def _value_text(value) -> object:
    """A counterexample value for JSON: ints stay ints, rationals "p/q", floats as text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, sympy.Integer):
        return int(value)
    if isinstance(value, sympy.Rational):
        return str(value)
    if isinstance(value, (float, sympy.Float)):
        return sympy.sstr(sympy.Float(value), full_prec=False)
    return sympy.sstr(value)


@dataclass(eq=False)
class DocumentStep:
    """One claim of the document, as read and as checked.

    Attributes
    ----------
    line : int
        1-based source line on which the step's expression stands (rows of one ``aligned``
        block written on one source line share that line).
    latex : str
        The step's text as written (LaTeX, e.g. ``"= \\frac{e^{V_i}}{V}"``).
    status : {"given", "proved", "refuted", "unknown"}
    kind : str
        One of `KINDS`.
    reading : str
        How the line was read, in words ("a_1 + … + a_n read as Σ_{k=1}^{n} a_k; ...").
    base : DocumentStep or None
        The earlier step or definition it was checked against (``base.line`` is its line).
    assumptions : tuple of DocumentStep
        The stated assumptions it needed (steps of kind "assumption", with their lines).
    counterexample : dict or None
        For a refuted step: symbol name -> value where the step and its base differ,
        including the sizes ("n", "m") and index values ("i", "j") when found at a
        concrete size. None otherwise.
    sizes : tuple of dict or None
        None when proved for all sizes (or not checked); else the concrete sizes the step
        was checked at, e.g. ``({"n": 2, "m": 1}, ...)``.
    reason : str
        Why a step is unknown (naming the construct), or a note on a refutation.
    repair : str or None
        For a refuted step: the stated or known assumption under which it holds
        ("Σ_i y'_i = 1", "one-hot labels", "y_i read as the label y'_i"), if one does.
    expr, target : sympy.Expr or None
        The step's reading and what it was compared with (SymPy; for the curious).
    """

    line: int
    latex: str
    status: str
    kind: str
    reading: str = ""
    base: DocumentStep | None = None
    assumptions: tuple = ()
    counterexample: dict | None = None
    sizes: tuple | None = None
    reason: str = ""
    repair: str | None = None
    expr: object = field(default=None, repr=False)
    target: object = field(default=None, repr=False)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def ok(self) -> bool:
        """True unless the step is refuted or unknown."""
        return self.status in ("given", "proved")

    def to_dict(self) -> dict:
        """JSON-ready: base and assumptions as their lines and LaTeX."""
        return {
            "line": self.line,
            "latex": self.latex,
            "status": self.status,
            "kind": self.kind,
            "reading": self.reading,
            "base": None if self.base is None else {"line": self.base.line,
                                                    "latex": self.base.latex},
            "assumptions": [{"line": a.line, "latex": a.latex} for a in self.assumptions],
            "counterexample": None if self.counterexample is None else
            {str(k): _value_text(v) for k, v in self.counterexample.items()},
            "sizes": None if self.sizes is None else [dict(s) for s in self.sizes],
            "reason": self.reason,
            "repair": self.repair,
        }

    def __str__(self) -> str:
        mark = {"given": "·", "proved": "✓", "refuted": "✗", "unknown": "?"}[self.status]
        text = f"line {self.line}: {mark} {self.status} ({self.kind}) {self.latex}"
        if self.reading:
            text += f"\n    reading: {self.reading}"
        if self.base is not None:
            text += f"\n    against line {self.base.line}: {self.base.latex}"
        if self.counterexample:
            text += "\n    counterexample: " + ", ".join(
                f"{k} = {_value_text(v)}" for k, v in self.counterexample.items())
        if self.repair:
            text += f"\n    holds under: {self.repair}"
        if self.reason:
            text += f"\n    {self.reason}"
        return text


@dataclass(eq=False)
class DocumentCheck:
    """Every claim of a document, checked.

    Attributes
    ----------
    steps : tuple of DocumentStep
        In document order.
    elapsed : float
        Seconds spent.
    ok : bool
        No step refuted or unknown.
    status : {"proved", "refuted", "unknown"}
        "proved" if ok, "refuted" if any step is refuted, else "unknown".
    counts : dict
        status -> number of steps.
    """

    steps: tuple
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)

    @property
    def status(self) -> str:
        if self.ok:
            return "proved"
        return "refuted" if any(s.status == "refuted" for s in self.steps) else "unknown"

    @property
    def counts(self) -> dict:
        return {st: sum(1 for s in self.steps if s.status == st) for st in STATUSES}

    @property
    def refuted(self) -> tuple:
        return tuple(s for s in self.steps if s.status == "refuted")

    @property
    def unknown(self) -> tuple:
        return tuple(s for s in self.steps if s.status == "unknown")

    def to_dict(self) -> dict:
        """JSON-ready summary and steps."""
        return {"status": self.status, "ok": self.ok, "counts": self.counts,
                "elapsed": round(self.elapsed, 3),
                "steps": [s.to_dict() for s in self.steps]}

    def __str__(self) -> str:
        head = (f"{self.status}: " + ", ".join(f"{v} {k}" for k, v in self.counts.items() if v)
                + f" [{self.elapsed:.2f} s]")
        return "\n".join([head] + [str(s) for s in self.steps])
