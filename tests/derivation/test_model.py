"""SoftmaxModel: symbols, names, shapes and the formulas, checked against plain numbers."""

import math

import pytest
import sympy

from derivation.model import SoftmaxModel, weight_name


def test_names_and_shapes_small():
    model = SoftmaxModel(3, 2)
    assert model.W.shape == (3, 2) and model.x.shape == (2, 1)
    assert model.b.shape == (3, 1) and model.y.shape == (3, 1)
    assert model.W[0, 1].name == "w_12"
    assert [s.name for s in model.x] == ["x_1", "x_2"]
    assert [s.name for s in model.b] == ["b_1", "b_2", "b_3"]
    assert [s.name for s in model.y] == ["y'_1", "y'_2", "y'_3"]
    assert all(s.is_real for s in model.symbols())


def test_names_with_two_digit_index_use_a_comma():
    model = SoftmaxModel(2, 12)
    assert model.W[0, 11].name == "w_1,12"
    assert model.W[1, 0].name == "w_2,1"
    assert weight_name(3, 4, 5, 5) == "w_34"


def test_symbols_order_and_uniqueness():
    model = SoftmaxModel(2, 3)
    syms = model.symbols()
    assert len(syms) == len(set(syms)) == 2 * 3 + 2 + 3 + 2
    assert [s.name for s in syms[:6]] == ["w_11", "w_12", "w_13", "w_21", "w_22", "w_23"]
    assert syms[6].name == "b_1" and syms[8].name == "x_1" and syms[-1].name == "y'_2"


def _numbers(model):
    values = [0.3, -0.7, 1.1, 0.2, -0.4, 0.9, 0.5, -1.2, 0.8, 0.25, 0.6, 0.15, -0.35, 0.45]
    assert len(model.symbols()) <= len(values)
    return dict(zip(model.symbols(), values))


def test_expressions_match_plain_arithmetic():
    model = SoftmaxModel(2, 2)
    point = _numbers(model)
    w = [[point[model.W[i, j]] for j in range(2)] for i in range(2)]
    b = [point[s] for s in model.b]
    x = [point[s] for s in model.x]
    y = [point[s] for s in model.y]
    V = [sum(w[i][j] * x[j] for j in range(2)) + b[i] for i in range(2)]
    S = sum(math.exp(v) for v in V)
    p = [math.exp(v) / S for v in V]
    J = -sum(y[i] * math.log(p[i]) for i in range(2))
    assert float(model.V[1].subs(point)) == pytest.approx(V[1])
    assert float(model.S.subs(point)) == pytest.approx(S)
    assert float(model.p[0].subs(point)) == pytest.approx(p[0])
    assert float(model.J.subs(point)) == pytest.approx(J)
    Y = sum(y)
    assert float(model.grad_W_formula()[1, 0].subs(point)) == pytest.approx(-x[0] * (y[1] - p[1] * Y))
    assert float(model.grad_b_formula()[0].subs(point)) == pytest.approx(-(y[0] - p[0] * Y))


def test_formula_matches_a_finite_difference():
    model = SoftmaxModel(3, 2)
    point = _numbers(model)
    w = model.W[2, 1]
    J = sympy.lambdify(model.symbols(), model.J)
    args = [point[s] for s in model.symbols()]
    k = model.symbols().index(w)
    h = 1e-6
    up, down = list(args), list(args)
    up[k] += h
    down[k] -= h
    numeric = (J(*up) - J(*down)) / (2 * h)
    assert float(model.grad_W_formula()[2, 1].subs(point)) == pytest.approx(numeric, rel=1e-6)


@pytest.mark.parametrize("n, m, error", [
    (0, 2, ValueError), (2, -1, ValueError), (61, 1, ValueError), (1, 1000, ValueError),
    (2.0, 2, TypeError), ("3", 2, TypeError), (True, 2, TypeError),
])
def test_bad_sizes_are_refused_with_the_value_named(n, m, error):
    with pytest.raises(error, match=repr(n) if error is TypeError else r"\d"):
        SoftmaxModel(n, m)


def test_unevaluated_constructions_equal_the_evaluated_ones():
    model = SoftmaxModel(3, 2)
    assert all(sympy.exp(v) == e for v, e in zip(model.V, model.E))
    assert model.S == sympy.Add(*[sympy.exp(v) for v in model.V])
    evaluated = -sympy.Add(*[model.y[i] * sympy.log(sympy.exp(model.V[i]) / model.S)
                             for i in range(3)])
    assert model.J == evaluated


def test_model_J_is_the_cross_entropy_builder_at_the_logits():
    # the proofs' lemma is about cross_entropy(y, v); the model's J is the same tree at v = V
    from derivation.model import cross_entropy

    model = SoftmaxModel(3, 2)
    v = sympy.symbols("v_1:4", real=True)
    at_V = cross_entropy(tuple(model.y), v).xreplace(dict(zip(v, model.V)))
    assert model.J == at_V
    assert model.J == cross_entropy(tuple(model.y), tuple(model.V))


def test_long_expressions_are_built_on_first_use_only():
    model = SoftmaxModel(4, 3)
    assert not {"V", "E", "S", "p", "J"} & set(vars(model))
    J = model.J
    assert model.J is J and "E" in vars(model)
