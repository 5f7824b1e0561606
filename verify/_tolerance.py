"""Default tolerances, the per-entry judgement, option validation.

Entry i passes when

    |a_i - n_i| <= atol_i + rtol max(|a_i|, |n_i|)

(a mixed tolerance: relative for large entries, absolute near zero). The default atol_i is
the rounding noise of entry i's own difference quotient: KAPPA standard deviations of it,
computed from the *measured* noise nu of f (`verify.steps.measure_noise`) and the entry's
own step: nu / (sqrt(2) h_i) for a central difference, 1.34x that for Richardson's
(4 D(h) - D(2h)) / 3. It never depends on the size of *other* entries, so a large array
cannot hide an error in a small one. rtol covers the truncation error left at the chosen
step; entries outside tolerance are refined (`verify.refine`), never with a looser bound.
"""

from __future__ import annotations

import math

import numpy as np

from verify.steps import KAPPA, central_noise

METHODS = ("central", "richardson", "complex", "random")

# default rtol per method and dtype itemsize (other dtypes: 0.25 eps^(1/3)): loose enough
# for the method's truncation error on ordinary problems, tight enough that a gradient 1% off
# fails in float32
_RTOL = {
    "central": {8: 1.5e-6, 4: 1.2e-3},
    "richardson": {8: 5e-7, 4: 6e-4},
    "complex": {8: 1.5e-8, 4: 3.5e-4},
    "random": {8: 1.5e-6, 4: 1.2e-3},
}

# rounding of (4 D(h) - D(2h)) / 3 in units of the rounding of D(h): sqrt(16 + 1/4) / 3
RICHARDSON_AMPLIFICATION = math.sqrt(16.0 + 0.25) / 3.0


def check_method(method):
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return method


def default_rtol(method, dtype):
    itemsize = np.dtype(dtype).itemsize
    return _RTOL[method].get(itemsize, 0.25 * float(np.finfo(dtype).eps) ** (1 / 3))


def noise_atol(method, nu, h):
    """KAPPA standard deviations of the rounding noise of each entry's difference quotient."""
    if method == "complex":
        return np.zeros(np.shape(h))
    amp = RICHARDSON_AMPLIFICATION if method == "richardson" else 1.0
    return KAPPA * amp * central_noise(nu, h)


def judge(a, num, atol_i, rtol):
    """Errors of analytic `a` against numeric `num` and the mixed tolerance.

    Returns
    -------
    dict with ``err`` |a - n|, ``rel`` |a - n| / max(|a|, |n|), ``tol`` atol_i + rtol
    max(|a|, |n|), ``ratio`` err / tol (inf where either side is not finite), ``finite``.
    """
    with np.errstate(all="ignore"):
        finite = np.isfinite(a) & np.isfinite(num)
        err = np.abs(a - num)
        big = np.maximum(np.abs(a), np.abs(num))
        tol_i = atol_i + rtol * big
        ratio = np.where(finite, err / np.where(tol_i > 0, tol_i, np.finfo(float).tiny), np.inf)
        rel = np.where(big > 0, err / np.where(big > 0, big, 1.0), 0.0)
    return {"err": err, "rel": rel, "tol": tol_i, "ratio": ratio, "finite": finite}


def validate_tolerance(name, value):
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a non-negative number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a non-negative number, got {value!r}") from None
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite non-negative number, got {value!r}")
    return v


def validate_count(name, value):
    """A positive int option (sample, directions, columns)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)
