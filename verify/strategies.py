"""Hypothesis strategies that draw softmax-regression problems.

Shapes follow contracts.md: n classes, m features, N examples; W (n, m), b (n,), X (N, m),
labels either class indices (N,) or rows Y (N, n) that are one-hot, soft (rows summing to 1)
or unnormalised (non-negative rows whose sum is not 1). ``logit_scale`` draws extreme logits
V = W x + b of magnitude ~logit_scale for stability tests. ``feature_scale`` draws features of
very different sizes (column j of X times c_j, column j of W divided by c_j, so the logits
are unchanged in size while dJ/dw_ij ~ c_j dJ/db_i): mixed-scale gradients for checkers.

Every option is keyword-only; a bad option raises ValueError / TypeError naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "LABEL_KINDS",
    "SoftmaxProblem",
    "shapes",
    "weights",
    "labels",
    "softmax_problems",
]

#: label encodings: class indices, one-hot rows, soft rows (sum 1), unnormalised rows (sum != 1)
LABEL_KINDS = ("index", "onehot", "soft", "unnormalized")
_DTYPES = {np.dtype(np.float32): 32, np.dtype(np.float64): 64}


@dataclass(frozen=True, eq=False)
class SoftmaxProblem:
    """A drawn problem: parameters (W, b), data X, labels Y, penalty l2.

    ``Y`` is (N,) int class indices when ``label_kind == "index"``, else (N, n) float rows.
    """

    W: np.ndarray
    b: np.ndarray
    X: np.ndarray
    Y: np.ndarray
    l2: float
    label_kind: str

    @property
    def n(self):
        return self.W.shape[0]

    @property
    def m(self):
        return self.W.shape[1]

    @property
    def N(self):
        return self.X.shape[0]

    @property
    def params(self):
        """The trainable parameters as a ``(W, b)`` tuple."""
        return (self.W, self.b)

    @property
    def Y_rows(self):
        """Labels as (N, n) rows (index labels become one-hot rows)."""
        if self.label_kind == "index":
            return np.eye(self.n, dtype=self.W.dtype)[self.Y]
        return self.Y

    def __repr__(self):
        return (
            f"SoftmaxProblem(n={self.n}, m={self.m}, N={self.N}, labels={self.label_kind!r}, "
            f"dtype={self.W.dtype}, l2={self.l2!r},\n W={self.W!r},\n b={self.b!r},\n X={self.X!r},\n Y={self.Y!r})"
        )


# ----------------------------------------------------------------------------- validation


def _int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return int(value)


def _range(name, lo, hi, low):
    lo = _int(f"min_{name}", lo, low)
    hi = _int(f"max_{name}", hi, low)
    if lo > hi:
        raise ValueError(f"min_{name} ({lo}) must be <= max_{name} ({hi})")
    return lo, hi


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return float(value)


def _dtype(value):
    try:
        dt = np.dtype(value)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64, got {value!r}") from None
    if dt not in _DTYPES:
        raise ValueError(f"dtype must be float32 or float64, got {value!r}")
    return dt


def _scale_range(value):
    """feature_scale: a positive number c, or a pair (lo, hi) with 0 < lo <= hi."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"feature_scale must be a positive number or a pair (lo, hi), got {value!r}")
        lo, hi = (_positive("feature_scale", v) for v in value)
        if lo > hi:
            raise ValueError(f"feature_scale (lo, hi) needs lo <= hi, got {value!r}")
        return lo, hi
    c = _positive("feature_scale", value)
    return c, c


def _kinds(value):
    kinds = (value,) if isinstance(value, str) else tuple(value)
    bad = [k for k in kinds if k not in LABEL_KINDS]
    if bad or not kinds:
        raise ValueError(f"labels must be one or more of {LABEL_KINDS}, got {value!r}")
    return kinds


def _floats(bound, dt, *, min_magnitude=0.0):
    """Finite floats in [-bound, bound] representable in dt (magnitude >= min_magnitude)."""
    width = _DTYPES[dt]
    bound = float(dt.type(bound))
    if min_magnitude <= 0:
        return st.floats(-bound, bound, width=width, allow_nan=False, allow_infinity=False)
    lo = float(dt.type(min_magnitude))
    return st.one_of(st.floats(lo, bound, width=width), st.floats(-bound, -lo, width=width))


# ----------------------------------------------------------------------------- strategies


def shapes(*, min_classes=2, max_classes=5, min_features=1, max_features=5, min_batch=1, max_batch=8):
    """Strategy for (n, m, N): classes, features, batch size.

    Returns
    -------
    SearchStrategy of tuple (int, int, int)
    """
    n = _range("classes", min_classes, max_classes, 2)
    m = _range("features", min_features, max_features, 1)
    N = _range("batch", min_batch, max_batch, 1)
    return st.tuples(st.integers(*n), st.integers(*m), st.integers(*N))


def weights(n, m, *, bound=2.0, dtype=np.float64):
    """Strategy for (W, b): W (n, m), b (n,) with entries in [-bound, bound]."""
    n, m = _int("n", n, 1), _int("m", m, 1)
    dt, bound = _dtype(dtype), _positive("bound", bound)
    el = _floats(bound, dt)
    return st.tuples(hnp.arrays(dt, (n, m), elements=el), hnp.arrays(dt, (n,), elements=el))


def labels(n, N, *, kind="onehot", dtype=np.float64):
    """Strategy for labels of N examples over n classes.

    Parameters
    ----------
    kind : {"index", "onehot", "soft", "unnormalized"}
        ``"index"``: int array (N,) of classes in [0, n). ``"onehot"``: rows e_{y_k}.
        ``"soft"``: non-negative rows summing to 1. ``"unnormalized"``: non-negative rows
        whose sum s_k lies in [0.1, 3] with |s_k - 1| >= 0.1.

    Returns
    -------
    SearchStrategy of ndarray, (N,) int64 or (N, n) of ``dtype``
    """
    n, N = _int("n", n, 2), _int("N", N, 1)
    dt = _dtype(dtype)
    if not isinstance(kind, str) or kind not in LABEL_KINDS:
        raise ValueError(f"kind must be one of {LABEL_KINDS}, got {kind!r}")
    classes = hnp.arrays(np.int64, (N,), elements=st.integers(0, n - 1))
    if kind == "index":
        return classes
    if kind == "onehot":
        return classes.map(lambda c: np.eye(n, dtype=dt)[c])
    # positive weights, normalised: y'_i = w_i / sum_l w_l (times a row sum s != 1)
    raw = hnp.arrays(np.float64, (N, n), elements=st.floats(0.0, 1.0).map(lambda u: 0.02 + u))
    if kind == "soft":
        return raw.map(lambda r: (r / r.sum(axis=1, keepdims=True)).astype(dt))
    sums = hnp.arrays(
        np.float64,
        (N, 1),
        elements=st.one_of(st.floats(0.1, 0.9), st.floats(1.1, 3.0)),
    )
    return st.tuples(raw, sums).map(lambda rs: (rs[0] / rs[0].sum(axis=1, keepdims=True) * rs[1]).astype(dt))


@st.composite
def _problems(draw, n_range, m_range, N_range, kinds, dt, bound, logit_scale, l2_values, scales=(1.0, 1.0)):
    n = draw(st.integers(*n_range))
    m = draw(st.integers(*m_range))
    N = draw(st.integers(*N_range))
    kind = draw(st.sampled_from(kinds))
    X = draw(hnp.arrays(dt, (N, m), elements=_floats(bound, dt)))
    if logit_scale is None:
        W, b = draw(weights(n, m, bound=bound, dtype=dt))
    else:
        # |b_i| in [scale/2, scale], |W x| <= scale/2: logits V of magnitude ~scale
        W = draw(hnp.arrays(dt, (n, m), elements=_floats(logit_scale / (2 * m * bound), dt)))
        b = draw(hnp.arrays(dt, (n,), elements=_floats(logit_scale, dt, min_magnitude=logit_scale / 2)))
    if scales != (1.0, 1.0):
        # column scales c_j, log-uniform in [lo, hi]: x_kj -> c_j x_kj, w_ij -> w_ij / c_j
        # leaves every logit V_i = sum_j w_ij x_j + b_i as it was (up to rounding)
        lo, hi = np.log(scales[0]), np.log(scales[1])
        logc = draw(hnp.arrays(np.float64, (m,), elements=st.floats(lo, hi) if hi > lo else st.just(lo)))
        c = np.exp(logc)
        X = (X.astype(np.float64) * c).astype(dt)
        W = (W.astype(np.float64) / c).astype(dt)
    Y = draw(labels(n, N, kind=kind, dtype=dt))
    l2 = draw(st.sampled_from(l2_values))
    return SoftmaxProblem(W=W, b=b, X=X, Y=Y, l2=l2, label_kind=kind)


def softmax_problems(
    *,
    min_classes=2,
    max_classes=4,
    min_features=1,
    max_features=4,
    min_batch=1,
    max_batch=6,
    labels=LABEL_KINDS,
    dtype=np.float64,
    bound=2.0,
    logit_scale=None,
    feature_scale=1.0,
    l2=(0.0, 0.1),
):
    """Strategy for whole softmax-regression problems.

    Parameters
    ----------
    min_classes, max_classes, min_features, max_features, min_batch, max_batch : int
        Ranges of n (>= 2), m (>= 1), N (>= 1).
    labels : str or sequence of str
        Label kinds to draw from (see `labels`): "index", "onehot", "soft", "unnormalized".
    dtype : float32 or float64
        dtype of W, b, X and label rows.
    bound : float
        Entries of W, b, X lie in [-bound, bound].
    logit_scale : float, optional
        Draw extreme logits instead: |b_i| in [logit_scale/2, logit_scale] and
        |(W x)_i| <= logit_scale/2, e.g. ``logit_scale=1e4``.
    feature_scale : float or (float, float)
        Feature scales c_j (one per column; a number c fixes every c_j = c, a pair (lo, hi)
        draws each log-uniformly from [lo, hi]). Column j of X is multiplied by c_j and
        column j of W divided by it, so logits keep their size while features (and hence
        dJ/dW against dJ/db) span several orders of magnitude, e.g. ``feature_scale=100``
        or ``feature_scale=(1e-2, 1e2)``. Entries of X then lie in [-bound hi, bound hi].
    l2 : float or sequence of float
        Penalty strengths to draw from (each >= 0).

    Returns
    -------
    SearchStrategy of SoftmaxProblem
    """
    n = _range("classes", min_classes, max_classes, 2)
    m = _range("features", min_features, max_features, 1)
    N = _range("batch", min_batch, max_batch, 1)
    kinds = _kinds(labels)
    dt = _dtype(dtype)
    bound = _positive("bound", bound)
    if logit_scale is not None:
        logit_scale = _positive("logit_scale", logit_scale)
    scales = _scale_range(feature_scale)
    l2_values = (l2,) if np.isscalar(l2) else tuple(l2)
    if not l2_values:
        raise ValueError(f"l2 must be a number >= 0 or a non-empty sequence of them, got {l2!r}")
    for v in l2_values:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not (np.isfinite(v) and v >= 0):
            raise ValueError(f"l2 values must be finite numbers >= 0, got {l2!r}")
    return _problems(n, m, N, kinds, dt, bound, logit_scale, tuple(float(v) for v in l2_values), scales)
