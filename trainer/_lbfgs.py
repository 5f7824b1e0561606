"""Limited-memory BFGS on the proved gradient (Nocedal 1980; Nocedal & Wright, Alg. 7.4, 7.5).

theta = (W row-major, b), J(theta) and grad J(theta) from one fused pass over the data
(``fg``: loss and gradient together). With the last ``memory`` pairs
    s_i = theta_{i+1} - theta_i,   u_i = grad J(theta_{i+1}) - grad J(theta_i),   rho_i = 1 / <s_i, u_i>,
the search direction is d = -H grad J, H the L-BFGS inverse-Hessian approximation started
from H0 = gamma I, gamma = <s, u> / <u, u> of the newest pair; H g is what the two-loop recursion
    q = g;  for i newest..oldest: a_i = rho_i <s_i, q>, q -= a_i u_i
    r = gamma q;  for i oldest..newest: beta = rho_i <u_i, r>, r += (a_i - beta) s_i;   H g = r
gives, computed in its compact form (_Memory: two matrix-vector products per iteration).
The step t along d satisfies the weak Wolfe conditions (phi(t) = J(theta + t d)):
    Armijo    phi(t) <= phi(0) + c1 t phi'(0)        (c1 = 1e-4)
    curvature phi'(t) >= c2 phi'(0)                  (c2 = 0.9), which gives <s, u> > 0,
found by bracketing with safeguarded cubic interpolation (phi and phi' at both ends; every
trial is one pass whose gradient is kept: an accepted trial's gradient is the next iterate's,
so an iteration costs one pass when t = 1 is accepted, as it usually is). Near the optimum
J's rounding noise hides the decrease; a trial is then also accepted on the approximate Wolfe
conditions of Hager & Zhang (2005), c2 phi'(0) <= phi'(t) <= (2 c1 - 1) phi'(0) < 0 with
phi(t) within rounding of phi(0): J is convex, and phi' < 0 on [0, t] means phi decreased.
The first step (and any restart) is t = 1 / ||g|| along -g.

Stopping: max |grad entry| < tol at an evaluated point (of the objective's gradient in (W, b)
when L-BFGS runs in whitened coordinates, trainer._whiten) (that point is returned). When the
passes run out (or the callback stops fit), the returned point is the best evaluated one
whose gradient is known: the current iterate, or the last trial if it has a lower J.

Written on array-API functions only (``xp``: NumPy, or any namespace from array-api-compat),
so the same code runs on NumPy, torch, CuPy, ... arrays on their own device.
"""

import math
import warnings

import numpy as np

from ._validation import ConvergenceWarning

__all__ = ["run_lbfgs"]

C1, C2 = 1e-4, 0.9
MAX_TRIALS = 25     # passes per line search before giving up on the direction
EXPAND = 4.0        # step growth while the curvature condition fails and no bracket exists


def _cubic_min(a, fa, da, b, fb, db):
    """Minimiser of the cubic through (a, fa, da), (b, fb, db) (Nocedal & Wright eq. 3.59),
    or None if it does not exist."""
    try:
        d1 = da + db - 3.0 * (fa - fb) / (a - b)
        disc = d1 * d1 - da * db
        if not disc >= 0:
            return None
        d2 = math.copysign(math.sqrt(disc), b - a)
        denom = db - da + 2.0 * d2
        if denom == 0:
            return None
        t = b - (b - a) * (db + d2 - d1) / denom
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    return t if math.isfinite(t) else None


class _Problem:
    """fg with pass counting, the monitor, and helpers in namespace xp."""

    def __init__(self, fg, xp, dot, split, monitor, max_epochs, eps):
        self.fg, self.xp, self.dot, self.split = fg, xp, dot, split
        self.monitor, self.max_epochs, self.eps = monitor, max_epochs, eps
        self.epoch = 0
        self.stop = False

    def evaluate(self, theta):
        """One pass: (J, g, gmax); records the epoch, checks divergence, runs the callback.
        ``fg`` returns (J, g), or (J, g, gmax, gnorm) when theta are other coordinates than
        the objective's (gmax, gnorm: of the objective's own gradient, what tol is about)."""
        out = self.fg(theta)
        self.epoch += 1
        if len(out) == 4:
            J, g, gmax, gnorm = out
            parts = (None, None)
        else:
            J, g = out
            gmax = float(self.xp.max(self.xp.abs(g)))
            gnorm = math.sqrt(max(self.dot(g, g), 0.0)) if math.isfinite(gmax) else gmax
            parts = self.split(g)
        self.stop = self.monitor.epoch_end(self.epoch, J, *parts, gmax, grad_norm=gnorm) or self.stop
        return float(J), g, gmax

    @property
    def exhausted(self):
        return self.stop or self.epoch >= self.max_epochs


class _Memory:
    """The last ``size`` pairs (s_i, u_i) as rows of one (2 size, d) array [S; U] in namespace xp,
    with their inner products S^T U and U^T U kept on the host (NumPy, size x size), so that
    H g costs two matrix-vector products over [S; U] instead of 4 x size vector operations.

    Compact form of the L-BFGS inverse Hessian (Byrd, Nocedal & Schnabel 1994; Nocedal &
    Wright eq. 7.24), with R = upper triangle of S^T U, D = diag(<s_i, u_i>), gamma = <s, u>/<u, u>:
        H g = gamma g + [S  gamma U] [[R^-T (D + gamma U^T U) R^-1, -R^-T], [-R^-1, 0]] [S^T g; gamma U^T g]
    (the same H as the two-loop recursion).
    """

    def __init__(self, xp, size, d, dtype, device):
        self.xp, self.size = xp, size
        self.SU = xp.zeros((2 * size, d), dtype=dtype, **({} if device is None else {"device": device}))
        self.order = []                      # slots of [S; U], oldest pair first
        # in pair order (oldest first): <s_i, u_j>, <u_i, u_j>, and R^-1 (R = triu(S^T U)), grown
        # by one row / column per pair: [[R, r], [0, d]]^-1 = [[R^-1, -R^-1 r / d], [0, 1 / d]],
        # and the inverse of R without its first row and column is R^-1 without them
        self.StU = np.zeros((0, 0))
        self.UtU = np.zeros((0, 0))
        self.Rinv = np.zeros((0, 0))

    def __len__(self):
        return len(self.order)

    def clear(self):
        self.order = []
        self.StU = self.UtU = self.Rinv = np.zeros((0, 0))

    def _products(self, v):
        """[S; U] v on the host, in pair order: (<s_i, v>, <u_i, v>)."""
        p = np.asarray(_to_host(self.xp, self.SU @ v), dtype=np.float64)
        idx = self.order
        return p[idx], p[[self.size + j for j in idx]]

    def add(self, s, u):
        if len(self.order) == self.size:                 # drop the oldest pair
            j = self.order.pop(0)
            self.StU, self.UtU, self.Rinv = self.StU[1:, 1:], self.UtU[1:, 1:], self.Rinv[1:, 1:]
        else:
            j = len(self.order)
        self.SU[j, :] = s
        self.SU[self.size + j, :] = u
        self.order.append(j)
        Ss, Us = self._products(s)                       # <s_i, s>, <u_i, s> (newest last)
        Su, Uu = self._products(u)                       # <s_i, u>, <u_i, u>
        k = len(self.order)
        StU = np.empty((k, k))
        StU[:-1, :-1] = self.StU
        StU[-1, :] = Us                                  # <s_new, u_i> = <u_i, s_new>
        StU[:, -1] = Su                                  # <s_i, u_new>
        UtU = np.empty((k, k))
        UtU[:-1, :-1] = self.UtU
        UtU[-1, :] = UtU[:, -1] = Uu
        Rinv = np.zeros((k, k))
        Rinv[:-1, :-1] = self.Rinv
        d = StU[-1, -1]
        Rinv[:-1, -1] = -(self.Rinv @ StU[:-1, -1]) / d
        Rinv[-1, -1] = 1.0 / d
        self.StU, self.UtU, self.Rinv = StU, UtU, Rinv

    def direction(self, g):
        """d = -H g (compact form above), two products over [S; U] in namespace xp."""
        xp, idx = self.xp, self.order
        Sg, Ug = self._products(g)
        D = np.diag(self.StU)
        gamma = float(self.StU[-1, -1] / self.UtU[-1, -1])
        r = self.Rinv @ Sg                                               # R^-1 S^T g
        top = self.Rinv.T @ (D * r + gamma * (self.UtU @ r) - gamma * Ug)  # R^-T ((D + gamma U^T U) r - gamma U^T g)
        c = np.zeros(2 * self.size)
        c[idx] = top                                                     # coefficients of the s_i
        c[[self.size + j for j in idx]] = -gamma * r                     # of the u_i
        cx = xp.asarray(c, dtype=g.dtype, **_on(g))
        return -(gamma * g + cx @ self.SU)


def _on(a):
    """{"device": a.device} for non-NumPy arrays (array-API creation keyword)."""
    dev = getattr(a, "device", None)
    return {} if isinstance(a, np.ndarray) or dev is None else {"device": dev}


def _to_host(xp, a):
    """A small 1-D array of namespace xp as a NumPy float64 array."""
    if isinstance(a, np.ndarray):
        return a
    try:
        return np.asarray(np.from_dlpack(a), dtype=np.float64)
    except Exception:  # device without DLPack export to the CPU: element by element (tiny)
        return np.array([float(a[i]) for i in range(a.shape[0])])


def _line_search(P, x, J, g, d, dphi0, t):
    """Weak Wolfe step along d from x (module docstring). Returns (accepted, x_t, J_t, g_t,
    gmax_t, fallback), fallback = an evaluated point with J below J (or None) when no step
    was accepted."""
    lo, hi = 0.0, math.inf
    f_lo, d_lo, f_hi, d_hi = J, dphi0, math.inf, math.inf
    best = None
    noise = 10.0 * P.eps * max(abs(J), 1.0)
    for _ in range(MAX_TRIALS):
        x_t = x + t * d
        J_t, g_t, gmax_t = P.evaluate(x_t)
        if not math.isfinite(J_t) or not math.isfinite(gmax_t):
            hi, f_hi, d_hi = t, math.inf, math.inf
        else:
            dphi = P.dot(g_t, d)
            if gmax_t < P.tol:
                return True, x_t, J_t, g_t, gmax_t, None
            armijo = J_t <= J + C1 * t * dphi0
            approx = J_t <= J + noise and C2 * dphi0 <= dphi <= (2 * C1 - 1) * dphi0
            if (armijo and dphi >= C2 * dphi0) or approx:
                return True, x_t, J_t, g_t, gmax_t, None
            if J_t < J and (best is None or J_t < best[1]):
                best = (x_t, J_t, g_t, gmax_t)
            if armijo:                       # too short: phi still falls steeply
                lo, f_lo, d_lo = t, J_t, dphi
            else:                            # too long
                hi, f_hi, d_hi = t, J_t, dphi
        if P.exhausted:
            break
        if hi == math.inf:
            t = lo * EXPAND
            continue
        width = hi - lo
        guess = _cubic_min(lo, f_lo, d_lo, hi, f_hi, d_hi) if math.isfinite(f_hi) else None
        if guess is None:
            guess = lo + 0.5 * width
        t = min(max(guess, lo + 0.1 * width), hi - 0.1 * width)
        if width <= 1e-12 * max(hi, 1e-300):
            break
    return False, None, None, None, None, best


def run_lbfgs(fg, theta, *, max_epochs, tol, monitor, split, xp, dot, memory=10, eps=2.2e-16):
    """L-BFGS from ``theta`` (flat (n m + n,) vector in namespace ``xp``).

    Parameters
    ----------
    fg : callable
        theta -> (J, g): the objective and its gradient (same shape as theta) in one pass;
        or (J, g, gmax, gnorm) when theta are transformed coordinates (trainer._whiten):
        g is then the gradient in theta, gmax and gnorm those of the objective's gradient
        in (W, b) (compared with ``tol``, reported to the monitor).
    split : callable
        theta -> (W (n, m), b (n,)), for the monitor.
    dot : callable
        (a, b) -> float <a, b>.
    memory : int
        Pairs (s, u) kept.

    Returns
    -------
    (theta, epochs, converged, J, gmax) at the returned point.
    """
    P = _Problem(fg, xp, dot, split, monitor, max_epochs, eps)
    P.tol = tol
    x = theta
    monitor.keep(*split(x), 0)
    J, g, gmax = P.evaluate(x)
    monitor.keep(*split(x), P.epoch, J, gmax)
    pairs = _Memory(xp, memory, x.shape[0], x.dtype, None if isinstance(x, np.ndarray) else getattr(x, "device", None))
    while True:
        if gmax < tol:
            return x, P.epoch, True, J, gmax
        if P.exhausted:
            return x, P.epoch, False, J, gmax
        d = pairs.direction(g) if len(pairs) else -g
        dphi0 = dot(g, d)
        if not (dphi0 < 0) or not math.isfinite(dphi0):   # not a descent direction: restart
            pairs.clear()
            d = -g
            dphi0 = -dot(g, g)
        t = 1.0 if len(pairs) else 1.0 / math.sqrt(-dphi0)    # first step: unit length along -g
        ok, x_t, J_t, g_t, gmax_t, best = _line_search(P, x, J, g, d, dphi0, t)
        if not ok:
            if best is not None:                          # a decrease without Wolfe: take it
                x_t, J_t, g_t, gmax_t = best
            elif len(pairs):                              # no decrease along -H g: restart along -g
                pairs.clear()
                monitor.keep(*split(x), P.epoch, J, gmax)
                continue
            else:                                         # no decrease along -g either: stuck at rounding
                if not P.exhausted:
                    warnings.warn(
                        f"L-BFGS stopped after {P.epoch} passes: no step along -gradient decreases the loss any more "
                        f"(J = {J:.17g} is at its rounding level) while the largest gradient entry {gmax:.3g} is "
                        f"still above tol={tol:g}; tol is below what this dtype resolves here",
                        ConvergenceWarning, stacklevel=5)
                return x, P.epoch, False, J, gmax
        s = x_t - x
        u = g_t - g
        su = dot(s, u)
        if su > 1e-10 * math.sqrt(dot(s, s) * dot(u, u)):
            pairs.add(s, u)
        x, J, g, gmax = x_t, J_t, g_t, gmax_t
        monitor.keep(*split(x), P.epoch, J, gmax)
