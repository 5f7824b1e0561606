"""Shared pieces of the two user-text parsers (SymPy syntax and LaTeX).

Everything here builds SymPy objects with constructors (``Symbol``, ``Rational``,
``Pow``, ``exp``, ``log`` ...); nothing evaluates text. The size guards keep every
numeric result small, so no parse can hang on ``9**9**9`` or ``1e999999999``.
"""

from __future__ import annotations

import contextlib
import keyword
import sys
import unicodedata
from dataclasses import dataclass

import sympy

from derivation.errors import ParseError, UnsafeExpressionError
from derivation.parsing import domain

# --- limits -------------------------------------------------------------------------
MAX_LENGTH = 2000  # characters of user text
MAX_DEPTH = 100  # nesting of brackets, braces, calls and exponents
MAX_CALL_DEPTH = 30  # nesting of function calls (SymPy slows down on log(log(...)))
MAX_CALLS = 50  # function calls in one formula (each log/Abs costs SymPy ~1-3 ms)
MAX_EXPONENT = 1000  # |numerator| and denominator of a numeric exponent
MAX_DIGITS = 1000  # decimal digits of a literal or of a numeric power's value
MAX_ROOT_DIGITS = 100  # digits of a number whose non-integer power (root) is taken

# Known functions: name -> (SymPy constructor, allowed argument counts).
# ln and log are both the natural logarithm; log(x, b) is the logarithm to base b.
FUNCTIONS = {
    "exp": (sympy.exp, (1,)),
    "ln": (sympy.log, (1,)),
    "log": (sympy.log, (1, 2)),
    "sqrt": (sympy.sqrt, (1,)),
    "abs": (sympy.Abs, (1,)),
    "Abs": (sympy.Abs, (1,)),
    "sin": (sympy.sin, (1,)),
    "cos": (sympy.cos, (1,)),
    "tan": (sympy.tan, (1,)),
    "sinh": (sympy.sinh, (1,)),
    "cosh": (sympy.cosh, (1,)),
    "tanh": (sympy.tanh, (1,)),
    "cot": (sympy.cot, (1,)),
    "sec": (sympy.sec, (1,)),
    "csc": (sympy.csc, (1,)),
    "coth": (sympy.coth, (1,)),
    "asin": (sympy.asin, (1,)),
    "acos": (sympy.acos, (1,)),
    "atan": (sympy.atan, (1,)),
    "asinh": (sympy.asinh, (1,)),
    "acosh": (sympy.acosh, (1,)),
    "atanh": (sympy.atanh, (1,)),
}
# LaTeX spellings of the same functions
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan"}
KNOWN_FUNCTIONS = ", ".join(sorted(FUNCTIONS))

# Names whose appearance is refused as hostile (Python keywords such as lambda/import,
# and builtins that execute or inspect code when called).
DANGEROUS_CALLS = frozenset(
    "eval exec compile open getattr setattr delattr globals locals vars input "
    "breakpoint exit quit help dir type object super classmethod staticmethod "
    "property memoryview bytearray bytes".split()
)
PYTHON_KEYWORDS = frozenset(keyword.kwlist)

# Names SymPy prints for its own non-real or non-finite constants: a real symbol of such
# a name would print exactly like sqrt(-1), infinity or NaN, so they are refused.
RESERVED_NAMES = {
    "I": "the imaginary unit sqrt(-1)", "oo": "infinity", "zoo": "complex infinity",
    "nan": "not-a-number", "NaN": "not-a-number", "inf": "infinity",
    "Infinity": "infinity",
}


@dataclass(frozen=True)
class Token:
    """One lexical unit: ``kind`` (e.g. "num", "name", "+"), its ``text``, its ``pos``."""

    kind: str
    text: str
    pos: int


class Source:
    """The user text, used to build error messages that point at a position."""

    def __init__(self, text: str):
        self.text = text

    def error(self, pos: int | None, message: str, *, unsafe: bool = False) -> ParseError:
        """Return a ParseError (UnsafeExpressionError if ``unsafe``) with a caret line."""
        cls = UnsafeExpressionError if unsafe else ParseError
        if pos is None:
            return cls(message)
        pos = max(0, min(pos, len(self.text)))
        start, end = max(0, pos - 40), min(len(self.text), pos + 40)
        head = "..." if start > 0 else ""
        tail = "..." if end < len(self.text) else ""
        snippet = "".join(c if c.isprintable() else " " for c in self.text[start:end])
        caret = " " * (len(head) + pos - start) + "^"
        return cls(f"{message} (at position {pos}):\n    {head}{snippet}{tail}\n    {caret}")


def check_size(text: str) -> None:
    """Refuse over-long text and over-deep bracket nesting before any parsing."""
    src = Source(text)
    if len(text) > MAX_LENGTH:
        raise src.error(
            None,
            f"input is {len(text)} characters long; at most {MAX_LENGTH} are allowed",
            unsafe=True,
        )
    depth = 0
    for i, c in enumerate(text):
        if c in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise src.error(
                    i, f"brackets are nested more than {MAX_DEPTH} deep", unsafe=True
                )
        elif c in ")]}":
            depth -= 1


_SUPERSCRIPTS = ("\u00b2\u00b3\u00b9\u2070\u2071\u2074\u2075\u2076\u2077\u2078\u2079"
                 "\u207a\u207b\u207f")


def char_message(c: str) -> str:
    """Why the character ``c`` starts no token: superscripts, root signs and other non-ASCII
    characters are named (``x\u00b2`` -> "write x^2")."""
    if c in _SUPERSCRIPTS:
        return (f"superscript character {c!r} is not supported: write a power with '^', "
                f"e.g. x^2 for x\u00b2")
    if c == "\u221a":
        return "the root sign '\u221a' is not supported: write sqrt(...) or \\sqrt{...}"
    if not c.isascii():
        name = unicodedata.name(c, "unnamed character")
        return f"unexpected character {c!r} (U+{ord(c):04X} {name}): write it in ASCII or LaTeX"
    return f"unexpected character {c!r}"


def scan(src: Source, read_token, bad_chars: dict[str, tuple[str, bool]]) -> list[Token]:
    """Tokenize the whole text (the loop both tokenizers share).

    Whitespace is skipped; ``read_token(src, i, tokens)`` appends the token(s) starting at
    ``text[i]`` and returns the next index, or None when no token starts there. Such a
    character is refused with its message from ``bad_chars`` (char -> (message, unsafe)),
    else as "unexpected character". The list ends with an "end" token.
    """
    text, tokens, i = src.text, [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        nxt = read_token(src, i, tokens)
        if nxt is None:
            c = text[i]
            message, unsafe = bad_chars.get(c, (char_message(c), False))
            raise src.error(i, message, unsafe=unsafe)
        i = nxt
    tokens.append(Token("end", "", len(text)))
    return tokens


def symbol(name: str, src: Source | None = None, pos: int | None = None) -> sympy.Symbol:
    """The project's symbol for ``name``: always ``Symbol(name, real=True)``.

    Names of SymPy's special constants (``RESERVED_NAMES``: I, oo, zoo, nan, ...) are
    refused with a ParseError: values are real and finite, and such a symbol would print
    like the constant.
    """
    if name in RESERVED_NAMES:
        message = (f"the name {name!r} is reserved: SymPy prints {RESERVED_NAMES[name]} "
                   f"that way, and only real, finite values are supported; use another name")
        raise (src or Source(name)).error(pos, message)
    return sympy.Symbol(name, real=True)


def subscript_name(parts: list[str]) -> str:
    """Join subscript parts: single characters without commas (w_{i,j} -> "ij"),
    longer parts with commas (w_{1,12} -> "1,12")."""
    parts = [p for p in parts if p]
    if all(len(p) == 1 for p in parts):
        return "".join(parts)
    return ",".join(parts)


def symbol_name(base: str, primes: int, subscript: str) -> str:
    """Canonical name: base, then primes, then ``_subscript`` (y^{\\prime}_i -> "y'_i")."""
    name = base + "'" * primes
    return f"{name}_{subscript}" if subscript else name


def decimal(src: Source, pos: int, whole: str, frac: str, exp10: int) -> sympy.Rational:
    """Exact value of the literal ``whole.frac e exp10`` (0.5 -> 1/2, 1e-3 -> 1/1000)."""
    digits = (whole + frac).lstrip("0") or "0"
    if len(digits) > MAX_DIGITS or abs(exp10) > MAX_DIGITS:
        raise src.error(
            pos,
            f"number literal is too large (more than {MAX_DIGITS} digits or exponent)",
            unsafe=True,
        )
    scale = exp10 - len(frac)  # value = int(whole frac) * 10**scale
    mantissa = int(whole + frac) if (whole + frac) else 0
    if scale >= 0:
        return sympy.Integer(mantissa * 10**scale)
    return sympy.Rational(mantissa, 10**-scale)


def number(src: Source, t: Token) -> sympy.Rational:
    """Exact value of a "num" token (1.5, .5, 1., 1e-3, 2.5E+4), via :func:`decimal`."""
    mantissa, _, exp10 = t.text.lower().partition("e")
    whole, _, frac = mantissa.partition(".")
    if len(exp10.lstrip("+-")) > 6:
        return decimal(src, t.pos, whole, frac, 10**7)  # refused as too large
    return decimal(src, t.pos, whole, frac, int(exp10 or "0"))


def _digits(n: int) -> float:
    return abs(n).bit_length() * 0.30103


def _check_exponent(src: Source, pos: int | None, exponent: sympy.Rational) -> None:
    """Refuse the rational exponent p/q when |p| or q exceeds MAX_EXPONENT."""
    if abs(exponent.p) > MAX_EXPONENT or exponent.q > MAX_EXPONENT:
        raise src.error(
            pos,
            f"exponent {exponent} is too large (numerator and denominator must be at "
            f"most {MAX_EXPONENT} in magnitude)",
            unsafe=True,
        )


def check_exponents(src: Source, pos: int | None, expr: sympy.Expr, *, top_only=False) -> None:
    """Refuse any power in ``expr`` whose numeric exponent is out of bounds
    (|p| or q > MAX_EXPONENT for p/q); such powers make ``expand`` hang later."""
    nodes = (expr,) if top_only else sympy.preorder_traversal(expr)
    for node in nodes:
        if node.is_Pow and node.exp.is_Rational:
            _check_exponent(src, pos, node.exp)


def power(src: Source, pos: int, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """``base ** exponent``, refused if the value or exponent would be huge.

    For numbers b = r/s and exponent p/q the value has about |p/q| * log10(max(r, s))
    digits; it must stay below MAX_DIGITS. Roots (q > 1) of numbers are only taken of
    numbers with at most MAX_ROOT_DIGITS digits (SymPy factors them).
    """
    if base.is_zero and exponent.is_negative:
        raise src.error(pos, "division by zero")
    if (base.is_number and exponent.is_number and base.is_extended_negative
            and exponent.is_integer is not True):
        raise src.error(
            pos,
            f"({base}) ** ({exponent}) is not a real number (a root or fractional power of "
            f"a negative number); only real values are supported",
        )
    if exponent.is_Rational and base is not sympy.E:  # e**n is exp(n): nothing to compute
        _check_exponent(src, pos, exponent)
        p, q = exponent.p, exponent.q
        if base.is_Rational and base not in (sympy.S.Zero, sympy.S.One, sympy.S.NegativeOne):
            size = max(_digits(base.p), _digits(base.q))
            if size * abs(p) / q > MAX_DIGITS:
                raise src.error(
                    pos,
                    f"the number {base} ** {exponent} would have about "
                    f"{int(size * abs(p) / q)} digits (at most {MAX_DIGITS} allowed)",
                    unsafe=True,
                )
            if q > 1 and size > MAX_ROOT_DIGITS:
                raise src.error(
                    pos,
                    f"root of a number with more than {MAX_ROOT_DIGITS} digits is refused",
                    unsafe=True,
                )
    elif base.is_Number and exponent.is_Number:  # never produced (no floats), but be safe
        raise src.error(pos, f"non-rational numeric power {base} ** {exponent}", unsafe=True)
    result = domain.build(sympy.Pow, base, exponent)  # combines (x**a)**b only if domain kept
    check_exponents(src, pos, result, top_only=True)
    return result


def call(src: Source, pos: int, name: str, args: list[sympy.Expr]) -> sympy.Expr:
    """Apply the known function ``name`` to ``args`` (roots go through :func:`power`)."""
    if name not in FUNCTIONS:
        unsafe = name in DANGEROUS_CALLS or name in PYTHON_KEYWORDS
        raise src.error(
            pos,
            f"unknown function {name!r}; known functions: {KNOWN_FUNCTIONS}",
            unsafe=unsafe,
        )
    func, arities = FUNCTIONS[name]
    if len(args) not in arities:
        want = " or ".join(str(a) for a in arities)
        raise src.error(pos, f"{name} takes {want} argument(s), got {len(args)}")
    if name == "sqrt":
        return power(src, pos, args[0], sympy.Rational(1, 2))
    if name in ("ln", "log"):
        _check_log(src, pos, args)
        if len(args) == 2 and (args[0].free_symbols or args[1].free_symbols):  # log_b(x) = ln x / ln b, as typed: log(x, x) keeps x != 1, x > 0
            return domain.mul([domain.build(func, args[0]),
                               power(src, pos, domain.build(func, args[1]), sympy.S.NegativeOne)])
    if name == "exp":
        return domain.exp(args[0])
    return domain.build(func, *args)


def _check_log(src: Source, pos: int, args: list[sympy.Expr]) -> None:
    """Refuse non-real logarithms: log of a number <= 0, a base <= 0 or equal to 1."""
    arg = args[0]
    if arg.is_number and arg.is_extended_nonpositive:
        raise src.error(pos, f"log({arg}) is not a real number (the logarithm needs a "
                             "positive argument)")
    if len(args) == 2:
        base = args[1]
        if base.is_number and (base.is_extended_nonpositive or base == 1):
            raise src.error(pos, f"log base {base} is not allowed: a logarithm's base must "
                                 "be positive and different from 1")


def finish(src: Source, expr: sympy.Expr) -> sympy.Expr:
    """Final checks on a parsed expression: no infinities/NaN (e.g. from 1/0),
    no combined huge exponents (x**1000 * x**1000 * ... is still bounded)."""
    bad = expr.atoms(sympy.core.numbers.ComplexInfinity, sympy.core.numbers.NaN)
    if bad or expr.has(sympy.S.Infinity, sympy.S.NegativeInfinity):
        raise src.error(None, f"expression is undefined (division by zero?): got {expr}")
    if expr.has(sympy.I):  # last line of defence: every non-real constant is refused above
        raise src.error(None, f"expression is not real (it contains sqrt(-1)): got {expr}")
    check_exponents(src, None, expr)
    return expr


@contextlib.contextmanager
def recursion_room(frames: int = 6000):
    """Allow ``frames`` Python frames within the block (the grammars recurse about ten frames
    per nesting level, MAX_DEPTH levels deep); the old limit is restored after."""
    old = sys.getrecursionlimit()
    if old < frames:
        sys.setrecursionlimit(frames)
    try:
        yield
    finally:
        if sys.getrecursionlimit() == max(old, frames):
            sys.setrecursionlimit(old)


class Nesting:
    """Counters of a parser: nesting (``MAX_DEPTH``), nested calls (``MAX_CALL_DEPTH``),
    all calls (``MAX_CALLS``)."""

    def __init__(self, src: Source):
        self.src, self.depth, self.calls, self.total_calls = src, 0, 0, 0

    def enter(self, pos: int, *, call: bool = False) -> None:
        """Go one level deeper at ``pos``; refuse beyond the limits."""
        self.depth += 1
        self.calls += call
        self.total_calls += call
        if self.total_calls > MAX_CALLS:
            raise self.src.error(pos, f"more than {MAX_CALLS} function calls", unsafe=True)
        if self.depth > MAX_DEPTH:
            raise self.src.error(pos, f"expression is nested more than {MAX_DEPTH} deep",
                                 unsafe=True)
        if self.calls > MAX_CALL_DEPTH:
            raise self.src.error(
                pos, f"function calls are nested more than {MAX_CALL_DEPTH} deep", unsafe=True
            )

    def leave(self, *, call: bool = False) -> None:
        self.depth -= 1
        self.calls -= call
