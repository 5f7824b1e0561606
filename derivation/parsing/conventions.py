r"""Where the conventions of mathematical writing disagree: one place for both lowerings.

``parse``'s lowering (``derivation.parsing.lower``) and the document reader's
(``derivation.documents.notation``) read the same AST; a construct whose meaning the
conventions do not fix is refused by both, with the same message, never read one way
silently. Each function returns ``(node, message)`` for the first ambiguity found, or None;
``quote(node)`` gives a node's source text.

- ``|a|b|c|``: |a|·b·|c| or |a·|b|·c|?
- a derivative *operator* followed by more factors (``\frac{d}{dx} \sin x \cos x``): does it
  apply to cos x too?
- ``\sin x \cdot y``: inside the argument (SymPy's printer) or outside (TeX readers)?
- two numbers side by side (``1\,000``, ``1.2.3``): a digit group or a product?
- a fraction that looks like a derivative but is not one (``\frac{d}{dx^2} f``);
- ``\sin x / 2``: sin(x)/2 or sin(x/2)?
- ``x^T``: a transpose or a power?
"""

from __future__ import annotations

from derivation.parsing import ast as A

__all__ = ["product_ambiguity", "division_ambiguity", "power_ambiguity", "leading_d"]


def product_ambiguity(node: A.Mul, quote, text: str, *, any_derivative: bool = True):
    """The first ambiguous juxtaposition in the product ``node`` (``text``: the source)."""
    factors = node.factors
    explicit = (False, *node.explicit[1:], *[False] * len(factors))
    bars = [k for k, f in enumerate(factors)
            if isinstance(f, A.Abs) and text.startswith("|", f.start)]
    if any(b - a > 1 for a, b in zip(bars, bars[1:])):
        return node, (f"{quote(node)!r} is ambiguous: |a|b|c| is |a|·b·|c| or |a·|b|·c|; "
                      f"write \\left| ... \\right| or brackets")
    for k, (f, g) in enumerate(zip(factors, factors[1:]), 1):
        if isinstance(f, A.Derivative) and (any_derivative or f.operator):
            return g, (f"{quote(node)!r}: does the derivative apply to {quote(g)!r} too? (the "
                       f"conventions disagree) write the operand in brackets, "
                       f"\\frac{{d}}{{dx}}(...), and put other factors before the operator")
        if isinstance(f, A.Call) and not f.parens and explicit[k]:
            return g, (f"{quote(node)!r} is ambiguous: is the factor after the operator "
                       f"inside \\{f.func}'s argument? (SymPy's printer means it is) write "
                       f"\\{f.func}(...) with brackets")
        if isinstance(f, A.Number) and isinstance(g, A.Number) and not explicit[k]:
            return g, (f"{quote(node)!r}: two numbers side by side (a digit group as in "
                       f"1\\,000, or a product?): write one number, or \\cdot between them")
    return None


def leading_d(node: A.Node) -> bool:
    """Does ``node`` start with the plain letter d (``d``, ``d^2``, ``d x^2``)?"""
    while isinstance(node, (A.Mul, A.Pow)):
        node = node.factors[0] if isinstance(node, A.Mul) else node.base
    return isinstance(node, A.Name) and node.base == "d" and not (
        node.sub or node.primes or node.accent)


def division_ambiguity(node: A.Div, quote):
    """A fraction of differentials that is not a derivative, or ``\\sin x / 2``."""
    if leading_d(node.num) and leading_d(node.den):
        return node, (f"{quote(node)!r} looks like a derivative but is not one: write "
                      f"\\frac{{d^n}}{{dx^n}} f or \\frac{{d f}}{{dx}}")
    last = node.num.factors[-1] if isinstance(node.num, A.Mul) else node.num
    if node.slash and isinstance(last, A.Call) and not last.parens:
        return node, (f"{quote(node)!r} is ambiguous: is the division inside \\{last.func}'s "
                      f"argument? write \\{last.func}(...) with brackets, or \\frac")
    return None


def power_ambiguity(node: A.Pow, quote):
    """``x^T``: a transpose or a power with exponent T?"""
    exp = node.exp
    if isinstance(exp, A.Name) and exp.base == "T" and not (exp.sub or exp.primes
                                                             or exp.accent):
        return node, (f"{quote(node)!r}: a transpose or a power with exponent T? (the "
                      f"conventions disagree) name the exponent otherwise")
    return None
