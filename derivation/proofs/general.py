"""The gradient proof for symbolic n and m (IndexedBase / Sum / KroneckerDelta).

For all n >= 1 classes, m >= 1 features and indices 1 <= p <= n, 1 <= q <= m:
    V_i = sum_{j=1}^m w_ij x_j + b_i,  S = sum_{k=1}^n e^{V_k},  J = -sum_{i=1}^n y'_i ln(e^{V_i}/S)
    dJ/dw_pq = -x_q (y'_p - p_p sum_k y'_k),   dJ/db_p = -(y'_p - p_p sum_k y'_k),  p_p = e^{V_p}/S.

Proof steps (each exact):
1. Lemma: J = -sum_i y'_i V_i + (sum_i y'_i) ln S. Both sides are normalised by
   `expand_log` (valid because e^{V_i} > 0 and S > 0, which SymPy derives from the real
   symbols), `expand` (splitting sums) and `factor_terms` (pulling ln S out of sum_i); the
   normal forms are identical.
2. Differentiate the lemma's right-hand side w.r.t. w[p, q] (resp. b[p]); SymPy produces sums
   of KroneckerDelta(i, p) KroneckerDelta(j, q).
3. Evaluate the sums (`doit`) and discharge the range conditions with the facts
   1 <= p <= n, 1 <= q <= m (conditions are replaced by True; nothing is substituted into
   a Sum's bounds, which would silently change the sum).
4. `expand(derivative - claimed) == 0`. A step not shown this way is decided by
   `check_identity` (the all-sizes normal form, then every instance at concrete sizes):
   "refuted" only with a counterexample confirmed by `equivalent`, else "unknown".
5. One-hot: replacing the sum sum_i y'_i by 1 (the assumption sum_i y'_i = 1) turns the
   claimed formula into the seed's -x_q (y'_p - p_p); `expand` gives 0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sympy
from sympy import IndexedBase, Sum

from derivation.proofs.indexed import check_identity

__all__ = ["prove_general", "GeneralProof", "GeneralStep", "general_model", "compact"]


@dataclass(frozen=True)
class GeneralStep:
    """One step of the general proof.

    Attributes
    ----------
    title : str
        What the step does.
    expr : sympy.Basic
        The expression (or equation) the step produces.
    status : str
        "proved" (an identity shown exactly), "computed" (a derivation step, no claim),
        "refuted" (a counterexample confirmed by `equivalent` at a concrete size, see
        `check_identity`), "unknown" (not shown, no confirmed counterexample) or "skipped"
        (time budget).
    method : str
        How it was obtained.
    """

    title: str
    expr: sympy.Basic
    status: str
    method: str

    def latex(self, *, abbreviate: bool = True) -> str:
        """LaTeX of the step's expression (S, Y, V_i abbreviated unless abbreviate=False)."""
        return sympy.latex(compact(self.expr) if abbreviate else self.expr)

    def text(self) -> str:
        """The expression as one line of text, with S, Y, V_i abbreviated."""
        return sympy.sstr(compact(self.expr))

    def __str__(self) -> str:
        return f"[{self.status}] {self.title}: {self.text()}  ({self.method})"


@dataclass(frozen=True)
class GeneralProof:
    """Result of `prove_general`.

    Attributes
    ----------
    holds : bool
        True iff the lemma, both gradient identities and both one-hot reductions are proved.
    steps : tuple of GeneralStep
    dJ_dw, dJ_db : sympy.Expr
        The evaluated derivatives dJ/dw[p, q] and dJ/db[p].
    elapsed : float
        Wall time in seconds.
    """

    holds: bool
    steps: tuple = field(repr=False)
    dJ_dw: sympy.Expr = field(repr=False, default=None)
    dJ_db: sympy.Expr = field(repr=False, default=None)
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.holds

    @property
    def status(self) -> str:
        """"proved", "refuted" (a step refuted with a confirmed counterexample) or "unknown"."""
        if self.holds:
            return "proved"
        return "refuted" if any(s.status == "refuted" for s in self.steps) else "unknown"

    def __bool__(self) -> bool:
        return self.holds

    def __str__(self) -> str:
        head = (f"General proof (symbolic n, m; 1<=p<=n, 1<=q<=m): "
                f"{'HOLDS' if self.holds else 'NOT PROVED'} ({self.elapsed:.3f} s)")
        return "\n".join([head] + [f"  {k + 1}. {s}" for k, s in enumerate(self.steps)])


def general_model():
    """Symbols and expressions of the model with symbolic sizes.

    Returns
    -------
    dict
        keys n, m, i, j, k, p, q (integer symbols, positive), w, x, b, y (IndexedBase, real;
        y is the label y'), V (function index -> V_index), S, Y (= sum_i y'_i), J, J_lin,
        facts (range conditions -> True).
    """
    n, m = sympy.symbols("n m", integer=True, positive=True)
    i, j, k, p, q = sympy.symbols("i j k p q", integer=True, positive=True)
    w = IndexedBase("w", real=True)
    x = IndexedBase("x", real=True)
    b = IndexedBase("b", real=True)
    y = IndexedBase("y'", real=True)

    def V(a):
        # V_a = sum_{j=1}^m w_aj x_j + b_a
        return Sum(w[a, j] * x[j], (j, 1, m)) + b[a]

    S = Sum(sympy.exp(V(k)), (k, 1, n))          # S = sum_k e^{V_k}
    Y = Sum(y[i], (i, 1, n))                      # Y = sum_i y'_i
    J = -Sum(y[i] * sympy.log(sympy.exp(V(i)) / S), (i, 1, n))
    J_lin = -Sum(y[i] * V(i), (i, 1, n)) + Y * sympy.log(S)
    # 1 <= p <= n, 1 <= q <= m (p, q >= 1 is already in their assumptions)
    # readable abbreviations for display only (never used in a proof step)
    display = {S: sympy.Symbol("S"), Y: sympy.Symbol("Y"),
               V(i): sympy.Symbol("V_i"), V(k): sympy.Symbol("V_k"), V(p): sympy.Symbol("V_p")}
    facts = {sympy.Ge(m, q): sympy.true, sympy.Le(q, m): sympy.true,
             sympy.Ge(n, p): sympy.true, sympy.Le(p, n): sympy.true}
    return dict(n=n, m=m, i=i, j=j, k=k, p=p, q=q, w=w, x=x, b=b, y=y, V=V, S=S, Y=Y, J=J,
                J_lin=J_lin, facts=facts, display=display)


_DISPLAY = None


def compact(expr) -> sympy.Basic:
    """`expr` with S = sum_k e^{V_k}, Y = sum_i y'_i and V_i, V_k, V_p abbreviated (display only)."""
    global _DISPLAY
    if _DISPLAY is None:
        _DISPLAY = general_model()["display"]
    return expr.xreplace(_DISPLAY)


def _normal_form(expr):
    # ln(e^{V_i}/S) -> V_i - ln S (e^{V_i} > 0, S > 0); split sums; pull constants out of sums
    return sympy.factor_terms(sympy.expand(sympy.expand_log(expr)))


def _evaluate_deltas(expr, facts, rounds: int = 5):
    """doit() the KroneckerDelta sums, discharging range conditions with `facts`."""
    for _ in range(rounds):
        new = expr.doit().xreplace(facts)
        if new == expr:
            break
        expr = new
    return expr


def _identity(lhs, rhs) -> bool:
    return sympy.expand(lhs - rhs) == 0


def prove_general(*, timeout: float = 30.0) -> GeneralProof:
    """Prove the softmax-regression gradient for symbolic n, m and entry (p, q).

    Claims proved, for all n, m >= 1, 1 <= p <= n, 1 <= q <= m:
        dJ/dw_pq = -x_q (y'_p - p_p sum_k y'_k),   dJ/db_p = -(y'_p - p_p sum_k y'_k),
    and, under sum_k y'_k = 1, the seed's -x_q (y'_p - p_p) and -(y'_p - p_p).

    Parameters
    ----------
    timeout : float
        Time budget in seconds, checked between steps (steps after it are "skipped").

    Returns
    -------
    GeneralProof
        `.holds`, `.steps` (GeneralStep records for the report), `.elapsed`.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    start = time.perf_counter()
    g = general_model()
    w, x, b, y, p, q, V, S, Y = (g[k] for k in ("w", "x", "b", "y", "p", "q", "V", "S", "Y"))
    J, J_lin, facts = g["J"], g["J_lin"], g["facts"]
    steps: list[GeneralStep] = []
    ok = True

    def budget_left() -> bool:
        return time.perf_counter() - start <= timeout

    ranges = {p: (1, g["n"]), q: (1, g["m"])}

    def record(title, expr, proved, method, claim):
        # not shown by expand: "refuted" only with a counterexample that `equivalent`
        # confirms at a concrete size (check_identity), else "unknown" (issue 9, class 8)
        nonlocal ok
        status = "proved"
        if not proved:
            lhs, rhs, assume = claim
            left = timeout - (time.perf_counter() - start)
            check = (check_identity(lhs, rhs, assume=assume, ranges=ranges,
                                    timeout=min(left, 5.0)) if left > 0.2 else None)
            if check is not None and check.status == "proved" and check.sizes is None:
                method = f"{method} failed; {check.method}"
            else:
                status = "refuted" if check is not None and check.status == "refuted" else "unknown"
                method = (f"{method} did not reach 0; "
                          + (check.reason if check is not None else "time budget exhausted"))
        ok = ok and status == "proved"
        steps.append(GeneralStep(title, expr, status, method))

    # step 0: the model
    steps.append(GeneralStep("definition", sympy.Eq(sympy.Symbol("J"), J, evaluate=False),
                             "computed", "J = -sum_i y'_i ln(e^{V_i}/S), S = sum_k e^{V_k}"))
    # step 1: lemma
    lemma = _normal_form(J) - _normal_form(J_lin) == 0
    record("lemma J = -sum_i y'_i V_i + (sum_i y'_i) ln S",
           sympy.Eq(sympy.Symbol("J"), J_lin, evaluate=False), lemma,
           "expand_log (e^{V_i} > 0, S > 0), expand, factor_terms: identical normal forms",
           (J, J_lin, ()))

    p_p = sympy.exp(V(p)) / S                     # softmax p_p = e^{V_p}/S
    claims = (
        ("w", w[p, q], -x[q] * (y[p] - p_p * Y), -x[q] * (y[p] - p_p)),
        ("b", b[p], -(y[p] - p_p * Y), -(y[p] - p_p)),
    )
    derivatives = {}
    for kind, theta, claimed, seed in claims:
        name = "w_pq" if kind == "w" else "b_p"
        if not budget_left():
            ok = False
            steps.append(GeneralStep(f"dJ/d{name}", sympy.nan, "skipped", "time budget exhausted"))
            continue
        raw = sympy.diff(J_lin, theta)
        steps.append(GeneralStep(f"differentiate the lemma's form w.r.t. {name}", raw, "computed",
                                 "diff of Sum over Indexed gives KroneckerDelta sums"))
        evaluated = _evaluate_deltas(raw, facts)
        derivatives[kind] = evaluated
        steps.append(GeneralStep(f"evaluate the KroneckerDelta sums (dJ/d{name})", evaluated,
                                 "computed", "doit(); range conditions 1<=p<=n, 1<=q<=m -> True"))
        record(f"dJ/d{name} = " + ("-x_q (y'_p - p_p sum_k y'_k)" if kind == "w"
                                   else "-(y'_p - p_p sum_k y'_k)"),
               sympy.Eq(sympy.Symbol(f"dJ/d{name}"), claimed, evaluate=False),
               _identity(evaluated, claimed), "expand(derivative - claimed) == 0",
               (evaluated, claimed, ()))
        # under sum_k y'_k = 1 the Sum object Y is replaced by 1 (no Sum bound is touched)
        record(f"one-hot (sum_k y'_k = 1): dJ/d{name} = "
               + ("-x_q (y'_p - p_p)" if kind == "w" else "-(y'_p - p_p)"),
               sympy.Eq(sympy.Symbol(f"dJ/d{name}"), seed, evaluate=False),
               _identity(claimed.xreplace({Y: sympy.Integer(1)}), seed),
               "replace sum_k y'_k by 1, expand", (claimed, seed, (sympy.Eq(Y, 1),)))
    return GeneralProof(holds=bool(ok and len(derivatives) == 2), steps=tuple(steps),
                        dJ_dw=derivatives.get("w"), dJ_db=derivatives.get("b"),
                        elapsed=time.perf_counter() - start)
