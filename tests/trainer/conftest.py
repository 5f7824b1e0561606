"""Shared data for the trainer tests: digits (standardized, 75/25 split, random_state 0)."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def digits_split():
    """(X_train, X_test, y_train, y_test), standardized with the training mean / std."""
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    X, y = datasets.load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = model_selection.train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = preprocessing.StandardScaler().fit(Xtr)
    return scaler.transform(Xtr), scaler.transform(Xte), ytr, yte


@pytest.fixture
def blobs():
    """A small 3-class problem with string labels (no sklearn needed)."""
    rng = np.random.default_rng(0)
    centers = np.array([[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0]])
    codes = rng.integers(0, 3, 240)
    X = centers[codes] + rng.normal(size=(240, 4))
    y = np.array(["cat", "dog", "eel"])[codes]
    return X, y, codes


@pytest.fixture(autouse=True)
def _blas_one_thread(request):
    """scikit-learn / SciPy reference fits at one BLAS thread: on a shared 2-core machine, a
    multi-threaded OpenBLAS that spin-waits for busy cores made a 1 s reference fit take 20 s.
    (The trainer caps BLAS itself; the test of that cap sees the default threading.)"""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    if "blas" in request.node.name:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
