"""Numeric gradient checking: finite differences, `check_gradient`, hypothesis strategies.

Public names are imported lazily so that the pytest plugin stays import-light.
"""

from importlib import import_module

# public name -> submodule that defines it
_EXPORTS = {
    "check_gradient": "verify.check",
    "assert_gradient": "verify.check",
    "GradientCheckError": "verify.check",
    "GradientCheckResult": "verify.check",
    "check_hessian": "verify.hessian",
    "HessianCheckResult": "verify.hessian",
}

__all__ = sorted(_EXPORTS) + ["strategies"]


def __getattr__(name):
    if name == "strategies":
        value = import_module("verify.strategies")
    else:
        try:
            module = _EXPORTS[name]
        except KeyError:
            raise AttributeError(f"module 'verify' has no attribute {name!r}") from None
        value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
