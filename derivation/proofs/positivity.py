r"""Signs read from the structure of an expression, and the logarithm rules they license.

Every array entry, plain symbol and index is real (the vocabulary of
`derivation.proofs.indexed`), so the reading is "wherever the expression is defined":

* real: real atoms and real numbers; sums, products and integer powers of real terms;
  e^u of a real u; ln u of a positive u; b^r of a positive b and a real r; Σ_k f_k of a real
  f_k; δ_{ab};
* positive: positive numbers and e (Euler's number); e^u of a real u (so e^{z_i/T} > 0 for a
  real T ≠ 0, which SymPy's assumptions leave open because 1/T is not defined at T = 0);
  sums and products of positive terms; b^r of a positive b and a real r; Σ_{k=lo}^{hi} f_k of
  a positive f_k over a range that is not empty (hi − lo + 1 ≥ 1 by the sizes' assumptions).

The rules (each an identity of real functions wherever its left side is defined, as the
checker's own exp/log normalisation, `derivation.equivalence.normalise`):

* ln e^u = u for a real u;
* ln(P·R) = ln P + ln R for P > 0 (the principal logarithm: P > 0 leaves the argument of R);
* ln b^r = r ln b for b > 0 and a real r.

`expand_log(expr)` is SymPy's ``expand_log`` (without ``force``) followed by these rules on
the logarithms it leaves; `positive` and `real` answer True only when the structure shows it
(None means "not shown", never "no").
"""

from __future__ import annotations

import sympy
from sympy import Add, KroneckerDelta, Mul, Pow, Sum, exp, log

__all__ = ["expand_log", "positive", "real"]


def _finite(s) -> bool:
    """Every limit of the Sum `s` has finite bounds (a finite number of terms)."""
    return all(len(lim) == 3 and not any(b.has(sympy.oo, -sympy.oo, sympy.zoo)
                                         for b in lim[1:]) for lim in s.limits)


def real(e) -> bool | None:
    """True when `e` is real wherever it is defined (read from its structure), else None."""
    if e.is_Number:
        return True if e.is_extended_real and e.is_finite else None
    if e.is_Atom or isinstance(e, sympy.Indexed):
        return True if e.is_extended_real else None
    if isinstance(e, (Add, Mul)):
        return True if all(real(a) for a in e.args) else None
    if isinstance(e, Pow):
        if real(e.base) and e.exp.is_Integer:
            return True
        return True if positive(e.base) and real(e.exp) else None
    if isinstance(e, exp):
        return real(e.args[0])
    if isinstance(e, log):
        return positive(e.args[0])
    if isinstance(e, Sum):
        return real(e.function) if _finite(e) else None
    if isinstance(e, KroneckerDelta):
        return True
    return None


def positive(e) -> bool | None:
    """True when `e` is positive wherever it is defined (read from its structure), else None."""
    if e.is_Number:
        return True if e.is_positive and e.is_finite else None
    if e is sympy.E:
        return True
    if e.is_Atom or isinstance(e, sympy.Indexed):
        return True if e.is_positive else None
    if isinstance(e, exp):
        return real(e.args[0])
    if isinstance(e, (Add, Mul)):
        return True if all(positive(a) for a in e.args) else None
    if isinstance(e, Pow):
        return True if positive(e.base) and real(e.exp) else None
    if isinstance(e, Sum):
        if not _finite(e) or not positive(e.function):
            return None
        for limit in e.limits:
            span = limit[2] - limit[1] if len(limit) == 3 else None
            if span is None or span.is_integer is not True or span.is_nonnegative is not True:
                return None                       # an empty range sums to 0 (or less)
        return True
    return None


def _split(argument):
    """ln(argument) by the rules above, or None when no rule applies."""
    if isinstance(argument, exp) and real(argument.args[0]):
        return argument.args[0]
    if isinstance(argument, Pow) and positive(argument.base) and real(argument.exp):
        inner = _split(argument.base)
        return argument.exp * (inner if inner is not None else log(argument.base))
    if isinstance(argument, Mul):
        known = [f for f in argument.args if positive(f)]
        if not known:
            return None
        rest = Mul(*[f for f in argument.args if not positive(f)])
        terms = []
        for f in known:
            inner = _split(f)
            terms.append(inner if inner is not None else log(f))
        if rest != 1:
            terms.append(log(rest))
        return Add(*terms)
    return None


def expand_log(expr):
    """SymPy's ``expand_log`` (no ``force``), then ln of structurally positive factors split
    and ln e^u = u for a structurally real u (see the module docstring)."""
    expr = sympy.expand_log(expr)
    if not expr.has(log):
        return expr

    def rewrite(e):
        split = _split(e.args[0])
        return e if split is None else split
    return expr.replace(lambda e: isinstance(e, log) and len(e.args) == 1, rewrite)
