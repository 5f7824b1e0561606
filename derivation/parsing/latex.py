"""Tokenizer and recursive-descent parser for the LaTeX math subset users type.

Grammar (implicit multiplication has the same precedence as ``\\cdot``, left to right,
so ``a/b c`` is ``(a/b) c``)::

    equation := expr ('=' | '==' | ':=') expr
    expr     := term (('+' | '-') term)*
    term     := signed (('*' | '\\cdot' | '\\times' | '/' | '\\div') signed | factor)*
    signed   := ('+' | '-')* factor
    factor   := primary ['^' script]
    primary  := NUMBER | symbol | '(' expr ')' | '[' expr ']' | '{' expr '}' | '\\{' expr '\\}'
              | '|' expr '|' | '\\frac' arg arg | '\\sqrt' ['[' expr ']'] arg
              | function ['_' script] ['^' script] (group | factor)
    symbol   := (letter | '\\alpha' ... | '\\mathrm{' name '}') ('_' sub | "'" | '^\\prime'
                | '^' script)*
    script   := '{' expr '}' | digits | letter | greek | ('+'|'-') script

``\\left`` / ``\\right`` / ``\\big...`` size modifiers are dropped. Symbols are named by
:func:`derivation.parsing.common.symbol_name`: ``w_{i,j}`` -> "w_ij", ``y^{\\prime}_i`` ->
"y'_i". Unbraced subscripts take a run: ``w_ij`` -> "w_ij", ``w_12`` -> "w_12", but
``x_1x_2`` -> x_1*x_2. ``e`` alone is Euler's number, so ``e^{x}`` is exp(x).
"""

from __future__ import annotations

import sympy

from derivation.parsing.common import (
    FUNCTIONS,
    DescentParser,
    Source,
    Token,
    call,
    number,
    power,
    subscript_name,
    symbol,
    symbol_name,
)
from derivation.parsing.latex_tokens import GREEK

# SymPy's own spelling (lambda is a Python keyword): \lambda -> Symbol("lamda").
_GREEK_NAME = {"lambda": "lamda", "Lambda": "Lamda"}
_NAME_WRAPPERS = frozenset("mathrm operatorname text textrm mathit mathsf".split())
_FRACS = frozenset({"frac", "dfrac", "tfrac"})
_REFUSED = {
    "sum": "\\sum is not supported: write the sum out term by term (e.g. y'_1 + y'_2 + y'_3)",
    "prod": "\\prod is not supported: write the product out",
    "int": "integrals are not supported",
    "partial": "derivatives (\\partial) are not supported: enter the derivative's value",
    "nabla": "\\nabla is not supported",
    "lim": "limits are not supported",
    "infty": "infinity is not supported",
    "begin": "LaTeX environments (matrices, aligned, ...) are not supported",
    "end": "LaTeX environments (matrices, aligned, ...) are not supported",
}
for _dots in ("dots", "cdots", "ldots", "vdots", "ddots"):
    _REFUSED[_dots] = "an ellipsis cannot be parsed: write every term explicitly"
SUPPORTED_COMMANDS = (
    "\\frac, \\dfrac, \\sqrt, \\left, \\right, \\cdot, \\times, \\div, \\prime, "
    "\\mathrm, \\operatorname, \\text, \\lvert, \\rvert, \\pi, greek letters (\\alpha ... "
    "\\omega), and the functions "
    + ", ".join("\\" + f for f in sorted(FUNCTIONS) if f not in ("abs", "Abs"))
)

_OPEN = {"(": ")", "[": "]", "\\{": "\\}"}  # opening delimiter -> its closer


class LatexParser(DescentParser):
    """Recursive-descent parser over the tokens of :func:`derivation.parsing.latex_tokens.tokenize`
    (``expr`` and the sign rule come from :class:`DescentParser`)."""

    def __init__(self, src: Source, tokens: list[Token]):
        super().__init__(src, tokens)
        self.bars = 0  # how many |...| groups opened by a plain bar are open

    # --- helpers ---------------------------------------------------------------------
    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def err(self, t: Token, message: str):
        return self.src.error(t.pos, message)

    # --- grammar ---------------------------------------------------------------------
    def parse_all(self) -> sympy.Expr:
        expr = self.expr()
        t = self.tok
        if t.kind == "=":
            raise self.err(t, "'=' found: this is an equation; use parse_equation")
        if t.kind != "end":
            raise self.err(t, f"unexpected {self.found()}")
        return expr

    def term(self) -> sympy.Expr:
        factors = [self.signed(self.factor)]
        while True:
            kind = self.tok.kind
            if kind == "*":
                self.take()
                factors.append(self.signed(self.factor))
            elif kind == "/":
                op = self.take()
                factors.append(power(self.src, op.pos, self.signed(self.factor),
                                     sympy.S.NegativeOne))
            elif self.starts_factor():
                factors.append(self.factor())
            else:
                return sympy.Mul(*factors)

    def starts_factor(self) -> bool:
        t = self.tok
        if t.kind in ("num", "letter", "cmd", "lbrace"):
            return True
        if t.kind == "open":
            return True
        return t.kind == "bar" and self.bars == 0

    def factor(self) -> sympy.Expr:
        t = self.tok
        if t.kind == "letter" or (t.kind == "cmd" and t.text in GREEK):
            self.take()
            value = self.symbol(t, t.text)
        else:
            value = self.primary()
            if self.tok.kind == "^":
                op = self.take()
                value = power(self.src, op.pos, value, self.script())
        t = self.tok
        if t.kind == "^":
            raise self.err(t, "double superscript: use braces, e.g. {x^{2}}^{3}")
        if t.kind in ("_", "prime"):
            raise self.err(t, "subscript/prime is only allowed on a symbol")
        return value

    def symbol(self, t: Token, base: str) -> sympy.Expr:
        """A symbol with its subscript, primes and at most one superscript."""
        sub, primes, sup, sup_pos = None, 0, None, None
        while True:
            k = self.tok.kind
            if k == "_":
                if sub is not None:
                    raise self.err(self.tok, "double subscript (write x_{j} y_{i} for a "
                                             "product of subscripted symbols)")
                self.take()
                sub = self.subscript()
            elif k == "prime":
                self.take()
                primes += 1
            elif k == "^" and self.prime_superscript():
                primes += self.take_prime_superscript()
            elif k == "^":
                if sup is not None:
                    raise self.err(self.tok, "double superscript: use braces")
                sup_pos = self.take().pos
                sup = self.script()
            else:
                break
        base = _GREEK_NAME.get(base, base)
        if primes == 0 and not sub and base in ("e", "pi"):
            value = sympy.E if base == "e" else sympy.pi
        else:
            value = symbol(symbol_name(base, primes, sub or ""), self.src, t.pos)
        return value if sup is None else power(self.src, sup_pos, value, sup)

    def prime_superscript(self) -> bool:
        """Is the ``^`` at the cursor ``^\\prime``, ``^'`` or ``^{\\prime...}``?"""
        nxt = self.peek()
        if nxt.kind == "prime":
            return True
        if nxt.kind != "lbrace" or self.peek(2).kind != "prime":
            return False
        k = 2
        while self.peek(k).kind == "prime":
            k += 1
        return self.peek(k).kind == "rbrace"

    def take_prime_superscript(self) -> int:
        self.take()  # ^
        if self.tok.kind == "prime":
            self.take()
            return 1
        self.take()  # {
        n = 0
        while self.tok.kind == "prime":
            self.take()
            n += 1
        self.take()  # }
        return n

    def subscript(self) -> str:
        """Text of a symbol's subscript: ``_{i,j}`` -> "ij", ``_{1,12}`` -> "1,12",
        ``_ij`` -> "ij", ``_12`` -> "12", ``_\\alpha`` -> "alpha"."""
        t = self.tok
        if t.kind == "lbrace":
            self.take()
            parts, current = [], ""
            while self.tok.kind != "rbrace":
                u = self.take()
                if u.kind in ("letter", "num") or (u.kind == "cmd" and u.text in GREEK):
                    current += u.text
                elif u.kind == ",":
                    parts.append(current)
                    current = ""
                elif u.kind == "end":
                    raise self.err(t, "unclosed '{' in subscript")
                else:
                    raise self.err(u, f"subscripts may contain letters, digits and commas "
                                      f"only, found {self.found(u)}")
            self.take()
            name = subscript_name(parts + [current])
            if not name:
                raise self.err(t, "empty subscript")
            return name
        if t.kind == "num":
            self.take()
            if not t.text.isdigit():
                raise self.err(t, f"subscript {t.text!r} is not an index")
            return t.text
        if t.kind == "cmd" and t.text in GREEK:
            self.take()
            return _GREEK_NAME.get(t.text, t.text)
        if t.kind == "letter":
            # a run of adjacent letters/digits: w_ij -> "ij", w_i1 -> "i1"
            self.take()
            name, end = t.text, t.pos + 1
            while self.tok.kind in ("letter", "num") and self.tok.pos == end:
                if not self.tok.text.isalnum():
                    break
                name += self.tok.text
                end += len(self.take().text)
            return name
        raise self.err(t, f"missing subscript after '_', found {self.found()}")

    def script(self) -> sympy.Expr:
        """The argument of ``^`` (or of an unbraced ``\\frac``/``\\sqrt``)."""
        t = self.tok
        if t.kind == "lbrace":
            return self.brace_group()
        if t.kind in ("+", "-"):
            self.take()
            value = self.script()
            return -value if t.kind == "-" else value
        if t.kind == "num":
            self.take()
            return number(self.src, t)
        if t.kind == "letter" or (t.kind == "cmd" and t.text in GREEK):
            self.take()  # one letter only: e^x, x^n (no subscripts here)
            if t.text in ("e", "pi"):
                return sympy.E if t.text == "e" else sympy.pi
            return symbol(_GREEK_NAME.get(t.text, t.text), self.src, t.pos)
        raise self.err(t, f"missing superscript/argument, found {self.found()}")

    def brace_group(self) -> sympy.Expr:
        t = self.take()  # {
        self.nest.enter(t.pos)
        value = self.expr()
        if self.tok.kind != "rbrace":
            raise self.err(self.tok, f"expected '}}' to close the '{{' at position {t.pos}, "
                                     f"found {self.found()}")
        self.take()
        self.nest.leave()
        return value

    def delimited(self, args: bool = False) -> list[sympy.Expr]:
        """``( expr )``, ``[ expr ]``, ``\\{ expr \\}``, ``|expr|``; with ``args``,
        comma-separated expressions (for function calls)."""
        t = self.take()
        bar = t.kind == "bar"
        self.nest.enter(t.pos, call=t.text == "|")  # |x| is the call Abs(x)
        self.bars += bar
        values = [self.expr()]
        while args and self.tok.kind == ",":
            self.take()
            values.append(self.expr())
        closer = _OPEN.get(t.text, "|")
        c = self.tok
        if not ((c.kind == "close" and c.text == closer)
                or (closer == "|" and c.kind == "bar")):
            raise self.err(c, f"expected {closer!r} to close the {t.text!r} at position "
                              f"{t.pos}, found {self.found()}")
        self.take()
        self.bars -= bar
        self.nest.leave(call=t.text == "|")
        if closer == "|":
            return [sympy.Abs(v) for v in values]
        return values

    def primary(self) -> sympy.Expr:
        t = self.tok
        if t.kind == "num":
            return number(self.src, self.take())
        if t.kind == "lbrace":
            return self.brace_group()
        if t.kind in ("open", "bar"):  # an operand is expected, so '|' opens
            return self.delimited()[0]
        if t.kind == "cmd":
            return self.command()
        if t.kind in ("close", "rbrace", "bar"):
            raise self.err(t, f"unmatched {self.found()}")
        raise self.missing_operand(t)

    def command(self) -> sympy.Expr:
        t = self.take()
        name = t.text
        if name in _FRACS:
            numerator = self.argument()
            denominator = self.argument()
            return numerator * power(self.src, t.pos, denominator, sympy.S.NegativeOne)
        if name == "sqrt":
            index = sympy.Integer(2)
            if self.tok.kind == "open" and self.tok.text == "[":
                index = self.delimited()[0]
            radicand = self.argument()
            return power(self.src, t.pos, radicand,
                         power(self.src, t.pos, index, sympy.S.NegativeOne))
        if name in FUNCTIONS:
            return self.function(t)
        if name in _NAME_WRAPPERS:
            return self.wrapped_name(t)
        if name in _REFUSED:
            raise self.err(t, _REFUSED[name])
        raise self.err(t, f"unknown LaTeX command \\{name}; supported: {SUPPORTED_COMMANDS}")

    def argument(self) -> sympy.Expr:
        """A ``\\frac``/``\\sqrt`` argument: ``{...}`` or one character (``\\frac12``)."""
        t = self.tok
        if t.kind == "num" and len(t.text) > 1 and t.text.isdigit():  # \frac12 = 1/2
            first = Token("num", t.text[0], t.pos)
            rest = Token("num", t.text[1:], t.pos + 1)
            self.tokens[self.i : self.i + 1] = [first, rest]
        return self.script()

    def function(self, t: Token) -> sympy.Expr:
        """``\\ln x``, ``\\exp(x)``, ``\\log_{2} x``, ``\\sin^2 x``, ``\\log{\\left(x\\right)}``."""
        self.nest.enter(t.pos, call=True)  # \ln \ln \ln ... x nests without brackets
        base = sup = None
        if t.text == "log" and self.tok.kind == "_":
            self.take()
            base = self.script()
        if self.tok.kind == "^":
            self.take()
            sup = self.script()
        nxt = self.tok
        if nxt.kind == "open" or (nxt.kind == "bar" and self.bars == 0):
            args = self.delimited(args=True)
        elif nxt.kind == "lbrace":
            args = [self.brace_group()]
        elif self.starts_factor():
            args = [self.factor()]
        else:
            raise self.err(nxt, f"missing argument of {t.text}, found {self.found()}")
        self.nest.leave(call=True)
        if base is not None:
            args.append(base)
        value = call(self.src, t.pos, t.text, args)
        return value if sup is None else power(self.src, t.pos, value, sup)

    def wrapped_name(self, t: Token) -> sympy.Expr:
        """``\\mathrm{e}``, ``\\operatorname{exp}``, ``\\text{lr}``: a name in braces."""
        if self.tok.kind != "lbrace":
            raise self.err(self.tok, f"\\{t.text} needs a braced name")
        self.take()
        start, name = self.tok, ""
        while self.tok.kind in ("letter", "cmd") and self.tok.text.isalpha():
            name += self.take().text
        if self.tok.kind != "rbrace" or not name:
            raise self.err(self.tok, f"\\{t.text}{{...}} must contain a name (letters only)")
        self.take()
        if name in FUNCTIONS:
            return self.function(Token("cmd", name, start.pos))
        return self.symbol(start, name)


def parse_latex(src: Source, tokens: list[Token]) -> sympy.Expr:
    """Parse a whole token list (ending in an ``end`` token) as one expression."""
    return LatexParser(src, tokens).parse_all()
