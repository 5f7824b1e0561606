r"""The LaTeX grammar's names: letters and greek letters with subscripts, primes and
superscripts, accents (``\hat{y}_i``), fonts (``\mathbf{x}``) and names in wrappers
(``\text{J}``, ``\mathrm{softmax}``, ``\operatorname{sgn}``), a mixin of ``latex.Reader``.

``w_{ij}`` keeps its subscript as written (Word "ij"); ``W_{1,1}`` as items split at commas;
an unbraced subscript takes the run of adjacent letters and digits (``w_ij`` -> "ij", ``w_12`` ->
"12", the names the project has always used), an unbraced superscript one token (``x^2``;
``x^23`` is refused: TeX shows x²3).
"""

from __future__ import annotations

from derivation.parsing import ast as A
from derivation.parsing.latex_tokens import GREEK, Tok

# upright letters with a fixed meaning (ISO 80000-2) that is not a real variable
_UPRIGHT = {"i": "is the imaginary unit: only real values are supported (write i for a real "
                 "variable named i)",
            "j": "is the imaginary unit: only real values are supported (write j for a real "
                 "variable named j)",
            "d": "is a differential: write a derivative as \\frac{\\mathrm{d}}{\\mathrm{d}x} f"}
_FONTS = {"mathbf": "bold", "boldsymbol": "bold", "mathbb": "bb", "mathcal": "cal"}
_TEXT = frozenset("text textrm textit textbf textsf mbox".split())
# one-word prose that is never a variable's name
PROSE = frozenset(
    "if else otherwise for all and or where when with since so then by each let note is are be "
    "as the of to on in at from such that hence thus because recall assume given only".split()
)


class NamesMixin:
    """Names of the LaTeX grammar (uses the cursor and rules of ``latex.Reader``)."""

    def decorated(self, base: str, start: int, accent: str | None = None,
                  allow_power: bool = True) -> A.Node:
        """A name's subscript, primes and at most one superscript, in any order."""
        sub, sub_text, primes, sup, end = (), "", 0, None, self.last_end
        while True:
            k = self.tok.kind
            if k == "_":
                if sub:
                    raise self.err(self.tok, "double subscript (write x_{j} y_{i} for a "
                                             "product of subscripted symbols)")
                self.take()
                sub, sub_text = self.subscript()
                end = self.last_end
            elif k == "prime":
                self.take()
                primes += 1
                end = self.last_end
            elif k == "^" and self.prime_superscript():
                primes += self.take_prime_superscript()
                end = self.last_end
            elif k == "^" and allow_power:
                if sup is not None:
                    raise self.err(self.tok, "double superscript: use braces")
                op = self.take()
                sup = self.script(op)
            else:
                break
        name = A.Name(base=base, primes=primes, accent=accent, sub=sub, sub_text=sub_text,
                      start=start, end=end)
        return name if sup is None else A.Pow(base=name, exp=sup, start=start,
                                              end=self.last_end)

    def prime_superscript(self) -> bool:
        """Is the ``^`` at the cursor ``^\\prime``, ``^'`` or ``^{\\prime...}``?"""
        if self.peek().kind == "prime":
            return True
        if self.peek().kind != "lbrace" or self.peek(2).kind != "prime":
            return False
        k = 2
        while self.peek(k).kind == "prime":
            k += 1
        return self.peek(k).kind == "rbrace"

    def take_prime_superscript(self) -> int:
        self.take()  # ^
        if self.tok.kind == "prime":
            self.take()
            return 1
        self.take()  # {
        n = 0
        while self.tok.kind == "prime":
            self.take()
            n += 1
        self.take()  # }
        return n

    def subscript(self) -> tuple[tuple[A.Node, ...], str]:
        """A name's subscript items (split at commas) and its source text."""
        t = self.tok
        if t.kind == "lbrace":
            self.take()
            items = [self.sub_item()]
            while self.tok.kind == ",":
                self.take()
                items.append(self.sub_item())
            close = self.expect("rbrace", "'}' closing the subscript", t)
            return tuple(items), self.src.text[t.end : close.pos].strip()
        if t.kind == "num":
            self.take()
            if not t.text.isdigit():
                raise self.err(t, f"subscript {t.text!r} is not an index")
            return (A.Number(text=t.text, start=t.pos, end=t.end),), t.text
        if t.kind == "cmd" and t.text in GREEK:
            self.take()
            return (A.Name(base=t.text, start=t.pos, end=t.end),), "\\" + t.text
        if t.kind == "letter":  # a run of adjacent letters/digits: w_ij -> "ij", w_i1 -> "i1"
            run = [self.take()]
            while self.tok.kind in ("letter", "num") and self.tok.pos == run[-1].end \
                    and self.tok.text.isalnum():
                run.append(self.take())
            word = "".join(u.text for u in run)
            return (A.Word(text=word, start=t.pos, end=run[-1].end),), word
        raise self.err(t, f"missing subscript after '_', found {self.found()}")

    def sub_item(self) -> A.Node:
        """One comma-separated subscript item: a Word of letters/digits, a Number, or an
        expression (``k+1``, ``\\alpha``)."""
        j = self.i
        while self.toks[j].kind in ("letter", "num"):
            j += 1
        if j > self.i and self.toks[j].kind in (",", "rbrace"):
            run = self.toks[self.i : j]
            self.i = j
            start, end = run[0].pos, run[-1].end
            if len(run) == 1 and run[0].kind == "num":
                return A.Number(text=run[0].text, start=start, end=end)
            return A.Word(text="".join(u.text for u in run), start=start, end=end)
        if self.tok.kind in (",", "rbrace"):
            raise self.err(self.tok, "empty subscript")
        return self.expr()

    def script(self, op: Tok) -> A.Node:
        """The argument of ``^``: ``{...}``, one digit, one letter or one greek letter."""
        t = self.tok
        if t.kind == "lbrace":
            return self.braced(t, "superscript")
        if t.kind == "num":
            self.take()
            if not t.text.isdigit():
                raise self.err(t, f"superscript {t.text!r}: write it in braces, e.g. x^{{0.5}}")
            if len(t.text) > 1 and op.text != "**":
                raise self.err(t, f"x^{t.text} shows as x^{t.text[0]} followed by "
                                  f"{t.text[1:]} in TeX: write x^{{{t.text}}}")
            return A.Number(text=t.text, start=t.pos, end=t.end)
        if t.kind == "letter" or (t.kind == "cmd" and t.text in GREEK):
            self.take()
            u = self.tok  # x^ab: TeX shows x^a b, the writer may mean x^{ab}
            if (t.kind == "letter" and u.kind in ("letter", "num") and u.pos == t.end
                    and op.text != "**"):
                raise self.err(u, f"x^{t.text}{u.text} shows as x^{t.text} followed by "
                                  f"{u.text} in TeX: write x^{{{t.text}{u.text}}} or "
                                  f"x^{t.text} {u.text}")
            return A.Name(base=t.text, start=t.pos, end=t.end)
        if t.kind in ("+", "-") and op.text == "**":
            return self.signed_factor()
        if t.kind in ("+", "-"):
            raise self.err(t, "a signed superscript needs braces: write e^{-x}")
        raise self.err(t, f"missing superscript, found {self.found()}")

    def wrapped(self) -> A.Node:
        r"""``\text{...}``, ``\mathrm{...}``, ``\operatorname{...}``, ``\mathbf{x}``."""
        t = self.take()
        word = t.arg.strip()
        if t.text == "operatorname":
            if not word.rstrip("*").isalpha():
                raise self.err(t, f"\\operatorname{{{t.arg}}} must name a function (letters)")
            return self.call(t, word.rstrip("*"))
        if t.text in _FONTS:
            if t.text == "mathbb" and word == "E":
                raise self.err(t, "\\mathbb{E} is an expectation, not supported: write the "
                                  "sum or integral it stands for")
            if not (len(word) == 1 and word.isalpha()) and word.lstrip("\\") not in GREEK:
                raise self.err(t, f"\\{t.text}{{{t.arg}}}: only one letter is read")
            return self.decorated(word.lstrip("\\"), t.pos, accent=_FONTS[t.text])
        if t.text in _TEXT and not is_word(t.arg):
            return A.Text(text=t.arg, start=t.pos, end=t.end)
        if not (word.isascii() and word.isalpha()):
            raise self.err(t, f"\\{t.text}{{{t.arg}}} must contain a name (letters only)")
        if word in self.FUNCTION_NAMES:
            return self.call(t, word)
        if word in _UPRIGHT and t.text not in _TEXT:
            raise self.err(t, f"\\{t.text}{{{word}}} {_UPRIGHT[word]}")
        return self.decorated(word, t.pos)

    def accented(self, t: Tok, accent: str, allow_power: bool = True) -> A.Node:
        r"""``\hat{y}_i``, ``\hat y_i``, ``\bar{x}``: an accented letter with its scripts."""
        u = self.tok
        braced = u.kind == "lbrace"
        if braced:
            self.take()
            u = self.tok
        if not (u.kind == "letter" or (u.kind == "cmd" and u.text in GREEK)):
            raise self.err(u, f"\\{t.text} is read over one letter only, found {self.found()}")
        self.take()
        if braced and self.tok.kind != "rbrace":
            raise self.err(t, f"\\{t.text} is read over one letter only, found "
                              f"{self.src.text[t.pos:self.tok.end]!r}")
        if braced:
            self.take()
        return self.decorated(u.text, t.pos, accent=accent, allow_power=allow_power)


def is_word(text: str) -> bool:
    """``\\text{...}`` holding one name (``\\text{J}``, ``\\text{lr}``), not prose."""
    return text.isascii() and text.isalpha() and text.lower() not in PROSE
