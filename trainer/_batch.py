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
    """Run full-batch descent from (W, b); return (W, b, epochs, converged).

    The parameters live in one flat vector theta = (W row-major, b) so that each
    update is a single vectorised operation; W and b are views into it.
    """
    n, m = W.shape
    nm = n * m

    def split(theta):
        return theta[:nm].reshape(n, m), theta[nm:]

    g = np.empty(nm + n, W.dtype)        # gradient (dW, db) at the evaluated point
    dW, db = split(g)
    x = np.concatenate([W.ravel(), b])   # iterate x_k
    y = x                                # point y_k where the gradient is evaluated
    t = 1.0
    monitor.keep(*split(x), 0)
    for epoch in range(1, max_epochs + 1):
        J = kernel(*split(y), dW, db)
        gmax = float(np.abs(g).max())
        stop = monitor.epoch_end(epoch, J, dW, db, gmax)  # checks finiteness, callback, verbose
        if gmax < tol:
            monitor.keep(*split(y), epoch)
            return (*split(y), epoch, True)
        if stop:
            return (*split(x), epoch, False)
        # x_{k+1} = y_k - alpha grad J(y_k)   (a new array: x_k stays intact for Ctrl-C)
        x_new = y - alpha * g
        if accelerate:
            step = x_new - x
            if float(g @ step) > 0:
                t = 1.0  # adaptive restart: momentum points uphill
            t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_next
            t = t_next
            y = x_new + beta * step if beta else x_new   # y_{k+1} = x_{k+1} + beta (x_{k+1} - x_k)
        else:
            y = x_new
        x = x_new
        monitor.keep(*split(x), epoch)
    return (*split(x), max_epochs, False)
