r"""Test oracle: the old hand transcription of the seed (derivation/documents/handwritten-derivation.md).

Every line of the seed that makes a mathematical claim is a `Step`: its LaTeX as written,
a SymPy expression, its relation to an earlier step ("given": a definition or a new chain,
not checked; "equal": the same quantity; "derivative": d/dw_ij of the earlier step), the
assumption it states, and a note on how the line is read. `check_steps` checks each step
against its base with `derivation.equivalence.equivalent`.

Concrete size. Index-level lines ("dJ/dw_ij", "v_i", "...") are made checkable by
instantiating them at n = 3 classes, m = 2 features and the entry i = 1, j = 1 (see
`SIZE`, `ENTRY`): symbols w_11..w_32, x_1, x_2, b_1..b_3, labels y'_1..y'_3 (real), the
seed's V is S = e^{V_1} + e^{V_2} + e^{V_3}, and v_i is the logit V_1 = w_11 x_1 + w_12 x_2 + b_1.

The seed's letter y. The seed defines y_i = softmax(V_i) (the prediction) but, from the
derivative line on, writes y_i for the label y'_i ("actual"). The as-written steps keep the
seed's letter as its own real symbol "y_1"; a step that only holds if y_1 is the label is
repaired by the reading y_i = y'_i (`Y_IS_LABEL`), which is how the mix-up is reported.
The corrected steps write y'_1 throughout.
"""

from __future__ import annotations

import sympy

from derivation.documents.stepcheck import Step, StepCheck, RepairAttempt  # noqa: F401
from derivation.documents.stepcheck import check_steps as _check_steps
from derivation.model import SoftmaxModel

__all__ = ["AS_WRITTEN", "CORRECTED", "check_steps", "SIZE", "ENTRY", "KNOWN_ASSUMPTIONS",
           "Y_IS_LABEL", "ALPHA", "SEED_Y", "LINES", "oracle_findings"]

#: (n, m) of the concrete instance the index-level steps are checked at.
SIZE = (3, 2)
#: (i, j), 1-based: the entry w_ij the derivative lines are instantiated at.
ENTRY = (1, 1)

_MODEL = SoftmaxModel(*SIZE)
_I, _J = ENTRY[0] - 1, ENTRY[1] - 1
w = _MODEL.W[_I, _J]                      # w_ij = w_11
x_j = _MODEL.x[_J]                        # x_j = x_1
v = list(_MODEL.V)                        # v_k = V_k = sum_j w_kj x_j + b_k
v_i = v[_I]
S = _MODEL.S                              # the seed's V = sum_k e^{v_k}
labels = list(_MODEL.y)                   # y'_1..y'_n
Y = sympy.Add(*labels)                    # the seed's Y = y'_1 + ... + y'_n
p_i = sympy.exp(v_i) / S                  # softmax p_i = e^{v_i}/V
#: The seed's letter y_i (ambiguous: prediction at the top, label from the derivative on).
SEED_Y = sympy.Symbol(f"y_{ENTRY[0]}", real=True)
#: The learning rate alpha.
ALPHA = sympy.Symbol("alpha", real=True)
#: Reading the seed's y_i as the label y'_i.
Y_IS_LABEL = sympy.Eq(SEED_Y, labels[_I])


def _one_hot(k: int) -> tuple:
    """y' = e_k (1-based): y'_k = 1, the other labels 0."""
    return tuple(sympy.Eq(labels[l], 1 if l == k - 1 else 0) for l in range(SIZE[0]))


#: Assumptions the derivation knows, tried in this order to repair a refuted step.
#: name -> tuple of alternatives; a step holds under the assumption iff it is proved under
#: every alternative (one-hot: every one-hot label vector).
KNOWN_ASSUMPTIONS = {
    "sum_i y'_i = 1": ((sympy.Eq(Y, 1),),),
    "one-hot labels": tuple(_one_hot(k) for k in range(1, SIZE[0] + 1)),
}


# -- the seed, line by line --------------------------------------------------------------
def _J_expanded(y_coef, inner):
    """-[y'_1 inner(1) + ... + y'_n inner(n)]."""
    return -sympy.Add(*[y_coef[k] * inner(k) for k in range(SIZE[0])])


_J_DEF = -sympy.Add(*[labels[k] * sympy.log(sympy.exp(v[k]) / S) for k in range(SIZE[0])])
_dlnV = sympy.diff(sympy.log(S), w)       # d/dw_ij ln V, evaluated


def _chain_steps(y_letter, *, corrected: bool) -> list:
    """All steps; `y_letter` is the symbol written as y_i from the derivative line on."""
    yl = "y'_i" if corrected else "y_i"
    steps = [
        Step("P1", r"y_i = \text{softmax}(V_i) = \frac{e^{V_i}}{\sum_j e^{V_j}}",
             sympy.exp(v_i) / S, "given",
             note="softmax definition (the seed's y_i here is the prediction p_i)"),
        Step("P2", r"= \frac{e^{V_i}}{V}", sympy.exp(v_i) / S, "equal",
             note="V := sum_j e^{V_j}"),
        Step("J1", r"J(y) = - \sum_i y'_i \ln(y_i)", _J_DEF, "given",
             note="loss definition with y_i = e^{V_i}/V"),
        Step("J2", r"= - \left[ y'_1 \ln \left( \frac{e^{V_1}}{V} \right) + \dots + y'_n \ln "
                   r"\left( \frac{e^{V_n}}{V} \right) \right]",
             _J_expanded(labels, lambda k: sympy.log(sympy.exp(v[k]) / S)), "equal"),
        Step("J3", r"= - \left[ y'_1 (\ln e^{V_1} - \ln V) + \dots + y'_n (\ln e^{V_n} - \ln V) "
                   r"\right]",
             _J_expanded(labels, lambda k: sympy.log(sympy.exp(v[k])) - sympy.log(S)), "equal",
             note="ln(a/b) = ln a - ln b for a, b > 0"),
        Step("J4", r"= - \left[ y'_1 (V_1 - \ln V) + \dots + y'_n (V_n - \ln V) \right]",
             _J_expanded(labels, lambda k: v[k] - sympy.log(S)), "equal"),
        Step("J5", r"= - \left[ (y'_1 V_1 + \dots + y'_n V_n) - \ln V (y'_1 + \dots + y'_n) "
                   r"\right]",
             -(sympy.Add(*[labels[k] * v[k] for k in range(SIZE[0])]) - sympy.log(S) * Y),
             "equal"),
        Step("J6", r"= -L(y_i'v_1 + \dots + y_n'v_n) - \ln V (y_1' + \dots + y_n')"
             if not corrected else
             r"= -(y'_1 v_1 + \dots + y'_n v_n) + \ln V (y'_1 + \dots + y'_n)",
             -sympy.Add(*[labels[k] * v[k] for k in range(SIZE[0])]) + sympy.log(S) * Y,
             "equal",
             note="read as J5 with v_k = V_k: the 'L' is a transcribed '[' whose closing "
                  "bracket is lost (taken literally, '- ln V (...)' would flip the sign)"),
        Step("D1", r"\frac{\partial J}{\partial w_{ij}} = - \left[ " + yl +
             r" \frac{\partial v_i}{\partial w_{ij}} - \left( \frac{\partial}{\partial w_{ij}} "
             r"\ln V \right) (y_1' + \dots + y_n') \right]",
             -(y_letter * sympy.diff(v_i, w) - _dlnV * Y), "derivative", wrt=w,
             note=("the seed writes y_i (its prediction letter) where the label y'_i is meant; "
                   "it calls y'_1 + ... + y'_n =: Y (= 1 for one-hot), but keeps Y")
             if not corrected else "Y := y'_1 + ... + y'_n is kept symbolic"),
        Step("v1", r"v_i = w_{i1}x_1 + w_{i2}x_2 + \dots + w_{im}x_m + b_i", v_i, "given",
             note="recall"),
        Step("v2", r"\frac{\partial v_i}{\partial w_{ij}} = x_j", x_j, "derivative", wrt=w,
             note="all v except v_i are constant in w_ij"),
        Step("L1", r"\ln V = \ln(e^{v_1} + \dots + e^{v_n})", sympy.log(S), "given"),
        Step("L2", r"\frac{\partial}{\partial w_{ij}} \ln V = \frac{1}{e^{v_1} + \dots + e^{v_n}} "
                   r"\frac{\partial}{\partial w_{ij}} [e^{v_1} + \dots + e^{v_n}]",
             sympy.diff(S, w) / S, "derivative", wrt=w, note="d ln u = du / u"),
        Step("L3", r"= \frac{1}{e^{v_1} + \dots + e^{v_n}} \left( \frac{\partial}{\partial w_{ij}} "
                   r"e^{v_i} \right)",
             sympy.diff(sympy.exp(v_i), w) / S, "equal", note="only e^{v_i} depends on w_ij"),
        Step("L4", r"= \frac{1}{e^{v_1} + \dots + e^{v_n}} e^{v_i} \left( \frac{\partial}"
                   r"{\partial w_{ij}} v_i \right)",
             sympy.exp(v_i) * sympy.diff(v_i, w) / S, "equal", note="chain rule"),
        Step("L5", r"= \frac{e^{v_i} x_j}{e^{v_1} + \dots + e^{v_n}} = \frac{e^{v_i} x_j}{V}",
             sympy.exp(v_i) * x_j / S, "equal"),
        Step("D2", r"\Rightarrow \frac{\partial J}{\partial w_{ij}} = - \left[ " + yl +
             r" x_j - \frac{e^{v_i} x_j Y}{V} \right]",
             -(y_letter * x_j - sympy.exp(v_i) * x_j * Y / S), "equal", base="D1",
             note="v2 and L5 substituted into D1"),
        Step("D3", r"= \boxed{-x_j \left[ " + yl + r" - \frac{e^{v_i} Y}{V} \right]}",
             -x_j * (y_letter - sympy.exp(v_i) * Y / S), "equal"),
    ]
    gradient = steps[-1].expr
    steps += [
        Step("G1", r"w_{ij} := w_{ij} - \alpha \frac{\partial}{\partial w_{ij}} J(\omega)",
             w - ALPHA * gradient, "given", note="gradient-descent update with the boxed D3"),
        Step("G2", r"\Rightarrow \boxed{w_{ij} := w_{ij} + \alpha x_j \left[ " + yl +
             r" - \frac{e^{v_i} Y}{V} \right]}",
             w + ALPHA * x_j * (y_letter - sympy.exp(v_i) * Y / S), "equal"),
    ]
    if corrected:
        steps += [
            Step("G3", r"\Rightarrow \boxed{\omega_{ij} := \omega_{ij} + \alpha x_j \left[ y'_i - "
                       r"\frac{e^{v_i} Y}{V} \right]}",
                 w + ALPHA * x_j * (y_letter - sympy.exp(v_i) * Y / S), "equal",
                 note="the seed's e^{v_i y_i} corrected to e^{v_i} Y"),
            Step("G4", r"\text{Note: } Y = y'_1 + \dots + y'_n = 1 \Rightarrow \omega_{ij} := "
                       r"\omega_{ij} + \alpha x_j \left[ y'_i - \frac{e^{v_i}}{V} \right]",
                 w + ALPHA * x_j * (y_letter - sympy.exp(v_i) / S), "equal",
                 assumption=sympy.Eq(Y, 1), assumption_text="Y = y'_1 + ... + y'_n = 1",
                 note="the seed's 'V = 1' corrected to Y = 1 (one-hot labels sum to 1)"),
        ]
    else:
        steps += [
            Step("G3", r"\Rightarrow \boxed{\omega_{ij} := \omega_{ij} + \alpha x_j [y_i - "
                       r"\frac{e^{v_i y_i}}{V}]} \quad \checkmark",
                 w + ALPHA * x_j * (y_letter - sympy.exp(v_i * y_letter) / S), "equal",
                 note="the seed ticks this line; its exponent is v_i y_i, where the boxed G2 "
                      "has e^{v_i} Y (which is e^{v_i} when Y = 1)"),
            Step("G4", r"\text{Note: } V = 1 \Rightarrow \omega_{ij} := \omega_{ij} + \alpha x_j "
                       r"[y_i - \frac{e^{v_i}}{V}]",
                 w + ALPHA * x_j * (y_letter - sympy.exp(v_i) / S), "equal", base="G2",
                 assumption=sympy.Eq(S, 1), assumption_text="V = 1 (V = e^{v_1} + ... + e^{v_n})",
                 note="checked against the boxed Y-form G2, the line the e^{v_i y_i} line "
                      "garbles; the Note removes the factor Y"),
        ]
    return steps


#: The seed's derivation as written (the seed's letter y_i kept as the symbol y_1).
AS_WRITTEN = tuple(_chain_steps(SEED_Y, corrected=False))
#: The corrected derivation: labels y'_i throughout, e^{v_i} Y, and "Note: Y = 1".
CORRECTED = tuple(_chain_steps(labels[_I], corrected=True))


def check_steps(steps, **kwargs):
    """`derivation.check_steps` with the seed's known assumptions and the y_i = y'_i reading."""
    kwargs.setdefault("known_assumptions", KNOWN_ASSUMPTIONS)
    kwargs.setdefault("readings", (("y_i = y'_i (y_i read as the label)", Y_IS_LABEL),))
    return _check_steps(steps, **kwargs)


#: label of the hand transcription -> 1-based line of the seed file it transcribes
LINES = {"P1": 12, "P2": 14, "J1": 18, "J2": 20, "J3": 22, "J4": 24, "J5": 26, "J6": 28,
         "D1": 32, "v1": 30, "v2": 37, "L1": 39, "L2": 39, "L3": 39, "L4": 39, "L5": 39,
         "D2": 41, "D3": 41, "G1": 43, "G2": 49, "G3": 51, "G4": 55}


def oracle_findings() -> dict:
    """line -> (label, status, repair name or None) of every refuted step of the oracle."""
    out = {}
    for c in check_steps(AS_WRITTEN):
        if c.status == "refuted":
            out[LINES[c.step.label]] = (c.step.label, c.status,
                                        c.repair.name if c.repair else None)
    return out
