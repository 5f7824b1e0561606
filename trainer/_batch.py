"""Full-batch gradient descent on the proved gradient, optionally accelerated.

Plain (``accelerate=False``), the seed's full-batch rule with step alpha = 1/L:
    (W, b)_{k+1} = (W, b)_k - alpha * grad J((W, b)_k).
Accelerated (default): Nesterov's method (FISTA momentum sequence) with
gradient-based adaptive restart (O'Donoghue & Candes, 2015):
    x_{k+1} = y_k - alpha grad J(y_k)
    restart (t_k := 1) if <grad J(y_k), x_{k+1} - x_k> > 0   (momentum points uphill)
    t_{k+1} = (1 + sqrt(1 + 4 t_k^2)) / 2
    y_{k+1} = x_{k+1} + ((t_k - 1) / t_{k+1}) (x_{k+1} - x_k)
Same gradient, same step; only the point where it is evaluated changes. On a
strongly convex objective (l2 > 0) the restarted scheme converges linearly at
roughly the sqrt(L/mu) rate instead of L/mu: on digits ~hundreds of epochs
instead of ~16,000 to reach scikit-learn's optimum to 1e-4.

Stopping: when max_ij |dJ/dw_ij|, max_i |dJ/db_i| < tol at the evaluated point y_k;
that point is returned (its gradient is the one that met the tolerance).
"""

import math

import numpy as np

__all__ = ["run_batch"]


def run_batch(kernel, W, b, alpha, *, accelerate, max_epochs, tol, monitor):
    """Run full-batch descent from (W, b); return (W, b, epochs, converged)."""
    dW = np.empty_like(W)
    db = np.empty_like(b)
    xW, xb = W, b            # iterate x_k
    yW, yb = W, b            # point y_k where the gradient is evaluated
    t = 1.0
    monitor.keep(xW, xb, 0)
    for epoch in range(1, max_epochs + 1):
        J = kernel(yW, yb, dW, db)
        gmax = max(float(np.abs(dW).max()), float(np.abs(db).max()))
        stop = monitor.epoch_end(epoch, J, dW, db, gmax)  # checks finiteness, callback, verbose
        if gmax < tol:
            monitor.keep(yW, yb, epoch)
            return yW, yb, epoch, True
        if stop:
            return xW, xb, epoch, False
        # x_{k+1} = y_k - alpha grad J(y_k)   (new arrays: x_k stays intact for Ctrl-C)
        nW = yW - alpha * dW
        nb = yb - alpha * db
        if accelerate:
            if float(np.vdot(dW, nW - xW)) + float(np.vdot(db, nb - xb)) > 0:
                t = 1.0  # adaptive restart
            t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_next
            t = t_next
            if beta:
                yW = nW + beta * (nW - xW)
                yb = nb + beta * (nb - xb)
            else:
                yW, yb = nW, nb
        else:
            yW, yb = nW, nb
        xW, xb = nW, nb
        monitor.keep(xW, xb, epoch)
    return xW, xb, max_epochs, False
