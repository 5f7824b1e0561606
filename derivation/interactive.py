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
"unknown", or "error" (the text could not be read; the message says why).

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

    @property
    def label(self) -> str:
        return f"dJ/dw_{self._sub()}" if self.j is not None else f"dJ/db_{self.i}"

    def _sub(self) -> str:
        return f"{self.i}{self.j}" if self.i < 10 and self.j < 10 else f"{self.i},{self.j}"


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
        Entries checked, in row-major order (stops at the first refuted one).
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
            return "Could not read the candidate."
        if self.status == "proved":
            return (f"the candidate equals {self._what()} for all {len(self.entries)} entries "
                    f"of a {size} ({self._assume_text()}).")
        f = self.failure
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
        lines.append(f"  ({len(self.entries)} of {self.total_entries} entries checked, {self.elapsed:.2f} s)")
        return lines

    def _point_lines(self) -> list[str]:
        f = self.failure
        if f is None or f.verdict.status != "refuted":
            return []
        v = f.verdict
        point = _point_text(v.counterexample)
        return [
            f"  at {point}",
            f"  candidate = {_fmt(v.lhs_value)}",
            f"  true      = {_fmt(v.rhs_value)}",
        ]

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
            if f.verdict.status == "refuted":
                v = f.verdict
                pt = _point_text(v.counterexample, latex=True)
                out.append(f"\nAt ${pt}$: candidate $= {_fmt(v.lhs_value)}$, true $= {_fmt(v.rhs_value)}$.")
        for note in self.notes:
            out.append(f"\n*Note:* {_md_escape(note)}")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        head = f"<b style='color:{_COLOURS[self.status]}'>{html.escape(self.status.upper())}</b>"
        details = html.escape("\n".join(self._details()))
        return (f"<div class='gradient-check'>{head} — {html.escape(self._sentence())}"
                f"<pre style='margin:4px 0'>{details}</pre></div>")


_COLOURS = {"proved": "#1a7f37", "refuted": "#cf222e", "unknown": "#9a6700", "error": "#cf222e"}


def _point_text(point: dict, *, latex: bool = False) -> str:
    """The non-zero coordinates of a point, then "(all other symbols 0)"."""
    items = sorted(point.items(), key=lambda kv: str(kv[0]))
    shown = [(s, v) for s, v in items if v != 0]
    name = sympy.latex if latex else str
    text = ", ".join(f"{name(s)} = {_fmt(v)}" for s, v in shown)
    rest = len(items) - len(shown)
    if not shown:
        return r"\text{all symbols } 0" if latex else "all symbols 0"
    if rest:
        text += r" \quad (\text{all other symbols } 0)" if latex else " (all other symbols 0)"
    return text


def _fmt(value) -> str:
    if value is None:
        return "?"
    try:
        if isinstance(value, sympy.Integer):
            return str(int(value))
        if isinstance(value, sympy.Rational) and value.q < 1000:
            return str(value)
        return f"{float(value):.12g}"
    except (TypeError, ValueError):
        return str(value)


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

    def _index(self, token: str, name: str, bound: int, what: str, i: int, j: int | None) -> int:
        if token == "i":
            value = i
        elif token == "j":
            if j is None:
                raise ParseError(f"{name!r} uses the index j, but dJ/db_i has only the index i")
            value = j
        elif token.isdigit():
            value = int(token)
        else:
            raise ParseError(f"unknown index {token!r} in {name!r}: use i, j or a number "
                             f"(write sums over k as S, or expand them)")
        if not 1 <= value <= bound:
            raise ParseError(f"index {value} in {name!r} is out of range: {what} runs from 1 to {bound}")
        return value

    def mapping(self, expr: sympy.Expr, i: int, j: int | None, *, display: bool = False) -> dict:
        """Symbol -> concrete expression at entry (i, j). With ``display=True`` the logits,
        S and p_k stay symbols (V_1, S, p_1) so the entry reads like the candidate."""
        mdl = self.model
        shown = self.shown
        n, m = mdl.n, mdl.m
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
            if base == "w":
                r, c = _split_subscript(sub, 2, name)
                r = self._index(r, name, n, "the class index", i, j)
                c = self._index(c, name, m, "the feature index", i, j)
                out[sym] = mdl.W[r - 1, c - 1]
                continue
            if base == "x":
                (k,) = _split_subscript(sub, 1, name)
                out[sym] = mdl.x[self._index(k, name, m, "the feature index", i, j) - 1]
                continue
            table = {"b": mdl.b, "y": mdl.y, "V": mdl.V, "v": mdl.V, "p": mdl.p, "yhat": mdl.p}
            if base in table:
                (k,) = _split_subscript(sub, 1, name)
                k = self._index(k, name, n, "the class index", i, j)
                if display and base in ("V", "v", "p", "yhat"):
                    out[sym] = shown["V" if base in ("V", "v") else "p"][k - 1]
                else:
                    out[sym] = table[base][k - 1]
                continue
            raise ParseError(f"unknown name {name!r}")
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
    from derivation.parsing import parse

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


def _check_wrt(wrt) -> str:
    if wrt not in ("w", "b"):
        raise ValueError(f"wrt must be 'w' (dJ/dw_ij) or 'b' (dJ/db_i), got {wrt!r}")
    return wrt


def check_candidate(text: str, *, n: int = 3, m: int = 2, wrt: str = "w", syntax: str = "auto",
                    assume_normalized: bool = False, timeout: float = 5.0,
                    stop_at_first: bool = True) -> CandidateCheck:
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
        Seconds per entry for `derivation.equivalent`.
    stop_at_first : bool
        Stop at the first refuted entry (default) instead of checking all.

    Returns
    -------
    CandidateCheck
        ``.status`` in {"proved", "refuted", "unknown", "error"}; truthy iff proved; a
        readable ``str``, ``_repr_markdown_`` and ``_repr_html_``. Unreadable text gives
        status "error" with the parser's message in ``.error`` (no exception).

    Raises
    ------
    TypeError, ValueError
        For bad n, m, wrt or a non-str text (programming errors, not student input).
    """
    from derivation.equivalence import equivalent

    start = time.perf_counter()
    n, m = validate_size(n, m)
    wrt = _check_wrt(wrt)
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
    except ParseError as exc:
        return error(str(exc), expr, notes)

    entries = []
    for (i, j), cand in zip(cells, concrete):
        param = model.W[i - 1, j - 1] if j is not None else model.b[i - 1]
        truth = sympy.diff(model.J, param)  # the true derivative of J
        verdict = equivalent(cand, truth, assume=assumptions, timeout=timeout)
        entries.append(EntryCheck(i=i, j=j, candidate=cand, truth=truth, verdict=verdict,
                                  shown=expr.xreplace(sub.mapping(expr, i, j, display=True)),
                                  shown_truth=sub.truth_display(i, j)))
        if verdict.status == "refuted" and stop_at_first:
            break
    statuses = {e.verdict.status for e in entries}
    status = "refuted" if "refuted" in statuses else "unknown" if "unknown" in statuses else "proved"
    return CandidateCheck(text=text, status=status, n=n, m=m, wrt=wrt, candidate=expr,
                          assumptions=assumptions, entries=tuple(entries), notes=tuple(notes),
                          elapsed=time.perf_counter() - start, total_entries=total)


# --------------------------------------------------------------------------------------
# the widget
# --------------------------------------------------------------------------------------
_EXAMPLE = "-x_j*(y'_i - exp(V_i)/S)"


def gradient_checker_widget(value: str = _EXAMPLE, *, n: int = 3, m: int = 2, timeout: float = 5.0):
    """An ipywidgets form: type a candidate for dJ/dw_ij, press "Check", read the verdict.

    Parameters
    ----------
    value : str
        Initial text of the input box.
    n, m : int
        Initial model size.
    timeout : float
        Seconds per entry for `derivation.equivalent`.

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
                                  timeout=timeout)
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
