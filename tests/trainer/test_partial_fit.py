"""partial_fit: the seed's stochastic method on a stream of blocks."""

import numpy as np
import pytest

from trainer import SoftmaxRegression, gradient


def _stream_problem(seed=0, N=60, m=4, n=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, m))
    y = rng.integers(0, n, N)
    return X, y


def test_one_pass_equals_one_example_gradient_steps():
    """partial_fit(X, y) = for each example in order: theta -= alpha grad J_k(theta), J_k the
    one-example objective (trainer.gradient on that example, l2 included)."""
    X, y = _stream_problem()
    alpha, l2 = 0.05, 0.01
    model = SoftmaxRegression(method="sgd", learning_rate=alpha, l2=l2, schedule="constant")
    model.partial_fit(X, y, classes=[0, 1, 2])
    W, b = np.zeros((3, 4)), np.zeros(3)
    for k in range(len(X)):
        dW, db = gradient(W, b, X[k:k + 1], y[k:k + 1], l2=l2)
        W, b = W - alpha * dW, b - alpha * db
    np.testing.assert_allclose(model.coef_, W, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.intercept_, b, rtol=1e-12, atol=1e-14)
    assert model.n_iter_ == 1 and model.classes_.tolist() == [0, 1, 2]


def test_one_example_per_call_equals_one_block_at_a_constant_step():
    X, y = _stream_problem(seed=1)
    block = SoftmaxRegression(learning_rate=0.1, schedule="constant").partial_fit(X, y, classes=[0, 1, 2])
    single = SoftmaxRegression(learning_rate=0.1, schedule="constant")
    for k in range(len(X)):
        single.partial_fit(X[k:k + 1], y[k:k + 1], classes=[0, 1, 2] if k == 0 else None)
    np.testing.assert_allclose(single.coef_, block.coef_, rtol=1e-12, atol=1e-14)
    assert single.n_iter_ == len(X)


def test_minibatch_stream_equals_batch_gradient_steps():
    X, y = _stream_problem(seed=2, N=23)
    alpha, l2, B = 0.2, 0.0, 5
    model = SoftmaxRegression(method="minibatch", batch_size=B, learning_rate=alpha, l2=l2)
    model.partial_fit(X, y, classes=np.arange(3))
    W, b = np.zeros((3, 4)), np.zeros(3)
    for a in range(0, len(X), B):
        dW, db = gradient(W, b, X[a:a + B], y[a:a + B], l2=l2)
        W, b = W - alpha * dW, b - alpha * db
    np.testing.assert_allclose(model.coef_, W, rtol=1e-12, atol=1e-14)


def test_stream_of_blocks_learns_digits(digits_split):
    Xtr, Xte, ytr, yte = digits_split
    model = SoftmaxRegression(method="sgd")
    for epoch in range(3):
        for a in range(0, len(Xtr), 100):
            model.partial_fit(Xtr[a:a + 100], ytr[a:a + 100], classes=np.arange(10))
    assert model.score(Xte, yte) > 0.9
    assert model.learning_rate_ > 0 and model.n_iter_ == 3 * 14


def test_string_classes_and_later_blocks_with_fewer_labels(blobs):
    X, y, _ = blobs
    model = SoftmaxRegression().partial_fit(X[:50], y[:50], classes=["eel", "cat", "dog"])
    assert model.classes_.tolist() == ["cat", "dog", "eel"]
    only_cats = y == "cat"
    model.partial_fit(X[only_cats][:5], y[only_cats][:5])  # one label in a block: fine
    assert set(model.predict(X)) <= {"cat", "dog", "eel"}


def test_partial_fit_continues_from_fit(blobs):
    X, y, _ = blobs
    model = SoftmaxRegression().fit(X, y)
    before = model.coef_.copy()
    model.partial_fit(X[:10], y[:10])  # classes known from fit
    assert model.coef_.shape == before.shape and not np.array_equal(model.coef_, before)
    assert model.score(X, y) > 0.8


@pytest.mark.parametrize(
    "first, second, match",
    [
        ({}, None, "classes must be passed on the first call to partial_fit"),
        ({"classes": [0, 1]}, None, r"y contains labels not in classes \[0, 1\]: \[2\]"),
        ({"classes": [0]}, None, "at least 2 classes"),
        ({"classes": [0, 1, 2]}, {"classes": [0, 1, 3]}, r"differ from the classes of the first partial_fit call"),
        ({"classes": [0, 1, 2]}, {"X": np.ones((3, 5))}, "X has 5 features, but SoftmaxRegression is expecting 4"),
    ],
)
def test_partial_fit_errors(first, second, match):
    X, y = _stream_problem(N=30)
    model = SoftmaxRegression()
    with pytest.raises(ValueError, match=match):
        model.partial_fit(X, y, **first)
        kw = dict(second)
        Xb = kw.pop("X", X[:3])
        model.partial_fit(Xb, y[:3], **kw)


def test_partial_fit_refuses_sparse_blocks_clearly():
    sp = pytest.importorskip("scipy.sparse")
    X, y = _stream_problem(N=10)
    with pytest.raises(TypeError, match=r"sparse X \(csr_matrix\) is not supported here; partial_fit takes dense"):
        SoftmaxRegression().partial_fit(sp.csr_matrix(X), y, classes=[0, 1, 2])
