r"""Training examples: ``x_j^{(k)}`` / ``x_j^k`` (k a summation or loop index) is x_j at
example k, and a defined quantity at example k (``y_i^k``, ``v_i(k)``, ``V(k)``) is its
definition with every input seen at an example index (x) replaced by its example-k value.
"""

from __future__ import annotations

import sympy

from derivation.parsing import ast as A

__all__ = ["example_symbol", "at_example", "per_example", "example_array", "example_sum"]


def example_symbol(low, node):
    """The symbol of an example index written as ``k`` or ``(k)``, or None."""
    inner = node.body if isinstance(node, A.Group) else node
    hole = low.holes.get((id(inner), 0))
    if hole is not None:
        return hole
    parens = isinstance(node, A.Group) and node.delim == "("
    if parens and isinstance(inner, A.Number) and inner.text.isdigit() and \
            getattr(low, "example_base", False):
        return sympy.Integer(inner.text)
    if not isinstance(inner, A.Name) or inner.sub or inner.primes or inner.accent:
        return None
    if parens and inner.base in getattr(low.ctx, "example_letters", set()) \
            and inner.base not in low.bound:
        return low.ctx.index(inner.base)
    if inner.base in low.bound:
        return low.bound[inner.base]
    if inner.base in getattr(low.ctx, "loop", set()):
        return low.ctx.index(inner.base)
    return None


def example_array(ctx, key, dims=None):
    """The array of `key`'s values per example: one more index (the example)."""
    from derivation.documents.notation import key_text
    ex = key + ("example",)
    if ex not in ctx.free:
        ctx.free[ex] = sympy.IndexedBase(key_text(key) + "^ex", real=True)
        dims = ctx.dims.get(key, 1) if dims is None else dims
        for pos in range(dims):
            if (key, pos) in ctx.ranges:
                ctx.ranges.setdefault((ex, pos), ctx.ranges[(key, pos)])
        ctx.ranges.setdefault((ex, dims), (sympy.Integer(1), ctx.size("N")))
        ctx.data = getattr(ctx, "data", {})
        if dims:
            ctx.data[ctx.array(key)] = ctx.free[ex]
        else:
            ctx.data_scalars = getattr(ctx, "data_scalars", {})
            ctx.data_scalars[ctx.scalar(key)] = ctx.free[ex]
    return ctx.free[ex]


def per_example(ctx, expr, k):
    """expr with every input array B[idx] replaced by B^ex[idx, k] (definitions expanded)."""
    from derivation.documents.notation import Unreadable
    data = getattr(ctx, "data", {})
    scalars = getattr(ctx, "data_scalars", {})
    if not data and not scalars:
        raise Unreadable("a quantity at an example index before any input is written at an "
                         "example index (e.g. x_j^{(k)})")
    full = ctx.expand(expr).xreplace({s: b[(k,)] for s, b in scalars.items()})
    return full.replace(lambda a: isinstance(a, sympy.Indexed) and a.base in data,
                        lambda a: data[a.base][tuple(a.indices) + (k,)])


def at_example(low, name: A.Name, k, written: str):
    """The Name (an input array entry or a defined quantity) at example k."""
    from derivation.documents.notation import family_key, show
    key = family_key(name)
    kind = "array" if name.sub else "scalar"
    per = low.ctx.defined(key + ("example",), "array")
    if per is not None:
        idx = (low.indices(name, key) if name.sub else ()) + (k,)
        low.note(f"{written} is {per.text}, defined per example on line {per.line}")
        return per.placeholder[idx]
    q = low.ctx.defined(key, kind)
    if q is None and key in low.ctx.forward:
        low.ctx.forward.pop(key)()
        q = low.ctx.defined(key, kind)
    if q is not None:
        value = q.placeholder[low.indices(name, key)] if kind == "array" else q.placeholder
        kk = show(k)
        low.note(f"{written} read as {q.text} (line {q.line}) at training example {kk}: "
                 f"its definition with the inputs at example {kk}")
        return per_example(low.ctx, value, k)
    if not name.sub:
        if key in low.ctx.scalars and key not in getattr(low.ctx, "example_keys", set()):
            return None          # already used as a plain number: x^k stays a power
        low.ctx.example_keys = getattr(low.ctx, "example_keys", set()) | {key}
        base = example_array(low.ctx, key, dims=0)
        low.note(f"{written} read as {low.text(name)} at training example {show(k)} (k a "
                 "summation index: not a power)")
        return base[(k,)]
    base = example_array(low.ctx, key)
    low.note(f"{written} read as {low.text(name)} at training example {show(k)} (not a "
             "power)")
    return base[low.indices(name, key) + (k,)]


def example_sum(ctx, value):
    """(k, lo, hi) of a sum over training examples in `value`, or None."""
    ex = set(getattr(ctx, "data", {}).values())
    for s in value.atoms(sympy.Sum):
        for var, lo, hi in s.limits:
            if any(isinstance(a, sympy.Indexed) and a.base in ex and a.indices[-1] == var
                   for a in s.function.atoms(sympy.Indexed)):
                return var, lo, hi
    return None


def free_example_index(ctx, value):
    ex = set(getattr(ctx, "data", {}).values())
    for a in value.atoms(sympy.Indexed):
        if a.base in ex and isinstance(a.indices[-1], sympy.Symbol) \
                and not isinstance(a.indices[-1], sympy.Dummy):
            return a.indices[-1]
    return None


def is_example_family(ctx, name) -> bool:
    """Is `name` (a Name node) written per example in this document?"""
    from derivation.documents.notation import family_key
    key = family_key(name)
    return (ctx.defined(key + ("example",), "array") is not None
            or key + ("example",) in ctx.free)


def example_definition(r, math, head, rhs_node):
    r"""``\hat{y}^{(k)} = \sum_j w_j x_j^{(k)} + b``: a quantity defined per example k."""
    from derivation.documents.notation import Quantity, family_key, key_text
    ctx = r.ctx
    name, exp = head.base, head.exp
    inner = exp.body if isinstance(exp, A.Group) else exp
    letter = inner.base
    ctx.example_letters = getattr(ctx, "example_letters", set()) | {letter}
    k = ctx.index(letter)
    low = r.lowering(math)
    key = family_key(name)
    idx = []
    if name.sub:
        for item, pos, text in low.subscript(name, key):
            if text is None or text.isdigit():
                raise Unreadable_(f"the definition of {math.text[head.start:head.end]} at a "
                                  "fixed index")
            idx.append(ctx.index(text))
    value = low.lower(rhs_node)
    written = math.text[head.start:head.end]
    q = ctx.define(Quantity(key + ("example",), "array", tuple(idx) + (k,), value,
                            math.line_of(head.start), written))
    ctx.ranges.setdefault((key + ("example",), len(idx)), (sympy.Integer(1), ctx.size("N")))
    low.note(f"{written} defines {key_text(key)} per training example {letter}")
    return q, low, value


def Unreadable_(message):
    from derivation.documents.notation import Unreadable
    return Unreadable(message)
