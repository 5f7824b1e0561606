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
    if not isinstance(inner, A.Name) or inner.sub or inner.primes or inner.accent:
        return None
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
        ctx.free[ex] = sympy.IndexedBase(key_text(key) + "^ex")
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
