"""Hard time limits for symbolic work that cannot be interrupted in-thread.

SymPy calls (``simplify``, large ``expand``/``cancel``) run in pure Python and
cannot be stopped from another thread.  :func:`run_bounded` therefore runs such
a call in a forked child process, receives the pickled result through a pipe,
and kills the child when the deadline passes.  The parent never waits longer
than the remaining budget (plus the few milliseconds a ``kill``/``join`` takes).
"""

from __future__ import annotations

import multiprocessing
import time
import warnings

__all__ = ["Deadline", "BudgetExceeded", "run_bounded", "FORK_AVAILABLE"]

FORK_AVAILABLE = "fork" in multiprocessing.get_all_start_methods()


class BudgetExceeded(Exception):
    """The bounded computation did not finish before its deadline."""


class Deadline:
    """A point in time (``time.monotonic``) after which work must stop.

    Parameters
    ----------
    seconds : float
        Budget from now, in seconds (> 0).
    """

    def __init__(self, seconds: float):
        self.start = time.monotonic()
        self.end = self.start + float(seconds)

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def elapsed(self) -> float:
        return time.monotonic() - self.start


def _child(conn, func, args):
    # runs in the forked child: compute, pickle the outcome back, exit
    try:
        outcome = ("ok", func(*args))
    except BaseException as exc:  # report any failure to the parent
        outcome = ("error", f"{type(exc).__name__}: {exc}")
    try:
        conn.send(outcome)
    except Exception as exc:  # result not picklable
        conn.send(("error", f"unpicklable result: {exc}"))
    finally:
        conn.close()


def run_bounded(func, args, seconds: float):
    """Run ``func(*args)`` with a hard wall-clock limit of ``seconds``.

    Returns ``func``'s (picklable) result.  Raises :class:`BudgetExceeded` when
    the limit passes (the child is killed) and ``RuntimeError`` when ``func``
    raised in the child.  Without ``fork`` (Windows) the call runs in-process
    and the bound is not enforced.
    """
    if seconds <= 0:
        raise BudgetExceeded("no time left")
    if not FORK_AVAILABLE:  # pragma: no cover - platform dependent
        return func(*args)
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(sender, func, args), daemon=True)
    with warnings.catch_warnings():
        # Python >= 3.12 warns about fork() in multi-threaded parents; the child
        # only runs SymPy and exits, it takes no locks shared with other threads.
        warnings.simplefilter("ignore", DeprecationWarning)
        process.start()
    sender.close()
    try:
        if receiver.poll(seconds):
            try:
                kind, value = receiver.recv()
            except EOFError:  # child died without answering
                raise RuntimeError("bounded computation died") from None
            if kind == "error":
                raise RuntimeError(value)
            return value
        raise BudgetExceeded(f"no result within {seconds:.3g} s")
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(timeout=1.0)
        try:
            process.close()
        except ValueError:  # pragma: no cover - still running after kill+join
            pass

