"""The softmax atoms as symbols: e^{V_k} -> E_k, S = sum_k e^{V_k} -> S, sum_k y'_k -> Y.

The entry-by-entry proofs work on these symbols from the start, so their cost does not depend
on what SymPy's cache still holds: no dictionary is keyed on a long subexpression (once the
cache has evicted e^{V_k}, every lookup of an equal-but-new copy is a deep comparison).

Soundness: E_k, S and Y each stand for one subexpression (E_k > 0, S > 0 as e^{V_k} and S
are), so an identity in the symbols stays an identity after substituting the subexpressions
back (`Atoms.to_model`). At n = 1, S is E_1 itself and Y is y'_1.
"""

from __future__ import annotations

import sympy

from derivation.model import SoftmaxModel

__all__ = ["Atoms", "residual_is_zero"]


class Atoms:
    """Symbols for e^{V_k}, S and Y of one `SoftmaxModel`, and the maps to and from them.

    Attributes
    ----------
    E : tuple of sympy.Symbol
        E_1..E_n (positive), standing for e^{V_k}.
    S : sympy.Symbol
        Standing for S = sum_k e^{V_k} (E_1 when n = 1).
    Y : sympy.Expr
        Standing for sum_k y'_k (y'_1 when n = 1).
    """

    def __init__(self, model: SoftmaxModel):
        self.model = model
        n = model.n
        self.E = tuple(sympy.Symbol(f"E__{k + 1}", positive=True) for k in range(n))
        self.S = sympy.Symbol("S__", positive=True) if n > 1 else self.E[0]
        self.Y = sympy.Symbol("Y__", real=True) if n > 1 else model.y[0]
        self._bias = {model.b[k]: k for k in range(n)}
        self._labels = frozenset(model.y)
        self._memo = {}          # id(node) -> (node, generalised): identity, never equality
        self._back = None

    def p(self, i: int) -> sympy.Expr:
        """Softmax p_i = E_i / S (0-based i)."""
        return self.E[i] / self.S

    # -- model expression -> symbols -----------------------------------------------------
    def _which(self, argument) -> int | None:
        """k if `argument` is the logit V_k (checked by one comparison), else None."""
        found = [self._bias[s] for s in argument.free_symbols if s in self._bias]
        if len(found) == 1 and argument == self.model.V[found[0]]:
            return found[0]
        return None

    def _generalise(self, expr):
        hit = self._memo.get(id(expr))
        if hit is not None and hit[0] is expr:
            return hit[1]
        result = expr
        if isinstance(expr, sympy.exp) and (k := self._which(expr.args[0])) is not None:
            result = self.E[k]
        elif expr.args:
            args = tuple(self._generalise(a) for a in expr.args)
            if any(a is not b for a, b in zip(args, expr.args)):
                result = expr.func(*args)
            if isinstance(result, sympy.Add):
                terms = set(result.args)
                if len(self.E) > 1 and len(terms) == len(self.E) and terms == set(self.E):
                    result = self.S
                elif len(self._labels) > 1 and terms == self._labels:
                    result = self.Y
        self._memo[id(expr)] = (expr, result)
        return result

    def generalise(self, expr) -> sympy.Expr:
        """`expr` (in the model's symbols) with e^{V_k}, S and sum_k y'_k as E_k, S, Y.

        One pass over the tree, remembering shared nodes by identity; each e^{...} is
        compared once with the logit whose bias it contains. Parts not recognised stay as
        they are (a proof may then fail, never wrongly succeed).
        """
        return self._generalise(sympy.sympify(expr))

    # -- symbols -> model expression -----------------------------------------------------
    def to_model(self, expr) -> sympy.Expr:
        """`expr` with E_k, S, Y replaced by e^{V_k}, S, sum_k y'_k (keys are symbols)."""
        if self._back is None:
            back = dict(zip(self.E, self.model.E))
            if len(self.E) > 1:
                back[self.S] = self.model.S
                back[self.Y] = self.model.label_sum()
            self._back = back
        return expr.xreplace(self._back)


def residual_is_zero(difference, atoms: Atoms | None = None, substitution: dict | None = None,
                     *, general: bool = False) -> bool:
    """True iff `difference` is exactly 0 by `expand`.

    Parameters
    ----------
    difference : sympy.Expr
        derivative - expected, in the model's symbols (or already in the atoms when
        ``general``).
    atoms : Atoms, optional
        Generalise e^{V_k}, S and sum_k y'_k to symbols first (see `Atoms.generalise`).
    substitution : dict, optional
        Applied after generalising, e.g. {Y: 1} for the assumption sum_k y'_k = 1; its keys
        must be symbols.
    general : bool
        `difference` is already in the atoms.

    Returns
    -------
    bool
        True only when the expanded expression is the integer 0 (an exact proof; first with
        e^{...} kept whole, then, without the atoms, with e^{a+b} = e^a e^b);
        False means "not shown", not "false".
    """
    expr = difference
    if atoms is not None and not general:
        expr = atoms.generalise(expr)
    if substitution:
        expr = expr.xreplace(substitution)
    if expr == 0 or sympy.expand_mul(expr) == 0 or sympy.expand(expr, power_exp=False) == 0:
        return True
    if atoms is None:
        # e^{a+b} -> e^a e^b everywhere, so that e.g. e^{V_1} / e^{V_1} (n = 1) cancels
        return sympy.expand(expr) == 0
    return False
