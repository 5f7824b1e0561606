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
   `expand`, with e^{V_k}, S and Y = sum_k y'_k as positive/real symbols E_k, S, Y from the
   start (``derivation.proofs.atoms``; an identity in these symbols is an identity after
   substituting the subexpressions back). No long subexpression is ever a dictionary key,
   so the cost does not depend on SymPy's cache (issue 9, class 7).
5. One-hot reduction: with Y = 1 (and y'_n = 1 - sum_{k<n} y'_k, i.e. under
   sum_k y'_k = 1), the formula equals the seed's -x_j (y'_i - p_i), again by `expand`.

If a difference does not expand to 0, the entry is decided by
``derivation.equivalence.equivalent`` on the model's expressions: "refuted" only with the
counterexample it confirms (exact or interval arithmetic), otherwise "unknown" with the
reason, one standard with the checker (issue 9, class 8).
"""

from __future__ import annotations

import time

import sympy

from derivation.equivalence.budget import BudgetExceeded, run_bounded
from derivation.equivalence.checker import equivalent
from derivation.model import SoftmaxModel, cross_entropy
from derivation.proofs.atoms import Atoms, residual_is_zero
from derivation.proofs.outcomes import EntryOutcome, GradientProof, LemmaOutcome

__all__ = ["prove_gradients", "GradientProof", "EntryOutcome", "logit_lemma", "LemmaOutcome",
           "residual_is_zero"]

_MAX_DECIDED = 20          # entries not shown equal that get a counterexample search
_DECIDE_SECONDS = 2.0      # budget of one such search (equivalent's timeout)
_GRACE = 0.35              # equivalent returns within its timeout + 0.3 s


# -- step 1: the lemma -----------------------------------------------------------------
def _logit_symbols(n: int) -> tuple:
    return tuple(sympy.Symbol(f"v_{k + 1}", real=True) for k in range(n))


def _lemma_forms(model: SoftmaxModel):
    """(J(v), F(v), v) in logit symbols v for the model's n and labels."""
    v = _logit_symbols(model.n)
    J_v = cross_entropy(tuple(model.y), v)
    S_v = sympy.Add(*[sympy.exp(vk) for vk in v])
    F_v = (-sympy.Add(*[model.y[i] * v[i] for i in range(model.n)])
           + model.label_sum() * sympy.log(S_v))
    return J_v, F_v, v


_LEMMA_STATEMENT = "J = -sum_i y'_i V_i + (sum_i y'_i) ln S,  S = sum_k e^{V_k}"


def logit_lemma(model: SoftmaxModel) -> LemmaOutcome:
    """Prove J(v) = -sum_i y'_i v_i + (sum_i y'_i) ln sum_k e^{v_k} exactly.

    ln(e^{v_i}/S) = v_i - ln S holds because e^{v_i} > 0 and S > 0 (v real), which is what
    `expand_log` (without force) checks, with S as one positive symbol (an identity in it
    stays one for S = sum_k e^{v_k}); then the difference is expanded to 0. The model's
    J is J(v) at v = V by construction: both are built by `derivation.model.cross_entropy`
    (the same expression tree with V_k in place of v_k), so nothing long is compared here.
    """
    J_v, F_v, v = _lemma_forms(model)
    # S_v = sum_k e^{v_k} > 0 as one positive symbol: ln(e^{v_i}/S) = v_i - ln S term by term
    S_v = sympy.Add(*[sympy.exp(vk) for vk in v])
    positive = {S_v: sympy.Symbol("S__", positive=True)} if model.n > 1 else {}
    difference = sympy.expand(sympy.expand_log((J_v - F_v).xreplace(positive)),
                              power_exp=False, log=False)
    lemma_ok = difference == 0
    method = ("expand_log (e^{V_i} > 0, S > 0) + expand; the model's J is J(v) at v = V "
              "(one builder, cross_entropy)")
    if not lemma_ok:
        method = f"expand_log left {difference}"
    return LemmaOutcome(holds=bool(lemma_ok), statement=_LEMMA_STATEMENT, method=method)


def _bounded_lemma(model: SoftmaxModel, seconds: float) -> LemmaOutcome | None:
    """`logit_lemma` under a hard wall-clock limit of `seconds`; None when it runs out."""
    try:
        return run_bounded(logit_lemma, (model,), seconds)
    except BudgetExceeded:
        return None


# -- steps 2-3: the chain rule in the atoms -----------------------------------------------
def _logit_gradient(model: SoftmaxModel, atoms: Atoms) -> list:
    """g_k = dF/dv_k = -y'_k + Y E_k / S for k = 1..n (diff in logit symbols, then atoms)."""
    _, F_v, v = _lemma_forms(model)
    exps = [sympy.exp(vk) for vk in v]
    to_atoms = dict(zip(exps, atoms.E))
    if model.n > 1:
        to_atoms[sympy.Add(*exps)] = atoms.S
        to_atoms[model.label_sum()] = atoms.Y
    return [sympy.diff(F_v, vk).xreplace(to_atoms) for vk in v]


def _logit_derivatives(model: SoftmaxModel) -> list:
    """dV_k/dθ for every θ in V_k: one dict per k (θ -> derivative, by diff of each term)."""
    out = []
    for V_k in model.V:
        d = {}
        for term in sympy.Add.make_args(V_k):
            factors = sympy.Mul.make_args(term)
            if all(f.is_Symbol for f in factors) and len(set(factors)) == len(factors):
                # d/ds of a product of distinct symbols: the product of the others
                for s in factors:
                    d[s] = d.get(s, 0) + sympy.Mul(*[f for f in factors if f is not s])
            else:
                for s in term.free_symbols:
                    d[s] = d.get(s, 0) + sympy.diff(term, s)
        out.append(d)
    return out


# -- step 4-5: one entry -----------------------------------------------------------------
class _Decider:
    """Counterexample searches by `equivalent` for entries not shown equal (bounded)."""

    def __init__(self, deadline: float):
        self.deadline, self.used = deadline, 0

    def decide(self, lhs, rhs, assume=()):
        """(status, counterexample, reason) of lhs = rhs on the model's expressions."""
        left = self.deadline - time.perf_counter() - _GRACE
        if self.used >= _MAX_DECIDED:
            return "unknown", None, (f"not shown to be 0; no counterexample search (more than "
                                     f"{_MAX_DECIDED} entries were not shown equal)")
        if left < 0.05:
            return "unknown", None, "not shown to be 0; time budget exhausted"
        self.used += 1
        verdict = equivalent(lhs, rhs, assume=assume, timeout=min(left, _DECIDE_SECONDS))
        if verdict.status == "refuted":
            return "refuted", dict(verdict.counterexample), verdict.reason
        if verdict.status == "proved":   # exact, by the checker's normalisations
            return "proved", None, ""
        return "unknown", None, f"not shown to be 0 by expand; {verdict.reason}"


def _one_hot(atoms, expected_gen, seed_gen, expected, seed, decider):
    """(status, counterexample, reason) of expected = seed under sum_k y'_k = 1."""
    model = atoms.model
    last = model.y[model.n - 1]
    onehot = {atoms.Y: sympy.Integer(1)} if model.n > 1 else {}
    onehot[last] = 1 - sympy.Add(*model.y[: model.n - 1])
    if residual_is_zero(expected_gen - seed_gen, atoms, onehot, general=True):
        return "proved", None, ""
    status, point, reason = decider.decide(expected(), seed(),
                                           (sympy.Eq(model.label_sum(), 1),))
    return status, point, ("one-hot reduction to -x_j (y'_i - p_i): " + reason) if reason else ""


def _check_entry(atoms, target, general, decider):
    parameter, kind, index, build = target
    expected_gen, seed_gen, expected, seed = build()
    common = dict(general=general, claimed=expected, atoms=atoms)
    if residual_is_zero(general - expected_gen, atoms, general=True):
        one_hot, point, reason = _one_hot(atoms, expected_gen, seed_gen, expected, seed, decider)
        return EntryOutcome(parameter, kind, index, "proved", one_hot, point, reason, **common)
    status, point, reason = decider.decide(atoms.to_model(general), expected())
    if status == "proved":
        one_hot, point, reason = _one_hot(atoms, expected_gen, seed_gen, expected, seed, decider)
        return EntryOutcome(parameter, kind, index, "proved", one_hot, point, reason, **common)
    return EntryOutcome(parameter, kind, index, status, "skipped", point, reason, **common)


def _targets(model, atoms, expected_W, expected_b):
    """(θ, kind, index, build) per entry; build() gives (expected in atoms, seed in atoms,
    expected(), seed()) when the entry is reached (at 60 x 60 building all 3660 up front
    costs seconds, outside any budget)."""
    x, y, Y = model.x, model.y, model.label_sum
    out = []

    def p(i):                    # the model's p_i = e^{V_i}/S, built only when asked for
        return model.p[i]

    def claim(custom, i, j):
        # -x_j (y'_i - p_i Y) (w) or -(y'_i - p_i Y) (b), in atoms and in the model's symbols
        factor = x[j] if j is not None else 1
        if custom is None:
            general = -factor * (y[i] - atoms.p(i) * atoms.Y)
            return general, lambda: -factor * (y[i] - p(i) * Y())
        entry = custom[i, j] if j is not None else custom[i, 0]
        return atoms.generalise(entry), lambda: entry

    def w_entry(i, j):
        general, expected = claim(expected_W, i, j)
        return (general, -x[j] * (y[i] - atoms.p(i)), expected,
                lambda: -x[j] * (y[i] - p(i)))

    def b_entry(i):
        general, expected = claim(expected_b, i, None)
        return general, -(y[i] - atoms.p(i)), expected, lambda: -(y[i] - p(i))

    out = [(model.W[i, j], "w", (i + 1, j + 1), lambda i=i, j=j: w_entry(i, j))
           for i in range(model.n) for j in range(model.m)]
    out += [(model.b[i], "b", (i + 1,), lambda i=i: b_entry(i)) for i in range(model.n)]
    return out


def _expected_matrices(n, m, expected_W, expected_b):
    if expected_W is not None:
        expected_W = sympy.Matrix(expected_W)
        if expected_W.shape != (n, m):
            raise ValueError(f"expected_W must have shape ({n}, {m}), got {expected_W.shape}")
    if expected_b is not None:
        expected_b = sympy.Matrix(expected_b)
        if expected_b.shape not in ((n, 1), (1, n)):
            raise ValueError(f"expected_b must have shape ({n}, 1), got {expected_b.shape}")
        expected_b = expected_b.reshape(n, 1)
    return expected_W, expected_b


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
        Time budget in seconds for the whole call (model, lemma, entries); entries not
        reached are reported "unknown".
    expected_W : sympy.Matrix (n, m), optional
        Formula to prove instead of `SoftmaxModel.grad_W_formula()` (e.g. to test that a wrong
        formula is not proved). The one-hot reduction is still checked against the seed.
    expected_b : sympy.Matrix (n, 1), optional
        Same for the bias.

    Returns
    -------
    GradientProof
        `.holds`, `.entries` (n*m + n EntryOutcome), `.lemma`, `.elapsed`. An entry is
        "refuted" only with a counterexample confirmed by `equivalent`.

    Raises
    ------
    TypeError, ValueError
        For a bad n, m, timeout or wrongly shaped expected matrices.
    """
    start = time.perf_counter()
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    model = SoftmaxModel(n, m)                      # symbols only: milliseconds
    expected_W, expected_b = _expected_matrices(n, m, expected_W, expected_b)
    deadline = start + timeout

    def left() -> float:
        return deadline - time.perf_counter()

    atoms = Atoms(model)
    targets = _targets(model, atoms, expected_W, expected_b)

    def skipped(target) -> EntryOutcome:
        parameter, kind, index, build = target
        return EntryOutcome(parameter, kind, index, "unknown", "skipped", None,
                            "time budget exhausted", claimed=lambda: build()[2](),
                            atoms=atoms)

    def out_of_time(lemma: LemmaOutcome, done=()) -> GradientProof:
        entries = tuple(done) + tuple(skipped(t) for t in targets[len(done):])
        return GradientProof(n=n, m=m, holds=False, lemma=lemma, entries=entries,
                             elapsed=time.perf_counter() - start, timed_out=True)

    # step 1, bounded by the remaining budget (the lemma is one uninterruptible SymPy call)
    lemma = _bounded_lemma(model, left()) if left() > 0 else None
    if lemma is None:
        return out_of_time(LemmaOutcome(False, _LEMMA_STATEMENT,
                                        "not proved: time budget exhausted"))
    if left() <= 0:
        return out_of_time(lemma)
    g = _logit_gradient(model, atoms)               # step 2, in the atoms
    dV = _logit_derivatives(model)
    decider = _Decider(deadline)
    entries = []
    for target in targets:
        if left() <= 0:
            return out_of_time(lemma, entries)
        theta = target[0]
        # step 3: dJ/dθ = sum_k g_k dV_k/dθ  (dV_k/dθ = 0 when θ does not occur in V_k)
        general = sympy.Add(*[g[k] * dV[k][theta] for k in range(n) if theta in dV[k]])
        entries.append(_check_entry(atoms, target, general, decider))
    holds = lemma.holds and all(entries)
    return GradientProof(n=n, m=m, holds=holds, lemma=lemma, entries=tuple(entries),
                         elapsed=time.perf_counter() - start, timed_out=False)
