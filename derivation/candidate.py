r"""Check a student's formula for dJ/dw_ij (or dJ/db_i): a one-line document on the model.

The candidate becomes the last line of a small derivation that states the softmax-regression
model with symbolic sizes,

    V_i = \sum_{j=1}^{m} w_{ij} x_j + b_i,   S = \sum_{k=1}^{n} e^{V_k},   p_i = e^{V_i} / S,
    J = -\sum_{i=1}^{n} y'_i \ln p_i,
    \frac{\partial J}{\partial w_{ij}} = <candidate>,

and `derivation.check_document` checks that claim against the true derivative of J, for
all n and m at once. The student may write (in LaTeX, or SymPy syntax such as
``x_j*(p_i - y'_i)``, which is printed to LaTeX by SymPy first):

=======================================================  ===========================================
``x_j``, ``w_{ij}``, ``b_i``                             feature, weight, bias
``y'_i`` (also ``y_i``)                                  the **label** y'_i (the seed writes y_i)
``V_i``, ``v_i``, ``z_i``                                the logit V_i
``S``, ``V`` (no index), ``\sum_{k=1}^{n} e^{V_k}``      the sum of exponentials (the seed's V)
``p_i``, ``\hat{y}_i``, ``yhat_i``                       the prediction e^{V_i} / S
``\mathrm{softmax}(V)_i``, ``softmax(z)_i``,             the prediction, as the softmax of the
``\sigma(z)_i``                                          logits
``Y``                                                    \sum_k y'_k (the seed's Y)
=======================================================  ===========================================

With ``assume_normalized=True`` the document states "the labels sum to one" before the
claim, and the claim may use it (one-hot labels, as the seed assumes).
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass, field

__all__ = ["CandidateCheck", "VOCABULARY", "check_candidate", "model_document"]

#: One line per accepted name, shown in messages and in the widget.
VOCABULARY = (
    ("x_j, w_{ij}, b_i", "feature, weight, bias"),
    ("y'_i or y_i", "the label y'_i (the seed writes y_i for the label)"),
    ("V_i, v_i or z_i", "the logit V_i = sum_j w_ij x_j + b_i"),
    ("S or V", "sum_k e^{V_k} (the seed calls it V); or write the sum itself"),
    ("p_i, \\hat{y}_i, yhat_i", "the prediction p_i = e^{V_i} / S"),
    ("\\mathrm{softmax}(V)_i, \\sigma(z)_i", "the softmax of the logits, = p_i"),
    ("Y", "sum_k y'_k (the seed's Y)"),
)
EXAMPLE = r"x_j (p_i - y'_i)"
_MAX_TEXT = 2000
_COLOURS = {"proved": "#17801b", "refuted": "#c0161a", "unknown": "#b07800", "error": "#b07800"}

_MODEL = [
    r"The model, for the classes $i = 1, \dots, n$ and the features $j = 1, \dots, m$:",
    "",
    r"$$V_i = \sum_{j=1}^{m} w_{ij} x_j + b_i$$",
    "",
    r"$$S = \sum_{k=1}^{n} e^{V_k}$$",
    "",
    r"$$p_i = \frac{e^{V_i}}{S}$$",
    "",
    r"$$J = -\sum_{i=1}^{n} y'_i \ln p_i$$",
    "",
]
# name used in the candidate (a regex on its LaTeX) -> the definition that gives it meaning
_ALIASES = (
    (r"(?<![A-Za-z\\'])y_", r"$$y_i = y'_i$$"),
    (r"(?<![A-Za-z\\])v_", r"$$v_i = V_i$$"),
    (r"(?<![A-Za-z\\])z(?![A-Za-z])", r"$$z_i = V_i$$"),
    (r"(?<![A-Za-z\\])V(?![_A-Za-z])", r"$$V = S$$"),
    (r"(?<![A-Za-z\\])Y(?![_A-Za-z])", r"$$Y = \sum_{k=1}^{n} y'_k$$"),
    (r"\\(?:wide)?hat", r"$$\hat{y}_i = p_i$$"),
)
_NORMALISED = r"Assume that the labels sum to one: $\sum_{k=1}^{n} y'_k = 1$."
# softmax of a vector needs the vector's length
_VECTORS = r"The logits are $V_1, \dots, V_n$ (also written $z_1, \dots, z_n$)."
_CLAIM = {"w": r"\frac{\partial J}{\partial w_{ij}}", "b": r"\frac{\partial J}{\partial b_i}"}
# plain-text words that are LaTeX commands (SymPy syntax does not know softmax(z)_i)
_WORDS = re.compile(r"(?<![A-Za-z\\])(softmax|sigma|exp|ln|log|sqrt|sum|hat)(?![A-Za-z])")
_YHAT = re.compile(r"(?<![A-Za-z\\])yhat(?![A-Za-z])")
# on this model sigma applied to a vector is the softmax: \sigma(z)_i -> \mathrm{softmax}(z)_i
_SIGMA = re.compile(r"\\sigma(?=\s*(?:\\left)?\s*\()")


# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CandidateCheck:
    """Outcome of `check_candidate`.

    Attributes
    ----------
    text : str
        What the student typed.
    status : {"proved", "refuted", "unknown", "error"}
        "proved": equal to the true derivative for all n, m (``sizes`` None) or at every
        size checked; "refuted": a counterexample point; "unknown": neither, ``reason``
        says why; "error": the text could not be read (``error`` says what to write).
    wrt : {"w", "b"}
    latex : str or None
        The candidate as LaTeX, as it was put in the document.
    document : derivation.DocumentCheck or None
        The whole model document as checked (None when the text was refused before).
    step : DocumentStep or None
        The claim ``dJ/dw_ij = candidate`` as read and checked.
    error : str or None
        For "error": what is wrong and what to write instead.
    notes : tuple of str
    elapsed : float
        Seconds.
    """

    text: str
    status: str
    wrt: str = "w"
    n: int = 3
    m: int = 2
    latex: str | None = None
    document: object = None
    step: object = None
    error: str | None = None
    notes: tuple = field(default_factory=tuple)
    elapsed: float = 0.0
    assume_normalized: bool = False

    @property
    def ok(self) -> bool:
        """True when proved."""
        return self.status == "proved"

    def __bool__(self) -> bool:
        return self.ok

    def _get(self, name):
        return getattr(self.step, name, None) if self.step is not None else None

    @property
    def counterexample(self) -> dict | None:
        """For "refuted": the point (symbol name -> value) where the candidate and the true
        derivative differ."""
        return self._get("counterexample") or None

    @property
    def sizes(self):
        """None when proved for all n, m; else the concrete sizes checked."""
        return self._get("sizes")

    @property
    def reading(self) -> str | None:
        return self._get("reading") or None

    @property
    def reason(self) -> str | None:
        return self._get("reason") or self.error

    @property
    def repair(self) -> str | None:
        return self._get("repair")

    # -- words -----------------------------------------------------------------------------
    def _what(self) -> str:
        return "dJ/dw_ij" if self.wrt == "w" else "dJ/db_i"

    def _assume(self) -> str:
        return "assuming the labels sum to 1" if self.assume_normalized else \
            "with no assumption on the labels"

    def _sentence(self) -> str:
        if self.status == "error":
            return "Could not read the candidate."
        if self.status == "proved":
            where = "for all n, m" if self.sizes is None else "at every size checked"
            return f"the candidate equals {self._what()} {where} ({self._assume()})."
        if self.status == "refuted":
            return f"the candidate is not {self._what()} ({self._assume()})."
        return f"the candidate could not be decided ({self._assume()})."

    def summary(self) -> str:
        """One line: the status and the verdict in words."""
        return f"{self.status.upper()}: {self._sentence()}"

    def _details(self) -> list:
        from derivation._format import format_point

        lines = []
        if self.status == "error":
            lines.extend("  " + line for line in str(self.error).splitlines())
        if self.latex is not None:
            lines.append(f"  read as: {self._what()} = {self.latex}")
        if self.reading:
            lines.append(f"  reading: {self.reading}")
        if self.counterexample:
            lines.append(f"  counterexample: {format_point(self.counterexample)}")
        if self.repair:
            lines.append(f"  holds under: {self.repair}"
                         + ("" if self.assume_normalized else
                            " (assume_normalized=True states that the labels sum to 1)"))
        if self.status == "unknown" and self.reason:
            lines.append(f"  reason: {self.reason}")
        if self.status == "proved" and self.sizes is not None:
            lines.append("  checked at sizes " + "; ".join(
                ", ".join(f"{k}={v}" for k, v in dict(s).items()) for s in self.sizes))
        lines.extend(f"  note: {note}" for note in self.notes)
        lines.append(f"  ({self.elapsed:.2f} s)")
        return lines

    def __str__(self) -> str:
        return "\n".join([self.summary()] + self._details())

    def _repr_markdown_(self) -> str:
        colour = _COLOURS[self.status]
        body = "\n".join(f"    {line.strip()}" for line in self._details())
        return (f"**<span style='color:{colour}'>{self.status.upper()}</span>** — "
                f"{_md_escape(self._sentence())}\n\n{body}\n")

    def _repr_html_(self) -> str:
        colour = _COLOURS[self.status]
        details = html.escape("\n".join(line.strip() for line in self._details()))
        return (f"<div><b style='color:{colour}'>{self.status.upper()}</b> — "
                f"{html.escape(self._sentence())}<pre style='white-space:pre-wrap'>{details}"
                f"</pre></div>")


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", text)


# --------------------------------------------------------------------------------------
def _right_side(text: str) -> tuple:
    """Drop a left-hand side ("dJ/dw_ij = ..."): the text after the last top-level "="."""
    depth, cut = 0, None
    for k, ch in enumerate(text):
        depth += ch in "({[" 
        depth -= ch in ")}]"
        if ch == "=" and depth == 0 and text[k - 1:k] not in (":", "<", ">", "!"):
            cut = k
    if cut is None:
        return text, ()
    return text[cut + 1:], (f"checked the right-hand side of '=' only "
                            f"(ignored {text[:cut].strip()!r})",)


def _sympy_to_latex(text: str) -> str:
    """SymPy syntax (``x_j*(p_i - y'_i)``, ``exp(V_i)/S``) as LaTeX, via the safe parser and
    SymPy's printer (indices braced: ``x_{j}``, ``w_{ij}``). Raises ParseError."""
    import sympy

    from derivation.parsing.api import parse

    expr = parse(text, syntax="sympy")
    return sympy.latex(expr)


def to_latex(text: str, syntax: str) -> tuple:
    """The candidate as LaTeX, and notes on how it was read. Raises ParseError."""
    from derivation.errors import ParseError

    if syntax not in ("auto", "sympy", "latex"):
        raise ValueError(f"syntax must be 'auto', 'sympy' or 'latex', got {syntax!r}")
    body = " ".join(text.split())  # one formula: line breaks are spaces
    if body.startswith("$") and body.endswith("$"):  # "$...$" or "$$...$$" as pasted
        body = body.strip("$").strip()
    if "$" in body:  # a "$" would end the formula inside the model document
        raise ParseError("the candidate is one formula: write it without '$' signs, "
                         f"e.g. {EXAMPLE}")
    body, notes = _right_side(body)
    body = _YHAT.sub(r"\\hat{y}", body).strip()
    if not body:
        raise ParseError(f"the candidate is empty: type a formula for the gradient, "
                         f"e.g. {EXAMPLE}")
    latex_like = any(c in body for c in "\\{}")
    if syntax == "latex" or (syntax == "auto" and latex_like):
        return _softmax_sigma(body, notes)
    try:
        return _sympy_to_latex(body), notes + ("read in SymPy syntax",)
    except ParseError:
        if syntax == "sympy":
            raise
    # plain text that is not SymPy syntax ("softmax(z)_i", "x_j (p_i - y_i)"): LaTeX with
    # its function words as commands
    return _softmax_sigma(_WORDS.sub(
        lambda mo: "\\" + ("mathrm{softmax}" if mo[1] == "softmax" else mo[1]), body), notes)


def _softmax_sigma(latex: str, notes: tuple) -> tuple:
    r"""``\sigma(z)`` on this model is the softmax of the logits: write it so."""
    if not _SIGMA.search(latex):
        return latex, notes
    return _SIGMA.sub(lambda _: r"\mathrm{softmax}", latex), notes + (
        "\\sigma(...) read as the softmax, the model's only vector function",)


def model_document(latex: str, *, wrt: str = "w", assume_normalized: bool = False) -> str:
    """The Markdown document that states the model (symbolic n, m) and then the claim
    ``\\frac{\\partial J}{\\partial w_{ij}} = <latex>`` (or ``\\partial b_i``).

    Definitions of the alternative names (y_i, v_i, z_i, V, Y, \\hat{y}_i, \\sigma) are
    added only when the candidate uses them.
    """
    lines = list(_MODEL)
    for pattern, definition in _ALIASES:
        if re.search(pattern, latex):
            lines += [definition, ""]
    if "softmax" in latex or "sigma" in latex:
        lines += [_VECTORS, ""]
    if assume_normalized:
        lines += [_NORMALISED, ""]
    lines.append(f"$${_CLAIM[wrt]} = {latex}$$")
    return "\n".join(lines) + "\n"


# the names a candidate may use (base, primes, accent), besides indices and sizes
_KNOWN = {("x", 0, None), ("w", 0, None), ("b", 0, None), ("y", 0, None), ("y", 1, None),
          ("y", 0, "hat"), ("V", 0, None), ("v", 0, None), ("z", 0, None), ("S", 0, None),
          ("p", 0, None), ("Y", 0, None), ("e", 0, None), ("sigma", 0, None),
          ("softmax", 0, None)}
_INDEX_LETTERS = set("ijklnm")


def _names(node, found: list) -> None:
    """Every Name of a LaTeX AST node, in order (subscripts included)."""
    import dataclasses

    from derivation.parsing import ast as A

    if isinstance(node, A.Name):
        found.append(node)
    if isinstance(node, tuple):
        for item in node:
            _names(item, found)
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if isinstance(value, (tuple, A.Node)):
                _names(value, found)


def unknown_names(latex: str) -> list:
    """Names in the candidate that the model does not have (``z`` alone is the logit vector
    only with an index or inside softmax/sigma; ``q_i`` is nothing), as written."""
    try:
        from derivation.parsing.latex import read_latex

        tree = read_latex(latex)
    except Exception:  # unreadable: the reader will say why
        return []
    found: list = []
    _names(tree, found)
    # a vector without its index is a name only as the argument of softmax / sigma
    vectors_ok = "softmax" in latex or "sigma" in latex
    out = []
    for name in found:
        key = (name.base, name.primes, name.accent)
        if name.base in _INDEX_LETTERS and not name.sub and not name.primes:
            continue
        if key in _KNOWN and (name.sub or name.base in ("V", "S", "Y", "e", "sigma", "softmax")
                              or vectors_ok):
            continue
        text = latex[name.start:name.end] or name.base
        if text not in out:
            out.append(text)
    return out


def _refusal(reason: str) -> str:
    names = "; ".join(f"{a}: {b}" for a, b in VOCABULARY)
    return (f"{reason}\nWrite the gradient in the model's names, e.g. {EXAMPLE} or "
            rf"-x_j \left(y'_i - \frac{{e^{{V_i}}}}{{\sum_{{k=1}}^{{n}} e^{{V_k}}}}\right)."
            f"\nNames: {names}")


def check_candidate(text: str, *, n: int = 3, m: int = 2, wrt: str = "w", syntax: str = "auto",
                    assume_normalized: bool = False, timeout: float = 5.0,
                    total_timeout: float | None = None) -> CandidateCheck:
    r"""Check a candidate for dJ/dw_ij (or dJ/db_i) of softmax regression, for all n, m.

    The claim ``\frac{\partial J}{\partial w_{ij}} = candidate`` is appended to the model
    (see the module docstring) and checked by `derivation.check_document` against the true
    derivative of J = -sum_i y'_i ln p_i, with symbolic sizes.

    Parameters
    ----------
    text : str
        The candidate in LaTeX or SymPy syntax, e.g. ``"x_j (p_i - y'_i)"``,
        ``r"\mathrm{softmax}(V)_i"``-based forms, or the seed's
        ``r"-x_j \left(y_i - \frac{e^{v_i}}{V}\right)"``. A left-hand side
        (``"dJ/dw_ij = ..."``) is ignored.
    n, m : int, default 3, 2
        Kept for compatibility: the check is for all n and m; they are validated only.
    wrt : {"w", "b"}
        Check dJ/dw_ij (default) or dJ/db_i.
    syntax : {"auto", "sympy", "latex"}
        How to read the text ("auto": LaTeX when it has a backslash or brace, else SymPy
        syntax, else LaTeX with ``softmax``/``exp``/``ln`` as commands).
    assume_normalized : bool
        State sum_k y'_k = 1 (one-hot labels) before the claim.
    timeout : float, default 5.0
        Seconds for the whole check (the document's budget).
    total_timeout : float, optional
        Kept for compatibility: the budget is min(timeout, total_timeout).

    Returns
    -------
    CandidateCheck
        ``.status`` in {"proved", "refuted", "unknown", "error"}, ``.ok`` (proved),
        ``.counterexample``, ``.sizes``; readable ``str``, ``_repr_html_``,
        ``_repr_markdown_``. Unreadable text gives "error" with a message saying what to
        write instead (never an exception).

    Raises
    ------
    TypeError, ValueError
        For a non-str text, bad n, m, wrt, syntax or timeout (programming errors).
    """
    from derivation.errors import ParseError
    from derivation.model import validate_size

    start = time.perf_counter()
    if not isinstance(text, str):
        raise TypeError(f"the candidate must be a str, got {type(text).__name__}")
    n, m = validate_size(n, m)
    if wrt not in _CLAIM:
        raise ValueError(f"wrt must be 'w' (dJ/dw_ij) or 'b' (dJ/db_i), got {wrt!r}")
    for name, value in (("timeout", timeout), ("total_timeout", total_timeout)):
        if value is None and name == "total_timeout":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    budget = timeout if total_timeout is None else min(timeout, total_timeout)
    common = dict(text=text, wrt=wrt, n=n, m=m, assume_normalized=assume_normalized)

    def refuse(reason, latex=None, notes=(), document=None, step=None):
        return CandidateCheck(status="error", latex=latex, error=_refusal(reason), notes=notes,
                              document=document, step=step,
                              elapsed=time.perf_counter() - start, **common)

    if len(text) > _MAX_TEXT:
        return refuse(f"the candidate is too long ({len(text)} characters, at most {_MAX_TEXT})")
    try:
        latex, notes = to_latex(text, syntax)
    except ParseError as exc:
        return refuse(f"cannot read it: {exc}")
    unknown = unknown_names(latex)
    if unknown:
        return refuse(f"{', '.join(repr(u) for u in unknown)} "
                      f"{'is not a name' if len(unknown) == 1 else 'are not names'} of the "
                      f"model", latex, notes)
    from derivation.documents import check_document

    document = check_document(model_document(latex, wrt=wrt, assume_normalized=assume_normalized),
                              timeout=budget)
    claim = _claim_step(document)
    if claim is None:
        return refuse("cannot read it as one formula", latex, notes, document)
    if claim.kind == "unreadable" or (claim.status == "unknown" and _unreadable(claim)):
        return refuse(f"cannot read it: {_own_positions(claim.reason, wrt)}", latex, notes,
                      document, claim)
    status = claim.status if claim.status in ("proved", "refuted", "unknown") else "unknown"
    return CandidateCheck(status=status, latex=latex, document=document, step=claim,
                          notes=notes, elapsed=time.perf_counter() - start, **common)


def _own_positions(reason: str, wrt: str) -> str:
    """Positions in the reader's message count from the claim's left-hand side: make them
    count from the start of the candidate."""
    shift = len(f"{_CLAIM[wrt]} = ")

    def move(mo):
        at = int(mo[1]) - shift
        return f"(at position {at} of the candidate)" if at >= 0 else mo[0]
    return re.sub(r"\(at position (\d+)\)", move, reason or "")


def _claim_step(document):
    """The step of the last line (the claim), or None when it was not read as one."""
    steps = list(document.steps)
    if not steps:
        return None
    last = max(s.line for s in steps)
    on_last = [s for s in steps if s.line == last]
    return on_last[-1] if len(on_last) == 1 else None


def _unreadable(step) -> bool:
    reason = (getattr(step, "reason", "") or "").lower()
    return any(word in reason for word in ("cannot read", "unreadable", "not read", "refused",
                                           "unknown construct", "parse"))
