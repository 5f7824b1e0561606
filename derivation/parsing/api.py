"""Safe parsing of user-typed formulas (SymPy syntax or LaTeX) into SymPy expressions.

Nothing here evaluates text: a hand-written tokenizer and recursive-descent grammar
build SymPy objects with constructors (``Symbol(name, real=True)``, ``Rational``,
``Add``, ``Mul``, ``Pow``, ``exp``, ``log``). Hostile or oversized input is refused
quickly with :class:`~derivation.errors.UnsafeExpressionError`; malformed input with
:class:`~derivation.errors.ParseError`. Both are ``ValueError`` subclasses.

Symbol names (shared with :mod:`derivation.model`): ``x_j``/``x_{j}`` -> "x_j";
``w_ij``/``w_{ij}``/``w_{i,j}`` -> "w_ij"; ``w_{1,12}`` -> "w_1,12"; ``y'_i``/
``y^{\\prime}_i``/``y_i'`` -> "y'_i"; ``\\alpha``/``alpha`` -> "alpha"; ``\\lambda`` ->
"lamda" (SymPy's spelling). ``e`` is Euler's number (``e^{x}``, ``e**x`` -> exp(x)),
``pi``/``\\pi`` is pi; ``ln`` and ``log`` are the natural logarithm. Decimals are exact:
``0.5`` -> 1/2, ``1e-3`` -> 1/1000.
"""

from __future__ import annotations

import sympy

from derivation.parsing import ast as A
from derivation.parsing.common import (
    FUNCTIONS,
    MAX_CALL_DEPTH,
    MAX_CALLS,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_EXPONENT,
    MAX_LENGTH,
    Source,
    Token,
    check_size,
    finish,
    recursion_room,
)
from derivation.parsing.latex import TYPOGRAPHY, read_latex
from derivation.parsing.lower import lower
from derivation.parsing.sympy_syntax import parse_sympy
from derivation.parsing.sympy_syntax import tokenize as tokenize_sympy
from derivation.errors import UnsafeExpressionError

__all__ = [
    "parse",
    "parse_equation",
    "detect_syntax",
    "KNOWN_FUNCTIONS",
    "MAX_LENGTH",
    "MAX_DEPTH",
    "MAX_CALL_DEPTH",
    "MAX_CALLS",
    "MAX_EXPONENT",
    "MAX_DIGITS",
]

KNOWN_FUNCTIONS = tuple(sorted(FUNCTIONS))
SYNTAXES = ("auto", "sympy", "latex")



def detect_syntax(text: str) -> str:
    """``"latex"`` if ``text`` contains a backslash or a brace, else ``"sympy"``."""
    return "latex" if any(c in text for c in "\\{}") else "sympy"


def parse(text: str, *, syntax: str = "auto") -> sympy.Expr:
    """Parse one expression typed by a user, without evaluating any code.

    Parameters
    ----------
    text : str
        At most ``MAX_LENGTH`` (2000) characters, e.g. ``"-x_j*(y_i - exp(v_i)/V)"``
        or ``r"-x_j \\left(y_i - \\frac{e^{v_i}}{V}\\right)"``.
    syntax : {"auto", "sympy", "latex"}
        ``"sympy"``: Python-like, ``+ - * / ** ^``, calls such as ``exp(x)``, no implicit
        multiplication. ``"latex"``: read by :func:`derivation.parsing.read_latex` into the
        AST, then lowered by :mod:`derivation.parsing.lower` (its docstring lists the
        readings: ``\\sin 2x`` is sin(2x), ``\\ln V (y)`` is (ln V)·y, ``\\sin^{-1} x`` is
        asin(x), ``\\frac{d}{dx} x^2`` is the derivative 2x, ``E`` is a variable, ``\\sigma(z)``
        is σ·z; unknown functions, ellipses, sums without numeric bounds, ``\\exp{x}^2`` and
        ``a/b c`` (conventions disagree) are refused with a message naming them).
        ``"auto"``: LaTeX if the text has a backslash or a brace.

    Returns
    -------
    sympy.Expr
        Built from constructors; every symbol is ``Symbol(name, real=True)``. Numbers are
        exact (``0.1`` is 1/10, ``2.0**70`` is 2**70). What was typed is preserved where
        SymPy's evaluation would erase a domain condition (:mod:`derivation.parsing.domain`):
        ``sqrt(x)**2``, ``sqrt(x)*sqrt(x)``, ``exp(log(x))``, ``exp(2*log(x))``, ``x/x``,
        ``x**2/x`` and ``log(x) - log(x)`` stay unevaluated nodes (``evaluate=False``) whose
        subexpressions are exactly the typed ones, so a checker can see where the typed
        expression is real-valued (x >= 0, x > 0, x != 0, ...). Every other node is evaluated
        as SymPy does (``x + x`` is ``2*x``, ``log(exp(x))`` is ``x``, ``(x**2)**(1/2)`` is
        ``Abs(x)``: conditions SymPy proves, such as exp(x) > 0 or x**2 >= 0, are not lost).
        ``exp`` of an argument containing ``log`` is never evaluated (that is how
        ``exp(10**10*log(2))`` stays small).

    Raises
    ------
    ParseError
        Malformed text, or a construct with no standalone reading; the message names the
        problem and shows its position. Non-ASCII characters (``x²``, ``√``) are named.
    UnsafeExpressionError
        Hostile or oversized text: too long, nested deeper than ``MAX_DEPTH`` (100)
        or with function calls nested deeper than ``MAX_CALL_DEPTH`` (30) or more than
        ``MAX_CALLS`` (50) calls,
        dunders, ``lambda``/keywords, quotes, attribute access, calls of ``eval`` etc.,
        numbers or numeric powers beyond ``MAX_DIGITS`` (1000) digits, exponents beyond
        ``MAX_EXPONENT`` (1000). Every input returns or raises within a fraction of a second.
    TypeError
        ``text`` is not a str.
    """
    src, syntax = _prepare(text, syntax)
    if syntax == "latex":
        node = _read(src)
        if isinstance(node, A.Relation):
            raise src.error(node.start, f"{node.ops[0]!r} found: this is an equation; use "
                                        "parse_equation for 'lhs = rhs'")
        return _lower(src, node)
    tokens = tokenize_sympy(src)
    _refuse_equation(src, tokens)
    return _run(src, tokens)


def parse_equation(text: str, *, syntax: str = "auto") -> sympy.Eq:
    """Parse ``"lhs = rhs"`` (``==`` and ``:=`` are accepted too) into ``sympy.Eq``.

    The equation is returned unevaluated (``Eq(x, x)`` stays an equation, not True).
    Same parameters and errors as :func:`parse`; exactly one ``=`` is required.
    """
    src, syntax = _prepare(text, syntax)
    if syntax == "latex":
        node = _read(src)
        ops = node.ops if isinstance(node, A.Relation) else ()
        if len(ops) != 1 or ops[0] not in ("=", ":="):
            raise src.error(node.start, f"an equation needs exactly one '=', found "
                                        f"{sum(op in ('=', ':=') for op in ops)}"
                                        + (f" and {ops}" if ops else ""))
        lhs, rhs = node.items
        if lhs is None:
            raise src.error(node.start, "the left-hand side of '=' is empty")
        return sympy.Eq(_lower(src, lhs), _lower(src, rhs), evaluate=False)
    tokens = tokenize_sympy(src)
    signs = [t for t in tokens if t.kind == "="]
    if len(signs) != 1:
        where = signs[1].pos if len(signs) > 1 else None
        raise src.error(where, f"an equation needs exactly one '=', found {len(signs)}")
    k = tokens.index(signs[0])
    lhs_tokens = tokens[:k] + [Token("end", "", signs[0].pos)]
    if not tokens[:k]:
        raise src.error(signs[0].pos, "the left-hand side of '=' is empty")
    if tokens[k + 1].kind == "end":
        raise src.error(signs[0].pos + len(signs[0].text), "the right-hand side of '=' is empty")
    lhs = _run(src, lhs_tokens)
    rhs = _run(src, tokens[k + 1 :])
    return sympy.Eq(lhs, rhs, evaluate=False)


def _prepare(text, syntax):
    if not isinstance(text, str):
        try:
            shown = f"{text!r:.80}"
        except ValueError:  # an int beyond sys.get_int_max_str_digits()
            shown = "(too long to show)"
        raise TypeError(f"expected the formula as a str, got {type(text).__name__}: {shown}")
    if syntax not in SYNTAXES:
        raise ValueError(f"syntax must be one of {SYNTAXES}, got {syntax!r}")
    check_size(text)
    text = text.translate(TYPOGRAPHY)
    src = Source(text)
    if not text.strip():
        raise src.error(None, "empty input: enter an expression")
    if syntax == "auto":
        syntax = detect_syntax(text)
    return src, syntax


def _read(src: Source) -> A.Node:
    return read_latex(src.text)


def _lower(src: Source, node: A.Node) -> sympy.Expr:
    try:
        with recursion_room():
            expr = lower(src, node)
    except RecursionError:  # guarded by MAX_DEPTH; this is a last line of defence
        raise UnsafeExpressionError("expression is nested too deeply") from None
    return finish(src, expr)


def _refuse_equation(src: Source, tokens: list[Token]) -> None:
    for t in tokens:
        if t.kind == "=":
            raise src.error(t.pos, f"{t.text!r} found: this is an equation; "
                                   "use parse_equation for 'lhs = rhs'")


def _run(src: Source, tokens: list[Token]) -> sympy.Expr:
    try:
        expr = parse_sympy(src, tokens)
    except RecursionError:  # guarded by MAX_DEPTH; this is a last line of defence
        raise UnsafeExpressionError("expression is nested too deeply") from None
    return finish(src, expr)
