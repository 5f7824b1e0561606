r"""parse(..., syntax="latex") through read_latex + lowering: readings as a mathematician reads.

Expected values are built with SymPy's own constructors (never with the parser).
"""

import pytest
import sympy

from derivation.errors import ParseError, UnsafeExpressionError
from derivation.parsing import parse, parse_equation


def S(name):
    return sympy.Symbol(name, real=True)


x, y, z, V, a, b, c = (S(n) for n in "x y z V a b c".split())
sin, cos, log, exp = sympy.sin, sympy.cos, sympy.log, sympy.exp

READINGS = [
    # issue 9, class 1: unbraced arguments run over the juxtaposed factors
    (r"\sin 2x", sin(2 * x)),
    (r"\cos 2x", cos(2 * x)),
    (r"\cos^2 x - \sin^2 x", cos(x) ** 2 - sin(x) ** 2),
    (r"\sin x y", sin(x * y)),
    (r"\sin x \cos x", sin(x) * cos(x)),
    (r"\sin x + y", sin(x) + y),
    (r"\sin(x) \cdot y", sin(x) * y),
    (r"\ln V (y'_1 + y'_2)", log(V) * (S("y'_1") + S("y'_2"))),
    (r"\ln 2x", log(2 * x)),
    (r"\ln x^2", log(x**2)),
    # inverse functions, never reciprocals
    (r"\sin^{-1} x", sympy.asin(x)),
    (r"\cos^{-1}(x)", sympy.acos(x)),
    (r"\tan^{-1}{\left(x \right)}", sympy.atan(x)),
    (r"\arcsin x + \operatorname{asin}(y)", sympy.asin(x) + sympy.asin(y)),
    (r"\frac{1}{\sin x}", 1 / sin(x)),
    # an unbraced argument takes its own power; \exp{x}^2 is refused (conventions disagree)
    (r"\exp x^2", exp(x**2)),
    (r"\exp(x)^2", exp(x) ** 2),
    (r"\log{\left(x \right)}^{2}", log(x) ** 2),
    (r"\sin^{2}{\left(x \right)}", sin(x) ** 2),
    # derivatives are derivatives
    (r"\frac{d}{dx} x^2", 2 * x),
    (r"\frac{d}{dx} x^3 + 1", 3 * x**2 + 1),
    (r"\frac{d}{dx} \left( x^2 y \right)", 2 * x * y),
    (r"\frac{\partial}{\partial x} \ln(x y)", 1 / x),
    (r"\frac{\partial^2}{\partial x \partial y} x^2 y^3", 6 * x * y**2),
    (r"\frac{\partial^2}{\partial x^2} x^4", 12 * x**2),
    (r"\frac{d}{dz} \frac{1}{1 + e^{-z}}", sympy.diff(1 / (1 + exp(-z)), z)),
    (r"\frac{\partial}{\partial w_{ij}} w_{ij} x_j", S("x_j")),
    # E is a variable; e is Euler's number
    (r"E", S("E")),
    (r"E m c^2", S("E") * S("m") * S("c") ** 2),
    (r"e^{x} + \mathrm{e}^{y} + \exp(z)", exp(x) + exp(y) + exp(z)),
    (r"e_1 + e", S("e_1") + sympy.E),
    # names as the project has always named them
    (r"\hat{y}_i - \bar{x}", S("yhat_i") - S("xbar")),
    (r"W_{1,1} + w_{ij} + w_{i,j} + y'_i + y_i' + y^{\prime}_i",
     S("W_11") + 2 * S("w_ij") + 3 * S("y'_i")),
    (r"x(z + 1)", x * (z + 1)),  # a name followed by a bracket: here a product
    (r"\sigma \cdot (z)", S("sigma") * z),  # ... and with \cdot whatever the name
    (r"\text{sigmoid}(z)", 1 / (1 + exp(-z))),
    (r"\lambda + \Lambda", S("lamda") + S("Lamda")),
    # sums with numeric bounds are written out
    (r"\sum_{k=1}^{3} x_k", S("x_1") + S("x_2") + S("x_3")),
    (r"\sum_{j=1}^{2} w_{ij} x_j", S("w_i1") * S("x_1") + S("w_i2") * S("x_2")),
    (r"\sum_{k=1}^{3} k", sympy.Integer(6)),
    (r"\sum_{k=1}^{3} x^{k+1}", x**2 + x**3 + x**4),
    (r"\prod_{k=1}^{3} x_k", S("x_1") * S("x_2") * S("x_3")),
    (r"\sum_{i=1}^{2} \sum_{j=1}^{2} w_{ij}", S("w_11") + S("w_12") + S("w_21") + S("w_22")),
    (r"\sum_{k=1}^{2} x_k + 1", S("x_1") + S("x_2") + 1),
    # wrappers that do not change the value
    (r"\boxed{x + 1}", x + 1),
    (r"\underbrace{x + y}_{\text{the sum}}", x + y),
    (r"\left( x \right) \big[ y \big]", x * y),
    (r"x \quad", x),
    (r"|x - 1|", sympy.Abs(x - 1)),
    (r"\sqrt[3]{x}", x ** sympy.Rational(1, 3)),
    (r"a \times b \cdot c", a * b * c),
    (r"y \,.\, x", x * y),  # SymPy's mul_symbol="ldot"
]


@pytest.mark.parametrize("text, expected", READINGS)
def test_latex_is_read_as_a_mathematician_reads_it(text, expected):
    assert parse(text, syntax="latex") == expected


def test_the_seed_mixed_reading():
    """(ln V)(y'_1 + ...) while \\sin 2x is sin(2x): the two conventions in one line."""
    got = parse(r"\ln V (y'_1 + y'_2) - \sin 2x", syntax="latex")
    assert got == log(V) * (S("y'_1") + S("y'_2")) - sin(2 * x)


def test_E_is_a_variable_and_not_eulers_number():
    E = parse("E", syntax="latex")
    assert E.is_Symbol and E != sympy.E and E.is_real
    assert parse("E", syntax="sympy") == sympy.E  # SymPy's own syntax: E is Euler's number


REFUSED = [
    (r"\operatorname{sgn}(x)", "unknown function 'sgn'"),
    (r"\mathrm{sgn}(x)", "unknown function 'sgn'"),
    (r"\text{relu}(x)", "unknown function 'relu'"),
    (r"\max(a, b)", "unknown function 'max'"),
    (r"\text{softmax}(V)_i", "softmax is a function of a vector"),
    (r"\sigma(z)_i", "entry of a vector-valued function"),
    (r"\sin^{-2} x", "ambiguous"),
    # review of issue 9, class 1: readings on which the conventions disagree
    (r"\sin^{(-1)} x", "ambiguous"),
    (r"\sin^{-1/2} x", "ambiguous"),
    (r"f^{(2)}(x)", "names an example"),
    (r"\sigma(z)", "ambiguous"),
    (r"f(x)", "ambiguous"),
    (r"\Gamma(x)", "ambiguous"),
    (r"1\,000", "two numbers side by side"),
    (r"1.2.3", "two numbers side by side"),
    (r"\sin 2 3", "two numbers side by side"),
    (r"\frac{d}{dx} \sin x \cos x", "does the derivative apply"),
    (r"\frac{d}{dx} x^2 \cdot x", "does the derivative apply"),
    (r"\frac{d}{dx}(x^2) x", "does the derivative apply"),
    (r"\frac{d}{dx^2} x^4", "looks like a derivative"),
    (r"\frac{d^2}{dx} x^3", "looks like a derivative"),
    (r"|a|b|c|", "ambiguous"),
    (r"x^T", "transpose"),
    (r"x^ab", "shows as x\\^a followed by b"),
    (r"e^xy", "followed by y"),
    (r"\sin x/2", "inside .sin's argument"),
    (r"\ln x / 2", "inside .ln's argument"),
    (r"\mathrm{i}^2", "imaginary unit"),
    (r"\sin x \cdot y", "inside .sin's argument"),  # SymPy's printer: sin(x y)
    (r"\mathrm{j}", "imaginary unit"),
    (r"\mathrm{d}x", "differential"),
    (r"\mathbb{E}[x]", "expectation"),
    (r"\exp{x}^2", "ambiguous"),
    (r"\ln^{-1} x", "ambiguous"),
    (r"x_j^{(k)}", "names an example"),
    (r"\sum_{k=1}^{3} x_j^k", "the summation index"),
    (r"\sum_i y_i", "without both bounds"),
    (r"\sum_{i=1}^{n} y_i", "symbolic bounds"),
    (r"a_1 + \dots + a_n", "ellipsis"),
    (r"x_1 \cdots x_n", "ellipsis"),
    (r"\frac{\partial J}{\partial w_{ij}}", "does not contain w_{ij}"),
    (r"\frac{\partial}{\partial w_{ij}} \ln V", "does not contain w_{ij}"),
    (r"\frac{\partial}{\partial x}", "applied to nothing"),
    (r"\nabla J", "nabla"),
    (r"\text{by chain rule}", "prose"),
    (r"x, y", "a list"),
    (r"x = 1", "parse_equation"),
    (r"x \Rightarrow y", "parse_equation"),
    (r"a \\ b", "rows"),
    (r"\begin{bmatrix} x \end{bmatrix}", "environments"),
    (r"x \quad y", "statements set apart"),
    (r"x_{i+1}", "subscripts may contain"),
    (r"\infty", "infinity"),
    (r"\frac{d^{5}}{dx^{5}} x^9", "order 5"),
]


@pytest.mark.parametrize("text, message", REFUSED)
def test_what_has_no_standalone_reading_is_refused_by_name(text, message):
    with pytest.raises(ParseError, match=message) as info:
        parse(text, syntax="latex")
    assert "position" in str(info.value)


def test_refusal_messages_point_at_the_construct():
    with pytest.raises(ParseError) as info:
        parse(r"x + \operatorname{sgn}(x)", syntax="latex")
    assert "(at position 4)" in str(info.value)


def test_parse_equation_on_latex():
    eq = parse_equation(r"\frac{d}{dx} x^2 = 2x", syntax="latex")
    assert isinstance(eq, sympy.Eq) and eq.lhs == 2 * x and eq.rhs == 2 * x
    eq = parse_equation(r"w_{ij} := w_{ij} - \alpha x_j", syntax="latex")
    assert eq.lhs == S("w_ij") and eq.rhs == S("w_ij") - S("alpha") * S("x_j")
    for text in (r"a = b = c", r"a \le b", r"= b", r"a + b"):
        with pytest.raises(ParseError, match="'='"):
            parse_equation(text, syntax="latex")


def test_nested_sums_are_bounded():
    with pytest.raises(UnsafeExpressionError, match="terms"):
        parse(r"\sum_{a=1}^{100}\sum_{b=1}^{100}\sum_{c=1}^{100} x", syntax="latex")
