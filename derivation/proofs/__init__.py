"""Proofs of the softmax-regression gradient: every entry at concrete sizes (``concrete``),
for all n, m with IndexedBase/Sum (``general``), the Hessian for all n, m (``hessian``), and
identities over indexed arrays for all sizes or at concrete sizes (``indexed``, on the
normal forms of ``sums`` and the instances of ``instances``)."""

from derivation.proofs.concrete import EntryOutcome, GradientProof, prove_gradients
from derivation.proofs.general import GeneralProof, GeneralStep, prove_general
from derivation.proofs.hessian import HessianProof, prove_hessian
from derivation.proofs.indexed import IdentityCheck, check_identity, differentiate

__all__ = ["prove_gradients", "GradientProof", "EntryOutcome", "prove_general", "GeneralProof",
           "GeneralStep", "prove_hessian", "HessianProof", "check_identity", "IdentityCheck",
           "differentiate"]
