r"""Math AST -> statements and chains.

A formula is split into statements: rows of ``aligned``/``array``/``\\`` blocks (cells joined:
``a &= b`` is one row ``a = b``), ``\quad``-separated statements (the first is the main one;
later ones are side statements, e.g. a ``where`` definition), and within a statement, chains
split at ``\Rightarrow``/``\rightarrow``. Prose inside math (``\text{by chain rule}``,
``\rightarrow \text{only } e^{v_i} \text{ remains}``, ``\checkmark``) is a remark, not a claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from derivation.parsing import ast as A

__all__ = ["statements", "chains", "has_text", "walk", "normalise", "IMPLIES", "ORDER"]

IMPLIES = frozenset({"\\Rightarrow", "\\rightarrow", "\\implies", "\\to", "\\iff",
                     "\\Longrightarrow", "\\longrightarrow", "⇒", "→"})
ORDER = frozenset({"<", ">", "\\le", "\\ge", "\\leq", "\\geq", "\\ne", "\\neq", "\\approx"})


@dataclass(frozen=True)
class Statement:
    node: A.Node
    aside: bool = False      # a \quad side statement: not the quantity a later '=' continues


def walk(node):
    """Every node below (and including) `node`, labels of annotations excluded."""
    if not isinstance(node, A.Node):
        return
    yield node
    for f in fields(node):
        if f.name in ("start", "end") or (isinstance(node, A.Annotated) and f.name == "label"):
            continue
        value = getattr(node, f.name)
        stack = [value]
        while stack:
            v = stack.pop()
            if isinstance(v, tuple):
                stack.extend(reversed(v))
            elif isinstance(v, A.Node):
                yield from walk(v)


def has_text(node) -> bool:
    return any(isinstance(n, A.Text) for n in walk(node))


def _join(cells):
    cells = [c for c in cells if c is not None]
    if not cells:
        return None
    out = cells[0]
    for c in cells[1:]:
        if isinstance(c, A.Seq) and c.sep == "quad" and isinstance(c.items[0], A.Relation) \
                and c.items[0].items and c.items[0].items[0] is None:
            joined = _join([out, c.items[0]])
            out = A.Seq(items=(joined,) + tuple(c.items[1:]), sep="quad", start=out.start,
                        end=c.end)
        elif isinstance(c, A.Relation) and c.items and c.items[0] is None:
            head_items = out.items if isinstance(out, A.Relation) else (out,)
            head_ops = out.ops if isinstance(out, A.Relation) else ()
            out = A.Relation(items=tuple(head_items) + tuple(c.items[1:]),
                             ops=tuple(head_ops) + tuple(c.ops), start=out.start, end=c.end)
        else:
            out = A.Seq(items=(out, c), sep="quad", start=out.start, end=c.end)
    return out


def statements(root) -> list:
    """The statements of one formula, in order."""
    out = []

    def visit(node, aside=False):
        if node is None:
            return
        if isinstance(node, A.Group) and isinstance(node.body, A.Rows) and node.delim in ("\\{", "{"):
            return visit(node.body, aside)
        if isinstance(node, A.Rows) and node.env not in ("cases",):
            for row in node.rows:
                visit(_join(row), aside)
            return
        if isinstance(node, A.Seq) and node.sep == "quad":
            for k, item in enumerate(node.items):
                visit(item, aside or k > 0)
            return
        out.append(Statement(node, aside))

    visit(root)
    return out


def flatten(rel: A.Relation) -> tuple:
    """(items, ops) with boxed relations (``\\boxed{w := …}``) spliced in."""
    items, ops = [], []
    for k, item in enumerate(rel.items):
        if k:
            ops.append(rel.ops[k - 1])
        while isinstance(item, A.Annotated) and isinstance(item.body, A.Relation):
            item = item.body
        if isinstance(item, A.Relation):
            sub_items, sub_ops = flatten(item)
            if sub_items[0] is None and items:
                sub_items = sub_items[1:]
                items.extend(sub_items)
            else:
                items.extend(sub_items)
            ops.extend(sub_ops)
        else:
            items.append(item)
    return items, ops


def chains(rel: A.Relation) -> list:
    """Split a relation at implications: [(items, ops), ...]; empty heads dropped."""
    all_items, all_ops = flatten(rel)
    out, items, ops = [], [all_items[0]], []
    for op, item in zip(all_ops, all_items[1:]):
        if op in IMPLIES:
            out.append((items, ops))
            items, ops = [item], []
        else:
            items.append(item)
            ops.append(op)
    out.append((items, ops))
    return [(i, o) for i, o in out if not (len(i) == 1 and (i[0] is None or not o))]


_SLASH_PARTIAL = re.compile(
    r"\\partial\s*([A-Za-z](?:_\{[^{}]*\}|_[A-Za-z0-9])?)\s*/\s*"
    r"\\partial\s*([A-Za-z](?:_\{[^{}]*\}|_[A-Za-z0-9])?)")
_SLASH_D = re.compile(r"(?<![A-Za-z\\])d([A-Za-z])\s*/\s*d([A-Za-z])(?![A-Za-z_])")
_COMMA_QUAD = re.compile(r",(\s*\\q?quad)")


def normalise(text: str) -> tuple:
    r"""Notations the grammar refuses, rewritten to the form it reads, each said in words:
    ``\partial z / \partial w`` -> ``\frac{\partial z}{\partial w}``, ``dp/dz`` ->
    ``\frac{dp}{dz}`` (one-line formulas only: offsets move), and a comma before ``\quad``
    (``a = b, \qquad c = d``: two statements) dropped. Returns (text, notes)."""
    notes = []
    new = _COMMA_QUAD.sub(lambda m: " " + m.group(1), text)
    if new != text:
        notes.append("a comma before \\quad read as separating two statements")
        text = new
    if "\n" in text:
        return text, notes
    for pattern, form in ((_SLASH_PARTIAL, r"\\frac{\\partial \1}{\\partial \2}"),
                          (_SLASH_D, r"\\frac{d\1}{d\2}")):
        for m in pattern.finditer(text):
            notes.append(f"'{m.group(0)}' read as the derivative "
                         f"{m.expand(form)}")
        text = pattern.sub(form, text)
    return text, notes
