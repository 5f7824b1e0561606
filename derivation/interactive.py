"""Check a student's candidate for dJ/dw_ij (or dJ/db_i), entry by entry, on a concrete model.

The student writes the gradient in *symbolic-index notation* -- one formula in the letters
i and j, as on paper -- in SymPy syntax or LaTeX, e.g.::

    -x_j*(y'_i - exp(V_i)/S)
    -x_j \\left(y_i - \\frac{e^{v_i}}{V}\\right)        (the seed's final form)

`check_candidate` parses it (no eval: `derivation.parsing.parse`), then for every entry
(i, j) of a concrete n x m softmax model substitutes the index values and the definitions
below, and asks `derivation.equivalent(candidate_ij, dJ/dw_ij)` where dJ/dw_ij is SymPy's
derivative of J = -sum_i y'_i ln p_i. The answer is "proved" (every entry proved),
"refuted" (first failing entry, with the counterexample point and both values there),
"unknown", or "error" (the text could not be read, or names something the model does not
have; the message says why).

Swapped indices: x is indexed by the features j = 1..m, the labels, biases, logits and
predictions by the classes i = 1..n. A candidate such as ``x_i*(p_j - y'_j)`` puts a class
index where a feature index belongs. When n != m some entry then names an element the model
does not have (x_3 when m = 2): the candidate is refuted at the first such entry, with a
reason instead of a counterexample point. When every such name exists (n == m, or x_i with
n < m) the entries are checked, and refuted, numerically like any other candidate; a note
then points at the swap.

Vocabulary (names in the candidate; subscripts are the index letters i, j or numbers)
---------------------------------------------------------------------------------
========================================  =====================================================
``x_j``, ``x_1``                           feature x_j
``w_ij``, ``w_{i,j}``, ``w_i1``            weight w_ij
``b_i``                                    bias b_i
``y'_i`` (also ``y_i``)                    the **label** y'_i.  The seed writes y_i for the label
                                           in its gradient lines, so ``y_i`` means y'_i here
``V_i``, ``v_i``                           logit V_i = sum_j w_ij x_j + b_i
``S``, ``V`` (no subscript)                S = sum_k e^{V_k} (the seed calls it V)
``p_i``, ``\\hat{y}_i``, ``yhat_i``        the prediction p_i = e^{V_i} / S
``Y``                                      sum_k y'_k (the seed's "Y", which it sets to 1)
========================================  =====================================================

Literal expansions are allowed too: ``exp(w_i1*x_1 + w_i2*x_2 + b_i)`` for e^{V_i}, or
``exp(V_1) + exp(V_2) + exp(V_3)`` for S at n = 3. Sums over a free index (``\\sum_k``) are
not: write S (or V) for the sum. With ``assume_normalized=True`` the check assumes
sum_k y'_k = 1 (one-hot or any normalised labels), the assumption the seed makes.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, field

import sympy

from derivation._format import format_point, format_value
from derivation.errors import ParseError, UnsafeExpressionError
from derivation.model import SoftmaxModel, validate_size

__all__ = [
    "CandidateCheck",
    "EntryCheck",
    "VOCABULARY",
    "check_candidate",
    "candidate_entry",
    "gradient_checker_widget",
]

#: One line per accepted name, shown in error messages and in the widget.
VOCABULARY = (
    ("x_j", "feature x_j"),
    ("w_ij, w_{i,j}", "weight w_ij"),
    ("b_i", "bias b_i"),
    ("y'_i or y_i", "label y'_i (the seed writes y_i for the label)"),
    ("V_i or v_i", "logit V_i = sum_j w_ij x_j + b_i"),
    ("S or V", "S = sum_k e^{V_k} (the seed calls it V)"),
    ("p_i, \\hat{y}_i, yhat_i", "prediction p_i = e^{V_i} / S"),
    ("Y", "sum_k y'_k (the seed's Y)"),
)

_MAX_TEXT = 2000

# "\hat{y}_i", "\hat y_i", "\widehat{y}_i" -> "p_i" before parsing (a plain text rewrite,
# nothing is evaluated).
_HAT_Y = re.compile(r"\\(?:wide)?hat\s*(?:\{\s*y\s*\}|y)|(?<![A-Za-z\\])yhat(?![A-Za-z])")
# A symbol name as the parser builds it: base letters, optional prime, "_", subscript,
# optional trailing prime ("y_i'").
_NAME = re.compile(r"^(?P<base>[A-Za-z]+)(?P<p1>'?)(?:_\{?(?P<sub>[A-Za-z0-9,]+)\}?(?P<p2>'?))?$")


def _real(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


# --------------------------------------------------------------------------------------
# result objects
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EntryCheck:
    """The verdict for one entry (i, j) (1-based; j is None for dJ/db_i)."""

    i: int
    j: int | None
    candidate: sympy.Expr
    truth: sympy.Expr
    verdict: object  # derivation.equivalence.Verdict
    shown: sympy.Expr | None = None        #: the candidate at (i, j) with V_k, S, p_k as symbols
    shown_truth: sympy.Expr | None = None  #: the proved formula at (i, j), same symbols
    missing: tuple = ()  #: names the candidate needs here that the model lacks (x_3 if m = 2)

    @property
    def label(self) -> str:
        return f"dJ/dw_{self._sub()}" if self.j is not None else f"dJ/db_{self.i}"

    def _sub(self) -> str:
        return _subscript((self.i, self.j))


@dataclass(frozen=True)
class CandidateCheck:
    """Outcome of `check_candidate`.

    Attributes
    ----------
    text : str
        What the student typed.
    status : str
        "proved" (every entry proved), "refuted" (some entry differs at a concrete point),
        "unknown" (no entry refuted, some not decided in time) or "error" (unreadable input).
    n, m : int
        Size of the concrete model the candidate was checked on.
    wrt : str
        "w" (candidate for dJ/dw_ij) or "b" (candidate for dJ/db_i).
    candidate : sympy.Expr or None
        The parsed candidate in index notation (None on error).
    assumptions : tuple of sympy.Eq
        Assumptions used (sum_k y'_k = 1 when `assume_normalized`).
    entries : tuple of EntryCheck
        Entries checked, in row-major order (stops at the first refuted one and, by default,
        at the first undecided one; see `check_candidate`).
    error : str or None
        Why the text could not be read (status "error").
    elapsed : float
        Seconds spent.
    """

    text: str
    status: str
    n: int
    m: int
    wrt: str
    candidate: sympy.Expr | None
    assumptions: tuple = ()
    entries: tuple = ()
    error: str | None = None
    elapsed: float = 0.0
    total_entries: int = 0
    notes: tuple = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return self.status == "proved"

    @property
    def failure(self) -> EntryCheck | None:
        """The first refuted entry, or the first undecided one when none is refuted."""
        for wanted in ("refuted", "unknown"):
            for e in self.entries:
                if e.verdict.status == wanted:
                    return e
        return None

    @property
    def counterexample(self) -> dict | None:
        """Counterexample point of the first refuted entry (Symbol -> number), else None."""
        f = self.failure
        if f is None or f.verdict.status != "refuted":
            return None
        return f.verdict.counterexample

    # -- rendering ----------------------------------------------------------------------
    def _what(self) -> str:
        return "dJ/dw_ij" if self.wrt == "w" else "dJ/db_i"

    def _assume_text(self) -> str:
        if not self.assumptions:
            return "no assumption on the labels"
        return "assuming " + ", ".join(f"{sympy.sstr(a.lhs)} = {sympy.sstr(a.rhs)}" for a in self.assumptions)

    def _sentence(self) -> str:
        size = f"{self.n} x {self.m} model"
        if self.status == "error":
            if self.candidate is None:
                return "Could not read the candidate."
            return (f"the candidate was read, but it cannot be evaluated on a {size}: "
                    "it names something the model does not have.")
        if self.status == "proved":
            return (f"the candidate equals {self._what()} for all {len(self.entries)} entries "
                    f"of a {size} ({self._assume_text()}).")
        f = self.failure
        if self.status == "refuted" and f.verdict.method == _INDEX_MISMATCH:
            return (f"the candidate's indices do not fit {self._what()}: at entry {f.label} "
                    f"it needs {', '.join(f.missing)}, which a {size} does not have.")
        if self.status == "refuted":
            return (f"at entry {f.label} the candidate differs from the true derivative "
                    f"({self._assume_text()}).")
        return (f"no entry was refuted, but {f.label} could not be decided in time "
                f"({self._assume_text()}).")

    def summary(self) -> str:
        """One line: the status and the verdict in words."""
        return f"{self.status.upper()}: {self._sentence()}"

    def _details(self) -> list[str]:
        if self.status == "error":
            lines = ["  " + line for line in str(self.error).splitlines()]
            lines.extend(f"  note: {note}" for note in self.notes)
            lines.append("  vocabulary: " + "; ".join(f"{a}: {b}" for a, b in VOCABULARY))
            return lines
        lines = [f"  candidate (index form): {sympy.sstr(self.candidate)}"]
        f = self.failure
        if f is not None:
            lines.append(f"  {f.label}: candidate {sympy.sstr(f.shown)}")
            lines.append(f"  {f.label}: true      {sympy.sstr(f.shown_truth)}")
            lines.append(f"  (V_k = sum_j w_kj x_j + b_k, S = sum_k e^(V_k), p_k = e^(V_k)/S)")
            lines.extend(self._point_lines())
            if f.verdict.status == "unknown" and getattr(f.verdict, "reason", None):
                lines.append(f"  reason: {f.verdict.reason}")
        lines.extend(f"  note: {note}" for note in self.notes)
        if f is not None and f.verdict.method == _INDEX_MISMATCH:
            lines.append(f"  (refuted by the index ranges alone, {self.elapsed:.2f} s)")
        else:
            lines.append(f"  ({len(self.entries)} of {self.total_entries} entries checked, "
                         f"{self.elapsed:.2f} s)")
        return lines

    def _point_lines(self) -> list[str]:
        f = self.failure
        if f is None or f.verdict.status != "refuted":
            return []
        v = f.verdict
        if v.counterexample is None:  # refuted without a point (index mismatch)
            return [f"  reason: {v.reason}"]
        lines = [
            f"  at {format_point(v.counterexample)}",
            f"  candidate = {format_value(v.lhs_value)}",
            f"  true      = {format_value(v.rhs_value)}",
        ]
        hint = self.label_sum_hint
        if hint:
            lines.append(f"  {hint}")
        return lines

    @property
    def label_sum_hint(self) -> str | None:
        """When the check made no assumption on the labels and the counterexample's labels
        do not sum to 1 (sum_k y'_k != 1), a line saying so and how to assume one-hot
        labels; else None."""
        point = self.counterexample
        if not point or self.assumptions:
            return None
        labels = sympy.Add(*(point.get(_real(f"y'_{k}"), 0) for k in range(1, self.n + 1)))
        if labels == 1:
            return None
        return (f"labels sum to {format_value(labels)} here: tick the sum y' = 1 assumption "
                "(assume_normalized=True) if your formula assumes one-hot labels")

    def __str__(self) -> str:
        return "\n".join([self.summary()] + self._details())

    def _repr_markdown_(self) -> str:
        colour = _COLOURS[self.status]
        out = [f"**<span style='color:{colour}'>{self.status.upper()}</span>** — {_md_escape(self._sentence())}"]
        if self.status == "error":
            out.append("\n```\n" + str(self.error) + "\n```")
            out.append("\nVocabulary: " + "; ".join(f"`{a}`: {_md_escape(b)}" for a, b in VOCABULARY))
            return "\n".join(out)
        out.append(f"\nCandidate: ${sympy.latex(self.candidate)}$")
        f = self.failure
        if f is not None:
            out.append(f"\nEntry ${_entry_latex(f)}$: candidate $= {sympy.latex(f.shown)}$, "
                       f"true $= {sympy.latex(f.shown_truth)}$ "
                       r"(with $p_k = e^{V_k}/S$, $S = \sum_k e^{V_k}$)")
            v = f.verdict
            if v.status == "refuted" and v.counterexample is None:
                out.append(f"\n{_md_escape(v.reason)}")
            elif v.status == "refuted":
                pt = format_point(v.counterexample, latex=True)
                out.append(f"\nAt ${pt}$: candidate $= {format_value(v.lhs_value)}$, true $= {format_value(v.rhs_value)}$.")
                if self.label_sum_hint:
                    out.append(f"\n{_md_escape(self.label_sum_hint)}")
        for note in self.notes:
            out.append(f"\n*Note:* {_md_escape(note)}")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        head = f"<b style='color:{_COLOURS[self.status]}'>{html.escape(self.status.upper())}</b>"
        details = html.escape("\n".join(self._details()))
        return (f"<div class='gradient-check'>{head} — {html.escape(self._sentence())}"
                f"<pre style='margin:4px 0'>{details}</pre></div>")


_BUDGET_EXHAUSTED = "time budget exhausted"

_COLOURS = {"proved": "#1a7f37", "refuted": "#cf222e", "unknown": "#9a6700", "error": "#cf222e"}


def _md_escape(text: str) -> str:
    return text.replace("*", "\\*").replace("_", "\\_")


def _entry_latex(e: EntryCheck) -> str:
    if e.j is None:
        return rf"\partial J/\partial b_{{{e.i}}}"
    return rf"\partial J/\partial w_{{{e._sub()}}}"


# --------------------------------------------------------------------------------------
# from index notation to one concrete entry
# --------------------------------------------------------------------------------------
def _split_subscript(sub: str, count: int, name: str) -> list[str]:
    """Split a subscript into `count` index tokens ("ij" -> ["i", "j"], "1,12" -> ["1", "12"])."""
    if "," in sub:
        parts = sub.split(",")
    elif count == 1:
        parts = [sub]
    elif len(sub) == count:
        parts = list(sub)
    else:
        raise ParseError(f"cannot split the subscript of {name!r} into {count} indices; "
                         f"write it with a comma, e.g. w_{{i,12}}")
    if len(parts) != count or any(p == "" for p in parts):
        raise ParseError(f"{name!r} needs {count} index(es) in its subscript, got {sub!r}")
    return parts


# The index slots of each indexed name: "class" (1..n) or "feature" (1..m).
_SLOTS = {"w": ("class", "feature"), "x": ("feature",), "b": ("class",), "y": ("class",),
          "V": ("class",), "v": ("class",), "p": ("class",), "yhat": ("class",)}
# How an indexed name is shown in messages (y_i is the label y'_i, v_i the logit V_i).
_SHOWN_BASE = {"y": "y'", "v": "V", "yhat": "p"}
_INDEX_MISMATCH = "index mismatch"  # Verdict.method of a refutation by index ranges


def _subscript(values) -> str:
    """Subscript of concrete indices: (1, 2) -> "12", (1, 12) -> "1,12"."""
    values = tuple(values)
    return "".join(map(str, values)) if all(v < 10 for v in values) else ",".join(map(str, values))


class _IndexMismatch(ParseError):
    """A letter index in a slot of the other kind that leaves the slot's range at some
    entry (x_i at i = 3 when m = 2). ``concrete`` is the name it would need ("x_3")."""

    def __init__(self, message: str, concrete: str):
        super().__init__(message)
        self.concrete = concrete


class _Substituter:
    """Maps the names of a candidate to the concrete model's expressions at entry (i, j)."""

    def __init__(self, model: SoftmaxModel, wrt: str):
        self.model = model
        self.wrt = wrt
        # symbols used only to *show* entries compactly
        self.shown = {"S": _real("S"),
                      "V": [_real(f"V_{k}") for k in range(1, model.n + 1)],
                      "p": [_real(f"p_{k}") for k in range(1, model.n + 1)]}

    def truth_display(self, i: int, j: int | None) -> sympy.Expr:
        """The proved formula at (i, j), in the display symbols: -x_j (y'_i - p_i sum_k y'_k)."""
        mdl = self.model
        core = -(mdl.y[i - 1] - self.shown["p"][i - 1] * mdl.label_sum())
        return core if j is None else mdl.x[j - 1] * core

    def _index(self, token: str, name: str, i: int, j: int | None) -> int:
        """The value of one index token at entry (i, j): i, j, or a number."""
        if token == "i":
            return i
        if token == "j":
            if j is None:
                raise ParseError(f"{name!r} uses the index j, but dJ/db_i has only the index i")
            return j
        if token.isdigit():
            return int(token)
        raise ParseError(f"unknown index {token!r} in {name!r}: use i, j or a number "
                         f"(write sums over k as S, or expand them)")

    def _indices(self, name: str, base: str, tokens: list[str], i: int, j: int | None) -> tuple:
        """The values of the indices of ``name`` at entry (i, j), each within its range
        (class 1..n, feature 1..m). A number out of range is a ParseError; a letter out of
        range (x_i at i = 3 > m) is an `_IndexMismatch`."""
        slots = _SLOTS[base]
        bounds = {"class": self.model.n, "feature": self.model.m}
        values, mismatch = [], None
        for pos, (token, slot) in enumerate(zip(tokens, slots)):
            value = self._index(token, name, i, j)
            if not 1 <= value <= bounds[slot]:
                if token not in ("i", "j"):
                    raise ParseError(f"index {value} in {name!r} is out of range: the {slot} "
                                     f"index runs from 1 to {bounds[slot]}")
                mismatch = pos if mismatch is None else mismatch
            values.append(value)
        if mismatch is not None:
            raise self._mismatch(name, base, tokens, values, mismatch, i, j)
        return tuple(values)

    def _mismatch(self, name, base, tokens, values, pos, i, j) -> _IndexMismatch:
        """Explain a letter index whose range is the other kind's: x_i with i = 1..n > m."""
        n, m = self.model.n, self.model.m
        slot, token, shown = _SLOTS[base][pos], tokens[pos], _SHOWN_BASE.get(base, base)
        kind, letter, bound = ("classes", "i", n) if slot == "class" else ("features", "j", m)
        used_kind, used_bound = ("classes", n) if token == "i" else ("features", m)
        which = "the index of" if len(tokens) == 1 else \
            ("the first index of" if pos == 0 else "the second index of")
        concrete = f"{shown}_{_subscript(values)}"
        entry = f"dJ/dw_{_subscript((i, j))}" if j is not None else f"dJ/db_{i}"
        return _IndexMismatch(
            f"{which} {shown} runs over the {kind} {letter} = 1..{bound}, but the candidate "
            f"writes {name} and {token} runs over the {used_kind} 1..{used_bound}: at entry "
            f"{entry} that is {concrete}, which a {n} x {m} model does not have "
            f"(are the indices i and j swapped?)", concrete)

    def swapped(self, expr: sympy.Expr) -> str | None:
        """A note on the names in ``expr`` with a letter index in a slot of the other kind
        (x_i, w_ji, y'_j: the class index i where a feature index belongs, or j where a
        class index belongs), or None when there are none."""
        found = {"i": [], "j": []}
        for sym in expr.free_symbols:
            match = _NAME.match(sym.name)
            if match is None or match["sub"] is None or match["base"] not in _SLOTS:
                continue
            slots = _SLOTS[match["base"]]
            try:
                tokens = _split_subscript(match["sub"], len(slots), sym.name)
            except ParseError:
                continue
            for letter, slot in zip(tokens, slots):
                if (letter, slot) in (("i", "feature"), ("j", "class")):
                    found[letter].append(sym.name)
        n, m = self.model.n, self.model.m
        parts = [f"{', '.join(sorted(set(names)))} put{'s' if len(set(names)) == 1 else ''} "
                 f"the {what} where {other} belongs"
                 for names, what, other in (
                     (found["i"], f"class index i (1..{n})", f"a feature index j (1..{m})"),
                     (found["j"], f"feature index j (1..{m})", f"a class index i (1..{n})"))
                 if names]
        return "; ".join(parts) + ": are i and j swapped?" if parts else None

    def mapping(self, expr: sympy.Expr, i: int, j: int | None, *, display: bool = False,
                strict: bool = True) -> dict:
        """Symbol -> concrete expression at entry (i, j). With ``display=True`` the logits,
        S and p_k stay symbols (V_1, S, p_1) so the entry reads like the candidate. With
        ``strict=False`` a name whose letter index leaves its range (x_i at i = 3 > m) maps
        to a bare symbol of that name (x_3) instead of raising `_IndexMismatch`."""
        mdl = self.model
        shown = self.shown
        out = {}
        for sym in expr.free_symbols:
            name = sym.name
            match = _NAME.match(name)
            if match is None:
                raise ParseError(f"unknown name {name!r}")
            base, sub = match["base"], match["sub"]
            primed = bool(match["p1"] or match["p2"])
            if sub is None:
                if base in ("S", "V") and not primed:
                    out[sym] = shown["S"] if display else mdl.S
                    continue
                if base == "Y" and not primed:
                    out[sym] = mdl.label_sum()
                    continue
                raise ParseError(f"unknown name {name!r}")
            if primed and base != "y":
                raise ParseError(f"unknown name {name!r}: only the labels are primed (y'_i)")
            if base not in _SLOTS:
                raise ParseError(f"unknown name {name!r}")
            tokens = _split_subscript(sub, len(_SLOTS[base]), name)
            try:
                idx = self._indices(name, base, tokens, i, j)
            except _IndexMismatch as exc:
                if strict:
                    raise
                out[sym] = _real(exc.concrete)
                continue
            if base == "w":
                out[sym] = mdl.W[idx[0] - 1, idx[1] - 1]
            elif base == "x":
                out[sym] = mdl.x[idx[0] - 1]
            elif display and base in ("V", "v", "p", "yhat"):
                out[sym] = shown["V" if base in ("V", "v") else "p"][idx[0] - 1]
            else:
                table = {"b": mdl.b, "y": mdl.y, "V": mdl.V, "v": mdl.V, "p": mdl.p, "yhat": mdl.p}
                out[sym] = table[base][idx[0] - 1]
        return out


def _preprocess(text: str) -> tuple[str, list[str]]:
    """Plain-text rewrites before parsing: drop a "dJ/dw_ij =" left-hand side, \\hat y -> p."""
    notes = []
    if "=" in text:
        lhs, _, rhs = text.rpartition("=")
        notes.append(f"checked the right-hand side of '=' only (ignored {lhs.strip()!r})")
        text = rhs
    text = _HAT_Y.sub("p", text)
    return text.strip(), notes


def _parse_candidate(text: str, syntax: str) -> tuple[sympy.Expr, list[str]]:
    from derivation.parsing.api import parse

    if not isinstance(text, str):
        raise TypeError(f"the candidate must be a str, got {type(text).__name__}")
    if len(text) > _MAX_TEXT:
        raise ParseError(f"the candidate is too long ({len(text)} characters, at most {_MAX_TEXT})")
    body, notes = _preprocess(text)
    if not body:
        raise ParseError("the candidate is empty: type a formula for dJ/dw_ij, e.g. -x_j*(y'_i - p_i)")
    try:
        expr = parse(body, syntax=syntax)
    except UnsafeExpressionError:
        raise
    except ParseError as first:
        if syntax != "auto":
            raise
        # "auto" picks LaTeX only when it sees a backslash or a brace; a plain
        # "x_j (p_i - y'_i)" (implicit product) is LaTeX-style too: try it that way,
        # and report the first error if that fails as well.
        try:
            expr = parse(body, syntax="latex")
        except ParseError:
            raise first from None
    if not isinstance(expr, sympy.Expr):
        raise ParseError(f"expected a formula, got {type(expr).__name__}")
    return expr, notes


def candidate_entry(text_or_expr, i: int, j: int | None = None, *, n: int = 3, m: int = 2,
                    wrt: str = "w", syntax: str = "auto") -> sympy.Expr:
    """The candidate at one concrete entry, in the model's symbols.

    Parameters
    ----------
    text_or_expr : str or sympy.Expr
        Candidate in index notation (see the module docstring for the vocabulary).
    i, j : int
        1-based entry (j is ignored / must be None for ``wrt="b"``).
    n, m : int
        Size of the concrete model.

    Returns
    -------
    sympy.Expr
        The candidate with i, j and the definitions (V_i, S, p_i, Y) substituted.
    """
    n, m = validate_size(n, m)
    expr = text_or_expr
    if isinstance(text_or_expr, str):
        expr, _ = _parse_candidate(text_or_expr, syntax)
    model = SoftmaxModel(n, m)
    sub = _Substituter(model, _check_wrt(wrt))
    return expr.xreplace(sub.mapping(expr, i, j if wrt == "w" else None))


def _parameter(model: SoftmaxModel, i: int, j: int | None) -> sympy.Symbol:
    """w_ij, or b_i when j is None."""
    return model.W[i - 1, j - 1] if j is not None else model.b[i - 1]


def _mismatch_entry(model, sub, expr, i, j, reason, assumptions) -> EntryCheck:
    """The entry (i, j) at which the candidate needs a name the model does not have,
    refuted with ``reason`` (the index mismatch) instead of a counterexample."""
    from derivation.equivalence.checker import Verdict

    verdict = Verdict(status="refuted", method=_INDEX_MISMATCH, assumptions=assumptions,
                      reason=reason)
    candidate = expr.xreplace(sub.mapping(expr, i, j, strict=False))
    missing = candidate.free_symbols - set(model.symbols())
    return EntryCheck(i=i, j=j, candidate=candidate,
                      truth=sympy.diff(model.J, _parameter(model, i, j)), verdict=verdict,
                      shown=expr.xreplace(sub.mapping(expr, i, j, display=True, strict=False)),
                      shown_truth=sub.truth_display(i, j),
                      missing=tuple(sorted(str(name) for name in missing)))


def _check_wrt(wrt) -> str:
    if wrt not in ("w", "b"):
        raise ValueError(f"wrt must be 'w' (dJ/dw_ij) or 'b' (dJ/db_i), got {wrt!r}")
    return wrt


def check_candidate(text: str, *, n: int = 3, m: int = 2, wrt: str = "w", syntax: str = "auto",
                    assume_normalized: bool = False, timeout: float = 5.0,
                    stop_at_first: bool = True, total_timeout: float = 15.0,
                    stop_at_unknown: bool = True) -> CandidateCheck:
    """Check a candidate formula for dJ/dw_ij (or dJ/db_i) on every entry of an n x m model.

    For each entry (i, j) the index letters and the definitions V_i = sum_j w_ij x_j + b_i,
    S = sum_k e^{V_k}, p_i = e^{V_i}/S, Y = sum_k y'_k are substituted, and
    ``derivation.equivalent(candidate_ij, diff(J, w_ij), assume=...)`` decides, with
    J = -sum_i y'_i ln p_i.

    Parameters
    ----------
    text : str
        The candidate, in SymPy syntax or LaTeX (see the module docstring for the names),
        e.g. ``"-x_j*(y'_i - exp(V_i)/S)"``. A left-hand side ``"dJ/dw_ij = ..."`` is ignored.
    n, m : int, default 3, 2
        Classes and features of the concrete model (n*m entries are checked).
    wrt : {"w", "b"}
        Check dJ/dw_ij (default) or dJ/db_i.
    syntax : {"auto", "sympy", "latex"}
        Passed to `derivation.parse`.
    assume_normalized : bool
        Assume sum_k y'_k = 1 (one-hot labels), as the seed does.
    timeout : float
        Seconds per entry for `derivation.equivalent`; each call gets
        min(timeout, what is left of `total_timeout`).
    stop_at_first : bool
        Stop at the first refuted entry (default) instead of checking all.
    total_timeout : float, default 15.0
        Budget in seconds for all entries together. When it runs out, the entry being
        reached is reported "unknown" with reason "time budget exhausted" (and, with
        ``stop_at_unknown=False``, every later entry too); the overall status is then
        "unknown" unless an entry was refuted.
    stop_at_unknown : bool, default True
        Stop at the first entry that is not decided ("unknown"), naming it as the failure,
        instead of going on to the remaining entries (which could still refute).

    Returns
    -------
    CandidateCheck
        ``.status`` in {"proved", "refuted", "unknown", "error"}; truthy iff proved; a
        readable ``str``, ``_repr_markdown_`` and ``_repr_html_``. Unreadable text, or a
        name the model does not have (z, x_5 when m = 2), gives status "error" with the
        message in ``.error`` (no exception). Swapped indices that leave their range
        (x_i with n > m) give "refuted" with the reason in ``.failure.verdict.reason``.

    Raises
    ------
    TypeError, ValueError
        For bad n, m, wrt or a non-str text (programming errors, not student input).
    """
    from derivation.equivalence.checker import Verdict, equivalent

    start = time.perf_counter()
    n, m = validate_size(n, m)
    wrt = _check_wrt(wrt)
    for name, value in (("timeout", timeout), ("total_timeout", total_timeout)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    deadline = start + total_timeout
    if not isinstance(text, str):
        raise TypeError(f"the candidate must be a str, got {type(text).__name__}")
    model = SoftmaxModel(n, m)
    total = n * m if wrt == "w" else n
    assumptions = (sympy.Eq(model.label_sum(), 1),) if assume_normalized else ()

    def error(message: str, expr=None, notes=()) -> CandidateCheck:
        return CandidateCheck(text=text, status="error", n=n, m=m, wrt=wrt, candidate=expr,
                              assumptions=assumptions, error=message, notes=tuple(notes),
                              elapsed=time.perf_counter() - start, total_entries=total)

    try:
        expr, notes = _parse_candidate(text, syntax)
    except ParseError as exc:
        return error(str(exc))
    sub = _Substituter(model, wrt)
    cells = [(i, j) for i in range(1, n + 1) for j in range(1, m + 1)] if wrt == "w" else \
            [(i, None) for i in range(1, n + 1)]
    # Substitute every entry first, so a bad name is reported before any proof runs.
    concrete = []
    try:
        for i, j in cells:
            concrete.append(expr.xreplace(sub.mapping(expr, i, j)))
    except _IndexMismatch as exc:
        # x_i with n > m: at entry (i, j) the candidate needs x_i, which does not exist.
        # The true derivative exists there, so the candidate is wrong: refuted, no point.
        entry = _mismatch_entry(model, sub, expr, i, j, str(exc), assumptions)
        return CandidateCheck(text=text, status="refuted", n=n, m=m, wrt=wrt, candidate=expr,
                              assumptions=assumptions, entries=(entry,), notes=tuple(notes),
                              elapsed=time.perf_counter() - start, total_entries=total)
    except ParseError as exc:
        return error(str(exc), expr, notes)

    entries = []
    for (i, j), cand in zip(cells, concrete):
        truth = sympy.diff(model.J, _parameter(model, i, j))  # the true derivative of J
        left = deadline - time.perf_counter()
        if left <= 0:  # the total budget is spent: this entry is not decided
            verdict = Verdict(status="unknown", method="budget", assumptions=assumptions,
                              reason=_BUDGET_EXHAUSTED)
        else:
            verdict = equivalent(cand, truth, assume=assumptions, timeout=min(timeout, left))
        entries.append(EntryCheck(i=i, j=j, candidate=cand, truth=truth, verdict=verdict,
                                  shown=expr.xreplace(sub.mapping(expr, i, j, display=True)),
                                  shown_truth=sub.truth_display(i, j)))
        if verdict.status == "refuted" and stop_at_first:
            break
        if verdict.status == "unknown" and stop_at_unknown:
            break
    statuses = {e.verdict.status for e in entries}
    status = "refuted" if "refuted" in statuses else "unknown" if "unknown" in statuses else "proved"
    swapped = sub.swapped(expr)
    if swapped and status != "proved":  # e.g. n == m: every name exists, the indices are off
        notes.append(swapped)
    return CandidateCheck(text=text, status=status, n=n, m=m, wrt=wrt, candidate=expr,
                          assumptions=assumptions, entries=tuple(entries), notes=tuple(notes),
                          elapsed=time.perf_counter() - start, total_entries=total)


# --------------------------------------------------------------------------------------
# the widget
# --------------------------------------------------------------------------------------
_EXAMPLE = "-x_j*(y'_i - exp(V_i)/S)"


def gradient_checker_widget(value: str = _EXAMPLE, *, n: int = 3, m: int = 2, timeout: float = 5.0,
                            total_timeout: float = 15.0):
    """An ipywidgets form: type a candidate for dJ/dw_ij, press "Check", read the verdict.

    Parameters
    ----------
    value : str
        Initial text of the input box.
    n, m : int
        Initial model size.
    timeout : float
        Seconds per entry for `derivation.equivalent`.
    total_timeout : float, default 15.0
        Budget in seconds for one press of "Check" (all entries together; see
        `check_candidate`): the verdict appears within about this time.

    Returns
    -------
    ipywidgets.VBox
        The form. Its attributes ``text``, ``syntax``, ``wrt``, ``normalized``, ``n``, ``m``,
        ``button``, ``result`` (an HTML widget) and ``check()`` (the button's handler,
        returning the `CandidateCheck`) are there for scripting and tests;
        ``last`` holds the latest `CandidateCheck`.

    Raises
    ------
    ImportError
        If ipywidgets is not installed (install the ``notebooks`` extra).
    """
    try:
        import ipywidgets as widgets
    except ImportError as exc:  # pragma: no cover - exercised only without ipywidgets
        raise ImportError('the gradient checker widget needs ipywidgets: pip install -e ".[notebooks]"') from exc
    validate_size(n, m)

    text = widgets.Textarea(value=value, description="∂J/∂w_ij =", rows=2,
                            placeholder=_EXAMPLE, layout=widgets.Layout(width="95%"))
    syntax = widgets.Dropdown(options=[("auto", "auto"), ("SymPy", "sympy"), ("LaTeX", "latex")],
                              value="auto", description="syntax")
    wrt = widgets.Dropdown(options=[("∂J/∂w_ij", "w"), ("∂J/∂b_i", "b")], value="w", description="gradient")
    normalized = widgets.Checkbox(value=False, description="assume Σ y'_k = 1 (one-hot)", indent=False)
    n_box = widgets.BoundedIntText(value=n, min=1, max=6, description="n classes")
    m_box = widgets.BoundedIntText(value=m, min=1, max=6, description="m features")
    button = widgets.Button(description="Check", button_style="primary", icon="check")
    result = widgets.HTML(value="")
    help_text = widgets.HTML(value="<small>" + "; ".join(
        f"<code>{html.escape(a)}</code>: {html.escape(b)}" for a, b in VOCABULARY) + "</small>")

    box = widgets.VBox([text, widgets.HBox([syntax, wrt]), widgets.HBox([n_box, m_box]),
                        normalized, button, result, help_text])

    def check(_button=None):
        result.value = "<i>checking…</i>"
        outcome = check_candidate(text.value, n=n_box.value, m=m_box.value, wrt=wrt.value,
                                  syntax=syntax.value, assume_normalized=normalized.value,
                                  timeout=timeout, total_timeout=total_timeout)
        result.value = outcome._repr_html_()
        box.last = outcome
        return outcome

    def relabel(change):
        text.description = "∂J/∂w_ij =" if change["new"] == "w" else "∂J/∂b_i ="

    wrt.observe(relabel, names="value")
    button.on_click(check)
    box.text, box.syntax, box.wrt, box.normalized = text, syntax, wrt, normalized
    box.n, box.m, box.button, box.result, box.check, box.last = n_box, m_box, button, result, check, None
    return box
