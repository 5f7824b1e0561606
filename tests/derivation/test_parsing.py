"""Tests of derivation.parsing.api: the safe, eval-free parser of user formulas."""

import builtins
import contextlib
import os
import re
import subprocess

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from derivation.equivalence.normalise import non_real_constant
from derivation.errors import ParseError, UnsafeExpressionError
from derivation.parsing.api import (
    MAX_CALL_DEPTH,
    MAX_CALLS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    parse,
    parse_equation,
)


def S(name):
    return sympy.Symbol(name, real=True)


x, y, z, V, alpha = S("x"), S("y"), S("z"), S("V"), S("alpha")
x_j, y_i, v_i, w_ij, yp_i = S("x_j"), S("y_i"), S("v_i"), S("w_ij"), S("y'_i")
half = sympy.Rational(1, 2)

# the seed's boxed gradient, -x_j (y_i - e^{v_i}/V), built with constructors
SEED_GRADIENT = -x_j * (y_i - sympy.exp(v_i) / V)

SYMPY_CASES = [
    ("-x_j*(y_i - exp(v_i)/V)", SEED_GRADIENT),
    ("x + y*z", x + y * z),
    ("x - y - z", x - y - z),
    ("x/y/z", x / (y * z)),
    ("x**2", x**2),
    ("x^2", x**2),
    ("2**3**2", sympy.Integer(512)),
    ("-x**2", -(x**2)),
    ("x**-2", x**-2),
    ("--x", x),
    ("+x", x),
    ("(x + y)*[z - 1]", (x + y) * (z - 1)),
    ("0.5*x", half * x),
    ("1e-3", sympy.Rational(1, 1000)),
    ("1.25E2", sympy.Integer(125)),
    (".5", half),
    ("2.", sympy.Integer(2)),
    ("e", sympy.E),
    ("E**x", sympy.exp(x)),
    ("e**x", sympy.exp(x)),
    ("e^x", sympy.exp(x)),
    ("pi", sympy.pi),
    ("ln(x) + log(y)", sympy.log(x) + sympy.log(y)),
    ("log(8, 2)", sympy.Integer(3)),
    ("sqrt(x)", sympy.sqrt(x)),
    ("abs(x) + Abs(y)", sympy.Abs(x) + sympy.Abs(y)),
    ("sin(x)*cos(y)*tanh(z)", sympy.sin(x) * sympy.cos(y) * sympy.tanh(z)),
    ("w_ij + alpha*x_j", w_ij + alpha * x_j),
    ("w_12", S("w_12")),
    ("y'_i", yp_i),
    ("y_i'", yp_i),
    ("V_1 + b_1 + x1", S("V_1") + S("b_1") + S("x1")),
    ("lamda", S("lamda")),
    ("x \u2212 y \u00b7 z", x - y * z),  # typographic minus and middle dot
]

LATEX_CASES = [
    (r"-x_j \left(y_i - \frac{e^{v_i}}{V}\right)", SEED_GRADIENT),
    (r"w_{ij} + \alpha x_j \left[ y_i - \frac{e^{v_i}}{V} \right]",
     w_ij + alpha * x_j * (y_i - sympy.exp(v_i) / V)),
    (r"e^{v_i y_i}", sympy.exp(v_i * y_i)),
    (r"2x", 2 * x),
    (r"2.5x", sympy.Rational(5, 2) * x),
    (r"x y z", x * y * z),
    (r"x_{j}", x_j),
    (r"w_{i,j}", w_ij),
    (r"w_{ij}", w_ij),
    (r"w_{1,12}", S("w_1,12")),
    (r"w_{1, 2}", S("w_12")),
    (r"w_12", S("w_12")),
    (r"x_1x_2", S("x_1") * S("x_2")),
    (r"y'_i", yp_i),
    (r"y^{\prime}_i", yp_i),
    (r"y^\prime_i", yp_i),
    (r"y_{i}^{\prime}", yp_i),
    (r"y'_{1} V_{1}", S("y'_1") * S("V_1")),
    (r"\frac{a}{b}", S("a") / S("b")),
    (r"\frac12", half),
    (r"\dfrac{1}{2}x", x / 2),
    (r"\frac{a}{b}c", S("a") * S("c") / S("b")),
    (r"a \cdot b \times c", S("a") * S("b") * S("c")),
    (r"a \div b", S("a") / S("b")),
    (r"x^{2}", x**2),
    (r"x^2", x**2),
    (r"x^{10}", x**10),
    (r"x_j^{2}", x_j**2),
    (r"x^{2}_j", x_j**2),
    (r"{x^{2}}^{3}", x**6),
    (r"e^x", sympy.exp(x)),
    (r"e^{-x}", sympy.exp(-x)),
    (r"\exp(x) + \exp{x}", 2 * sympy.exp(x)),
    (r"\mathrm{e}^{x}", sympy.exp(x)),
    (r"\ln x + \log(y)", sympy.log(x) + sympy.log(y)),
    (r"\ln V (y'_1 + y'_2)", sympy.log(V) * (S("y'_1") + S("y'_2"))),
    (r"\log{\left(x \right)}", sympy.log(x)),
    (r"\log_2 8", sympy.Integer(3)),
    (r"\sin^2 x", sympy.sin(x) ** 2),
    (r"\sqrt{x}", sympy.sqrt(x)),
    (r"\sqrt[3]{x}", x ** sympy.Rational(1, 3)),
    (r"\left|x\right| + |y| + \lvert z \rvert", sympy.Abs(x) + sympy.Abs(y) + sympy.Abs(z)),
    (r"\alpha + \beta_j + \omega_{ij}", alpha + S("beta_j") + S("omega_ij")),
    (r"\lambda", S("lamda")),
    (r"\pi r^2", sympy.pi * S("r") ** 2),
    (r"\{x\} + \big( y \big) + \Bigl[ z \Bigr]", x + y + z),
    (r"a\,b\;c\!d", S("a") * S("b") * S("c") * S("d")),
    (r"x \cdot -y", -x * y),
    (r"x*(y)", x * y),
    (r"\text{lr} \, x", S("lr") * x),
    (r"exp(x) + alpha", sympy.exp(x) + alpha),
    (r"1e-3 + x", sympy.Rational(1, 1000) + x),
    (r"-\left[ y'_1 (\ln e^{V_1} - \ln V) + y'_2 (\ln e^{V_2} - \ln V) \right]",
     -(S("y'_1") * (S("V_1") - sympy.log(V)) + S("y'_2") * (S("V_2") - sympy.log(V)))),
]


@pytest.mark.parametrize("text, expected", SYMPY_CASES)
def test_sympy_syntax(text, expected):
    assert parse(text, syntax="sympy") == expected
    assert parse(text) == expected  # auto picks sympy syntax (no backslash/brace)


@pytest.mark.parametrize("text, expected", LATEX_CASES)
def test_latex_syntax(text, expected):
    assert parse(text, syntax="latex") == expected


@pytest.mark.parametrize(
    "sympy_text, latex_text",
    [
        ("-x_j*(y_i - exp(v_i)/V)", r"-x_j \left(y_i - \frac{e^{v_i}}{V}\right)"),
        ("w_ij + alpha*x_j*(y_i - exp(v_i)/V)",
         r"w_{ij} + \alpha x_j \left[ y_i - \frac{e^{v_i}}{V} \right]"),
        ("w_ij + alpha*x_j*(y_i - exp(v_i*y_i)/V)",
         r"w_{ij} + \alpha x_j [y_i - \frac{e^{v_i y_i}}{V}]"),
        ("exp(v_i*y_i)", r"e^{v_i y_i}"),
        ("-(y'_1*log(exp(V_1)/V) + y'_2*log(exp(V_2)/V))",
         r"- \left[ y'_1 \ln \left( \frac{e^{V_1}}{V} \right)"
         r" + y'_2 \ln \left( \frac{e^{V_2}}{V} \right) \right]"),
        ("x_j*exp(v_i)/V", r"\frac{e^{v_i} x_j}{V}"),
        ("sqrt(x**2 + 1)", r"\sqrt{x^{2} + 1}"),
    ],
)
def test_latex_and_sympy_forms_give_the_same_tree(sympy_text, latex_text):
    a, b = parse(sympy_text), parse(latex_text)
    assert a == b
    assert sympy.srepr(a) == sympy.srepr(b)


def test_all_symbols_are_real_and_named_by_the_contract():
    expr = parse(r"w_{i,j} + x_{j} + y^{\prime}_i + \alpha + w_{1,12}")
    names = {s.name for s in expr.free_symbols}
    assert names == {"w_ij", "x_j", "y'_i", "alpha", "w_1,12"}
    assert all(s.is_real for s in expr.free_symbols)
    assert parse("x_j").assumptions0 == S("x_j").assumptions0


def test_decimals_are_exact_rationals():
    value = parse("0.1 + 0.2")
    assert value == sympy.Rational(3, 10)
    assert value.is_Rational and not value.atoms(sympy.Float)


@pytest.mark.parametrize(
    "text, value",
    [("2E+4", 20000), (".5e1", 5), ("1.25e-2", sympy.Rational(1, 80)), ("007", 7), ("0.0", 0)],
)
def test_number_literals_mean_the_same_in_both_syntaxes(text, value):
    assert parse(text, syntax="sympy") == parse(text, syntax="latex") == value


@pytest.mark.parametrize("text", ["x^{1001}", "x^{1/1001}", "(x^{40})^{40}"])
def test_exponent_bound_is_the_same_in_both_syntaxes(text):
    messages = []
    for syntax in ("sympy", "latex"):
        with pytest.raises(UnsafeExpressionError, match="exponent .* is too large") as info:
            parse(text.replace("{", "(").replace("}", ")") if syntax == "sympy" else text,
                  syntax=syntax)
        messages.append(str(info.value).splitlines()[0])
    assert messages[0].split(" (at position")[0] == messages[1].split(" (at position")[0]


def test_parse_equation():
    eq = parse_equation(r"w_{ij} := w_{ij} + \alpha x_j")
    assert isinstance(eq, sympy.Eq)
    assert eq.lhs == w_ij and eq.rhs == w_ij + alpha * x_j
    assert parse_equation("y_1 + y_2 == 1") == sympy.Eq(S("y_1") + S("y_2"), 1)
    same = parse_equation("x = x")  # stays an equation, not sympy.true
    assert isinstance(same, sympy.Eq) and same.lhs == same.rhs == x


@pytest.mark.parametrize("text", ["x = y = z", "x + y", "= x", "x ="])
def test_parse_equation_needs_exactly_one_sign_and_two_sides(text):
    with pytest.raises(ParseError, match="'='"):
        parse_equation(text)


def test_parse_refuses_an_equation():
    with pytest.raises(ParseError, match="parse_equation"):
        parse("x = 1")


@pytest.mark.parametrize(
    "text, syntax, message",
    [
        ("", "auto", "empty"),
        ("   \n", "latex", "empty"),
        ("x +", "sympy", "end of input"),
        ("x )", "sympy", r"unexpected '\)'"),
        ("(x", "sympy", r"expected '\)'"),
        ("2x", "sympy", "implicit multiplication"),
        ("x (y)", "sympy", "unknown function 'x'"),
        ("foo(x)", "sympy", "known functions: Abs, abs, acos"),
        ("exp", "sympy", "needs parentheses"),
        ("sqrt(x, y)", "sympy", "takes 1 argument"),
        ("x @ y", "sympy", "unexpected character '@'"),
        (r"\sum_i y_i", "latex", "write the terms out"),
        (r"y_1 + \dots + y_n", "latex", "ellipsis"),
        (r"\frac{\partial J}{\partial w}", "latex", "partial"),
        (r"\foo{x}", "latex", "unknown LaTeX command"),
        (r"x_jy_i", "latex", "double subscript"),
        (r"x^2^3", "latex", "double superscript"),
        (r"\left( x \right]", "latex", r"expected '\)'"),
        (r"x_{i+1}", "latex", "subscripts may contain"),
        (r"\frac{1}{0}", "latex", "division by zero"),
        ("1/0", "sympy", "division by zero"),
        (r"\begin{bmatrix} x \end{bmatrix}", "latex", "environments"),
    ],
)
def test_malformed_input_is_a_parse_error_naming_the_problem(text, syntax, message):
    with pytest.raises(ParseError, match=message):
        parse(text, syntax=syntax)


@pytest.mark.parametrize(
    "text, message",
    [
        ("sqrt(-1)", "not a real number"),
        ("(-1)**(1/2)", "not a real number"),
        ("(-8)**(1/3)", "not a real number"),
        ("sqrt(4 - 5)", "not a real number"),
        ("(1 - e)**(1/2)", "not a real number"),
        ("(-2)**pi", "not a real number"),
        (r"\sqrt[3]{-8}", "not a real number"),
        (r"\ln(-1)", r"log\(-1\) is not a real number"),
        ("log(-2)", "positive argument"),
        ("log(0)", "positive argument"),
        ("log(x, 0)", "base 0 is not allowed"),
        ("log(x, 1)", "base 1 is not allowed"),
        ("log(x, -2)", "base -2 is not allowed"),
        (r"\log_{0} x", "base 0 is not allowed"),
        ("I", "'I' is reserved.*imaginary unit"),
        ("2*I + x", "'I' is reserved"),
        (r"\mathrm{I} x", "'I' is reserved"),
        ("oo", "'oo' is reserved.*infinity"),
        ("zoo - 1", "'zoo' is reserved"),
        ("nan", "'nan' is reserved"),
    ],
)
def test_non_real_constants_and_reserved_names_are_refused(text, message):
    with pytest.raises(ParseError, match=message):
        parse(text)


def test_real_roots_logs_and_names_near_the_refused_ones_still_parse():
    assert parse("sqrt(-x)") == sympy.sqrt(-S("x"))
    assert parse("(-1)**2") == 1 and parse("(-8)**(-1)") == sympy.Rational(-1, 8)
    assert parse("log(x, 1/2)") == -sympy.log(S("x")) / sympy.log(2)
    assert parse("I_1") == S("I_1") and parse("i") == S("i")
    assert parse("(-2)**x") == sympy.Pow(-2, S("x"))  # real where x is an integer


def test_error_message_points_at_the_position_with_a_caret():
    with pytest.raises(ParseError) as info:
        parse("x + y ) * 2")
    lines = str(info.value).splitlines()
    assert "position 6" in lines[0]
    assert lines[1].strip() == "x + y ) * 2"
    assert lines[2].index("^") - lines[1].index("x") == 6


def test_bad_arguments_are_type_and_value_errors():
    with pytest.raises(TypeError, match="int"):
        parse(3)
    with pytest.raises(ValueError, match="syntax"):
        parse("x", syntax="python")


HOSTILE = [
    "__import__('os').system('echo pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "lambda: 0",
    "lambda x: x",
    "import os",
    "os.system('ls')",
    "eval('1')",
    "exec('x=1')",
    "getattr(x, 'y')",
    "open('/etc/passwd')",
    "'abc'",
    '"abc"',
    "x; y",
    "[x for x in ()]",
    "1 if x else 2",
    "10**10**10**10",
    "9**9**9",
    "2**10000",
    "(x + 1)**100000",
    "x**(1/100000)",
    "(x+1)**1000*(x+1)**1000",
    "(10**500)**(1/2)",
    "1e999999999",
    "1" * 1500,
    "(" * 10_000 + "x" + ")" * 10_000,
    "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
    "x" + "**x" * (MAX_DEPTH + 1),
    "exp(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
    "log(" * (MAX_CALL_DEPTH + 1) + "x" + ")" * (MAX_CALL_DEPTH + 1),
    "\\ln " * (MAX_CALL_DEPTH + 1) + "x",
    "x" * (MAX_LENGTH + 1),
    r"\input{/etc/passwd}",
    r"\def\x{1}",
    "{" * (MAX_DEPTH + 1) + "x" + "}" * (MAX_DEPTH + 1),
    "e^{" * (MAX_DEPTH + 1) + "x" + "}" * (MAX_DEPTH + 1),
    r"\sqrt{" * (MAX_DEPTH + 1) + "x" + "}" * (MAX_DEPTH + 1),
]
# Python statements that are refused in SymPy syntax; as LaTeX, "import os" is just the
# harmless product i*m*p*o*r*t*o*s.
PYTHON_ONLY = {"import os", "1 if x else 2"}


@contextlib.contextmanager
def tripwires():
    """Within the block, code-running builtins and process spawners fail when called."""
    calls = []

    def tripwire(name):
        def fail(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called by the parser")

        return fail

    real_import = builtins.__import__

    def sympy_imports_only(name, globals=None, locals=None, fromlist=(), level=0):
        # SymPy's constructors do function-local imports of its own modules; any
        # other import (os, subprocess, ...) during a parse trips the wire.
        importer = (globals or {}).get("__name__", "")
        if name.partition(".")[0] in ("sympy", "mpmath") or (
            level > 0 and importer.startswith(("sympy.", "mpmath."))
        ):
            return real_import(name, globals, locals, fromlist, level)
        return tripwire(f"__import__({name!r})")()

    targets = [(builtins, n, tripwire(n)) for n in ("eval", "exec", "compile", "open")]
    targets += [(builtins, "__import__", sympy_imports_only)]
    targets += [(os, "system", tripwire("os.system")), (subprocess, "Popen", tripwire("Popen"))]
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in targets]
    try:
        for obj, name, replacement in targets:  # plain setattr: monkeypatch imports lazily
            setattr(obj, name, replacement)
        yield calls
    finally:
        for obj, name, original in saved:
            setattr(obj, name, original)
    assert calls == []


def refused(text, syntax="auto"):
    """The error raised by parsing ``text`` while nothing may run (None if it parsed)."""
    with tripwires():
        try:
            parse(text, syntax=syntax)
        except ParseError as error:
            return error
    return None


@pytest.mark.timeout(10)
@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("syntax", ["auto", "sympy", "latex"])
def test_hostile_input_is_refused_and_nothing_runs(text, syntax):
    if syntax == "latex" and text in PYTHON_ONLY:
        with tripwires():
            product = parse(text, syntax=syntax)
        assert product.is_Mul and all(len(s.name) == 1 for s in product.free_symbols)
        return
    error = refused(text, syntax)
    assert error is not None, f"{text[:60]!r} was accepted"
    assert str(error)  # a message naming what was wrong


def test_tripwires_work():
    with pytest.raises(AssertionError, match="eval was called"):
        with tripwires():
            builtins.eval("1")
    with pytest.raises(AssertionError, match="__import__\\('os'\\) was called"):
        with tripwires():
            __import__("os")


@pytest.mark.parametrize(
    "text, message",
    [
        ("__import__('os')", "dunders"),
        ("x.y", "attribute"),
        ("lambda x: x", "keyword 'lambda'"),
        ("'abc'", "quotes"),
        ("eval(x)", "unknown function 'eval'"),
        ("9**9**9", "exponent 387420489 is too large"),
        ("(10**400)**(5/2)", "digits"),
        ("x" * (MAX_LENGTH + 1), "at most 2000"),
        ("(" * 10_000 + "x" + ")" * 10_000, "characters long"),
        ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "nested more than 100"),
        ("tanh(" * 31 + "x" + ")" * 31, "function calls are nested more than 30"),
        ("+".join(f"log(x+{i})" for i in range(51)), "more than 50 function calls"),
        ("+".join(f"\\left|x+{i}\\right|" for i in range(51)), "more than 50 function calls"),
    ],
)
def test_unsafe_input_raises_unsafe_expression_error(text, message):
    error = refused(text)
    assert isinstance(error, UnsafeExpressionError)
    assert re.search(message, str(error))


def test_limits_are_not_too_tight():
    deep = "(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    assert parse(deep) == x
    logs = "log(" * MAX_CALL_DEPTH + "x" + ")" * MAX_CALL_DEPTH
    assert parse(logs).count(sympy.log) == MAX_CALL_DEPTH
    many = "+".join(f"|x+{i}|" for i in range(MAX_CALLS))
    assert parse(many, syntax="latex").count(sympy.Abs) == MAX_CALLS
    assert parse("-" * (MAX_LENGTH - 1) + "x") == -x  # odd number of minus signs
    assert parse("2**1000") == sympy.Integer(2) ** 1000
    assert parse("x**1000") == x**1000
    assert parse("e**100000") == sympy.exp(100000)  # exp(n) stays unevaluated: allowed
    assert parse(" + ".join(["x"] * 400)) == 400 * x


# --- properties ----------------------------------------------------------------------

LEAF_SYMBOLS = [x_j, y_i, v_i, w_ij, yp_i, V, alpha, S("w_12"), S("b_1"), S("lamda")]
leaves = st.one_of(
    st.sampled_from(LEAF_SYMBOLS),
    st.integers(-20, 20).map(sympy.Integer),
    st.tuples(st.integers(-9, 9), st.integers(1, 9)).map(lambda pq: sympy.Rational(*pq)),
)


def _extend(children):
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda a: sympy.Add(*a)),
        st.lists(children, min_size=2, max_size=3).map(lambda a: sympy.Mul(*a)),
        st.tuples(children, st.integers(-3, 3)).map(lambda be: sympy.Pow(*be)),
        children.map(sympy.exp),
        children.map(sympy.log),
        children.map(sympy.Abs),
        children.map(sympy.sqrt),
    )


expressions = st.recursive(leaves, _extend, max_leaves=8).filter(
    # SymPy may rewrite roots/logs of negative reals with I, atan2, arg, re, im, or keep
    # a non-real constant such as sqrt(log(log(2))) (refused by the parser)
    lambda e: not e.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I, sympy.atan2,
                        sympy.arg, sympy.re, sympy.im)
    and non_real_constant(e) is None
    and not any(p.exp.is_Rational and max(abs(p.exp.p), p.exp.q) > MAX_EXPONENT
                for p in e.atoms(sympy.Pow))
    # exp(1800*log(13)) is 13**1800 to SymPy: a number beyond the parser's size limits
    and all(q.p.bit_length() < 3000 and q.q.bit_length() < 3000 for q in e.atoms(sympy.Rational))
)


@given(expressions)
def test_sympy_printed_expressions_parse_back_equal(expr):
    parsed = parse(str(expr), syntax="sympy")
    assert same_value(parsed, expr)
    assert parse(str(parsed), syntax="sympy") == parsed  # printing is then a fixed point


@given(expressions)
def test_latex_printed_expressions_parse_back_equal(expr):
    parsed = parse(sympy.latex(expr), syntax="latex")
    assert same_value(parsed, expr)
    assert parse(sympy.latex(parsed), syntax="latex") == parsed


def same_value(parsed, expr):
    """Equal trees. SymPy itself sometimes leaves a non-canonical shape (Abs(Abs(..)),
    2**(3/4)*(2*sqrt(3))/4) that rebuilding bottom-up, or simplification, resolves."""
    return parsed == expr or parsed == rebuild(expr) or sympy.simplify(parsed - expr) == 0


def rebuild(expr):
    """Rebuild ``expr`` bottom-up with evaluating constructors (as the parser does)."""
    if not expr.args:
        return expr
    return expr.func(*[rebuild(a) for a in expr.args])


ALPHABET = "xyeVw_ij'0123456789.+-*/^()[]{}|=, \\" + "abcdefgklnpqrst\"@;:!"
COMMANDS = [r"\frac", r"\left(", r"\right)", r"\cdot", r"\alpha", r"\sqrt", r"\ln", r"\sum",
            "__", "lambda", "**", "exp(", "e^{", "}", "_{", "^{\\prime}"]


@given(st.lists(st.one_of(st.text(ALPHABET, max_size=4), st.sampled_from(COMMANDS)),
                max_size=25).map("".join),
       st.sampled_from(["auto", "sympy", "latex"]))
def test_random_text_parses_or_raises_parse_error(text, syntax):
    try:
        result = parse(text, syntax=syntax)
    except ParseError as error:
        assert str(error)
    else:
        assert isinstance(result, sympy.Expr)
