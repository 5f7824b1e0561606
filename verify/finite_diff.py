"""Numeric derivatives of a black-box scalar function, one parameter entry at a time.

Every routine perturbs *private working arrays* in place, calls ``call()`` (which evaluates
f on the working structure), and restores each entry afterwards. Formulas (h_i the step of
entry i, e_i the unit vector):

- central:    d_i = [f(x + h e_i) - f(x - h e_i)] / (x_i^+ - x_i^-)
- richardson: d_i = (8 [f(x + h e_i) - f(x - h e_i)] - [f(x + 2h e_i) - f(x - 2h e_i)]) / 12h
  (Richardson extrapolation of two central differences; error O(h^4))
- complex:    d_i = Im f(x + i h e_i) / h   (complex step; f must accept complex input)
- directional (random mode): D_v = [f(x + t v) - f(x - t v)] / 2t  for unit directions v.

Steps are made exactly representable: x^+ and x^- are rounded to the array's dtype first and
the difference quotient divides by the *rounded* spacing.
"""

from __future__ import annotations

import warnings

import numpy as np

# numpy >= 2 moved ComplexWarning to numpy.exceptions
_ComplexWarning = getattr(getattr(np, "exceptions", np), "ComplexWarning", None) or np.ComplexWarning


def _values(raw, what):
    """Convert the list of f values to a float / complex vector, checking they are scalars."""
    try:
        out = np.asarray(raw)
    except ValueError:  # ragged: some call returned an array
        out = None
    if out is None or out.ndim != 1 or out.dtype == object:
        shapes = {np.shape(v) for v in raw}
        raise TypeError(f"f(params) must return a scalar, but during {what} it returned values of shapes {shapes}")
    return out


def _entries(arrays, entries):
    """Yield (flat view, local index, global index) for the selected global entries."""
    offsets = np.cumsum([0] + [a.size for a in arrays])
    flats = [a.reshape(-1) for a in arrays]  # views: working arrays are C-contiguous
    for k in entries:
        a = int(np.searchsorted(offsets, k, side="right") - 1)
        yield flats[a], int(k - offsets[a]), k


def _all_entries(arrays):
    k = 0
    for a in arrays:
        flat = a.reshape(-1)
        for j in range(flat.size):
            yield flat, j, k
            k += 1


def _iter(arrays, entries):
    return _all_entries(arrays) if entries is None else _entries(arrays, entries)


def central(call, arrays, x, h, dtypes, entries=None, *, values=False):
    """Central differences for the selected entries (all when ``entries`` is None).

    With ``values=True`` returns ``(D, f(x + h e_i), f(x - h e_i))`` (float64 vectors).

    Parameters
    ----------
    call : callable
        ``call()`` evaluates f on the working arrays and returns a scalar.
    arrays : list of ndarray
        Working copies (C-contiguous); entries are perturbed in place and restored.
    x, h : ndarray (k,)
        Values and steps of the selected entries (float64).
    dtypes : ndarray (k,) of dtype
        Used to round x +- h to what the array can hold.
    """
    xp, xm = _perturbed(x, h, dtypes, 1.0)
    fp, fm = [], []
    for (flat, j, _), vp, vm in zip(_iter(arrays, entries), xp.tolist(), xm.tolist()):
        x0 = flat[j]
        flat[j] = vp
        fp.append(call())
        flat[j] = vm
        fm.append(call())
        flat[j] = x0
    fp = _values(fp, "central differences").astype(np.float64)
    fm = _values(fm, "central differences").astype(np.float64)
    d = (fp - fm) / (xp - xm)
    return (d, fp, fm) if values else d


def richardson(call, arrays, x, h, dtypes, entries=None, *, parts=False):
    """Richardson-extrapolated central differences (5-point stencil, error O(h^4)).

    With ``parts=True`` returns ``(R, D(h), D(2h))``: the extrapolated value and the two
    central differences it came from (the start of a Richardson table).
    """
    xp1, xm1 = _perturbed(x, h, dtypes, 1.0)
    xp2, xm2 = _perturbed(x, h, dtypes, 2.0)
    f1p, f1m, f2p, f2m = [], [], [], []
    rows = zip(_iter(arrays, entries), xp1.tolist(), xm1.tolist(), xp2.tolist(), xm2.tolist())
    for (flat, j, _), a, b, c, d in rows:
        x0 = flat[j]
        flat[j] = a
        f1p.append(call())
        flat[j] = b
        f1m.append(call())
        flat[j] = c
        f2p.append(call())
        flat[j] = d
        f2m.append(call())
        flat[j] = x0
    what = "Richardson differences"
    d1 = (_values(f1p, what).astype(np.float64) - _values(f1m, what).astype(np.float64)) / (xp1 - xm1)
    d2 = (_values(f2p, what).astype(np.float64) - _values(f2m, what).astype(np.float64)) / (xp2 - xm2)
    # D(h) = f' + c h^2 + O(h^4), D(2h) = f' + 4 c h^2 + O(h^4)  =>  f' = (4 D(h) - D(2h)) / 3
    r = (4.0 * d1 - d2) / 3.0
    return (r, d1, d2) if parts else r


def complex_step(call, arrays, x, h, entries=None):
    """Complex-step derivatives Im f(x + i h e_k) / h; ``arrays`` are complex working copies."""
    out = []
    with warnings.catch_warnings():
        # f(x) that casts complex to real (float(z), np.asarray(z, float)) loses Im: make it loud
        warnings.simplefilter("error", _ComplexWarning)
        try:
            for (flat, j, _), xv, hv in zip(_iter(arrays, entries), x.tolist(), h.tolist()):
                flat[j] = complex(xv, hv)
                out.append(call())
                flat[j] = xv
        except _ComplexWarning as exc:
            raise TypeError(
                "method='complex' needs f to accept complex input, but f discarded the "
                f"imaginary part ({exc}); use method='central' or 'richardson'"
            ) from None
    vals = _values(out, "complex-step differentiation")
    if vals.dtype.kind != "c":
        raise TypeError(
            "method='complex' needs f to accept complex input, but f returned real values "
            f"(dtype {vals.dtype}) for complex parameters; use method='central' or 'richardson'"
        )
    return vals.imag.astype(np.float64) / h


def directional(call, arrays, directions, t):
    """Central differences along whole-parameter unit directions.

    ``directions`` is a list of lists of arrays (one list per direction, shaped like
    ``arrays``). x +- t v is rounded to the arrays' dtypes, so the actual displacement
    is d = (x + t v) - (x - t v) as stored. Returns ``(D, d)``: D_v = [f(x + t v) - f(x - t v)] / 2t
    and the displacements d / 2t (flat float64, one row per direction), so that the exact
    directional derivative to compare with is g . (d / 2t).
    """
    base = [a.copy() for a in arrays]
    fp, fm, disp = [], [], []
    for v in directions:
        for a, a0, va in zip(arrays, base, v):
            np.add(a0, t * va, out=a, casting="unsafe")
        up = np.concatenate([a.reshape(-1).astype(np.float64) for a in arrays])
        fp.append(call())
        for a, a0, va in zip(arrays, base, v):
            np.subtract(a0, t * va, out=a, casting="unsafe")
        down = np.concatenate([a.reshape(-1).astype(np.float64) for a in arrays])
        fm.append(call())
        disp.append((up - down) / (2.0 * t))
    for a, a0 in zip(arrays, base):
        a[...] = a0
    what = "random-direction differences"
    D = (_values(fp, what).astype(np.float64) - _values(fm, what).astype(np.float64)) / (2.0 * t)
    return D, np.array(disp)


def _perturbed(x, h, dtypes, scale):
    """x +- scale*h rounded to each entry's dtype, returned as float64 vectors."""
    xp = x + scale * h
    xm = x - scale * h
    for dt in set(dtypes):
        if dt != np.float64:
            sel = dtypes == dt
            xp[sel] = xp[sel].astype(dt)
            xm[sel] = xm[sel].astype(dt)
    return xp, xm
