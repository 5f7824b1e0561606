"""scikit-learn's estimator tags for SoftmaxRegression, built only when scikit-learn asks.

SoftmaxRegression does not inherit from scikit-learn (it must work without it); scikit-learn
(>= 1.6) reads ``__sklearn_tags__()``, which calls :func:`sklearn_tags` and imports
``sklearn.utils`` at that moment. Older scikit-learn reads ``_estimator_type`` and
``_more_tags()`` instead.
"""

__all__ = ["sklearn_tags"]


def sklearn_tags(est):
    """Tags: a multiclass classifier that requires y, takes dense or sparse 2-D X (no NaN)."""
    from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

    return Tags(
        estimator_type="classifier",
        target_tags=TargetTags(required=True, two_d_labels=True),
        classifier_tags=ClassifierTags(multi_class=True, multi_label=False),
        input_tags=InputTags(two_d_array=True, sparse=est.method in ("lbfgs", "batch"), allow_nan=False),
        non_deterministic=est.method in ("sgd", "minibatch") and est.random_state is None,
    )
