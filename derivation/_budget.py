"""Hard time limits for symbolic work that cannot be interrupted in-thread.

SymPy calls (``simplify``, ``factor``, assumption queries that find real roots
of high-degree polynomials, ...) run in pure Python and cannot be stopped from
another thread.  :func:`run_bounded` therefore runs such a call in a forked
child process (``os.fork``), receives the pickled result through a pipe, and
kills the child (``SIGKILL``) when the deadline passes.  The parent never waits
longer than the budget plus the few milliseconds a ``kill``/``waitpid`` takes.
Calls may nest: a bounded child can itself run bounded grandchildren.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
import warnings

__all__ = ["Deadline", "BudgetExceeded", "run_bounded", "FORK_AVAILABLE"]

FORK_AVAILABLE = hasattr(os, "fork")


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


def _outcome(func, args, reraise):
    try:
        return ("ok", func(*args))
    except reraise as exc:  # handed to the parent as the exception itself
        return ("raise", exc)
    except BaseException as exc:  # any other failure: reported as text
        return ("error", f"{type(exc).__name__}: {exc}")


def _child(write_fd, func, args, reraise):
    # runs in the forked child: compute, pickle the outcome into the pipe, exit
    # immediately (os._exit: no atexit handlers, no flushing of inherited buffers)
    try:
        outcome = _outcome(func, args, reraise)
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # result (or exception) not picklable
            data = pickle.dumps(("error", f"unpicklable result: {exc}"))
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view):]
    finally:
        os._exit(0)


def run_bounded(func, args, seconds: float, *, reraise=()):
    """Run ``func(*args)`` with a hard wall-clock limit of ``seconds``.

    Returns ``func``'s (picklable) result.  Raises :class:`BudgetExceeded` when
    the limit passes (the child is killed), the exception itself when ``func``
    raised an instance of a class in ``reraise`` (a tuple of exception types),
    and ``RuntimeError`` when it raised anything else.  Without ``fork``
    (Windows) the call runs in-process and the bound is not enforced.
    """
    if seconds <= 0:
        raise BudgetExceeded("no time left")
    reraise = tuple(reraise)
    if not FORK_AVAILABLE:  # pragma: no cover - platform dependent
        kind, value = _outcome(func, args, reraise)
    else:
        kind, value = _run_forked(func, args, seconds, reraise)
    if kind == "raise":
        raise value
    if kind == "error":
        raise RuntimeError(value)
    return value


def _run_forked(func, args, seconds, reraise):
    end = time.monotonic() + seconds
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        # Python >= 3.12 warns about fork() in multi-threaded parents; the child
        # only runs SymPy/mpmath and exits, it takes no locks shared with threads.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child (coverage cannot see it)
        os.close(read_fd)
        _child(write_fd, func, args, reraise)
    os.close(write_fd)
    chunks = []
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise BudgetExceeded(f"no result within {seconds:.3g} s")
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:  # pragma: no cover - already gone
            pass
        os.waitpid(pid, 0)
    if not chunks:
        raise RuntimeError("bounded computation died without a result")
    return pickle.loads(b"".join(chunks))
