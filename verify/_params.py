"""Parameter structures as people have them: pytrees of arrays and floats.

A structure is a leaf or a (nested) tuple / list / dict of structures. Leaves are float
ndarrays (float16 / float32 / float64), plain Python floats (or NumPy float scalars), or
arrays of another library (torch tensors, jax arrays, array-API arrays; see `verify.arrays`).
`check_gradient` flattens the structure into named float arrays, works on private NumPy
copies (the caller's arrays are never written), calls f with the caller's kinds of leaves
again, and rebuilds results in the caller's structure.

Names come from the structure: dict keys name their values (``{"W1": ...}`` -> ``W1[0, 3]``,
nested ``{"enc": {"W": ...}}`` -> ``enc.W[0, 3]``), sequence positions are ``params[0]``,
``params[0][1]``; ``names=`` overrides the top-level names.
"""

from __future__ import annotations

import numpy as np

from verify.arrays import Adapter, as_numpy, is_foreign

_SEQ = (tuple, list)


def _is_leaf(x):
    return isinstance(x, (np.ndarray, np.generic, float, int)) or is_foreign(x)


def _join(parent, key, in_dict):
    """Display path of a child: ``W`` / ``enc.W`` / ``params[0]`` / ``params['a b']``."""
    if in_dict:
        if isinstance(key, str) and key.isidentifier():
            return key if parent is None else f"{parent}.{key}"
        return f"{parent or 'params'}[{key!r}]"
    return f"{parent or 'params'}[{key}]"


def _flatten(node, path, leaves, top_names):
    """Tree definition of `node`; appends (display name, leaf) to `leaves`."""
    if _is_leaf(node):
        leaves.append((path or "params", node))
        return ("leaf",)
    if isinstance(node, dict):
        if not node:
            raise ValueError(f"{path or 'params'} is an empty dict; nothing to check")
        keys = tuple(node)
        kids = []
        for k in keys:
            name = top_names[k] if top_names is not None else _join(path, k, True)
            kids.append(_flatten(node[k], name, leaves, None))
        return ("dict", keys, tuple(kids))
    if isinstance(node, _SEQ):
        if not node:
            raise ValueError(f"{path or 'params'} is an empty {type(node).__name__}; nothing to check")
        kids = []
        for i, child in enumerate(node):
            name = top_names[i] if top_names is not None else _join(path, i, False)
            kids.append(_flatten(child, name, leaves, None))
        return (type(node).__name__, None, tuple(kids))
    where = path or "params"
    raise TypeError(
        f"{where} must be a float array, a float, or a tuple / list / dict of them, got {type(node).__name__}"
        if path
        else "params must be an ndarray, a float, or a (nested) tuple / list / dict of them, "
        f"got {type(node).__name__}"
    )


def _top_names(params, names):
    if names is None:
        return None
    if isinstance(params, dict):
        if not isinstance(names, dict) or set(names) != set(params):
            raise ValueError(f"names must be a dict with the keys of params {list(params)}, got {names!r}")
        return {k: str(v) for k, v in names.items()}
    names = (names,) if isinstance(names, str) else tuple(names)
    count = len(params) if isinstance(params, _SEQ) else 1
    if len(names) != count:
        raise ValueError(f"names has {len(names)} entries but params has {count} arrays: {names!r}")
    return [str(n) for n in names]


class ParamLayout:
    """Names, shapes, dtypes and kinds of the leaves of a parameter structure.

    Parameters
    ----------
    params : leaf or (nested) tuple / list / dict of leaves
        Leaves: float arrays (NumPy, torch, jax, array API) or Python floats. Integer,
        complex or object arrays, ints, NaN or inf entries are rejected with an error
        naming the leaf and entry.
    names : sequence of str or dict, optional
        Display names of the top-level arrays (e.g. ``("W", "b")``) used in messages.
    """

    def __init__(self, params, names=None):
        leaves = []
        top = _top_names(params, names)
        if _is_leaf(params):
            top_name = top[0] if top is not None else None
            self.tree = _flatten(params, top_name, leaves, None)
        else:
            self.tree = _flatten(params, None, leaves, top)
        self.names = tuple(name for name, _ in leaves)
        self.kinds, self.shapes, self.dtypes = [], [], []
        for name, leaf in leaves:
            kind, arr = self._leaf_kind(name, leaf)
            self.kinds.append(kind)
            self.shapes.append(arr.shape)
            self.dtypes.append(arr.dtype)
        self.sizes = [int(np.prod(s, dtype=np.int64)) for s in self.shapes]
        self.offsets = np.cumsum([0] + self.sizes)
        self.size = int(self.offsets[-1])
        if self.size == 0:
            raise ValueError("params has no entries; nothing to check")
        # the lowest precision sets the noise level of f, hence steps and tolerances
        self.dtype = max(self.dtypes, key=lambda d: np.finfo(d).eps)
        self.native = all(k == "array" for k in self.kinds)
        self.foreign = any(isinstance(k, Adapter) for k in self.kinds)

    @staticmethod
    def _leaf_kind(name, leaf):
        if isinstance(leaf, (bool, np.bool_)) or isinstance(leaf, (int, np.integer)):
            raise TypeError(f"{name} is {leaf!r} (an int); finite differences need floats, e.g. {float(leaf)!r}")
        if isinstance(leaf, float):
            kind, arr = "float", np.asarray(leaf, dtype=np.float64)
        elif isinstance(leaf, np.generic):
            kind, arr = "scalar", np.asarray(leaf)
        elif isinstance(leaf, np.ndarray):
            kind, arr = "array", leaf
        else:
            kind, arr = Adapter(leaf), as_numpy(leaf)
        if arr.dtype.kind != "f":
            raise TypeError(
                f"{name} has dtype {arr.dtype}; finite differences need a float array "
                f"(float32 or float64), e.g. {name}.astype(float)"
            )
        bad = ~np.isfinite(arr)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{name}{format_index(idx, arr.ndim)} is {float(arr[idx])}; params must be finite")
        return kind, arr

    # ------------------------------------------------------------------ structure

    def leaves(self, structure):
        """The leaves of a structure shaped like the params, in order."""
        out = []

        def walk(node, tree):
            if tree[0] == "leaf":
                out.append(node)
            elif tree[0] == "dict":
                for k, t in zip(tree[1], tree[2]):
                    walk(node[k], t)
            else:
                for child, t in zip(node, tree[2]):
                    walk(child, t)

        walk(structure, self.tree)
        return out

    def copies(self, params, dtype=None):
        """Private C-contiguous NumPy copies of the leaves (optionally cast to `dtype`)."""
        return [
            np.array(as_numpy(leaf), dtype=dtype or d, order="C", copy=True)
            for leaf, d in zip(self.leaves(params), self.dtypes)
        ]

    def build(self, arrays, *, for_grad=False, plain=False):
        """The caller's structure, with leaves of the caller's kinds, from NumPy arrays.

        With ``plain=True`` foreign leaves stay NumPy arrays (for results).
        """
        kinds = [k if not (plain and isinstance(k, Adapter)) else "array" for k in self.kinds]
        values = iter([self._native(a, k, for_grad) for a, k in zip(arrays, kinds)])

        def make(tree):
            if tree[0] == "leaf":
                return next(values)
            if tree[0] == "dict":
                return {k: make(t) for k, t in zip(tree[1], tree[2])}
            kids = [make(t) for t in tree[2]]
            return tuple(kids) if tree[0] == "tuple" else kids

        return make(self.tree)

    @staticmethod
    def _native(a, kind, for_grad):
        if kind == "array":
            return a
        if kind == "float":
            return complex(a) if np.iscomplexobj(a) else float(a)
        if kind == "scalar":
            return a[()]
        return kind.to_native(a, for_grad=for_grad)

    def caller(self, f, arrays):
        """``call()`` evaluating f on the current values of the working arrays."""
        if self.native:
            structure = self.build(arrays)
            return lambda: f(structure)
        return lambda: f(self.build(arrays))

    def split(self, flat):
        """Split a flat vector (size entries) into arrays shaped like the params."""
        return [flat[o : o + s].reshape(shape) for o, s, shape in zip(self.offsets, self.sizes, self.shapes)]

    def array_of(self, k):
        """Index of the leaf holding flat entry(ies) `k`."""
        return np.searchsorted(self.offsets, k, side="right") - 1

    def locate(self, k):
        """Name and index of flat entry `k`."""
        a = int(self.array_of(k))
        idx = np.unravel_index(k - self.offsets[a], self.shapes[a]) if self.shapes[a] else ()
        return self.names[a], tuple(int(i) for i in idx)

    def label(self, k):
        """Flat entry `k` formatted like ``W[1, 2]``."""
        name, idx = self.locate(k)
        return f"{name}{format_index(idx, len(idx))}"

    # ------------------------------------------------------------------ gradients

    def flatten_gradient(self, g, what="grad(params)"):
        """Validate a gradient (structure of params) and return it as one float64 vector."""
        parts = []

        def walk(node, tree, path):
            if tree[0] == "leaf":
                parts.append((path, node))
                return
            if tree[0] == "dict":
                if not isinstance(node, dict):
                    raise TypeError(f"{what} is a {type(node).__name__} at {path}; params has a dict there")
                if set(node) != set(tree[1]):
                    raise ValueError(f"{what} has keys {list(node)} at {path}, params has keys {list(tree[1])}")
                for k, t in zip(tree[1], tree[2]):
                    walk(node[k], t, _join(None if path == "params" else path, k, True))
                return
            if not isinstance(node, _SEQ) or _is_leaf(node):
                raise TypeError(
                    f"{what} is a {type(node).__name__}; it must have the structure of params ({tree[0]})"
                    + ("" if path == "params" else f" at {path}")
                )
            if len(node) != len(tree[2]):
                raise ValueError(f"{what} has {len(node)} arrays, params has {len(tree[2])}")
            for i, (child, t) in enumerate(zip(node, tree[2])):
                walk(child, t, _join(None if path == "params" else path, i, False))

        if self.tree[0] == "leaf" and not _is_leaf(g):
            raise TypeError(f"{what} returned {type(g).__name__}; it must have the structure of params (array)")
        walk(g, self.tree, "params")
        out = np.empty(self.size, dtype=np.float64)
        for name, shape, o, s, (_, part) in zip(self.names, self.shapes, self.offsets, self.sizes, parts):
            if part is None or isinstance(part, (str, bytes)):
                raise TypeError(f"{what} for {name} is {part!r}; expected real floats")
            arr = as_numpy(part) if is_foreign(part) else np.asarray(part)
            if arr.dtype.kind not in "fiub":
                raise TypeError(f"{what} for {name} has dtype {arr.dtype}; expected real floats")
            if arr.shape != shape:
                raise ValueError(f"{what} for {name} has shape {arr.shape}, but {name} has shape {shape}")
            out[o : o + s] = arr.reshape(-1)
        return out


def format_index(idx, ndim):
    """``(1, 2)`` -> ``'[1, 2]'``; a 0-d array -> ``''``."""
    if ndim == 0:
        return ""
    return "[" + ", ".join(str(i) for i in idx) + "]"
