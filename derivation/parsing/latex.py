r"""The LaTeX grammar: math text -> the AST of :mod:`derivation.parsing.ast`, deciding no reading.

Grammar (commands are in :mod:`derivation.parsing.latex_commands`, names in
:mod:`derivation.parsing.latex_names`)::

    text      := table                               (rows at \\, cells at &: Rows "lines")
    cell      := statement | (empty)
    statement := relation ('\quad' relation)*        (several: Seq with sep "quad")
    relation  := [side] (REL side)*                  (a leading REL: items[0] is None)
    side      := expr (',' expr)*                    (several: Seq with sep ",")
    expr      := signed_term (('+' | '-') signed_term)*
    term      := factor (('*' | '\cdot' | '\times') signed_factor | '/' signed_factor | factor)*
    factor    := name | primary ['^' script]
    name      := (letter | greek | \text{J} | accent{letter})
                 ('_' sub | "'" | '^\prime' | '^' script)*
    primary   := NUMBER | '{' expr '}' | '(' ... ')' | '[' ... ']' | '\{' ... '\}' | '|' expr '|'
               | '\dots' | command | \begin{env} ... \end{env}

Implicit multiplication has the precedence of ``\cdot``, left to right, except right after a
denominator written with ``/``: ``a/b c`` is refused (style guides read a/(bc), others (a/b)c;
``a/b \cdot c`` is (a/b)·c, ``2x/y`` is (2x)/y).
An unbraced superscript or subscript is one token (``x^2``; ``x^23`` is refused: TeX shows x²3;
``w_ij``/``w_12`` take the run of letters/digits, as the project has always named them).
"""

from __future__ import annotations

from derivation.errors import UnsafeExpressionError
from derivation.parsing import ast as A
from derivation.parsing.common import MAX_DEPTH, Source, check_size, recursion_room
from derivation.parsing.latex_commands import CommandsMixin
from derivation.parsing.latex_tokens import GREEK, Tok, tokenize

__all__ = ["read_latex", "TYPOGRAPHY"]

# Typographic characters users paste, mapped one-to-one (positions stay valid).
TYPOGRAPHY = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00b7": "*", "\u22c5": "*",
                            "\u00d7": "*", "\u2032": "'"})
_CELL_END = frozenset({"amp", "newline", "end", "endenv", "close", "rbrace", "quad"})
_FACTOR_START = frozenset({"num", "letter", "cmd", "lbrace", "open", "wrap", "dots", "symbol",
                           "begin"})
_CLOSERS = {"(": ")", "[": "]", "\\{": "\\}", "|": "|"}


def read_latex(text: str) -> A.Node:
    r"""Read LaTeX math into the AST, as written (no reading decided).

    Parameters
    ----------
    text : str
        The contents of ``$...$``/``$$...$$`` (at most 2000 characters), e.g.
        ``r"J(y) = - \sum_i y'_i \ln(y_i)"`` or a whole ``\begin{aligned} ... \end{aligned}``.

    Returns
    -------
    Node
        One node of :mod:`derivation.parsing.ast`; several ``\\``-separated rows at the top
        level give ``Rows(env="lines")``, several ``\quad``-separated statements a
        ``Seq(sep="quad")``. Every node's ``start``/``end`` index ``text``.

    Raises
    ------
    ParseError
        A construct it cannot read; the message names it and shows its position.
    UnsafeExpressionError
        Over-long input or nesting deeper than ``MAX_DEPTH``.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected the formula as a str, got {type(text).__name__}: {text!r:.80}")
    check_size(text)
    src = Source(text.translate(TYPOGRAPHY))
    if not text.strip():
        raise src.error(None, "empty input: enter an expression")
    reader = Reader(src, tokenize(src))
    try:
        with recursion_room():
            return reader.document()
    except RecursionError:  # bounded by MAX_DEPTH; a last line of defence
        raise UnsafeExpressionError("expression is nested too deeply") from None


class Reader(CommandsMixin):
    """Recursive descent over the tokens of :func:`derivation.parsing.latex_tokens.tokenize`."""

    def __init__(self, src: Source, tokens: list[Tok]):
        self.src, self.toks, self.i = src, tokens, 0
        self.depth = 0
        self.bars = 0  # how many |...| opened by a plain bar are open

    # --- cursor ----------------------------------------------------------------------
    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    @property
    def last_end(self) -> int:
        return self.toks[self.i - 1].end if self.i else 0

    def err(self, t: Tok | int, message: str):
        return self.src.error(t if isinstance(t, int) else t.pos, message)

    def found(self, t: Tok | None = None) -> str:
        t = t or self.tok
        if t.kind == "end":
            return "end of input"
        if t.kind in ("begin", "endenv"):
            return f"\\{t.text}{{{t.arg}}}"
        return repr("\\" + t.text if t.kind in ("cmd", "wrap") else t.text)

    def enter(self, t: Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.src.error(t.pos, f"expression is nested more than {MAX_DEPTH} deep",
                                 unsafe=True)

    def leave(self) -> None:
        self.depth -= 1

    def expect(self, kind: str, what: str, opened: Tok | None = None) -> Tok:
        if self.tok.kind != kind:
            where = f" to close the one at position {opened.pos}" if opened else ""
            raise self.err(self.tok, f"expected {what}{where}, found {self.found()}")
        return self.take()

    # --- tables, statements, relations -------------------------------------------------
    def document(self) -> A.Node:
        rows, spans = self.table()
        if self.tok.kind != "end":
            t = self.tok
            if t.kind in ("close", "rbrace") or (t.kind == "bar"):
                raise self.err(t, f"unmatched {self.found()}")
            raise self.err(t, f"unexpected {self.found()}")
        if len(rows) == 1 and len(rows[0]) == 1:
            if rows[0][0] is None:
                raise self.err(0, "empty formula")
            return rows[0][0]
        return A.Rows(rows=rows, row_spans=spans, env="lines", start=0, end=len(self.src.text))

    def table(self) -> tuple[tuple, tuple]:
        """Rows separated by ``\\``, cells by ``&``, up to an ``\\end`` or the end."""
        rows, spans = [], []
        while True:
            first = self.tok.pos
            cells = [self.statement()]
            while self.tok.kind == "amp":
                self.take()
                cells.append(self.statement())
            rows.append(tuple(cells))
            spans.append((first, max(first, self.last_end)))
            if self.tok.kind != "newline":
                break
            self.take()
            if self.tok.kind in ("endenv", "end"):  # a trailing \\ ends no row
                break
        return tuple(rows), tuple(spans)

    def statement(self) -> A.Node | None:
        start, parts = self.tok.pos, []
        while True:
            while self.tok.kind == "quad":
                self.take()
            if self.tok.kind in _CELL_END:
                break
            parts.append(self.relation())
            if self.tok.kind != "quad":
                break
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return A.Seq(items=tuple(parts), sep="quad", start=start, end=parts[-1].end)

    def relation(self) -> A.Node:
        start = self.tok.pos
        items, ops = [None if self.tok.kind == "rel" else self.side()], []
        while self.tok.kind == "rel":
            op = self.take()
            if self.tok.kind in _CELL_END or self.tok.kind == "rel":
                raise self.err(op, f"missing right-hand side after {op.text!r}")
            ops.append(op.text)
            items.append(self.side())
        if not ops:
            return items[0]
        return A.Relation(items=tuple(items), ops=tuple(ops), start=start, end=self.last_end)

    def side(self) -> A.Node:
        start, items = self.tok.pos, [self.expr()]
        while self.tok.kind == ",":
            comma = self.take()
            if self.tok.kind in _CELL_END or self.tok.kind in ("rel", ","):
                raise self.err(comma, "missing item after ','")
            items.append(self.expr())
        if len(items) == 1:
            return items[0]
        return A.Seq(items=tuple(items), sep=",", start=start, end=self.last_end)

    # --- sums and products -------------------------------------------------------------
    def expr(self) -> A.Node:
        start, terms = self.tok.pos, [self.signed_term()]
        while self.tok.kind in ("+", "-"):
            op = self.take()
            term = self.signed_term()
            terms.append(A.Neg(arg=term, start=op.pos, end=self.last_end) if op.kind == "-"
                         else term)
        if len(terms) == 1:
            return terms[0]
        return A.Add(terms=tuple(terms), start=start, end=self.last_end)

    def signed_term(self) -> A.Node:
        return self.signed(self.term)

    def signed_factor(self) -> A.Node:
        return self.signed(self.factor)

    def signed(self, operand) -> A.Node:
        t = self.tok
        if t.kind == "+":
            self.take()
            return self.signed(operand)
        if t.kind == "-":
            self.take()
            self.enter(t)
            arg = self.signed(operand)
            self.leave()
            return A.Neg(arg=arg, start=t.pos, end=self.last_end)
        return operand()

    def term(self) -> A.Node:
        start = self.tok.pos
        factors, explicit = [self.factor()], [False]
        while True:
            kind = self.tok.kind
            if kind == "*":
                self.take()
                factors.append(self.signed_factor())
                explicit.append(True)
            elif kind == "/":
                self.take()
                den = self.signed_factor()
                if self.starts_factor():  # a / b c: (a/b) c or a/(b c)? conventions disagree
                    text = self.src.text[start:self.tok.end]
                    raise self.err(self.tok, f"{text!r} is ambiguous after a '/': is the "
                                             f"product after '/' all in the denominator? write "
                                             f"\\frac{{..}}{{..}}, or brackets")
                num = self.product(factors, explicit, start)
                factors, explicit = [A.Div(num=num, den=den, slash=True, start=start,
                                           end=self.last_end)], [False]
            elif self.starts_factor():
                factors.append(self.factor())
                explicit.append(False)
            else:
                return self.product(factors, explicit, start)

    def product(self, factors, explicit, start) -> A.Node:
        if len(factors) == 1:
            return factors[0]
        return A.Mul(factors=tuple(factors), explicit=tuple(explicit), start=start,
                     end=self.last_end)

    def starts_factor(self) -> bool:
        t = self.tok
        return t.kind in _FACTOR_START or (t.kind == "bar" and self.bars == 0)

    # --- factors -------------------------------------------------------------------------
    def factor(self) -> A.Node:
        t = self.tok
        self.enter(t)
        if t.kind == "letter" or (t.kind == "cmd" and t.text in GREEK):
            self.take()
            node = self.decorated(t.text, t.pos)
        else:
            node = self.postfix(self.primary())
        self.leave()
        return node

    def postfix(self, node: A.Node) -> A.Node:
        r"""``^ script`` after a primary (and ``_ sub`` after a bracket: ``\sigma(z)_i``); a
        second superscript or another subscript is refused."""
        if isinstance(node, A.Group) and node.delim != "{" and self.tok.kind == "_":
            self.take()
            sub, _ = self.subscript()
            node = A.Group(body=node.body, delim=node.delim, sub=sub, start=node.start,
                           end=self.last_end)
        if self.tok.kind == "^":
            op = self.take()
            exp = self.script(op)
            node = A.Pow(base=node, exp=exp, start=node.start, end=self.last_end)
        t = self.tok
        if t.kind == "^":
            raise self.err(t, "double superscript: use braces, e.g. {x^{2}}^{3}")
        if t.kind in ("_", "prime"):
            raise self.err(t, f"a subscript or prime here is not on a name (after "
                              f"{self.src.text[node.start:node.end]!r})")
        return node

    def braced(self, t: Tok, what: str, content=None) -> A.Node:
        """``{ content }`` (default content: an expression) for ``what``."""
        self.take()
        if self.tok.kind == "rbrace":
            raise self.err(t, f"empty braces {{}} as a {what}")
        node = (content or self.expr)()
        self.expect("rbrace", f"'}}' closing the {what}", t)
        return node

    # --- primaries -----------------------------------------------------------------------
    def primary(self) -> A.Node:
        t = self.tok
        if t.kind == "num":
            self.take()
            return A.Number(text=t.text, start=t.pos, end=t.end)
        if t.kind == "lbrace":
            body = self.braced(t, "group", self.statement_or_fail)
            return A.Group(body=body, delim="{", start=t.pos, end=self.last_end)
        if t.kind == "open" or (t.kind == "bar" and self.bars == 0):
            return self.delimited()
        if t.kind == "dots":
            self.take()
            return A.Dots(kind=t.text, start=t.pos, end=t.end)
        if t.kind == "symbol":
            self.take()
            return A.Text(text=t.text, start=t.pos, end=t.end)
        if t.kind == "cmd":
            return self.command()
        if t.kind == "wrap":
            return self.wrapped()
        if t.kind == "begin":
            return self.environment()
        if t.kind in ("close", "rbrace", "bar", "endenv"):
            raise self.err(t, f"unmatched {self.found()}")
        if t.kind == "end":
            raise self.err(t, "unexpected end of input (an operand is missing)")
        if t.kind == "amp":
            raise self.err(t, "'&' (alignment) outside a row of an environment or display")
        raise self.err(t, f"unexpected {self.found()} (an operand is missing)")

    def statement_or_fail(self) -> A.Node:
        node = self.statement()
        if node is None:
            raise self.err(self.tok, f"empty group before {self.found()}")
        return node

    def delimited(self) -> A.Node:
        """``( ... )``, ``[ ... ]``, ``\\{ ... \\}``, ``\\left. ... \\right|``, or ``|x|``."""
        t = self.take()
        plain_bar = t.kind == "bar"
        self.bars += plain_bar
        if self.tok.kind in _CELL_END and self.tok.kind != "quad":
            if not (self.tok.kind == "close" and t.text == "."):
                raise self.err(t, f"empty brackets {t.text}{self.found()}")
        body = self.statement_or_fail()
        c = self.tok
        want = _CLOSERS.get(t.text)
        ok = c.kind == "close" and (c.text == want or "." in (c.text, t.text)) or (
            want == "|" and c.kind == "bar")
        if not ok:
            raise self.err(c, f"expected {want or 'a closing delimiter'!r} to close the "
                              f"{t.text!r} at position {t.pos}, found {self.found()}")
        self.take()
        self.bars -= plain_bar
        if want == "|":
            return A.Abs(arg=body, start=t.pos, end=c.end)
        delim = t.text if t.text != "." else {")": "(", "]": "[", "\\}": "\\{"}.get(c.text, ".")
        return A.Group(body=body, delim=delim, start=t.pos, end=c.end)
