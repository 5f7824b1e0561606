"""Results of numeric checks: `Entry`, `GradientCheckResult`, and their messages."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MAX_MESSAGE = 1500
TOP = 5  # worst entries shown in a failure message


class GradientCheckError(AssertionError):
    """Raised by `assert_gradient` when the gradient check fails; ``.result`` holds details."""

    def __init__(self, message, result=None):
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class Entry:
    """One compared entry: where it is and how far apart the two values are."""

    name: str  #: array name, e.g. "W" or "params[0]"
    index: tuple  #: index inside that array, e.g. (1, 2); () for a 0-d array
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    tolerance: float
    #: "float64" when the entry was decided by the float64 reference of a float32 check
    where: str = ""

    @property
    def label(self):
        """``name[i, j]`` (or ``direction k`` in random mode)."""
        if self.name.startswith("direction ") or self.name.startswith("column "):
            return self.name
        return self.name + ("[" + ", ".join(map(str, self.index)) + "]" if self.index else "")

    @property
    def _shown(self):
        return self.label + (f" ({self.where})" if self.where else "")

    def __str__(self):
        if not math.isfinite(self.analytic):
            return f"{self._shown}: non-finite analytic value ({self.analytic}), numeric={self.numeric:.10g}"
        return (
            f"{self._shown}: analytic={self.analytic:.10g}, numeric={self.numeric:.10g}, "
            f"abs error={self.abs_error:.3g}, rel error={self.rel_error:.3g} (tolerance {self.tolerance:.3g})"
        )


@dataclass(frozen=True)
class GradientCheckResult:
    """Outcome of `check_gradient`; ``bool(result)`` is ``result.ok``.

    Attributes
    ----------
    ok : bool
        True iff ``status == "passed"``: every checked entry is finite and within tolerance.
    status : {"passed", "failed", "unknown"}
        "failed": some entry is confirmed outside tolerance (or non-finite); "unknown": no
        entry is confirmed wrong but the check could not verify the gradient (nothing was
        resolved, refinement was inconclusive, or ``require_resolved`` with unresolved entries).
    reason : str
        Why the check did not pass ("" when ok).
    worst : Entry or None
        The entry with the largest error / tolerance ratio (any non-finite analytic entry first).
    failures : tuple of Entry
        Up to 5 worst failing entries.
    hints : tuple of str
        Patterns of the error (a constant factor, a flipped sign, a transpose, a missing array).
    max_abs_error, max_rel_error, norm_rel_error : float
        max |g - n|, max |g - n| / max(|g|, |n|), and ||g - n||_2 / max(||g||_2, ||n||_2).
    n_failed, n_checked : int
        Entries outside tolerance (or non-finite) / entries compared (directions in random mode).
    numeric, analytic : same structure as params
        Numeric and analytic gradients (numeric entries not checked are NaN; in random
        mode ``numeric`` is None and ``directional`` holds (analytic, numeric) pairs).
    n_unresolved : int
        Entries *not verified*: f depends on them (f(x + h e_i) differs from f(x)) but both
        |analytic| and |numeric| are within the rounding noise of the difference quotient.
    resolution : float
        The largest rounding noise among the unresolved entries (0.0 when none).
    n_independent : int
        Entries on which f does not depend: f is bitwise unchanged at x +- h e_i,
        x +- 1024 h e_i and x +- max(1, |x_i|) e_i, and the analytic derivative is exactly 0
        (e.g. the weights of an input that never occurs). Verified, not "unresolved".
    n_inconclusive : int
        Entries the first pass flagged that refinement could neither confirm nor clear.
    n_insensitive : int
        Resolved entries in which an error of 1% would be within tolerance (the measured
        noise of f does not allow catching it there).
    noise : float
        Measured rounding noise (standard deviation) of one evaluation of f.
    independent, unresolved : tuple of str
        Labels of the first (up to 5) independent / unresolved entries.
    detectable : same structure as params, or None
        Per entry, the smallest relative error |e_i| / |g_i| that the check surely catches
        there, (t_i + atol_i) / |g_i| (inf where g_i = 0, NaN where not checked); an entry with
        ``detectable > 0.01`` is counted in ``n_insensitive``. None in random mode.
    n_kinks, kinks : int, tuple of str
        Entries where f has a kink within the step (the slope jumps: central differences give
        the mean of the one-sided slopes) and the analytic value matches a one-sided
        derivative (a ReLU / hinge at its corner); verified one-sided; the first (up to 5) labels.
    n_coarse, coarse_bound : int, float
        Entries that agree with their refined estimate within the first-pass tolerance, but
        whose estimate is known only to +-bound (larger than that tolerance; the largest such
        bound): f is too curved there for the chosen step and too noisy for smaller ones.
    reference : str
        For float32 (float16) parameters: what the float64 reference did (`verify.reference`:
        f and grad evaluated again at float64 copies of params, for the entries float32 could
        not settle), or why there was none; "" when no entry needed it.
    n_reference : int
        Entries decided by the float64 reference (their `Entry.where` is "float64").
    """

    ok: bool
    method: str
    reason: str
    worst: Entry | None
    max_abs_error: float
    max_rel_error: float
    norm_rel_error: float
    n_failed: int
    n_checked: int
    numeric: object
    analytic: object
    rtol: float
    atol: float
    n_evals: int
    elapsed: float
    failures: tuple = field(default=(), repr=False)
    directional: object = field(default=None, repr=False)
    n_unresolved: int = 0
    resolution: float = 0.0
    status: str = "passed"
    hints: tuple = ()
    n_independent: int = 0
    n_inconclusive: int = 0
    n_insensitive: int = 0
    noise: float = 0.0
    n_coarse: int = 0
    coarse_bound: float = 0.0
    independent: tuple = ()
    unresolved: tuple = ()
    detectable: object = field(default=None, repr=False)
    n_kinks: int = 0
    kinks: tuple = ()
    reference: str = ""
    n_reference: int = 0

    def __bool__(self):
        return bool(self.ok)

    def __str__(self):
        unit = "directions" if self.method == "random" else "entries"
        word = {"passed": "passed", "failed": "FAILED"}.get(self.status, "UNVERIFIED")
        head = (
            f"gradient check {word} ({self.method}, {self.n_checked} {unit}, "
            f"rtol={self.rtol:.2g}, atol<={self.atol:.2g}): "
        )
        if self.ok:
            lines = [
                head + f"max abs error {self.max_abs_error:.3g}, max rel error {self.max_rel_error:.3g}, "
                f"norm-relative error {self.norm_rel_error:.3g}"
            ]
        else:
            lines = [head + self.reason]
            lines += [f"hint: {h}" for h in self.hints]
            if self.worst is not None:
                lines.append(f"worst {self.worst}")
            lines += [f"  also {e}" for e in self.failures[1:TOP]]
            lines.append(f"max abs error {self.max_abs_error:.3g}, norm-relative error {self.norm_rel_error:.3g}")
        lines += self.notes()
        text = "\n".join(lines)
        if len(text) > MAX_MESSAGE:
            text = text[: MAX_MESSAGE - 3] + "..."
        return text

    def notes(self):
        """Lines on what the check could not see (unresolved, independent, insensitive entries)."""
        unit = "directions" if self.method == "random" else "entries"
        out = []
        if self.n_unresolved:
            out.append(
                f"{self.n_unresolved} of {self.n_checked} {unit} are below the resolution of finite "
                f"differences (noise ~ {self.resolution:.2g}): not verified" + _first(self.unresolved, self.n_unresolved)
            )
        if self.n_independent:
            out.append(
                f"{self.n_independent} of {self.n_checked} entries: f does not depend on them "
                "(f bitwise unchanged at x ± h, x ± 1024h and x ± max(1, |x|); analytic 0): verified as zero"
                + _first(self.independent, self.n_independent)
            )
        if self.n_coarse:
            out.append(
                f"{self.n_coarse} of {self.n_checked} entries agree with refined finite differences, which "
                f"are known there only to ±{self.coarse_bound:.2g} (f strongly curved): verified coarsely"
            )
        if self.n_kinks:
            out.append(
                f"{self.n_kinks} of {self.n_checked} entries sit at a kink of f (the one-sided slopes differ "
                "within the step): the analytic value matches a one-sided derivative: verified one-sided"
                + _first(self.kinks, self.n_kinks)
            )
        if self.reference:
            out.append(self.reference)
        if self.n_insensitive:
            out.append(
                f"{self.n_insensitive} of {self.n_checked} {unit} are too small for the measured noise of f "
                f"({self.noise:.2g}) to catch an error of 1% in them"
            )
        return out


def _first(labels, n):
    """' (W[0, 1], W[0, 2], ...)' for the first few labels of n entries."""
    if not labels:
        return ""
    return " (" + ", ".join(labels) + (", ..." if n > len(labels) else "") + ")"
