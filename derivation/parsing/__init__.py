"""Reading formulas without eval: SymPy syntax and LaTeX, each a grammar.

Parts: ``common`` (tokens, guards, the descent shared by both grammars), ``domain``
(constructors that keep what was typed where evaluation would erase a domain), ``ast`` (the
LaTeX AST), ``latex_tokens``, ``latex`` and ``latex_commands`` (the LaTeX grammar:
``read_latex``), ``lower`` (AST -> SymPy for a standalone formula), ``sympy_syntax``
(SymPy/Python syntax), ``api`` (``parse``, ``parse_equation``, ``detect_syntax``).
"""

from derivation.parsing.api import KNOWN_FUNCTIONS, SYNTAXES, detect_syntax, parse, parse_equation
from derivation.parsing.latex import read_latex

__all__ = ["parse", "parse_equation", "detect_syntax", "read_latex", "KNOWN_FUNCTIONS",
           "SYNTAXES"]
