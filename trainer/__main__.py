"""``python -m trainer``: train SoftmaxRegression on scikit-learn's digits or a CSV file.

Prints the data set, test accuracy, epochs and wall time. The data are split
75/25 (``--test-size``, ``--random-state`` 0) with scikit-learn's
``train_test_split`` when scikit-learn is installed (so digits gives the split the
tests and the issue use: standardized, 75/25, random_state 0), else with a NumPy
permutation; then standardized with the training mean / std (population std,
constant features left at 0, as scikit-learn's ``StandardScaler``).
scikit-learn is needed only for the built-in digits data.
"""

import argparse
import csv
import sys
import time
import warnings

import numpy as np

from ._validation import ConvergenceWarning
from .estimator import SoftmaxRegression

__all__ = ["main", "load_csv"]


class DataError(ValueError):
    """A data file that cannot be used, with the reason."""


def load_csv(path, label_column=-1):
    """Read a CSV of numeric features and one label column (ints or strings).

    A first row whose feature cells are not all numbers is taken as a header.
    ``label_column``: index (negative counts from the end) or header name.

    Returns
    -------
    X : ndarray (N, m) float64, y : ndarray (N,), feature names (list or None)
    """
    try:
        with open(path, newline="") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    except OSError as exc:
        raise DataError(f"cannot read CSV file {path!r}: {exc.strerror or exc}") from None
    if not rows:
        raise DataError(f"CSV file {path!r} has no rows")
    width = len(rows[0])
    if width < 2:
        raise DataError(f"CSV file {path!r} needs at least 2 columns (features and a label); got {width}")

    def numeric(cell):
        try:
            float(cell)
            return True
        except ValueError:
            return False

    header = None
    if isinstance(label_column, str) and not label_column.lstrip("-").isdigit():
        header = [c.strip() for c in rows[0]]
        if label_column not in header:
            raise DataError(f"label column {label_column!r} not in the CSV header {header}")
        col = header.index(label_column)
        rows = rows[1:]
    else:
        col = int(label_column)
        if not -width <= col < width:
            raise DataError(f"label column {col} out of range for {width} columns")
        col %= width
        first = [c for i, c in enumerate(rows[0]) if i != col]
        if not all(numeric(c) for c in first):
            header = [c.strip() for c in rows[0]]
            rows = rows[1:]
    if not rows:
        raise DataError(f"CSV file {path!r} has a header but no data rows")
    X = np.empty((len(rows), width - 1))
    y = []
    for r, row in enumerate(rows):
        if len(row) != width:
            raise DataError(f"CSV row {r + 1 + (header is not None)} has {len(row)} cells; expected {width}")
        feats = row[:col] + row[col + 1:]
        for j, cell in enumerate(feats):
            try:
                X[r, j] = float(cell)
            except ValueError:
                raise DataError(
                    f"CSV row {r + 1 + (header is not None)}, feature column {j + (j >= col)}: "
                    f"{cell!r} is not a number"
                ) from None
        y.append(row[col].strip())
    y = np.asarray(y)
    try:
        y = y.astype(np.int64)
    except ValueError:
        pass  # string labels
    names = None if header is None else header[:col] + header[col + 1:]
    return X, y, names


def _split(X, y, test_size, seed):
    """(X_train, X_test, y_train, y_test, how): scikit-learn's train_test_split (unstratified,
    shuffled with ``random_state=seed``) when available, else a NumPy permutation."""
    n_test = int(round(test_size * len(X)))
    if not 0 < n_test < len(X):
        raise DataError(f"test size {test_size} leaves no training or no test examples (N = {len(X)})")
    try:
        from sklearn.model_selection import train_test_split
    except ImportError:
        idx = np.random.default_rng(seed).permutation(len(X))
        te, tr = idx[:n_test], idx[n_test:]
        return X[tr], X[te], y[tr], y[te], f"NumPy permutation (seed {seed})"
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_size, random_state=seed)
    return Xtr, Xte, ytr, yte, f"sklearn train_test_split (random_state={seed})"


def _standardize(Xtr, Xte):
    """(x - mean) / std with the training mean and population std; zero std -> 1."""
    try:
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        mu = Xtr.mean(axis=0)
        sd = Xtr.std(axis=0)
        sd[sd == 0] = 1.0  # constant features stay 0
        return (Xtr - mu) / sd, (Xte - mu) / sd
    scaler = StandardScaler().fit(Xtr)  # same definition; identical to the tests' fixture
    return scaler.transform(Xtr), scaler.transform(Xte)


def _learning_rate(text):
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"learning rate must be a number or 'auto', got {text!r}") from None


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {value:g}")
    return value


def _nonnegative(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def build_parser():
    p = argparse.ArgumentParser(
        prog="python -m trainer",
        description="Train softmax regression (the proved gradient) and report accuracy, epochs and time.",
        epilog="The built-in digits data set needs scikit-learn: pip install -e '.[notebooks]' "
               "(or '.[test]'); a CSV file needs nothing extra.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("csv", nargs="?", default=None,
                   help="CSV file: numeric features + one label column; without it, scikit-learn's digits")
    p.add_argument("--label-column", default="-1", help="label column: index (negative from the end) or header name")
    p.add_argument("--method", choices=("lbfgs", "batch", "sgd", "minibatch"), default="lbfgs",
                   help="optimiser: L-BFGS, full-batch gradient descent (Barzilai-Borwein steps), "
                        "one-example SGD (the seed's stochastic method), or mini-batches")
    p.add_argument("--learning-rate", type=_learning_rate, default="auto",
                   help="step size alpha, or 'auto' for 1/L (not used by lbfgs)")
    p.add_argument("--l2", type=_nonnegative, default=1e-4, help="L2 penalty (l2/2) ||W||^2")
    p.add_argument("--max-epochs", type=_positive_int, default=None,
                   help="passes over the data; None means 1000 for lbfgs/batch, 20 for sgd, 50 for minibatch")
    p.add_argument("--tol", type=_nonnegative, default=1e-4,
                   help="stop when the largest gradient entry is below this (0: run all epochs)")
    p.add_argument("--batch-size", type=_positive_int, default=64, help="examples per update for minibatch")
    p.add_argument("--test-size", type=_fraction, default=0.25, help="fraction of the examples held out for testing")
    p.add_argument("--random-state", type=int, default=0, help="seed of the split and of the SGD shuffles")
    p.add_argument("--float32", action="store_true", help="train in float32 (else float64)")
    p.add_argument("--no-standardize", action="store_true",
                   help="keep the raw features (else standardized with the training mean / std)")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="print progress lines to stderr (-vv: every epoch)")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if args.csv:
            X, y, _ = load_csv(args.csv, args.label_column)
            source = args.csv
        else:
            try:
                from sklearn.datasets import load_digits
            except ImportError:
                print(
                    "error: scikit-learn is not installed, so the built-in digits data set is unavailable; "
                    "install the extra that brings it, pip install -e '.[notebooks]' (or '.[test]'), "
                    "or pass a CSV file: python -m trainer data.csv",
                    file=sys.stderr,
                )
                return 2
            X, y = load_digits(return_X_y=True)
            source = "scikit-learn digits"
        Xtr, Xte, ytr, yte, how = _split(X, y, args.test_size, args.random_state)
        if not args.no_standardize:
            Xtr, Xte = _standardize(Xtr, Xte)
        if args.float32:
            Xtr, Xte = Xtr.astype(np.float32), Xte.astype(np.float32)
        model = SoftmaxRegression(
            method=args.method, learning_rate=args.learning_rate, l2=args.l2, max_epochs=args.max_epochs,
            tol=args.tol, batch_size=args.batch_size, random_state=args.random_state, verbose=args.verbose,
        )
        t0 = time.perf_counter()
        with warnings.catch_warnings():  # the "epochs:" line below reports "max_epochs reached" itself
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(Xtr, ytr)
        elapsed = time.perf_counter() - t0
        train_acc = model.score(Xtr, ytr)
        test_acc = model.score(Xte, yte)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"data:      {source}: {len(X)} examples, {X.shape[1]} features, {len(model.classes_)} classes "
          f"({len(Xtr)} train / {len(Xte)} test)")
    print(f"split:     {how}, test size {args.test_size:g}, "
          f"{'not standardized' if args.no_standardize else 'standardized with the training mean / std'}")
    steps = ""
    if args.method == "batch":
        scheme = model._scheme()
        steps = {"bb": " (smallest step; Barzilai-Borwein steps with line search)",
                 "nesterov": " (Nesterov momentum)"}.get(scheme, "")
    rate = "line search (no fixed step)" if model.learning_rate_ is None else f"learning rate {model.learning_rate_:.4g}"
    print(f"model:     method={args.method}, {rate}{steps}, l2={args.l2:g}, {Xtr.dtype}")
    print(f"accuracy:  test {test_acc:.4f}, train {train_acc:.4f}")
    state = "converged" if model.converged_ else ("interrupted" if model.interrupted_ else "max_epochs reached")
    print(f"epochs:    {model.n_iter_} ({state}; final loss {model.loss_:.6g}, "
          f"max|grad| {model.grad_max_:.3g})")
    print(f"time:      {elapsed * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
