"""High-precision real evaluation of SymPy expressions with mpmath.

``evaluate(expr, env, dps)`` walks the expression tree and computes its value
at the point ``env`` (Symbol -> mpmath number) with ``dps`` significant digits.
The value must be a *real, finite* number: whenever a sub-expression leaves
the reals (log of a non-positive number, a fractional power of a negative
number, division by zero, ...) or overflows the safe range, :class:`Undefined`
is raised and the caller skips the point.  No code is generated or executed:
this is a plain interpreter over the tree (no ``lambdify``/``eval``).
"""

from __future__ import annotations

import time

import mpmath
import sympy

__all__ = ["Undefined", "OutOfTime", "evaluate", "to_mpf", "EXP_LIMIT"]

# exp(t) with t above this is treated as overflow: it only happens for towers
# such as exp(exp(exp(x))) and would make later arithmetic arbitrarily costly.
EXP_LIMIT = 10_000


_DEADLINE = object()  # memo key holding the deadline (never a SymPy node)
_NEVER = float("inf")


class Undefined(ArithmeticError):
    """The expression has no real, finite value at the point."""


class OutOfTime(Exception):
    """The deadline passed during an evaluation."""


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
    if exponent_expr.is_Integer:
        k = int(exponent_expr)
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
