"""Boundary checks: every bad input becomes an error that names the problem.

Errors are ``ValueError`` / ``TypeError`` subclasses (like scikit-learn's), so
callers can catch either the specific class or the built-in one.
"""

import numbers
import sys
import warnings

import numpy as np

__all__ = [
    "NotFittedError",
    "DataConversionWarning",
    "not_fitted",
    "DivergenceError",
    "TrainingInterruptedWarning",
    "ConvergenceWarning",
    "check_X",
    "check_labels",
    "check_params",
    "classes_for_partial_fit",
    "Labels",
]


class NotFittedError(ValueError, AttributeError):
    """Raised when predict/score/coef_ are used before ``fit``.

    When scikit-learn is already imported, the error raised is also an instance of
    ``sklearn.exceptions.NotFittedError`` (see :func:`not_fitted`)."""


class DataConversionWarning(UserWarning):
    """A column vector y (N, 1) was read as N labels (like scikit-learn's warning of that name)."""


_SK_NOT_FITTED = []


def not_fitted(message):
    """A NotFittedError to raise; a subclass that is also scikit-learn's NotFittedError when
    scikit-learn is loaded (its tools catch their own class), without importing it."""
    mod = sys.modules.get("sklearn.exceptions")
    if mod is None:
        return NotFittedError(message)
    if not _SK_NOT_FITTED:
        _SK_NOT_FITTED.append(type("NotFittedError", (NotFittedError, mod.NotFittedError), {"__module__": __name__}))
    return _SK_NOT_FITTED[0](message)


class DivergenceError(ValueError):
    """Raised when ``fit`` diverges: the loss or the gradient stops being finite, or the
    loss grows geometrically far above its starting value (see ``trainer._monitor``)."""


class ConvergenceWarning(UserWarning):
    """Emitted when full-batch ``fit`` uses up ``max_epochs`` before the largest gradient
    entry falls below ``tol`` (like scikit-learn's ``ConvergenceWarning``)."""


class TrainingInterruptedWarning(UserWarning):
    """Emitted when Ctrl-C stops ``fit``; the last good weights are kept."""


METHODS = ("lbfgs", "batch", "sgd", "minibatch")


def _first_bad(X, bad):
    """(row, col) of the first entry where ``bad`` holds, scanning row blocks."""
    step = max(1, (1 << 16) // max(1, X.shape[1]))
    for start in range(0, X.shape[0], step):
        hit = np.argwhere(bad(X[start:start + step]))
        if hit.size:
            r, c = hit[0]
            return start + int(r), int(c)
    return None


_NONE = object()


def _is_real_number(v):
    """A Python / NumPy real number or bool (not str, bytes, None, complex)."""
    return isinstance(v, (numbers.Real, np.bool_, bool))


def check_X(X, *, name="X", n_features=None, accept_sparse=False, sparse_hint=""):
    """Validate a feature matrix and return it as a C-contiguous float array.

    float32 and float64 input keep their dtype (and are not copied when already
    C-contiguous); integer and boolean input become float64.

    Parameters
    ----------
    X : array_like, shape (N, m)
    name : str
        Name used in error messages.
    n_features : int or None
        If given, the number of columns ``X`` must have (the m seen at fit).
    accept_sparse : bool
        scipy.sparse CSR / CSC X is returned as CSR (trainer._sparse.check_sparse_X) instead
        of refused with a TypeError (whose message ends with ``sparse_hint``).

    Returns
    -------
    X : ndarray, shape (N, m), dtype float32 or float64, C-contiguous (or CSR, see accept_sparse)
    """
    from ._sparse import check_sparse_X, is_sparse

    if is_sparse(X):
        if not accept_sparse:
            raise TypeError(f"sparse {name} ({type(X).__name__}) is not supported here{sparse_hint}")
        return check_sparse_X(X, name=name, n_features=n_features)
    if hasattr(X, "to_numpy") and callable(X.to_numpy):  # pandas / polars frames
        X = X.to_numpy()
    try:
        X = np.asarray(X)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name} could not be turned into a 2-D array: {exc}") from None
    kind = X.dtype.kind
    if kind in "USV":  # text (even "1.5") or raw bytes: non-numeric features
        raise TypeError(
            f"{name} must contain numbers; got non-numeric features (dtype {X.dtype}), "
            f"e.g. {X.ravel()[:3].tolist()!r}; convert them explicitly (e.g. X.astype(float)) if they are numbers"
        )
    if kind == "O":  # accepted only when every entry is a real number (no str / None / ...)
        bad = next((v for v in X.flat if not _is_real_number(v)), _NONE)
        if bad is not _NONE:
            raise TypeError(
                f"{name} must contain numbers; got non-numeric features (dtype object, "
                f"entry {bad!r} of type {type(bad).__name__}): float() argument must be a string or a real "
                f"number, not {type(bad).__name__!r}"
            )
        X = X.astype(np.float64)
    elif kind == "c":
        raise ValueError(f"Complex data not supported: {name} must be real; got complex dtype {X.dtype}")
    elif kind in "iub":
        X = X.astype(np.float64)
    elif kind != "f":
        raise TypeError(f"{name} must contain numbers; got dtype {X.dtype}")
    elif X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)  # float16 / longdouble -> float64
    if X.ndim != 2:
        hint = (" (Reshape your data: X.reshape(1, -1) if it is one sample, X.reshape(-1, 1) if it is one feature)"
                if X.ndim == 1 else "")
        raise ValueError(f"{name} must be 2-D with shape (N samples, m features); got {X.ndim}-D shape {X.shape}{hint}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 sample(s) (shape={X.shape}) while a minimum of 1 is required.")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has 0 feature(s) (shape={X.shape}) while a minimum of 1 is required.")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features, but SoftmaxRegression is expecting {n_features} features "
            f"as input (the model was fitted with {n_features} features)"
        )
    # min/max propagate NaN and +-inf without the N x m boolean temporary of isfinite(X)
    lo, hi = X.min(), X.max()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        where = _first_bad(X, np.isnan)
        what = "NaN"
        if where is None:
            where, what = _first_bad(X, np.isinf), "infinity"
        raise ValueError(f"{name} contains {what} (first at row {where[0]}, column {where[1]}); all features must be finite")
    return np.ascontiguousarray(X)


class Labels:
    """Encoded training labels.

    Attributes
    ----------
    classes : ndarray, shape (n,)
        The class values (sorted unique labels, or ``arange(n)`` for label rows).
    codes : ndarray of intp, shape (N,) or None
        Hard labels as indices into ``classes`` (y'^k is the one-hot row of codes[k]).
    rows : ndarray, shape (N, n) or None
        Soft / one-hot label rows y'^k (in the feature dtype), when given as rows.
    """

    def __init__(self, classes, codes=None, rows=None):
        self.classes = classes
        self.codes = codes
        self.rows = rows

    @property
    def n_classes(self):
        return len(self.classes)


def classes_for_partial_fit(classes, fitted):
    """The class list for partial_fit: ``classes`` (required when ``fitted`` is None, i.e. on
    the first call; then sorted, unique, >= 2), else ``fitted`` (``classes`` must then match)."""
    if classes is None:
        if fitted is None:
            raise ValueError("classes must be passed on the first call to partial_fit: all the labels the stream "
                             "will contain, e.g. partial_fit(X, y, classes=np.arange(10))")
        return fitted
    classes = np.asarray(classes)
    if classes.ndim != 1:
        raise ValueError(f"classes must be a 1-D array of labels; got shape {classes.shape}")
    uniq = np.unique(classes)
    if len(uniq) != len(classes):
        raise ValueError(f"classes contains repeated labels: {classes.tolist()!r}")
    if len(uniq) < 2:
        raise ValueError(f"classes must contain at least 2 classes; got {classes.tolist()!r}")
    if fitted is not None and not (len(fitted) == len(uniq) and np.all(fitted == uniq)):
        raise ValueError(f"classes {uniq.tolist()!r} differ from the classes of the first partial_fit call "
                         f"{fitted.tolist()!r}")
    return uniq


def check_labels(y, n_samples, dtype=np.float64, classes=None):
    """Validate labels for ``n_samples`` examples and encode them.

    Accepted: a 1-D array of class labels (ints, strings, ...) of length N, or a
    2-D array of label rows (N, n) with n >= 2, entries finite and >= 0 (one-hot
    or soft; the proved gradient allows any row sum). ``classes`` (sorted): the labels
    allowed (partial_fit); every label of y must be one of them.

    Returns
    -------
    Labels
    """
    if hasattr(y, "to_numpy") and callable(y.to_numpy):
        y = y.to_numpy()
    try:
        y = np.asarray(y)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"y could not be turned into an array: {exc}") from None
    if y.ndim == 0:
        raise ValueError(f"y must be a 1-D array of N labels or (N, n) label rows; got a scalar {y!r}")
    if y.shape[0] != n_samples:
        raise ValueError(f"X has {n_samples} samples but y has {y.shape[0]} labels (lengths differ)")
    if y.ndim == 2 and y.shape[1] == 1:  # a column of labels, not label rows (which need n >= 2)
        warnings.warn("A column-vector y was passed when a 1d array was expected: y of shape "
                      f"{y.shape} is read as {y.shape[0]} labels (pass y.ravel() to silence this)",
                      DataConversionWarning, stacklevel=3)
        y = y.ravel()
    if y.ndim == 1:
        if y.dtype.kind == "f":
            if not np.isfinite(y).all():
                raise ValueError("y contains NaN or infinity; labels must be finite class values")
            frac = y[y != np.round(y)]
            if frac.size:  # e.g. y = np.random.rand(N): N "classes"
                raise ValueError(
                    f"Unknown label type: labels look continuous: y has non-integer values (e.g. {frac[:3].tolist()}); "
                    f"SoftmaxRegression is a classifier: pass class labels (ints or strings), "
                    f"or (N, n) label rows for soft labels"
                )
        if y.dtype.kind == "O" and any(v is None or (isinstance(v, float) and v != v) for v in y):
            raise ValueError("y contains missing labels (None or NaN)")
        if classes is not None:
            return _encode_with(y, classes)
        try:
            classes, codes = np.unique(y, return_inverse=True)
        except TypeError as exc:
            raise TypeError(f"labels in y must be mutually comparable (e.g. all ints or all strings): {exc}") from None
        if len(classes) < 2:
            raise ValueError(f"y must contain at least 2 classes; got only one class: {classes.tolist()!r}")
        return Labels(classes, codes=codes.astype(np.intp, copy=False).ravel())
    if y.ndim == 2:
        if y.shape[1] < 2:
            raise ValueError(
                f"y has shape {y.shape}: pass a 1-D array of N labels (e.g. y.ravel()) "
                f"or (N, n) label rows with n >= 2 classes"
            )
        if y.dtype.kind not in "fiub":
            raise TypeError(f"label rows y must be numeric; got dtype {y.dtype}")
        rows = np.ascontiguousarray(y, dtype=dtype)
        if not np.isfinite(rows).all():
            raise ValueError("label rows y contain NaN or infinity")
        if (rows < 0).any():
            raise ValueError("label rows y contain negative entries; y'_i must be >= 0")
        if classes is not None:
            if y.shape[1] != len(classes):
                raise ValueError(f"label rows y have {y.shape[1]} columns but there are {len(classes)} classes")
            return Labels(classes, rows=rows)
        return Labels(np.arange(y.shape[1]), rows=rows)
    raise ValueError(f"y must be 1-D (N labels) or 2-D (N, n) label rows; got {y.ndim}-D shape {y.shape}")


def _encode_with(y, classes):
    """Labels of y as indices into the sorted ``classes``; unknown labels raise naming them."""
    try:
        codes = np.searchsorted(classes, y)
    except TypeError as exc:
        raise TypeError(f"labels in y are not comparable with classes {classes.tolist()!r}: {exc}") from None
    codes = np.minimum(codes, len(classes) - 1)
    bad = classes[codes] != y
    if np.any(bad):
        unknown = np.unique(y[bad])[:5].tolist()
        raise ValueError(f"y contains labels not in classes {classes.tolist()!r}: {unknown!r}")
    return Labels(classes, codes=codes.astype(np.intp, copy=False))


def _is_real(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def check_params(est):
    """Validate the hyper-parameters of a SoftmaxRegression; raise naming the bad one."""
    if est.method not in METHODS:
        raise ValueError(f"unknown method {est.method!r}; choose one of {', '.join(map(repr, METHODS))}")
    lr = est.learning_rate
    if isinstance(lr, str):
        if lr != "auto":
            raise ValueError(f"learning_rate must be a positive number or 'auto'; got {lr!r}")
    elif not _is_real(lr):
        raise TypeError(f"learning_rate must be a positive number or 'auto'; got {type(lr).__name__} {lr!r}")
    elif not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"learning_rate must be a positive finite number; got {lr!r}")
    if not _is_real(est.l2) or not (np.isfinite(est.l2) and est.l2 >= 0):
        raise ValueError(f"l2 must be a finite number >= 0; got {est.l2!r}")
    if est.max_epochs is not None and (
        not isinstance(est.max_epochs, numbers.Integral) or isinstance(est.max_epochs, bool) or est.max_epochs < 1
    ):
        raise ValueError(f"max_epochs must be a positive integer or None; got {est.max_epochs!r}")
    if not _is_real(est.tol) or not (est.tol >= 0):
        raise ValueError(f"tol must be a number >= 0; got {est.tol!r}")
    if not isinstance(est.batch_size, numbers.Integral) or isinstance(est.batch_size, bool) or est.batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {est.batch_size!r}")
    if est.schedule not in ("auto", "constant", "invsqrt"):
        raise ValueError(f"unknown schedule {est.schedule!r}; choose 'auto', 'constant' or 'invsqrt'")
    if est.n_threads is not None and (
        not isinstance(est.n_threads, numbers.Integral) or isinstance(est.n_threads, bool) or est.n_threads < 1
    ):
        raise ValueError(f"n_threads must be a positive integer or None; got {est.n_threads!r}")
    if not (est.accelerate is True or est.accelerate is False or est.accelerate in ("bb", "nesterov")):
        raise ValueError(f"accelerate must be True, False, 'bb' or 'nesterov'; got {est.accelerate!r}")
    if est.callback is not None and not callable(est.callback):
        raise TypeError(f"callback must be callable or None; got {type(est.callback).__name__}")
