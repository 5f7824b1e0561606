"""Exact normal forms of expressions with symbolic sums (IndexedBase arrays, ``Sum``,
``KroneckerDelta``), valid for every size.

Each rewrite is an identity for all integer sizes and index values in their ranges:

* bound variables renamed by the height of their sum (``_s0`` innermost), so that
  Σ_k x_k and Σ_i x_i are the same object and no bound name captures a free index;
* linearity: Σ_k (a_k + b_k) = Σ_k a_k + Σ_k b_k, Σ_k c·a_k = c·Σ_k a_k (c free of k),
  Σ_{k=lo}^{hi} c = (hi − lo + 1)·c (Karr's convention, as SymPy's ``Sum``);
* ln(a·b) = ln a + ln b, ln(a^r) = r ln a, ln e^a = a, only where a, b > 0 and a, r
  are real, as SymPy's ``expand_log`` without ``force`` decides (e^{real} > 0; a sum of
  positive terms over a non-empty range is positive);
* Σ_k δ_{k,i} f_k = f_i when lo ≤ i ≤ hi, read from the stated ranges of the free indices
  (``decide``), never by substituting into a sum's bounds.

``is_zero(expr, ranges, substitutions)`` is True only when the normal form of ``expr``
(after replacing assumed quantities by their values) is the integer 0; False means
"not shown".
"""

from __future__ import annotations

import sympy
from sympy import Add, KroneckerDelta, Mul, Piecewise, Sum

from derivation.proofs import positivity

__all__ = ["canonical", "normal_form", "evaluate_deltas", "decide", "is_zero",
           "solve_for_atom", "derivative", "evaluate_derivatives", "rebuilt",
           "substitute_for_every", "may_combine_powers", "BOUND_PREFIX"]

BOUND_PREFIX = "_s"          # names of canonical bound variables (_s0, _s1, ...)
_ROUNDS = 6                  # rounds of the normal-form loop (each round is a fixpoint step)
_RELATIONS = (sympy.Le, sympy.Lt, sympy.Ge, sympy.Gt)


def rebuilt(expr, _memo=None):
    """`expr` rebuilt bottom-up with SymPy's automatic evaluation (a tree that came back
    from a bounded worker is rebuilt *without* it, keeping e.g. ``1*y`` inside a Sum).
    Shared subtrees are rebuilt once (memo by identity), so the cost is linear in the
    number of distinct nodes."""
    memo = {} if _memo is None else _memo
    if not isinstance(expr, sympy.Basic) or not expr.args or expr.is_Atom:
        return expr
    hit = memo.get(id(expr))
    if hit is not None and hit[0] is expr:
        return hit[1]
    if isinstance(expr, sympy.IndexedBase):
        result = expr
    else:
        result = expr.func(*[rebuilt(a, memo) for a in expr.args])
    memo[id(expr)] = (expr, result)
    return result


def _bound(height: int) -> sympy.Symbol:
    return sympy.Symbol(f"{BOUND_PREFIX}{height}", integer=True)


def _canonical(expr):
    """(expr with canonical bound names, height of its deepest Sum)."""
    if not expr.args or expr.is_Atom:
        return expr, 0
    if isinstance(expr, Sum):
        expr = _from_one(expr)
        # limits innermost first (SymPy merges Sum(Sum(f, a), b) into Sum(f, a, b))
        f, h = _canonical(expr.function)
        # only the names that change (an identity entry would make xreplace rebuild, and
        # re-evaluate, the whole summand)
        rename = {lim[0]: _bound(h + t) for t, lim in enumerate(expr.limits)
                  if lim[0] != _bound(h + t)}
        height = h + len(expr.limits)
        limits = []
        for var, lo, hi in expr.limits:
            (lo, hl), (hi, hh) = _canonical(lo), _canonical(hi)
            height = max(height, hl, hh)
            if rename:
                var, lo, hi = rename.get(var, var), lo.xreplace(rename), hi.xreplace(rename)
            limits.append((var, lo, hi))
        if rename:
            f = f.xreplace(rename)
        if f is expr.function and all(tuple(a) == tuple(b)
                                      for a, b in zip(limits, expr.limits)):
            return expr, height
        return Sum(f, *limits), height
    if isinstance(expr, (sympy.Indexed, sympy.IndexedBase)) and not expr.has(Sum):
        return expr, 0
    pairs = [_canonical(a) for a in expr.args]
    height = max(h for _, h in pairs)
    args = tuple(a for a, _ in pairs)
    if args == expr.args:
        return expr, height
    return expr.func(*args), height


def _from_one(s):
    """Σ_{k=lo}^{hi} f(k) = Σ_{k=1}^{hi-lo+1} f(k + lo - 1): every range starts at 1 (a change
    of variable, valid in Karr's convention too), so shifted sums compare summand-wise."""
    f, limits = s.function, list(s.limits)
    changed = False
    for t, (var, lo, hi) in enumerate(limits):
        if lo == 1:
            continue
        shift = {var: var + lo - 1}
        f = f.xreplace(shift)
        for u in range(t):        # inner limits may depend on this (outer) variable
            v2, a2, b2 = limits[u]
            limits[u] = (v2, a2.xreplace(shift), b2.xreplace(shift))
        limits[t] = (var, sympy.Integer(1), hi - lo + 1)
        changed = True
    return Sum(f, *limits) if changed else s


def canonical(expr):
    """`expr` with every Sum's ranges starting at 1 and its bound variables named
    ``_s<height>``.

    The innermost limit of a Sum whose summand has sums of height h gets ``_s<h>``, the next
    ``_s<h+1>``, ...; the height of the Sum is h + its number of limits. An outer sum's
    variable never equals an inner one's, a sum keeps its names wherever it stands, and
    renaming bound variables does not change the value.
    """
    return _canonical(expr)[0]


# -- index ranges -----------------------------------------------------------------------
def _extreme(d, ranges, lowest: bool):
    """min (lowest=True) or max of d over the index ranges, if d is linear in the indices."""
    for s in sorted(d.free_symbols & set(ranges), key=str):
        c = sympy.diff(d, s)
        if not c.is_number or c.is_zero is None or s in (d - c * s).expand().free_symbols:
            return None
        lo, hi = (sympy.sympify(v) for v in ranges[s])
        if (lo.free_symbols | hi.free_symbols) & set(ranges):
            return None
        d = (d - c * s).expand() + c * (lo if (c > 0) == lowest else hi)
    return sympy.expand(d)


def decide(rel, ranges) -> bool | None:
    """Truth of a relation between sizes and indices for every index value in its range.

    ``ranges`` maps an index symbol to (low, high); sizes are positive integers by their
    SymPy assumptions. Returns True/False when it holds for all/no such values, else None.
    The index ranges are taken as non-empty (for an empty range any claim holds vacuously).
    """
    if rel in (sympy.true, sympy.false):
        return bool(rel)
    if not isinstance(rel, _RELATIONS):
        return None
    d = rel.gts - rel.lts            # the relation says d >= 0 (Ge/Le) or d > 0 (Gt/Lt)
    strict = isinstance(rel, (sympy.Gt, sympy.Lt))
    low, high = _extreme(d, ranges, True), _extreme(d, ranges, False)
    if low is not None and (low.is_positive if strict else low.is_nonnegative):
        return True
    if high is not None and (high.is_nonpositive if strict else high.is_negative):
        return False
    return None


def _resolve(piecewise, ranges):
    pieces = []
    for value, cond in piecewise.args:
        atoms = cond.atoms(*_RELATIONS) if not isinstance(cond, bool) else ()
        known = {a: sympy.true if t else sympy.false
                 for a in atoms if (t := decide(a, ranges)) is not None}
        pieces.append((value, cond.xreplace(known) if known else cond))
    return Piecewise(*pieces)


def _resolve_all(expr, ranges):
    return expr.replace(lambda e: isinstance(e, Piecewise), lambda e: _resolve(e, ranges))


def _has_delta_in(expr, var) -> bool:
    return any(var in kd.free_symbols for kd in expr.atoms(KroneckerDelta))


def _sum_one(f, limit, ranges):
    """Σ_{var=lo}^{hi} f by linearity, term by term; with ``ranges`` (not None) the terms
    with a Kronecker delta in var are summed (SymPy's deltasummation) and the range
    conditions decided."""
    var, lo, hi = limit
    out = []
    for term in Add.make_args(sympy.expand(f, power_exp=False, log=False)):
        constant, depends = term.as_independent(var, as_Add=False)
        if depends == 1:
            out.append(constant * (hi - lo + 1))       # Σ_{k=lo}^{hi} c = (hi - lo + 1) c
        elif ranges is not None and _has_delta_in(depends, var):
            # not deep: the summand's own sums were already summed here (innermost first)
            out.append(constant * _resolve_all(Sum(depends, limit).doit(deep=False), ranges))
        else:
            out.append(constant * Sum(depends, limit))
    return Add(*out)


def _linear(expr, ranges=None):
    """Linearity of every Sum, innermost first (deltas summed when ``ranges`` is given)."""
    if not expr.args or expr.is_Atom:
        return expr
    args = tuple(_linear(a, ranges) for a in expr.args)
    if args != expr.args:
        expr = expr.func(*args)
    if isinstance(expr, Piecewise) and ranges is not None:
        return _resolve(expr, ranges)
    if not isinstance(expr, Sum):
        return expr
    result = expr.function
    for limit in expr.limits:                     # innermost first
        result = _sum_one(result, limit, ranges)
    return result


def evaluate_deltas(expr, ranges):
    """Sums of Kronecker deltas evaluated, innermost first, range conditions decided.

    Σ_{k=lo}^{hi} δ_{k,i} f_k = f_i when lo <= i <= hi is decided true from ``ranges``
    (see `decide`); undecided conditions stay as a Piecewise. Sums are split by linearity
    on the way (Σ (a + b) = Σ a + Σ b, constants out).
    """
    if not expr.has(KroneckerDelta) and not expr.has(Piecewise):
        return expr
    return _linear(expr, ranges or {})


def _delta_products(expr):
    """δ_ab f(b) = δ_ab f(a) (both sides vanish unless a = b): in every product with a
    Kronecker delta of two symbols, the later symbol (by sort key) is replaced by the
    earlier one in the other factors."""
    def rewrite(term):
        deltas = [f for f in term.args if isinstance(f, KroneckerDelta)
                  and all(a.is_Symbol for a in f.args)]
        if not deltas:
            return term
        a, b = sorted(deltas[0].args, key=sympy.default_sort_key)
        rest = Mul(*[f for f in term.args if f is not deltas[0]]).xreplace({b: a})
        return deltas[0] * rest
    return expr.replace(lambda e: isinstance(e, Mul) and e.has(KroneckerDelta), rewrite)


def _exp_products(expr):
    """Π_k e^{f_k} = e^{Σ_k f_k} (SymPy's ``expand`` writes e^{Σ} as such a Product; both
    follow Karr's convention for empty and reversed ranges)."""
    if not expr.has(sympy.Product):
        return expr
    def is_exp_product(e):
        return isinstance(e, sympy.Product) and isinstance(e.function, sympy.exp)

    return expr.replace(is_exp_product, lambda e: sympy.exp(Sum(e.function.args[0], *e.limits)))


def may_combine_powers(expr) -> bool:
    """Whether ``powsimp(expr, deep=True, combine="exp")`` has anything to do: a product
    (anywhere in the tree) with two factors of one base (e^a e^b, x^a x^{-b}), a rational
    coefficient next to a power of a rational (2^x/4), or a power of a power. False: it
    has nothing to combine, and its (costly) rebuilding of the whole tree is skipped."""
    for power in expr.atoms(sympy.Pow):
        if power.base.is_Pow or isinstance(power.base, sympy.exp):
            return True
    for product in expr.atoms(Mul):
        bases = set()
        rational = False
        for factor in product.args:
            if factor.is_Rational:
                rational = True
                continue
            base = factor.as_base_exp()[0]
            if base in bases or (rational and base.is_Rational):
                return True
            bases.add(base)
        if rational and any(b.is_Rational for b in bases):
            return True
    return False


def normal_form(expr, ranges=None, *, power_exp: bool = False):
    """An exact normal form of `expr` for all sizes (see the module docstring).

    Rounds of: canonical bound names, Kronecker-delta sums, ``expand_log`` (positivity as
    SymPy decides it), linearity of sums, ``expand``, Π_k e^{f_k} = e^{Σ_k f_k},
    e^a e^b = e^{a+b} (unless
    `power_exp`, which splits e^{a+b} = e^a e^b instead); until nothing changes.
    """
    ranges = ranges or {}
    for _ in range(_ROUNDS):
        new = canonical(_exp_products(expr))
        new = evaluate_deltas(new, ranges)
        new = positivity.expand_log(new)
        new = _linear(new)
        new = sympy.expand(new, power_exp=power_exp)
        if not power_exp and new.has(sympy.exp) and may_combine_powers(new):
            # e^a e^b = e^{a+b} (so that e^{-V} e^{V} = 1), then expand again
            new = sympy.expand(sympy.powsimp(new, deep=True, combine="exp"), power_exp=False)
        if new.has(KroneckerDelta):
            new = sympy.expand(_delta_products(new), power_exp=power_exp)
        if new == expr:
            break
        expr = new
    return expr


def solve_for_atom(difference, protected=()):
    """(atom, value) with difference = c·(atom − value), c a non-zero number, or None.

    Candidates are the sums, plain symbols and array entries of the normal form `difference`
    (sums first); ``protected`` symbols (sizes, indices) are never solved for.
    """
    labels = {e.base.label for e in difference.atoms(sympy.Indexed)}
    key = sympy.default_sort_key
    candidates = sorted(difference.atoms(Sum), key=key)
    candidates += sorted((s for s in difference.atoms(sympy.Symbol)
                          if s not in protected and s not in labels
                          and not s.name.startswith(BOUND_PREFIX)), key=key)
    candidates += sorted((e for e in difference.atoms(sympy.Indexed) if e not in protected),
                         key=key)
    for atom in candidates:
        c = difference.coeff(atom)
        if not c.is_number or c == 0:
            continue
        rest = sympy.expand(difference - c * atom)
        if rest.has(atom):
            continue
        return atom, -rest / c
    return None


def substitute_for_every(expr, atom, value, index, span, _bound=None):
    """atom(t) -> value(t) inside every sum over t whose range is ``span``, for an assumption
    atom(index) = value(index) stated for every index in ``span`` (e.g. Σ_i y_{i,k} = 1 for
    every example k = 1..N, used inside Σ_{k=1}^{N}). Only where the summation variable's
    range equals the index's range, so the assumption holds at every value it takes."""
    bound = _bound or {}
    if not expr.args or expr.is_Atom:
        return expr
    if expr.func == atom.func:
        for t in bound:
            if expr == atom.xreplace({index: t}):
                return value.xreplace({index: t})
    if isinstance(expr, Sum):
        inner = dict(bound)
        for var, lo, hi in expr.limits:
            if sympy.expand(lo - span[0]) == 0 and sympy.expand(hi - span[1]) == 0:
                inner[var] = True
            else:
                inner.pop(var, None)
        f = substitute_for_every(expr.function, atom, value, index, span, inner)
        return expr if f is expr.function else Sum(f, *expr.limits)
    args = tuple(substitute_for_every(a, atom, value, index, span, bound) for a in expr.args)
    return expr if args == expr.args else expr.func(*args)


def is_zero(expr, ranges=None, substitutions=()) -> bool:
    """True only when `expr` is exactly 0 in normal form, after the substitutions
    (assumed equalities: (atom, value) pairs, or (atom, value, index, span) for an
    assumption stated for every index in span, see `substitute_for_every`) are put in;
    first with e^{a+b} kept whole, then with e^{a+b} = e^a e^b. False means "not shown",
    never "false"."""
    # e^{a+b} = e^a e^b is tried only without sums in exponents (SymPy would turn e^{Σ} into
    # a Product of exponentials, a form nothing here simplifies)
    split = not any(e.args[0].has(Sum) for e in expr.atoms(sympy.exp))
    for power_exp in (False, True) if split else (False,):
        form = normal_form(expr, ranges, power_exp=power_exp)
        for _ in range(3):
            if form == 0:
                return True
            changed = False
            for atom, value, *universal in substitutions:
                new = (substitute_for_every(form, atom, value, *universal) if universal
                       else form.xreplace({atom: value}) if form.has(atom) else form)
                if new != form:
                    form = normal_form(new, ranges, power_exp=power_exp)
                    changed = True
            if not changed:
                break
        if form == 0:
            return True
        if sympy.cancel(sympy.together(form)) == 0:
            return True
    return False


# -- derivatives ----------------------------------------------------------------------------
def derivative(expr, wrt, ranges=None):
    """d expr / d wrt (an array entry or a symbol), Kronecker-delta sums evaluated.

    Bound variables are renamed first (`canonical`), so a sum over i differentiated by
    w[i, j] with a free i is the true derivative, not a capture of the free index.
    """
    return evaluate_deltas(sympy.diff(canonical(expr), wrt), ranges or {})


def evaluate_derivatives(expr, ranges=None):
    """Every unevaluated Derivative in `expr` replaced by `derivative`, innermost first."""
    if not expr.has(sympy.Derivative) or not expr.args or expr.is_Atom:
        return expr
    args = tuple(evaluate_derivatives(a, ranges) for a in expr.args)
    if args != expr.args:
        expr = expr.func(*args)
    if isinstance(expr, sympy.Derivative):
        result = expr.expr
        for variable, count in expr.variable_count:
            for _ in range(int(count)):
                result = derivative(result, variable, ranges)
        return result
    return expr
