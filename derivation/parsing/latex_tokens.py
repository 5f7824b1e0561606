"""Tokenizer for LaTeX math (the input of :mod:`derivation.parsing.latex`).

Token kinds: "num" (``1.5``, ``1e-3``), "letter" (one letter: ``xy`` is x times y), "cmd"
(``\\alpha``, ``\\frac``, ``\\sum``; also ``exp``/``ln``/``alpha`` typed without a backslash),
"open"/"close" (``( [ \\{`` and ``\\left(`` ...; ``sized`` True after ``\\left``/``\\big``),
"lbrace"/"rbrace" (TeX grouping), "bar" (a plain ``|``), "prime" (``'``, ``\\prime``), "rel"
(``= := < \\le \\Rightarrow ...``, normalised), "dots" (``\\dots \\cdots \\ldots \\vdots \\ddots
...``), "amp" (``&``), "newline" (``\\\\``), "quad" (``\\quad``, ``\\qquad``: a wide space that
separates statements at the top level), "begin"/"endenv" (``\\begin{aligned}``; ``arg`` is the
environment's name), "wrap" (``\\text{...}``, ``\\mathrm{...}``, ``\\operatorname{...}``: ``text``
is the command, ``arg`` the raw content), "symbol" (``\\checkmark`` ``\\#`` ``\\uparrow``: prose
marks), and the operators ``+ - * / ^ _ ,`` (``\\cdot``, ``\\times``, ``\\,.\\,`` are "*",
``\\div`` is "/"). Thin spaces (``\\, \\; \\! \\:``), ``\\displaystyle`` and ``\\limits`` are
dropped.
Every token has its span ``[pos, end)`` in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from derivation.parsing.common import FUNCTIONS, Source, char_message

GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda "
    "mu nu xi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega pi ell".split()
)
_DROPPED = frozenset("displaystyle textstyle scriptstyle limits nolimits".split())
SIZES = frozenset(
    "left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr middle".split()
)
# relation commands -> the op as the AST spells it (Relation.ops)
RELATIONS = {
    "le": "\\le", "leq": "\\le", "ge": "\\ge", "geq": "\\ge", "ne": "\\ne", "neq": "\\ne",
    "lt": "<", "gt": ">", "approx": "\\approx", "equiv": "\\equiv", "propto": "\\propto",
    "Rightarrow": "\\Rightarrow", "implies": "\\Rightarrow", "Longrightarrow": "\\Rightarrow",
    "rightarrow": "\\rightarrow", "to": "\\rightarrow", "longrightarrow": "\\rightarrow",
    "iff": "\\iff", "Leftrightarrow": "\\iff", "Longleftrightarrow": "\\iff",
    "leftarrow": "\\leftarrow", "gets": "\\leftarrow", "mapsto": "\\mapsto",
}
DOTS = frozenset("dots cdots ldots vdots ddots dotsb dotsc dotsm dotsi".split())
WRAPPERS = frozenset(
    "text textrm textit textbf textsf mbox mathrm operatorname mathit mathsf mathbf "
    "boldsymbol mathbb mathcal".split()
)
SYMBOLS = {"checkmark": "\u2713", "uparrow": "\u2191", "downarrow": "\u2193", "#": "#",
           "%": "%", "surd": "\u221a"}
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_LETTERS = re.compile(r"[A-Za-z]+")
_CHAR_TOKENS = {
    "+": "+", "-": "-", "*": "*", "/": "/", "^": "^", "_": "_", "'": "prime",
    ",": ",", "{": "lbrace", "}": "rbrace", "|": "bar", "&": "amp", "(": "open", "[": "open",
    ")": "close", "]": "close", "<": "rel", ">": "rel", "=": "rel",
}
_BAD_CHARS = {
    '"': "quotes are only allowed inside \\text{...}",
    "!": "'!' (factorial) is not supported",
    ";": "';' is not part of a formula",
    ":": "':' alone is not an operator (':=' is the definition sign)",
    "#": "'#' is not part of a formula (\\# is the number sign)",
    "%": "'%' (a TeX comment) is not supported",
    "$": "'$' math delimiters must be removed before reading the formula",
    "~": None,  # a TeX non-breaking space: skipped
}


@dataclass(frozen=True)
class Tok:
    """One lexical unit: ``kind``, ``text``, span ``[pos, end)``, ``arg`` (a command's raw
    braced argument or an environment's name), ``sized`` (after \\left, \\big...)."""

    kind: str
    text: str
    pos: int
    end: int
    arg: str = ""
    sized: bool = False


def tokenize(src: Source) -> list[Tok]:
    """Split LaTeX text into tokens (ending with an "end" token); refuse unknown characters
    with a ParseError naming the character and its position."""
    text, tokens, i = src.text, [], 0
    while i < len(text):
        c = text[i]
        if c.isspace() or c == "~":
            i += 1
            continue
        nxt = _read(src, i, tokens)
        if nxt is None:
            raise src.error(i, _bad_char_message(c))
        i = nxt
    tokens.append(Tok("end", "", len(text), len(text)))
    return tokens


def _bad_char_message(c: str) -> str:
    if c in _BAD_CHARS and _BAD_CHARS[c]:
        return _BAD_CHARS[c]
    return char_message(c)


def _read(src: Source, i: int, tokens: list[Tok]) -> int | None:
    """Append the token(s) starting at ``text[i]``; return the next index (None: no token)."""
    text, c = src.text, src.text[i]
    if c == "\\":
        return _command(src, i, tokens)
    if c in "0123456789" or (c == "." and text[i + 1 : i + 2].isdigit()):
        m = _NUMBER.match(text, i)
        tokens.append(Tok("num", m.group(0), i, m.end()))
        return m.end()
    if c.isascii() and c.isalpha():
        run = _LETTERS.match(text, i).group(0)
        if run in FUNCTIONS or run in GREEK:  # exp(x), ln x, alpha typed without '\'
            tokens.append(Tok("cmd", run, i, i + len(run)))
        else:
            tokens.extend(Tok("letter", ch, i + k, i + k + 1) for k, ch in enumerate(run))
        return i + len(run)
    if text.startswith("...", i):
        tokens.append(Tok("dots", "...", i, i + 3))
        return i + 3
    for two, kind, norm in ((":=", "rel", ":="), ("==", "rel", "="), ("**", "^", "**"),
                            ("<=", "rel", "\\le"), (">=", "rel", "\\ge")):
        if text.startswith(two, i):
            tokens.append(Tok(kind, norm, i, i + 2))
            return i + 2
    kind = _CHAR_TOKENS.get(c)
    if kind is None:
        return None
    tokens.append(Tok(kind, c, i, i + 1))
    return i + 1


def _braced(src: Source, j: int, what: str) -> tuple[str, int]:
    """The raw text of the brace group starting at ``text[j]`` (after spaces), and its end."""
    text = src.text
    while j < len(text) and text[j].isspace():
        j += 1
    if j >= len(text) or text[j] != "{":
        raise src.error(j, f"{what} needs a braced argument {{...}}")
    depth, k = 0, j
    while k < len(text):
        if text[k] == "\\":
            k += 2
            continue
        depth += {"{": 1, "}": -1}.get(text[k], 0)
        if depth == 0:
            return text[j + 1 : k], k + 1
        k += 1
    raise src.error(j, f"unclosed '{{' after {what}")


def _command(src: Source, i: int, tokens: list[Tok]) -> int:
    """Tokenize the command starting at the backslash ``text[i]``; return the next index."""
    text = src.text
    m = _LETTERS.match(text, i + 1)
    if m is None:  # control symbol: \, \; \! \{ \} \\ \# ...
        nxt = text[i + 1 : i + 2]
        if text.startswith("\\,.\\,", i):  # SymPy's mul_symbol="ldot"
            tokens.append(Tok("*", "\\,.\\,", i, i + 5))
            return i + 5
        if nxt in (",", ";", ":", "!", " ", ">", "\n", "\t"):
            return i + 2
        if nxt in ("{", "}"):
            tokens.append(Tok("open" if nxt == "{" else "close", "\\" + nxt, i, i + 2))
            return i + 2
        if nxt == "\\":
            tokens.append(Tok("newline", "\\\\", i, i + 2))
            return i + 2
        if nxt in SYMBOLS:
            tokens.append(Tok("symbol", SYMBOLS[nxt], i, i + 2))
            return i + 2
        raise src.error(i, f"unknown LaTeX control symbol \\{nxt}")
    name, end = m.group(0), m.end()
    if name in _DROPPED:
        return end
    if name in ("quad", "qquad"):
        tokens.append(Tok("quad", "\\" + name, i, end))
    elif name in SIZES:
        return _delimiter(src, i, name, end, tokens)
    elif name in ("begin", "end"):
        env, stop = _braced(src, end, f"\\{name}")
        tokens.append(Tok("begin" if name == "begin" else "endenv", name, i, stop, arg=env.strip()))
        return stop
    elif name in WRAPPERS:
        content, stop = _braced(src, end, f"\\{name}")
        tokens.append(Tok("wrap", name, i, stop, arg=content))
        return stop
    elif name in ("cdot", "times", "ast"):
        tokens.append(Tok("*", "\\" + name, i, end))
    elif name == "div":
        tokens.append(Tok("/", "\\div", i, end))
    elif name == "prime":
        tokens.append(Tok("prime", "\\prime", i, end))
    elif name in ("lvert", "rvert", "vert", "mid"):
        kind = {"lvert": "open", "rvert": "close"}.get(name, "bar")
        tokens.append(Tok(kind, "|", i, end))
    elif name in ("lbrace", "rbrace"):
        tokens.append(Tok("open" if name == "lbrace" else "close",
                          "\\{" if name == "lbrace" else "\\}", i, end))
    elif name in RELATIONS:
        tokens.append(Tok("rel", RELATIONS[name], i, end))
    elif name in DOTS:
        tokens.append(Tok("dots", name, i, end))
    elif name in SYMBOLS:
        tokens.append(Tok("symbol", SYMBOLS[name], i, end))
    else:
        tokens.append(Tok("cmd", name, i, end))
    return end


def _delimiter(src: Source, i: int, name: str, j: int, tokens: list[Tok]) -> int:
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
    for word, delim, kind in (("\\{", "\\{", "open"), ("\\}", "\\}", "close"),
                              ("\\lbrace", "\\{", "open"), ("\\rbrace", "\\}", "close"),
                              ("\\lvert", "|", "open"), ("\\rvert", "|", "close"),
                              ("\\vert", "|", side)):
        if text.startswith(word, j) and not text[j + len(word) : j + len(word) + 1].isalpha():
            tokens.append(Tok(kind, delim, i, j + len(word), sized=True))
            return j + len(word)
    c = text[j : j + 1]
    if c in ("(", "["):
        tokens.append(Tok("open", c, i, j + 1, sized=True))
    elif c in (")", "]"):
        tokens.append(Tok("close", c, i, j + 1, sized=True))
    elif c == "|":
        tokens.append(Tok(side, "|", i, j + 1, sized=True))
    elif c == "." and name in ("left", "right"):  # the null delimiter of \left. ... \right|
        tokens.append(Tok(side if side != "bar" else "open", ".", i, j + 1, sized=True))
    elif name in ("left", "right"):
        raise src.error(j, f"\\{name} must be followed by a delimiter ( ) [ ] \\{{ \\}} | .")
    else:
        return j  # \big used without a delimiter: just ignore it
    return j + 1
