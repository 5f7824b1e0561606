"""High-precision real evaluation of SymPy expressions with mpmath.

``evaluate(expr, env, dps)`` walks the expression tree and computes its value
at the point ``env`` (Symbol -> mpmath number) with ``dps`` significant digits.
The value must be a *real, finite* number: whenever a sub-expression leaves
the reals (log of a non-positive number, a fractional power of a negative
number, division by zero, ...) or overflows the safe range, :class:`Undefined`
is raised and the caller skips the point.  No code is generated or executed:
this is a plain interpreter over the tree (no ``lambdify``/``eval``).

``evaluate_interval(expr, env, dps)`` does the same in interval arithmetic
(``mpmath.iv``): every operation rounds outward, so the returned interval is
guaranteed to contain the exact value.  It is what *confirms* a counterexample:
if the intervals of the two sides are disjoint, the sides differ, however much
cancellation the point evaluation suffered (tanh(100) - 1 is exactly 0 at 80
digits, but its interval still contains the true -2.8e-87).  Functions that
``mpmath.iv`` lacks are built from ``exp``/``log`` (sinh, cosh, tanh) or use
monotonicity (atan, asin, ... evaluated at both ends at ``dps + 20`` digits and
widened by ``10**-(dps+5)`` relative); any other function raises
:class:`NoInterval` (the caller then falls back to point evaluation).
"""

from __future__ import annotations

import contextlib
import time

import mpmath
import sympy

__all__ = ["Undefined", "OutOfTime", "NoInterval", "evaluate", "evaluate_interval", "to_mpf",
           "to_interval", "bounds", "interval_dps", "EXP_LIMIT"]

# exp(t) with t above this is treated as overflow: it only happens for towers
# such as exp(exp(exp(x))) and would make later arithmetic arbitrarily costly.
EXP_LIMIT = 10_000


_DEADLINE = object()  # memo key holding the deadline (never a SymPy node)
_NEVER = float("inf")


class Undefined(ArithmeticError):
    """The expression has no real, finite value at the point."""


class OutOfTime(Exception):
    """The deadline passed during an evaluation."""


class NoInterval(Exception):
    """The expression uses a function without an interval version."""


_UNARY = {
    "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan, "cot": mpmath.cot,
    "sec": mpmath.sec, "csc": mpmath.csc, "asin": mpmath.asin, "acos": mpmath.acos,
    "atan": mpmath.atan, "sinh": mpmath.sinh, "cosh": mpmath.cosh,
    "tanh": mpmath.tanh, "asinh": mpmath.asinh, "acosh": mpmath.acosh,
    "atanh": mpmath.atanh, "Abs": mpmath.fabs, "sign": mpmath.sign,
    "floor": mpmath.floor, "ceiling": mpmath.ceil, "erf": mpmath.erf,
}


def to_mpf(number, dps: int):
    """A SymPy number (Rational, Float, constant) as an mpmath ``mpf``."""
    if isinstance(number, sympy.Rational):
        return mpmath.mpf(int(number.p)) / int(number.q)
    if isinstance(number, sympy.Float):
        return number._to_mpmath(mpmath.mp.prec)
    value = sympy.N(number, dps + 5)  # pi, E, exp(2), ...
    if not value.is_real or not isinstance(value, sympy.Float):
        raise Undefined(f"{number} is not a real number")
    return value._to_mpmath(mpmath.mp.prec)


def _check(value):
    if isinstance(value, mpmath.mpc):
        if value.imag != 0:
            raise Undefined("complex value")
        value = value.real
    if not mpmath.isfinite(value):
        raise Undefined("infinite value")
    return value


def _pow(base, exponent, exponent_expr):
    if exponent_expr.is_Integer or (exponent_expr.is_integer and exponent == int(exponent)):
        # a declared-integer exponent (k integer: (-2)**k) is real at negative bases too
        k = int(exponent_expr) if exponent_expr.is_Integer else int(exponent)
        if base == 0 and k < 0:
            raise Undefined("division by zero")
        return base ** k
    if base < 0:
        raise Undefined("fractional power of a negative number")
    if base == 0:
        if exponent <= 0:
            raise Undefined("0 to a non-positive power")
        return mpmath.mpf(0)
    return mpmath.power(base, exponent)


def _eval(expr, env, dps, memo):
    if memo.get(_DEADLINE, _NEVER) < time.monotonic():
        raise OutOfTime("deadline passed while evaluating")
    try:
        return memo[expr]
    except KeyError:
        pass
    if expr.is_Symbol:
        try:
            value = env[expr]
        except KeyError:
            raise Undefined(f"no value for symbol {expr}") from None
    elif expr.is_Number or expr.is_NumberSymbol:
        if expr.is_Number and not expr.is_finite:
            raise Undefined(f"{expr} is not finite")
        value = to_mpf(expr, dps)
    elif expr.is_Add:
        value = mpmath.fsum(_eval(a, env, dps, memo) for a in expr.args)
    elif expr.is_Mul:
        value = mpmath.mpf(1)
        for a in expr.args:
            value = value * _eval(a, env, dps, memo)
    elif expr.is_Pow:
        base = _eval(expr.base, env, dps, memo)
        exponent = _eval(expr.exp, env, dps, memo)
        value = _pow(base, exponent, expr.exp)
    elif isinstance(expr, sympy.exp):
        arg = _eval(expr.args[0], env, dps, memo)
        if arg > EXP_LIMIT:
            raise Undefined("exp overflow (outside the sampled range)")
        value = mpmath.exp(arg)
    elif isinstance(expr, sympy.log):
        arg = _eval(expr.args[0], env, dps, memo)
        if arg <= 0:
            raise Undefined("log of a non-positive number")
        value = mpmath.log(arg)
    elif isinstance(expr, sympy.KroneckerDelta) and len(expr.args) == 2:
        i, j = (_eval(a, env, dps, memo) for a in expr.args)
        value = mpmath.mpf(1 if i == j else 0)
    elif isinstance(expr, (sympy.Max, sympy.Min)):
        values = [_eval(a, env, dps, memo) for a in expr.args]
        value = max(values) if isinstance(expr, sympy.Max) else min(values)
    elif isinstance(expr, sympy.Function) and type(expr).__name__ in _UNARY and len(expr.args) == 1:
        arg = _eval(expr.args[0], env, dps, memo)
        try:
            value = _UNARY[type(expr).__name__](arg)
        except (ValueError, ZeroDivisionError) as exc:
            raise Undefined(str(exc)) from None
    elif expr.is_Function or expr.is_Number:
        # rare functions: let SymPy evaluate them on the numeric arguments
        args = [sympy.Float(_eval(a, env, dps, memo), dps) for a in expr.args]
        result = expr.func(*args).evalf(dps)
        if not isinstance(result, sympy.Float):
            raise Undefined(f"cannot evaluate {expr.func} numerically")
        value = result._to_mpmath(mpmath.mp.prec)
    else:
        raise Undefined(f"cannot evaluate {type(expr).__name__} numerically")
    value = _check(value)
    memo[expr] = value
    return value


def evaluate(expr, env, dps: int = 40, deadline=None):
    """Real value of ``expr`` at the point ``env`` with ``dps`` digits.

    Parameters
    ----------
    expr : sympy.Expr
    env : dict
        Symbol -> mpmath ``mpf`` (values of all free symbols).
    dps : int
        Working precision, decimal digits.
    deadline : float, optional
        ``time.monotonic()`` value after which :class:`OutOfTime` is raised.

    Returns
    -------
    mpmath.mpf
        The value, computed at ``dps`` digits.

    Raises
    ------
    Undefined
        If the expression is not real and finite at the point.
    """
    with mpmath.workdps(dps):
        try:
            memo = {} if deadline is None else {_DEADLINE: deadline}
            return _eval(expr, env, dps, memo)
        except (ZeroDivisionError, OverflowError, ValueError, RecursionError) as exc:
            raise Undefined(f"{type(exc).__name__}: {exc}") from None


# ---- interval arithmetic ---------------------------------------------------------------
_IV = mpmath.iv

# monotone functions: name -> (point function, increasing?, domain (lo, hi) or None)
_MONOTONE = {
    "atan": (mpmath.atan, True, None), "asinh": (mpmath.asinh, True, None),
    "erf": (mpmath.erf, True, None), "asin": (mpmath.asin, True, (-1, 1)),
    "acos": (mpmath.acos, False, (-1, 1)), "acosh": (mpmath.acosh, True, (1, None)),
    "atanh": (mpmath.atanh, True, (-1, 1)),
}


def bounds(interval):
    """The endpoints ``(a, b)`` of an ``mpmath.iv`` interval as ``mpf`` numbers."""
    a, b = interval._mpi_
    return mpmath.mp.make_mpf(a), mpmath.mp.make_mpf(b)


def to_interval(number, dps: int):
    """An interval containing the SymPy number (Rational, Float or constant)."""
    if isinstance(number, sympy.Rational):
        value = _IV.mpf(int(number.p))
        return value if number.q == 1 else value / int(number.q)
    if isinstance(number, sympy.Float):
        return _IV.mpf(number._to_mpmath(number._prec))
    if number is sympy.pi:
        return _IV.pi
    if number is sympy.E:
        return _IV.e
    with mpmath.workdps(dps + 20):  # other constants: SymPy's value, widened
        value = to_mpf(number, dps + 20)
        radius = abs(value) * mpmath.mpf(10) ** (-(dps + 5))
        return _IV.mpf([value - radius, value + radius])


def _finite(interval):
    a, b = bounds(interval)
    if not (mpmath.isfinite(a) and mpmath.isfinite(b)):
        raise Undefined("the interval is unbounded (a pole, or an overflow)")
    return interval


def _monotone(name, arg, dps):
    func, increasing, domain = _MONOTONE[name]
    a, b = bounds(arg)
    if domain is not None:
        lo, hi = domain
        if (lo is not None and a < lo) or (hi is not None and b > hi):
            raise Undefined(f"{name} outside its domain")
    with mpmath.workdps(dps + 20):
        fa, fb = func(a), func(b)
        if not increasing:
            fa, fb = fb, fa
        tiny = mpmath.mpf(10) ** (-(dps + 5))
        return _IV.mpf([fa - abs(fa) * tiny - tiny ** 2, fb + abs(fb) * tiny + tiny ** 2])


def _ipow(base, exponent, exponent_expr):
    a, b = bounds(base)
    ea, eb = bounds(exponent)
    if exponent_expr.is_Integer or (exponent_expr.is_integer and ea == eb and ea == int(ea)):
        k = int(exponent_expr) if exponent_expr.is_Integer else int(ea)
        if k < 0 and a <= 0 <= b:
            raise Undefined("division by an interval containing 0")
        return base ** k
    if a == b == 0:
        if bounds(exponent)[0] > 0:
            return _IV.mpf(0)
        raise Undefined("0 to a non-positive power")
    if a <= 0:
        raise Undefined("fractional power of a number that may be negative")
    return _IV.power(base, exponent)


def _ieval(expr, env, dps, memo):
    if memo.get(_DEADLINE, _NEVER) < time.monotonic():
        raise OutOfTime("deadline passed while evaluating")
    try:
        return memo[expr]
    except KeyError:
        pass
    name = type(expr).__name__
    if expr.is_Symbol:
        try:
            value = env[expr]
        except KeyError:
            raise Undefined(f"no value for symbol {expr}") from None
    elif expr.is_Number or expr.is_NumberSymbol:
        if expr.is_Number and not expr.is_finite:
            raise Undefined(f"{expr} is not finite")
        value = to_interval(expr, dps)
    elif expr.is_Add:
        value = _IV.mpf(0)
        for a in expr.args:
            value = value + _ieval(a, env, dps, memo)
    elif expr.is_Mul:
        value = _IV.mpf(1)
        for a in expr.args:
            value = value * _ieval(a, env, dps, memo)
    elif expr.is_Pow:
        base = _ieval(expr.base, env, dps, memo)
        value = _ipow(base, _ieval(expr.exp, env, dps, memo), expr.exp)
    elif isinstance(expr, sympy.exp):
        arg = _ieval(expr.args[0], env, dps, memo)
        if bounds(arg)[1] > EXP_LIMIT:
            raise Undefined("exp overflow (outside the sampled range)")
        value = _IV.exp(arg)
    elif isinstance(expr, sympy.log):
        arg = _ieval(expr.args[0], env, dps, memo)
        if not bounds(arg)[0] > 0:
            raise Undefined("log of a number that may be non-positive")
        value = _IV.log(arg)
    elif name in ("sin", "cos", "tan", "cot", "sec", "csc"):
        value = getattr(_IV, name)(_ieval(expr.args[0], env, dps, memo))
    elif name in ("sinh", "cosh", "tanh"):
        arg = _ieval(expr.args[0], env, dps, memo)
        if bounds(arg)[1] > EXP_LIMIT / 2 or bounds(arg)[0] < -EXP_LIMIT / 2:
            raise Undefined(f"{name} overflow (outside the sampled range)")
        if name == "sinh":    # (e^t - e^-t)/2: the interval hull of an increasing function
            value = (_IV.exp(arg) - _IV.exp(-arg)) / 2
        elif name == "cosh":  # (e^t + e^-t)/2
            value = (_IV.exp(arg) + _IV.exp(-arg)) / 2
        else:                 # 1 - 2/(e^{2t} + 1): increasing, no cancellation of two exps
            value = 1 - 2 / (_IV.exp(2 * arg) + 1)
    elif name in _MONOTONE:
        value = _monotone(name, _ieval(expr.args[0], env, dps, memo), dps)
    elif name == "Abs":
        value = _IV.fabs(_ieval(expr.args[0], env, dps, memo))
    elif name in ("sign", "floor", "ceiling"):
        a, b = bounds(_ieval(expr.args[0], env, dps, memo))
        func = {"sign": mpmath.sign, "floor": mpmath.floor, "ceiling": mpmath.ceil}[name]
        if func(a) != func(b):
            raise Undefined(f"{name} is not constant on the interval")
        value = _IV.mpf(func(a))
    elif isinstance(expr, sympy.KroneckerDelta) and len(expr.args) == 2:
        (ia, ib), (ja, jb) = (bounds(_ieval(a, env, dps, memo)) for a in expr.args)
        if ia == ib == ja == jb:
            value = _IV.mpf(1)
        elif ib < ja or jb < ia:
            value = _IV.mpf(0)
        else:
            raise Undefined("KroneckerDelta of overlapping intervals")
    elif isinstance(expr, (sympy.Max, sympy.Min)):
        ends = [bounds(_ieval(a, env, dps, memo)) for a in expr.args]
        pick = max if isinstance(expr, sympy.Max) else min
        value = _IV.mpf([pick(a for a, _ in ends), pick(b for _, b in ends)])
    else:
        raise NoInterval(f"no interval version of {name}")
    value = _finite(value)
    memo[expr] = value
    return value


@contextlib.contextmanager
def interval_dps(dps: int):
    """Set the precision of ``mpmath.iv`` (its own global, apart from ``mpmath.mp``)."""
    old = _IV.prec
    _IV.dps = dps
    try:
        yield
    finally:
        _IV.prec = old


def evaluate_interval(expr, env, dps: int = 80, deadline=None):
    """An interval (``mpmath.iv.mpf``) guaranteed to contain ``expr`` at ``env``.

    Parameters
    ----------
    expr : sympy.Expr
    env : dict
        Symbol -> ``mpmath.iv.mpf`` interval (exact points are zero-width intervals).
    dps : int
        Working precision, decimal digits (the interval width is about
        ``10**-dps`` relative, more after cancellation).
    deadline : float, optional
        ``time.monotonic()`` value after which :class:`OutOfTime` is raised.

    Raises
    ------
    Undefined
        If the value cannot be certified real and finite (e.g. a log whose
        argument interval reaches 0).
    NoInterval
        If a function has no interval version.
    """
    with interval_dps(dps):
        try:
            memo = {} if deadline is None else {_DEADLINE: deadline}
            return _ieval(expr, env, dps, memo)
        except (ZeroDivisionError, OverflowError, ValueError, RecursionError) as exc:
            raise Undefined(f"{type(exc).__name__}: {exc}") from None
