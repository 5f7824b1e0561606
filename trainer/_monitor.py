"""Per-epoch bookkeeping: loss history, divergence test, progress callback, verbose lines,
last good weights.

Divergence (DivergenceError), checked after every epoch on the loss J it reports, with
J0 the loss at the starting point W = 0, b = 0 (J0 = mean_k s_k ln n, s_k = sum_i y'^k_i):
  * J or the largest gradient entry is NaN / infinite;
  * J has at least doubled in each of the last 5 epochs while above 1e3 J0: geometric
    growth, the signature of an unstable step (e.g. learning_rate * l2 > 2, where the
    weight decay (1 - alpha l2) W alone grows |W| by |1 - alpha l2| per step). Without
    that instability the data term's gradient is bounded (|G^T X / N| <= max ||x~||), so
    |W| grows at most polynomially and the test does not fire: large but stable steps
    that recover (e.g. l2 = 0) are left alone;
  * J > 1e10 J0: far beyond any loss a useful step produces.
"""

import sys
import time
from dataclasses import dataclass

import numpy as np

from ._validation import DivergenceError

__all__ = ["EpochInfo", "Monitor"]


@dataclass(frozen=True)
class EpochInfo:
    """What the progress callback receives after each epoch.

    Attributes
    ----------
    epoch : int
        1-based epoch number.
    loss : float
        Objective J (mean cross-entropy + l2/2 ||W||^2) at the point whose gradient was
        computed this epoch.
    grad_max : float
        max(|dJ/dw_ij|, |dJ/db_i|) there (compared with ``tol``).
    grad_norm : float
        Euclidean norm of the full gradient (dW, db).
    elapsed : float
        Seconds since fit started.
    """

    epoch: int
    loss: float
    grad_max: float
    grad_norm: float
    elapsed: float


# divergence test (module docstring): growth factor per epoch, epochs in a row, how far above J0
GROWTH, PATIENCE, FAR, HOPELESS = 2.0, 5, 1e3, 1e10


class Monitor:
    """Collects the history, tests for divergence; calls ``callback(info)`` (a truthy return
    stops fit). ``J0``: the loss at the starting point (0 disables the loss-growth tests)."""

    def __init__(self, callback, verbose, max_epochs, hint, J0=0.0):
        self.callback = callback
        self.verbose = verbose
        self.every = max(1, max_epochs // 10)
        self.max_epochs = max_epochs
        self.hint = hint
        self.J0 = float(J0)
        self.loss_history = []
        self.grad_history = []
        self.t0 = time.perf_counter()
        self.W = self.b = None
        self.kept_epoch = 0
        self.kept_J = self.kept_gmax = None
        self._prev = self.J0
        self._streak = 0

    def keep(self, W, b, epoch, J=None, gmax=None):
        """Remember the last weights known to be good (kept if fit is interrupted):
        the weights after ``epoch`` completed epochs, with their loss and max |gradient|
        when known."""
        self.W, self.b, self.kept_epoch = W, b, epoch
        self.kept_J, self.kept_gmax = J, gmax

    def _check_divergence(self, epoch, J, gmax):
        if not (np.isfinite(J) and np.isfinite(gmax)):
            raise DivergenceError(
                f"training diverged at epoch {epoch}: loss={J!r}, max |gradient|={gmax!r}; {self.hint}"
            )
        J0 = self.J0
        if J0 <= 0:
            return
        far = J > FAR * J0
        self._streak = self._streak + 1 if (far and J >= GROWTH * self._prev) else 0
        self._prev = J
        if self._streak >= PATIENCE:
            raise DivergenceError(
                f"training diverged at epoch {epoch}: the loss grew geometrically, from {J0:.4g} at the start "
                f"to {J:.4g} (x{GROWTH:g} or more per epoch for {PATIENCE} epochs); {self.hint}"
            )
        if J > HOPELESS * J0:
            raise DivergenceError(
                f"training diverged at epoch {epoch}: the loss {J:.4g} is over {HOPELESS:.0e} times "
                f"its starting value {J0:.4g}; {self.hint}"
            )

    def epoch_end(self, epoch, J, dW, db, gmax, grad_norm=None):
        """Record one evaluated point; ``grad_norm`` (||(dW, db)||) is computed here with NumPy
        when not given. Returns True when the callback asks to stop."""
        self._check_divergence(epoch, J, gmax)
        self.loss_history.append(float(J))
        self.grad_history.append(float(gmax))
        if self.callback is None and not self.verbose:
            return False
        info = EpochInfo(
            epoch=epoch,
            loss=float(J),
            grad_max=float(gmax),
            grad_norm=float(np.sqrt(np.vdot(dW, dW) + np.vdot(db, db))) if grad_norm is None else float(grad_norm),
            elapsed=time.perf_counter() - self.t0,
        )
        if self.verbose and (epoch == 1 or epoch % self.every == 0 or self.verbose > 1):
            print(
                f"epoch {epoch:>6}/{self.max_epochs}  loss {info.loss:.6g}  "
                f"max|grad| {info.grad_max:.3g}  |grad| {info.grad_norm:.3g}  {info.elapsed:.3f}s",
                file=sys.stderr,
            )
        if self.callback is not None:
            return bool(self.callback(info))
        return False
