"""What the user wrote, as a tree: the LaTeX grammar's output before any reading.

The grammar (``derivation.parsing.latex``) builds these nodes and decides nothing that needs
context: whether ``\\sigma(z)`` applies a function or multiplies, whether ``w_{12}`` is row 1
column 2 or the 12th entry, whether ``x_j^k`` is a power or the k-th example, what
``a_1 + \\dots + a_n`` sums over. Those are *readings*, made by a lowering with a context:
``derivation.parsing.lower`` for a standalone formula (``parse``), the document reader
(``derivation.documents``) for a derivation, where earlier definitions say what a name is.
A lowering that cannot decide refuses or answers "unknown"; it never guesses.

Every node carries ``start``/``end``: character offsets of its text in the parsed string, so a
reading or an error can quote exactly what was written (``text[node.start:node.end]``).
Nodes are frozen dataclasses (hashable, comparable), children in tuples.

``derivation.parsing.read_latex(text)`` builds the tree (the grammar's conventions are in
:mod:`derivation.parsing.latex_commands`); :func:`show` prints one compactly
(``show(read_latex(r"\\sin 2x"))`` is ``"Call(sin, Mul(2, x))"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Node:
    """Base of every node: its span ``[start, end)`` in the source string."""

    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Number(Node):
    """A numeral as written (``"2"``, ``"0.5"``, ``"1e-3"``); read exactly (no float)."""

    text: str = ""


@dataclass(frozen=True)
class Name(Node):
    r"""A letter or named symbol with its decorations.

    ``base``: ``"x"``, ``"alpha"`` (from ``\alpha``), ``"E"``, ``"softmax"`` only when written
    as a name (``\text{J}``); ``primes``: ``y'`` -> 1; ``accent``: ``"hat"``, ``"bar"``,
    ``"tilde"``, ``"vec"``, ``"dot"``, ``"ddot"``, the fonts ``"bold"``
    (``\mathbf``, ``\boldsymbol``), ``"bb"``, ``"cal"``, or None (``\hat{y}`` -> base "y",
    accent "hat");
    ``sub``: the subscript's items as written, split at commas (``w_{i,j}`` -> (i, j)); a
    comma-free subscript is one item (``w_{ij}`` -> (Word "ij",), ``w_{12}`` -> (Number 12,),
    ``x_{k+1}`` -> (Add,)); ``sub_text``: the subscript's source text ("ij", "1,2").
    ``e`` and ``\pi`` are Names too: whether ``e`` is Euler's number is a reading.
    """

    base: str = ""
    primes: int = 0
    accent: str | None = None
    sub: tuple[Node, ...] = ()
    sub_text: str = ""


@dataclass(frozen=True)
class Word(Node):
    """A run of letters inside a subscript (``ij`` in ``w_{ij}``): the lowering splits it
    into indices or keeps it one name."""

    text: str = ""


@dataclass(frozen=True)
class Group(Node):
    r"""A bracketed expression, brackets kept: ``delim`` is ``"("``, ``"["``, ``"\{"``, or
    ``"{"`` for a TeX brace group. ``(z)`` right after a Name may be a function's argument;
    the lowering decides. ``sub``: a subscript written after the closing bracket, as in
    ``\sigma(z)_i`` (Mul(Name sigma, Group(z, sub=(i,)))): an entry of a vector-valued
    application, never a product."""

    body: Node = None
    delim: str = "("
    sub: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Add(Node):
    """A sum as written, terms in order; subtraction is ``Neg`` of a term. A ``Dots`` term
    stands for the elided terms of ``a_1 + a_2 + \\dots + a_n``."""

    terms: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Neg(Node):
    """``-arg`` (unary minus, or a subtracted term inside ``Add``)."""

    arg: Node = None


@dataclass(frozen=True)
class Mul(Node):
    r"""A product as written. ``explicit[k]`` is True when an operator (``*``, ``\cdot``,
    ``\times``) stands before ``factors[k]`` (k >= 1), False for juxtaposition; a ``Dots``
    factor stands for elided factors."""

    factors: tuple[Node, ...] = ()
    explicit: tuple[bool, ...] = ()


@dataclass(frozen=True)
class Div(Node):
    r"""``num / den`` or ``\frac{num}{den}`` (``slash`` tells which was written)."""

    num: Node = None
    den: Node = None
    slash: bool = False


@dataclass(frozen=True)
class Pow(Node):
    r"""``base^{exp}``. ``x^{(k)}`` keeps its parentheses as ``Group`` (an example index
    when k is a summation index, a power otherwise: a reading)."""

    base: Node = None
    exp: Node = None


@dataclass(frozen=True)
class Root(Node):
    r"""``\sqrt[index]{radicand}`` (index None for the square root)."""

    radicand: Node = None
    index: Node | None = None


@dataclass(frozen=True)
class Abs(Node):
    """``|arg|``, ``\\lvert arg \\rvert``, ``\\left| arg \\right|``."""

    arg: Node = None


@dataclass(frozen=True)
class Call(Node):
    r"""A known function applied: ``\ln x``, ``\exp(x)``, ``\log_{2} x``, ``\sin^2 x``,
    ``\text{softmax}(V)_i``, ``\operatorname{softmax}(z)``.

    ``func``: the function's name ("ln", "log", "exp", "sin", "softmax", "sigmoid", ...);
    ``args``: its arguments (an unbraced argument is read as a mathematician reads it:
    ``\sin 2x`` -> (Mul 2 x); ``\ln V (y'_1 + ...)`` -> (V,), the group being a new factor);
    ``base``: the log base or None; ``power``: ``\sin^2 x`` -> 2 (``\sin^{-1} x`` is the
    inverse function, func "arcsin" (cos, tan -> "arccos", "arctan"; sinh, cosh, tanh ->
    "asinh", "acosh", "atanh"), power None; any other negative power is refused by the grammar,
    never read as a reciprocal); ``sub``: a subscript after the call (``softmax(V)_i`` ->
    (i,)); ``parens``: whether the arguments were in brackets (``\log{\left(x\right)}``
    counts as bracketed; ``\exp{x}^2`` is refused as ambiguous). ``\operatorname{f}`` is
    always a Call, known or not; ``\text{f}``/``\mathrm{f}`` only for a known function name
    (``latex_commands.FUNCTION_NAMES``), else a Name.
    """

    func: str = ""
    args: tuple[Node, ...] = ()
    base: Node | None = None
    power: Node | None = None
    sub: tuple[Node, ...] = ()
    parens: bool = True


@dataclass(frozen=True)
class Sum(Node):
    r"""``\sum_{index=lower}^{upper} body`` (also ``\sum_i``, ``\sum_{i}``, ``\sum_k``), and
    ``\prod`` with ``op="prod"``. ``index`` is the bound Name or None (``\sum x_i`` with no
    subscript: the lowering infers or refuses); ``lower``/``upper`` None when not written.
    ``body`` is the next term: everything up to the next ``+``/``-`` at the same level."""

    index: Node | None = None
    lower: Node | None = None
    upper: Node | None = None
    body: Node = None
    op: str = "sum"


@dataclass(frozen=True)
class Dots(Node):
    r"""An ellipsis (``\dots``, ``\cdots``, ``\ldots``, ``...``) standing for elided terms or
    factors (inside ``Add``/``Mul``) or list items (inside ``Seq``)."""

    kind: str = "dots"


@dataclass(frozen=True)
class Derivative(Node):
    r"""A derivative, written as a fraction of differentials.

    ``\frac{\partial J}{\partial w_{ij}}`` -> of=Name J, wrt=(w_ij,), orders=(1,);
    ``\frac{d\sigma}{dz}`` -> kind "d"; ``\frac{\partial^2 J}{\partial w_{ij}\partial w_{kl}}``
    -> wrt=(w_ij, w_kl), orders=(1, 1); the operator form ``\frac{\partial}{\partial w_{ij}}
    \ln V`` -> of = the next factor (here Call ln V), ``operator=True``.
    """

    of: Node = None
    wrt: tuple[Node, ...] = ()
    orders: tuple[int, ...] = ()
    kind: str = "partial"
    operator: bool = False


@dataclass(frozen=True)
class Matrix(Node):
    r"""``\begin{bmatrix} ... \end{bmatrix}`` (also pmatrix, vmatrix, matrix): rows of cells;
    ``Dots`` cells for ``\dots``, ``\vdots``, ``\ddots``."""

    rows: tuple[tuple[Node, ...], ...] = ()
    env: str = "bmatrix"


@dataclass(frozen=True)
class Text(Node):
    r"""Prose inside math: ``\text{call it } ...``, ``\text{by chain rule}``, a ``\checkmark``
    (text "✓"). Not mathematics; the lowering refuses it inside an expression."""

    text: str = ""


@dataclass(frozen=True)
class Annotated(Node):
    r"""A wrapper that does not change the value: ``\boxed{body}``, ``\underbrace{body}_{label}``,
    ``\overbrace``; ``label`` holds the brace's annotation (a node, often ``Text``)."""

    body: Node = None
    kind: str = "boxed"
    label: Node | None = None


@dataclass(frozen=True)
class Seq(Node):
    r"""A comma-separated list: ``x_1, \dots, x_m``; ``k = 1, \dots, N`` is a ``Relation`` whose
    right side is a ``Seq``. ``sep`` is ``","``, or ``"quad"`` for statements set apart by
    ``\quad``/``\qquad`` at the top level of a cell (``y_i = \text{softmax}(V_i) \quad
    \sum_j e^{V_j} = V``: two statements, never one product)."""

    items: tuple[Node, ...] = ()
    sep: str = ","


@dataclass(frozen=True)
class Relation(Node):
    r"""A chain ``a = b = c`` or ``w := w - \alpha g``: ``items`` has one more entry than ``ops``;
    ops are ``"="``, ``":="``, ``"<"``, ``"\le"``, ``"\approx"``, ``"\Rightarrow"``,
    ``"\rightarrow"``, ``"\iff"`` (as written, normalised: ``\leq`` -> ``"\le"``)."""

    items: tuple[Node, ...] = ()
    ops: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rows(Node):
    r"""An ``aligned``/``align``/``array``/``cases``/``gathered`` environment (or a top-level
    ``\\``-separated display): ``rows[r]`` is the row's cells split at ``&`` (each cell a node,
    possibly a ``Relation`` fragment such as ``= b`` parsed as Relation(items=(None, b))),
    ``row_spans[r]`` its character span."""

    rows: tuple[tuple[Node | None, ...], ...] = ()
    row_spans: tuple[tuple[int, int], ...] = ()
    env: str = "aligned"


def show(node: Node | None) -> str:
    r"""A compact, unambiguous text of a tree (for tests, readings and debugging).

    ``show(read_latex(r"\sin 2x"))`` -> ``"Call(sin, Mul(2, x))"``; names show their
    decorations (``y'_{i}``, ``hat(y)_{i}``), groups their brackets.
    """
    if node is None:
        return "None"
    if isinstance(node, Number):
        return node.text
    if isinstance(node, Word):
        return node.text
    if isinstance(node, Name):
        text = f"{node.accent}({node.base})" if node.accent else node.base
        text += "'" * node.primes
        if node.sub:
            text += "_{" + ",".join(show(s) for s in node.sub) + "}"
        return text
    if isinstance(node, Group):
        closer = {"(": ")", "[": "]", "\\{": "\\}", "{": "}"}.get(node.delim, node.delim)
        sub = "_{" + ",".join(show(s) for s in node.sub) + "}" if node.sub else ""
        return f"{node.delim}{show(node.body)}{closer}{sub}"
    if isinstance(node, Text):
        return f"Text({node.text!r})"
    if isinstance(node, Dots):
        return "Dots"
    if isinstance(node, Add):
        return "Add(" + ", ".join(show(t) for t in node.terms) + ")"
    if isinstance(node, Neg):
        return f"Neg({show(node.arg)})"
    if isinstance(node, Div):
        return f"Div({show(node.num)}, {show(node.den)}{', slash' if node.slash else ''})"
    if isinstance(node, Pow):
        return f"Pow({show(node.base)}, {show(node.exp)})"
    if isinstance(node, Abs):
        return f"Abs({show(node.arg)})"
    if isinstance(node, Root):
        index = f", {show(node.index)}" if node.index is not None else ""
        return f"Root({show(node.radicand)}{index})"
    if isinstance(node, Mul):
        parts = [show(node.factors[0])]
        for f, ex in zip(node.factors[1:], node.explicit[1:]):
            parts.append(("*" if ex else "") + show(f))
        return "Mul(" + ", ".join(parts) + ")"
    if isinstance(node, Call):
        extra = [f"base={show(node.base)}"] if node.base is not None else []
        extra += [f"power={show(node.power)}"] if node.power is not None else []
        extra += ["sub=" + ",".join(show(s) for s in node.sub)] if node.sub else []
        inner = ", ".join([node.func] + [show(a) for a in node.args] + extra)
        return f"Call({inner})"
    if isinstance(node, Relation):
        parts = [show(node.items[0])]
        for op, item in zip(node.ops, node.items[1:]):
            parts += [op, show(item)]
        return "Rel(" + " ".join(parts) + ")"
    if isinstance(node, Rows):
        rows = " \\\\ ".join(" & ".join(show(c) for c in row) for row in node.rows)
        return f"Rows[{node.env}]({rows})"
    if isinstance(node, Matrix):
        rows = " \\\\ ".join(" & ".join(show(c) for c in row) for row in node.rows)
        return f"Matrix[{node.env}]({rows})"
    if isinstance(node, Derivative):
        wrt = ",".join(show(w) + (f"^{o}" if o > 1 else "") for w, o in zip(node.wrt, node.orders))
        op = "op " if node.operator else ""
        return f"D[{node.kind} {op}{wrt}]({show(node.of)})"
    if isinstance(node, Sum):
        return (f"{node.op.capitalize()}[{show(node.index)}={show(node.lower)}.."
                f"{show(node.upper)}]({show(node.body)})")
    if isinstance(node, Annotated):
        label = f", {show(node.label)}" if node.label is not None else ""
        return f"{node.kind}({show(node.body)}{label})"
    if isinstance(node, Seq):
        return f"Seq[{node.sep}](" + ", ".join(show(i) for i in node.items) + ")"
    fields = [f for f in node.__dataclass_fields__ if f not in ("start", "end")]
    inner = ", ".join(show(getattr(node, f)) if isinstance(getattr(node, f), Node)
                      else repr(getattr(node, f)) for f in fields)
    return f"{type(node).__name__}({inner})"
