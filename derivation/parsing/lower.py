r"""Lowering of a standalone formula: the LaTeX AST -> a SymPy expression (what ``parse`` returns).

A standalone formula has no context, so every reading is the plain one, and anything that needs
context is refused with a message saying what to write instead:

- a name is a real symbol named as the project always has: ``w_{ij}`` -> "w_ij", ``w_{1,12}``
  -> "w_1,12", ``y'_i``/``y_i'``/``y^{\prime}_i`` -> "y'_i", ``\hat{y}_i`` -> "yhat_i" (SymPy's own
  spelling, printed back as ``\hat{y}_{i}``), ``\lambda`` -> "lamda"; ``e`` is Euler's number,
  ``\pi`` is pi, ``E`` is a variable (a symbol named "E", never Euler's number);
- a name followed by a bracket, ``x(x+1)``, is a product, except for the letters that name
  functions by convention (``f(x)``, ``\sigma(z)``, ``\Gamma(x)``, ``\phi(x)``: refused, write
  ``\cdot`` for a product); a
  known function (``\ln``, ``\exp``, ``\sin``, ``\text{sigmoid}``) is applied; an unknown one
  (``\operatorname{sgn}(x)``) or a vector function (``\text{softmax}(V)_i``) is refused;
- ``x^{(k)}`` (a bracketed index as superscript) is refused: it names the k-th example; so are
  ``x^T`` (a transpose?), ``|a|b|c|`` (|a|·b·|c| or |a·|b|·c|?), two numbers side by side
  (``1\,000``, ``1.2.3``: a digit group?) and factors after a derivative's operand
  (``\frac{d}{dx} \sin x \cos x``: does it apply to cos x too?), a fraction that looks like
  a derivative but is not one (``\frac{d}{dx^2}``);
- ``\sum_{k=1}^{3} x_k`` with numeric bounds is written out (x_1 + x_2 + x_3, at most
  ``MAX_SUM_TERMS`` terms); symbolic bounds, ``\sum_i`` and ellipses (``a_1 + \dots + a_n``) are
  refused (the document reader, ``derivation.check_document``, reads them);
- ``\frac{d}{dx} x^2`` is the derivative of the lowered operand (``sympy.diff``); a derivative
  of something that does not contain the variable (``\frac{\partial J}{\partial w}`` with J a
  bare name) is refused: here J would be a constant and the derivative 0, a misreading.
"""

from __future__ import annotations

import sympy

from derivation.parsing import ast as A
from derivation.parsing import conventions, domain
from derivation.parsing.common import (
    ALIASES,
    FUNCTIONS,
    KNOWN_FUNCTIONS,
    Nesting,
    Source,
    Token,
    call,
    number,
    power,
    subscript_name,
    symbol,
    symbol_name,
)

__all__ = ["lower", "MAX_SUM_TERMS"]

MAX_SUM_TERMS = 400  # terms written out, all sums of one formula together
MAX_DERIVATIVE_NODES = 1000  # size of a derivative's result, checked after each order
MAX_DERIVATIVE_ORDER = 4  # total order of one derivative
GREEK_NAME = {"lambda": "lamda", "Lambda": "Lamda"}  # SymPy's spelling (lambda is a keyword)
_VECTOR_FUNCTIONS = frozenset({"softmax", "argmax", "argmin", "logsumexp", "diag", "tr", "det"})
# names that are functions by convention: f(x), \sigma(z), \Gamma(x), \phi(x) are refused
_FUNCTION_LETTERS = frozenset("f g h F G H sigma phi varphi Phi psi Psi Gamma zeta theta Theta "
                              "delta eta".split())
_DOCUMENT = "check it in a derivation with derivation.check_document"


def lower(src: Source, node: A.Node) -> sympy.Expr:
    """Lower the AST ``node`` of ``src.text`` to a SymPy expression (module docstring).

    Raises
    ------
    ParseError
        A construct that has no standalone reading, naming it and its position.
    """
    return Lowering(src).expr(node)


class Lowering:
    """AST -> SymPy for one standalone formula; ``env`` maps bound sum indices to integers."""

    def __init__(self, src: Source):
        self.src, self.env = src, {}
        self.nest = Nesting(src)
        self.terms_left = MAX_SUM_TERMS

    def err(self, node: A.Node, message: str):
        return self.src.error(node.start, message)

    def quote(self, node: A.Node) -> str:
        return self.src.text[node.start : node.end]

    def expr(self, node: A.Node) -> sympy.Expr:
        method = getattr(self, "lower_" + type(node).__name__, None)
        if method is None:
            raise self.err(node, f"{type(node).__name__.lower()} {self.quote(node)!r} has no "
                                 f"reading as one expression")
        return method(node)

    # --- leaves ------------------------------------------------------------------------
    def lower_Number(self, node: A.Number) -> sympy.Expr:
        return number(self.src, Token("num", node.text, node.start))

    def lower_Name(self, node: A.Name) -> sympy.Expr:
        base = GREEK_NAME.get(node.base, node.base)
        plain = not (node.primes or node.sub or node.accent)
        if plain and base in self.env:
            return sympy.Integer(self.env[base])
        if plain and base in ("e", "pi"):
            return sympy.E if base == "e" else sympy.pi
        if base == "infty":
            raise self.err(node, "infinity (\\infty) is not a real number: it is not supported")
        if node.accent:
            base += node.accent
        return symbol(symbol_name(base, node.primes, self.subscript(node)), self.src,
                      node.start)

    def subscript(self, node: A.Name) -> str:
        parts = []
        for item in node.sub:
            if isinstance(item, A.Word):  # w_{ij} -> "ij"; in a sum over j, j = 2: "i2"
                if any(c in self.env for c in item.text):
                    parts.extend(str(self.env.get(c, c)) for c in item.text)
                else:
                    parts.append(item.text)
            elif isinstance(item, A.Number):
                parts.append(item.text)
            elif isinstance(item, A.Name) and not (item.sub or item.primes or item.accent):
                value = self.env.get(item.base, GREEK_NAME.get(item.base, item.base))
                parts.append(str(value))
            else:
                value = self.expr(item) if self.env else None
                if value is None or not value.is_Integer:
                    raise self.err(item, f"subscripts may contain letters, digits and commas "
                                         f"only; {self.quote(item)!r} is an index expression "
                                         f"(it needs a sum over its index: {_DOCUMENT})")
                parts.append(str(value))
        return subscript_name(parts)

    # --- arithmetic --------------------------------------------------------------------
    def lower_Group(self, node: A.Group) -> sympy.Expr:
        if node.sub:
            raise self.err(node, f"{self.quote(node)!r}: a subscript after a bracket names an "
                                 f"entry of a vector-valued function (as in \\sigma(z)_i): "
                                 f"{_DOCUMENT}")
        if isinstance(node.body, A.Seq):
            raise self.err(node, f"a list {self.quote(node)!r} is not one expression")
        self.nest.enter(node.start)
        value = self.expr(node.body)
        self.nest.leave()
        return value

    def lower_Add(self, node: A.Add) -> sympy.Expr:
        return domain.add(self.expr(t) for t in node.terms)

    def lower_Neg(self, node: A.Neg) -> sympy.Expr:
        return domain.neg(self.expr(node.arg))

    def lower_Mul(self, node: A.Mul) -> sympy.Expr:
        self.check_product(node)
        return domain.mul(self.expr(f) for f in node.factors)

    def check_product(self, node: A.Mul) -> None:
        """Refuse products whose reading the conventions do not fix (module docstring)."""
        found = conventions.product_ambiguity(node, self.quote, self.src.text)
        if found:
            raise self.err(*found)
        factors, explicit = node.factors, (False, *node.explicit[1:])
        for k, (f, g) in enumerate(zip(factors, factors[1:]), 1):
            if (isinstance(f, A.Name) and not explicit[k] and isinstance(g, A.Group)
                    and g.delim == "(" and not g.sub and f.base in _FUNCTION_LETTERS):
                raise self.err(g, f"{self.quote(f)}(...) is ambiguous: {self.quote(f)} applied "
                                  f"to the bracket, or {self.quote(f)} times it? write "
                                  f"{self.quote(f)} \\cdot (...) for a product, or the "
                                  f"function's formula")

    def lower_Div(self, node: A.Div) -> sympy.Expr:
        found = conventions.division_ambiguity(node, self.quote)
        if found:
            raise self.err(*found)
        num, den = self.expr(node.num), self.expr(node.den)
        return domain.mul([num, power(self.src, node.start, den, sympy.S.NegativeOne)])

    def lower_Pow(self, node: A.Pow) -> sympy.Expr:
        exp = node.exp
        if isinstance(exp, A.Group) and exp.delim == "(" and isinstance(
                exp.body, (A.Name, A.Word, A.Number)):
            raise self.err(exp, f"{self.quote(node)!r}: a bracketed superscript names an "
                                f"example (the {self.quote(exp.body)}-th), not a power; write "
                                f"^{{{self.quote(exp.body)}}} for a power, or {_DOCUMENT}")
        if isinstance(exp, A.Name) and not (exp.sub or exp.primes or exp.accent) and (
                GREEK_NAME.get(exp.base, exp.base) in self.env):
            raise self.err(node, f"{self.quote(node)!r} with {exp.base} the summation index: "
                                 f"a power, or the {exp.base}-th example? (the conventions "
                                 f"disagree) write ^{{({exp.base})}} and {_DOCUMENT}, or "
                                 f"brackets around the power")
        found = conventions.power_ambiguity(node, self.quote)
        if found:
            raise self.err(*found)
        self.nest.enter(node.start)
        exponent = self.expr(exp)
        self.nest.leave()
        base = node.base
        if isinstance(base, A.Name) and base.base == "e" and not (
                base.primes or base.sub or base.accent):
            self.nest.enter(node.start, call=True)
            self.nest.leave(call=True)
            return domain.exp(exponent)
        return power(self.src, exp.start, self.expr(base), exponent)

    def lower_Root(self, node: A.Root) -> sympy.Expr:
        radicand = self.expr(node.radicand)
        index = sympy.Integer(2) if node.index is None else self.expr(node.index)
        pos = node.start
        return power(self.src, pos, radicand, power(self.src, pos, index, sympy.S.NegativeOne))

    def lower_Abs(self, node: A.Abs) -> sympy.Expr:
        self.nest.enter(node.start, call=True)
        value = domain.build(sympy.Abs, self.expr(node.arg))
        self.nest.leave(call=True)
        return value

    def lower_Annotated(self, node: A.Annotated) -> sympy.Expr:
        return self.expr(node.body)

    # --- functions ---------------------------------------------------------------------
    def lower_Call(self, node: A.Call) -> sympy.Expr:
        func = ALIASES.get(node.func, node.func)
        if func in _VECTOR_FUNCTIONS:
            raise self.err(node, f"{node.func} is a function of a vector "
                                 f"({self.quote(node)!r}): {_DOCUMENT}, or write its formula")
        if func not in FUNCTIONS and func != "sigmoid":
            raise self.err(node, f"unknown function {node.func!r} in {self.quote(node)!r}; "
                                 f"known functions: {KNOWN_FUNCTIONS}, sigmoid")
        if node.sub:
            raise self.err(node, f"a subscript after {node.func}(...) is not read here: "
                                 f"{_DOCUMENT}")
        self.nest.enter(node.start, call=True)
        args = [self.expr(a) for a in node.args]
        if node.base is not None:
            args.append(self.expr(node.base))
        if func == "sigmoid":  # 1 / (1 + e^{-z})
            if len(args) != 1:
                raise self.err(node, f"sigmoid takes 1 argument, got {len(args)}")
            value = power(self.src, node.start,
                          domain.add([sympy.S.One, domain.exp(domain.neg(args[0]))]),
                          sympy.S.NegativeOne)
        else:
            value = call(self.src, node.start, func, args)
        self.nest.leave(call=True)
        if node.power is not None:
            value = power(self.src, node.start, value, self.expr(node.power))
        return value

    # --- sums and derivatives ------------------------------------------------------------
    def lower_Sum(self, node: A.Sum) -> sympy.Expr:
        what = "\\" + node.op
        if node.index is None or node.lower is None or node.upper is None:
            raise self.err(node, f"{what} without both bounds ({self.quote(node)[:40]!r}) "
                                 f"needs the sizes: write the terms out, or {_DOCUMENT}")
        if node.index.sub or node.index.primes or node.index.accent:
            raise self.err(node.index, f"{what}'s index must be a plain letter")
        lower, upper = self.expr(node.lower), self.expr(node.upper)
        if not (lower.is_Integer and upper.is_Integer):
            raise self.err(node, f"{what} with symbolic bounds ({self.quote(node)[:40]!r}) "
                                 f"is read only for all sizes: {_DOCUMENT}")
        self.terms_left -= max(0, int(upper - lower + 1))
        if self.terms_left < 0:
            raise self.src.error(node.start, f"{what} of {upper - lower + 1} terms: at most "
                                             f"{MAX_SUM_TERMS} terms (of all sums together) are "
                                             f"written out", unsafe=True)
        index = GREEK_NAME.get(node.index.base, node.index.base)
        saved = dict(self.env)
        terms = []
        for k in range(int(lower), int(upper) + 1):
            self.env[index] = k
            terms.append(self.expr(node.body))
        self.env = saved
        if not terms:
            return sympy.S.Zero if node.op == "sum" else sympy.S.One
        return domain.add(terms) if node.op == "sum" else domain.mul(terms)

    def lower_Derivative(self, node: A.Derivative) -> sympy.Expr:
        if node.of is None:
            raise self.err(node, f"the operator {self.quote(node)!r} is applied to nothing")
        if sum(node.orders) > MAX_DERIVATIVE_ORDER:
            raise self.src.error(node.start, f"a derivative of order {sum(node.orders)}: at "
                                             f"most {MAX_DERIVATIVE_ORDER} is computed",
                                 unsafe=True)
        of = node.of
        if (isinstance(of, A.Mul) and len(of.factors) > 1 and isinstance(of.factors[0], A.Group)
                and of.factors[0].delim == "("):  # d/dx (x^2) x: 3x^2 or (2x) x?
            raise self.err(of.factors[1], f"{self.quote(node)!r}: does the derivative apply "
                                          f"to {self.quote(of.factors[1])!r} too? (the "
                                          f"conventions disagree) bracket the whole operand")
        body = self.expr(of)
        total = body
        for var, order in zip(node.wrt, node.orders):
            x = self.expr(var)
            if not isinstance(x, sympy.Symbol):
                raise self.err(var, f"cannot differentiate with respect to {self.quote(var)!r}")
            if x not in body.free_symbols and not body.is_number:
                raise self.err(node, f"{self.quote(node.of)!r} does not contain "
                                     f"{self.quote(var)}: standalone, it is a constant and "
                                     f"the derivative would be 0; if it depends on "
                                     f"{self.quote(var)} through a definition, {_DOCUMENT}")
            for _ in range(order):
                total = sympy.diff(total, x)
                if _larger_than(total, MAX_DERIVATIVE_NODES):
                    raise self.src.error(node.start, f"the derivative {self.quote(node)[:40]!r} "
                                                     f"has more than {MAX_DERIVATIVE_NODES} "
                                                     f"terms and factors", unsafe=True)
        return total

    # --- what has no standalone reading --------------------------------------------------
    def lower_Dots(self, node: A.Dots) -> sympy.Expr:
        raise self.err(node, f"an ellipsis ({self.quote(node)}) cannot be read in a standalone "
                             f"formula: write every term, or {_DOCUMENT} (it reads "
                             f"a_1 + \\dots + a_n as a sum)")

    def lower_Text(self, node: A.Text) -> sympy.Expr:
        raise self.err(node, f"prose {self.quote(node)!r} inside a formula is not mathematics")

    def lower_Relation(self, node: A.Relation) -> sympy.Expr:
        raise self.err(node, f"{node.ops[0]!r} found: this is an equation or a relation; "
                             f"use parse_equation for 'lhs = rhs'")

    def lower_Seq(self, node: A.Seq) -> sympy.Expr:
        kind = "statements set apart by \\quad" if node.sep == "quad" else "a list"
        raise self.err(node, f"{kind} ({self.quote(node)[:40]!r}) is not one expression")

    def lower_Rows(self, node: A.Rows) -> sympy.Expr:
        raise self.err(node, f"rows (\\\\ or environments such as {node.env}) are not one "
                             f"expression: {_DOCUMENT}")

    def lower_Matrix(self, node: A.Matrix) -> sympy.Expr:
        raise self.err(node, f"matrix environments ({node.env}) are not supported in a "
                             f"standalone formula: {_DOCUMENT}")


def _larger_than(expr: sympy.Expr, limit: int) -> bool:
    """Does the tree of ``expr`` have more than ``limit`` nodes? (stops counting there)"""
    for count, _ in enumerate(sympy.preorder_traversal(expr), 1):
        if count > limit:
            return True
    return False
