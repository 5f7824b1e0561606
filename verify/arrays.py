"""Arrays from other libraries: torch tensors, jax arrays, any array-API array.

The checker works on private NumPy copies (float32 stays float32). When a leaf of the
parameters came from another library, `f`, `grad` and `hvp` are called with arrays of that
library again, of the same dtype and on the same device: `Adapter.to_native` turns a NumPy
working array into such an array (a copy, so that f may keep or modify it), and `as_numpy`
turns what f / grad return back into NumPy.

torch is recognised by its type (no import of torch is needed here); other libraries through
the array API standard (``x.__array_namespace__()``, ``x.device``, ``xp.asarray(..., device=)``),
with ``array_api_compat`` used when it is installed.
"""

from __future__ import annotations

import numpy as np


def _is_torch(x):
    t = type(x)
    return t.__module__.startswith("torch") and hasattr(x, "detach") and hasattr(x, "requires_grad")


def is_foreign(x):
    """True for a non-NumPy array object (torch tensor, jax array, array-API array)."""
    if isinstance(x, (np.ndarray, np.generic)):
        return False
    return _is_torch(x) or hasattr(x, "__array_namespace__")


def as_numpy(x):
    """A NumPy view or copy of array `x` (any library; torch tensors are detached, moved to CPU)."""
    if isinstance(x, np.ndarray):
        return x
    if _is_torch(x):
        t = x.detach()
        if t.is_conj():
            t = t.resolve_conj()
        return t.cpu().numpy()
    if hasattr(x, "__array_namespace__"):
        try:
            import array_api_compat

            x = array_api_compat.to_device(x, "cpu")
        except Exception:  # noqa: BLE001  (not installed, or the library has no "cpu" device name)
            pass
        try:
            return np.asarray(x)
        except Exception:  # noqa: BLE001
            return np.from_dlpack(x)
    return np.asarray(x)


class Adapter:
    """How to give a NumPy working array back to f in the library of the original leaf.

    Parameters
    ----------
    original : array
        The caller's leaf (torch tensor, jax array, array-API array).
    """

    def __init__(self, original):
        self.kind = "torch" if _is_torch(original) else "array-api"
        self.device = getattr(original, "device", None)
        self.requires_grad = bool(getattr(original, "requires_grad", False))
        self.library = type(original).__module__.split(".")[0]
        if self.kind == "array-api":
            self.xp = original.__array_namespace__()
            self.dtype = original.dtype

    def to_native(self, a, *, for_grad=False):
        """A fresh array of the original library, dtype and device holding the values of `a`."""
        if self.kind == "torch":
            import torch

            t = torch.from_numpy(np.array(a, copy=True))
            if self.device is not None and str(self.device) != "cpu":
                t = t.to(self.device)
            if for_grad and self.requires_grad:
                t.requires_grad_(True)
            return t
        a = np.array(a, copy=True)
        try:
            return self.xp.asarray(a, device=self.device)
        except TypeError:  # a namespace whose asarray has no device keyword
            return self.xp.asarray(a)

    def __repr__(self):
        return f"Adapter({self.library}, device={self.device})"
