"""softmax / log_softmax: values, stability, dtype."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from trainer import log_softmax, softmax


def test_matches_definition_on_small_logits():
    V = np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])
    e = np.exp(V)
    np.testing.assert_allclose(softmax(V), e / e.sum(axis=1, keepdims=True), rtol=1e-15)
    np.testing.assert_allclose(log_softmax(V), np.log(e / e.sum(axis=1, keepdims=True)), rtol=1e-14)


def test_huge_logits_no_overflow():
    V = np.array([[1e4, 0.0, -1e4], [1000.0, 1000.0, 999.0], [-1e300, 0.0, 1e300]])
    p = softmax(V)
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(p[1], np.array([1, 1, np.exp(-1)]) / (2 + np.exp(-1)))
    lp = log_softmax(V)
    assert np.isfinite(lp).all()
    assert lp[0, 2] == pytest.approx(-2e4)  # ln p where p underflows to 0


def test_axis_argument():
    V = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(softmax(V, axis=0), softmax(V.T, axis=1).T)
    np.testing.assert_allclose(softmax(V, axis=0).sum(axis=0), 1.0)


def test_dtypes():
    assert softmax(np.ones(3, np.float32)).dtype == np.float32
    assert log_softmax(np.ones(3, np.float32)).dtype == np.float32
    assert softmax([1, 2, 3]).dtype == np.float64


def test_bad_input():
    with pytest.raises(TypeError, match="real numbers"):
        softmax(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="scalar"):
        softmax(3.0)


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)),
              elements=st.floats(-1e6, 1e6, allow_nan=False)),
       st.floats(-1e3, 1e3))
def test_properties(V, shift):
    p = softmax(V)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    # softmax(V + c) = softmax(V) (the max shift is exact in exact arithmetic)
    np.testing.assert_allclose(softmax(V + shift), p, atol=1e-9)
    lp = log_softmax(V)
    assert np.isfinite(lp).all()
    np.testing.assert_allclose(np.exp(lp), p, atol=1e-12)
