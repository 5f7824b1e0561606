"""Parameter structures: an ndarray, or a tuple / list / dict of ndarrays.

`check_gradient` flattens such a structure into named float arrays, works on private
copies (the caller's arrays are never written), and rebuilds results in the same structure.
"""

from __future__ import annotations

import numpy as np

_FLOAT_KINDS = "f"


def _structure_of(params):
    """Return (kind, keys) for params: kind in {"array", "tuple", "list", "dict"}."""
    if isinstance(params, np.ndarray):
        return "array", (None,)
    if isinstance(params, dict):
        if not params:
            raise ValueError("params is an empty dict; nothing to check")
        return "dict", tuple(params)
    if isinstance(params, (tuple, list)):
        if not params:
            raise ValueError(f"params is an empty {type(params).__name__}; nothing to check")
        return ("tuple" if isinstance(params, tuple) else "list"), tuple(range(len(params)))
    raise TypeError(
        "params must be an ndarray or a tuple / list / dict of ndarrays, "
        f"got {type(params).__name__}"
    )


def _label(kind, key, names, root="params"):
    """Display name of one array of the structure, e.g. 'W', "params['W']", 'params[0]'."""
    if names is not None:
        return str(names[key] if kind == "dict" else names[0 if key is None else key])
    if kind == "array":
        return root
    if kind == "dict":
        return f"{root}[{key!r}]" if not isinstance(key, str) or not key.isidentifier() else key
    return f"{root}[{key}]"


class ParamLayout:
    """Names, shapes and dtypes of the arrays of a parameter structure.

    Parameters
    ----------
    params : ndarray or tuple / list / dict of ndarrays
        Float arrays (float16 / float32 / float64). Integer, complex or object arrays,
        NaN or inf entries are rejected with an error naming the array and entry.
    names : sequence of str or dict, optional
        Display names (e.g. ``("W", "b")``) used in messages instead of ``params[0]``.
    """

    def __init__(self, params, names=None):
        self.kind, self.keys = _structure_of(params)
        if names is not None:
            if self.kind == "dict":
                if not isinstance(names, dict) or set(names) != set(self.keys):
                    raise ValueError(f"names must be a dict with the keys of params {list(self.keys)}, got {names!r}")
            else:
                names = tuple(names) if not isinstance(names, str) else (names,)
                if len(names) != len(self.keys):
                    raise ValueError(
                        f"names has {len(names)} entries but params has {len(self.keys)} arrays: {names!r}"
                    )
        self.names = tuple(_label(self.kind, k, names) for k in self.keys)
        arrays = self._values(params)
        self.shapes, self.dtypes = [], []
        for name, a in zip(self.names, arrays):
            if not isinstance(a, np.ndarray):
                raise TypeError(f"{name} must be an ndarray, got {type(a).__name__}")
            if a.dtype.kind != "f":
                raise TypeError(
                    f"{name} has dtype {a.dtype}; finite differences need a float array "
                    f"(float32 or float64), e.g. {name}.astype(float)"
                )
            bad = ~np.isfinite(a)
            if bad.any():
                idx = tuple(int(i) for i in np.argwhere(bad)[0])
                raise ValueError(f"{name}{format_index(idx, a.ndim)} is {float(a[idx])}; params must be finite")
            self.shapes.append(a.shape)
            self.dtypes.append(a.dtype)
        self.sizes = [int(np.prod(s, dtype=np.int64)) for s in self.shapes]
        self.offsets = np.cumsum([0] + self.sizes)
        self.size = int(self.offsets[-1])
        # the lowest precision sets the noise level of f, hence steps and tolerances
        self.dtype = max(self.dtypes, key=lambda d: np.finfo(d).eps)

    def _values(self, structure):
        if self.kind == "array":
            return [structure]
        return [structure[k] for k in self.keys]

    def copies(self, params, dtype=None):
        """Private C-contiguous copies of the arrays (optionally cast to `dtype`)."""
        return [np.array(a, dtype=dtype or a.dtype, order="C", copy=True) for a in self._values(params)]

    def build(self, arrays):
        """Rebuild the caller's structure from a list of arrays."""
        if self.kind == "array":
            return arrays[0]
        if self.kind == "dict":
            return dict(zip(self.keys, arrays))
        return tuple(arrays) if self.kind == "tuple" else list(arrays)

    def split(self, flat):
        """Split a flat vector (size entries) into arrays shaped like the params."""
        return [flat[o : o + s].reshape(shape) for o, s, shape in zip(self.offsets, self.sizes, self.shapes)]

    def locate(self, k):
        """Name and index of flat entry `k`, formatted like ``W[1, 2]``."""
        a = int(np.searchsorted(self.offsets, k, side="right") - 1)
        idx = np.unravel_index(k - self.offsets[a], self.shapes[a]) if self.shapes[a] else ()
        return self.names[a], tuple(int(i) for i in idx)

    def label(self, k):
        name, idx = self.locate(k)
        return f"{name}{format_index(idx, len(idx))}"

    def flatten_gradient(self, g, what="grad(params)"):
        """Validate a gradient against the layout and return it as one float64 vector."""
        kind, _ = _structure_of_gradient(g, what)
        if self.kind == "array":
            parts = [g] if kind == "array" else None
        elif kind == self.kind or (kind in ("tuple", "list") and self.kind in ("tuple", "list")):
            if kind == "dict":
                missing = [k for k in self.keys if k not in g]
                extra = [k for k in g if k not in self.keys]
                if missing or extra:
                    raise ValueError(f"{what} has keys {list(g)}, params has keys {list(self.keys)}")
                parts = [g[k] for k in self.keys]
            else:
                if len(g) != len(self.keys):
                    raise ValueError(f"{what} has {len(g)} arrays, params has {len(self.keys)}")
                parts = list(g)
        else:
            parts = None
        if parts is None:
            raise TypeError(f"{what} is a {type(g).__name__}; it must have the structure of params ({self.kind})")
        out = np.empty(self.size, dtype=np.float64)
        for name, shape, o, s, part in zip(self.names, self.shapes, self.offsets, self.sizes, parts):
            arr = np.asarray(part)
            if arr.dtype.kind not in "fiub":
                raise TypeError(f"{what} for {name} has dtype {arr.dtype}; expected real floats")
            if arr.shape != shape:
                raise ValueError(f"{what} for {name} has shape {arr.shape}, but {name} has shape {shape}")
            out[o : o + s] = arr.reshape(-1)
        return out


def _structure_of_gradient(g, what):
    try:
        return _structure_of(g)
    except TypeError:
        raise TypeError(
            f"{what} returned {type(g).__name__}; it must have the structure of params"
        ) from None


def format_index(idx, ndim):
    """``(1, 2)`` -> ``'[1, 2]'``; a 0-d array -> ``''``."""
    if ndim == 0:
        return ""
    return "[" + ", ".join(str(i) for i in idx) + "]"
