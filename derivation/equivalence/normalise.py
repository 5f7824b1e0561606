"""Exact normalisations that prove ``lhs - rhs == 0`` (for real symbols).

Every rewrite used here is an identity of real functions *wherever the
original expression is defined*, so reaching 0 is a proof:

* ``expand``: SymPy's default hints (multinomials, exp(a+b) = e^a e^b, and
  power/log splitting only where SymPy's assumptions make them valid).
* ``cancel``: p/q - r/s brought to one reduced fraction (identity where the
  denominators do not vanish).
* exp/log normalisation (:func:`explog`): each ``exp(c1*m1 + c2*m2 + ...)``
  (c rational, m a monomial) becomes ``E1**c1 * E2**c2 * ...`` where
  ``E_k = exp(m_k) > 0`` is a fresh *positive* symbol; ``exp(c*log u) = u**c``;
  ``log(P * R)`` with P a product of factors that are provably positive becomes
  ``sum(k * log f) + log(R)`` (valid because P > 0 makes ``P R > 0`` iff
  ``R > 0``); ``log(E_k**c) = c*m_k`` (log(e^V) = V for real V); sinh, cosh,
  tanh are written with exp first.  Inputs with non-real constants (``I``) are
  not normalised: exp(I x) is not a positive atom.  The result is
  a rational function in symbols, positive atoms and remaining log atoms, which
  ``cancel`` decides exactly (treating the atoms as independent is sound: an
  identity in independent atoms stays one after specialisation).
* ``simplify``: only as a last resort, run under a hard time limit.

Large inputs are recognised *before* expensive work (:func:`node_count`,
:func:`expanded_terms`) so the caller can move the work into a killable
subprocess (see ``_budget``).
"""

from __future__ import annotations

import math

import sympy

__all__ = [
    "node_count", "expanded_terms", "explog", "non_real_constant", "cheap_proof", "simplify_proof",
    "METHOD_STRUCTURAL", "METHOD_EXPAND", "METHOD_CANCEL", "METHOD_EXPLOG", "METHOD_SIMPLIFY",
]

METHOD_STRUCTURAL = "structural equality"
METHOD_EXPAND = "expand"
METHOD_CANCEL = "cancel (one reduced fraction)"
METHOD_EXPLOG = ("exp/log normalisation (exp of sums as products of positive atoms, "
                 "logs of positive factors split) + cancel")
METHOD_SIMPLIFY = "simplify (bounded, in a subprocess)"

_CAP = 10 ** 9  # saturating cap for size estimates


def node_count(expr, limit: int = 10 ** 6) -> int:
    """Number of nodes in the expression tree (stops counting at ``limit``)."""
    count = 0
    for _ in sympy.preorder_traversal(expr):
        count += 1
        if count >= limit:
            break
    return count


def expanded_terms(expr) -> int:
    """Upper estimate of the number of terms ``expand(expr)`` produces.

    Sums add, products multiply, ``(t-term sum)**k`` gives the multinomial
    count ``C(t+k-1, k)``; function arguments are expanded too, so their
    estimates count as work.  Saturates at 10**9.
    """
    memo = {}

    def terms(e):
        if e in memo:
            return memo[e]
        if e.is_Atom:
            result = (1, 1)
        elif e.is_Add:
            parts = [terms(a) for a in e.args]
            result = (min(_CAP, sum(t for t, _ in parts)), min(_CAP, sum(w for _, w in parts)))
        elif e.is_Mul:
            parts = [terms(a) for a in e.args]
            t = 1
            for p, _ in parts:
                t = min(_CAP, t * p)
            result = (t, min(_CAP, t + sum(w for _, w in parts)))
        elif e.is_Pow:
            base_t, base_w = terms(e.base)
            _, exp_w = terms(e.exp)
            k = e.exp
            if k.is_Integer and base_t > 1:
                k = abs(int(k)) if abs(k) < _CAP else _CAP
                t = _multinomial_count(base_t, k)
            else:
                t = 1
            result = (t, min(_CAP, t + base_w + exp_w))
        else:  # functions: one term, but their arguments get expanded
            work = sum(terms(a)[1] for a in e.args)
            result = (1, min(_CAP, 1 + work))
        memo[e] = result
        return result

    t, w = terms(expr)
    return max(t, w)


def _multinomial_count(t: int, k: int) -> int:
    # number of monomials of degree k in t variables = C(t + k - 1, k), saturated
    if t > _CAP or k > _CAP:
        return _CAP
    n = t + k - 1
    r = min(k, t - 1)  # C(n, k) == C(n, t - 1): the shorter product
    value = 1
    for i in range(1, r + 1):
        value = value * (n - r + i) // i  # exact: running binomial C(n - r + i, i)
        if value >= _CAP:
            return _CAP
    return value


def non_real_constant(expr):
    """The first constant sub-expression that is not real, or None.

    ``I``, ``exp(I)``, ``(-1)**(1/3)`` and ``log(-2)`` are not real; constants
    whose realness SymPy cannot decide are checked numerically (15 digits).
    Only real-valued inputs can be decided: ``exp(I x)`` is not positive, so
    the exp/log normalisation would be wrong for it.
    """
    if expr.has(sympy.I):
        return sympy.I
    symbolic = {}  # node -> contains a symbol (computed bottom-up: linear, not quadratic)
    for node in sympy.postorder_traversal(expr):
        if node not in symbolic:
            symbolic[node] = node.is_Symbol or any(symbolic.get(a, True) for a in node.args)
    for node in sympy.preorder_traversal(expr):
        if symbolic[node] or not isinstance(node, sympy.Expr) or node.is_Rational:
            continue
        real = node.is_extended_real
        if real is None:
            value = node.evalf(15)
            real = not (value.is_number and value.as_real_imag()[1] != 0)
        if real is False:
            return node
    return None


class _NonReal(Exception):
    """A non-real exponent: the exp/log normalisation does not apply."""


def _factor_integer_log(n):
    """log(n) for a positive Integer n as sum e_p log p (canonical form)."""
    if n < 10 ** 12:
        return sympy.Add(*[e * sympy.log(p) for p, e in sympy.factorint(n).items()])
    return sympy.log(n)


class _ExpLog:
    """One exp/log normalisation pass; atoms are shared by both sides."""

    def __init__(self):
        self.exp_atoms = {}   # monomial m -> positive Dummy standing for exp(m)
        self.meaning = {}     # Dummy -> m
        self.memo = {}

    def __call__(self, expr):
        if expr in self.memo:
            return self.memo[expr]
        if expr.is_Atom:
            result = expr
        elif isinstance(expr, sympy.exp):
            result = self.exp_of(self(expr.args[0]))
        elif isinstance(expr, sympy.log):
            result = self.log_of(self(expr.args[0]))
        elif isinstance(expr, (sympy.sinh, sympy.cosh, sympy.tanh)):
            # sinh u = (e^u - e^-u)/2, cosh u = (e^u + e^-u)/2, tanh u = (e^u - e^-u)/(e^u + e^-u)
            result = self(expr.rewrite(sympy.exp))
        else:
            result = expr.func(*[self(a) for a in expr.args])
        self.memo[expr] = result
        return result

    def exp_of(self, exponent):
        # exp(sum c_k m_k) = prod exp(m_k)**c_k ; exp(c log u) = u**c
        if expanded_terms(exponent) <= 200:
            exponent = sympy.expand(exponent)
        factors = []
        for term in sympy.Add.make_args(exponent):
            c, m = term.as_coeff_Mul()
            if m == 1 or not c.is_Rational:
                if term.is_number:
                    factors.append(sympy.exp(term))
                    continue
                c, m = sympy.Integer(1), term
            if isinstance(m, sympy.log):
                factors.append(m.args[0] ** c)
                continue
            if m.has(sympy.I) or m.as_independent(*m.free_symbols)[0].is_extended_real is not True:
                raise _NonReal(m)  # exp(I x) is not a positive atom
            atom = self.exp_atoms.get(m)
            if atom is None:
                atom = sympy.Dummy("E", positive=True)
                self.exp_atoms[m] = atom
                self.meaning[atom] = m
            factors.append(atom ** c)
        return sympy.Mul(*factors)

    def log_of(self, argument):
        # log(P * R) = sum k log f (f > 0 factors of P) + log R
        numer, denom = sympy.together(argument).as_numer_denom()
        total = []
        rest = sympy.Integer(1)
        for part, sign in ((numer, 1), (denom, -1)):
            if node_count(part, 400) < 400 and expanded_terms(part) <= 200:
                part = sympy.factor(part)
            for factor in sympy.Mul.make_args(part):
                base, k = factor.as_base_exp()
                if base in self.meaning:                      # log(exp(m)**k) = k m
                    total.append(sign * k * self.meaning[base])
                elif base.is_Integer and base > 0:
                    total.append(sign * k * _factor_integer_log(base))
                elif base.is_positive:
                    total.append(sign * k * sympy.log(base))
                else:
                    rest = rest * factor ** sign
        if rest != 1:
            base, k = rest.as_base_exp()
            if k.is_Integer and k % 2 == 1 and not base.is_number:
                total.append(k * sympy.log(base))             # log(u**odd) = odd*log(u)
            else:
                total.append(sympy.log(rest))
        return sympy.Add(*total)

    def finish(self, expr):
        # E**(p/q): use exp(m/q) as the atom so that all exponents are integers
        denominators = {}
        for power in expr.atoms(sympy.Pow):
            if power.base in self.meaning and power.exp.is_Rational:
                q = int(power.exp.q)
                denominators[power.base] = math.lcm(denominators.get(power.base, 1), q)
        replacement = {atom: sympy.Dummy("F", positive=True) ** q
                       for atom, q in denominators.items() if q > 1}
        return expr.xreplace(replacement) if replacement else expr


def explog(lhs, rhs):
    """Both sides normalised with shared positive exp-atoms (see module doc).

    Returns ``(lhs', rhs')`` or ``None`` when the rewrite would leave the reals
    (e.g. log of a negative constant).
    """
    if lhs.has(sympy.I) or rhs.has(sympy.I):
        return None
    normaliser = _ExpLog()
    try:
        left, right = normaliser(lhs), normaliser(rhs)
    except _NonReal:
        return None
    both = normaliser.finish(sympy.Tuple(left, right))
    if both.has(sympy.I):
        return None
    return both[0], both[1]


_EXP_LIKE = (sympy.exp, sympy.log, sympy.sinh, sympy.cosh, sympy.tanh)


def _explog_zero(lhs, rhs, expand_first):
    normalised = explog(lhs, rhs)
    if normalised is None:
        return False
    difference = normalised[0] - normalised[1]
    if difference == 0:
        return True
    return sympy.cancel(sympy.expand(difference) if expand_first else difference) == 0


def cheap_proof(lhs, rhs):
    """Try the cheap exact normalisations in order; the method name or None.

    Order: structural equality; for inputs with exp/log, the exp/log normalisation
    followed by ``cancel`` (cheap on softmax-like sums, where a plain ``expand``
    multiplies out exponentials); ``expand``; ``cancel``; exp/log normalisation
    followed by ``expand`` and ``cancel``.  Callers bound the cost (size checks or
    subprocess).
    """
    if lhs == rhs:
        return METHOD_STRUCTURAL
    difference = lhs - rhs
    if difference == 0:
        return METHOD_STRUCTURAL
    exp_like = difference.has(*_EXP_LIKE)
    if exp_like and _explog_zero(lhs, rhs, expand_first=False):
        return METHOD_EXPLOG
    if sympy.expand(difference) == 0:
        return METHOD_EXPAND
    if sympy.cancel(difference) == 0:
        return METHOD_CANCEL
    if exp_like and _explog_zero(lhs, rhs, expand_first=True):
        return METHOD_EXPLOG
    return None


def simplify_proof(lhs, rhs):
    """``simplify`` on the exp/log-normalised difference, then on the raw one.

    Expensive: callers must run it under a hard time limit.
    """
    normalised = explog(lhs, rhs)
    if normalised is not None:
        if sympy.simplify(normalised[0] - normalised[1]) == 0:
            return METHOD_SIMPLIFY
    if sympy.simplify(lhs - rhs) == 0:
        return METHOD_SIMPLIFY
    return None
