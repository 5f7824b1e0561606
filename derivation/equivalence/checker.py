"""Is ``lhs == rhs``?  Proved exactly, refuted by a counterexample, or unknown.

``equivalent(lhs, rhs, assume=..., timeout=...)`` is the checker the rest of the
project builds on.  Claims are about *real* values of all symbols, wherever
both sides are defined, under the assumed equations:

* **proved** only by exact symbolic reasoning: the assumptions are solved for
  one symbol each and substituted, then cheap exact normalisations are tried in
  order (structural equality, ``expand``, ``cancel``, exp/log normalisation with
  positive exp-atoms followed by ``cancel``), and ``simplify`` as a bounded last
  resort (see ``derivation.equivalence.normalise``);
* **refuted** only with a concrete point that satisfies the assumptions where
  both sides are real and finite and differ, found at 40 digits and confirmed
  exactly (rational arithmetic) or by interval arithmetic at 80-320 digits,
  which cancellation cannot fool (see ``derivation.equivalence.sampling``);
* **unknown** otherwise, always within the time budget: the whole decision runs
  in a forked child process that is killed at the deadline, and symbolic steps
  that may be slow (large inputs, high degrees, big numbers) run in their own
  killable grandchild so that sampling still gets its share of the time
  (``derivation.equivalence.budget``).

Inputs are real-valued expressions: SymPy expressions with the imaginary unit
``I`` or another non-real constant (``(-1)**(1/3)``, ``log(-2)``) get
"unknown" (the parser refuses such constants in text).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import time
from dataclasses import dataclass, field

import mpmath
import sympy

from derivation.equivalence.assumptions import natural_key, solve_assumptions
from derivation.equivalence.budget import FORK_AVAILABLE, BudgetExceeded, Deadline, run_bounded
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
_SAMPLES_FIRST = 30     # valid points in the search before simplify
_SAMPLES_TOTAL = 200    # valid points overall
_NOT_FINITE = (sympy.nan, sympy.zoo, sympy.oo, -sympy.oo)


def _eq_text(eq):
    return f"{sympy.sstr(eq.lhs)} = {sympy.sstr(eq.rhs)}"


def _number_text(value, digits=30):
    """A Float with trailing zeros dropped (1.0, 2.71828182845904523536028747135)."""
    if isinstance(value, sympy.Float):
        return mpmath.nstr(value._to_mpmath(value._prec), digits)
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
        Symbol -> exact Rational (or sympy Float for values computed from the
        assumptions) where the sides differ; ``{}`` if both sides are constants;
        None unless refuted.
    lhs_value, rhs_value : sympy.Rational, sympy.Float or None
        Both sides at the counterexample: exact Rationals when compared exactly,
        else 30 significant digits (midpoints of the confirming intervals).
    method : str
        The normalisation that proved the identity, or how it was refuted.
    assumptions : tuple of sympy.Eq
        The assumptions as given.
    reason : str
        Human-readable explanation.
    elapsed : float
        Seconds spent.

    ``bool(verdict)`` is True iff ``status == "proved"``.
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
                    f"lhs = {_number_text(self.lhs_value)} but rhs = {_number_text(self.rhs_value)} "
                    f"({self.method}).")
        else:
            text = f"unknown{under}: {self.reason}"
            return f"{text} [{self.elapsed:.2f} s]"
        return f"{text} {self.reason} [{self.elapsed:.2f} s]"


# ---- input handling -----------------------------------------------------------
def _as_expr(value, name):
    if isinstance(value, str):
        from derivation.parsing.api import parse  # lazy: the parser is optional for SymPy inputs

        return parse(value)
    if isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr):
            raise TypeError(f"{name} must be a SymPy expression or a string, "
                            f"got {value!r} ({type(value).__name__})")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise TypeError(f"{name} must be a SymPy expression or a string, "
                        f"got {value!r} ({type(value).__name__})")
    if isinstance(value, numbers.Integral):
        return sympy.Integer(int(value))
    if isinstance(value, numbers.Rational):
        return sympy.Rational(int(value.numerator), int(value.denominator))
    if isinstance(value, numbers.Real) and math.isfinite(value):
        return sympy.Rational(repr(float(value)))  # the decimal the user wrote
    raise TypeError(f"{name} must be a finite real number, a SymPy expression or a string, "
                    f"got {value!r}")


def _as_equations(assume):
    if assume is None:
        return ()
    if isinstance(assume, (str, sympy.Basic)):
        assume = (assume,)
    try:
        items = list(assume)
    except TypeError:
        raise ValueError(f"assume must be a sequence of equations, got {assume!r}") from None
    equations = []
    for item in items:
        if isinstance(item, str):
            from derivation.parsing.api import parse_equation

            item = parse_equation(item)
        if item is sympy.true:
            continue  # an equation SymPy already decided is true, e.g. Eq(x, x)
        if item is sympy.false:
            raise ValueError("assumption is false (an equation SymPy already decided, "
                             "e.g. Eq(1, 2)); assumptions must be satisfiable")
        if not isinstance(item, sympy.Equality):
            raise ValueError(f"assumption {item!r} is not an equation "
                             "(expected sympy.Eq or a string 'lhs = rhs')")
        equations.append(item)
    return tuple(equations)


def _check_timeout(timeout):
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(f"timeout must be a number of seconds, got {timeout!r}")
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive finite number of seconds, got {timeout!r}")


def _prepare(exprs):
    """Real symbols and exact decimals.

    Symbols not declared real become real symbols of the same name (claims are
    about real values); Floats become the exact decimal they print as.
    Returns the rewritten expressions and the map back to the given symbols.
    """
    symbols = set()
    floats = set()
    for e in exprs:
        symbols |= e.free_symbols
        floats |= e.atoms(sympy.Float)
    forward, back = {}, {}
    for s in symbols:
        if s.is_real is True:
            back.setdefault(s, s)
            continue
        real = sympy.Dummy(s.name, real=True) if isinstance(s, sympy.Dummy) else sympy.Symbol(s.name, real=True)
        forward[s] = real
        back.setdefault(real, s)
    for f in floats:
        forward[f] = sympy.Rational(str(f)) if f.is_finite else f
    if not forward:
        return list(exprs), back
    return [e.xreplace(forward) for e in exprs], back


def _evaluate_derivatives(expr):
    """Unevaluated ``Derivative`` nodes of low order on small expressions, done.

    Larger ones stay unevaluated (no proof, no sample values: "unknown").
    """
    if not expr.has(sympy.Derivative) or node_count(expr, 5000) >= 5000:
        return expr
    return expr.replace(
        lambda e: isinstance(e, sympy.Derivative) and e.derivative_count <= 3,
        lambda e: e.doit())


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


def equivalent(lhs, rhs, *, assume=(), timeout=5.0):
    """Decide whether ``lhs == rhs`` for all real symbol values (where defined).

    Parameters
    ----------
    lhs, rhs : sympy.Expr, str or real number
        Strings are parsed with :func:`derivation.parsing.parse` (no ``eval``).
    assume : iterable of sympy.Eq or str
        Equations among the symbols, e.g. ``Eq(y1 + y2, 1)`` or ``"y'_1 + y'_2 = 1"``.
        Each is solved for one symbol (a linear one if possible, the last by name,
        e.g. y'_n) which is then substituted into both sides.
    timeout : float
        Hard budget in seconds; the verdict comes back within about
        ``timeout + 0.3`` s whatever the input (the decision runs in a forked
        child process that is killed at the deadline).

    Returns
    -------
    Verdict
        ``status`` "proved" (exact symbolic proof of lhs - rhs == 0), "refuted"
        (with ``counterexample``, a point satisfying the assumptions where both
        sides are real, finite and differ, confirmed exactly or by interval
        arithmetic) or "unknown" (also for inputs with non-real constants such
        as ``sympy.I``).

    Raises
    ------
    TypeError
        If lhs or rhs is not an expression (e.g. a list or None).
    ValueError
        If an assumption is not an equation or the assumptions contradict each
        other; ``derivation.errors.ParseError`` for unparsable strings.

    Examples
    --------
    >>> import sympy
    >>> V1, V2 = sympy.symbols("V_1 V_2", real=True)
    >>> e1, e2 = sympy.exp(V1), sympy.exp(V2)
    >>> equivalent(sympy.log(e1 / (e1 + e2)), V1 - sympy.log(e1 + e2)).status
    'proved'
    """
    _check_timeout(timeout)
    deadline = Deadline(timeout)
    given_lhs = _as_expr(lhs, "lhs")
    given_rhs = _as_expr(rhs, "rhs")
    equations = _as_equations(assume)
    if not FORK_AVAILABLE:  # pragma: no cover - platform dependent (no hard bound)
        return _decide(given_lhs, given_rhs, equations, deadline)
    try:
        verdict = run_bounded(_decide, (given_lhs, given_rhs, equations, deadline),
                              deadline.remaining() + _GRACE, reraise=(ValueError, TypeError))
    except BudgetExceeded:
        reason = ("Neither proved nor refuted: time budget used up (a symbolic or numeric "
                  "step could not finish; it was stopped).")
    except RuntimeError as exc:
        reason = f"Neither proved nor refuted: the check failed ({exc})."
    else:
        return dataclasses.replace(verdict, elapsed=deadline.elapsed())
    return Verdict("unknown", method="none", assumptions=equations, reason=reason,
                   elapsed=deadline.elapsed())


def _decide(given_lhs, given_rhs, equations, deadline):
    """The decision itself (runs in a killable child process, see ``equivalent``)."""

    def verdict(status, **kwargs):
        return Verdict(status, assumptions=equations, elapsed=deadline.elapsed(), **kwargs)

    for side, expr in (("lhs", given_lhs), ("rhs", given_rhs),
                       *(("an assumption", sympy.Tuple(eq.lhs, eq.rhs)) for eq in equations)):
        bad = non_real_constant(expr)
        if bad is not None:
            return verdict("unknown", method="none", reason=(
                f"{side} contains the non-real number {bad}; only real-valued expressions "
                "can be decided (claims are about real values of real symbols)."))

    decimals = ""
    if any(e.has(sympy.Float) for e in (given_lhs, given_rhs, *equations)):
        decimals = " (Decimal numbers were read as the exact fractions they denote.)"
    prepared, back = _prepare([given_lhs, given_rhs, *(sympy.Tuple(eq.lhs, eq.rhs) for eq in equations)])
    left, right = (_evaluate_derivatives(e) for e in prepared[:2])
    eqs = []
    for pair in prepared[2:]:
        eq = sympy.Eq(pair[0], pair[1], evaluate=False)
        if pair[0] == pair[1]:
            continue
        eqs.append(eq)
    solved = solve_assumptions(eqs)
    notes = [f"assumption {n}" for n in solved.notes]

    # ---- exact reasoning, cheap normalisations first ----
    L, R = left.xreplace(solved.proof), right.xreplace(solved.proof)
    for side, expr in (("lhs", L), ("rhs", R)):
        if expr.has(*_NOT_FINITE):
            return verdict("unknown", method="none", reason=(
                f"{side} contains {', '.join(map(str, expr.atoms(*_NOT_FINITE) or _NOT_FINITE))}"
                " (undefined or infinite: e.g. a division by zero), so it has no real value."))
    under = " after substituting " + ", ".join(
        f"{s} = {g}" for s, g in solved.proof.items()) if solved.proof else ""
    if L == R:
        return verdict("proved", method=METHOD_STRUCTURAL,
                       reason=f"Both sides are the same expression{under}.{decimals}")
    small = (node_count(L, 1000) + node_count(R, 1000) <= _INPROCESS_NODES
             and expanded_terms(L - R) <= _INPROCESS_TERMS and _small_numbers(L, R))

    def until(share):  # a share of the time still left, as an absolute deadline
        return deadline.end - (1 - share) * deadline.remaining()

    sampler = Sampler(left, right, eqs, solved)
    found, cheap_note = None, ""
    if not small:
        # most wrong steps fall at the first few points: look before heavy work
        found = sampler.run(until(0.15), _SAMPLES_QUICK)
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

    if found is not None:
        point = {back.get(s, s): v for s, v in found.point.items()}
        return verdict(
            "refuted", counterexample=point, lhs_value=found.lhs_value,
            rhs_value=found.rhs_value,
            method=f"counterexample (sampled at {DPS} digits, {found.how})",
            reason=(f"lhs - rhs = {_number_text(found.difference, 6)} at the counterexample"
                    + (" (which satisfies the assumptions)" if equations else "") + "."))
    if deadline.expired():
        notes.append("time budget used up")
    reason = ("Neither proved nor refuted: no exact normalisation reached 0; no counterexample: "
              + sampler.describe() + ". " + "; ".join(notes))
    return verdict("unknown", method="none", reason=reason.strip())
