r"""Tests of derivation.parsing.read_latex: LaTeX math -> the AST, as written, no reading decided."""

import dataclasses
import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from derivation.errors import ParseError, UnsafeExpressionError
from derivation.parsing import ast as A
from derivation.parsing import read_latex
from derivation.parsing.ast import show

SEED = pathlib.Path(__file__).parents[2] / "derivation" / "documents" / "handwritten-derivation.md"


def seed_math():
    """Every $...$ / $$...$$ of the seed, found by markdown-it-py's dollarmath plugin."""
    md = MarkdownIt().use(dollarmath_plugin, allow_space=True, double_inline=True)
    md.use(amsmath_plugin)
    found = []

    def walk(tokens):
        for t in tokens:
            if t.type.startswith(("math", "amsmath")):
                found.append(t.content.strip())
            walk(t.children or [])

    walk(md.parse(SEED.read_text(encoding="utf-8")))
    return found


SEED_MATH = seed_math()
# The seed's only unreadable math is the C loop's "$k++$": an operator without an operand.
SEED_UNREADABLE = {"k++": "an operand is missing"}


def nodes(node):
    """All nodes of a tree (pre-order)."""
    if node is None:
        return
    yield node
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, A.Node):
            yield from nodes(value)
        elif isinstance(value, tuple):
            for v in value:
                if isinstance(v, A.Node):
                    yield from nodes(v)
                elif isinstance(v, tuple):
                    for w in v:
                        if isinstance(w, A.Node):
                            yield from nodes(w)


def test_the_seed_has_its_34_math_pieces():
    assert len(SEED_MATH) == 34


@pytest.mark.parametrize("math", SEED_MATH, ids=[m[:40] for m in SEED_MATH])
def test_every_seed_math_piece_reads_or_names_what_it_cannot(math):
    if math in SEED_UNREADABLE:
        with pytest.raises(ParseError, match=SEED_UNREADABLE[math]):
            read_latex(math)
        return
    tree = read_latex(math)
    for node in nodes(tree):  # spans index the text and nest
        assert 0 <= node.start <= node.end <= len(math), (show(node), node.start, node.end)
    for node in nodes(tree):
        for child in nodes(node):
            assert node.start <= child.start and child.end <= node.end, (show(node), show(child))


SEED_READINGS = {
    r"J(y) = - \sum_i y'_i \ln(y_i)":
        r"Rel(Mul(J, (y)) = Neg(Sum[i=None..None](Mul(y'_{i}, Call(ln, y_{i})))))",
    r"= - \left[ (y'_1 V_1 + \dots + y'_n V_n) - \ln V (y'_1 + \dots + y'_n) \right]":
        r"Rel(None = Neg([Add((Add(Mul(y'_{1}, V_{1}), Dots, Mul(y'_{n}, V_{n}))), "
        r"Neg(Mul(Call(ln, V), (Add(y'_{1}, Dots, y'_{n})))))]))",
    r"= -L(y_i'v_1 + \dots + y_n'v_n) - \ln V (y_1' + \dots + y_n')":
        r"Rel(None = Add(Neg(Mul(L, (Add(Mul(y'_{i}, v_{1}), Dots, Mul(y'_{n}, v_{n}))))), "
        r"Neg(Mul(Call(ln, V), (Add(y'_{1}, Dots, y'_{n}))))))",
    r"y_i = \text{softmax}(V_i) \quad \sum_j e^{V_j} = V = e^{V_1} + \dots + e^{V_n}":
        r"Seq[quad](Rel(y_{i} = Call(softmax, V_{i})), Rel(Sum[j=None..None](Pow(e, V_{j})) = V"
        r" = Add(Pow(e, V_{1}), Dots, Pow(e, V_{n}))))",
    r"\Rightarrow \frac{\partial v_i}{\partial w_{ij}} = x_j":
        r"Rel(None \Rightarrow D[partial w_{ij}](v_{i}) = x_{j})",
    r"w_{ij} := w_{ij} - \alpha \frac{\partial}{\partial w_{ij}} J(\omega)":
        r"Rel(w_{ij} := Add(w_{ij}, Neg(Mul(alpha, D[partial op w_{ij}](Mul(J, (omega)))))))",
    r"k < \# \text{training examples}": r"Rel(k < Mul(Text('#'), Text('training examples')))",
    r"\omega_{ij} := \omega_{ij} + \alpha x_j^k [y_i^k - \frac{e^{v_i(k)}}{V(k)}]":
        r"Rel(omega_{ij} := Add(omega_{ij}, Mul(alpha, Pow(x_{j}, k), [Add(Pow(y_{i}, k), "
        r"Neg(Div(Pow(e, Mul(v_{i}, (k))), Mul(V, (k)))))])))",
}


@pytest.mark.parametrize("math, tree", SEED_READINGS.items())
def test_seed_lines_read_as_written(math, tree):
    assert math in SEED_MATH
    assert show(read_latex(math)) == tree


def test_the_seed_aligned_block_has_rows_and_cells():
    block = next(m for m in SEED_MATH if m.startswith(r"\begin{aligned} \frac{\partial}"))
    tree = read_latex(block)
    assert isinstance(tree, A.Rows) and tree.env == "aligned"
    assert [len(r) for r in tree.rows] == [2, 2, 2, 2, 2]
    assert show(tree.rows[0][0]) == r"D[partial op w_{ij}](Call(ln, V))"
    assert all(row[0] is None for row in tree.rows[1:])  # rows continuing with "&= ..."
    first = tree.rows[0][1]  # "= ... \quad \rightarrow \text{only } e^{v_i} \text{ remains}"
    assert isinstance(first, A.Seq) and first.sep == "quad"
    assert show(first.items[1]) == r"Rel(None \rightarrow Mul(Text('only '), Pow(e, v_{i}), Text(' remains')))"
    for (start, end), row in zip(tree.row_spans, tree.rows):
        assert block[start:end].lstrip().startswith(("\\frac", "&"))


def test_the_seed_matrices_and_array():
    tree = read_latex(SEED_MATH[0])
    assert show(tree).startswith("Add(Mul(Matrix[bmatrix](w_{11} & Dots & w_{1m} \\\\ Dots & Dots")
    system = read_latex(SEED_MATH[1])  # \left\{ \begin{array}{l} V_1 = ... \end{array} \right\}
    assert isinstance(system, A.Group) and system.delim == "\\{"
    assert isinstance(system.body, A.Rows) and system.body.env == "array"
    assert len(system.body.rows) == 4 and isinstance(system.body.rows[2][0], A.Dots)


def test_the_seed_underbrace_keeps_its_label():
    math = next(m for m in SEED_MATH if "underbrace" in m)
    tree = read_latex(math)
    brace = next(n for n in nodes(tree) if isinstance(n, A.Annotated))
    assert brace.kind == "underbrace"
    assert show(brace.label) == "Rel(Mul(Text('call it '), Y) = Mul(1, Text(' b/c \"one hot\" encoding')))"


CASES = [
    # unbraced function arguments: juxtaposed factors, stopping at a bracket after them
    (r"\sin 2x", "Call(sin, Mul(2, x))"),
    (r"\cos 2x", "Call(cos, Mul(2, x))"),
    (r"\ln V (y'_1 + y'_2)", "Mul(Call(ln, V), (Add(y'_{1}, y'_{2})))"),
    (r"\sin x \cos x", "Mul(Call(sin, x), Call(cos, x))"),
    (r"\sin x + 1", "Add(Call(sin, x), 1)"),
    (r"\sin x \cdot y", "Mul(Call(sin, x), *y)"),
    (r"\ln \frac{a}{b}", "Call(ln, Div(a, b))"),
    (r"\ln e^{V_1}", "Call(ln, Pow(e, V_{1}))"),
    (r"\ln \ln x", "Call(ln, Call(ln, x))"),
    (r"\ln |x| y", "Call(ln, Mul(Abs(x), y))"),
    (r"\ln x |y|", "Mul(Call(ln, x), Abs(y))"),
    # powers of functions, inverse functions, braced arguments
    (r"\sin^2 x", "Call(sin, x, power=2)"),
    (r"\sin^{2}{\left(x \right)}", "Call(sin, x, power=2)"),
    (r"\sin^{-1} x", "Call(arcsin, x)"),
    (r"\tanh^{-1}(x)", "Call(atanh, x)"),
    (r"\exp x^2", "Call(exp, Pow(x, 2))"),
    (r"\exp(x)^2", "Pow(Call(exp, x), 2)"),
    (r"\log{\left(x \right)}^{2}", "Pow(Call(log, x), 2)"),
    (r"\log_b x", "Call(log, x, base=b)"),
    (r"\log_{10}(x)", "Call(log, x, base=10)"),
    (r"\exp(x)", "Call(exp, x)"),
    (r"e^{x}", "Pow(e, x)"),
    (r"\text{softmax}(V)_i", "Call(softmax, V, sub=i)"),
    (r"\mathrm{softmax}(z)", "Call(softmax, z)"),
    (r"\operatorname{softmax}(z)_j", "Call(softmax, z, sub=j)"),
    (r"\operatorname{sgn}(x)", "Call(sgn, x)"),
    (r"\sigma(z)", "Mul(sigma, (z))"),
    (r"\sigma(z)_i", "Mul(sigma, (z)_{i})"),
    (r"\sigma\left(z\right)_{i}^{2}", "Mul(sigma, Pow((z)_{i}, 2))"),
    (r"\max(a, b)", "Call(max, a, b)"),
    # derivatives
    (r"\frac{d}{dx} x^2", "D[d op x](Pow(x, 2))"),
    (r"\frac{d}{dx} 2x + 1", "Add(D[d op x](Mul(2, x)), 1)"),
    (r"\frac{d\sigma}{dz}", "D[d z](sigma)"),
    (r"\frac{\mathrm{d} y}{\mathrm{d} x}", "D[d x](y)"),
    (r"\frac{\partial J}{\partial w_{ij}}", "D[partial w_{ij}](J)"),
    (r"\frac{\partial^2 J}{\partial w_{ij} \partial w_{kl}}", "D[partial w_{ij},w_{kl}](J)"),
    (r"\frac{\partial^2 f}{\partial x^2}", "D[partial x^2](f)"),
    (r"\frac{\partial L}{\partial \hat{y}_i}", "D[partial hat(y)_{i}](L)"),
    (r"\frac{\partial}{\partial w_{ij}} \ln V", "D[partial op w_{ij}](Call(ln, V))"),
    (r"\frac{\partial}{\partial w} [a + b]", "D[partial op w]([Add(a, b)])"),
    (r"\frac{d}{c}", "Div(d, c)"),
    (r"\frac{dx}{2}", "Div(Mul(d, x), 2)"),
    # names
    (r"x_j^{(k)}", "Pow(x_{j}, (k))"),
    (r"x_j^k", "Pow(x_{j}, k)"),
    (r"x^{2}_j", "Pow(x_{j}, 2)"),
    (r"\hat{y}_i", "hat(y)_{i}"),
    (r"\hat y_i", "hat(y)_{i}"),
    (r"\bar{x} + \tilde{z} + \vec v", "Add(bar(x), tilde(z), vec(v))"),
    (r"y'_i + y_i' + y^{\prime} + y^\prime_i", "Add(y'_{i}, y'_{i}, y', y'_{i})"),
    (r"W_{1,1} + w_{ij} + w_ij + w_12 + w_{1,12}", "Add(W_{1,1}, w_{ij}, w_{ij}, w_{12}, w_{1,12})"),
    (r"x_{k+1}", "x_{Add(k, 1)}"),
    (r"\alpha + \beta_j + \omega_{ij}", "Add(alpha, beta_{j}, omega_{ij})"),
    (r"E = m c^2", "Rel(E = Mul(m, Pow(c, 2)))"),
    (r"\text{J} + \text{lr}", "Add(J, lr)"),
    (r"\mathbf{x}", "bold(x)"),
    # sums, products, ellipses
    (r"\sum_i y_i", "Sum[i=None..None](y_{i})"),
    (r"\sum_{j=1}^{m} w_{ij} x_j + b_i", "Add(Sum[j=1..m](Mul(w_{ij}, x_{j})), b_{i})"),
    (r"\sum\limits_{k=1}^{N} k", "Sum[k=1..N](k)"),
    (r"\prod_{k=1}^{3} x_k", "Prod[k=1..3](x_{k})"),
    (r"a_1 + a_2 + \dots + a_n", "Add(a_{1}, a_{2}, Dots, a_{n})"),
    (r"x_1 \cdots x_n", "Mul(x_{1}, Dots, x_{n})"),
    (r"a_1 + \ldots + a_n", "Add(a_{1}, Dots, a_{n})"),
    (r"x_1, \dots, x_m", "Seq[,](x_{1}, Dots, x_{m})"),
    (r"k = 1, \dots, N", "Rel(k = Seq[,](1, Dots, N))"),
    # fractions, roots, bars, brackets, products
    (r"\frac{a}{b}", "Div(a, b)"),
    (r"\dfrac{1}{2}x", "Mul(Div(1, 2), x)"),
    (r"\frac12", "Div(1, 2)"),
    (r"a/b \cdot c", "Mul(Div(a, b, slash), *c)"),
    (r"2x/y", "Div(Mul(2, x), y, slash)"),
    (r"\sqrt{x} + \sqrt[3]{y}", "Add(Root(x), Root(y, 3))"),
    (r"|x| + \left| y \right| + \lvert z \rvert", "Add(Abs(x), Abs(y), Abs(z))"),
    (r"\left[ x \right] \left( y \right) \left\{ z \right\} \big( w \big)",
     r"Mul([x], (y), \{z\}, (w))"),
    (r"x \cdot y \times z * w", "Mul(x, *y, *z, *w)"),
    (r"x \cdot -y", "Mul(x, *Neg(y))"),
    (r"a\,b\;c\!d \quad", "Mul(a, b, c, d)"),
    (r"2.5x", "Mul(2.5, x)"),
    # relations, annotations, prose
    (r"a = b = c", "Rel(a = b = c)"),
    (r"= b", "Rel(None = b)"),
    (r"w := w - \alpha g", "Rel(w := Add(w, Neg(Mul(alpha, g))))"),
    (r"a \Rightarrow b \rightarrow c \implies d", r"Rel(a \Rightarrow b \rightarrow c \Rightarrow d)"),
    (r"a \le b \leq c \ne d", r"Rel(a \le b \le c \ne d)"),
    (r"\boxed{x = 1}", "boxed(Rel(x = 1))"),
    (r"\underbrace{a + b}_{\text{sum}}", "underbrace(Add(a, b), sum)"),
    (r"\overbrace{a}^{n}", "overbrace(a, n)"),
    (r"x \quad \checkmark", "Seq[quad](x, Text('✓'))"),
    (r"\text{by chain rule}", "Text('by chain rule')"),
    # environments
    (r"\begin{aligned} a &= b \\ &= c \end{aligned}", "Rows[aligned](a & Rel(None = b) \\\\ None & Rel(None = c))"),
    (r"\begin{align*} a &= b \\ \end{align*}", "Rows[align](a & Rel(None = b))"),
    (r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}",
     "Rows[cases](1 & Rel(x > 0) \\\\ 0 & Text('otherwise'))"),
    (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", "Matrix[bmatrix](1 & 2 \\\\ 3 & 4)"),
    (r"\begin{vmatrix} a \end{vmatrix}", "Matrix[vmatrix](a)"),
    (r"a \\ b", "Rows[lines](a \\\\ b)"),
]


@pytest.mark.parametrize("text, tree", CASES)
def test_constructs_read_as_written(text, tree):
    assert show(read_latex(text)) == tree


def test_typography_and_spans():
    tree = read_latex("x \u2212 y \u00b7 z")  # typographic minus and middle dot
    assert show(tree) == "Add(x, Neg(Mul(y, *z)))"
    text = r"\frac{\partial J}{\partial w_{ij}} = -x_j"
    tree = read_latex(text)
    assert text[tree.items[0].start:tree.items[0].end] == r"\frac{\partial J}{\partial w_{ij}}"
    w = tree.items[0].wrt[0]
    assert text[w.start:w.end] == "w_{ij}" and w.sub_text == "ij"
    assert isinstance(w.sub[0], A.Word) and w.sub[0].text == "ij"
    assert read_latex("W_{1,2}").sub == (A.Number(text="1"), A.Number(text="2"))


REFUSED = [
    (r"\nabla J", r"\\nabla"),
    (r"\sin^{-2} x", "ambiguous"),
    (r"y / 2 x", "ambiguous after a '/'"),
    (r"a/b(c)", "ambiguous after a '/'"),
    (r"\exp{x}^2", r"ambiguous: TeX shows \\exp x\^2"),
    (r"\log{x}^{2}", "ambiguous"),
    (r"\ln^{-1} x", "ambiguous"),
    (r"x^23", r"write x\^\{23\}"),
    (r"e^-x", "needs braces"),
    ("x\u00b2", "superscript character '\u00b2'"),
    ("\u221ax", "root sign"),
    ("\u03b1 + 1", r"U\+03B1 GREEK SMALL LETTER ALPHA"),
    (r"\frac{\partial^2 J}{\partial w}", "orders disagree"),
    (r"\frac{\partial J}{w}", r"expected \\partial"),
    (r"\partial x", r"\\partial outside a derivative"),
    (r"\begin{foo} x \end{foo}", "unknown environment 'foo'"),
    (r"\begin{aligned} x \end{array}", "does not match"),
    (r"\begin{aligned} x", r"expected \\end\{aligned\}"),
    (r"\sum_{i,j} x", "one name"),
    (r"\sum_i", "without a summand"),
    (r"\ln", "missing argument of \\\\ln"),
    (r"x =", "missing right-hand side after '='"),
    (r"(x", r"expected '\)'"),
    (r"x)", r"unmatched '\)'"),
    (r"\left( x \right]", r"expected '\)'"),
    (r"x_jy_i", "double subscript"),
    (r"x^2^3", "double superscript"),
    (r"\foo{x}", r"unknown LaTeX command \\foo"),
    (r"a & b \end{x}", r"unexpected \\end\{x\}"),
    (r"\hat{xy}", "one letter"),
    (r"\pm x", "two formulas"),
    (r"x!", "factorial"),
    (r"\int x", "integrals"),
    ("", "empty"),
    (r"k++", "an operand is missing"),
    (r"\operatorname{x+1}(y)", "must name a function"),
    (r"\text{a", "unclosed"),
]


@pytest.mark.parametrize("text, message", REFUSED)
def test_what_cannot_be_read_is_a_parse_error_naming_it(text, message):
    with pytest.raises(ParseError, match=message) as info:
        read_latex(text)
    if text:
        assert "position" in str(info.value)


def test_nesting_is_bounded():
    with pytest.raises(UnsafeExpressionError):
        read_latex("{" * 150 + "x" + "}" * 150)
    with pytest.raises(UnsafeExpressionError):
        read_latex(r"\ln " * 150 + "x")
    deep = "(" * 99 + "x" + ")" * 99
    assert isinstance(read_latex(deep), A.Group)
    assert isinstance(read_latex("e^{" * 99 + "x" + "}" * 99), A.Pow)


def test_type_error_for_non_text():
    with pytest.raises(TypeError, match="int"):
        read_latex(3)


ALPHABET = "xyeVw_ij'0123456789.+-*/^()[]{}|=,&\\ " + "abcdqt\"@;:!"
PIECES = [r"\frac", r"\left(", r"\right)", r"\cdot", r"\alpha", r"\sqrt", r"\ln", r"\sum_",
          r"\partial", r"\dots", r"\begin{aligned}", r"\end{aligned}", r"\\", "&", r"\text{a b}",
          r"\operatorname{f}", r"\hat", r"\quad", "^{\\prime}", "_{", "}", r"\boxed{", r"\sin^{-1}",
          r"\begin{bmatrix}", r"\end{bmatrix}", r"\left\{", r"\right.", r"\underbrace{", r"\mathrm{d}"]


@given(st.lists(st.one_of(st.text(ALPHABET, max_size=4), st.sampled_from(PIECES)),
                max_size=30).map("".join))
def test_random_text_reads_or_raises_parse_error(text):
    try:
        tree = read_latex(text)
    except ParseError as error:
        assert str(error)
    else:
        assert isinstance(tree, A.Node)
        for node in nodes(tree):
            assert 0 <= node.start <= node.end <= len(text)
