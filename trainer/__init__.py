"""NumPy softmax-regression trainer using the proved gradient formula.

Public names: softmax, log_softmax, loss, gradient, SoftmaxRegression, EpochInfo,
NotFittedError, DivergenceError, ConvergenceWarning, TrainingInterruptedWarning,
DataConversionWarning.
"""

from ._monitor import EpochInfo
from ._softmax import log_softmax, softmax
from ._validation import (ConvergenceWarning, DataConversionWarning, DivergenceError, NotFittedError,
                          TrainingInterruptedWarning)
from .estimator import SoftmaxRegression
from .objective import gradient, loss
from .hessian import hessian_vector_product

__all__ = [
    "softmax",
    "log_softmax",
    "loss",
    "gradient",
    "hessian_vector_product",
    "SoftmaxRegression",
    "EpochInfo",
    "NotFittedError",
    "DivergenceError",
    "ConvergenceWarning",
    "TrainingInterruptedWarning",
    "DataConversionWarning",
]
