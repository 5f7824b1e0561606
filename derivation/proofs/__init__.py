"""Proofs of the softmax-regression gradient: every entry at concrete sizes (``concrete``)
and for all n, m with IndexedBase/Sum (``general``)."""

from derivation.proofs.concrete import EntryOutcome, GradientProof, prove_gradients
from derivation.proofs.general import GeneralProof, GeneralStep, prove_general

__all__ = ["prove_gradients", "GradientProof", "EntryOutcome", "prove_general", "GeneralProof",
           "GeneralStep"]
