"""Identities between expressions over indexed arrays, for all sizes or at concrete sizes.

Interface (used by the document reader; names, signature and attributes are public API):

``check_identity(lhs, rhs, *, assume=(), ranges=None, timeout=5.0) -> IdentityCheck``
    Is lhs = rhs for every size (n, m, N, ... >= 1), every value of the free indices in
    their ranges and all real values of the arrays and symbols, under the assumptions?

    * ``lhs``, ``rhs``: SymPy expressions over ``IndexedBase`` arrays (``w[i, j]``, ``x[j]``),
      plain symbols (read as real), size symbols (the symbols in sum bounds and range
      bounds: positive integers), free index symbols, ``Sum(f, (k, lo, hi))``,
      ``KroneckerDelta``, exp/log/powers and unevaluated ``Derivative`` objects (evaluated
      by `differentiate`).
    * ``assume``: ``sympy.Eq`` equations stated by the user (``Eq(Sum(y[k], (k, 1, n)), 1)``,
      ``Eq(V, 1)``).
    * ``ranges``: {index symbol: (low, high)}, e.g. {i: (1, n), j: (1, m)}.
    * ``timeout``: seconds; the answer comes back within ``timeout`` + about 0.5 s.

    Route 1 (all sizes, at most 60% of the budget): the exact normal form of lhs - rhs
    (``derivation.proofs.sums``: ranges shifted to start at 1, linearity of sums, constants
    out of sums, ln of positive products, Kronecker-delta sums evaluated with the ranges,
    δ_ab f(b) = δ_ab f(a), sums over the same range compared summand by summand) is 0,
    the assumptions substituted for the quantity they fix -> ``status="proved"``,
    ``sizes=None``. Route 2 (concrete sizes): every size combination of a small grid
    (n in 1..4, m in 1..3 for two sizes; 1..5 for one; fewer for more), every index value
    in its range, sums written out, each instance decided exactly (normal form), else by
    the checker's confirmed counterexample search (``derivation.equivalence.confirm.refute``)
    and ``derivation.equivalence.equivalent``: all proved (and at least every size <= 2)
    -> "proved" with ``sizes`` the combinations checked; one refuted (a counterexample
    confirmed as ``equivalent`` confirms) -> "refuted", the counterexample naming the size
    and index values; else "unknown" with the reason. Both routes run in the checker's
    long-lived bounded worker processes (``derivation.equivalence.worker``).

``IdentityCheck`` (frozen dataclass): ``status`` ("proved" | "refuted" | "unknown"), ``ok``
(status == "proved"), ``sizes`` (None = all sizes; else a tuple of {size symbol: int}),
``counterexample`` (None, or {size: int, index: int, w[1, 1]: value, ...} as the caller's
objects), ``reason``, ``method``, ``elapsed`` (seconds).

``differentiate(expr, wrt, *, ranges=None)``: the derivative of ``expr`` with respect to an
array entry ``w[i, j]`` or a plain symbol, Kronecker-delta sums evaluated with ``ranges``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import sympy
from sympy import Sum

from derivation.equivalence.budget import BudgetExceeded, Deadline, run_bounded

try:  # long-lived checker processes: the same hard bound without a fork per call
    from derivation.equivalence.worker import call as bounded_call
except ImportError:  # pragma: no cover - older checker
    bounded_call = run_bounded
from derivation.proofs import sums
from derivation.proofs.instances import check_at_sizes

__all__ = ["check_identity", "IdentityCheck", "differentiate", "STATUSES"]

STATUSES = ("proved", "refuted", "unknown")
_ROUTE1_SHARE = 0.6        # at most this share of the budget for the all-sizes route


@dataclass(frozen=True)
class IdentityCheck:
    """Outcome of `check_identity`.

    Attributes
    ----------
    status : {"proved", "refuted", "unknown"}
    sizes : None or tuple of dict
        None when proved for all sizes; else the size combinations ({n: 2, m: 3}) checked.
    counterexample : dict or None
        For "refuted": sizes, index values and array entries/symbols -> values where the
        sides differ (confirmed by ``derivation.equivalence.equivalent``).
    reason : str
        Human-readable explanation (names the size of a refutation).
    method : str
        How the status was reached.
    elapsed : float
        Wall time in seconds.
    """

    status: str
    sizes: tuple | None = field(default=None, hash=False)
    counterexample: dict | None = field(default=None, hash=False)
    reason: str = ""
    method: str = ""
    elapsed: float = field(default=0.0, compare=False)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @property
    def ok(self) -> bool:
        return self.status == "proved"

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        where = "all sizes" if self.sizes is None else f"sizes {_sizes_text(self.sizes)}"
        if self.status == "proved":
            return f"proved for {where} ({self.method}) [{self.elapsed:.2f} s]"
        return f"{self.status}: {self.reason} [{self.elapsed:.2f} s]"


def _sizes_text(sizes):
    return ", ".join("(" + ", ".join(f"{s}={v}" for s, v in combo.items()) + ")"
                     for combo in sizes) or "(none)"


# -- input --------------------------------------------------------------------------------
def _expr(value, name):
    if isinstance(value, sympy.Expr):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return sympy.Rational(repr(value)) if isinstance(value, float) else sympy.sympify(value)
    raise TypeError(f"{name} must be a SymPy expression, got {value!r} ({type(value).__name__})")


def _timeout(timeout):
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(f"timeout must be a number of seconds, got {timeout!r}")
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive finite number of seconds, got {timeout!r}")
    return float(timeout)


def _ranges(ranges):
    if ranges is None:
        return {}
    if not isinstance(ranges, dict):
        raise TypeError(f"ranges must be a dict {{index symbol: (low, high)}}, got {ranges!r}")
    out = {}
    for index, bounds in ranges.items():
        if not isinstance(index, sympy.Symbol):
            raise TypeError(f"ranges key {index!r} is not a SymPy symbol")
        if not (isinstance(bounds, (tuple, list)) and len(bounds) == 2):
            raise ValueError(f"range of {index} must be (low, high), got {bounds!r}")
        out[index] = tuple(_expr(b, f"bound of {index}") for b in bounds)
    return out


def _equations(assume):
    if assume is None:
        return ()
    if isinstance(assume, sympy.Basic):
        assume = (assume,)
    out = []
    for eq in assume:
        if eq is sympy.true:
            continue
        if not isinstance(eq, sympy.Equality):
            raise ValueError(f"assumption {eq!r} is not an equation (expected sympy.Eq)")
        out.append(eq)
    return tuple(out)


class _Vocabulary:
    """The caller's objects <-> the working ones: arrays and plain symbols real, sizes
    positive integers, free indices the range keys (matched by name)."""

    def __init__(self, exprs, ranges):
        whole = sympy.Tuple(*exprs, *(b for r in ranges.values() for b in r))
        bound = {lim[0] for s in whole.atoms(Sum) for lim in s.limits}
        size_names = {str(v) for s in whole.atoms(Sum) for lim in s.limits for b in lim[1:]
                      for v in b.free_symbols}
        size_names |= {str(v) for r in ranges.values() for b in r for v in b.free_symbols}
        index_by_name = {str(k): k for k in ranges}
        size_names -= set(index_by_name)
        forward = {}
        for s in whole.free_symbols | bound:
            if not isinstance(s, sympy.Symbol) or s in bound:
                continue
            if s.name in index_by_name:
                target = index_by_name[s.name]
            elif s.name in size_names:
                target = s if (s.is_integer and s.is_positive) else \
                    sympy.Symbol(s.name, integer=True, positive=True)
            elif s.is_integer or s.is_real:
                target = s
            else:
                target = sympy.Symbol(s.name, real=True)
            if target != s:
                forward[s] = target
        for base in {e.base for e in whole.atoms(sympy.Indexed)}:
            if base.is_real is not True:
                forward[base] = sympy.IndexedBase(sympy.Symbol(str(base.label), real=True))
        self.forward = forward
        self.back = {v: k for k, v in forward.items()}
        self.sizes = tuple(sorted({forward.get(s, s) for s in whole.free_symbols
                                   if isinstance(s, sympy.Symbol) and s.name in size_names},
                                  key=lambda s: s.name))
        self.ranges = {k: tuple(b.xreplace(forward) for b in r) for k, r in ranges.items()}
        # free integer symbols that are neither sizes nor indices with a range
        self.loose = tuple(sorted((forward.get(s, s) for s in whole.free_symbols
                                   if isinstance(s, sympy.Symbol) and s.is_integer
                                   and forward.get(s, s) not in self.sizes
                                   and forward.get(s, s) not in self.ranges), key=str))

    def to_work(self, expr):
        return expr.xreplace(self.forward) if self.forward else expr

    def to_caller(self, expr):
        return expr.xreplace(self.back) if self.back else expr


# -- derivatives --------------------------------------------------------------------------
def differentiate(expr, wrt, *, ranges=None, timeout=None):
    """The derivative d expr / d wrt, Kronecker-delta sums evaluated.

    Parameters
    ----------
    expr : sympy.Expr
        Over IndexedBase arrays, sums with symbolic or concrete bounds, exp/log/powers
        (unevaluated Derivatives inside are evaluated first).
    wrt : sympy.Indexed or sympy.Symbol
        An array entry such as ``w[i, j]`` (free indices i, j) or a plain symbol.
    ranges : dict, optional
        {index symbol: (low, high)}; Σ_k δ_{k,i} f_k = f_i needs low_k <= i <= high_k, which
        is read from these ranges (e.g. {i: (1, n), j: (1, m)}).
    timeout : float, optional
        Seconds; when given, the differentiation runs in a bounded worker process and
        ``TimeoutError`` is raised when it does not finish in time (None: in-process).

    Returns
    -------
    sympy.Expr
        The derivative, in the caller's symbols (summation variables renamed k, l, r, ...,
        names that occur nowhere else in the result).
        Derivatives of sums over a bound variable that is also a free index of ``wrt`` are
        computed after renaming the bound variable, so Σ_i y_i ln p_i differentiated by
        w[i, j] is the true derivative, not a capture of i.

    Raises
    ------
    TypeError
        If expr is not an expression or wrt is not an array entry or a symbol.
    TimeoutError
        When ``timeout`` is given and the derivative is not done in time.
    """
    expr = _expr(expr, "expr")
    if not isinstance(wrt, (sympy.Indexed, sympy.Symbol)):
        raise TypeError(f"wrt must be an array entry like w[i, j] or a symbol, got {wrt!r}")
    ranges = _ranges(ranges)
    if timeout is None:
        return _differentiate(expr, wrt, ranges)
    seconds = _timeout(timeout)
    try:
        return sums.rebuilt(bounded_call(_differentiate, (expr, wrt, ranges), seconds))
    except BudgetExceeded:
        raise TimeoutError(f"differentiate did not finish within {seconds:g} s") from None


def _differentiate(expr, wrt, ranges):
    vocabulary = _Vocabulary([expr, wrt], ranges)
    work, target = vocabulary.to_work(expr), vocabulary.to_work(wrt)
    ranges = vocabulary.ranges
    result = sums.derivative(sums.evaluate_derivatives(work, ranges), target, ranges)
    if sums.may_combine_powers(result):
        result = sympy.powsimp(result, deep=True, combine="exp")   # e^{-a} e^{a} = 1
    return _readable(vocabulary.to_caller(result))


def _readable(expr):
    """Canonical bound variables _s0, _s1, ... renamed k, l, r, ... (names free nowhere in
    `expr`, one per height, so no renaming captures anything)."""
    bound = sorted({lim[0] for e in expr.atoms(Sum) for lim in e.limits
                    if lim[0].name.startswith(sums.BOUND_PREFIX)}, key=lambda b: b.name)
    if not bound:
        return expr
    taken = {s.name for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
    taken |= {str(e.base) for e in expr.atoms(sympy.Indexed)}
    pool = [c for c in ("k", "l", "r", "s", "t", "u", "a", "c", "d")
            + tuple(f"k_{t}" for t in range(1, 20)) if c not in taken]
    if len(pool) < len(bound):
        return expr
    rename = {b: sympy.Symbol(name, integer=True) for b, name in zip(bound, pool)}
    return expr.xreplace(rename)


_SMALL = 3000   # nodes: inputs up to this size are read in-process, larger ones bounded


def _small(exprs, limit=_SMALL) -> bool:
    count = 0
    for e in exprs:
        for _ in sympy.preorder_traversal(e):
            count += 1
            if count > limit:
                return False
    return True


def _bounded_if_large(func, args, exprs, seconds):
    """func(*args) in-process for small inputs, else in a bounded worker (`seconds`)."""
    if _small(exprs):
        return func(*args)
    return _rebuilt(bounded_call(func, args, max(seconds, 0.05)))


def _rebuilt(result):
    """SymPy parts of a worker's (tuple) result rebuilt with evaluation (`sums.rebuilt`)."""
    if isinstance(result, tuple):
        return tuple(_rebuilt(r) for r in result)
    return sums.rebuilt(result) if isinstance(result, sympy.Basic) else result


def _read(given, equations, ranges):
    """(vocabulary, lhs, rhs, equations) in the working symbols."""
    vocabulary = _Vocabulary(given + [e.lhs for e in equations] + [e.rhs for e in equations],
                             ranges)
    L, R = (vocabulary.to_work(e) for e in given)
    eqs = tuple(sympy.Eq(vocabulary.to_work(e.lhs), vocabulary.to_work(e.rhs), evaluate=False)
                for e in equations)
    return vocabulary, L, R, eqs


# -- route 1: for all sizes ---------------------------------------------------------------
def _all_sizes(lhs, rhs, equations, ranges, protected):
    """(proved, evaluated lhs, evaluated rhs, evaluated equations); runs bounded."""
    lhs, rhs = sums.evaluate_derivatives(lhs, ranges), sums.evaluate_derivatives(rhs, ranges)
    equations = tuple(sympy.Eq(sums.evaluate_derivatives(e.lhs, ranges),
                               sums.evaluate_derivatives(e.rhs, ranges), evaluate=False)
                      for e in equations)
    claim_free = lhs.free_symbols | rhs.free_symbols
    substitutions = []
    for eq in equations:
        solved = sums.solve_for_atom(sums.normal_form(eq.lhs - eq.rhs, ranges), protected)
        if solved is None:
            continue
        # an index of the assumption that is not in the claim: "for every" value in its range
        universal = [k for k in solved[0].free_symbols if k in ranges and k not in claim_free]
        if len(universal) == 1:
            k = universal[0]
            substitutions.append((*solved, k, tuple(sympy.sympify(b) for b in ranges[k])))
        elif not universal:
            substitutions.append(solved)
    proved = sums.is_zero(lhs - rhs, ranges, substitutions)
    return proved, lhs, rhs, equations


class _NotZero(Exception):
    """Route 1 already known not to reach 0 (see ``_all_sizes_done``)."""


def check_identity(lhs, rhs, *, assume=(), ranges=None, timeout=5.0,
                   _all_sizes_done=False) -> IdentityCheck:
    """Decide lhs = rhs for all sizes (route 1) or at every concrete size of a grid (route 2).

    Parameters
    ----------
    lhs, rhs : sympy.Expr
        See the module docstring for the vocabulary.
    assume : iterable of sympy.Eq
        Stated assumptions, used by both routes.
    ranges : dict, optional
        {free index symbol: (low, high)}; the identity is claimed for every index value in
        its range.
    timeout : float
        Budget in seconds (the whole call returns within timeout + about 0.5 s).
    _all_sizes_done : bool
        Private (the document reader): route 1 already ran on these exact sides, without
        derivatives, and did not reach 0; only route 2 is run.

    Returns
    -------
    IdentityCheck

    Raises
    ------
    TypeError, ValueError
        For a non-expression side, a bad range, an assumption that is not an equation or
        a bad timeout (the message names the value).
    """
    timeout = _timeout(timeout)
    deadline = Deadline(timeout)
    given = [_expr(lhs, "lhs"), _expr(rhs, "rhs")]
    equations = _equations(assume)
    ranges = _ranges(ranges)
    try:
        vocabulary, L, R, eqs = _bounded_if_large(
            _read, (given, equations, ranges), given + [e.lhs for e in equations]
            + [e.rhs for e in equations], 0.3 * deadline.remaining())
    except (BudgetExceeded, RuntimeError) as exc:
        why = ("the input is too large to read within the budget"
               if isinstance(exc, BudgetExceeded) else f"the input could not be read ({exc})")
        return IdentityCheck("unknown", None, None, why, "none", deadline.elapsed())
    protected = set(vocabulary.sizes) | set(vocabulary.ranges)
    note = ""
    try:
        if _all_sizes_done:
            raise _NotZero
        outcome = bounded_call(_all_sizes, (L, R, eqs, vocabulary.ranges, protected),
                               _ROUTE1_SHARE * deadline.remaining())
    except BudgetExceeded:
        note = "the all-sizes normal form did not finish in its share of the budget"
    except RuntimeError as exc:
        note = f"the all-sizes normal form failed ({exc})"
    except _NotZero:
        note = "the all-sizes normal form of lhs - rhs is not 0"
    else:
        if outcome[0]:      # proved: the evaluated sides are not needed (not rebuilt)
            return IdentityCheck("proved", None, None, "lhs - rhs has normal form 0 for every "
                                 "size and index value in its range", "normal form for all "
                                 "sizes (IndexedBase/Sum)", deadline.elapsed())
        _, L, R, eqs = _rebuilt(outcome)
        note = "the all-sizes normal form of lhs - rhs is not 0"
    status, sizes, point, reason, method = check_at_sizes(L, R, eqs, vocabulary, deadline)
    if point is not None:
        point = {vocabulary.to_caller(k): v for k, v in point.items()}
    if sizes is not None:
        sizes = tuple({vocabulary.to_caller(k): v for k, v in combo.items()} for combo in sizes)
    if status != "proved":
        reason = f"{reason}; {note}" if status == "unknown" else reason
    if not vocabulary.sizes:
        sizes = None             # nothing depends on a size
    return IdentityCheck(status, sizes, point, reason, method, deadline.elapsed())
