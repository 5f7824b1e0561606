"""The softmax-regression Hessian for symbolic n and m (IndexedBase / Sum / KroneckerDelta).

For all n >= 1 classes, m >= 1 features and indices 1 <= p, r <= n, 1 <= q, s <= m, with
V_i = sum_j w_ij x_j + b_i, S = sum_k e^{V_k}, p_i = e^{V_i}/S, Y = sum_k y'_k and
J = -sum_i y'_i ln p_i:

    d2J / dw_pq dw_rs = x_q x_s p_p (delta_pr - p_r) Y
    d2J / dw_pq db_r  = x_q p_p (delta_pr - p_r) Y        (= d2J / db_r dw_pq)
    d2J / db_p db_r   = p_p (delta_pr - p_r) Y

(with Y = 1 for one-hot labels: the familiar x_q x_s p_p (delta_pr - p_r)).

Each block is the true second derivative of J as written (``differentiate`` twice:
SymPy's derivative of sums over indexed arrays, Kronecker-delta sums evaluated with the
ranges), compared with the claim by ``check_identity``: "proved" only when the exact
all-sizes normal form of the difference is 0 (``sizes is None``); a claim refuted there
carries a counterexample confirmed by ``equivalent`` at a named size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sympy

from derivation.equivalence.budget import BudgetExceeded, run_bounded
from derivation.proofs.general import GeneralStep, general_model
from derivation.proofs.indexed import check_identity, differentiate

__all__ = ["prove_hessian", "HessianProof", "hessian_claims"]


@dataclass(frozen=True)
class HessianProof:
    """Result of `prove_hessian`.

    Attributes
    ----------
    holds : bool
        True iff every block is proved for all sizes.
    status : str
        "proved", "refuted" (some block refuted with a confirmed counterexample) or "unknown".
    steps : tuple of GeneralStep
        Definition, then per block the evaluated second derivative ("computed") and the
        claim ("proved" / "refuted" / "unknown" / "skipped").
    blocks : dict
        Block name ("ww", "wb", "bw", "bb") -> the evaluated second derivative.
    checks : dict
        Block name -> the IdentityCheck of the claim.
    elapsed : float
        Wall time in seconds.
    """

    holds: bool
    status: str
    steps: tuple = field(repr=False)
    blocks: dict = field(repr=False, default_factory=dict, hash=False)
    checks: dict = field(repr=False, default_factory=dict, hash=False)
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.holds

    def __bool__(self) -> bool:
        return self.holds

    def __str__(self) -> str:
        head = (f"Hessian (symbolic n, m; 1<=p,r<=n, 1<=q,s<=m): "
                f"{'HOLDS' if self.holds else self.status.upper()} ({self.elapsed:.3f} s)")
        return "\n".join([head] + [f"  {k + 1}. {s}" for k, s in enumerate(self.steps)])


def hessian_claims(g=None):
    """The model with symbolic sizes and the four claimed blocks.

    Returns
    -------
    (g, ranges, claims)
        g : dict from `general_model` plus r, s (free indices);
        ranges : {p: (1, n), q: (1, m), r: (1, n), s: (1, m)};
        claims : tuple of (name, (first variable, second variable), claimed expression).
    """
    g = dict(g or general_model())
    r, s = sympy.symbols("r s", integer=True, positive=True)
    g.update(r=r, s=s)
    n, m, w, x, b, p, q, V, S, Y = (g[k] for k in ("n", "m", "w", "x", "b", "p", "q", "V",
                                                     "S", "Y"))

    def prob(a):                                  # p_a = e^{V_a} / S
        return sympy.exp(V(a)) / S

    curvature = prob(p) * (sympy.KroneckerDelta(p, r) - prob(r)) * Y
    claims = (
        ("ww", (w[p, q], w[r, s]), x[q] * x[s] * curvature),
        ("wb", (w[p, q], b[r]), x[q] * curvature),
        ("bw", (b[r], w[p, q]), x[q] * curvature),
        ("bb", (b[p], b[r]), curvature),
    )
    ranges = {p: (1, n), q: (1, m), r: (1, n), s: (1, m)}
    return g, ranges, claims


_TITLES = {"ww": "d2J/dw_pq dw_rs = x_q x_s p_p (delta_pr - p_r) sum_k y'_k",
           "wb": "d2J/dw_pq db_r = x_q p_p (delta_pr - p_r) sum_k y'_k",
           "bw": "d2J/db_r dw_pq = x_q p_p (delta_pr - p_r) sum_k y'_k",
           "bb": "d2J/db_p db_r = p_p (delta_pr - p_r) sum_k y'_k"}


def _second_derivatives(J, claims, ranges):
    """Block name -> d2J / d first d second (first derivatives shared between blocks)."""
    first = {}
    out = {}
    for name, (a, b), _ in claims:
        if a not in first:
            first[a] = differentiate(J, a, ranges=ranges)
        out[name] = differentiate(first[a], b, ranges=ranges)
    return out


def prove_hessian(*, timeout: float = 30.0) -> HessianProof:
    """Prove the softmax-regression Hessian blocks for symbolic n, m (see the module docstring).

    Parameters
    ----------
    timeout : float
        Budget in seconds for the whole proof; blocks not reached are "skipped".

    Returns
    -------
    HessianProof
        `.holds` / `.ok`, `.status`, `.steps` (GeneralStep records), `.blocks`, `.checks`.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    start = time.perf_counter()
    g, ranges, claims = hessian_claims()
    J = g["J"]
    steps = [GeneralStep("definition", sympy.Eq(sympy.Symbol("J"), J, evaluate=False),
                         "computed", "J = -sum_i y'_i ln(e^{V_i}/S), S = sum_k e^{V_k}")]
    checks, statuses, why = {}, [], ""
    try:  # the derivatives: SymPy calls that cannot be interrupted, so in a killable child
        blocks = run_bounded(_second_derivatives, (J, claims, ranges), 0.6 * timeout)
    except (BudgetExceeded, RuntimeError) as exc:
        blocks, why = {}, ("time budget exhausted" if isinstance(exc, BudgetExceeded)
                           else f"differentiation failed ({exc})")
    for name, _, claimed in claims:
        left = timeout - (time.perf_counter() - start)
        if name not in blocks or left <= 0.2:
            steps.append(GeneralStep(_TITLES[name], sympy.nan, "skipped",
                                     why if name not in blocks else "time budget exhausted"))
            statuses.append("unknown")
            continue
        derivative = blocks[name]
        steps.append(GeneralStep(f"second derivative ({name})", derivative, "computed",
                                 "diff of Sum over Indexed twice; KroneckerDelta sums evaluated"))
        check = check_identity(derivative, claimed, ranges=ranges,
                               timeout=max(0.2, min(left - 0.5, left / 2)))
        checks[name] = check
        status = check.status if check.status != "proved" or check.sizes is None else "unknown"
        method = check.method if status == "proved" else check.reason
        statuses.append(status)
        steps.append(GeneralStep(_TITLES[name], sympy.Eq(sympy.Symbol(name), claimed,
                                                         evaluate=False), status, method))
    holds = all(s == "proved" for s in statuses)
    status = "proved" if holds else ("refuted" if "refuted" in statuses else "unknown")
    return HessianProof(holds=holds, status=status, steps=tuple(steps), blocks=blocks,
                        checks=checks, elapsed=time.perf_counter() - start)
