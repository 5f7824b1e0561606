"""prove_hessian: the softmax Hessian for all n, m, and wrong blocks are not proved."""

import random

import pytest
import sympy

from derivation.proofs.hessian import hessian_claims, prove_hessian
from derivation.proofs.indexed import check_identity, differentiate


def test_hessian_blocks_proved_for_all_sizes():
    proof = prove_hessian()
    assert proof.holds and proof.ok and bool(proof) and proof.status == "proved"
    assert set(proof.checks) == {"ww", "wb", "bw", "bb"}
    assert all(c.status == "proved" and c.sizes is None for c in proof.checks.values())
    statuses = [s.status for s in proof.steps]
    assert statuses.count("proved") == 4 and "refuted" not in statuses
    assert "HOLDS" in str(proof)


def test_hessian_block_agrees_with_sympy_at_a_concrete_size():
    # oracle: SymPy's diff of the expanded 3 x 2 loss, at a random rational point
    g, ranges, claims = hessian_claims()
    n, m, p, q, r, s, w = (g[k] for k in ("n", "m", "p", "q", "r", "s", "w"))
    ww = differentiate(differentiate(g["J"], w[p, q], ranges=ranges), w[r, s], ranges=ranges)
    concrete = g["J"].xreplace({n: 3, m: 2}).doit()
    rng = random.Random(5)
    for P, Q, R, S in ((1, 1, 1, 2), (2, 2, 3, 1), (3, 1, 3, 1)):
        oracle = sympy.diff(concrete, w[P, Q], w[R, S])
        ours = ww.xreplace({n: 3, m: 2, p: P, q: Q, r: R, s: S}).doit()
        point = {e: sympy.Rational(rng.randint(-8, 8), 5)
                 for e in (oracle + ours).atoms(sympy.Indexed)}
        assert abs(sympy.N((oracle - ours).xreplace(point), 30)) < 1e-25


@pytest.mark.parametrize("mutate", [
    lambda c, g: c.xreplace({sympy.KroneckerDelta(g["p"], g["r"]): 1}),   # delta dropped
    lambda c, g: -c,                                                        # sign
    lambda c, g: c / g["Y"],                                                # sum y' dropped
])
def test_wrong_hessian_block_is_refuted(mutate):
    g, ranges, claims = hessian_claims()
    name, (first, second), claimed = claims[0]
    derivative = differentiate(differentiate(g["J"], first, ranges=ranges), second, ranges=ranges)
    check = check_identity(derivative, mutate(claimed, g), ranges=ranges, timeout=10)
    assert check.status == "refuted"
    assert g["n"] in check.counterexample and f"n = {check.counterexample[g['n']]}" in check.reason


def test_hessian_budget_and_arguments():
    proof = prove_hessian(timeout=0.3)
    assert not proof.holds and proof.status == "unknown"
    assert proof.elapsed < 0.3 + 1.0
    with pytest.raises(ValueError, match="timeout"):
        prove_hessian(timeout=0)
