"""Readable text for counterexample points, the values found there, and formulas."""

import sympy
from sympy.printing.str import StrPrinter


class _Printer(StrPrinter):
    """SymPy's str printer, but Euler's number is written ``e`` (``exp(1)`` when a variable
    named ``e`` is present), so that a variable the user called ``E`` (energy, an error)
    cannot be mistaken for it."""

    def __init__(self, euler="e"):
        super().__init__()
        self._euler = euler

    def _print_Exp1(self, expr):
        return self._euler


def format_expr(expr) -> str:
    """A formula as text: SymPy's ``sstr`` with Euler's number shown as ``e``.

    A symbol named ``E`` stays ``E``; Euler's number is ``e``, or ``exp(1)`` when the
    formula also has a symbol named ``e``.
    """
    if not isinstance(expr, sympy.Basic):
        return str(expr)
    names = {str(s) for s in expr.free_symbols}
    return _Printer("exp(1)" if "e" in names else "e").doprint(expr)


def format_point(point: dict, *, latex: bool = False, zeros: bool = False) -> str:
    """The non-zero coordinates of a point, then "(all other symbols 0)".

    A counterexample of ``derivation.equivalent`` is a mapping symbol -> value; most
    coordinates are 0, so only the others are listed (sorted by name), unless ``zeros``
    asks for every coordinate (for short points where the zeros are the point).
    """
    if not point:
        return "(none)"
    items = sorted(point.items(), key=lambda kv: str(kv[0]))
    shown = [(s, v) for s, v in items if zeros or v != 0]
    name = sympy.latex if latex else format_expr
    if not shown:
        return r"\text{all symbols } 0" if latex else "all symbols 0"
    text = ", ".join(f"{name(s)} = {format_value(v)}" for s, v in shown)
    if len(shown) < len(items):
        text += r" \quad (\text{all other symbols } 0)" if latex else " (all other symbols 0)"
    return text


def format_value(value) -> str:
    """An exact integer or small fraction as it is; anything else to 12 significant digits."""
    if value is None:
        return "?"
    try:
        if isinstance(value, (int, sympy.Integer)):
            return str(int(value))
        if isinstance(value, sympy.Rational) and value.q < 1000:
            return str(value)
        return f"{float(value):.12g}"
    except (TypeError, ValueError):
        return str(value)
