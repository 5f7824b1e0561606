"""Is ``lhs == rhs``?  Proved exactly, refuted by a counterexample, or unknown.

``equivalent(lhs, rhs, assume=..., timeout=...)`` is the checker the rest of the
project builds on.  Claims are about *real* values of all symbols, at every point
where both sides *as typed* are defined, under the assumed equations:

* **proved** only by exact symbolic reasoning: the assumptions are solved for
  one symbol each and substituted (only solutions proved exact), then cheap exact
  normalisations are tried in order (structural equality, ``expand``, ``cancel``,
  exp/log normalisation with positive exp-atoms followed by ``cancel``), and
  ``simplify`` as a bounded last resort (see ``derivation.equivalence.normalise``).
  They work on SymPy's evaluated form of the input, an identity wherever the typed
  form is defined (``sqrt(x)**2`` -> x holds for x >= 0);
* **refuted** only with a concrete point that satisfies the assumptions where
  both typed sides are real and finite and differ, found at 40 digits and confirmed
  exactly (rational arithmetic) or by interval arithmetic at 80-320 digits,
  which cancellation cannot fool (see ``derivation.equivalence.sampling`` and the
  reusable standard ``derivation.equivalence.confirm``);
* **unknown** otherwise, always within the time budget: the decision (parsing
  included) runs in a long-lived checker process that is killed at the deadline
  and replaced (``derivation.equivalence.worker``), and symbolic steps that may be
  slow (large inputs, high degrees, big numbers) run in their own killable
  grandchild so that sampling still gets its share of the time
  (``derivation.equivalence.budget``).

Inputs are real-valued expressions: SymPy expressions with the imaginary unit
``I`` or another non-real constant (``(-1)**(1/3)``, ``log(-2)``) get
"unknown" (the parser refuses such constants in text)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import mpmath
import sympy

from derivation.equivalence import worker
from derivation.equivalence.assumptions import natural_key, solve_assumptions
from derivation.equivalence.budget import FORK_AVAILABLE, BudgetExceeded, Deadline, run_bounded
from derivation.equivalence.inputs import (
    as_equations, as_expr, assumption_items, check_input, check_timeout, prepare, typed_xreplace,
)
from derivation.equivalence.normalise import (
    METHOD_STRUCTURAL, cheap_proof, expanded_terms, node_count, non_real_constant,
    simplify_proof,
)
from derivation.equivalence.sampling import DPS, Sampler

__all__ = ["Verdict", "equivalent", "STATUSES"]

STATUSES = ("proved", "refuted", "unknown")

# inputs at most this big get the cheap normalisations in-process (measured:
# well under 0.1 s); anything bigger runs them in a killable subprocess
_INPROCESS_NODES = 120
_INPROCESS_TERMS = 150
_INPROCESS_NUMBER = 16  # ... and every rational p/q with |p|, q <= this: numbers in
                        # exp(200 x) or x**500 become polynomial degrees (factor, real_roots)
_GRACE = 0.3            # extra seconds the parent waits for the child's verdict
_SAMPLES_QUICK = 8      # valid points looked at before heavy symbolic work
_SAMPLES_QUICK_SMALL = 3  # ... before the in-process normalisations of small inputs
_SAMPLES_FIRST = 30     # valid points in the search before simplify
_SAMPLES_TOTAL = 200    # valid points overall
_NOT_FINITE = (sympy.nan, sympy.zoo, sympy.oo, -sympy.oo)


def _eq_text(eq):
    return f"{sympy.sstr(eq.lhs)} = {sympy.sstr(eq.rhs)}"


def _number_text(value, digits=30):
    """A Float with trailing zeros dropped (1.0, 2.71828182845904523536028747135)."""
    if isinstance(value, sympy.Float):
        return mpmath.nstr(value._to_mpmath(value._prec), digits)
    if isinstance(value, sympy.Rational) and max(value.p.bit_length(), value.q.bit_length()) > 3000:
        with mpmath.workdps(digits + 5):  # too long to print in full
            return "about " + mpmath.nstr(mpmath.mpf(value.p) / value.q, digits)
    return str(value)


def _point_text(point):
    return ", ".join(f"{s} = {point[s]}" for s in sorted(point, key=natural_key))


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`equivalent`.

    Attributes
    ----------
    status : {"proved", "refuted", "unknown"}
    counterexample : dict or None
        Symbol (or ``Indexed`` atom such as ``w[1, 2]``, as given) -> exact Rational
        (or sympy Float for values computed from the assumptions) where the sides
        differ; ``{}`` if both sides are constants; None unless refuted.
    lhs_value, rhs_value : sympy.Rational, sympy.Float or None
        Both sides at the counterexample: exact Rationals when compared exactly,
        else 30 significant digits (midpoints of the confirming intervals).
    method : str
        The normalisation that proved the identity, or how it was refuted.
    assumptions : tuple of sympy.Eq
        The assumptions as given.
    reason : str
        Human-readable explanation; for "unknown" it says why (e.g. "time budget
        exhausted", "the assumptions are contradictory (...)").
    ok : bool
        True iff ``status == "proved"``.
    elapsed : float
        Seconds spent.

    ``verdict.ok`` and ``bool(verdict)`` are True iff ``status == "proved"``.
    """

    status: str
    counterexample: dict | None = field(default=None, hash=False)
    lhs_value: sympy.Expr | None = None
    rhs_value: sympy.Expr | None = None
    method: str = ""
    assumptions: tuple = ()
    reason: str = ""
    elapsed: float = field(default=0.0, compare=False)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @property
    def ok(self) -> bool:
        """True iff ``status == "proved"``."""
        return self.status == "proved"

    def __bool__(self):
        return self.status == "proved"

    def __str__(self):
        under = ""
        if self.assumptions:
            under = " under " + ", ".join(_eq_text(eq) for eq in self.assumptions)
        if self.status == "proved":
            text = (f"proved: the two sides are equal wherever both sides are defined{under} "
                    f"(method: {self.method}).")
        elif self.status == "refuted":
            where = _point_text(self.counterexample) if self.counterexample else "any point"
            text = (f"refuted: the two sides differ{under}; at {where} "
                    f"lhs = {_number_text(self.lhs_value)} "
                    f"but rhs = {_number_text(self.rhs_value)} "
                    f"({self.method}).")
        else:
            text = f"unknown{under}: {self.reason}"
            return f"{text} [{self.elapsed:.2f} s]"
        return f"{text} {self.reason} [{self.elapsed:.2f} s]"


# ---- operators typed by the user: derivatives, sums with concrete bounds ------------------
_MAX_SUM_TERMS = 2000


def _concrete_sum(e):
    if not isinstance(e, (sympy.Sum, sympy.Product)):
        return False
    count = 1
    for limit in e.limits:
        if len(limit) != 3 or not (limit[1].is_Integer and limit[2].is_Integer):
            return False
        count *= max(0, int(limit[2]) - int(limit[1]) + 1)
    return count <= _MAX_SUM_TERMS


def evaluate_operators(expr):
    """Unevaluated ``Derivative`` nodes of low order on small expressions, and ``Sum`` /
    ``Product`` with concrete integer bounds (at most 2000 terms), done.

    Larger ones stay unevaluated (no proof, no sample values: "unknown").
    """
    if not expr.has(sympy.Derivative, sympy.Sum, sympy.Product) or node_count(expr, 5000) >= 5000:
        return expr
    done = {}
    stack = [expr]
    while stack:  # the outermost operators; the tree around them stays as typed
        node = stack.pop()
        derivative = isinstance(node, sympy.Derivative) and node.derivative_count <= 3
        if derivative or _concrete_sum(node):
            done[node] = node.doit()
        else:
            stack.extend(a for a in node.args if isinstance(a, sympy.Basic))
    return typed_xreplace(expr, done) if done else expr


def _small_numbers(*exprs):
    """Every rational number (coefficient, exponent) in ``exprs`` is small."""
    return all(abs(q.p) <= _INPROCESS_NUMBER and q.q <= _INPROCESS_NUMBER
               for e in exprs for q in e.atoms(sympy.Rational))


# ---- the checker ------------------------------------------------------------------
def _symbolic(func, L, R, until, small):
    """(method or None, note) from ``func(L, R)``; bounded unless ``small``.

    ``until`` is the absolute (``time.monotonic``) end of this step.
    """
    try:
        if small:
            return func(L, R), ""
        return run_bounded(func, (L, R), until - time.monotonic()), ""
    except BudgetExceeded:
        return None, "timed out"
    except Exception as exc:  # SymPy failures are "not proved", reported in the reason
        return None, f"failed ({type(exc).__name__}: {exc})"


def _satisfiability_note(sampler, deadline):
    """A warning when no sample point satisfies the assumptions (they may be contradictory)."""
    probe = sampler.run(min(deadline.end, time.monotonic() + 0.1 * deadline.remaining()), 5)
    if probe is None and sampler.valid == 0:
        return (" (Warning: no point satisfying all the assumptions was found; they may be "
                "contradictory, and a claim under contradictory assumptions is vacuous.)")
    return ""


def equivalent(lhs, rhs, *, assume=(), timeout=5.0):
    """Decide whether ``lhs == rhs`` at every real point where both sides, as typed, are defined.

    Semantics: the claim is that for all real values of the symbols (respecting their
    SymPy assumptions: ``integer``, ``odd``, ``positive``, ...) that satisfy every
    assumption and at which *both sides as typed* have a real, finite value, the two
    values are equal.  "As typed" matters: ``sqrt(x)**2`` has no real value at x < 0
    (even though SymPy would rewrite it to x), ``x/x`` none at 0, ``log(u)`` none at
    u <= 0; no counterexample is ever taken at such a point.  ``Indexed`` atoms
    (``w[1, 2]``) are real variables like symbols.

    Parameters
    ----------
    lhs, rhs : sympy.Expr, str or real number
        Strings are parsed with :func:`derivation.parsing.parse` (no ``eval``), inside
        the time budget.  Floats (Python or ``sympy.Float``) are read as their exact
        binary value (``2.0**70`` is 2**70; ``0.1`` is not 1/10: pass ``"0.1"``).
    assume : iterable of sympy.Eq or str
        Equations among the symbols, e.g. ``Eq(y1 + y2, 1)`` or ``"y'_1 + y'_2 = 1"``.
        Each is solved for one symbol (a linear one if possible, the last by name,
        e.g. y'_n); a solution is substituted in proofs only when it is proved exact,
        else it only generates sample points.
    timeout : float
        Hard budget in seconds, parsing included; the verdict comes back within about
        ``timeout + 0.3`` s whatever the input.  The decision runs in a long-lived
        checker process (reused across calls: warm SymPy cache, no fork per call) that
        is killed and replaced when a budget runs out.

    Returns
    -------
    Verdict
        ``status`` "proved" (exact symbolic proof), "refuted" (with ``counterexample``:
        a point satisfying the assumptions where both sides as typed are real, finite
        and differ, confirmed exactly or by interval arithmetic -- the standard of
        :func:`derivation.equivalence.confirm_counterexample`) or "unknown" with the
        reason: e.g. "time budget exhausted", a non-real constant such as
        ``sympy.I``, or **contradictory assumptions** (when they are proved to have no
        common solution the verdict is "unknown" and the reason starts with "the
        assumptions are contradictory": nothing is proved from a contradiction).
        ``.ok`` is True iff proved.

    Raises
    ------
    TypeError
        If lhs or rhs is not an expression (e.g. a list or None).
    ValueError
        If an assumption is not an equation; ``derivation.errors.ParseError`` (a
        ValueError) for unparsable strings.

    Examples
    --------
    >>> import sympy
    >>> V1, V2 = sympy.symbols("V_1 V_2", real=True)
    >>> e1, e2 = sympy.exp(V1), sympy.exp(V2)
    >>> equivalent(sympy.log(e1 / (e1 + e2)), V1 - sympy.log(e1 + e2)).status
    'proved'
    """
    check_timeout(timeout)
    deadline = Deadline(timeout)
    check_input(lhs, "lhs")
    check_input(rhs, "rhs")
    assume = assumption_items(assume)
    if not FORK_AVAILABLE:  # pragma: no cover - platform dependent (no hard bound)
        return _decide(lhs, rhs, assume, deadline)
    try:
        verdict = worker.call(_decide, (lhs, rhs, assume, deadline),
                              deadline.remaining() + _GRACE, reraise=(ValueError, TypeError))
    except BudgetExceeded:
        reason = ("Neither proved nor refuted: time budget exhausted (parsing, a symbolic or "
                  "a numeric step could not finish; it was stopped).")
    except RuntimeError as exc:
        reason = f"Neither proved nor refuted: the check failed ({exc})."
    else:
        return dataclasses.replace(verdict, elapsed=deadline.elapsed())
    equations = assume if isinstance(assume, tuple) and all(
        isinstance(e, sympy.Equality) for e in assume) else ()
    return Verdict("unknown", method="none", assumptions=equations, reason=reason,
                   elapsed=deadline.elapsed())


def _decide(lhs, rhs, assume, deadline):
    """The decision itself (runs in the bounded checker process, see ``equivalent``)."""
    given_lhs, given_rhs = as_expr(lhs, "lhs"), as_expr(rhs, "rhs")
    all_equations = as_equations(assume)
    equations = tuple(eq for eq in all_equations if eq is not sympy.false)

    def verdict(status, **kwargs):
        return Verdict(status, assumptions=equations, elapsed=deadline.elapsed(), **kwargs)

    if len(equations) < len(all_equations):
        return verdict("unknown", method="none", reason=(
            "the assumptions are contradictory: an equation is false as given (e.g. "
            "Eq(1, 2)); nothing can be proved or refuted under them."))
    for side, expr in (("lhs", given_lhs), ("rhs", given_rhs),
                       *(("an assumption", sympy.Tuple(eq.lhs, eq.rhs)) for eq in equations)):
        bad = non_real_constant(expr)
        if bad is not None:
            return verdict("unknown", method="none", reason=(
                f"{side} contains the non-real number {bad}; only real-valued expressions "
                "can be decided (claims are about real values of real symbols)."))

    # derivatives and concrete sums first: a bound index must not become an atom
    given_lhs, given_rhs = evaluate_operators(given_lhs), evaluate_operators(given_rhs)
    prep = prepare([given_lhs, given_rhs, *(sympy.Tuple(eq.lhs, eq.rhs) for eq in equations)])
    decimals = prep.float_note
    left, right = prep.evaluated[:2]
    typed_left, typed_right = prep.typed[:2]
    eqs = [sympy.Eq(p[0], p[1], evaluate=False) for p in prep.evaluated[2:] if p[0] != p[1]]
    solved = solve_assumptions(eqs)
    if solved.contradiction:
        return verdict("unknown", method="none", reason=(
            f"the assumptions are contradictory ({solved.contradiction}); nothing can be "
            "proved or refuted under them."))
    notes = [f"assumption {n}" for n in solved.notes]

    # ---- exact reasoning on the evaluated forms (identities where the typed ones are defined) ----
    L, R = left.xreplace(solved.proof), right.xreplace(solved.proof)
    for side, expr in (("lhs", L), ("rhs", R)):
        if expr.has(*_NOT_FINITE):
            return verdict("unknown", method="none", reason=(
                f"{side} contains {', '.join(map(str, expr.atoms(*_NOT_FINITE) or _NOT_FINITE))}"
                " (undefined or infinite: e.g. a division by zero), so it has no real value."))
    under = " after substituting " + ", ".join(
        f"{s} = {g}" for s, g in solved.proof.items()) if solved.proof else ""
    if solved.unsolved:  # assumptions kept for sampling: are they satisfiable at all?
        decimals += _satisfiability_note(Sampler(typed_left, typed_right, eqs, solved), deadline)
    if L == R:
        return verdict("proved", method=METHOD_STRUCTURAL,
                       reason=f"Both sides are the same expression{under}.{decimals}")
    small = (node_count(L, 1000) + node_count(R, 1000) <= _INPROCESS_NODES
             and expanded_terms(L - R) <= _INPROCESS_TERMS and _small_numbers(L, R))

    def until(share):  # a share of the time still left, as an absolute deadline
        return deadline.end - (1 - share) * deadline.remaining()

    # ---- counterexamples on the typed forms (their domain) ----
    sampler = Sampler(typed_left, typed_right, eqs, solved)
    found, cheap_note = None, ""
    # most wrong steps fall at the first few points: look before symbolic work (which can
    # cost a few tenths of a second even on small inputs)
    found = sampler.run(until(0.15), _SAMPLES_QUICK if not small else _SAMPLES_QUICK_SMALL)
    if found is None:
        method, cheap_note = _symbolic(cheap_proof, L, R, until(0.5), small)
        if method:
            return verdict("proved", method=method,
                           reason=f"lhs - rhs reduces to 0{under}.{decimals}")
        if cheap_note:
            notes.append(f"cheap normalisations {cheap_note}")
        found = sampler.run(until(0.35), _SAMPLES_FIRST)

    # ---- simplify as a bounded last resort, then more sampling ----
    if found is None and cheap_note != "timed out" and deadline.remaining() > 0.05:
        method, note = _symbolic(simplify_proof, L, R, until(0.7), False)
        if method:
            return verdict("proved", method=method,
                           reason=f"lhs - rhs simplifies to 0{under}.{decimals}")
        notes.append(f"simplify {note}" if note else "simplify did not reach 0")
    if found is None:
        found = sampler.run(deadline.end, _SAMPLES_TOTAL)

    if found is not None and prep.indexed_clash:
        notes.append("a difference was found, but indexed atoms with symbolic indices could "
                     "coincide (e.g. x[j] and x[1] at j = 1), so it is not confirmed")
        found = None
    if found is not None:
        point = {prep.back.get(s, s): v for s, v in found.point.items()}
        return verdict(
            "refuted", counterexample=point, lhs_value=found.lhs_value,
            rhs_value=found.rhs_value,
            method=f"counterexample (sampled at {DPS} digits, {found.how})",
            reason=(f"lhs - rhs = {_number_text(found.difference, 6)} at the counterexample"
                    + (" (which satisfies the assumptions)" if equations else "") + "."
                    + decimals))
    if deadline.expired():
        notes.append("time budget exhausted")
    reason = ("Neither proved nor refuted: no exact normalisation reached 0; no counterexample: "
              + sampler.describe() + ". " + "; ".join(notes))
    return verdict("unknown", method="none", reason=(reason.strip() + decimals))
