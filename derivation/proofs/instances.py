"""Route 2 of `check_identity`: an identity over indexed arrays checked at concrete sizes.

For each size combination of a small grid (smallest first) and every value of the free
indices in their ranges, the sums are expanded (``doit``), array entries w[1, 2] become real
symbols, and the instance lhs = rhs is decided: first exactly in normal form
(``derivation.proofs.sums.is_zero``, the assumptions substituted), else by the checker's
confirmed counterexample search (``refute``) and then ``equivalent``: "refuted" only with a
counterexample confirmed as ``equivalent`` confirms. Every size runs in a bounded worker
process (killed at its deadline), so the whole route keeps the deadline.
"""

from __future__ import annotations

import random
from itertools import product

import sympy

from derivation.equivalence.budget import BudgetExceeded, run_bounded

try:  # long-lived checker processes: the same hard bound without a fork per call
    from derivation.equivalence.worker import call as bounded_call
except ImportError:  # pragma: no cover - older checker
    bounded_call = run_bounded
from derivation.equivalence.checker import equivalent

try:  # the one standard for "refuted": a counterexample confirmed as `equivalent` does
    from derivation.equivalence.confirm import refute
except ImportError:  # pragma: no cover - older checker: equivalent alone
    refute = None
from derivation.proofs import sums

__all__ = ["check_at_sizes", "size_grid"]

#: largest value of each size in the grid, by the number of size symbols
_TOPS = {1: (5,), 2: (4, 3), 3: (3, 3, 2)}
_MAX_SIZES = 40            # size combinations at most
_MAX_INDEX_VALUES = 200    # index combinations per size at most
_MINIMUM = 2               # every combination with all sizes <= this must be checked
_EQUIVALENT_GRACE = 0.35   # equivalent() returns within its timeout + 0.3 s


def size_grid(count: int) -> list:
    """Size combinations, smallest first: 1..5 for one size, n 1..4 x m 1..3 for two, ..."""
    if count == 0:
        return [()]
    tops = _TOPS.get(count, (2,) * count)
    combos = sorted(product(*(range(1, t + 1) for t in tops)), key=lambda c: (sum(c), c))
    return combos[:_MAX_SIZES]


def _entries(exprs):
    """{w[1, 2]: real symbol "w[1, 2]"} for the array entries with integer indices."""
    entries = set()
    for e in exprs:
        entries |= {a for a in e.atoms(sympy.Indexed) if all(k.is_Integer for k in a.indices)}
    return {a: sympy.Symbol(str(a), real=a.is_real is not False) for a in entries}


def expand_sums(expr):
    """Every Sum (and Product) with integer bounds written out term by term (innermost
    first; Karr's convention for hi < lo, as SymPy's ``Sum`` and ``Product``), without
    SymPy's ``doit`` and its assumption queries. Those with symbolic bounds stay."""
    if not expr.args or expr.is_Atom:
        return expr
    args = tuple(expand_sums(a) for a in expr.args)
    if args != expr.args:
        expr = expr.func(*args)
    if not isinstance(expr, (sympy.Sum, sympy.Product)):
        return expr
    kind = type(expr)
    combine = sympy.Add if kind is sympy.Sum else sympy.Mul
    f, limits = expr.function, list(expr.limits)
    while limits:
        var, lo, hi = limits[0]
        if not (lo.is_Integer and hi.is_Integer):
            return kind(f, *limits)
        lo, hi = int(lo), int(hi)
        if hi >= lo:
            f = combine(*[f.xreplace({var: sympy.Integer(v)}) for v in range(lo, hi + 1)])
        else:   # Karr: Σ_{lo}^{hi} = -Σ_{hi+1}^{lo-1}, Π_{lo}^{hi} = 1/Π_{hi+1}^{lo-1}
            f = combine(*[f.xreplace({var: sympy.Integer(v)}) for v in range(hi + 1, lo)])
            f = -f if kind is sympy.Sum else 1 / f
        limits = limits[1:]
        f = expand_sums(f)        # inner sums whose bounds were the variable just fixed
    return f


def split_indices(lhs, rhs, equations, ranges):
    """(claim indices, universal indices): an index free in an assumption but not in the
    claim is "for every" value, so the assumption holds at each of them ("sum_i y_i^(k) = 1
    for every example k"); the claim's own free indices are checked value by value."""
    claim_free = lhs.free_symbols | rhs.free_symbols
    universal = [k for k in ranges if k not in claim_free
                 and any(k in e.free_symbols for e in equations)]
    return [k for k in ranges if k in claim_free], universal


def _instances(lhs, rhs, equations, ranges, sizes, values):
    """("ok", [(index values, proved, undecided instance or None)]) or ("skip", reason)."""
    # bound variables renamed first: no substitution of a free index or of an outer
    # summation value can reach a sum that binds a variable of the same name
    lhs = sums.canonical(sums.evaluate_derivatives(lhs, ranges))
    rhs = sums.canonical(sums.evaluate_derivatives(rhs, ranges))
    equations = [sympy.Eq(sums.canonical(e.lhs), sums.canonical(e.rhs), evaluate=False)
                 for e in equations]
    size_values = dict(zip(sizes, (sympy.Integer(v) for v in values)))
    indices, universal = split_indices(lhs, rhs, equations, ranges)
    for k in universal:
        lo, hi = (sympy.sympify(b).xreplace(size_values) for b in ranges[k])
        if not (lo.is_Integer and hi.is_Integer):
            return "skip", f"the range {lo}..{hi} of {k} is not concrete"
        equations = [inst for e in equations
                     for inst in ([e.xreplace({k: sympy.Integer(v)})
                                   for v in range(int(lo), int(hi) + 1)]
                                  if k in e.free_symbols else [e])]
    spans = []
    for k in indices:
        lo, hi = (sympy.sympify(b).xreplace(size_values) for b in ranges[k])
        if not (lo.is_Integer and hi.is_Integer):
            return "skip", f"the range {lo}..{hi} of {k} is not concrete"
        spans.append(range(int(lo), int(hi) + 1))
    count = 1
    for span in spans:
        count *= len(span)
    if count > _MAX_INDEX_VALUES:
        return "skip", f"{count} index combinations"
    # the sums written out once per size, the free indices still symbols
    at_size = [expand_sums(e.xreplace(size_values)) for e in (lhs, rhs)]
    eq_size = [(expand_sums(e.lhs.xreplace(size_values)), expand_sums(e.rhs.xreplace(size_values)))
               for e in equations]
    results = []
    rng = random.Random(0)
    for point in product(*spans):
        at = dict(zip(indices, (sympy.Integer(v) for v in point)))
        L, R = (expand_sums(e.xreplace(at)) for e in at_size)
        eqs = [(expand_sums(a.xreplace(at)), expand_sums(b.xreplace(at))) for a, b in eq_size]
        names = _entries([L, R] + [side for pair in eqs for side in pair])
        L, R = L.xreplace(names), R.xreplace(names)
        eqs = [sympy.Eq(a.xreplace(names), b.xreplace(names), evaluate=False) for a, b in eqs]
        undecided = (L, R, tuple(eqs), {v: k for k, v in names.items()})
        if not eqs and _looks_different(L - R, rng):
            results.append((point, False, undecided))     # a refutation to confirm
            continue
        substitutions = [s for s in (sums.solve_for_atom(sums.normal_form(e.lhs - e.rhs))
                                     for e in eqs) if s is not None]
        if sums.is_zero(L - R, {}, substitutions):
            results.append((point, True, None))
        else:
            results.append((point, False, undecided))
    return "ok", results


def _looks_different(difference, rng) -> bool:
    """|difference| > 1e-6 at a random rational point, at 30 digits (a hint, never a
    verdict: the refutation is confirmed by `refute` / `equivalent`)."""
    point = {s: sympy.Rational(rng.randint(-12, 12), 8) for s in difference.free_symbols}
    try:
        value = sympy.N(difference.xreplace(point), 30)
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):
        return False
    return bool(value.is_real and value.is_finite and abs(value) > 1e-6)


class _Found:
    """A refutation found by `refute`, shaped like a Verdict."""

    status = "refuted"

    def __init__(self, found):
        self.counterexample = dict(found.point)
        self.reason = f"lhs - rhs = {found.difference} at the counterexample."
        self.method = f"counterexample ({found.how})"


def _decide(L, R, eqs, seconds):
    """A confirmed counterexample search first (`refute`, cheap), then `equivalent`."""
    if refute is not None:
        found = refute(L, R, assume=eqs, timeout=max(0.05, min(seconds / 3, 1.0)))
        if found is not None:
            return _Found(found)
    return equivalent(L, R, assume=eqs, timeout=seconds)


def _size_text(sizes, values):
    return ", ".join(f"{s} = {v}" for s, v in zip(sizes, values))


def check_at_sizes(lhs, rhs, equations, vocabulary, deadline):
    """(status, sizes checked, counterexample, reason, method) for route 2.

    ``vocabulary`` gives ``sizes`` (size symbols) and ``ranges`` ({index: (low, high)}),
    ``deadline`` a ``Deadline``. "proved" needs every instance of every size checked to be
    proved and at least all sizes <= 2 checked; "refuted" needs a counterexample confirmed
    by `equivalent`.
    """
    sizes, ranges = vocabulary.sizes, vocabulary.ranges
    indices, _ = split_indices(lhs, rhs, equations, ranges)
    loose = vocabulary.loose      # computed when the input was read (bounded for large ones)
    method = "every instance at concrete sizes: exact normal form, else a confirmed search"
    if loose:
        names = ", ".join(sorted(map(str, loose)))
        return ("unknown", (), None, f"not decided at concrete sizes: the range of the index "
                f"{names} is not given (pass ranges={{{names.split(', ')[0]}: (low, high)}})",
                method)
    checked, notes, undecided = [], [], False
    for values in size_grid(len(sizes)):
        if deadline.remaining() < 0.1:
            notes.append("time budget used up")
            break
        try:
            kind, payload = bounded_call(_instances, (lhs, rhs, equations, ranges, sizes, values),
                                        deadline.remaining())
        except BudgetExceeded:
            notes.append(f"time budget used up at {_size_text(sizes, values) or 'the instance'}")
            break
        except RuntimeError as exc:
            notes.append(f"at {_size_text(sizes, values)}: {exc}")
            undecided = True
            continue
        if kind == "skip":
            notes.append(f"{_size_text(sizes, values)} not checked ({payload})")
            continue
        all_proved = True
        for point, proved, instance in payload:
            if proved:
                continue
            L, R, eqs, back = instance
            left = deadline.remaining() - _EQUIVALENT_GRACE
            if left < 0.05:
                all_proved, undecided = False, True
                notes.append("time budget used up")
                break
            try:
                verdict = _decide(L, R, eqs, max(0.05, min(left, max(1.0, left / 2))))
            except (ValueError, TypeError) as exc:
                all_proved, undecided = False, True
                notes.append(f"at {_size_text(sizes, values)}: {exc}")
                continue
            where = _size_text(sizes, values)
            if indices:
                where += (" with " if where else "") + _size_text(indices, point)
            if verdict.status == "proved":        # exact, by the checker's normalisations
                continue
            if verdict.status == "refuted":
                counterexample = dict(zip(sizes, (sympy.Integer(v) for v in values)))
                counterexample.update(zip(indices, (sympy.Integer(v) for v in point)))
                counterexample.update({back.get(s, s): v
                                       for s, v in verdict.counterexample.items()})
                reason = (f"refuted at {where}: {verdict.reason}" if where
                          else f"refuted: {verdict.reason}")
                sizes_seen = tuple(checked) + (dict(zip(sizes, values)),)
                return "refuted", sizes_seen, counterexample, reason, verdict.method
            all_proved, undecided = False, True
            notes.append(f"at {where}: {verdict.reason}")
        if all_proved:
            checked.append(dict(zip(sizes, values)))
        elif deadline.remaining() < 0.1:
            break
    minimum = [c for c in size_grid(len(sizes)) if all(v <= _MINIMUM for v in c)]
    done = {tuple(c.values()) for c in checked}
    if not undecided and all(c in done for c in minimum):
        return "proved", tuple(checked), None, "every instance proved at the sizes checked", method
    if not checked and not notes:
        notes.append("no size could be checked")
    shown = "; ".join(notes[:3]) + (f"; ... ({len(notes) - 3} more)" if len(notes) > 3 else "")
    return "unknown", tuple(checked), None, f"not decided at concrete sizes: {shown}", method
