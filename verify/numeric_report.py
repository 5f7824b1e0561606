"""Numeric section of `python -m verify`: trainer.gradient against finite differences.

On random softmax-regression problems (various n, m, N; index / one-hot / soft /
unnormalised labels; float64 and float32; with and without the L2 term) the project's
NumPy gradient

    dW = (1/N) sum_k (p^k s_k - y'^k) x^k^T + l2 W,   db = (1/N) sum_k (p^k s_k - y'^k)

is compared entry by entry with central differences of trainer.loss (`verify.check_gradient`),
and the Hessian-vector product `trainer.hessian_vector_product`

    H [V; v] = (1/N) [s ⊙ (P ⊙ U - P ⊙ rowsum(P ⊙ U))]^T [X, 1] + l2 [V; 0],  U = X V^T + 1 v^T,

with differences of trainer.gradient along random directions and Hessian columns
(`verify.check_hessian`).
"""

from __future__ import annotations

import numpy as np

_LABELS = ("index", "onehot", "soft", "unnormalized")


def _problem(rng, trial, dtype):
    n = int(rng.integers(2, 11))
    m = int(rng.integers(1, 21))
    N = int(rng.integers(1, 51))
    kind = _LABELS[trial % len(_LABELS)]
    W = rng.normal(0.0, 0.5, (n, m)).astype(dtype)
    b = rng.normal(0.0, 0.5, n).astype(dtype)
    X = rng.normal(0.0, 1.0, (N, m)).astype(dtype)
    classes = rng.integers(0, n, N)
    if kind == "index":
        Y = classes
    elif kind == "onehot":
        Y = np.eye(n, dtype=dtype)[classes]
    else:
        Y = rng.uniform(0.05, 1.0, (N, n))
        Y /= Y.sum(axis=1, keepdims=True)
        if kind == "unnormalized":  # row sums s_k in [0.2, 3], not 1
            Y *= rng.choice([0.2, 0.5, 2.0, 3.0], size=(N, 1))
        Y = Y.astype(dtype)
    l2 = float(rng.choice([0.0, 0.1, 1.0]))
    return W, b, X, Y, l2, kind


def numeric_section(*, seed=0, trials=5):
    """Check trainer.gradient against finite differences on random problems.

    Parameters
    ----------
    seed : int
        Seed of the random problems.
    trials : int
        Problems per dtype (float64 and float32), so ``2 * trials`` checks in all.

    Returns
    -------
    text : str
        A readable section: one line per problem (shape, labels, dtype, l2, worst entry and
        its error, norm-relative error) and a summary line with the worst error overall.
    ok : bool
        True iff every check passed.
    """
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ValueError(f"trials must be a positive int, got {trials!r}")
    import trainer
    from verify.check import check_gradient

    rng = np.random.default_rng(seed)
    lines = [
        "Numeric check: trainer.gradient vs central differences of trainer.loss",
        f"{'n':>3} {'m':>3} {'N':>3}  {'labels':<12} {'dtype':<8} {'l2':>4}  "
        f"{'worst entry':<14} {'abs err':>9} {'rel err':>9} {'norm-rel':>9}  result",
    ]
    all_ok, worst = True, {}
    for dtype in (np.float64, np.float32):
        for trial in range(int(trials)):
            W, b, X, Y, l2, kind = _problem(rng, trial, dtype)
            r = check_gradient(
                lambda p: trainer.loss(*p, X, Y, l2=l2),
                lambda p: trainer.gradient(*p, X, Y, l2=l2),
                (W, b),
                names=("W", "b"),
            )
            all_ok &= r.ok
            name = np.dtype(dtype).name
            if r.norm_rel_error >= worst.get(name, (-1.0,))[0]:
                worst[name] = (r.norm_rel_error, r.worst.label, r.rtol)
            lines.append(
                f"{W.shape[0]:>3} {W.shape[1]:>3} {X.shape[0]:>3}  {kind:<12} {name:<8} {l2:>4g}  "
                f"{r.worst.label:<14} {r.worst.abs_error:>9.2e} {r.worst.rel_error:>9.2e} "
                f"{r.norm_rel_error:>9.2e}  {'ok' if r.ok else 'FAILED: ' + r.reason}"
            )
    summary = "; ".join(
        f"{name}: worst norm-relative error {e:.2e} at {label} (rtol {rt:.1e})" for name, (e, label, rt) in worst.items()
    )
    verdict = "PASS" if all_ok else "FAIL"
    lines.append(f"{verdict}: {2 * int(trials)} problems, {summary}")
    h_text, h_ok = hessian_section(seed=seed, trials=min(int(trials), 3))
    return "\n".join(lines) + "\n" + h_text, bool(all_ok and h_ok)


def hessian_section(*, seed=0, trials=3):
    """Check trainer.hessian_vector_product against differences of trainer.gradient.

    Parameters
    ----------
    seed : int
        Seed of the random problems.
    trials : int
        Problems per dtype (float64 and float32).

    Returns
    -------
    text : str
        One line per problem (shape, labels, dtype, l2, products checked, worst component,
        norm-relative error) and a summary line.
    ok : bool
        True iff every check passed.
    """
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ValueError(f"trials must be a positive int, got {trials!r}")
    import trainer
    from verify.hessian import check_hessian

    rng = np.random.default_rng(seed + 1)
    lines = ["Hessian check: trainer.hessian_vector_product vs differences of trainer.gradient"]
    all_ok, worst = True, 0.0
    for dtype in (np.float64, np.float32):
        for trial in range(int(trials)):
            W, b, X, Y, l2, kind = _problem(rng, trial, dtype)
            r = check_hessian(
                lambda p: trainer.loss(*p, X, Y, l2=l2),
                lambda p: trainer.gradient(*p, X, Y, l2=l2),
                lambda p, v: trainer.hessian_vector_product(*p, X, Y, *v, l2=l2),
                (W, b),
                names=("W", "b"),
                random_state=trial,
            )
            all_ok &= r.ok
            worst = max(worst, r.norm_rel_error)
            lines.append(
                f"{W.shape[0]:>3} {W.shape[1]:>3} {X.shape[0]:>3}  {kind:<12} {np.dtype(dtype).name:<8} {l2:>4g}  "
                f"{r.n_directions} directions + {r.n_columns} columns, norm-rel {r.norm_rel_error:.2e}  "
                f"{'ok' if r.ok else 'FAILED: ' + r.reason}"
            )
    lines.append(f"{'PASS' if all_ok else 'FAIL'}: {2 * int(trials)} Hessian checks, worst norm-relative error {worst:.2e}")
    return "\n".join(lines), bool(all_ok)
