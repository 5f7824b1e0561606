r"""The document's readings: LaTeX AST + what the document defined so far -> SymPy.

A `Context` holds the document's quantities (``V``, ``y_i``, ``\sigma(z)``), its free arrays
(``w[i, j]``, ``x[j]``, ``y'[i]``: `IndexedBase`), sizes (``n``, ``m``: positive integers)
and the index ranges learnt from ellipses and sums. `Lowering.lower` turns one AST node into
a SymPy expression in which defined quantities stand as placeholders (`Context.expand`
substitutes their definitions), and records every non-trivial reading in words. What it
cannot read raises `Unreadable` naming the construct; it never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from derivation.documents.context import (  # noqa: F401  (re-exported: the readings' vocabulary)
    Context, Quantity, Unreadable, bound, family_key, key_text, node_eq, show,
)
from derivation.parsing import ast as A
from derivation.parsing import conventions

__all__ = ["Unreadable", "Quantity", "Context", "Lowering", "show", "family_key", "node_eq"]

#: Letters read as sizes when they stand in a subscript or as the end of a range.
SIZE_LETTERS = frozenset("nmNMKTD")
_FUNCS = {"ln": sympy.log, "exp": sympy.exp, "sin": sympy.sin, "cos": sympy.cos,
          "tan": sympy.tan, "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh,
          "sqrt": sympy.sqrt}


def _defined(q) -> str:
    """"y_i is the quantity defined on line 12 (e^(V_i)/Σ_{k=1}^{n} e^(V_k))"."""
    text = f"{q.text} is the quantity defined on line {q.line}"
    if isinstance(q.expr, sympy.Basic):
        body = show(q.expr)
        if len(body) <= 48:
            text += f" ({body})"
    return text


def _text(node, source: str) -> str:
    return source[node.start:node.end] if node is not None else ""


@dataclass
class Lowering:
    """Lower AST nodes of one statement (source text `source`) in a `Context`."""

    ctx: Context
    source: str
    readings: list = field(default_factory=list)
    bound: dict = field(default_factory=dict)     # letter -> Symbol (sum index, function arg)
    holes: dict = field(default_factory=dict)     # (id(node), position) -> symbol
    line: int = 0

    def note(self, text: str) -> None:
        if text not in self.readings:
            self.readings.append(text)

    def text(self, node) -> str:
        return _text(node, self.source)

    # -- entry ---------------------------------------------------------------------------
    def lower(self, node):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None or node is None:
            raise Unreadable(f"{type(node).__name__} '{self.text(node)}' inside an expression")
        return method(node)

    def _Number(self, node):
        return sympy.Rational(node.text)

    def _Group(self, node):
        return self.lower(node.body)

    def _Neg(self, node):
        return -self.lower(node.arg)

    def _Mul(self, node):
        factors = list(node.factors)
        if any(isinstance(f, A.Dots) for f in factors):
            raise Unreadable(f"an ellipsis inside the product '{self.text(node)}'")
        self.refuse(conventions.product_ambiguity(node, self.text, self.source,
                                                  any_derivative=False))
        out, k = [], 0
        while k < len(factors):
            f = factors[k]
            nxt = factors[k + 1] if k + 1 < len(factors) else None
            if isinstance(f, A.Name) and isinstance(nxt, A.Group) and nxt.delim == "(" \
                    and not node.explicit[k + 1]:
                from derivation.documents.examples import at_example, example_symbol
                ex = example_symbol(self, nxt)
                if ex is not None:
                    value = at_example(self, f, ex, self.text(f) + self.text(nxt))
                    if value is not None:
                        out.append(value)
                        k += 2
                        continue
            if (isinstance(f, A.Name) and not f.sub and isinstance(nxt, A.Group)
                    and nxt.delim == "(" and not node.explicit[k + 1]):
                applied = self.application(f, nxt)
                if applied is not None:
                    out.append(applied)
                    k += 2
                    continue
            if (isinstance(f, A.Name) and not f.sub and isinstance(nxt, A.Pow)
                    and isinstance(nxt.base, A.Group) and nxt.base.delim == "("
                    and not node.explicit[k + 1]
                    and self.ctx.defined(family_key(f), "function") is not None):
                out.append(self.application(f, nxt.base) ** self.lower(nxt.exp))
                self.note(f"{self.text(f)}{self.text(nxt)} read as ({self.text(f)}"
                          f"{self.text(nxt.base)})^{self.text(nxt.exp)}")
                k += 2
                continue
            out.append(self.lower(f))
            k += 1
        return sympy.Mul(*out)

    def _Div(self, node):
        self.refuse(conventions.division_ambiguity(node, self.text))
        return self.lower(node.num) / self.lower(node.den)

    @staticmethod
    def refuse(found) -> None:
        """Raise Unreadable for an ambiguity `derivation.parsing.conventions` found."""
        if found:
            raise Unreadable(found[1])

    def _Pow(self, node):
        self.refuse(conventions.power_ambiguity(node, self.text))
        base = node.base
        if isinstance(base, A.Name) and base.base == "e" and not base.sub and not base.primes \
                and self.ctx.defined(family_key(base), "scalar") is None \
                and family_key(base) not in self.ctx.scalars:
            self.note("e read as Euler's number")
            return sympy.exp(self.lower(node.exp))
        example = self.example_index(node)
        if example is not None:
            return example
        return sympy.Pow(self.lower(base), self.lower(node.exp))

    def _Root(self, node):
        if node.index is None:
            return sympy.sqrt(self.lower(node.radicand))
        return sympy.root(self.lower(node.radicand), self.lower(node.index))

    def _Abs(self, node):
        return sympy.Abs(self.lower(node.arg))

    def _Annotated(self, node):
        return self.lower(node.body)

    def _Text(self, node):
        raise Unreadable(f"prose '{node.text.strip()}' inside an expression")

    def _Dots(self, node):
        raise Unreadable(f"an ellipsis '{self.text(node)}' that stands for no sum")

    def _Add(self, node):
        from derivation.documents.ellipsis import lower_sum_with_dots
        if any(isinstance(self._unsigned(t), A.Dots) for t in node.terms):
            return lower_sum_with_dots(self, node)
        return sympy.Add(*[self.lower(t) for t in node.terms])

    @staticmethod
    def _unsigned(t):
        return t.arg if isinstance(t, A.Neg) else t

    # -- names -----------------------------------------------------------------------------
    def _Name(self, node):
        key = family_key(node)
        if not node.sub:
            return self.scalar_name(node, key)
        return self.entry(node, key)

    def scalar_name(self, node, key):
        if node.base in self.bound and not node.primes and not node.accent:
            return self.bound[node.base]
        q = self.ctx.defined(key, "scalar")
        if q is not None:
            self.note(_defined(q))
            return q.placeholder
        if self.ctx.defined(key, "function") is not None:
            raise Unreadable(f"the function {key_text(key)} written without an argument")
        if key in self.ctx.forward and key not in self.ctx.scalars:
            self.ctx.forward.pop(key)()
            return self.scalar_name(node, key)
        if key == ("e", 0, None) and key not in self.ctx.scalars:
            self.note("e read as Euler's number")
            return sympy.E
        if key == ("pi", 0, None):
            return sympy.pi
        if node.base in self.ctx.sizes and not node.primes:
            return self.ctx.sizes[node.base]
        return self.ctx.scalar(key)

    def subscript(self, node, key) -> list:
        """The index nodes of a subscript: ``w_{ij}`` -> [i, j] when w has two indices."""
        items = list(node.sub)
        dims = self.ctx.dims.get(key, 1)
        if len(items) == 1 and isinstance(items[0], (A.Word, A.Number)) and dims > 1:
            chars = items[0].text
            if len(chars) == dims:
                out = [(items[0], p, c) for p, c in enumerate(chars)]
                if items[0].text.isdigit() and len(chars) > 1:
                    self.note(f"{self.text(node)} read as {key_text(key)}_{{{','.join(chars)}}}")
                return out
            raise Unreadable(f"the subscript '{node.sub_text}' of {key_text(key)}, which has "
                             f"{dims} indices elsewhere")
        out = []
        for it in items:
            if isinstance(it, A.Word) and len(it.text) > 1:
                raise Unreadable(f"the subscript '{it.text}' of {key_text(key)} (one index "
                                 "or several? write them with commas)")
            text = it.text if isinstance(it, (A.Word, A.Number)) else None
            out.append((it, 0, text))
        return out

    def index_value(self, item, pos, text):
        hole = self.holes.get((id(item), pos))
        if hole is not None:
            return hole
        if text is None:
            return self.lower(item) if not isinstance(item, A.Name) else self.index_name(item)
        if text.isdigit():
            return sympy.Integer(text)
        if text in self.bound:
            return self.bound[text]
        return self.ctx.size(text) if text in SIZE_LETTERS else self.ctx.index(text)

    def index_name(self, item):
        if item.sub or item.primes or item.accent:
            return self.lower(item)
        return self.index_value(item, 0, item.base)

    def indices(self, node, key) -> tuple:
        return tuple(self.index_value(*t) for t in self.subscript(node, key))

    def entry(self, node, key, example=None):
        idx = self.indices(node, key) + ((example,) if example is not None else ())
        q = self.ctx.defined(key, "array")
        if q is None and key in self.ctx.forward and key not in self.ctx.free:
            self.ctx.forward.pop(key)()
            q = self.ctx.defined(key, "array")
        if q is not None and example is None:
            if len(idx) != len(q.params):
                raise Unreadable(f"{self.text(node)}: {q.text} has {len(q.params)} indices")
            self.note(_defined(q))
            return q.placeholder[idx]
        if q is not None:
            raise Unreadable(f"{self.text(node)}: the defined {q.text} at an example index")
        if example is not None:
            key = key + ("example",)
        return self.ctx.array(key)[idx]

    def example_index(self, node):
        """``x_j^{(k)}`` / ``x_j^k`` with k a summation or loop index: x_j at example k."""
        from derivation.documents.examples import at_example, example_symbol, is_example_family
        if not isinstance(node.base, A.Name):
            return None
        self.example_base = is_example_family(self.ctx, node.base)
        try:
            k = example_symbol(self, node.exp)
        finally:
            self.example_base = False
        if k is None:
            return None
        return at_example(self, node.base, k, self.text(node))

    # -- applications ----------------------------------------------------------------------
    def application(self, name: A.Name, group: A.Group):
        """f(arg) for a function the document defined; None when f is not one."""
        key = family_key(name)
        q = self.ctx.defined(key, "function")
        if q is not None and getattr(q, "indices", None):
            return self.vector_application(name, group, q)
        if q is not None:
            args = group.body.items if isinstance(group.body, A.Seq) else (group.body,)
            if len(args) != len(q.params):
                raise Unreadable(f"{self.text(name)} takes {len(q.params)} arguments")
            values = [self.lower(a) for a in args]
            self.note(f"{key_text(key)}(…) applies the function defined on line {q.line}")
            return q.expr.xreplace(dict(zip(q.params, values)))
        s = self.ctx.defined(key, "scalar")
        if s is not None and getattr(s, "depends", None) is not None:
            self.note(f"{self.text(name)}{self.text(group)} read as {s.text}, the quantity "
                      f"defined on line {s.line} (the argument names what it depends on)")
            return s.placeholder
        if s is None and key not in self.ctx.scalars and len(name.base) == 1:
            self.note(f"{self.text(name)} is not defined: {self.text(name)}{self.text(group)} "
                      f"read as the product {self.text(name)}·{self.text(group)}")
        return None

    def vector_application(self, name, group, q):
        """σ(v)_k for σ(z)_i defined on vectors: v's entries for z's, k for i."""
        args = group.body.items if isinstance(group.body, A.Seq) else (group.body,)
        subs = getattr(group, "sub", ())
        if len(args) != len(q.params) or len(subs) != len(q.indices):
            raise Unreadable(f"{self.text(name)}{self.text(group)}: {q.text} takes "
                             f"{len(q.params)} vector(s) and {len(q.indices)} index")
        mapping = {}
        for arg, base in zip(args, q.params):
            if not isinstance(arg, A.Name) or arg.sub:
                raise Unreadable(f"{self.text(name)}({self.text(arg)}): the argument of "
                                 f"{q.text} must be a vector's name")
            aq = self.ctx.defined(family_key(arg), "array")
            new = aq.placeholder if aq is not None else self.ctx.array(family_key(arg))
            if new != base:
                mapping[base] = new
        expr = q.expr
        if mapping:
            expr = expr.replace(lambda a: isinstance(a, sympy.Indexed) and a.base in mapping,
                                lambda a: mapping[a.base][a.indices])
        values = [self.index_name(s) if isinstance(s, A.Name) else
                  self.index_value(s, 0, getattr(s, "text", None)) for s in subs]
        self.note(f"{self.text(name)}{self.text(group)} is the entry of the function defined "
                  f"on line {q.line}")
        return expr.xreplace(dict(zip(q.indices, values)))

    def _Call(self, node):
        func = node.func
        if func == "softmax":
            value = self.softmax(node)
        elif func in ("ln", "log") and node.base is None:
            if func == "log":
                self.note("log read as the natural logarithm")
            value = sympy.log(*[self.lower(a) for a in node.args])
        elif func == "log":
            value = sympy.log(self.lower(node.args[0]), self.lower(node.base))
        elif func in ("sigmoid",):
            value = 1 / (1 + sympy.exp(-self.lower(node.args[0])))
            self.note("sigmoid(z) read as 1/(1 + e^{-z})")
        elif func in _FUNCS:
            value = _FUNCS[func](*[self.lower(a) for a in node.args])
        else:
            raise Unreadable(f"the function '{func}'")
        if node.sub and func != "softmax":
            raise Unreadable(f"a subscript after {func}(…)")
        if node.power is not None:
            value = value ** self.lower(node.power)
        return value

    def softmax(self, node):
        """softmax(z)_i = e^{z_i} / Σ_k e^{z_k}; the seed's softmax(V_i) read as softmax(V)_i."""
        if len(node.args) != 1:
            raise Unreadable("softmax with several arguments")
        arg = node.args[0]
        arg = arg.body if isinstance(arg, A.Group) else arg
        if isinstance(arg, A.Name) and arg.sub and not node.sub:
            vec = A.Name(base=arg.base, primes=arg.primes, accent=arg.accent)
            sub_nodes = arg.sub
            self.note(f"softmax({self.text(arg)}) read as softmax({key_text(family_key(arg))})"
                      f"_{arg.sub_text}, the {arg.sub_text}-th entry of the softmax")
        elif isinstance(arg, A.Name) and not arg.sub and len(node.sub) == 1:
            vec, sub_nodes = arg, node.sub
        else:
            raise Unreadable(f"softmax of '{self.text(arg)}' (write softmax(z)_i for a vector z)")
        key = family_key(vec)
        i = self.index_value(sub_nodes[0], 0, getattr(sub_nodes[0], "text", None)
                             if isinstance(sub_nodes[0], (A.Word, A.Number)) else None) \
            if not isinstance(sub_nodes[0], A.Name) else self.index_name(sub_nodes[0])
        rng = self.ctx.ranges.get((key, 0))
        if rng is None:
            raise Unreadable(f"softmax({key_text(key)}): the length of {key_text(key)} is not "
                             "known (write its entries with a range, e.g. z_1, …, z_n)")
        k = bound("k")
        entry = self._vector_entry(key)
        return sympy.exp(entry(i)) / sympy.Sum(sympy.exp(entry(k)), (k, rng[0], rng[1]))

    def _vector_entry(self, key):
        q = self.ctx.defined(key, "array")
        if q is not None:
            return lambda idx: q.placeholder[idx]
        base = self.ctx.array(key)
        return lambda idx: base[idx]

    def _Sum(self, node):
        if node.op != "sum":
            raise Unreadable(f"\\{node.op}")
        if node.index is None:
            raise Unreadable(f"a sum without its index: '{self.text(node)}'")
        letter = node.index.base if isinstance(node.index, A.Name) else None
        if letter is None:
            raise Unreadable(f"the summation index of '{self.text(node)}'")
        k = bound(letter)
        saved = self.bound.get(letter)
        self.bound[letter] = k
        try:
            body = self.lower(node.body)
            if node.lower is not None and node.upper is not None:
                lo, hi = self.bound_value(node.lower), self.bound_value(node.upper)
                for atom in body.atoms(sympy.Indexed):
                    key = self.ctx._key_of_base(atom.base)
                    for pos, idx in enumerate(atom.indices):
                        if idx == k and key is not None:
                            self.ctx.ranges.setdefault((key, pos), (lo, hi))
            elif node.lower is None and node.upper is None:
                lo, hi = self.infer_range(body, k, letter)
            else:
                raise Unreadable(f"a sum with only one bound: '{self.text(node)}'")
        finally:
            if saved is None:
                self.bound.pop(letter, None)
            else:
                self.bound[letter] = saved
        return sympy.Sum(body, (k, lo, hi))

    def bound_value(self, node):
        if isinstance(node, A.Name) and not node.sub and len(node.base) == 1 \
                and node.base not in self.bound:
            if self.ctx.defined(family_key(node), "scalar") is None:
                return self.ctx.size(node.base)
        return self.lower(node)

    def infer_range(self, body, k, letter):
        """The range of Σ_k from the arrays k indexes in the body."""
        found = None
        for atom in sorted(body.atoms(sympy.Indexed), key=sympy.default_sort_key):
            key = self.ctx._key_of_base(atom.base)
            for pos, idx in enumerate(atom.indices):
                if idx == k:
                    r = self.ctx.ranges.get((key, pos))
                    if r is not None and found is not None and r != found:
                        raise Unreadable(f"the range of Σ_{letter}: {found} or {r}")
                    found = found or r
        if found is None:
            raise Unreadable(f"the range of Σ_{letter} (no array indexed by {letter} has a "
                             "known length: write the bounds)")
        self.note(f"Σ_{letter} read as Σ_{{{letter}={found[0]}}}^{{{found[1]}}}")
        return found

    # -- derivatives -----------------------------------------------------------------------
    def _Derivative(self, node):
        from derivation.documents.calculus import derivative_value
        return derivative_value(self, node)

    def variable(self, node):
        """The variable of ∂/∂w_ij: an array entry, a scalar, or a function's argument
        (a quantity the document defined is the variable itself: its placeholder)."""
        if isinstance(node, A.Name) and not node.sub and node.base in self.bound:
            return self.bound[node.base]
        value = self.lower(node)
        if value in self.ctx.by_placeholder or (isinstance(value, sympy.Indexed)
                                                and value.base in self.ctx.by_placeholder):
            q = self.ctx.by_placeholder.get(value) or self.ctx.by_placeholder[value.base]
            self.note(f"with respect to {self.text(node)}, the quantity defined on line "
                      f"{q.line}, as the variable")
        if isinstance(value, (sympy.Indexed, sympy.Symbol)):
            return value
        raise Unreadable(f"a derivative with respect to '{self.text(node)}'")
