"""Symbolic core: the softmax-regression gradient, proved with SymPy.

Public names are imported lazily (SymPy is heavy; submodules load on first use).
"""

from importlib import import_module

# public name -> submodule that defines it
_EXPORTS = {
    "DerivationError": "derivation.errors",
    "format_point": "derivation._format",
    "format_value": "derivation._format",
    "format_expr": "derivation._format",
    "ParseError": "derivation.errors",
    "UnsafeExpressionError": "derivation.errors",
    "parse": "derivation.parsing.api",
    "parse_equation": "derivation.parsing.api",
    "read_latex": "derivation.parsing.latex",
    "equivalent": "derivation.equivalence.checker",
    "Verdict": "derivation.equivalence.checker",
    "confirm_counterexample": "derivation.equivalence.confirm",
    "refute": "derivation.equivalence.confirm",
    "SoftmaxModel": "derivation.model",
    "prove_gradients": "derivation.proofs.concrete",
    "GradientProof": "derivation.proofs.concrete",
    "prove_general": "derivation.proofs.general",
    "GeneralProof": "derivation.proofs.general",
    "check_identity": "derivation.proofs.indexed",
    "IdentityCheck": "derivation.proofs.indexed",
    "differentiate": "derivation.proofs.indexed",
    "prove_hessian": "derivation.proofs.hessian",
    "HessianProof": "derivation.proofs.hessian",
    "Step": "derivation.documents.stepcheck",
    "StepCheck": "derivation.documents.stepcheck",
    "check_steps": "derivation.documents.stepcheck",
    "RepairAttempt": "derivation.documents.stepcheck",
    "EntryOutcome": "derivation.proofs.concrete",
    "GeneralStep": "derivation.proofs.general",
    "check_document": "derivation.documents",
    "DocumentCheck": "derivation.documents",
    "DocumentStep": "derivation.documents",
    "check_candidate": "derivation.candidate",
    "gradient_checker_widget": "derivation.ui.widget",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'derivation' has no attribute {name!r}") from None
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
