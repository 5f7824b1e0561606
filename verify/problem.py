"""The problem a gradient check works on: f, the analytic gradient, working copies of params.

`Problem` validates what f and grad return at params (a finite real scalar; arrays shaped
like params) and gives the evaluations their working arrays: f is always called on private
copies, in the caller's structure and kinds of leaves (`verify._params`).
"""

from __future__ import annotations

import math

import numpy as np

from verify import finite_diff as fd
from verify._params import ParamLayout
from verify.arrays import as_numpy, is_foreign


class Problem:
    """f, the analytic gradient, private working arrays and f at params.

    Attributes
    ----------
    layout : ParamLayout
    g : ndarray (P,)
        Analytic gradient, flat float64.
    work : list of ndarray
        Working copies that the evaluations perturb (and restore).
    call : callable
        ``call()`` -> f at the current working arrays, as a float or NumPy scalar.
    f0 : float
        f(params).
    x : ndarray (P,)
        Parameter values, flat float64.
    """

    def __init__(self, f, grad, params, names):
        if not callable(f):
            raise TypeError(f"f must be callable (params -> scalar loss), got {type(f).__name__}")
        self.f, self.grad, self.params = f, grad, params
        self.layout = layout = ParamLayout(params, names)
        raw = grad(layout.build(layout.copies(params), for_grad=True)) if callable(grad) else grad
        self.g = layout.flatten_gradient(raw, "grad(params)" if callable(grad) else "grad")
        #: bytes per item of the least precise array grad returned (8 for float64 / Python floats)
        self.grad_itemsize = min(_itemsize(leaf) for leaf in layout.leaves(raw))
        self.work = layout.copies(params)
        inner = layout.caller(f, self.work)
        self.call = inner if layout.native else (lambda: _number(inner()))
        value = self.call()
        #: bytes per item of f's return value (8 for float64 / Python floats)
        self.f_itemsize = _itemsize(value)
        self.f0 = scalar(value, "f(params)")
        self.x = np.concatenate([a.reshape(-1).astype(np.float64) for a in self.work])
        self.dtypes = np.concatenate([np.full(s, d, dtype=object) for s, d in zip(layout.sizes, layout.dtypes)])
        self.n_evals = 1

    def central_at(self, h, entries):
        """Central differences of flat `entries` at steps `h` (2 calls of f each)."""
        return fd.central(self.call, self.work, self.x[entries], h, self.dtypes[entries], entries)

    def central_values(self, h, entries):
        """``(D, f(x + h e_i), f(x - h e_i))`` for flat `entries` at steps `h`."""
        return fd.central(self.call, self.work, self.x[entries], h, self.dtypes[entries], entries, values=True)


def scalar(value, what):
    """A finite real scalar from f's return value, or an error naming the value."""
    if is_foreign(value):
        value = as_numpy(value)
    arr = np.asarray(value)
    if arr.dtype == object or arr.ndim != 0:
        raise TypeError(
            f"{what} must return a scalar loss, got {type(value).__name__} of shape {np.shape(value)}"
            + ("; reduce it with .sum() or .mean()" if arr.ndim else "")
        )
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{what} must return a real scalar, got {value!r} (dtype {arr.dtype})")
    v = float(arr)
    if not math.isfinite(v):
        raise ValueError(f"{what} is {v}; the loss must be finite at params")
    return v


def _number(value):
    """f's value as a NumPy scalar (torch / jax scalars converted)."""
    if is_foreign(value):
        arr = as_numpy(value)
        return arr[()] if arr.ndim == 0 else arr
    return value


def _itemsize(value):
    """Bytes per item of a returned value's floating dtype (8 for Python numbers)."""
    if isinstance(value, (float, int)):
        return 8
    arr = as_numpy(value) if is_foreign(value) else np.asarray(value)
    return arr.dtype.itemsize if arr.dtype.kind == "f" else 8
