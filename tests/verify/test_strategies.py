"""verify.strategies: drawn problems have the promised shapes and labels; bad options are named."""

import numpy as np
import pytest
from hypothesis import given, settings

from verify import strategies as vs


@settings(max_examples=40)
@given(vs.softmax_problems(max_classes=5, max_features=4, max_batch=6))
def test_problems_have_consistent_shapes_and_bounded_entries(p):
    assert p.W.shape == (p.n, p.m) and p.b.shape == (p.n,) and p.X.shape == (p.N, p.m)
    assert 2 <= p.n <= 5 and 1 <= p.m <= 4 and 1 <= p.N <= 6
    for a in (p.W, p.b, p.X):
        assert a.dtype == np.float64 and np.isfinite(a).all() and np.abs(a).max() <= 2.0
    assert p.l2 in (0.0, 0.1)
    assert p.Y_rows.shape == (p.N, p.n)
    assert p.params[0] is p.W and p.params[1] is p.b


@settings(max_examples=25)
@given(vs.softmax_problems(labels="index"))
def test_index_labels_are_class_indices(p):
    assert p.Y.shape == (p.N,) and p.Y.dtype.kind == "i"
    assert ((0 <= p.Y) & (p.Y < p.n)).all()
    np.testing.assert_array_equal(p.Y_rows.argmax(axis=1), p.Y)


@settings(max_examples=25)
@given(vs.softmax_problems(labels="onehot", dtype=np.float32))
def test_one_hot_rows(p):
    assert p.Y.dtype == np.float32 and p.W.dtype == np.float32
    assert set(np.unique(p.Y)) <= {0.0, 1.0}
    np.testing.assert_array_equal(p.Y.sum(axis=1), 1.0)


@settings(max_examples=25)
@given(vs.softmax_problems(labels="soft"))
def test_soft_rows_sum_to_one(p):
    assert (p.Y > 0).all()
    np.testing.assert_allclose(p.Y.sum(axis=1), 1.0, rtol=1e-12)


@settings(max_examples=25)
@given(vs.softmax_problems(labels="unnormalized"))
def test_unnormalized_rows_do_not_sum_to_one(p):
    s = p.Y.sum(axis=1)
    assert (p.Y >= 0).all() and (np.abs(s - 1.0) >= 0.1 - 1e-9).all() and (s <= 3.0 + 1e-9).all()


@settings(max_examples=25)
@given(vs.softmax_problems(logit_scale=1e4))
def test_extreme_logits_are_extreme(p):
    V = p.X @ p.W.T + p.b
    assert (np.abs(p.b) >= 0.5e4).all() and np.abs(V).max() <= 1.5e4 + 1e-6
    assert np.abs(V).max() >= 0.4e4


@settings(max_examples=25)
@given(vs.softmax_problems(feature_scale=(1e-2, 1e2), max_features=4, labels="index"))
def test_mixed_feature_scales_keep_logits_and_span_the_range(p):
    # x_kj -> c_j x_kj, w_ij -> w_ij / c_j with c_j in [1e-2, 1e2]: |X| <= 200, logits as before
    assert np.abs(p.X).max() <= 2.0 * 1e2 * (1 + 1e-6)
    assert np.abs(p.W).max() <= 2.0 * 1e2 * (1 + 1e-6)
    V = p.X @ p.W.T + p.b
    assert np.abs(V).max() <= 2.0 * 2.0 * p.m + 2.0 + 1e-6


@settings(max_examples=15)
@given(vs.softmax_problems(feature_scale=100.0, dtype=np.float32, min_features=2, labels="index"))
def test_fixed_feature_scale(p):
    assert p.X.dtype == np.float32 and p.W.dtype == np.float32
    assert np.abs(p.X).max() <= 200.0 * (1 + 1e-6) and np.abs(p.W).max() <= 0.02 * (1 + 1e-6)


def test_feature_scale_reaches_large_features():
    from hypothesis import find

    big = find(vs.softmax_problems(feature_scale=(1e-2, 1e2)), lambda p: np.abs(p.X).max() >= 50.0)
    small = find(vs.softmax_problems(feature_scale=(1e-2, 1e2)), lambda p: 0 < np.abs(p.X).max() <= 0.05)
    assert np.abs(big.X).max() >= 50.0 and np.abs(small.X).max() <= 0.05


@settings(max_examples=15)
@given(vs.shapes(min_classes=3, max_classes=3, max_features=2, max_batch=2))
def test_shapes(shape):
    n, m, N = shape
    assert n == 3 and 1 <= m <= 2 and 1 <= N <= 2


@settings(max_examples=15)
@given(vs.weights(2, 3, bound=0.5, dtype=np.float32))
def test_weights(wb):
    W, b = wb
    assert W.shape == (2, 3) and b.shape == (2,) and W.dtype == np.float32
    assert np.abs(W).max() <= 0.5 and np.abs(b).max() <= 0.5


@pytest.mark.parametrize(
    ("make", "error", "name"),
    [
        (lambda: vs.softmax_problems(max_classes=1), ValueError, "max_classes"),
        (lambda: vs.softmax_problems(min_batch=5, max_batch=2), ValueError, "min_batch"),
        (lambda: vs.softmax_problems(max_features=2.5), TypeError, "max_features"),
        (lambda: vs.softmax_problems(labels="hard"), ValueError, "labels"),
        (lambda: vs.softmax_problems(dtype=np.int32), ValueError, "dtype"),
        (lambda: vs.softmax_problems(bound=-1.0), ValueError, "bound"),
        (lambda: vs.softmax_problems(logit_scale=float("inf")), ValueError, "logit_scale"),
        (lambda: vs.softmax_problems(l2=-0.1), ValueError, "l2"),
        (lambda: vs.softmax_problems(feature_scale=0.0), ValueError, "feature_scale"),
        (lambda: vs.softmax_problems(feature_scale=(10.0, 1.0)), ValueError, "feature_scale"),
        (lambda: vs.softmax_problems(feature_scale=(1.0, 2.0, 3.0)), ValueError, "feature_scale"),
        (lambda: vs.softmax_problems(feature_scale="big"), TypeError, "feature_scale"),
        (lambda: vs.labels(3, 2, kind="soft-ish"), ValueError, "kind"),
        (lambda: vs.weights(0, 2), ValueError, "n must be"),
        (lambda: vs.shapes(max_batch=0), ValueError, "max_batch"),
    ],
)
def test_bad_options_name_the_argument(make, error, name):
    with pytest.raises(error, match=name):
        make()


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        vs.softmax_problems(3)  # noqa
    with pytest.raises(TypeError):
        vs.labels(3, 2, "soft")  # noqa
