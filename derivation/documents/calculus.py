r"""Derivatives in a document: ``\frac{\partial J}{\partial w_{ij}}``, ``\frac{d\sigma}{dz}``
and the operator form ``\frac{\partial}{\partial w_{ij}} \ln V``, evaluated by true
differentiation (`derivation.proofs.indexed.differentiate`), or read as the value the
document claimed for the same derivative earlier (each mistake is reported once).
"""

from __future__ import annotations

import sympy

from derivation.parsing import ast as A

__all__ = ["derivative_value", "true_derivative", "claim_key", "differentiate"]


_CACHE: dict = {}


def differentiate(expr, wrt, ranges):
    """d expr/d wrt by `derivation.proofs.indexed.differentiate`, its summation variables
    fresh Dummies (memoised per process on the exact expression, variable and ranges: bound
    Dummies shared by two uses of one derivative cannot clash with anything)."""
    from derivation.proofs.indexed import differentiate as diff
    key = (expr, wrt, tuple(sorted(ranges.items(), key=sympy.default_sort_key)))
    if key not in _CACHE:
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = fresh_bounds(diff(expr, wrt, ranges=ranges))
    return _CACHE[key]


def fresh_bounds(expr):
    """Every summation variable renamed to a fresh Dummy (no clash with free indices)."""
    from derivation.documents.notation import bound

    def rename(s):
        mapping = {}
        limits = []
        for var, lo, hi in s.limits:
            new = bound(str(var).lstrip("_").split("_")[0] or "k")
            mapping[var] = new
            limits.append((new, lo, hi))
        return sympy.Sum(s.function.xreplace(mapping), *limits)

    return expr.replace(lambda e: isinstance(e, sympy.Sum), rename)


def claim_key(of) -> tuple | None:
    """The name a derivative is about: J in ∂J/∂w, ∂/∂w J(ω); None for an expression."""
    if isinstance(of, A.Mul) and len(of.factors) == 2 and isinstance(of.factors[1], A.Group):
        of = of.factors[0]
    if isinstance(of, A.Name) and not of.sub:
        return (of.base, of.primes, of.accent)
    return None


def claim_id(low, of):
    """What a claimed derivative is about: the name J (∂J/∂w), or the entry p_i (∂p_i/∂z)."""
    inner = of.factors[0] if (isinstance(of, A.Mul) and len(of.factors) == 2
                              and isinstance(of.factors[1], A.Group)) else of
    if isinstance(inner, A.Name) and inner.sub:
        return low.lower(inner)
    return claim_key(of)


def true_derivative(low, value, wrt):
    """d value / d wrt with every definition expanded, except wrt's own when wrt is a
    quantity the document defined (an intermediate variable: ∂J/∂p, ∂L/∂z_i)."""
    q = low.ctx.by_placeholder.get(wrt.base if isinstance(wrt, sympy.Indexed) else wrt)
    full = low.ctx.expand(value, keep=(q,) if q is not None else ())
    ranges = low.ctx.index_ranges([full, wrt])
    return differentiate(full, wrt, ranges)


def derivative_value(low, node: A.Derivative):
    """The value of a derivative written inside an expression."""
    from derivation.documents.notation import Unreadable, show

    if len(node.wrt) != 1 or tuple(node.orders) not in ((1,), ()):
        raise Unreadable(f"the higher or mixed derivative '{low.text(node)}'")
    if node.of is None:
        raise Unreadable(f"the derivative operator '{low.text(node)}' applied to nothing")
    key = claim_key(node.of)
    q = low.ctx.defined(key, "function") if key else None
    if q is not None:  # dσ/dz: the function's own variable
        wrt = low.variable(node.wrt[0])
        if wrt not in q.params:
            raise Unreadable(f"d{q.text}/d{show(wrt)}: {q.text} is a function of "
                             f"{', '.join(map(show, q.params))}")
        low.note(f"d{q.text}/d{show(wrt)} is the derivative of the function defined on line "
                 f"{q.line}")
        return sympy.diff(q.expr, wrt)
    wrt = low.variable(node.wrt[0])
    cid = claim_id(low, node.of)
    if cid is not None and (cid, wrt) in low.ctx.claims:
        value, step = low.ctx.claims[(cid, wrt)]
        low.note(f"{low.text(node)} read as the value claimed on line {step.line}")
        return value
    value = low.lower(node.of)
    return true_derivative(low, value, wrt)
