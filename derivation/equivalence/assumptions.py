"""Assumptions (equations among the symbols) solved for one symbol each.

Each equation ``lhs = rhs`` is solved for one symbol ``s = g(others)``:

* tier 0: ``s`` appears linearly with a nonzero *numeric* coefficient
  (e.g. ``y'_n`` in ``y'_1 + ... + y'_n = 1``);
* tier 1: linearly with a coefficient SymPy proves nonzero (``e^V s = 1``);
* tier 2: ``s`` occurs once and can be isolated by bijective steps
  (adding, multiplying by a provably nonzero factor, exp <-> log, 1/u);
* tier 3: isolated through a factor that might vanish: the formula is right
  wherever that factor is nonzero, so it may *generate sample points* (which
  are then checked against the equation) but must not be used in a proof.

A solution of tier 0-2 is used in proofs only when it is *proved* exact: the equation
must be genuinely linear in ``s`` (``f - (c s + r)`` reduces to 0 exactly: SymPy's
derivative of ``arg``, ``Abs``, ``floor``... is not a proof of linearity) and
substituting the solution back must reduce ``f`` to 0 exactly.  Otherwise it is used
for sampling only (the sampler checks every equation at every point).  Then tiers 0-2
are exact substitutions on the solution set of the equation, so a proof after
substituting them is a proof under the assumption.

Equations are taken best tier first (``y = 1`` before ``x*y = 0``), among the best
tier the symbol that sorts last (natural order: y'_3 after y'_2).  After the exact
substitutions, an equation that reduces to ``c = 0`` with a constant ``c`` proved
nonzero, or to ``f = 0`` with ``f`` proved nonzero for all real values (``x**2 + 1``),
makes the set **contradictory** (``Solved.contradiction``); sampling-only choices never
do.  Equations that cannot be solved are kept for sampling only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy

__all__ = ["Solved", "solve_assumptions", "natural_key"]


def natural_key(symbol):
    """Sort key for symbol names that orders embedded numbers numerically."""
    return [(0, int(part)) if part.isdigit() else (1, part)
            for part in re.split(r"(\d+)", symbol.name) if part]


@dataclass
class Solved:
    """Outcome of solving the assumptions.

    proof : dict Symbol -> Expr, substitutions valid for proofs
    sample : dict Symbol -> Expr, substitutions for generating sample points
        (includes ``proof``), fully back-substituted (values free of solved symbols)
    unsolved : list of sympy.Eq kept for sampling only
    notes : list of str, one line per assumption describing what was done
    contradiction : str
        Empty, or why the assumptions cannot all hold (proved exactly)
    """

    proof: dict = field(default_factory=dict)
    sample: dict = field(default_factory=dict)
    unsolved: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    contradiction: str = ""


def _linear(f, s):
    """(coefficient, remainder) if f == c*s + r with c, r free of s, else None."""
    c = sympy.diff(f, s)
    if c.has(s) or c == 0:
        return None
    r = f.xreplace({s: sympy.Integer(0)})
    if r.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return None
    return c, r


def _isolate(f, s):
    """Solve f == 0 for s occurring once in f: (solution, bijective) or None."""
    target = sympy.Integer(0)
    node = f
    bijective = True
    while node != s:
        inner = [a for a in node.args if a.has(s)]
        if len(inner) != 1:
            return None
        (inner,) = inner
        if node.is_Add:
            target = target - (node - inner)
        elif node.is_Mul:
            coefficient = node / inner
            if coefficient.is_zero is not False:
                bijective = False
            target = target / coefficient
        elif isinstance(node, sympy.exp):
            target = sympy.log(target)        # e^u = t  <=>  u = log t  (t > 0)
        elif isinstance(node, sympy.log):
            target = sympy.exp(target)        # log u = t  <=>  u = e^t
        elif node.is_Pow and node.exp == -1:
            target = 1 / target               # 1/u = t  <=>  u = 1/t
        elif node.is_Pow and inner is node.exp and node.base.is_positive and node.base != 1:
            target = sympy.log(target) / sympy.log(node.base)
        else:
            return None
        node = inner
    return target, bijective


def _small(expr, limit=400):
    count = 0
    for _ in sympy.preorder_traversal(expr):
        count += 1
        if count > limit:
            return False
    return True


def _vanishes(g):
    """g is exactly 0 wherever defined (structurally, by expand or by cancel)."""
    if g == 0:
        return True
    if not _small(g):
        return False
    try:
        return sympy.expand(g) == 0 or sympy.cancel(g) == 0
    except Exception:  # SymPy failures prove nothing
        return False


def _nonzero(f):
    """f is proved nonzero for every admissible value of its symbols."""
    if not _small(f, 60):
        return False
    if f.is_zero is False:
        return True
    if f.is_number:
        from derivation.equivalence.numeric import NoInterval, Undefined, bounds, evaluate_interval

        try:
            a, b = bounds(evaluate_interval(f, {}, 40))
        except (Undefined, NoInterval, Exception):
            return False
        return a > 0 or b < 0
    return False


def _exact(f, s, solution, linear):
    """The solution is proved exact: f is linear in s (if so claimed), f(solution) = 0."""
    if linear is not None:
        c, r = linear
        if not _vanishes(f - (c * s + r)):
            return False
    return _vanishes(f.xreplace({s: solution}))


def _choose(f, symbols):
    """Best (tier, symbol, solution) for f == 0, or None (tier 3 if not proved exact)."""
    best = None
    for s in symbols:
        found = None
        linear = _linear(f, s)
        if linear is not None:
            c, r = linear
            tier = 3 if c.is_zero is not False else (0 if c.is_number else 1)
            found = (tier, -r / c)
        elif sum(1 for node in sympy.preorder_traversal(f) if node == s) == 1:
            isolated = _isolate(f, s)
            if isolated is not None:
                solution, bijective = isolated
                found = (2 if bijective else 3, solution)
        if found is None or found[1].has(sympy.I) or found[1].is_real is False:
            continue
        if found[1].has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
            continue
        if found[0] < 3 and not _exact(f, s, found[1], linear):
            found = (3, found[1])
        if best is None or found[0] < best[0] or (
                found[0] == best[0] and natural_key(s) > natural_key(best[1])):
            best = (found[0], s, found[1])
    return best


def _residual(eq, substitution):
    return (eq.lhs - eq.rhs).xreplace(substitution)


def solve_assumptions(equations):
    """Solve each assumption for one symbol (see module doc).

    Parameters
    ----------
    equations : sequence of sympy.Eq

    Returns
    -------
    Solved
        With ``contradiction`` set (and nothing else to be used) when the equations are
        proved to have no common real solution.
    """
    solved = Solved()
    remaining = list(equations)
    # exact substitutions, best tier first
    while remaining:
        candidates = []
        for eq in list(remaining):
            f = _residual(eq, solved.proof)
            if f == 0 or (f.is_number and f.is_zero):
                solved.notes.append(f"{eq}: implied by the others")
                remaining.remove(eq)
                continue
            if _nonzero(f):
                where = " after substituting the others" if solved.proof else ""
                solved.contradiction = (f"{eq} cannot hold{where}: it reduces to {f} = 0, "
                                        f"and {f} is never 0")
                return solved
            choice = _choose(f, sorted(f.free_symbols, key=natural_key))
            if choice is not None and choice[0] < 3:
                candidates.append((choice[0], equations.index(eq), eq, choice))
        if not candidates:
            break
        _, _, eq, (_, s, solution) = min(candidates, key=lambda t: t[:2])
        solved.proof = {k: v.xreplace({s: solution}) for k, v in solved.proof.items()}
        solved.proof[s] = solution
        solved.notes.append(f"{eq}: solved for {s} = {solution}")
        remaining.remove(eq)
    solved.sample = dict(solved.proof)
    # the rest: formulas for generating sample points only, never for proofs
    for eq in remaining:
        f = _residual(eq, solved.sample)
        choice = _choose(f, sorted(f.free_symbols, key=natural_key)) if f.free_symbols else None
        if choice is not None:
            _, s, solution = choice
            trial = {k: v.xreplace({s: solution}) for k, v in solved.sample.items()}
            trial[s] = solution
            clash = any(_residual(other, trial).is_number and _residual(other, trial) != 0
                        for other in remaining if other is not eq)
            if not clash:
                solved.sample = trial
                solved.notes.append(f"{eq}: {s} = {solution} used for sampling only "
                                    "(not proved to be the only solution)")
                continue
        solved.unsolved.append(eq)
        solved.notes.append(f"{eq}: not solved symbolically (used to filter sample points)")
    return solved
