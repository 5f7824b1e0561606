r"""The LaTeX grammar's commands: fractions and derivatives, roots, functions, sums, names in
wrappers, accents, boxes and braces, environments (a mixin of :class:`latex.Reader`).

Reading conventions decided here (each as a mathematician reads the *rendered* formula):

- An unbraced function argument runs over the juxtaposed factors that follow, up to ``+``/``-``,
  a relation, an explicit ``\cdot``/``\times``/``/``, another function, ``\sum``, a derivative
  operator, prose, or a bracketed group (or ``|...|``) that follows a complete argument:
  ``\sin 2x`` is sin(2x), ``\ln V (y'_1 + y'_2)`` is (ln V)·(y'_1 + y'_2).
- ``\exp x^2`` is exp(x²). ``\exp{x}^2`` shows the same in TeX but SymPy's printer writes
  (exp x)² so (``\log{\left(x\right)}^{2}``): the conventions disagree, so it is refused. A
  bracketed argument followed by a superscript, ``\log(x)^2`` or ``\log{\left(x\right)}^2``,
  is (log x)².
- ``\sin^{-1} x`` (also cos, tan and the hyperbolic ones) is the inverse function, arcsin x;
  any other negative power of a function (``\sin^{-2} x``, ``\ln^{-1} x``) is refused.
- ``\frac{d}{dx} x^2`` and ``\frac{\partial^2 J}{\partial w_{ij}\partial w_{kl}}`` are
  derivatives, never fractions; the operator form applies to the operand that follows (read
  like a function's unbraced argument, but a bracketed group right after a name is kept with
  it: ``\frac{\partial}{\partial w} J(\omega)`` differentiates J(ω)).
- ``\operatorname{f}`` always declares a function (a Call, whatever f is); ``\text{...}`` and
  ``\mathrm{...}`` holding one word are a name (or a Call for a known function), else prose.
"""

from __future__ import annotations

from derivation.errors import ParseError
from derivation.parsing import ast as A
from derivation.parsing.latex_names import _TEXT, NamesMixin, is_word
from derivation.parsing.latex_tokens import GREEK, Tok

# LaTeX function commands (and names typed without a backslash) read as a Call.
FUNCTION_COMMANDS = frozenset(
    "ln log exp sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan max min "
    "det arg lg sqrt abs Abs sgn".split()
)
# Names that, written as \text{...}/\mathrm{...}, are functions (never a product of letters).
FUNCTION_NAMES = FUNCTION_COMMANDS | frozenset(
    "softmax sigmoid sign asin acos atan asinh acosh atanh erf relu ReLU argmax argmin "
    "tr diag floor ceil round logsumexp".split()
)
_INVERTIBLE = {"sin": "arcsin", "cos": "arccos", "tan": "arctan", "sinh": "asinh",
               "cosh": "acosh", "tanh": "atanh"}
_ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
            "widetilde": "tilde", "vec": "vec", "dot": "dot", "ddot": "ddot"}
_REFUSED = {
    "nabla": "\\nabla (the gradient operator) is not supported: write each partial "
             "derivative \\frac{\\partial J}{\\partial w_{ij}}",
    "int": "integrals are not supported", "oint": "integrals are not supported",
    "lim": "limits are not supported",
    "pm": "\\pm stands for two formulas: write each one", "mp": "\\mp stands for two formulas",
    "partial": "\\partial outside a derivative fraction: write \\frac{\\partial J}{\\partial w}",
}
MATRIX_ENVS = frozenset("matrix bmatrix pmatrix vmatrix Bmatrix Vmatrix smallmatrix".split())
ROW_ENVS = frozenset("aligned align alignat gathered gather split array cases eqnarray "
                     "equation multline".split())
_RUN_STOP_CMDS = FUNCTION_COMMANDS | {"sum", "prod", "partial"}


class CommandsMixin(NamesMixin):
    """Commands of the LaTeX grammar (uses the cursor and rules of ``latex.Reader``)."""

    FUNCTION_NAMES = FUNCTION_NAMES

    def command(self) -> A.Node:
        t = self.take()
        name = t.text
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            return self.postfix(self.fraction(t))
        if name == "sqrt":
            return self.postfix(self.root(t))
        if name in FUNCTION_COMMANDS:
            return self.call(t, name)
        if name in ("sum", "prod"):
            return self.big_operator(t, name)
        if name in _ACCENTS:
            return self.accented(t, _ACCENTS[name])
        if name in ("boxed", "underbrace", "overbrace"):
            return self.annotated(t, name)
        if name == "infty":
            return self.postfix(A.Name(base="infty", start=t.pos, end=t.end))
        if name in _REFUSED:
            raise self.err(t, _REFUSED[name])
        raise self.err(t, f"unknown LaTeX command \\{name}")

    # --- fractions and derivatives ---------------------------------------------------
    def fraction(self, t: Tok) -> A.Node:
        save = (self.i, self.depth, self.bars)
        derivative = self.derivative(t)
        if derivative is not None:
            return derivative
        self.i, self.depth, self.bars = save
        num = self.frac_argument(t, "numerator")
        den = self.frac_argument(t, "denominator")
        return A.Div(num=num, den=den, slash=False, start=t.pos, end=self.last_end)

    def frac_argument(self, t: Tok, what: str) -> A.Node:
        """``{...}`` or one token (``\\frac12`` is 1/2, ``\\frac ab`` is a/b)."""
        u = self.tok
        if u.kind == "lbrace":
            return self.braced(u, f"\\{t.text} {what}")
        if u.kind == "num" and u.text.isdigit():
            self.take()
            if len(u.text) > 1:  # \frac12: the first digit, the rest stays for the next
                rest = Tok("num", u.text[1:], u.pos + 1, u.end)
                self.toks.insert(self.i, rest)
            return A.Number(text=u.text[0], start=u.pos, end=u.pos + 1)
        if u.kind == "letter" or (u.kind == "cmd" and u.text in GREEK):
            self.take()
            return A.Name(base=u.text, start=u.pos, end=u.end)
        raise self.err(u, f"missing {what} of \\{t.text}, found {self.found()}")

    def differential(self) -> str | None:
        """"partial" or "d" if a differential sign is at the cursor (``\\partial``, ``d``,
        ``\\mathrm{d}``), else None."""
        u = self.tok
        if u.kind == "cmd" and u.text == "partial":
            return "partial"
        if (u.kind == "letter" and u.text == "d") or (u.kind == "wrap" and u.text == "mathrm"
                                                      and u.arg.strip() == "d"):
            return "d"
        return None

    def derivative(self, t: Tok) -> A.Node | None:
        """``\\frac{\\partial^n f}{\\partial x ...}`` / ``\\frac{d f}{d x}``, else None
        (the cursor may have moved: the caller restores it)."""
        if self.tok.kind != "lbrace":
            return None
        self.take()
        kind = self.differential()
        if kind is None:
            return None
        try:
            return self._derivative(t, kind)
        except ParseError:
            if kind == "partial":
                raise
            return None  # d/dx that is not a derivative: read as a fraction

    def _derivative(self, t: Tok, kind: str) -> A.Node | None:
        sign = self.take()
        order = self.order() if self.tok.kind == "^" else 1
        of = None if self.tok.kind == "rbrace" else self.expr()
        if self.tok.kind != "rbrace":
            if kind == "d":
                return None
            raise self.err(self.tok, f"expected '}}' closing the derivative's numerator, "
                                     f"found {self.found()}")
        self.take()
        if self.tok.kind != "lbrace":
            if kind == "d":
                return None
            raise self.err(self.tok, "a derivative's denominator must be braced: "
                                     "\\frac{\\partial f}{\\partial x}")
        self.take()
        wrt, orders = [], []
        while self.tok.kind != "rbrace":
            if self.differential() != kind:
                if kind == "d":
                    return None
                raise self.err(self.tok, f"expected \\partial before each variable of the "
                                         f"denominator, found {self.found()}")
            self.take()
            var = self.variable()
            wrt.append(var)
            orders.append(self.order() if self.tok.kind == "^" else 1)
        if not wrt:
            if kind == "d":
                return None
            raise self.err(self.tok, "a derivative needs a variable: \\partial x")
        close = self.take()
        if sum(orders) != order:
            raise self.err(sign, f"the derivative's orders disagree: {order} in the numerator, "
                                 f"{sum(orders)} in the denominator")
        operator = of is None
        if operator and self.starts_factor() and not self.at_run_stop(None, operator=True):
            of = self.run(operator=True)
        end = of.end if operator and of is not None else close.end
        return A.Derivative(of=of, wrt=tuple(wrt), orders=tuple(orders), kind=kind,
                            operator=operator, start=t.pos, end=end)

    def order(self) -> int:
        """``^2`` or ``^{2}`` after a differential sign."""
        op = self.take()
        u = self.tok
        if u.kind == "lbrace" and self.peek().kind == "num" and self.peek(2).kind == "rbrace":
            self.take()
            u = self.take()
            self.take()
        elif u.kind == "num":
            self.take()
        else:
            raise self.err(op, "a derivative's order must be a number, e.g. \\partial^2")
        if not u.text.isdigit() or not 1 <= int(u.text) <= 10:
            raise self.err(u, f"derivative order {u.text!r}: only orders 1 to 10 are read")
        return int(u.text)

    def variable(self) -> A.Node:
        """The variable after a differential: a name with subscript/primes, no power."""
        u = self.tok
        if u.kind == "letter" or (u.kind == "cmd" and u.text in GREEK):
            self.take()
            return self.decorated(u.text, u.pos, allow_power=False)
        if u.kind == "cmd" and u.text in _ACCENTS:  # \partial \hat{y}
            self.take()
            return self.accented(u, _ACCENTS[u.text], allow_power=False)
        if u.kind == "wrap" and u.text not in _TEXT and u.arg.strip().isalpha():
            self.take()
            return self.decorated(u.arg.strip(), u.pos, allow_power=False)
        raise self.err(u, f"expected the variable of differentiation, found {self.found()}")

    def root(self, t: Tok) -> A.Node:
        r"""``\sqrt{x}``, ``\sqrt[3]{x}``, ``\sqrt x``, ``sqrt(x)``."""
        index = None
        if self.tok.kind == "open" and self.tok.text == "[":
            u = self.take()
            self.enter(u)
            index = self.expr()
            if not (self.tok.kind == "close" and self.tok.text == "]"):
                raise self.err(self.tok, f"expected ']' closing the root's index, found "
                                         f"{self.found()}")
            self.take()
            self.leave()
        if self.tok.kind == "open" and self.tok.text == "(":
            group = self.delimited()
            radicand = group.body
        else:
            radicand = self.frac_argument(t, "radicand")
        return A.Root(radicand=radicand, index=index, start=t.pos, end=self.last_end)

    # --- function arguments and operands ---------------------------------------------
    def run(self, operator: bool = False) -> A.Node:
        """An unbraced argument or operand: juxtaposed factors up to a stop (module doc)."""
        start, factors = self.tok.pos, [self.factor()]
        while self.starts_factor() and not self.at_run_stop(factors[-1], operator):
            factors.append(self.factor())
        return self.product(factors, [False] * len(factors), start)

    def at_run_stop(self, last: A.Node | None, operator: bool) -> bool:
        t = self.tok
        if t.kind in ("open", "bar"):
            if operator and isinstance(last, A.Name) and t.kind == "open":
                return False  # J(omega): a name's bracket stays with it
            return last is not None
        if t.kind in ("symbol", "dots"):
            return True
        if t.kind == "cmd" and t.text in _RUN_STOP_CMDS:
            return last is not None or t.text in ("partial",)
        if t.kind == "cmd" and t.text in ("frac", "dfrac") and last is not None:
            return self.peek().kind == "lbrace" and self.peek(2).kind in ("cmd", "letter") and (
                self.peek(2).text in ("partial", "d"))
        if t.kind == "wrap":
            word = t.arg.strip()
            return last is not None and (t.text == "operatorname" or word in FUNCTION_NAMES
                                         or (t.text in _TEXT and not is_word(t.arg)))
        if t.kind == "begin":
            return t.arg.rstrip("*") not in MATRIX_ENVS
        return False

    def call(self, t: Tok, func: str) -> A.Node:
        r"""``\ln x``, ``\exp(x)``, ``\log_{2} x``, ``\sin^2 x``, ``\text{softmax}(V)_i``."""
        base = power = None
        if func == "log" and self.tok.kind == "_":
            self.take()
            base = self.script(self.toks[self.i - 1])
        if self.tok.kind == "^":
            op = self.take()
            power = self.script(op)
            if _is_minus_one(power) and func in _INVERTIBLE:
                func, power = _INVERTIBLE[func], None
            elif not _plain_power(power):  # \sin^{-2}, \sin^{(-1)}, f^{(n)}: readings disagree
                raise self.err(op, f"\\{func}^{{{self.src.text[power.start:power.end]}}} is "
                                   f"ambiguous (a negative or bracketed power of {func}): "
                                   f"write \\frac{{1}}{{\\{func} x}} or (\\{func} x)^{{-1}}")
        u = self.tok
        args, parens = None, True
        if u.kind == "open" and u.text != "|":
            args = self.call_args(self.delimited())
        elif u.kind == "lbrace":
            inner = self.braced(u, f"argument of {func}", self.statement_or_fail)
            if isinstance(inner, A.Group) and inner.delim in ("(", "["):
                args = self.call_args(inner)
            else:
                args, parens = (inner,), False
                if self.tok.kind == "^":  # \exp{x}^2: TeX shows exp x^2, SymPy means (exp x)^2
                    raise self.err(self.tok, f"\\{func}{{...}}^... is ambiguous: TeX shows "
                                             f"\\{func} x^2 (the power of the argument) while "
                                             f"SymPy's printer means (\\{func} x)^2; write "
                                             f"\\{func}(x^2) or \\{func}(x)^2")
        elif self.starts_factor() and not self.at_run_stop(None, operator=False):
            args, parens = (self.run(),), False
        else:
            raise self.err(u, f"missing argument of \\{func}, found {self.found()}")
        sub = ()
        if parens and self.tok.kind == "_":
            self.take()
            sub, _ = self.subscript()
        node = A.Call(func=func, args=args, base=base, power=power, sub=sub, parens=parens,
                      start=t.pos, end=self.last_end)
        if parens:
            return self.postfix(node)
        return node

    def call_args(self, group: A.Node) -> tuple[A.Node, ...]:
        if isinstance(group, A.Abs):
            return (group,)
        body = group.body
        if isinstance(body, A.Seq) and body.sep == ",":
            return body.items
        return (body,)

    # --- sums, names, accents, boxes --------------------------------------------------
    def big_operator(self, t: Tok, op: str) -> A.Node:
        r"""``\sum_{j=1}^{m} body``, ``\sum_i body``, ``\prod`` (body: the next term)."""
        index = lower = upper = None
        seen = set()
        while self.tok.kind in ("_", "^") and self.tok.kind not in seen:
            s = self.take()
            seen.add(s.kind)
            if s.kind == "^":
                upper = self.script(s)
                continue
            u = self.tok
            if u.kind == "lbrace":
                node = self.braced(u, f"\\{op} subscript", self.relation)
            elif u.kind == "letter" or (u.kind == "cmd" and u.text in GREEK):
                self.take()
                node = self.decorated(u.text, u.pos, allow_power=False)
            else:
                raise self.err(u, f"missing index of \\{op}, found {self.found()}")
            if isinstance(node, A.Relation):
                if node.ops != ("=",) or node.items[0] is None:
                    raise self.err(u, f"\\{op}'s subscript must be 'index' or 'index = start'")
                node, lower = node.items
            if not isinstance(node, A.Name):
                found = self.src.text[node.start:node.end]
                raise self.err(u, f"\\{op}'s index must be one name (write \\sum_i \\sum_j "
                                  f"for a double sum), found {found!r}")
            index = node
        if not self.starts_factor() and self.tok.kind not in ("+", "-"):
            raise self.err(self.tok, f"\\{op} without a summand, found {self.found()}")
        body = self.signed_term()
        return A.Sum(index=index, lower=lower, upper=upper, body=body, op=op, start=t.pos,
                     end=self.last_end)

    def annotated(self, t: Tok, kind: str) -> A.Node:
        r"""``\boxed{...}``, ``\underbrace{...}_{label}``, ``\overbrace{...}^{label}``."""
        u = self.tok
        if u.kind != "lbrace":
            raise self.err(u, f"\\{kind} needs a braced argument")
        body = self.braced(u, f"\\{kind} argument", self.statement_or_fail)
        label = None
        script = {"underbrace": "_", "overbrace": "^"}.get(kind)
        if script and self.tok.kind == script:
            s = self.take()
            v = self.tok
            label = (self.braced(v, f"\\{kind} label", self.statement_or_fail)
                     if v.kind == "lbrace" else self.script(s))
        return A.Annotated(body=body, kind=kind, label=label, start=t.pos, end=self.last_end)

    # --- environments ------------------------------------------------------------------
    def environment(self) -> A.Node:
        t = self.take()
        name = t.arg.rstrip("*")
        if name not in MATRIX_ENVS and name not in ROW_ENVS:
            raise self.err(t, f"unknown environment {t.arg!r} (read: "
                              f"{', '.join(sorted(MATRIX_ENVS | ROW_ENVS))})")
        if name in ("array", "alignat") and self.tok.kind == "lbrace":  # column spec {l}/{2}
            depth = 0
            while True:
                u = self.take()
                depth += {"lbrace": 1, "rbrace": -1}.get(u.kind, 0)
                if u.kind == "end":
                    raise self.err(t, f"unclosed column specification of \\begin{{{t.arg}}}")
                if depth == 0:
                    break
        rows, spans = self.table()
        close = self.tok
        if close.kind != "endenv":
            raise self.err(close, f"expected \\end{{{t.arg}}} for the \\begin{{{t.arg}}} at "
                                  f"position {t.pos}, found {self.found()}")
        if close.arg != t.arg:
            raise self.err(close, f"\\end{{{close.arg}}} does not match \\begin{{{t.arg}}} "
                                  f"at position {t.pos}")
        self.take()
        if name in MATRIX_ENVS:
            node = A.Matrix(rows=rows, env=name, start=t.pos, end=close.end)
        else:
            node = A.Rows(rows=rows, row_spans=spans, env=name, start=t.pos, end=close.end)
        return self.postfix(node) if name in MATRIX_ENVS else node


def _plain_power(node: A.Node) -> bool:
    """A power of a function read as a power: numbers and letters, no sign, no brackets."""
    if isinstance(node, (A.Number, A.Name, A.Word)):
        return True
    if isinstance(node, A.Group):
        return node.delim == "{" and _plain_power(node.body)
    parts = {A.Mul: "factors", A.Div: ("num", "den"), A.Pow: ("base", "exp")}.get(type(node))
    if parts is None:
        return False
    items = getattr(node, parts) if isinstance(parts, str) else [getattr(node, a) for a in parts]
    return all(_plain_power(item) for item in items)


def _is_minus_one(node: A.Node) -> bool:
    return isinstance(node, A.Neg) and isinstance(node.arg, A.Number) and node.arg.text == "1"
