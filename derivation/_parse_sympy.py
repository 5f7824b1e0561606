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

from derivation._parse_common import (
    FUNCTIONS,
    Nesting,
    PYTHON_KEYWORDS,
    Source,
    Token,
    call,
    decimal,
    power,
    symbol,
)

_NUMBER = re.compile(r"(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?|\.(\d+)(?:[eE]([+-]?\d+))?")
_NAME = re.compile(r"([A-Za-z][A-Za-z0-9]*)('*)((?:_[A-Za-z0-9]+)*)('*)")
_OPERATORS = ("**", "==", ":=", "+", "-", "*", "/", "^", "(", ")", "[", "]", ",", "=")
_CONSTANTS = {"e": sympy.E, "E": sympy.E, "pi": sympy.pi}


def tokenize(src: Source) -> list[Token]:
    """Split SymPy-syntax text into tokens; refuse quotes, dots, dunders, odd chars."""
    text, tokens, i = src.text, [], 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
            continue
        m = _NUMBER.match(text, i)
        if m:
            tokens.append(Token("num", m.group(0), i))
            i = m.end()
            continue
        m = _NAME.match(text, i)
        if m:
            base, p1, subs, p2 = m.groups()
            if m.end() < len(text) and text[m.end()] == "_":
                raise src.error(m.end(), "double or trailing underscore in a name", unsafe=True)
            if base in PYTHON_KEYWORDS and not (p1 or subs or p2):
                raise src.error(i, f"Python keyword {base!r} is not allowed", unsafe=True)
            tokens.append(Token("name", base + p1 + p2 + subs, i))
            i = m.end()
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is not None:
            kind = "=" if op in ("=", "==", ":=") else ("**" if op == "^" else op)
            tokens.append(Token(kind, op, i))
            i += len(op)
            continue
        raise _bad_char(src, i)
    tokens.append(Token("end", "", len(text)))
    return tokens


def _bad_char(src: Source, i: int):
    c = src.text[i]
    if c == "_":
        return src.error(i, "names may not start with '_' (no dunders such as __import__)",
                         unsafe=True)
    if c in "'\"":
        return src.error(i, "quotes/strings are not allowed (a quote is only allowed as a "
                            "prime right after a name, as in y'_i)", unsafe=True)
    if c == ".":
        return src.error(i, "'.' is only allowed inside numbers (no attribute access)",
                         unsafe=True)
    if c == "\\":
        return src.error(i, "backslash in SymPy syntax; use syntax='latex' for LaTeX")
    if c in "{}":
        return src.error(i, "braces are LaTeX; use syntax='latex'")
    return src.error(i, f"unexpected character {c!r}")


class SympyParser:
    """Recursive-descent parser over the tokens of :func:`tokenize`."""

    def __init__(self, src: Source, tokens: list[Token]):
        self.src, self.tokens, self.i = src, tokens, 0
        self.nest = Nesting(src)

    # --- helpers ---------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def expect(self, kind: str) -> Token:
        if self.tok.kind != kind:
            raise self.src.error(self.tok.pos, f"expected {kind!r}, found {self._found()}")
        return self.take()

    def _found(self) -> str:
        return "end of input" if self.tok.kind == "end" else repr(self.tok.text)

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

    def expr(self) -> sympy.Expr:
        terms = [self.term()]
        while self.tok.kind in ("+", "-"):
            sign = self.take().kind
            t = self.term()
            terms.append(-t if sign == "-" else t)
        return sympy.Add(*terms)

    def term(self) -> sympy.Expr:
        factors = [self.unary()]
        while self.tok.kind in ("*", "/"):
            op = self.take()
            f = self.unary()
            factors.append(power(self.src, op.pos, f, sympy.S.NegativeOne) if op.kind == "/"
                           else f)
        return sympy.Mul(*factors)

    def unary(self) -> sympy.Expr:
        negative = False
        while self.tok.kind in ("+", "-"):
            negative ^= self.take().kind == "-"
        value = self.power()
        return -value if negative else value

    def power(self) -> sympy.Expr:
        # a ** b ** c is a ** (b ** c): collect the chain, fold from the right.
        depth0 = self.nest.depth
        operands = [(None, False, self.primary())]
        while self.tok.kind == "**":
            pos = self.take().pos
            self.nest.enter(pos)
            negative = False
            while self.tok.kind in ("+", "-"):
                negative ^= self.take().kind == "-"
            operands.append((pos, negative, self.primary()))
        self.nest.depth = depth0
        pos, negative, value = operands.pop()
        value = -value if negative else value
        while operands:
            prev_pos, prev_negative, base = operands.pop()
            value = power(self.src, pos, base, value)
            value = -value if prev_negative else value
            pos = prev_pos
        return value

    def primary(self) -> sympy.Expr:
        t = self.tok
        if t.kind == "num":
            self.take()
            return _number(self.src, t)
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
        if t.kind == "end":
            raise self.src.error(t.pos, "unexpected end of input (an operand is missing)")
        raise self.src.error(t.pos, f"unexpected {t.text!r} (an operand is missing)")

    def name(self, t: Token) -> sympy.Expr:
        if t.text in _CONSTANTS:
            return _CONSTANTS[t.text]
        if t.text in FUNCTIONS:
            raise self.src.error(t.pos, f"function {t.text!r} needs parentheses: {t.text}(...)")
        return symbol(t.text)

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


def _number(src: Source, t: Token) -> sympy.Rational:
    m = _NUMBER.fullmatch(t.text)
    if m.group(4) is not None:  # .5e3
        whole, frac, exp10 = "", m.group(4), m.group(5)
    else:
        whole, frac, exp10 = m.group(1), m.group(2) or "", m.group(3)
    exp_text = exp10 or "0"
    if len(exp_text.lstrip("+-")) > 6:
        return decimal(src, t.pos, whole, frac, 10**7)  # refused as too large
    return decimal(src, t.pos, whole, frac, int(exp_text))


def parse_sympy(src: Source, tokens: list[Token]) -> sympy.Expr:
    """Parse a whole token list (ending in an ``end`` token) as one expression."""
    return SympyParser(src, tokens).parse_all()

