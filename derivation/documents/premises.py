r"""Stated premises ("Note: $V = 1$", "assume …", "one-hot, so $\sum_i y_i = 1$")."""

from __future__ import annotations

import sympy

from derivation.documents import decide as D
from derivation.documents.notation import show
from derivation.documents.steps import DocumentStep

__all__ = ["premise"]


def premise(r, math, lhs_node, rhs_node, lhs, low):
    """An equation the prose states as a premise: proved if an identity, else assumed."""
    rhs = low.lower(rhs_node)
    text = math.text[lhs_node.start:rhs_node.end].strip()
    step = DocumentStep(math.line_of(lhs_node.start), text, "unknown", "assumption",
                        reading="; ".join(low.readings), expr=lhs, target=rhs)
    d = D.decide(r.ctx, lhs, rhs, r.budget)
    if d.status == "proved":
        step.status = "proved"
        step.sizes = d.sizes
        step.reading = _join("stated as a premise; it is an identity", step.reading)
    else:
        step.status = "given"
        words = "not an identity, assumed from here on"
        if d.status == "refuted":
            defs = _definitions(r, lhs) + _definitions(r, rhs)
            if defs:
                words += ("; it contradicts the definition of "
                          + " and ".join(f"{q.text} on line {q.line}" for q in defs)
                          + f" ({show(r.ctx.expand(lhs))} = {show(r.ctx.expand(rhs))} does "
                            "not hold in general)")
            step.counterexample = d.counterexample
        else:
            words += f" (whether it is an identity is unknown: {d.reason})"
        step.reading = _join(words, step.reading)
        r.assumed.append((sympy.Eq(lhs, rhs, evaluate=False), step))
    r.add(step)


def _definitions(r, expr):
    out = []
    for atom in expr.atoms(sympy.Symbol, sympy.Indexed):
        q = r.ctx.by_placeholder.get(atom.base if isinstance(atom, sympy.Indexed) else atom)
        if q is not None and q not in out:
            out.append(q)
    return out


def _join(a, b):
    return a if not b else f"{a}; {b}"
