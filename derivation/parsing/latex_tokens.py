"""Tokenizer for the LaTeX math subset (see :mod:`derivation.parsing.latex`).

Token kinds: "num" (1.5, 1e-3), "letter" (one letter: ``xy`` is x times y), "cmd"
(``\\alpha``, ``\\frac``; also ``exp``/``ln``/``alpha`` typed without a backslash),
"open"/"close" (``( [ \\{`` and ``\\left|`` ...; ``\\left``/``\\big`` sizes are dropped),
"lbrace"/"rbrace" (grouping ``{ }``), "bar" (a plain ``|``), "prime" (``'``, ``\\prime``),
and the operators ``+ - * / ^ _ , =`` (``\\cdot``/``\\times`` are "*", ``\\div`` is "/").
"""

from __future__ import annotations

import re

from derivation.parsing.common import FUNCTIONS, Source, Token, scan

GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda "
    "mu nu xi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega pi".split()
)
SPACING = frozenset("quad qquad displaystyle textstyle limits nolimits".split())
SIZES = frozenset(
    "left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr middle".split()
)
# decimals, and scientific notation written without spaces (1e-3 = 1/1000, not e - 3)
_NUMBER = re.compile(r"(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
_LETTERS = re.compile(r"[A-Za-z]+")
_CHAR_TOKENS = {
    "+": "+", "-": "-", "*": "*", "/": "/", "^": "^", "_": "_", "'": "prime",
    ",": ",", "=": "=", "{": "lbrace", "}": "rbrace", "|": "bar",
}


# Characters that start no token -> (message, unsafe).
_BAD_CHARS = {
    '"': ("quotes/strings are not allowed", True),
    ".": ("'.' is only allowed inside numbers", True),
    "&": ("'&' (alignment) is not supported: enter one expression", False),
}


def tokenize(src: Source) -> list[Token]:
    """Split LaTeX text into tokens; size modifiers and spacing commands are dropped."""
    return scan(src, _read_token, _BAD_CHARS)


def _read_token(src: Source, i: int, tokens: list[Token]) -> int | None:
    """Append the token(s) starting at ``text[i]``; return the next index (None: no token)."""
    text, c = src.text, src.text[i]
    if c == "\\":
        return _command(src, i, tokens)
    if c.isdigit() or (c == "." and text[i + 1 : i + 2].isdigit()):
        m = _NUMBER.match(text, i)
        tokens.append(Token("num", m.group(0), i))
        return m.end()
    if c.isascii() and c.isalpha():
        run = _LETTERS.match(text, i).group(0)
        if run in FUNCTIONS or run in GREEK:  # exp(x), ln x, alpha typed without '\'
            tokens.append(Token("cmd", run, i))
        else:
            tokens.extend(Token("letter", ch, i + k) for k, ch in enumerate(run))
        return i + len(run)
    if text.startswith(("==", ":=", "**"), i):
        tokens.append(Token("^" if text[i] == "*" else "=", text[i : i + 2], i))
        return i + 2
    if c in "([":
        kind = "open"
    elif c in ")]":
        kind = "close"
    elif c in _CHAR_TOKENS:
        kind = _CHAR_TOKENS[c]
    else:
        return None
    tokens.append(Token(kind, c, i))
    return i + 1


def _command(src: Source, i: int, tokens: list[Token]) -> int:
    """Tokenize the command starting at the backslash ``text[i]``; return the next index."""
    text = src.text
    m = _LETTERS.match(text, i + 1)
    if m is None:  # control symbol: \, \; \! \{ \} ...
        nxt = text[i + 1 : i + 2]
        if nxt in (",", ";", ":", "!", " ", ">"):
            return i + 2
        if nxt in ("{", "}"):
            tokens.append(Token("open" if nxt == "{" else "close", "\\" + nxt, i))
            return i + 2
        if nxt == "\\":
            raise src.error(i, "line breaks (\\\\) are not supported: enter one expression")
        raise src.error(i, f"unknown LaTeX control symbol \\{nxt}")
    name, end = m.group(0), m.end()
    if name in SPACING:
        return end
    if name in SIZES:
        return _delimiter(src, i, name, end, tokens)
    if name in ("cdot", "times", "ast"):
        tokens.append(Token("*", "\\" + name, i))
    elif name == "div":
        tokens.append(Token("/", "\\div", i))
    elif name == "prime":
        tokens.append(Token("prime", "\\prime", i))
    elif name == "lvert":
        tokens.append(Token("open", "|", i))
    elif name == "rvert":
        tokens.append(Token("close", "|", i))
    elif name in ("vert", "mid"):
        tokens.append(Token("bar", "|", i))
    else:
        tokens.append(Token("cmd", name, i))
    return end


def _delimiter(src: Source, i: int, name: str, j: int, tokens: list[Token]) -> int:
    """``\\left(`` etc.: emit the delimiter that follows the size command."""
    text = src.text
    while j < len(text) and text[j].isspace():
        j += 1
    if name == "left" or name.endswith("l"):
        side = "open"
    elif name == "right" or name.endswith("r"):
        side = "close"
    else:
        side = "bar"  # \big| or \middle|: direction unknown
    if text.startswith(("\\{", "\\}"), j):
        kind = "open" if text[j + 1] == "{" else "close"
        tokens.append(Token(kind, text[j : j + 2], i))
        return j + 2
    for word, delim in (("\\lvert", "|"), ("\\rvert", "|"), ("\\vert", "|")):
        if text.startswith(word, j):
            kind = {"\\lvert": "open", "\\rvert": "close"}.get(word, side)
            tokens.append(Token(kind, delim, i))
            return j + len(word)
    c = text[j : j + 1]
    if c in ("(", "["):
        tokens.append(Token("open", c, i))
    elif c in (")", "]"):
        tokens.append(Token("close", c, i))
    elif c == "|":
        tokens.append(Token(side, "|", i))
    elif c == ".":
        pass  # null delimiter
    elif name in ("left", "right"):
        raise src.error(j, f"\\{name} must be followed by a delimiter ( ) [ ] \\{{ \\}} | .")
    else:
        return j  # \big used without a delimiter: just ignore it
    return j + 1
