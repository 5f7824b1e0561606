"""dtype-aware finite-difference steps and default tolerances.

With machine epsilon eps of the parameters' dtype and f computed to relative accuracy ~eps:

- central  (f(x+h) - f(x-h)) / 2h: truncation h^2 f'''/6, rounding eps |f| / h;
  balanced at h = eps^(1/3) max(1, |x|), error ~ eps^(2/3)  (6e-11 float64, 2e-5 float32).
- richardson (8[f(x+h) - f(x-h)] - [f(x+2h) - f(x-2h)]) / 12h: truncation h^4 f^(5)/30,
  balanced at h = eps^(1/5) max(1, |x|), error ~ eps^(4/5)  (3e-13 float64).
- complex Im f(x + i h) / h: no subtraction, so h can be tiny (eps^2); error ~ eps.
- random: a central difference along a unit direction v, step eps^(1/3) max(1, |x|_inf).

A check passes entry i when |a_i - n_i| <= atol_i + rtol * max(|a_i|, |n_i|) (a mixed
tolerance: relative for large entries, absolute near zero). Default atol_i is the larger of
rtol * (largest |gradient| entry) and the estimated rounding noise of that entry's difference
quotient, c * eps * max(1, |f(x)|) / h_i, so entries near zero never blow up.
"""

from __future__ import annotations

import numpy as np

METHODS = ("central", "richardson", "complex", "random")

# step exponent p in h = eps^p * max(1, |x|)
_STEP_POWER = {"central": 1 / 3, "richardson": 1 / 5, "random": 1 / 3}

# default rtol = factor * eps^power: loose enough for the method's noise on ordinary
# problems, tight enough that a gradient 1% off fails in float32 (rtol 1.2e-3 there).
_RTOL = {
    "central": (0.25, 1 / 3),  # float64 1.5e-6, float32 1.2e-3
    "richardson": (1.0, 1 / 2),  # float64 1.5e-8, float32 3.5e-4
    "complex": (1.0, 1 / 2),  # float64 1.5e-8, float32 3.5e-4
    "random": (0.25, 1 / 3),
}

# multiplier of eps * |f| / h in the rounding-noise floor of atol
_NOISE_FACTOR = {"central": 8.0, "richardson": 8.0, "complex": 0.0, "random": 8.0}


def check_method(method):
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return method


def machine_eps(dtype):
    return float(np.finfo(dtype).eps)


def steps(x, method, dtype, eps=None):
    """Per-entry steps h_i for flat parameters `x` (float64 vector of values).

    ``eps`` (user override) is a relative step: h_i = eps * max(1, |x_i|); for
    ``method="complex"`` it is the absolute imaginary step.
    """
    e = machine_eps(dtype)
    if method == "complex":
        return np.full(x.shape, e * e if eps is None else float(eps))
    rel = e ** _STEP_POWER[method] if eps is None else float(eps)
    return rel * np.maximum(1.0, np.abs(x))


def default_rtol(method, dtype):
    factor, power = _RTOL[method]
    return factor * machine_eps(dtype) ** power


def default_atol(method, dtype, rtol, grad_scale, f0, h):
    """Per-entry absolute tolerance (see module docstring)."""
    noise = _NOISE_FACTOR[method] * machine_eps(dtype) * max(1.0, abs(f0)) / h
    return np.maximum(rtol * grad_scale, noise)


def validate_tolerance(name, value):
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a non-negative number, got {value!r}") from None
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite non-negative number, got {value!r}")
    return v
