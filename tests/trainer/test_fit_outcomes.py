"""How fit ends: divergence errors, ConvergenceWarning, the loss at the returned weights,
and labels / features that must be refused (continuous labels, numeric strings)."""

import warnings

import numpy as np
import pytest

from trainer import ConvergenceWarning, DivergenceError, SoftmaxRegression, gradient, loss
from trainer._monitor import FAR, GROWTH, PATIENCE, Monitor


# -- divergence ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"method": "batch", "learning_rate": 1e6},                                   # Nesterov (numeric learning rate)
        {"method": "batch", "learning_rate": 1e6, "accelerate": False},              # plain gradient descent
        {"method": "batch", "learning_rate": 1e6, "accelerate": "bb"},
        {"learning_rate": 1e6, "method": "sgd"},
        {"learning_rate": 1e6, "method": "minibatch"},
    ],
)
def test_huge_step_raises_divergence_early(digits_split, params):
    Xtr, _, ytr, _ = digits_split
    epochs = []
    with pytest.raises(DivergenceError, match=r"diverged at epoch .*learning_rate=1000000.0 is too large.*'auto'"):
        SoftmaxRegression(max_epochs=50, callback=lambda info: epochs.append(info.epoch), **params).fit(Xtr, ytr)
    assert len(epochs) <= 10  # caught within a few epochs, not after 50 with |W| ~ 1e115


def test_geometric_loss_growth_raises_before_overflow(blobs):
    X, y, _ = blobs
    # l2 = 1, alpha = 4: W := (1 - 4) W - ... grows |W| about 3x per epoch, J about 9x
    seen = []
    with pytest.raises(DivergenceError, match=r"grew geometrically.*learning_rate \* l2 = 4 > 2"):
        SoftmaxRegression(method="batch", learning_rate=4.0, l2=1.0, accelerate=False, max_epochs=500,
                          callback=lambda info: seen.append(info.loss)).fit(X, y)
    assert np.isfinite(seen).all() and max(seen) < 1e12


def test_large_but_stable_steps_are_not_called_divergence(blobs):
    # no weight decay: the data term's gradient is bounded, so even a huge step only makes
    # the loss jump and oscillate (no geometric growth): fit must go on to the end
    X, y, _ = blobs
    for accelerate in (False, "nesterov"):
        model = SoftmaxRegression(method="batch", learning_rate=1e4, l2=0.0, accelerate=accelerate, max_epochs=60, tol=0).fit(X, y)
        assert max(model.loss_history_) > FAR * model.loss_history_[0]  # it did jump
        assert model.n_iter_ == 60 and model.score(X, y) > 0.5  # (chance: 1/3; optimum: 0.85)


def _feed(losses, J0=1.0):
    monitor = Monitor(None, False, len(losses), "hint", J0=J0)
    g = np.ones(1)
    for epoch, J in enumerate(losses, 1):
        monitor.epoch_end(epoch, J, g, g, 1.0)
    return monitor


def test_monitor_flags_geometric_growth_but_not_polynomial_growth():
    start = FAR * 1.5
    grow = [start * GROWTH ** k for k in range(PATIENCE)]  # the first jump (from J0 = 1) counts too
    _feed(grow[:-1])  # PATIENCE - 1 doublings above FAR * J0: not yet
    with pytest.raises(DivergenceError, match=rf"for {PATIENCE} epochs\); hint"):
        _feed(grow)
    # momentum with bounded gradients grows |W| (and J) at most like k^2: ratios shrink to 1
    _feed([start * k * k for k in range(1, 200)])
    # a noisy run far above J0 that does not keep doubling
    _feed([start * (3.0 if k % 3 else 1.0) for k in range(60)])
    with pytest.raises(DivergenceError, match="over 1e\\+10 times"):
        _feed([2.0, 3e10])
    _feed([0.0, 5.0, 50.0, 500.0, 5e3, 5e4, 5e5], J0=0.0)  # J0 = 0 (all-zero labels): finiteness only
    with pytest.raises(DivergenceError, match="loss=nan"):
        _feed([1.0, float("nan")])


# -- ConvergenceWarning --------------------------------------------------------------
def test_batch_out_of_epochs_warns_with_the_gradient_reached(digits_split):
    Xtr, _, ytr, _ = digits_split
    with pytest.warns(ConvergenceWarning, match=r"did not converge in max_epochs=5 epochs: the largest gradient "
                                                r"entry is [0-9.e-]+, above tol=0.0001; increase max_epochs"):
        model = SoftmaxRegression(max_epochs=5).fit(Xtr, ytr)
    assert not model.converged_ and model.grad_max_ > 1e-4
    assert issubclass(ConvergenceWarning, UserWarning)


@pytest.mark.parametrize(
    "params",
    [
        {},                                                     # default settings converge on digits
        {"method": "batch", "accelerate": "nesterov"},
        {"max_epochs": 5, "tol": 0},                            # tol=0: a fixed number of epochs
        {"method": "sgd", "max_epochs": 2},                     # stochastic methods never warn
        {"method": "minibatch", "max_epochs": 2},
        {"max_epochs": 5, "callback": lambda info: info.epoch == 3},  # stopped by the callback
    ],
)
def test_no_convergence_warning_when_not_due(digits_split, params):
    Xtr, _, ytr, _ = digits_split  # filterwarnings = error: any warning fails this test
    model = SoftmaxRegression(random_state=0, **params).fit(Xtr, ytr)
    if not params:
        assert model.converged_


# -- the loss at the returned weights --------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"method": "batch", "accelerate": False, "learning_rate": 0.5},
        {"method": "batch", "accelerate": "nesterov", "learning_rate": 0.5},
        {"method": "batch", "accelerate": "bb"},
        {},                                                       # lbfgs
        {"method": "sgd", "random_state": 0},
        {"method": "minibatch", "random_state": 0},
    ],
)
@pytest.mark.parametrize("max_epochs", [7, 400])
def test_loss_attribute_is_the_loss_of_the_returned_weights(blobs, params, max_epochs):
    X, y, codes = blobs
    model = SoftmaxRegression(max_epochs=max_epochs, tol=1e-6, l2=1e-3, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    due = params.get("method", "lbfgs") in ("lbfgs", "batch") and not model.converged_  # only full-batch warns
    assert [w.category for w in caught] == ([ConvergenceWarning] if due else [])
    J = loss(model.coef_, model.intercept_, X, codes, l2=1e-3)
    dW, db = gradient(model.coef_, model.intercept_, X, codes, l2=1e-3)
    assert model.loss_ == pytest.approx(J, rel=1e-10)
    assert model.grad_max_ == pytest.approx(max(np.abs(dW).max(), np.abs(db).max()), rel=1e-8)
    if params.get("accelerate") != "bb":  # (bb may end on a rejected line-search trial)
        assert model.loss_history_[-1] == model.loss_
        assert model.grad_max_history_[-1] == model.grad_max_
    assert len(model.loss_history_) == model.n_iter_


# -- labels and features that must be refused ----------------------------------------
def test_continuous_labels_are_refused():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    with pytest.raises(ValueError, match=r"labels look continuous: y has non-integer values \(e.g. \[0\.\d+"):
        SoftmaxRegression().fit(X, rng.random(200))
    # integer-valued floats are class labels
    y = rng.integers(0, 3, 200).astype(float)
    model = SoftmaxRegression(max_epochs=5, tol=0).fit(X, y)
    assert model.classes_.tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([["1", "2"], ["3", "4"], ["5", "6"]]), r"non-numeric features \(dtype <U1\)"),
        (np.array([[b"1", b"2"], [b"3", b"4"], [b"5", b"6"]]), r"non-numeric features \(dtype \|S1\)"),
        (np.array([[1.0, "2"], [3.0, 4.0], [5.0, 6.0]], dtype=object), r"dtype object, entry '2' of type str"),
        (np.array([[1.0, None], [3.0, 4.0], [5.0, 6.0]], dtype=object), r"entry None of type NoneType"),
    ],
)
def test_non_numeric_features_are_refused(X, match):
    with pytest.raises(TypeError, match=match):
        SoftmaxRegression().fit(X, [0, 1, 0])


def test_object_array_of_numbers_is_accepted():
    X = np.array([[1, 2.0], [3, np.float32(4)], [5, True]], dtype=object)
    model = SoftmaxRegression(max_epochs=3, tol=0).fit(X, [0, 1, 0])
    assert model.coef_.dtype == np.float64
    assert model.predict(X).shape == (3,)
