"""Readable text for counterexample points and the values found there."""

import sympy


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
    name = sympy.latex if latex else str
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
