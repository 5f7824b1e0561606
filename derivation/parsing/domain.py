"""Building what the user typed: SymPy's automatic evaluation, minus what erases a domain.

SymPy evaluates while it constructs: ``sqrt(x)**2`` becomes ``x``, ``exp(log(x))`` becomes ``x``,
``x/x`` becomes ``1``, ``log(x) - log(x)`` becomes ``0``. Each drops a condition under which
the typed expression has a real value (x >= 0, x > 0, x != 0). The constructors here let SymPy
evaluate (so ``x + x`` is still ``2*x`` and trees compare as before) *unless* the result lost a
domain condition of its arguments; then the node is built with ``evaluate=False`` and keeps the
typed form. A domain condition is one of:

- ``("nonzero", b)``: b**n with n a negative integer (a division by b);
- ``("nonneg", b)``: b**(p/q) with p/q > 0 not an integer (a root of b);
- ``("pos", b)``: b**(p/q) with p/q < 0 not an integer, and log(b) (implies the two above);
- ``("pow", b, e)``: b**e with a symbolic exponent e;
- conditions SymPy proves from the symbols' assumptions (``exp(x) > 0``, ``x**2 >= 0`` for
  real x) are not conditions: ``log(exp(x))`` is still ``x`` and ``(x**2)**(1/2)`` is ``|x|``;
- ``(f, u)``: f(u) for a function with a restricted domain (tan, cot, sec, csc, asin, acos,
  acosh, atanh, coth), only where u has free symbols.

``exp`` of an argument containing a logarithm is never evaluated: SymPy turns ``exp(c*log(b))``
into ``b**c``, which erases b > 0 and, for a huge c (``exp(10^10 * log(2))``), computes a number
with billions of digits.
"""

from __future__ import annotations

from functools import lru_cache

import sympy

_RESTRICTED = (sympy.tan, sympy.cot, sympy.sec, sympy.csc, sympy.asin, sympy.acos, sympy.acosh,
               sympy.atanh, sympy.coth)


@lru_cache(maxsize=8192)
def conditions(expr: sympy.Basic) -> frozenset:
    """The domain conditions (module docstring) of every subexpression of ``expr``."""
    own = set()
    if expr.is_Pow and expr.base.free_symbols:
        base, exp = expr.args
        if exp.is_Integer:
            if exp.is_negative and base.is_nonzero is not True:
                own.add(("nonzero", base))
        elif exp.is_Rational:
            if exp.is_negative and base.is_positive is not True:
                own.add(("pos", base))
            elif exp.is_positive and base.is_nonnegative is not True:
                own.add(("nonneg", base))
        elif base.is_positive is not True:
            own.add(("pow", base, exp))
    elif (isinstance(expr, sympy.log) and expr.args[0].free_symbols
          and expr.args[0].is_positive is not True):
        own.add(("pos", expr.args[0]))
    elif isinstance(expr, _RESTRICTED) and expr.args[0].free_symbols:
        own.add((expr.func, expr.args[0]))
    for arg in expr.args:
        own |= conditions(arg)
    return frozenset(own)


def _covers(have: frozenset, need: frozenset) -> bool:
    for c in need - have:
        if c[0] in ("nonzero", "nonneg") and ("pos", c[1]) in have:
            continue
        return False
    return True


def build(func, *args) -> sympy.Expr:
    """``func(*args)`` evaluated, or as typed (``evaluate=False``) when evaluation loses a
    domain condition of the typed node or of its arguments."""
    value = func(*args)
    if value.func is func and value.args == args:
        return value
    typed = func(*args, evaluate=False)
    need = conditions(typed)
    if need and not _covers(conditions(value), need):
        return typed
    return value


def add(terms) -> sympy.Expr:
    """The sum of ``terms`` as typed (see :func:`build`)."""
    terms = tuple(terms)
    return terms[0] if len(terms) == 1 else build(sympy.Add, *terms)


def mul(factors) -> sympy.Expr:
    """The product of ``factors`` as typed (see :func:`build`)."""
    factors = tuple(factors)
    return factors[0] if len(factors) == 1 else build(sympy.Mul, *factors)


def neg(value: sympy.Expr) -> sympy.Expr:
    """``-value`` as typed."""
    return build(sympy.Mul, sympy.S.NegativeOne, value)


def exp(arg: sympy.Expr) -> sympy.Expr:
    """``exp(arg)``; unevaluated when ``arg`` contains a logarithm (module docstring)."""
    if arg.has(sympy.log):
        return sympy.exp(arg, evaluate=False)
    return build(sympy.exp, arg)
