r"""Blocks that say more than one row: ``V_1 = …, \vdots, V_n = …`` (one definition for all
rows), a vector written out at a fixed size, and ``\underbrace{…}_{\text{call it } Y}``."""

from __future__ import annotations

import sympy

from derivation.documents.notation import Quantity, Unreadable, family_key, key_text, show
from derivation.documents.steps import DocumentStep
from derivation.parsing import ast as A

__all__ = ["pattern_rows", "vector_equation", "underbrace_names"]


def _text(math, a, b=None):
    b = a if b is None else b
    return math.text[a.start:b.end].strip()


def _is_new(r, node):
    from derivation.documents.rules import _is_new as is_new
    return is_new(r, node)


def pattern_rows(r, math, stmts) -> set:
    r"""Rows ``V_1 = …``, ``V_2 = …``, ``\vdots``, ``V_n = …`` of one block: one definition
    V_k = … for k = 1, …, n (first and last row compared node by node). Returns the ids of
    the statements consumed."""
    from derivation.documents.ellipsis import anti_unify
    rows = [s for s in stmts if isinstance(s.node, A.Relation) and len(s.node.items) == 2
            and s.node.ops == ("=",) and isinstance(s.node.items[0], A.Name)
            and s.node.items[0].sub]
    has_dots = any(isinstance(s.node, A.Dots) for s in stmts)
    if len(rows) < 2 or not has_dots:
        return set()
    key = family_key(rows[0].node.items[0])
    if any(family_key(s.node.items[0]) != key for s in rows) or not _is_new(r, rows[0].node.items[0]):
        return set()
    first, last = rows[0].node, rows[-1].node
    pairs = []
    if not anti_unify(first, last, r.ctx.dims, pairs) or not pairs:
        return set()
    starts = {p[2] for p in pairs}
    ends = {p[5] for p in pairs}
    if len(starts) != 1 or len(ends) != 1 or not next(iter(starts)).isdigit() \
            or None in ends:
        return set()
    end = next(iter(ends))
    low = r.lowering(math)
    import re
    used = set("".join(re.findall(r"_\{?([A-Za-z0-9,]+)", math.text)))
    letter = next(c for c in "ikjlpqrst" if c not in used and c not in r.ctx.sizes)
    k = r.ctx.index(letter)
    for p in pairs:
        low.holes[(id(p[3]), p[4])] = k
    value = low.lower(last.items[1])
    hi = sympy.Integer(end) if end.isdigit() else r.ctx.size(end)
    lo = sympy.Integer(next(iter(starts)))
    q = r.ctx.define(Quantity(key, "array", (k,), value, math.line_of(first.start),
                              f"{key_text(key)}_{letter}"))
    r.ctx.ranges[(key, 0)] = (lo, hi)
    for p in pairs:
        r.ctx.ranges.setdefault((p[0], p[1]), (lo, hi))
    reading = (f"rows {', '.join(_text(math, s.node.items[0]) for s in rows)} (with ⋮) read "
               f"as {key_text(key)}_{letter} = {show(value)} for {letter} = {lo}, …, {show(hi)}")
    for s in rows:
        step = r.add(DocumentStep(math.line_of(s.node.start), _text(math, s.node), "given",
                                  "definition", reading="; ".join([reading] + low.readings)))
        q.step = q.step or step
    r.forms[key] = (q.placeholder[(k,)], q.step)
    return {id(s) for s in rows} | {id(s) for s in stmts if isinstance(s.node, A.Dots)}


def vector_equation(r, math, items, ops) -> bool:
    """``[y_1; y_2; y_3] = softmax[…]``: a vector written out at a fixed size."""
    head = items[0]
    if not (isinstance(head, A.Matrix) and all(len(row) == 1 and isinstance(row[0], A.Name)
                                               for row in head.rows)):
        return False
    names = ", ".join(_text(math, row[0]) for row in head.rows)
    r.add(DocumentStep(math.line_of(head.start), _text(math, items[0], items[-1]), "given",
                       "definition",
                       reading=(f"the vector ({names}) written out at the fixed size "
                                f"{len(head.rows)}: read as an illustration, not as a "
                                "definition (the general definitions on other lines are "
                                "used)")))
    return True


def underbrace_names(r, math, node):
    r"""``\underbrace{…}_{\text{call it } Y = 1 \text{ b/c one hot}}``: Y names the part of
    the braced expression that the label's value fits under a known assumption (the brace
    may span more than the part it names); else the whole braced expression."""
    from derivation.documents.decide import decide, known_assumptions
    for ann in [n for n in _walk_all(node) if isinstance(n, A.Annotated) and n.label is not None]:
        label = list(_walk_all(ann.label))
        texts = [n for n in label if isinstance(n, A.Text)]
        if not any("call" in t.text.lower() or "denote" in t.text.lower() for t in texts):
            continue
        names = [n for n in label if isinstance(n, A.Name)]
        numbers = [n for n in label if isinstance(n, A.Number)]
        if not names or not _is_new(r, names[0]):
            continue
        name = names[0]
        low = r.lowering(math)
        body_value = low.lower(ann.body)
        chosen, chosen_node, why = body_value, ann.body, "the underbraced expression"
        if numbers:
            value = sympy.Rational(numbers[0].text)
            groups = [g for g in _walk_all(ann.body) if isinstance(g, A.Group)
                      and g.delim in ("(", "[") and g is not ann.body]
            for g in groups:
                try:
                    gv = r.lowering(math).lower(g)
                except Unreadable:
                    continue
                for aname, transform in known_assumptions(r.ctx, [gv]):
                    L, R, extra, post, ranges = transform(gv, value)
                    if post is not None or not extra:
                        continue
                    if decide(r.ctx, L, R, r.budget, extra, post, ranges).status == "proved":
                        chosen, chosen_node = gv, g
                        why = (f"{_text(math, g)}, the part of the underbraced expression "
                               f"that is {numbers[0].text} under {aname} (the brace spans "
                               "more than what it names)")
                        break
                if chosen_node is g:
                    break
        key = family_key(name)
        q = r.ctx.define(Quantity(key, "scalar", (), chosen, math.line_of(ann.label.start),
                                  key_text(key)))
        label_text = _text(math, ann.label)
        reading = f"definition of {key_text(key)} from the label '{label_text}': {why}"
        if numbers:
            eq = sympy.Eq(q.placeholder, sympy.Rational(numbers[0].text), evaluate=False)
            r.remarks.append((f"{key_text(key)} = {numbers[0].text} (the remark on line "
                              f"{q.line}), i.e. {show(chosen)} = {numbers[0].text}", eq))
            reading += (f"; its remark {key_text(key)} = {numbers[0].text} is not used as an "
                        f"assumption (the text keeps {key_text(key)})")
        q.step = r.add(DocumentStep(q.line, label_text, "given", "definition", reading=reading,
                                    expr=chosen))


def _walk_all(node):
    if not isinstance(node, A.Node):
        return
    yield node
    from dataclasses import fields
    for f in fields(node):
        if f.name in ("start", "end"):
            continue
        v = getattr(node, f.name)
        stack = [v]
        while stack:
            x = stack.pop()
            if isinstance(x, tuple):
                stack.extend(reversed(x))
            elif isinstance(x, A.Node):
                yield from _walk_all(x)
