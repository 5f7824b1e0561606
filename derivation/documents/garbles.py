r"""Garbled text read the way that repairs it, and said so: an ellipsis whose first term
breaks the pattern by one letter (``y_i'v_1 + … + y_n'v_n``), and a letter that stands for a
bracket whose closing bracket is lost (``-L(a) - b`` read as ``-[(a) - b]``, offered as the
repair of a refuted step, never as its reading)."""

from __future__ import annotations

from derivation.documents import decide as D
from derivation.documents.notation import Unreadable

__all__ = ["_lower_or_fix", "_bracket_garble"]


def _lower_or_fix(r, math, item, low):
    """Lower `item`; an ellipsis whose first term breaks the pattern by one letter
    (``y_i'v_1 + … + y_n'v_n``) is read with the digit the pattern needs, and said so."""
    from derivation.documents.notation import Lowering
    try:
        return low.lower(item), low, ""
    except Unreadable as exc:
        fix = getattr(exc, "fix", None)
        if fix is None:
            raise
        start, end, digit, letter, name = fix
        text = math.text[item.start:item.end]
        a, b = start - item.start, end - item.start
        patched = text[:a] + digit + text[b:]
        fixed = Lowering(r.ctx, patched)
        node = _read(patched)
        value = fixed.lower(node)
        fixed.patched = patched
        note = (f"the first term writes {name}_{letter} where the pattern of the other "
                f"indices needs {name}_{digit}: read as {name}_{digit} ({exc})")
        return value, fixed, note


def _read(text):
    from derivation.parsing.latex import read_latex
    return read_latex(text)


def _bracket_garble(r, math, item, target, fixed_text=None):
    """``-L(a) - b`` where L is no name of the document: the reading of L as a bracket whose
    closing ']' is lost, ``-[(a) - b]``; returned (as a repair) when it makes the step hold."""
    import re
    from derivation.documents.notation import Lowering
    text = fixed_text or math.text[item.start:item.end]
    m = re.search(r"(?<![\\A-Za-z])([A-Z])\(", text)
    if not m:
        return None
    letter = m.group(1)
    if r.ctx.defined((letter, 0, None), "scalar") is not None:
        return None
    patched = text[:m.start()] + "[(" + text[m.end():] + "]"
    try:
        value = Lowering(r.ctx, patched).lower(_read(patched))
    except Exception:
        return None
    d = D.decide(r.ctx, value, target, r.budget)
    if d.status == "proved":
        return (f"'{letter}(' read as '[(' (a bracket whose closing ']' is lost): "
                f"{patched.strip()} holds; taken literally, {letter} is an undefined factor")
    return None
