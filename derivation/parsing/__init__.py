"""Reading formulas without eval: SymPy syntax and LaTeX, each a grammar.

Parts: ``common`` (tokens, guards, the descent shared by both grammars), ``latex_tokens`` and
``latex`` (the LaTeX subset), ``sympy_syntax`` (SymPy/Python syntax), ``api`` (``parse``,
``parse_equation``, ``detect_syntax``).
"""

from derivation.parsing.api import KNOWN_FUNCTIONS, SYNTAXES, detect_syntax, parse, parse_equation

__all__ = ["parse", "parse_equation", "detect_syntax", "KNOWN_FUNCTIONS", "SYNTAXES"]
