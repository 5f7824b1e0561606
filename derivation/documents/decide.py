r"""Deciding one step: `check_identity` for all sizes (else concrete sizes), and the repair
search for a refuted step (which stated or known assumption makes it hold).

Known assumptions, generalised beyond softmax: for every undefined one-index array f in the
step with a known length (labels y'), "Σ_k f_k = 1" and "f is one-hot" (f_k = δ_{k,c} for
every c); for every array the document defined (the prediction y) next to an undefined array
with the same letter and a prime (the label y'), the reading "y_i read as the label y'_i";
and the remarks the document made ("Y = 1 b/c one hot"), each alone and combined.
"""

from __future__ import annotations

import time

import sympy

from derivation.documents.notation import bound, key_text, show

__all__ = ["Decision", "decide", "repairs", "Budget"]


class Budget:
    """Seconds left for the whole document."""

    def __init__(self, total: float, per_check: float = 10.0):
        self.deadline = time.perf_counter() + total
        self.per_check = per_check

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def slice(self) -> float:
        return max(0.0, min(self.per_check, self.left()))


class Decision:
    """status, counterexample (name -> value), sizes, reason, method."""

    def __init__(self, status, counterexample=None, sizes=None, reason="", method=""):
        self.status, self.counterexample = status, counterexample
        self.sizes, self.reason, self.method = sizes, reason, method


def _names(point) -> dict | None:
    if point is None:
        return None
    return {show(k) if not isinstance(k, str) else k: v for k, v in point.items()}


def _sizes(sizes):
    if sizes is None:
        return None
    return tuple({show(k) if not isinstance(k, str) else k: v for k, v in s.items()}
                 for s in sizes)


def decide(ctx, lhs, rhs, budget: Budget, assume=(), post=None, extra_ranges=None) -> Decision:
    """Is lhs = rhs (definitions expanded; then `post` applied) for all sizes and indices?"""
    from derivation.proofs.indexed import check_identity

    left = budget.slice()
    if left <= 0.05:
        return Decision("unknown", reason="time budget exhausted")
    L, R = ctx.expand(lhs), ctx.expand(rhs)
    eqs = tuple(sympy.Eq(ctx.expand(e.lhs), ctx.expand(e.rhs), evaluate=False) for e in assume)
    if post is not None:
        L, R = post(L), post(R)
        eqs = tuple(sympy.Eq(post(e.lhs), post(e.rhs), evaluate=False) for e in eqs)
    ranges = ctx.index_ranges([L, R] + [e.lhs for e in eqs] + [e.rhs for e in eqs])
    ranges.update(extra_ranges or {})
    # a numeric look first: apart at size 2 -> a confirmed counterexample there (size 3 is
    # looked at when the in-process normal forms have not proved the step)
    quick = _quick_refutation(ctx, L, R, eqs, ranges, budget, tries=(2,))
    if quick is not None:
        return quick
    if not assume and post is None and _shallow_zero(ctx, lhs, rhs, extra_ranges):
        return Decision("proved", method="normal form with the defined quantities as atoms")
    route1 = _all_sizes_here(L, R, eqs, ranges) if post is None else None
    if route1:
        return Decision("proved", method="normal form for all sizes (in process)")
    quick = _quick_refutation(ctx, L, R, eqs, ranges, budget, tries=(3,))
    if quick is not None:
        return quick
    free = {s for s in (L - R).free_symbols if isinstance(s, sympy.Symbol)
            and s.is_integer and s not in ranges and s not in ctx.sizes.values()}
    if free:
        return Decision("unknown", reason="the range of the index "
                        + ", ".join(sorted(map(str, free))) + " is not known")
    try:
        # the all-sizes route already ran here (and did not reach 0): only the sizes route
        res = check_identity(L, R, assume=eqs, ranges=ranges, timeout=left,
                             _all_sizes_done=route1 is False)
    except Exception as exc:  # the checker refused the input: unknown, naming why
        return Decision("unknown", reason=f"{type(exc).__name__}: {exc}")
    return Decision(res.status, _names(res.counterexample), _sizes(res.sizes),
                    res.reason, res.method)


def unroll(expr):
    """Sums with integer bounds written out term by term (no summation formulas)."""
    if not expr.has(sympy.Sum):
        return expr

    def expand_sum(s):
        body, limits = s.function, list(s.limits)
        var, lo, hi = limits[-1]
        inner = sympy.Sum(body, *limits[:-1]) if len(limits) > 1 else body
        if not (lo.is_Integer and hi.is_Integer) or hi - lo > 200:
            raise ValueError(f"sum bounds {lo}, {hi} are not small integers")
        return sympy.Add(*[unroll(inner.xreplace({var: sympy.Integer(k)}))
                           for k in range(int(lo), int(hi) + 1)])

    return expr.replace(lambda e: isinstance(e, sympy.Sum), expand_sum)


def _quick_refutation(ctx, L, R, eqs, ranges, budget, tries=(2, 3)):
    """When a numeric look finds the sides apart at a concrete size, ask `equivalent` for a
    confirmed counterexample at that size and index values (the one standard for
    "refuted"); None when that does not refute."""
    from derivation.documents.numeric import differs
    from derivation.equivalence.checker import equivalent
    try:
        fixed = differs(L, R, eqs, list(ctx.sizes.values()), ranges, tries=tries)
    except Exception:
        return None
    if fixed is None:
        return None
    fixed = {k: sympy.Integer(v) for k, v in fixed.items()}
    try:
        Lc, Rc = (unroll(e.xreplace(fixed)) for e in (L, R))
        ec = [sympy.Eq(unroll(e.lhs.xreplace(fixed)), unroll(e.rhs.xreplace(fixed)))
              for e in eqs]
        entries = set().union(*(x.atoms(sympy.Indexed) for x in [Lc, Rc] +
                                [e.lhs for e in ec] + [e.rhs for e in ec]))
        names = {a: sympy.Symbol(show(a), real=True) for a in entries}
        v = equivalent(Lc.xreplace(names), Rc.xreplace(names),
                       assume=[e.xreplace(names) for e in ec], timeout=min(budget.slice(), 3.0))
    except Exception:
        return None
    if v.status != "refuted":
        return None
    point = {show(k): val for k, val in fixed.items()}
    point.update({str(k): val for k, val in (v.counterexample or {}).items()})
    size = {show(k): int(val) for k, val in fixed.items() if k in ctx.sizes.values()}
    return Decision("refuted", point, (size,) if size else None, v.reason,
                    f"counterexample at a concrete size confirmed by equivalent ({v.method})")


_SHALLOW_OPS = 120


def _tame(expr) -> bool:
    """Small exponents and numbers only: what may be normalised in-process without a time
    limit (anything else goes to the bounded, forked check)."""
    for p in expr.atoms(sympy.Pow):
        e = p.exp
        if e.is_Number and (not e.is_Rational or abs(e.p) > 6 or e.q > 6):
            return False
    return all(abs(n.p) < 10**6 and n.q < 10**6 for n in expr.atoms(sympy.Rational)) \
        and not expr.atoms(sympy.Float)
_DEEP_OPS = 300


def _shallow_zero(ctx, lhs, rhs, extra_ranges=None, limit=_SHALLOW_OPS) -> bool:
    """lhs - rhs is 0 in the sums normal form with defined quantities kept as atoms (real
    symbols and arrays). Sound: an identity in free atoms stays one whatever they are
    defined to be. In-process, only for small expressions; False means "not shown"."""
    from derivation.proofs.sums import is_zero
    diff = lhs - rhs
    if diff == 0:
        return True
    if sympy.count_ops(diff) > limit or diff.has(sympy.Derivative) or not _tame(diff):
        return False
    ranges = ctx.index_ranges([lhs, rhs])
    ranges.update(extra_ranges or {})
    try:
        return bool(is_zero(diff, ranges))
    except Exception:          # not shown; the full check decides
        return False


def _all_sizes_here(L, R, eqs, ranges, limit=_DEEP_OPS) -> bool | None:
    """`check_identity`'s all-sizes route (its vocabulary: arrays and symbols real, sizes
    positive integers; the normal form of L - R with the assumptions substituted) run in
    this process, without the fork of a bounded call: only for small, tame sides and
    assumptions. True: proved; False: the normal form is not 0; None: not tried or failed
    (the bounded check decides)."""
    from derivation.proofs import indexed
    if L - R == 0:
        return True
    parts = [L - R] + [e.lhs - e.rhs for e in eqs]
    if any(sympy.count_ops(p) > limit or p.has(sympy.Derivative) or not _tame(p)
           for p in parts):
        return None
    try:
        vocabulary, L, R, eqs = indexed._read([L, R], indexed._equations(eqs),
                                              indexed._ranges(ranges))
        protected = set(vocabulary.sizes) | set(vocabulary.ranges)
        return bool(indexed._all_sizes(L, R, eqs, vocabulary.ranges, protected)[0])
    except Exception:          # not shown; the full check decides
        return None


def known_assumptions(ctx, exprs, remarks=()) -> list:
    """(name, transform) pairs: transform(lhs, rhs) -> (lhs, rhs, assume) or None."""
    out = []
    arrays = set()
    for e in exprs:
        for atom in ctx.expand(e).atoms(sympy.Indexed):
            arrays.add(atom.base)
    weights = _log_weights(ctx)
    labels = []
    for key, base in ctx.free.items():
        if base in arrays and base in weights and len(key) == 3 and (key, 0) in ctx.ranges \
                and (key, 1) not in ctx.ranges:
            labels.append((key, base, ctx.ranges[(key, 0)]))
    readings = []
    for q in ctx.quantities.values():
        if q.kind != "array" or len(q.params) != 1:
            continue
        for key, base, rng in labels:
            if key[0] == q.key[0] and key[1] > q.key[1]:
                readings.append((q, base, key))
    for name, a in remarks:
        out.append((name, _assume(a)))
    for q, base, key in readings:
        out.append((f"{q.text} read as the label {key_text(key)}_{show(q.params[0])}",
                    _relabel(q, base)))
    for key, base, (lo, hi) in labels:
        k = bound("k")
        total = sympy.Eq(sympy.Sum(base[k], (k, lo, hi)), 1)
        out.append((f"Σ_k {key_text(key)}_k = 1", _assume(total)))
        out.append((f"one-hot {key_text(key)}", _one_hot(base, lo, hi)))
    for q, base, key in readings:
        for key2, base2, (lo, hi) in labels:
            k = bound("k")
            total = sympy.Eq(sympy.Sum(base2[k], (k, lo, hi)), 1)
            out.append((f"{q.text} read as the label {key_text(key)}_{show(q.params[0])} and "
                        f"Σ_k {key_text(key2)}_k = 1", _both(_relabel(q, base), _assume(total))))
    return out


def _log_weights(ctx) -> set:
    """Free arrays that weight a logarithm in a definition (labels y' in -Σ y'_i ln p_i)."""
    out = set()
    for q in ctx.quantities.values():
        if q.expr is None or not isinstance(q.expr, sympy.Basic):
            continue
        for mul in q.expr.atoms(sympy.Mul):
            if any(isinstance(f, sympy.log) for f in mul.args):
                out |= {a.base for a in mul.atoms(sympy.Indexed)}
    return out


def _assume(eq):
    return lambda lhs, rhs: (lhs, rhs, (eq,), None, None)


def _relabel(q, base):
    def transform(lhs, rhs):
        mapping = {a: base[a.indices] for a in lhs.atoms(sympy.Indexed)
                   if a.base == q.placeholder}
        return lhs.xreplace(mapping), rhs, (), None, None
    return transform


def _one_hot(base, lo, hi):
    c = sympy.Symbol("c", integer=True)

    def post(e):
        return e.replace(lambda a: isinstance(a, sympy.Indexed) and a.base == base,
                         lambda a: sympy.KroneckerDelta(a.indices[0], c))
    return lambda lhs, rhs: (lhs, rhs, (), post, {c: (lo, hi)})


def _both(f, g):
    def transform(lhs, rhs):
        lhs, rhs, a1, p1, r1 = f(lhs, rhs)
        lhs, rhs, a2, p2, r2 = g(lhs, rhs)
        post = p1 or p2
        return lhs, rhs, a1 + a2, post, (r1 or r2)
    return transform


def screen(ctx, lhs, rhs, assume=(), post=None, extra_ranges=None) -> str:
    """"differs" when lhs and rhs clearly differ numerically (sizes 2, 3; a random point
    satisfying the assumptions), else "unsure". Only a prefilter for the repair search (a
    candidate it rejects is not tried); it never proves or refutes a step."""
    from derivation.documents.numeric import differs
    L, R = ctx.expand(lhs), ctx.expand(rhs)
    eqs = [sympy.Eq(ctx.expand(e.lhs), ctx.expand(e.rhs), evaluate=False) for e in assume]
    if post is not None:
        L, R = post(L), post(R)
        eqs = [sympy.Eq(post(e.lhs), post(e.rhs), evaluate=False) for e in eqs]
    ranges = ctx.index_ranges([L, R] + [e.lhs for e in eqs])
    ranges.update(extra_ranges or {})
    try:
        found = differs(L, R, eqs, list(ctx.sizes.values()), ranges)
        return "unsure" if found is None else "differs"
    except Exception:             # a prefilter: anything odd means "try the real check"
        return "unsure"


def repairs(ctx, lhs, rhs, budget, remarks=(), assume=()):
    """The first known assumption under which lhs = rhs, as (name, Decision), or None."""
    for name, transform in known_assumptions(ctx, [lhs, rhs], remarks):
        if budget.left() <= 0.2:
            return None
        L, R, extra, post, ranges = transform(lhs, rhs)
        if screen(ctx, L, R, tuple(assume) + tuple(extra), post, ranges) == "differs":
            continue
        saved, budget.per_check = budget.per_check, min(budget.per_check, 2.0)
        try:
            d = decide(ctx, L, R, budget, tuple(assume) + tuple(extra), post, ranges)
        finally:
            budget.per_check = saved
        if d.status == "proved":
            return name, d
    return None
