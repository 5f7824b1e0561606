r"""Markdown -> the math in it, each piece with its source offset and line.

markdown-it-py with mdit-py-plugins' dollarmath (``$…$``, ``$$…$$``) and amsmath
(``\begin{align}…`` at top level) finds the math; nothing here parses Markdown by hand.
Each math piece is located in the source text so that any offset inside it maps to its
1-based source line (`Math.line_of`). The prose just before an inline formula in the same
paragraph ("Note:", "assume", "one-hot, so") is kept: it tells a premise from a claim.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

__all__ = ["Math", "read_math", "MAX_CHARS"]

#: Documents longer than this are refused (a clear error, not a hang).
MAX_CHARS = 200_000

_MD = (MarkdownIt("commonmark")
       .use(dollarmath_plugin, allow_space=True, allow_digits=True, double_inline=True)
       .use(amsmath_plugin))


@dataclass(frozen=True)
class Math:
    """One math piece of the document.

    Attributes
    ----------
    text : str
        The LaTeX inside the delimiters.
    offset : int
        Offset of ``text[0]`` in the source.
    display : bool
        ``$$…$$`` / amsmath environment (True) or inline ``$…$`` (False).
    prose : str
        For inline math: the paragraph's text before it on the same source line ("Note:").
    after : str
        For inline math: the text after it up to the next math on that line ("formula").
    """

    text: str
    offset: int
    display: bool
    prose: str = ""
    after: str = ""
    _starts: tuple = ()

    def line_of(self, pos: int = 0) -> int:
        """1-based source line of ``text[pos]``."""
        return bisect.bisect_right(self._starts, self.offset + max(pos, 0))

    @property
    def line(self) -> int:
        return self.line_of(0)


def _line_starts(source: str) -> tuple:
    starts = [0]
    for k, ch in enumerate(source):
        if ch == "\n":
            starts.append(k + 1)
    return tuple(starts)


def read_math(source: str) -> list:
    """All math pieces of a Markdown document, in order.

    Parameters
    ----------
    source : str
        Markdown text (the seed's format: ``$…$`` in prose, ``$$…$$`` displays).

    Returns
    -------
    list of Math
    """
    starts = _line_starts(source)
    out = []
    for tok in _MD.parse(source):
        if tok.map is None:
            continue
        cursor = starts[tok.map[0]] if tok.map[0] < len(starts) else len(source)
        if tok.type in ("math_block", "math_block_label", "amsmath"):
            out.append(_locate(source, starts, tok.content, cursor, True))
        elif tok.type == "inline" and tok.children:
            prose = []
            pending = None
            for child in tok.children:
                if child.type == "math_inline" or child.type == "math_inline_double":
                    piece = _locate(source, starts, child.content, cursor, False,
                                    "".join(prose).strip())
                    if pending is not None:
                        out.append(_with_after(pending, "".join(prose)))
                    pending = piece
                    cursor = piece.offset + len(child.content)
                    prose = []
                elif child.type in ("softbreak", "hardbreak"):
                    if pending is not None:
                        out.append(_with_after(pending, "".join(prose)))
                        pending = None
                    prose = []
                else:
                    prose.append(child.content)
            if pending is not None:
                out.append(_with_after(pending, "".join(prose)))
    return out


def _with_after(piece: Math, after: str) -> Math:
    return Math(piece.text, piece.offset, piece.display, piece.prose, after.strip(),
                piece._starts)


def _locate(source, starts, content, cursor, display, prose=""):
    """Find `content` in the source at or after `cursor` (markdown-it keeps it verbatim,
    except trailing whitespace/newlines of display math)."""
    probe = content.strip()
    at = source.find(probe, cursor) if probe else -1
    if at < 0:
        at = cursor
    return Math(probe, at, display, prose, "", starts)
