r"""Ellipses: ``a_1 + a_2 + \dots + a_n`` read as Σ_{k=1}^{n} a_k, the reading shown.

The terms around the ``\dots`` are compared node by node (anti-unification of the ASTs):
they may differ only in subscript indices, and every difference must be the same run
(1 in the first term, n in the last; 2 in the second when it is written). Anything else is
refused with a message naming the terms that break the pattern.
"""

from __future__ import annotations

from dataclasses import fields

import sympy

from derivation.parsing import ast as A

__all__ = ["lower_sum_with_dots", "PatternBreak", "subscript_items", "anti_unify"]


class PatternBreak(Exception):
    """Raised (as an Unreadable) when the terms around an ellipsis follow no one pattern."""


def subscript_items(node: A.Name, dims: int) -> list:
    """[(item node, position, text or None)] of a Name's subscript, split per index."""
    items = list(node.sub)
    if len(items) == 1 and isinstance(items[0], (A.Word, A.Number)) and dims > 1 \
            and len(items[0].text) == dims:
        return [(items[0], p, c) for p, c in enumerate(items[0].text)]
    return [(it, 0, it.text if isinstance(it, (A.Word, A.Number)) else
             (it.base if isinstance(it, A.Name) and not it.sub and not it.primes else None))
            for it in items]


def anti_unify(a, b, dims: dict, pairs: list) -> bool:
    """True when a and b are the same up to subscript indices; the differing indices go to
    `pairs` as (key, position, a text, b item, b position, b text)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, A.Name):
        key = (a.base, a.primes, a.accent)
        if key != (b.base, b.primes, b.accent):
            return False
        sa, sb = subscript_items(a, dims.get(key, 1)), subscript_items(b, dims.get(key, 1))
        if len(sa) != len(sb):
            return False
        for p, ((ia, pa, ta), (ib, pb, tb)) in enumerate(zip(sa, sb)):
            if ta is not None and ta == tb:
                continue
            if ta is None and ia == ib:
                continue
            pairs.append((key, p, ta, ib, pb, tb, ia, pa))
        return True
    if not isinstance(a, A.Node):
        return a == b
    if isinstance(a, A.Pow) and isinstance(a.base, A.Name) and _example_exp(a.exp) \
            and _example_exp(b.exp):
        # x^{(1)} … x^{(N)}: the example index varies like a subscript
        if not anti_unify(a.base, b.base, dims, pairs):
            return False
        ia, ib = a.exp.body, b.exp.body
        ta, tb = _token(ia), _token(ib)
        if ta != tb:
            key = (a.base.base, a.base.primes, a.base.accent, "example")
            pairs.append((key, -1, ta, ib, 0, tb, ia, 0))
        return True
    for f in fields(a):
        if f.name in ("start", "end"):
            continue
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if not _same(va, vb, dims, pairs):
            return False
    return True


def _same(va, vb, dims, pairs) -> bool:
    if isinstance(va, tuple) and isinstance(vb, tuple):
        return len(va) == len(vb) and all(_same(x, y, dims, pairs) for x, y in zip(va, vb))
    if isinstance(va, A.Node) or isinstance(vb, A.Node):
        return va is not None and vb is not None and anti_unify(va, vb, dims, pairs)
    return va == vb


def _run(pairs):
    """(start int, end text) shared by all pairs, or raise PatternBreak naming the odd one."""
    starts = {p[2] for p in pairs}
    ends = {p[5] if p[5] is not None else ("node", id(p[3])) for p in pairs}
    bad = [p for p in pairs if p[2] is None or not p[2].isdigit()]
    if bad or len(starts) != 1 or len(ends) != 1:
        raise PatternBreak(pairs)
    return int(next(iter(starts))), pairs[0]


def lower_sum_with_dots(low, node: A.Add):
    """Lower ``t_1 + t_2 + \\dots + t_n (+ rest)`` as Σ_{k=1}^{n} t_k (+ rest)."""
    from derivation.documents.notation import Unreadable, key_text

    terms = list(node.terms)
    dots = [k for k, t in enumerate(terms) if isinstance(low._unsigned(t), A.Dots)]
    if len(dots) != 1 or dots[0] == 0 or dots[0] == len(terms) - 1:
        raise Unreadable(f"the ellipsis in '{low.text(node)}' (one '\\dots' between a first "
                         "and a last term is read)")
    d = dots[0]
    last = terms[d + 1]
    first_at, start, pairs = None, None, None
    for j in range(d - 1, -1, -1):
        found = []
        if not anti_unify(terms[j], last, low.ctx.dims, found) or not found:
            break
        try:
            a, _ = _run(found)
        except PatternBreak:
            if first_at is None:
                _refuse(low, node, terms[j], last, found)
            break
        if start is not None and a != start - 1:
            raise Unreadable(f"the ellipsis in '{low.text(node)}': the terms "
                             f"'{low.text(terms[j])}' and '{low.text(terms[first_at])}' before "
                             "it do not step by 1 (only runs 1, 2, …, n are read)")
        first_at, start, pairs = j, a, found
    if first_at is None:
        raise Unreadable(f"the ellipsis in '{low.text(node)}': the terms "
                         f"'{low.text(terms[d - 1])}' and '{low.text(last)}' differ by more "
                         "than their indices")
    from derivation.documents.notation import bound
    taken = set(low.bound) | {str(v) for v in low.holes.values()} | set(low.ctx.indices)
    letter = next((c for c in "kjlpqrstuh" if c not in low.source and c not in taken),
                  next(c for c in "kjlpqrstuh" if c not in taken))
    k = bound(letter)
    end_pair = pairs[0]
    end_text = end_pair[5]
    if end_text is not None and end_text.isdigit():
        hi = sympy.Integer(end_text)
    elif end_text is not None and end_text in low.bound:
        hi = low.bound[end_text]
    elif end_text is not None:
        hi = low.ctx.size(end_text)
    else:
        hi = low.lower(end_pair[3])
    saved = dict(low.holes)
    for p in pairs:
        low.holes[(id(p[3]), p[4])] = k
    try:
        body = low.lower(last)
    finally:
        low.holes = saved
    for p in pairs:
        low.ctx.ranges.setdefault((p[0], p[1]), (sympy.Integer(start), hi))
    total = sympy.Sum(body, (k, start, hi))
    from derivation.documents.notation import show
    first_txt = " + ".join(low.text(t) for t in terms[first_at:d])
    low.note(f"{first_txt} + … + {low.text(last)} read as {show(total)}")
    rest = [low.lower(t) for t in terms[:first_at] + terms[d + 2:]]
    del key_text
    return sympy.Add(total, *rest)


def _refuse(low, node, first, last, pairs):
    from derivation.documents.notation import Unreadable, key_text
    parts = [f"{key_text(p[0])}_{p[2] if p[2] is not None else '?'} against "
             f"{key_text(p[0])}_{p[5] if p[5] is not None else low.text(p[3])}" for p in pairs]
    exc = Unreadable(f"the terms around the ellipsis in '{low.text(node)}' follow no one "
                     f"pattern ({'; '.join(parts)}): '{low.text(first)}' does not fit "
                     f"'{low.text(last)}'")
    # a single odd letter among numeric starts: the repair the checker may try
    numeric = {p[2] for p in pairs if p[2] is not None and p[2].isdigit()}
    odd = [p for p in pairs if p[2] is None or not p[2].isdigit()]
    if len(numeric) == 1 and len(odd) == 1 and isinstance(odd[0][6], (A.Word, A.Name)) \
            and odd[0][6].end - odd[0][6].start == 1:
        item = odd[0][6]
        exc.fix = (item.start, item.end, next(iter(numeric)), odd[0][2],
                   key_text(odd[0][0]))
    raise exc


def _example_exp(exp) -> bool:
    return isinstance(exp, A.Group) and exp.delim == "(" and (
        isinstance(exp.body, A.Number) or (isinstance(exp.body, A.Name) and not exp.body.sub))


def _token(node):
    return node.text if isinstance(node, A.Number) else node.base
