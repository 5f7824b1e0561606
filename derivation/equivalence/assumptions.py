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

Tiers 0-2 are exact substitutions on the solution set of the equation, so a
proof after substituting them is a proof under the assumption.  Among the best
tier the symbol that sorts last (natural order: y'_3 after y'_2) is chosen.
Equations that cannot be solved are kept for sampling only.
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
    """

    proof: dict = field(default_factory=dict)
    sample: dict = field(default_factory=dict)
    unsolved: list = field(default_factory=list)
    notes: list = field(default_factory=list)


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


def _choose(f, symbols):
    """Best (tier, symbol, solution) for f == 0, or None."""
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
        if best is None or found[0] < best[0] or (
                found[0] == best[0] and natural_key(s) > natural_key(best[1])):
            best = (found[0], s, found[1])
    return best


def solve_assumptions(equations):
    """Solve each assumption for one symbol (see module doc).

    Parameters
    ----------
    equations : sequence of sympy.Eq

    Returns
    -------
    Solved

    Raises
    ------
    ValueError
        If the assumptions contradict each other (an equation reduces to
        ``c = 0`` with a nonzero constant c after substituting the others).
    """
    solved = Solved()
    sample_only = set()
    for eq in equations:
        f = (eq.lhs - eq.rhs).xreplace(solved.sample)
        # solved with a sampling-only substitution -> sampling only as well
        tainted = bool(eq.xreplace(solved.proof).free_symbols & sample_only)
        if f == 0 or (f.is_number and f.is_zero):
            solved.notes.append(f"{eq}: implied by the others")
            continue
        if f.is_number:
            raise ValueError(f"assumption {eq} contradicts the others (it reduces to {f} = 0)")
        choice = _choose(f, sorted(f.free_symbols, key=natural_key))
        if choice is None:
            solved.unsolved.append(eq)
            solved.notes.append(f"{eq}: not solved symbolically (used to filter sample points)")
            continue
        tier, s, solution = choice
        for_proof = tier < 3 and not tainted
        solved.sample = {k: v.xreplace({s: solution}) for k, v in solved.sample.items()}
        solved.sample[s] = solution
        if for_proof:
            solved.proof = {k: v.xreplace({s: solution}) for k, v in solved.proof.items()}
            solved.proof[s] = solution
            solved.notes.append(f"{eq}: solved for {s} = {solution}")
        else:
            sample_only.add(s)
            solved.notes.append(
                f"{eq}: {s} = {solution} used for sampling only (its divisor may vanish)")
    return solved
