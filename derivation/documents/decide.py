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

    def __init__(self, total: float, per_check: float = 5.0):
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
    if not assume and post is None and _shallow_zero(ctx, lhs, rhs, extra_ranges):
        return Decision("proved", method="normal form with the defined quantities as atoms")
    L, R = ctx.expand(lhs), ctx.expand(rhs)
    eqs = tuple(sympy.Eq(ctx.expand(e.lhs), ctx.expand(e.rhs), evaluate=False) for e in assume)
    if post is not None:
        L, R = post(L), post(R)
        eqs = tuple(sympy.Eq(post(e.lhs), post(e.rhs), evaluate=False) for e in eqs)
    ranges = ctx.index_ranges([L, R] + [e.lhs for e in eqs] + [e.rhs for e in eqs])
    ranges.update(extra_ranges or {})
    free = {s for s in (L - R).free_symbols if isinstance(s, sympy.Symbol)
            and s.is_integer and s not in ranges and s not in ctx.sizes.values()}
    if free:
        return Decision("unknown", reason="the range of the index "
                        + ", ".join(sorted(map(str, free))) + " is not known")
    try:
        res = check_identity(L, R, assume=eqs, ranges=ranges, timeout=left)
    except Exception as exc:  # the checker refused the input: unknown, naming why
        return Decision("unknown", reason=f"{type(exc).__name__}: {exc}")
    return Decision(res.status, _names(res.counterexample), _sizes(res.sizes),
                    res.reason, res.method)


_SHALLOW_OPS = 120


def _shallow_zero(ctx, lhs, rhs, extra_ranges=None) -> bool:
    """lhs - rhs is 0 in the sums normal form with defined quantities kept as atoms (real
    symbols and arrays). Sound: an identity in free atoms stays one whatever they are
    defined to be. In-process, only for small expressions; False means "not shown"."""
    from derivation.proofs.sums import is_zero
    diff = lhs - rhs
    if diff == 0:
        return True
    if sympy.count_ops(diff) > _SHALLOW_OPS or diff.has(sympy.Derivative):
        return False
    ranges = ctx.index_ranges([lhs, rhs])
    ranges.update(extra_ranges or {})
    try:
        return bool(is_zero(diff, ranges))
    except Exception:          # not shown; the full check decides
        return False


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


def screen(ctx, lhs, rhs, assume=(), post=None, extra_ranges=None, *, seed=0) -> str:
    """A numeric look at lhs = rhs at sizes 2 and 3 and two random points: "differs" when
    the sides clearly differ there, else "unsure". Only a prefilter for the repair search
    (a candidate it rejects is not tried); it never proves or refutes a step."""
    import random
    rng = random.Random(seed)
    L, R = ctx.expand(lhs), ctx.expand(rhs)
    eqs = [sympy.Eq(ctx.expand(e.lhs), ctx.expand(e.rhs), evaluate=False) for e in assume]
    if post is not None:
        L, R = post(L), post(R)
        eqs = [sympy.Eq(post(e.lhs), post(e.rhs), evaluate=False) for e in eqs]
    ranges = ctx.index_ranges([L, R] + [e.lhs for e in eqs])
    ranges.update(extra_ranges or {})
    try:
        for size in (2, 3):
            fix = {s: size for s in ctx.sizes.values()}
            for idx, (lo, hi) in ranges.items():
                fix[idx] = sympy.sympify(lo).xreplace(fix)
            concrete = [e.xreplace(fix).doit() for e in (L, R)]
            concrete_eqs = [sympy.Eq(e.lhs.xreplace(fix).doit(), e.rhs.xreplace(fix).doit())
                            for e in eqs]
            atoms = set().union(*(c.atoms(sympy.Indexed, sympy.Symbol) for c in concrete))
            atoms = sorted((a for a in atoms if not (isinstance(a, sympy.Symbol) and a.is_integer)),
                           key=sympy.default_sort_key)
            point = {a: sympy.Rational(rng.randint(-9, 9), 7) for a in atoms}
            for eq in concrete_eqs:   # one linear unknown per assumption, solved exactly
                diff = eq.lhs - eq.rhs
                target = next((a for a in reversed(atoms) if diff.has(a)
                               and not sympy.diff(diff, a).has(a)), None)
                if target is None:
                    return "unsure"
                rest = {a: v for a, v in point.items() if a != target}
                slope = sympy.diff(diff, target).xreplace(rest)
                if slope == 0:
                    return "unsure"
                point[target] = -diff.xreplace({**rest, target: 0}) / slope
            a, b = (sympy.N(c.xreplace(point), 30) for c in concrete)
            if not (a.is_number and b.is_number and a.is_real and b.is_real):
                return "unsure"
            if abs(a - b) > 1e-12 * (1 + abs(a) + abs(b)):
                return "differs"
    except Exception:             # a prefilter: anything odd means "try the real check"
        return "unsure"
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
