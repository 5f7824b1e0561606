r"""A fast numeric look at an identity over arrays and sums (mpmath, 30 digits): the repair
search's prefilter. It never proves or refutes anything; "differs" only means a candidate
assumption is not worth a full check.
"""

from __future__ import annotations

import random

import mpmath
import sympy

__all__ = ["differs"]


class _Skip(Exception):
    pass


class _Env:
    def __init__(self, fixed, seed):
        self.fixed = dict(fixed)       # Symbol -> int (sizes, indices)
        self.values = {}               # (base, idx) or Symbol -> mpf
        self.rng = random.Random(seed)

    def value(self, key):
        if key not in self.values:
            self.values[key] = mpmath.mpf(self.rng.randint(-9, 9)) / 7
        return self.values[key]


def _ev(e, env):
    if e.is_Integer or e.is_Rational:
        return mpmath.mpf(e.p) / e.q
    if e.is_Float:
        return mpmath.mpf(str(e))
    if e is sympy.E:
        return mpmath.e
    if e is sympy.pi:
        return mpmath.pi
    if isinstance(e, sympy.Symbol):
        if e in env.fixed:
            return mpmath.mpf(env.fixed[e])
        if e.is_integer:
            raise _Skip
        return env.value(e)
    if isinstance(e, sympy.Indexed):
        idx = tuple(int(_ev(i, env)) for i in e.indices)
        return env.value((e.base, idx))
    if isinstance(e, sympy.Add):
        return mpmath.fsum(_ev(a, env) for a in e.args)
    if isinstance(e, sympy.Mul):
        out = mpmath.mpf(1)
        for a in e.args:
            out *= _ev(a, env)
        return out
    if isinstance(e, sympy.Pow):
        return mpmath.power(_ev(e.base, env), _ev(e.exp, env))
    if isinstance(e, sympy.exp):
        return mpmath.exp(_ev(e.args[0], env))
    if isinstance(e, sympy.log) and len(e.args) == 1:
        v = _ev(e.args[0], env)
        if v <= 0:
            raise _Skip
        return mpmath.log(v)
    if isinstance(e, sympy.KroneckerDelta):
        return mpmath.mpf(int(_ev(e.args[0], env) == _ev(e.args[1], env)))
    if isinstance(e, sympy.Sum):
        return _sum(e.function, list(e.limits), env)
    raise _Skip


def _sum(body, limits, env):
    var, lo, hi = limits[0]
    lo, hi = int(_ev(lo, env)), int(_ev(hi, env))
    if hi - lo > 50:
        raise _Skip
    total = mpmath.mpf(0)
    saved = env.fixed.get(var)
    for k in range(lo, hi + 1):
        env.fixed[var] = k
        total += _ev(body, env) if len(limits) == 1 else _sum(body, limits[1:], env)
    if saved is None:
        env.fixed.pop(var, None)
    else:
        env.fixed[var] = saved
    return total


def _satisfy(eq, env):
    """Make one assumption hold by solving it for one entry it is linear in."""
    diff = eq.lhs - eq.rhs
    _ev(diff, env)                            # creates the entries it uses
    for key in sorted(env.values, key=str, reverse=True):
        old = env.values[key]
        f = []
        for t in (0, 1, 2):
            env.values[key] = mpmath.mpf(t)
            f.append(_ev(diff, env))
        if abs(f[2] - 2 * f[1] + f[0]) < mpmath.mpf(10) ** -20 and abs(f[1] - f[0]) > 1e-20:
            env.values[key] = -f[0] / (f[1] - f[0])
            return
        env.values[key] = old
    raise _Skip


def differs(L, R, eqs, sizes, ranges, seed=0, tries=(2, 3)):
    """The {size/index symbol: value} (sizes `tries`, 2 then 3 by default; indices at their
    lowest values) at which L and R clearly differ at a random point satisfying the
    equations, or None. The point at each size depends on the size and `seed` only."""
    mpmath.mp.dps = 30
    for size in tries:
        fixed = {s: size for s in sizes}
        try:
            for idx, (lo, hi) in ranges.items():
                fixed[idx] = int(_ev(sympy.sympify(lo), _Env(fixed, 0)))
            env = _Env(fixed, seed + size)
            for eq in eqs:
                _satisfy(eq, env)
            a, b = _ev(L, env), _ev(R, env)
        except (_Skip, ZeroDivisionError, ValueError, OverflowError, TypeError):
            continue
        if not (mpmath.isfinite(a) and mpmath.isfinite(b)):
            continue
        if abs(a - b) > mpmath.mpf(10) ** -12 * (1 + abs(a) + abs(b)):
            return fixed
    return None
