"""Keep BLAS at one thread while fit runs its own threads (no oversubscription).

NumPy's GEMMs inside the kernel run on Python worker threads (NumPy releases
the GIL). If each of those GEMMs also started a multi-threaded BLAS pool, T
threads x P BLAS threads would fight over the cores; likewise two BLAS pools
(NumPy's and SciPy's OpenBLAS) fight when both are active. So during fit
every BLAS library is capped at one thread, and the trainer parallelises over
row blocks itself. threadpoolctl is optional: without it the trainer uses a
single Python thread and leaves BLAS alone.
"""

import contextlib

from ._kernel import available_cores

__all__ = ["blas_capped", "fit_threads"]

_controller = None


def _get_controller():
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _controller = False
        else:
            _controller = ThreadpoolController()  # scans loaded libraries once
    return _controller


@contextlib.contextmanager
def blas_capped():
    """Context: all BLAS libraries limited to 1 thread; yields True if that worked."""
    ctl = _get_controller()
    if not ctl:
        yield False
        return
    with ctl.limit(limits=1, user_api="blas"):
        yield True


# below this many feature entries (N x m) an epoch takes well under a millisecond and
# starting / waking threads costs more than it saves
MIN_ENTRIES_PER_THREAD = 1 << 17


def fit_threads(requested, n_blocks, n_entries, capped):
    """Python threads for the kernel: 1 unless BLAS is capped; then ``requested`` or, by
    default, as many as the cores allow with >= MIN_ENTRIES_PER_THREAD entries each
    (never more than the number of row blocks)."""
    if not capped:
        return 1
    if requested is None:
        T = min(available_cores(), n_entries // MIN_ENTRIES_PER_THREAD)
    else:
        T = int(requested)
    return max(1, min(T, n_blocks))
