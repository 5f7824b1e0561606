"""Entry-by-entry proof of the softmax-regression gradient for a concrete n x m model.

Strategy (all steps exact; no floating point is used to *prove* anything):

1. Lemma, in logit symbols v_1..v_n (real):
       J(v) = -sum_i y'_i ln(e^{v_i} / sum_k e^{v_k})
            = -sum_i y'_i v_i + (sum_i y'_i) ln(sum_k e^{v_k})        =: F(v)
   proved by `expand_log` (valid since e^{v_i} > 0 and sum_k e^{v_k} > 0) and `expand`.
   The model's J is J(v) with v_k := V_k, checked structurally.
2. g_k = dF/dv_k = -y'_k + (sum_i y'_i) e^{v_k} / sum_l e^{v_l}   (n derivatives).
3. Chain rule: dJ/dw_ij = sum_k g_k(V) dV_k/dw_ij, dJ/db_i = sum_k g_k(V) dV_k/db_i,
   where dV_k/dw_ij is computed by `diff` (and is 0 when w_ij does not occur in V_k).
4. The difference to the claimed formula -x_j (y'_i - p_i sum_k y'_k) is shown to be 0 by
   `expand` after replacing S = sum_k e^{V_k} and each e^{V_k} by fresh positive symbols
   (an identity in the fresh symbols is an identity after substituting them back).
5. One-hot reduction: with y'_n = 1 - sum_{k<n} y'_k substituted (i.e. under
   sum_k y'_k = 1), the formula equals the seed's -x_j (y'_i - p_i), again by `expand`.

If a difference does not expand to 0, the entry is evaluated at a deterministic rational
point with 30 significant digits: a clearly non-zero value refutes it (the point is the
counterexample), otherwise the entry is "unknown".
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import sympy

from derivation.equivalence.budget import BudgetExceeded, run_bounded
from derivation.model import SoftmaxModel

__all__ = ["prove_gradients", "GradientProof", "EntryOutcome", "logit_lemma", "LemmaOutcome",
           "residual_is_zero"]

_PRECISION = 30  # significant digits for numeric witnesses
_REFUTE_THRESHOLD = sympy.Float("1e-20", _PRECISION)


@dataclass(frozen=True)
class LemmaOutcome:
    """Outcome of the lemma J(v) = -sum_i y'_i v_i + (sum_i y'_i) ln sum_k e^{v_k}.

    Attributes
    ----------
    holds : bool
        True iff the lemma was proved exactly and the model's J is J(v) at v = V.
    statement : str
        The lemma in words/formula.
    method : str
        How it was proved.
    """

    holds: bool
    statement: str
    method: str


@dataclass(frozen=True)
class EntryOutcome:
    """Outcome for one parameter entry (w_ij or b_i).

    Attributes
    ----------
    parameter : sympy.Symbol
        The symbol differentiated against (w_ij or b_i).
    kind : str
        "w" or "b".
    index : tuple of int
        1-based (i, j) for w, (i,) for b.
    derivative : sympy.Expr
        dJ/d(parameter) as computed (chain rule through the lemma's form).
    expected : sympy.Expr
        The claimed formula (general soft-label form unless a custom one was given).
    status : str
        "proved", "refuted" or "unknown".
    one_hot : str
        Status of the reduction to the seed's -x_j (y'_i - p_i) under sum_k y'_k = 1
        ("proved", "refuted", "unknown", or "skipped" when the general entry was not proved).
    counterexample : dict or None
        For a refuted entry: symbol -> rational value where derivative != expected.
    reason : str
        Short human-readable explanation.
    """

    parameter: sympy.Symbol
    kind: str
    index: tuple
    derivative: sympy.Expr
    expected: sympy.Expr
    status: str
    one_hot: str
    counterexample: dict | None = None
    reason: str = ""

    @property
    def name(self) -> str:
        return self.parameter.name

    def __bool__(self) -> bool:
        return self.status == "proved" and self.one_hot == "proved"


@dataclass(frozen=True)
class GradientProof:
    """Result of `prove_gradients`.

    Attributes
    ----------
    n, m : int
        Model size.
    holds : bool
        True iff the lemma and every entry (general form and one-hot reduction) are proved.
    lemma : LemmaOutcome
    entries : tuple of EntryOutcome
        n*m weight entries (row-major) then n bias entries.
    elapsed : float
        Wall time in seconds.
    timed_out : bool
        True if the time budget ran out (remaining entries are "unknown").
    """

    n: int
    m: int
    holds: bool
    lemma: LemmaOutcome
    entries: tuple = field(repr=False)
    elapsed: float = 0.0
    timed_out: bool = False

    def __bool__(self) -> bool:
        return self.holds

    def count(self, status: str, *, one_hot: bool = False) -> int:
        """Number of entries whose (one-hot) status equals `status`."""
        return sum((e.one_hot if one_hot else e.status) == status for e in self.entries)

    @property
    def failures(self) -> tuple:
        """Entries that are not fully proved."""
        return tuple(e for e in self.entries if not e)

    def __str__(self) -> str:
        total = len(self.entries)
        head = (f"{self.n}x{self.m}: {'HOLDS' if self.holds else 'NOT PROVED'} - "
                f"{self.count('proved')}/{total} entries proved "
                f"({self.n * self.m} dJ/dw_ij, {self.n} dJ/db_i); "
                f"one-hot reduction {self.count('proved', one_hot=True)}/{total}; "
                f"lemma {'proved' if self.lemma.holds else 'NOT proved'}; "
                f"{self.elapsed:.3f} s")
        lines = [head]
        if self.timed_out:
            lines.append("  time budget exhausted: remaining entries unknown")
        for e in self.failures[:5]:
            lines.append(f"  {e.name}: {e.status} (one-hot: {e.one_hot}) {e.reason}")
            if e.counterexample:
                point = ", ".join(f"{k}={v}" for k, v in e.counterexample.items())
                lines.append(f"    counterexample: {point}")
        if len(self.failures) > 5:
            lines.append(f"  ... and {len(self.failures) - 5} more")
        return "\n".join(lines)


# -- step 1: the lemma -----------------------------------------------------------------
def _logit_symbols(n: int) -> tuple:
    return tuple(sympy.Symbol(f"v_{k + 1}", real=True) for k in range(n))


def _lemma_forms(model: SoftmaxModel):
    """(J(v), F(v), v) in logit symbols v for the model's n and labels."""
    v = _logit_symbols(model.n)
    S_v = sympy.Add(*[sympy.exp(vk) for vk in v])
    J_v = -sympy.Add(*[model.y[i] * sympy.log(sympy.exp(v[i]) / S_v) for i in range(model.n)])
    F_v = -sympy.Add(*[model.y[i] * v[i] for i in range(model.n)]) + model.label_sum() * sympy.log(S_v)
    return J_v, F_v, v


_LEMMA_STATEMENT = "J = -sum_i y'_i V_i + (sum_i y'_i) ln S,  S = sum_k e^{V_k}"


def logit_lemma(model: SoftmaxModel) -> LemmaOutcome:
    """Prove J(v) = -sum_i y'_i v_i + (sum_i y'_i) ln sum_k e^{v_k} exactly.

    ln(e^{v_i}/S) = v_i - ln S holds because e^{v_i} > 0 and S > 0 (v real), which is what
    `expand_log` (without force) checks; then the difference is expanded to 0. Also checks
    that the model's J is J(v) with v_k := V_k (structural identity): each subtree V_k of
    the model's J is replaced by v_k and the result must be J(v) itself (then substituting
    v_k := V_k back gives the model's J). Replacing this way round is cheap; substituting the
    long linear forms V_k into J(v) re-evaluates every e^{V_k} and took seconds at 40 x 40,
    so it is only the fallback (needed when SymPy rewrote the model's J, as at n = 1).
    """
    J_v, F_v, v = _lemma_forms(model)
    difference = sympy.expand(sympy.expand_log(J_v - F_v), power_exp=False, log=False)
    lemma_ok = difference == 0
    abstracted = model.J.xreplace(dict(zip(model.V, v)))
    same_model = abstracted == J_v or residual_is_zero(abstracted - J_v)
    if not same_model:
        # e.g. n = 1, where SymPy rewrote 1/e^{V_1} as e^{-V_1}: substitute v := V instead
        same_model = residual_is_zero(J_v.xreplace(dict(zip(v, model.V))) - model.J)
    method = "expand_log (e^{V_i} > 0, S > 0) + expand; model J is J(v) at v = V"
    if not lemma_ok:
        method = f"expand_log left {difference}"
    elif not same_model:
        method = "model J is not J(v) at v = V"
    return LemmaOutcome(holds=bool(lemma_ok and same_model), statement=_LEMMA_STATEMENT,
                        method=method)


def _bounded_lemma(model: SoftmaxModel, seconds: float) -> LemmaOutcome | None:
    """`logit_lemma` under a hard wall-clock limit of `seconds`; None when it runs out."""
    try:
        return run_bounded(logit_lemma, (model,), seconds)
    except BudgetExceeded:
        return None


# -- step 4: exact comparison ----------------------------------------------------------
def _generalisation(model: SoftmaxModel) -> dict:
    """Replace S, each e^{V_k} (positive) and Y = sum_k y'_k by fresh symbols.

    Sound for proving identities: an identity in the fresh symbols stays one after
    substituting the subexpressions back.
    """
    mapping = {model.S: sympy.Symbol("S__", positive=True)}
    for k, e in enumerate(model.E):
        mapping[e] = sympy.Symbol(f"E__{k + 1}", positive=True)
    # Y = sum_k y'_k as one symbol: keeps `expand` from distributing the n-term sum
    mapping[model.label_sum()] = _Y_GEN
    return mapping


_Y_GEN = sympy.Symbol("Y__", real=True)


def residual_is_zero(difference: sympy.Expr, generalisation: dict | None = None,
                     substitution: dict | None = None) -> bool:
    """True iff `difference` is exactly 0 by `expand` after generalising S and e^{V_k}.

    Parameters
    ----------
    difference : sympy.Expr
        derivative - expected.
    generalisation : dict, optional
        Subexpression -> fresh symbol map (see `_generalisation`); identity if None.
    substitution : dict, optional
        A substitution applied after generalising (e.g. the one-hot constraint solved for
        y'_n); it must not touch the generalised subexpressions.

    Returns
    -------
    bool
        True only when the expanded expression is the integer 0 (an exact proof; first with
        e^{...} kept whole, then with e^{a+b} = e^a e^b);
        False means "not shown", not "false".
    """
    expr = difference.xreplace(generalisation) if generalisation else difference
    if substitution:
        expr = expr.xreplace(substitution)
    if expr == 0 or sympy.expand(expr, power_exp=False) == 0:
        return True
    # fallback: e^{a+b} -> e^a e^b everywhere, so that e.g. e^{V_1} / e^{V_1} (n = 1) cancels
    if substitution:
        difference = difference.xreplace(substitution)
    return sympy.expand(difference) == 0


def _witness(difference: sympy.Expr, symbols: tuple, seed: int):
    """Evaluate `difference` at a few deterministic rational points with 30 digits.

    Returns (point, value) for the first point where |value| is clearly non-zero, else None.
    """
    rng = random.Random(seed)
    for _ in range(3):
        point = {s: sympy.Rational(rng.randint(-12, 12), 8) for s in symbols}
        value = difference.xreplace(point).evalf(_PRECISION)
        if value.is_number and abs(value) > _REFUTE_THRESHOLD:
            return point, value
    return None


def _free_in_order(expr: sympy.Expr, model: SoftmaxModel) -> tuple:
    free = expr.free_symbols
    return tuple(s for s in model.symbols() if s in free)


def _one_hot_substitution(model: SoftmaxModel) -> dict:
    """y'_n -> 1 - sum_{k<n} y'_k, i.e. the constraint sum_k y'_k = 1 solved for y'_n.

    The generalised Y (see `_generalisation`) becomes 1 under the same constraint.
    """
    last = model.y[model.n - 1]
    return {last: 1 - sympy.Add(*model.y[: model.n - 1]), _Y_GEN: sympy.Integer(1)}


def _check_entry(model, parameter, kind, index, derivative, expected, seed_formula, gen, onehot,
                 seed):
    difference = derivative - expected
    if residual_is_zero(difference, gen):
        reduced = expected - seed_formula
        one_hot = "proved" if residual_is_zero(reduced, gen, onehot) else "refuted"
        reduced = reduced.xreplace(onehot) if one_hot == "refuted" else reduced
        if one_hot == "refuted" and _witness(reduced, _free_in_order(reduced, model), seed) is None:
            one_hot = "unknown"
        reason = "" if one_hot == "proved" else "one-hot reduction to -x_j (y'_i - p_i) not shown"
        return EntryOutcome(parameter, kind, index, derivative, expected, "proved", one_hot,
                            None, reason)
    found = _witness(difference, _free_in_order(difference, model), seed)
    if found is None:
        return EntryOutcome(parameter, kind, index, derivative, expected, "unknown", "skipped",
                            None, "difference not shown to be 0, and no numeric witness found")
    point, value = found
    return EntryOutcome(parameter, kind, index, derivative, expected, "refuted", "skipped",
                        point, f"derivative - expected = {sympy.N(value, 6)} at the counterexample")


def _diff_sum(expr: sympy.Expr, theta: sympy.Symbol) -> sympy.Expr:
    """d expr / d theta, differentiating only the terms of a sum that contain theta.

    (d/dθ sum_t f_t = sum_t df_t/dθ, and df_t/dθ = 0 when θ does not occur in f_t.)
    """
    if isinstance(expr, sympy.Add):
        return sympy.Add(*[sympy.diff(t, theta) for t in expr.args if theta in t.free_symbols])
    return sympy.diff(expr, theta)


def prove_gradients(n: int, m: int, *, timeout: float = 60.0, expected_W=None,
                    expected_b=None) -> GradientProof:
    """Prove dJ/dw_ij and dJ/db_i for every entry of an n x m softmax-regression model.

    Proves, entry by entry,
        dJ/dw_ij = -x_j (y'_i - p_i sum_k y'_k),   dJ/db_i = -(y'_i - p_i sum_k y'_k),
    and that under sum_k y'_k = 1 both reduce to the seed's -x_j (y'_i - p_i) and -(y'_i - p_i).

    Parameters
    ----------
    n, m : int
        Classes and features (1 <= n, m <= 60).
    timeout : float
        Time budget in seconds; entries not reached are reported "unknown".
    expected_W : sympy.Matrix (n, m), optional
        Formula to prove instead of `SoftmaxModel.grad_W_formula()` (e.g. to test that a wrong
        formula is not proved). The one-hot reduction is still checked against the seed.
    expected_b : sympy.Matrix (n, 1), optional
        Same for the bias.

    Returns
    -------
    GradientProof
        `.holds`, `.entries` (n*m + n EntryOutcome), `.lemma`, `.elapsed`.

    Raises
    ------
    TypeError, ValueError
        For a bad n, m, timeout or wrongly shaped expected matrices.
    """
    start = time.perf_counter()
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    model = SoftmaxModel(n, m)
    if expected_W is None:
        expected_W = model.grad_W_formula()
    if expected_b is None:
        expected_b = model.grad_b_formula()
    expected_W, expected_b = sympy.Matrix(expected_W), sympy.Matrix(expected_b)
    if expected_W.shape != (n, m):
        raise ValueError(f"expected_W must have shape ({n}, {m}), got {expected_W.shape}")
    if expected_b.shape not in ((n, 1), (1, n)):
        raise ValueError(f"expected_b must have shape ({n}, 1), got {expected_b.shape}")
    expected_b = expected_b.reshape(n, 1)

    deadline = start + timeout

    def left() -> float:
        return deadline - time.perf_counter()

    def out_of_time(lemma: LemmaOutcome) -> GradientProof:
        # budget exhausted before the entries could be checked: all of them unknown
        entries = tuple(EntryOutcome(parameter, kind, index, sympy.nan, expected, "unknown",
                                     "skipped", None, "time budget exhausted")
                        for parameter, kind, index, expected, _ in targets)
        return GradientProof(n=n, m=m, holds=False, lemma=lemma, entries=entries,
                             elapsed=time.perf_counter() - start, timed_out=True)

    targets = [(model.W[i, j], "w", (i + 1, j + 1), expected_W[i, j],
                -model.x[j] * (model.y[i] - model.p[i])) for i in range(n) for j in range(m)]
    targets += [(model.b[i], "b", (i + 1,), expected_b[i, 0], -(model.y[i] - model.p[i]))
                for i in range(n)]
    unproved_lemma = LemmaOutcome(False, _LEMMA_STATEMENT,
                                  "not proved: time budget exhausted")
    # step 1, bounded by the remaining budget (the lemma is one uninterruptible SymPy call)
    lemma = _bounded_lemma(model, left()) if left() > 0 else None
    if lemma is None:
        return out_of_time(unproved_lemma)
    _, F_v, v = _lemma_forms(model)
    # step 2: g_k = dF/dv_k = -y'_k + Y e^{v_k} / S_v, evaluated at v = V by replacing
    # e^{v_k} -> e^{V_k} and S_v -> S with the model's unevaluated subexpressions
    # (re-evaluating e^{V_k} for long V_k is what makes a plain v -> V substitution slow)
    at_V = {sympy.exp(vk): e for vk, e in zip(v, model.E)}
    at_V[sympy.Add(*at_V)] = model.S
    at_V.update(zip(v, model.V))
    g = []
    for vk in v:
        if left() <= 0:
            return out_of_time(lemma)
        g.append(sympy.diff(F_v, vk).xreplace(at_V))
    free_in_V = [vk.free_symbols for vk in model.V]
    gen = _generalisation(model)
    onehot = _one_hot_substitution(model)

    def chain(parameter):
        # dJ/dθ = sum_k g_k dV_k/dθ  (dV_k/dθ = 0 when θ does not occur in V_k)
        return sympy.Add(*[g[k] * _diff_sum(model.V[k], parameter)
                           for k in range(n) if parameter in free_in_V[k]])

    entries, timed_out = [], False
    for number, (parameter, kind, index, expected, seed_formula) in enumerate(targets):
        if timed_out or left() <= 0:
            timed_out = True
            entries.append(EntryOutcome(parameter, kind, index, sympy.nan, expected, "unknown",
                                        "skipped", None, "time budget exhausted"))
            continue
        entries.append(_check_entry(model, parameter, kind, index, chain(parameter), expected,
                                    seed_formula, gen, onehot, seed=number))
    holds = lemma.holds and not timed_out and all(entries)
    return GradientProof(n=n, m=m, holds=holds, lemma=lemma, entries=tuple(entries),
                         elapsed=time.perf_counter() - start, timed_out=timed_out)
