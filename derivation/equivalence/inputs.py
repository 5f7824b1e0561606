"""What the checker is given, read as real-valued expressions *as typed*.

* strings are parsed with :func:`derivation.parsing.parse` (callers run this inside the
  time budget: parsing is work too);
* symbols not declared real become real symbols of the same name (their other SymPy
  assumptions, e.g. ``integer`` or ``odd``, are kept); ``Indexed`` atoms such as
  ``w[1, 2]`` become real symbols named ``w[1, 2]`` (the map back restores them);
* floating-point numbers (Python floats, ``sympy.Float``) are read as their *exact
  binary* value (``2.0**70`` is 2**70; ``0.1`` is 3602879701896397/36028797018963968):
  never through a 15-digit ``repr``;
* the replacement does **not** re-evaluate the tree (:func:`typed_xreplace`), so the
  typed form keeps its domain: ``sqrt(x)**2`` is still undefined at x = -1.
"""

from __future__ import annotations

import decimal
import math
import numbers
from fractions import Fraction

import sympy

__all__ = ["as_expr", "as_equations", "assumption_items", "check_input", "check_timeout",
           "prepare", "typed_xreplace", "Prepared"]

_KEPT = ("integer", "odd", "even", "positive", "negative", "nonnegative", "nonpositive",
         "nonzero", "zero", "prime", "composite", "rational")


def as_expr(value, name):
    """A SymPy expression from an expression, a string (parsed) or a real number."""
    if isinstance(value, str):
        from derivation.parsing.api import parse  # lazy: SymPy inputs need no parser

        return parse(value)
    if isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr):
            raise TypeError(f"{name} must be a SymPy expression or a string, "
                            f"got {value!r} ({type(value).__name__})")
        return value
    if isinstance(value, decimal.Decimal) and value.is_finite():
        exact = Fraction(value)  # the decimal exactly
        return sympy.Rational(exact.numerator, exact.denominator)
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise TypeError(f"{name} must be a SymPy expression or a string, "
                        f"got {value!r} ({type(value).__name__})")
    if isinstance(value, numbers.Integral):
        return sympy.Integer(int(value))
    if isinstance(value, numbers.Rational):
        return sympy.Rational(int(value.numerator), int(value.denominator))
    if isinstance(value, numbers.Real) and math.isfinite(value):
        exact = Fraction(float(value))  # the exact binary value of the float
        return sympy.Rational(exact.numerator, exact.denominator)
    raise TypeError(f"{name} must be a finite real number, a SymPy expression or a string, "
                    f"got {value!r}")


def check_input(value, name):
    """Type errors for what can never be an expression (cheap; strings pass)."""
    if isinstance(value, str):
        return
    as_expr(value, name)


def as_equations(assume):
    """A tuple of ``sympy.Eq`` (strings parsed); ``sympy.false`` kept (contradiction)."""
    if assume is None:
        return ()
    if isinstance(assume, (str, sympy.Basic)):
        assume = (assume,)
    try:
        items = list(assume)
    except TypeError:
        raise ValueError(f"assume must be a sequence of equations, got {assume!r}") from None
    equations = []
    for item in items:
        if isinstance(item, str):
            from derivation.parsing.api import parse_equation

            item = parse_equation(item)
        if item is sympy.true:
            continue  # an equation SymPy already decided is true, e.g. Eq(x, x)
        if item is sympy.false:
            equations.append(item)  # decided false, e.g. Eq(1, 2): a contradiction
            continue
        if not isinstance(item, sympy.Equality):
            raise ValueError(f"assumption {item!r} is not an equation "
                             "(expected sympy.Eq or a string 'lhs = rhs')")
        equations.append(item)
    return tuple(equations)


def assumption_items(assume):
    """The assumptions as a tuple of strings / SymPy objects (checked further when parsed)."""
    if assume is None:
        return ()
    if isinstance(assume, (str, sympy.Basic)):
        return (assume,)
    try:
        items = tuple(assume)
    except TypeError:
        raise ValueError(f"assume must be a sequence of equations, got {assume!r}") from None
    for item in items:
        if not isinstance(item, (str, sympy.Basic)):
            raise ValueError(f"assumption {item!r} is not an equation "
                             "(expected sympy.Eq or a string 'lhs = rhs')")
    return items


def _short(value) -> str:
    """``repr(value)`` cut to 80 characters (an int too long to print is described)."""
    try:
        return f"{value!r:.80}"
    except ValueError:  # int beyond sys.get_int_max_str_digits()
        return f"an int of about {int(value.bit_length() * 0.30103)} digits"


def check_timeout(timeout):
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(f"timeout must be a number of seconds, got {_short(timeout)}")
    try:
        seconds = float(timeout)
    except OverflowError:  # an int beyond float range
        seconds = math.inf
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"timeout must be a positive finite number of seconds, got {_short(timeout)}")


def typed_xreplace(expr, mapping, memo=None):
    """``expr.xreplace(mapping)`` without re-evaluating the rebuilt nodes.

    ``xreplace`` rebuilds with evaluation (``sqrt(x)**2`` becomes ``x``); here
    nodes whose arguments changed are rebuilt with ``evaluate=False`` where the
    class accepts it, so the expression stays as typed.
    """
    memo = {} if memo is None else memo
    if expr in mapping:
        return mapping[expr]
    if not expr.args:
        return expr
    if expr in memo:
        return memo[expr]
    args = tuple(typed_xreplace(a, mapping, memo) for a in expr.args)
    if all(a is b for a, b in zip(args, expr.args)):
        result = expr
    else:
        try:
            result = expr.func(*args, evaluate=False)
        except TypeError:
            result = expr.func(*args)
    memo[expr] = result
    return result


def _real_symbol(atom):
    """A real Symbol standing for ``atom`` (a Symbol not known real, or an Indexed)."""
    facts = {"real": True}
    if atom.is_real is not False:  # (facts of a non-real atom would contradict real=True)
        for key in _KEPT:
            value = getattr(atom, f"is_{key}")
            if value is not None:
                facts[key] = value
    name = atom.name if isinstance(atom, sympy.Symbol) else sympy.sstr(atom)
    if isinstance(atom, sympy.Dummy):
        return sympy.Dummy(name, **facts)
    return sympy.Symbol(name, **facts)


def _exact_float(f):
    if not f.is_finite:
        return f
    return sympy.Rational(f)  # exact binary value at the Float's own precision


class Prepared:
    """The inputs read as real expressions.

    Attributes
    ----------
    typed : list of sympy.Expr
        As typed (not re-evaluated), over real symbols, floats exact.
    evaluated : list of sympy.Expr
        The same, evaluated by SymPy (an identity wherever the typed form is defined).
    back : dict
        Real symbol -> the symbol or ``Indexed`` atom of the input.
    float_note : str
        Empty, or a sentence saying how inexact floats were read.
    indexed_clash : bool
        Two ``Indexed`` atoms of one base with symbolic indices could coincide (then
        values given to them independently may be inconsistent).
    """

    def __init__(self, exprs):
        floats, indexed = set(), set()
        for e in exprs:
            floats |= e.atoms(sympy.Float)
            indexed |= e.atoms(sympy.Indexed)
        forward, back = {}, {}
        for atom in indexed:
            forward[atom] = _real_symbol(atom)
            back[forward[atom]] = atom
        atoms = set()
        for e in (typed_xreplace(x, forward) for x in exprs) if forward else exprs:
            atoms |= e.free_symbols  # the bases' labels w of w[1, 2] are gone now
        for s in atoms:
            if s in back:
                continue
            if s.is_real is True:
                back.setdefault(s, s)
                continue
            forward[s] = _real_symbol(s)
            back.setdefault(forward[s], s)
        inexact = []
        for f in floats:
            forward[f] = _exact_float(f)
            if f.is_finite and sympy.Rational(str(f)) != forward[f]:
                inexact.append(f)
        self.back = back
        self.typed = [typed_xreplace(e, forward) for e in exprs] if forward else list(exprs)
        self.evaluated = [e.xreplace(forward) for e in exprs] if forward else list(exprs)
        self.float_note = ""
        if inexact:
            f = min(inexact, key=lambda v: abs(v))
            self.float_note = (f" (Floating-point numbers were read as their exact binary values, "
                               f"e.g. {f} as {forward[f]}; give decimals as strings or "
                               "Rationals to mean the decimal exactly.)")
        self.indexed_clash = _indexed_clash(indexed)


def _indexed_clash(indexed):
    by_base = {}
    for atom in indexed:
        by_base.setdefault(atom.base, []).append(atom.indices)
    for tuples in by_base.values():
        for i, a in enumerate(tuples):
            for b in tuples[i + 1:]:
                if len(a) == len(b) and all(
                        u == v or not (u.is_number and v.is_number) for u, v in zip(a, b)):
                    return True
    return False


def prepare(exprs):
    """:class:`Prepared` for ``exprs`` (see module doc)."""
    return Prepared(list(exprs))
