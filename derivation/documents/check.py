r"""`check_document`: every claim of a Markdown/LaTeX derivation, checked where it is made.

Each step is checked locally against its base: a ``= …`` link against the expression it
continues; a derivative claim against the previous claim about the same derivative, else the
true derivative of the quantity's most recent form; an update rule against the previous
update rule in good standing (derivative operators evaluated). Definitions, ranges, lists
and stated premises are "given"; a premise that is not an identity is "assumed from here on"
and used by the later steps. Refuted steps get a repair search (`decide.repairs`).
"""

from __future__ import annotations

import re
import time

import sympy

from derivation.documents import decide as D
from derivation.documents.notation import Context, Lowering, Unreadable, family_key
from derivation.documents.reader import MAX_CHARS, Math, read_math
from derivation.documents.segment import normalise, statements, walk
from derivation.documents.steps import DocumentCheck, DocumentStep
from derivation.equivalence import budget, worker
from derivation.equivalence.budget import BudgetExceeded
from derivation.parsing import ast as A

__all__ = ["check_document"]

_PREMISE = re.compile(r"\b(note|assum\w*|suppose|since|so|given|because|if|one[- ]hot)\b", re.I)
_CODE = re.compile(r"\bfor\s*\(|\+\+|\{\s*\}")


def check_document(text, *, timeout: float = 60.0) -> DocumentCheck:
    r"""Read a Markdown derivation and check every step.

    Parameters
    ----------
    text : str
        Markdown with LaTeX math in ``$…$`` (prose lines too) and ``$$…$$`` (at most
        `MAX_CHARS` characters).
    timeout : float, default 60.0
        Seconds for the whole document; a step not reached in time is "unknown" with the
        reason "time budget exhausted". Each identity check gets at most 10 s of it
        (a repair attempt at most 2 s).

    Returns
    -------
    DocumentCheck
        ``.steps`` in document order (``.line``, ``.latex``, ``.status``, ``.reading``,
        ``.base``, ``.assumptions``, ``.counterexample``, ``.sizes``, ``.reason``,
        ``.repair``), ``.ok``, ``.status``, ``.counts``, ``.elapsed``, ``to_dict()``.
    """
    if not isinstance(text, str):
        raise TypeError(f"check_document expects the document's text as a str, got "
                        f"{type(text).__name__}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    start = time.perf_counter()
    if len(text) > MAX_CHARS:
        step = DocumentStep(1, text[:60], "unknown", "unreadable",
                            reason=f"the document has {len(text)} characters; at most "
                                   f"{MAX_CHARS} are read")
        return DocumentCheck((step,), time.perf_counter() - start)
    if budget._in_bounded_child or not budget.FORK_AVAILABLE:
        return _check(text, timeout)
    # The reader keeps a soft deadline (steps not reached are "unknown"); the checker's
    # worker process enforces the hard one, whatever a step does.
    soft = max(timeout - min(0.25 * timeout, 2.0) - 0.05, 0.5 * timeout)
    try:
        return worker.call(_check, (text, soft), timeout)
    except BudgetExceeded:
        step = DocumentStep(1, text.strip().splitlines()[0][:60] if text.strip() else "",
                            "unknown", "expression",
                            reason=f"time budget exhausted: the document was not checked "
                                   f"within {timeout:g} s")
        return DocumentCheck((step,), time.perf_counter() - start)


def _check(text: str, seconds: float) -> DocumentCheck:
    """The reader itself, in this process, with a soft deadline of ``seconds``."""
    start = time.perf_counter()
    reader = _Reader(text, D.Budget(seconds))
    reader.run()
    return DocumentCheck(tuple(reader.steps), time.perf_counter() - start)


def _parse(math):
    from derivation.parsing.latex import read_latex
    return read_latex(math.text)


class _Subject:
    """The quantity a row starting with '=' continues."""

    def __init__(self, value, step, key=None):
        self.value, self.step, self.key = value, step, key


class _Reader:
    def __init__(self, text, budget):
        self.text, self.budget = text, budget
        self.steps: list = []
        self.current: _Subject | None = None
        self.updates: list = []          # (var, rhs, step)
        self.assumed: list = []          # (Eq, step)
        self.remarks: list = []          # (name, Eq) for the repair search
        self.forms: dict = {}            # key -> (value, step): a quantity's latest form
        self.maths = []
        self.notes = {}
        for m in read_math(text):
            new, notes = normalise(m.text)
            if new != m.text:
                m = Math(new, m.offset, m.display, m.prose, m.after, m._starts)
                self.notes[id(m)] = notes
            self.maths.append(m)
        self.parsed = []
        for m in self.maths:
            try:
                self.parsed.append((m, _parse(m), None))
            except Exception as exc:     # ParseError and refusals: reported per formula
                self.parsed.append((m, None, exc))
        self.ctx = Context(_dims([p[1] for p in self.parsed if p[1] is not None]))
        self._forward_definitions()

    # -- plumbing --------------------------------------------------------------------------
    def add(self, step):
        self.steps.append(step)
        return step

    def lowering(self, math):
        return Lowering(self.ctx, math.text)

    def run(self):
        for math, root, error in self.parsed:
            before = len(self.steps)
            self._one(math, root, error)
            for step in self.steps[before:]:
                for note in reversed(self.notes.get(id(math), ())):
                    step.reading = f"{note}; {step.reading}" if step.reading else note

    def _one(self, math, root, error):
        """The steps of one formula."""
        from derivation.documents.rules import pattern_rows, process_statement
        if error is not None:
            if math.display or re.search(r"=|:=|\\le|<|>", math.text):
                self.add(DocumentStep(math.line, math.text, "unknown", "unreadable",
                                      reason=f"{type(error).__name__}: {error}"))
            return
        if not math.display and self._in_code(math):
            self.code(math, root)
            return
        stmts = statements(root)
        try:
            done = pattern_rows(self, math, stmts)
        except Unreadable:
            done = set()
        for st in stmts:
            if id(st) in done:
                continue
            try:
                process_statement(self, math, st)
            except Unreadable as exc:
                self.add(DocumentStep(math.line_of(st.node.start),
                                      math.text[st.node.start:st.node.end], "unknown",
                                      "unreadable", reason=f"cannot read {exc}"))
            except (ValueError, TypeError, ArithmeticError, RecursionError,
                    NotImplementedError, AttributeError, KeyError, IndexError) as exc:
                self.add(DocumentStep(math.line_of(st.node.start),
                                      math.text[st.node.start:st.node.end], "unknown",
                                      "unreadable",
                                      reason=f"internal error while reading: "
                                             f"{type(exc).__name__}: {exc}"))

    def _in_code(self, math) -> bool:
        """Inline math on a source line written as code (``for ( k=0 ; … ; k++ )``)."""
        lines = self.text.splitlines()
        line = lines[math.line - 1] if 0 < math.line <= len(lines) else ""
        return bool(_CODE.search(line))

    def code(self, math, root):
        """Math inside a line of code (``for ( k=0 ; … ; k++ )``): a loop index, not a claim."""
        if isinstance(root, A.Relation) and isinstance(root.items[0], A.Name) \
                and not root.items[0].sub and root.items[0].base.isalpha():
            letter = root.items[0].base
            self.ctx.loop = getattr(self.ctx, "loop", set()) | {letter}
            self.ctx.loop_ranges = getattr(self.ctx, "loop_ranges", {})
            self.ctx.loop_ranges.setdefault(self.ctx.index(letter),
                                            (sympy.Integer(0), self.ctx.size("N") - 1))
            self.add(DocumentStep(math.line, math.text, "given", "range",
                                  reading=f"part of a loop written as code ('{math.prose} "
                                          f"{math.text} {math.after}'): {letter} is a loop "
                                          "index, not checked"))

    def _forward_definitions(self):
        """Names used before the line that defines them ("recall v_i = …")."""
        from derivation.documents.rules import definable
        seen = {}
        for math, root, error in self.parsed:
            if root is None or (not math.display and self._in_code(math)):
                continue
            for st in statements(root):
                node = st.node
                if isinstance(node, A.Relation) and len(node.items) >= 2 \
                        and node.ops[0] == "=" and isinstance(node.items[0], A.Name):
                    key = family_key(node.items[0])
                    if key not in seen:
                        seen[key] = (math, node)
        self.later = seen

        def make(key, math, node):
            def define():
                from derivation.documents.rules import define_name
                define_name(self, math, node.items[0], node.items[1], forward=True)
            return define

        uses = set()
        for math, root, error in self.parsed:
            if root is None:
                continue
            for n in walk(root):
                if isinstance(n, A.Name):
                    k = family_key(n)
                    if k in seen and seen[k][0] is not math and k not in uses \
                            and self.maths.index(seen[k][0]) > self.maths.index(math):
                        if definable(seen[k][1].items[0]):
                            self.ctx.forward[k] = make(k, *seen[k])
                    uses.add(k)


def _dims(roots) -> dict:
    """family -> number of indices: 2 for w_{ij}, w_{1m}, W_{1,2}; else 1."""
    out = {}
    for root in roots:
        for n in walk(root):
            if isinstance(n, A.Name) and n.sub:
                key = family_key(n)
                if len(n.sub) > 1:
                    out[key] = max(out.get(key, 1), len(n.sub))
                elif isinstance(n.sub[0], A.Word) and len(n.sub[0].text) == 2:
                    out[key] = max(out.get(key, 1), 2)
    # digits-only subscripts (w_{11}) follow the family's letters (w_{1m})
    return out
