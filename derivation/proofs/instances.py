"""Route 2 of `check_identity`: an identity over indexed arrays checked at concrete sizes.

For each size combination of a small grid (smallest first) and every value of the free
indices in their ranges, the sums are expanded (``doit``), array entries w[1, 2] become real
symbols, and the instance lhs = rhs is decided: first exactly in normal form
(``derivation.proofs.sums.is_zero``, the assumptions substituted), else by
``derivation.equivalence.equivalent``, whose "refuted" carries a confirmed counterexample.
Every size runs in a killable child process, so the whole route keeps the deadline.
"""

from __future__ import annotations

from itertools import product

import sympy

from derivation.equivalence.budget import BudgetExceeded, run_bounded
from derivation.equivalence.checker import equivalent
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


def _instances(lhs, rhs, equations, ranges, sizes, values):
    """("ok", [(index values, proved, undecided instance or None)]) or ("skip", reason)."""
    lhs = sums.evaluate_derivatives(lhs, ranges)
    rhs = sums.evaluate_derivatives(rhs, ranges)
    size_values = dict(zip(sizes, (sympy.Integer(v) for v in values)))
    indices = list(ranges)
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
    results = []
    for point in product(*spans):
        at = {**size_values, **dict(zip(indices, (sympy.Integer(v) for v in point)))}
        L, R = (sums.evaluate_derivatives(e.xreplace(at)).doit() for e in (lhs, rhs))
        eqs = [(e.lhs.xreplace(at).doit(), e.rhs.xreplace(at).doit()) for e in equations]
        names = _entries([L, R] + [side for pair in eqs for side in pair])
        L, R = L.xreplace(names), R.xreplace(names)
        eqs = [sympy.Eq(a.xreplace(names), b.xreplace(names), evaluate=False) for a, b in eqs]
        substitutions = [s for s in (sums.solve_for_atom(sums.normal_form(e.lhs - e.rhs))
                                     for e in eqs) if s is not None]
        if sums.is_zero(L - R, {}, substitutions):
            results.append((point, True, None))
        else:
            results.append((point, False, (L, R, tuple(eqs), {v: k for k, v in names.items()})))
    return "ok", results


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
    indices = list(ranges)
    checked, notes, undecided = [], [], False
    method = "every instance at concrete sizes: exact normal form, else equivalent()"
    for values in size_grid(len(sizes)):
        if deadline.remaining() < 0.1:
            notes.append("time budget used up")
            break
        try:
            kind, payload = run_bounded(_instances, (lhs, rhs, equations, ranges, sizes, values),
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
                verdict = equivalent(L, R, assume=eqs, timeout=max(0.05, min(left, max(1.0, left / 2))))
            except (ValueError, TypeError) as exc:
                all_proved, undecided = False, True
                notes.append(f"at {_size_text(sizes, values)}: {exc}")
                continue
            where = _size_text(sizes, values)
            if indices:
                where += (" with " if where else "") + _size_text(indices, point)
            if verdict.status == "refuted":
                counterexample = dict(zip(sizes, (sympy.Integer(v) for v in values)))
                counterexample.update(zip(indices, (sympy.Integer(v) for v in point)))
                counterexample.update({back.get(s, s): v for s, v in verdict.counterexample.items()})
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
