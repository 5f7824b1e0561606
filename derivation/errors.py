"""Errors raised by the symbolic core."""


class DerivationError(Exception):
    """Base class of the project's symbolic errors."""


class ParseError(DerivationError, ValueError):
    """A user-typed expression could not be parsed, or was refused as unsafe.

    The message names the offending text (or its position) and why it was refused.
    """


class UnsafeExpressionError(ParseError):
    """A user-typed expression was refused because it is hostile or too large
    (dunder access, lambda, deep nesting, huge powers, over-long input)."""
