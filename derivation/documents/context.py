r"""What a document has defined so far (`Context`), its quantities (`Quantity`), bound
indices, and `show` (a readable printer: w_{ij}, Σ_{k=1}^{n} …, e^(…))."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from derivation.parsing import ast as A

__all__ = ["bound", "Unreadable", "family_key", "key_text", "node_eq", "Quantity", "Context",
           "show"]

_COUNTER = [0]


def bound(letter: str) -> sympy.Dummy:
    """A bound (summation) index: a Dummy with a unique name, shown as its letter."""
    _COUNTER[0] += 1
    return sympy.Dummy(f"{letter}_{_COUNTER[0]}", integer=True)


class Unreadable(Exception):
    """A construct the reader refuses; ``str`` names it."""


def family_key(node: A.Name) -> tuple:
    """(base, primes, accent): the identity of a letter with its decorations."""
    return (node.base, node.primes, node.accent)


def key_text(key: tuple) -> str:
    base, primes, accent = key[:3]
    text = {"alpha": "α", "beta": "β", "sigma": "σ", "omega": "ω", "lambda": "λ",
            "eta": "η", "theta": "θ", "mu": "μ", "tau": "τ", "gamma": "γ",
            "delta": "δ", "epsilon": "ε", "pi": "π"}.get(base, base)
    if accent:
        text = f"{accent}({text})"
    return text + "'" * primes


def node_eq(a, b) -> bool:
    """Structural equality of AST nodes (offsets ignored: dataclass eq excludes them)."""
    return a == b


@dataclass
class Quantity:
    """A name the document defined: scalar (``V``), array (``y_i``) or function (``σ(z)``)."""

    key: tuple
    kind: str                      # "scalar", "array", "function"
    params: tuple                  # index symbols (array) or argument symbols (function)
    expr: object                   # the definition (placeholders for other quantities)
    line: int
    text: str                      # as written, e.g. "y_i"
    placeholder: object = None     # Symbol (scalar) or IndexedBase (array)
    step: object = None            # the DocumentStep of the definition
    ranges: tuple = ()             # array: ((lo, hi), ...) per index


class Context:
    """What the document has defined and learnt so far."""

    def __init__(self, dims: dict | None = None):
        self.quantities: dict = {}          # key (+ "scalar"/"array") -> Quantity
        self.by_placeholder: dict = {}      # placeholder -> Quantity
        self.free: dict = {}                # family key -> IndexedBase (undefined arrays)
        self.scalars: dict = {}             # key -> Symbol (undefined scalars)
        self.ranges: dict = {}              # (family key, position) -> (lo, hi)
        self.dims: dict = dict(dims or {})  # family key -> number of indices (pre-pass)
        self.sizes: dict = {}               # letter -> Symbol(positive integer)
        self.indices: dict = {}             # letter -> Symbol(integer)
        self.claims: dict = {}              # (of, wrt) -> (expr, step): claimed derivatives
        self.forward: dict = {}             # key -> callable giving a later definition
        self._expanded: dict = {}           # (expr, keep) -> expand(expr, keep); see define

    # -- symbols -------------------------------------------------------------------------
    def size(self, letter: str) -> sympy.Symbol:
        if letter not in self.sizes:
            self.sizes[letter] = sympy.Symbol(letter, integer=True, positive=True)
        return self.sizes[letter]

    def index(self, letter: str) -> sympy.Symbol:
        if letter not in self.indices:
            self.indices[letter] = sympy.Symbol(letter, integer=True)
        return self.indices[letter]

    def array(self, key: tuple) -> sympy.IndexedBase:
        if key not in self.free:
            # real entries, as every check reads them (no renaming before a proof)
            self.free[key] = sympy.IndexedBase(key_text(key), real=True)
        return self.free[key]

    def scalar(self, key: tuple) -> sympy.Symbol:
        if key not in self.scalars:
            self.scalars[key] = sympy.Symbol(key_text(key), real=True)
        return self.scalars[key]

    def defined(self, key: tuple, kind: str):
        return self.quantities.get(key + (kind,))

    def define(self, q: Quantity) -> Quantity:
        if q.kind == "scalar":
            q.placeholder = sympy.Dummy(key_text(q.key), real=True)
        elif q.kind == "array":
            q.placeholder = sympy.IndexedBase(key_text(q.key) + "̄")  # distinct from a free array
        self.quantities[q.key + (q.kind,)] = q
        self._expanded.clear()              # a new definition: earlier expansions may change
        if q.placeholder is not None:
            self.by_placeholder[q.placeholder] = q
        return q

    # -- expansion -----------------------------------------------------------------------
    def expand(self, expr, keep=()):
        """Substitute the definitions of placeholders (recursively), except the quantities
        in `keep` (Quantity objects). Remembered per exact expression until the next
        definition."""
        key = (expr, tuple(id(k) for k in keep))
        hit = self._expanded.get(key)
        if hit is None:
            hit = self._expanded[key] = self._expand(expr, keep)
        return hit

    def _expand(self, expr, keep):
        for _ in range(12):
            mapping = {}
            for atom in expr.atoms(sympy.Symbol, sympy.Indexed):
                if isinstance(atom, sympy.Indexed):
                    q = self.by_placeholder.get(atom.base)
                    if q is not None and not any(q is k for k in keep):
                        mapping[atom] = q.expr.xreplace(dict(zip(q.params, atom.indices)))
                else:
                    q = self.by_placeholder.get(atom)
                    if q is not None and not any(q is k for k in keep):
                        mapping[atom] = q.expr
            if not mapping:
                return expr
            expr = expr.xreplace(mapping)
        raise Unreadable("definitions refer to each other in a cycle")

    def index_ranges(self, exprs) -> dict:
        """{free index symbol: (lo, hi)} from the arrays it indexes."""
        out = {}
        for expr in exprs:
            for atom in expr.atoms(sympy.Indexed):
                key = self._key_of_base(atom.base)
                for pos, idx in enumerate(atom.indices):
                    if isinstance(idx, sympy.Symbol) and not isinstance(idx, sympy.Dummy):
                        r = self.ranges.get((key, pos)) if key else None
                        if r is not None and idx not in out and idx not in self.sizes.values():
                            out[idx] = r
        for idx, r in getattr(self, "loop_ranges", {}).items():
            out.setdefault(idx, r)
        return out

    def _key_of_base(self, base):
        q = self.by_placeholder.get(base)
        if q is not None:
            return q.key
        for key, b in self.free.items():
            if b == base:
                return key
        return None


class _Printer(sympy.printing.str.StrPrinter):
    printmethod = "_documents_str"   # not Indexed._sympystr: w_{ij}, not w[i, j]

    def _print_Indexed(self, expr):
        idx = [self._print(i) for i in expr.indices]
        sep = "" if all(len(s) == 1 for s in idx) else ","
        name = self._print(expr.base.label).rstrip("̄")
        if len(idx) == 1 and len(idx[0]) == 1:
            return f"{name}_{idx[0]}"
        return f"{name}_{{{sep.join(idx)}}}"

    def _print_Dummy(self, expr):
        return expr.name.split("_")[0]

    def _print_Sum(self, expr):
        body = self._print(expr.function)
        for var, lo, hi in reversed(expr.limits):
            body = f"Σ_{{{self._print(var)}={self._print(lo)}}}^{{{self._print(hi)}}} {body}"
        return f"({body})" if len(expr.limits) else body

    def _print_Symbol(self, expr):
        return expr.name

    def _print_exp(self, expr):
        return f"e^({self._print(expr.args[0])})"

    def _print_log(self, expr):
        return f"ln({self._print(expr.args[0])})"


def show(expr) -> str:
    """A readable form: w_{ij}, Σ_{k=1}^{n} …"""
    return _Printer().doprint(expr)
