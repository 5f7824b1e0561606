"""The concrete softmax-regression model for n classes and m features, as SymPy expressions.

Math (1-based indices, as in the seed):
    V_i = sum_j w_ij x_j + b_i          (logits, i = 1..n)
    S   = sum_k e^{V_k}                 (the seed calls it V)
    p_i = e^{V_i} / S                   (softmax)
    J   = -sum_i y'_i ln p_i            (cross-entropy against labels y')
Proved gradient (soft-label form):
    dJ/dw_ij = -x_j (y'_i - p_i sum_k y'_k),   dJ/db_i = -(y'_i - p_i sum_k y'_k).
"""

from __future__ import annotations

from functools import cached_property

import sympy

__all__ = ["SoftmaxModel", "MAX_CLASSES", "MAX_FEATURES", "weight_name", "validate_size",
           "cross_entropy"]

#: Upper bounds on n and m: the symbolic model has n*m + n + m + n symbols and the
#: proofs are meant to stay interactive.
MAX_CLASSES = 60
MAX_FEATURES = 60


def _real(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


def weight_name(i: int, j: int, n: int, m: int) -> str:
    """Name of the weight symbol w_ij (1-based): "w_12" when n < 10 and m < 10, else "w_1,12"."""
    if n < 10 and m < 10:
        return f"w_{i}{j}"
    return f"w_{i},{j}"


def cross_entropy(y, v, *, exps=None) -> sympy.Expr:
    """J(v) = -sum_i y_i ln(e^{v_i} / sum_k e^{v_k}) for labels y and logits v (sequences).

    The one builder of the loss: the model's J is J(V), and the proofs' lemma is about J(v)
    in logit symbols, the same expression tree with v_k in place of V_k. ``exps`` may give
    the e^{v_k} already built (unevaluated). The logarithms are kept unevaluated (SymPy's
    automatic log evaluation cannot simplify ln(e^{v_i}/S) and only costs time).
    """
    exps = tuple(exps) if exps is not None else tuple(sympy.exp(vk) for vk in v)
    S = sympy.Add(*exps)
    return -sympy.Add(*[yi * sympy.log(e / S, evaluate=False) for yi, e in zip(y, exps)])


def validate_size(n, m) -> tuple[int, int]:
    """Check that n (classes) and m (features) are positive ints within the bounds.

    Raises
    ------
    TypeError
        If n or m is not an int (bool is refused).
    ValueError
        If n or m is < 1 or above MAX_CLASSES / MAX_FEATURES.
    """
    for label, value, bound in (("n", n, MAX_CLASSES), ("m", m, MAX_FEATURES)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{label} must be a positive int, got {value!r} ({type(value).__name__})")
        if value < 1:
            raise ValueError(f"{label} must be >= 1, got {value}")
        if value > bound:
            raise ValueError(f"{label} = {value} is too large for a symbolic model (at most {bound})")
    return n, m


class SoftmaxModel:
    """Softmax regression with n classes and m features, every entry a real SymPy symbol.

    Parameters
    ----------
    n : int
        Number of classes, 1 <= n <= MAX_CLASSES.
    m : int
        Number of features, 1 <= m <= MAX_FEATURES.

    Attributes
    ----------
    W : sympy.Matrix, shape (n, m)
        Weights w_ij (symbols "w_ij", see `weight_name`).
    x : sympy.Matrix, shape (m, 1)
        Features x_j.
    b : sympy.Matrix, shape (n, 1)
        Biases b_i.
    y : sympy.Matrix, shape (n, 1)
        Labels y'_i (symbol names "y'_i").
    V : sympy.Matrix, shape (n, 1)
        Logits V_i = sum_j w_ij x_j + b_i.
    E : tuple of sympy.Expr
        e^{V_k}, k = 1..n.
    S : sympy.Expr
        S = sum_k e^{V_k}.
    p : sympy.Matrix, shape (n, 1)
        Softmax p_i = e^{V_i} / S.
    J : sympy.Expr
        Loss J = -sum_i y'_i ln p_i.

    Only the symbols are built by the constructor (milliseconds at 60 x 60); V, E, S, p and
    J are built on first use and then kept.
    """

    def __init__(self, n: int, m: int):
        # only the symbols are built here (cheap: n*m + 2n + m symbols); V, E, S, p and J
        # are built on first use, so that a model of any allowed size costs milliseconds
        # and the proofs, which work on symbols for e^{V_k}, S and sum_k y'_k, never
        # build the long expressions at all
        self.n, self.m = validate_size(n, m)
        n, m = self.n, self.m
        # from Python ints (a Matrix(n, m, f) passes SymPy Integers, and formatting those
        # into names costs SymPy's printer per symbol)
        self.W = sympy.Matrix([[_real(weight_name(i, j, n, m)) for j in range(1, m + 1)]
                               for i in range(1, n + 1)])
        self.x = sympy.Matrix([_real(f"x_{j}") for j in range(1, m + 1)])
        self.b = sympy.Matrix([_real(f"b_{i}") for i in range(1, n + 1)])
        self.y = sympy.Matrix([_real(f"y'_{i}") for i in range(1, n + 1)])

    @cached_property
    def V(self) -> sympy.Matrix:
        """Logits V_i = sum_j w_ij x_j + b_i, shape (n, 1)."""
        return sympy.Matrix(self.n, 1, lambda i, _: sympy.Add(
            *[self.W[i, j] * self.x[j] for j in range(self.m)], self.b[i]))

    @cached_property
    def E(self) -> tuple:
        """e^{V_k}, k = 1..n (unevaluated: automatic evaluation cannot change e^{linear form}
        and is slow on long sums)."""
        return tuple(sympy.exp(v, evaluate=False) for v in self.V)

    @cached_property
    def S(self) -> sympy.Expr:
        """S = sum_k e^{V_k}."""
        return sympy.Add(*self.E)

    @cached_property
    def p(self) -> sympy.Matrix:
        """Softmax p_i = e^{V_i} / S, shape (n, 1)."""
        return sympy.Matrix(self.n, 1, lambda i, _: self.E[i] / self.S)

    @cached_property
    def J(self) -> sympy.Expr:
        """Loss J = -sum_i y'_i ln p_i = `cross_entropy`(y', V)."""
        return cross_entropy(tuple(self.y), tuple(self.V), exps=self.E)

    # -- the formulas the trainer uses -------------------------------------------------
    def label_sum(self) -> sympy.Expr:
        """sum_k y'_k."""
        return sympy.Add(*self.y)

    def grad_W_formula(self) -> sympy.Matrix:
        """Claimed dJ/dW, shape (n, m): entry (i, j) = -x_j (y'_i - p_i sum_k y'_k)."""
        Y = self.label_sum()
        return sympy.Matrix(self.n, self.m, lambda i, j: -self.x[j] * (self.y[i] - self.p[i] * Y))

    def grad_b_formula(self) -> sympy.Matrix:
        """Claimed dJ/db, shape (n, 1): entry i = -(y'_i - p_i sum_k y'_k)."""
        Y = self.label_sum()
        return sympy.Matrix(self.n, 1, lambda i, _: -(self.y[i] - self.p[i] * Y))

    def symbols(self) -> tuple:
        """All free symbols in a fixed order: W row-major, then b, x, y'."""
        return tuple(self.W) + tuple(self.b) + tuple(self.x) + tuple(self.y)

    def __repr__(self) -> str:
        return f"SoftmaxModel(n={self.n}, m={self.m})"
