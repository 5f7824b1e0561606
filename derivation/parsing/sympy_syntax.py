"""Tokenizer and recursive-descent parser for the SymPy/Python-like syntax subset.

Grammar (``**`` and ``^`` are the same operator, right-associative)::

    equation := expr ('=' | '==' | ':=') expr
    expr     := term (('+' | '-') term)*
    term     := unary (('*' | '/') unary)*
    unary    := ('+' | '-')* power
    power    := primary (('**' | '^') unary)*
    primary  := NUMBER | NAME | NAME '(' expr (',' expr)* ')' | '(' expr ')' | '[' expr ']'

Names: letters/digits with ``_`` subscripts and primes, e.g. x_j, w_ij, w_12, y'_i
(y_i' is normalised to "y'_i"); ``e``/``E`` is Euler's number, ``pi`` is pi.
Implicit multiplication (``2x``, ``x (y)``) is refused: write ``*``.
"""

from __future__ import annotations

import re

import sympy

from derivation.parsing import domain
from derivation.errors import ParseError
from derivation.parsing.common import (
    FUNCTIONS,
    PYTHON_KEYWORDS,
    Nesting,
    Source,
    Token,
    call,
    number,
    power,
    scan,
    symbol,
)

# 1, 1.5, 1., .5, 1e-3 (ASCII digits only: "\uff11".isdigit() is True, but it is no numeral here)
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"([A-Za-z][A-Za-z0-9]*)('*)((?:_[A-Za-z0-9]+)*)('*)")
_OPERATORS = ("**", "==", ":=", "+", "-", "*", "/", "^", "(", ")", "[", "]", ",", "=")
_CONSTANTS = {"e": sympy.E, "E": sympy.E, "pi": sympy.pi}

_QUOTE = ("quotes/strings are not allowed (a quote is only allowed as a prime right after "
          "a name, as in y'_i)", True)
_BRACE = ("braces are LaTeX; use syntax='latex'", False)
# Characters that start no token -> (message, unsafe).
_BAD_CHARS = {
    "_": ("names may not start with '_' (no dunders such as __import__)", True),
    "'": _QUOTE,
    '"': _QUOTE,
    ".": ("'.' is only allowed inside numbers (no attribute access)", True),
    "\\": ("backslash in SymPy syntax; use syntax='latex' for LaTeX", False),
    "{": _BRACE,
    "}": _BRACE,
}


def tokenize(src: Source) -> list[Token]:
    """Split SymPy-syntax text into tokens; refuse quotes, dots, dunders, odd chars."""
    return scan(src, _read_token, _BAD_CHARS)


def _read_token(src: Source, i: int, tokens: list[Token]) -> int | None:
    """Append the token starting at ``text[i]``; return the next index (None: no token)."""
    text = src.text
    m = _NUMBER.match(text, i)
    if m:
        tokens.append(Token("num", m.group(0), i))
        return m.end()
    m = _NAME.match(text, i)
    if m:
        base, p1, subs, p2 = m.groups()
        if m.end() < len(text) and text[m.end()] == "_":
            raise src.error(m.end(), "double or trailing underscore in a name", unsafe=True)
        if base in PYTHON_KEYWORDS and not (p1 or subs or p2):
            raise src.error(i, f"Python keyword {base!r} is not allowed", unsafe=True)
        tokens.append(Token("name", base + p1 + p2 + subs, i))
        return m.end()
    op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
    if op is None:
        return None
    kind = "=" if op in ("=", "==", ":=") else ("**" if op == "^" else op)
    tokens.append(Token(kind, op, i))
    return i + len(op)


class DescentParser:
    """What both recursive-descent parsers share: the cursor over the tokens, the nesting
    counters, and the grammar of sums and of signs. Subclasses define ``term()``."""

    def __init__(self, src: Source, tokens: list[Token]):
        self.src, self.tokens, self.i = src, tokens, 0
        self.nest = Nesting(src)

    @property
    def tok(self) -> Token:
        """The token at the cursor."""
        return self.tokens[self.i]

    def take(self) -> Token:
        """Return the token at the cursor and move past it."""
        t = self.tokens[self.i]
        self.i += 1
        return t

    def found(self, t: Token | None = None) -> str:
        """How to name token ``t`` (default: the one at the cursor) in an error message."""
        t = t or self.tok
        if t.kind == "end":
            return "end of input"
        return repr("\\" + t.text if t.kind == "cmd" else t.text)

    def expr(self) -> sympy.Expr:
        """expr := term (('+' | '-') term)*"""
        terms = [self.term()]
        while self.tok.kind in ("+", "-"):
            sign = self.take().kind
            t = self.term()
            terms.append(domain.neg(t) if sign == "-" else t)
        return domain.add(terms)

    def missing_operand(self, t: Token) -> ParseError:
        """The error for token ``t`` standing where an operand should start."""
        if t.kind == "end":
            return self.src.error(t.pos, "unexpected end of input (an operand is missing)")
        return self.src.error(t.pos, f"unexpected {self.found(t)} (an operand is missing)")

    def negated(self) -> bool:
        """Skip leading signs ('+' | '-')*; True when an odd number of '-' (negate)."""
        negative = False
        while self.tok.kind in ("+", "-"):
            negative ^= self.take().kind == "-"
        return negative

    def signed(self, operand) -> sympy.Expr:
        """('+' | '-')* operand, with ``operand`` the parser method for the operand."""
        negative = self.negated()
        value = operand()
        return domain.neg(value) if negative else value


class SympyParser(DescentParser):
    """Recursive-descent parser over the tokens of :func:`tokenize`
    (``expr`` and the sign rule come from :class:`DescentParser`)."""

    # --- helpers ---------------------------------------------------------------------
    def expect(self, kind: str) -> Token:
        if self.tok.kind != kind:
            raise self.src.error(self.tok.pos, f"expected {kind!r}, found {self.found()}")
        return self.take()

    # --- grammar ---------------------------------------------------------------------
    def parse_all(self) -> sympy.Expr:
        expr = self.expr()
        if self.tok.kind == "=":
            raise self.src.error(self.tok.pos, "'=' found: this is an equation; "
                                 "use parse_equation for 'lhs = rhs'")
        if self.tok.kind != "end":
            self._trailing()
        return expr

    def _trailing(self):
        t = self.tok
        if t.kind in ("num", "name", "(", "["):
            raise self.src.error(
                t.pos,
                f"missing operator before {t.text!r} (implicit multiplication is not "
                "allowed in SymPy syntax; write '*', or use syntax='latex')",
            )
        raise self.src.error(t.pos, f"unexpected {t.text!r}")

    def term(self) -> sympy.Expr:
        factors = [self.unary()]
        while self.tok.kind in ("*", "/"):
            op = self.take()
            f = self.unary()
            factors.append(power(self.src, op.pos, f, sympy.S.NegativeOne) if op.kind == "/"
                           else f)
        return domain.mul(factors)

    def unary(self) -> sympy.Expr:
        return self.signed(self.power)

    def power(self) -> sympy.Expr:
        # a ** b ** c is a ** (b ** c): collect the chain, fold from the right.
        depth0 = self.nest.depth
        operands = [(None, False, self.primary())]
        while self.tok.kind == "**":
            pos = self.take().pos
            self.nest.enter(pos)
            negative = self.negated()
            operands.append((pos, negative, self.primary()))
        self.nest.depth = depth0
        pos, negative, value = operands.pop()
        value = domain.neg(value) if negative else value
        while operands:
            prev_pos, prev_negative, base = operands.pop()
            value = power(self.src, pos, base, value)
            value = domain.neg(value) if prev_negative else value
            pos = prev_pos
        return value

    def primary(self) -> sympy.Expr:
        t = self.tok
        if t.kind == "num":
            return number(self.src, self.take())
        if t.kind == "name":
            self.take()
            if self.tok.kind == "(":
                return self.call(t)
            return self.name(t)
        if t.kind in ("(", "["):
            self.take()
            self.nest.enter(t.pos)
            inner = self.expr()
            self.expect(")" if t.kind == "(" else "]")
            self.nest.leave()
            return inner
        raise self.missing_operand(t)

    def name(self, t: Token) -> sympy.Expr:
        if t.text in _CONSTANTS:
            return _CONSTANTS[t.text]
        if t.text in FUNCTIONS:
            raise self.src.error(t.pos, f"function {t.text!r} needs parentheses: {t.text}(...)")
        return symbol(t.text, self.src, t.pos)

    def call(self, t: Token) -> sympy.Expr:
        if t.text not in FUNCTIONS:  # refuse before reading the arguments
            call(self.src, t.pos, t.text, [])
        open_ = self.take()
        self.nest.enter(open_.pos, call=True)
        args = [self.expr()]
        while self.tok.kind == ",":
            self.take()
            args.append(self.expr())
        self.expect(")")
        self.nest.leave(call=True)
        return call(self.src, t.pos, t.text, args)


def parse_sympy(src: Source, tokens: list[Token]) -> sympy.Expr:
    """Parse a whole token list (ending in an ``end`` token) as one expression."""
    return SympyParser(src, tokens).parse_all()

