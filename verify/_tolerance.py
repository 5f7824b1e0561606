"""dtype-aware finite-difference steps and default tolerances.

With machine epsilon eps of the parameters' dtype and f computed to relative accuracy ~eps:

- central  (f(x+h) - f(x-h)) / 2h: truncation h^2 f'''/6, rounding eps |f| / h;
  balanced at h = eps^(1/3) max(1, |x|), error ~ eps^(2/3)  (6e-11 float64, 2e-5 float32).
- richardson (8[f(x+h) - f(x-h)] - [f(x+2h) - f(x-2h)]) / 12h: truncation h^4 f^(5)/30,
  balanced at h = eps^(1/5) max(1, |x|), error ~ eps^(4/5)  (3e-13 float64; float32 uses
  h / 4, see _STEP_FACTOR).
- complex Im f(x + i h) / h: no subtraction, so h can be tiny (eps^2); error ~ eps.
- random: a central difference along a unit direction v, step eps^(1/3) max(1, |x|_inf).

A check passes entry i when |a_i - n_i| <= atol_i + rtol * max(|a_i|, |n_i|) (a mixed
tolerance: relative for large entries, absolute near zero). Default atol_i is the rounding
noise of that entry's difference quotient, max(c eps max(1, |f(x)|), 4 sigma) / h_i, where
sigma is the measured change of f when every parameter moves by a few ulps (4 extra calls of
f). It depends on f and the entry's own step only, never on the size of *other* gradient
entries, so a large array (or a large entry) cannot hide an error in a small one, and
entries near zero never blow up. Truncation error is handled by refinement (see
`verify.check`): entries outside tolerance are re-derived with smaller steps and
Richardson extrapolation, and judged against that estimate's own error bound.
"""

from __future__ import annotations

import numpy as np

METHODS = ("central", "richardson", "complex", "random")

# step h = factor * eps^power * max(1, |x|), per method; factor per dtype (by itemsize).
# float32 Richardson: eps^(1/5) = 0.04 is a macroscopic step, so it is shrunk 4x
# (measured on drawn softmax problems with |x| <= 5: error 17x the tolerance at factor 1,
# 0.2x at factor 1/4); float64 keeps factor 1 (benchmark accuracy 8e-12).
_STEP_POWER = {"central": 1 / 3, "richardson": 1 / 5, "random": 1 / 3}
_STEP_FACTOR = {"richardson": {8: 1.0, 4: 0.25}}

# default rtol per method and dtype: loose enough for the method's error on ordinary
# problems (measured worst error / tolerance <= 0.75 over 1500 drawn softmax problems with
# entries up to 5 and logits up to ~200), tight enough that a gradient 1% off fails in
# float32. Other dtypes: 0.25 eps^(1/3).
_RTOL = {
    "central": {8: 1.5e-6, 4: 1.2e-3},
    "richardson": {8: 5e-7, 4: 6e-4},
    "complex": {8: 1.5e-8, 4: 3.5e-4},
    "random": {8: 1.5e-6, 4: 1.2e-3},
}

# multiplier of eps * |f| / h in the rounding-noise floor of atol
_NOISE_FACTOR = {"central": 8.0, "richardson": 8.0, "complex": 0.0, "random": 8.0}
# noise of the stencil in units of (f noise) / h: central 2/2, richardson (8+8+1+1)/12
_AMPLIFICATION = {"central": 1.0, "richardson": 1.5, "random": 1.0}


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
    if eps is None:
        factor = _STEP_FACTOR.get(method, {}).get(np.dtype(dtype).itemsize, 1.0 if method != "richardson" else 0.25)
        rel = factor * e ** _STEP_POWER[method]
    else:
        rel = float(eps)
    return rel * np.maximum(1.0, np.abs(x))


def default_rtol(method, dtype):
    itemsize = np.dtype(dtype).itemsize
    return _RTOL[method].get(itemsize, 0.25 * machine_eps(dtype) ** (1 / 3))


def noise_floor(method, dtype, f0, noise_f):
    """Rounding noise of one difference of f: max(c eps max(1, |f0|), 4 * measured noise)."""
    return max(_NOISE_FACTOR[method] * machine_eps(dtype) * max(1.0, abs(f0)), 4.0 * noise_f)


def noise_atol(method, dtype, f0, noise_f, h):
    """Per-entry rounding noise of the difference quotient: amplification * noise_floor / h_i.

    For ``method="complex"`` there is no subtractive cancellation: returns zeros (the
    caller adds a per-array floor).
    """
    if method == "complex":
        return np.zeros(np.shape(h))
    return _AMPLIFICATION[method] * noise_floor(method, dtype, f0, noise_f) / np.asarray(h, dtype=float)


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
