"""Per-epoch bookkeeping: loss history, progress callback, verbose lines, last good weights."""

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


class Monitor:
    """Collects the history; calls ``callback(info)`` (a truthy return stops fit)."""

    def __init__(self, callback, verbose, max_epochs, hint):
        self.callback = callback
        self.verbose = verbose
        self.every = max(1, max_epochs // 10)
        self.max_epochs = max_epochs
        self.hint = hint
        self.loss_history = []
        self.grad_history = []
        self.t0 = time.perf_counter()
        self.W = self.b = None
        self.kept_epoch = 0

    def keep(self, W, b, epoch):
        """Remember the last weights known to be good (kept if fit is interrupted):
        the weights after ``epoch`` completed epochs."""
        self.W, self.b, self.kept_epoch = W, b, epoch

    def epoch_end(self, epoch, J, dW, db, gmax):
        if not (np.isfinite(J) and np.isfinite(gmax)):
            raise DivergenceError(
                f"training diverged at epoch {epoch}: loss={J!r}, max |gradient|={gmax!r}; {self.hint}"
            )
        self.loss_history.append(float(J))
        self.grad_history.append(float(gmax))
        if self.callback is None and not self.verbose:
            return False
        info = EpochInfo(
            epoch=epoch,
            loss=float(J),
            grad_max=float(gmax),
            grad_norm=float(np.sqrt(np.vdot(dW, dW) + np.vdot(db, db))),
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
