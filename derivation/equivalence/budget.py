"""Hard time limits for symbolic work that cannot be interrupted in-thread.

SymPy calls (``simplify``, ``factor``, assumption queries that find real roots
of high-degree polynomials, ...) run in pure Python and cannot be stopped from
another thread.  :func:`run_bounded` therefore runs such a call in a forked
child process (``os.fork``), receives the pickled result through a pipe, and
kills the child (``SIGKILL``) when the deadline passes.  The parent never waits
longer than the budget plus the few milliseconds a ``kill``/``waitpid`` takes.
Calls may nest: a bounded child can itself run bounded grandchildren.

Cleanup is total: the outermost bounded child puts itself into its own process
group, and the parent kills that whole group (``killpg``) and reaps the child on
*every* way out of the wait -- result, deadline, or an exception such as the
``KeyboardInterrupt`` of a terminal Ctrl-C or a Jupyter interrupt (which reach
only the parent: the child's group is not the terminal's foreground group).
Grandchildren stay in that group, so no descendant outlives the call; on Linux
every child also asks for ``SIGKILL`` when its parent dies (``PR_SET_PDEATHSIG``)
as a second safety net.  The result travels as a length-prefixed message, so
the parent never depends on EOF (a write end inherited by a process forked
concurrently in another thread cannot stall it).
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import sys
import time
import warnings

__all__ = ["Deadline", "BudgetExceeded", "run_bounded", "FORK_AVAILABLE"]

FORK_AVAILABLE = hasattr(os, "fork")

_HEADER = struct.Struct(">Q")  # 8-byte big-endian payload length before the pickle
_in_bounded_child = False      # set in forked children: nested calls reuse the group


def _death_signal():
    """``prctl(PR_SET_PDEATHSIG, SIGKILL)`` for the calling process (Linux), else None."""
    if not sys.platform.startswith("linux"):  # pragma: no cover - platform dependent
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - no usable libc
        return None
    return lambda: prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG


_set_death_signal = _death_signal()


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


def _child(read_fd, write_fd, parent, new_group, func, args, reraise):
    # runs in the forked child: join/create the process group, compute, send the
    # pickled outcome (length-prefixed) through the pipe, exit immediately
    # (os._exit: no atexit handlers, no flushing of inherited buffers)
    global _in_bounded_child
    try:
        if new_group:
            os.setpgid(0, 0)  # the parent does the same (whichever runs first wins)
        _in_bounded_child = True
        if _set_death_signal is not None:
            _set_death_signal()
            if os.getppid() != parent:  # parent already gone before prctl took effect
                os._exit(1)
        os.close(read_fd)
        outcome = _outcome(func, args, reraise)
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # result (or exception) not picklable
            data = pickle.dumps(("error", f"unpicklable result: {exc}"))
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            view = view[os.write(write_fd, view):]
    finally:
        os._exit(0)


def run_bounded(func, args, seconds: float, *, reraise=()):
    """Run ``func(*args)`` with a hard wall-clock limit of ``seconds``.

    Returns ``func``'s (picklable) result.  Raises :class:`BudgetExceeded` when
    the limit passes (the child is killed), the exception itself when ``func``
    raised an instance of a class in ``reraise`` (a tuple of exception types),
    and ``RuntimeError`` when it raised anything else.  Whatever happens
    (including ``KeyboardInterrupt`` while waiting), the child and all its
    descendants are killed and the child is reaped before this returns.
    Without ``fork`` (Windows) the call runs in-process and the bound is not
    enforced.
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


def _pipe():
    if hasattr(os, "pipe2"):
        return os.pipe2(os.O_CLOEXEC)
    return os.pipe()  # pragma: no cover - non-inheritable (PEP 446) anyway


def _run_forked(func, args, seconds, reraise):
    end = time.monotonic() + seconds
    new_group = not _in_bounded_child  # only the outermost call creates a group
    parent = os.getpid()
    read_fd, write_fd = _pipe()
    pid = None
    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns about fork() in multi-threaded parents; the child
            # only runs SymPy/mpmath and exits, it takes no locks shared with threads.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child (coverage cannot see it)
            _child(read_fd, write_fd, parent, new_group, func, args, reraise)
        if new_group:
            try:  # also from the parent, so that killpg below cannot miss the child
                os.setpgid(pid, pid)
            except OSError:  # child already did it (EACCES) or has exited (ESRCH)
                pass
        os.close(write_fd)
        write_fd = None
        data = _receive(read_fd, end, seconds)
    finally:
        if pid == 0:  # pragma: no cover - the child never runs the parent's cleanup
            os._exit(1)
        _cleanup(pid, new_group, read_fd, write_fd)
    return pickle.loads(data)


def _receive(read_fd, end, seconds):
    """Read one length-prefixed message; stops at its last byte, not at EOF."""
    buffer = bytearray()
    need = _HEADER.size
    while len(buffer) < need:
        left = end - time.monotonic()
        if left <= 0:
            raise BudgetExceeded(f"no result within {seconds:.3g} s")
        ready, _, _ = select.select([read_fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(read_fd, max(need - len(buffer), 1 << 16))
        if not chunk:
            raise RuntimeError("bounded computation died without a result")
        buffer += chunk
        if need == _HEADER.size and len(buffer) >= need:
            need += _HEADER.unpack_from(buffer)[0]
    return bytes(buffer[_HEADER.size:need])


def _cleanup(pid, group, *fds):
    """Close ``fds``, kill the child (its whole group if ``group``), reap it.

    Every step runs even if an exception (e.g. a second ``KeyboardInterrupt``)
    interrupts another; the first such exception is re-raised at the end.
    """
    pending = None
    steps = [lambda fd=fd: os.close(fd) for fd in fds if fd is not None]
    if pid:
        if group:
            steps.append(lambda: os.killpg(pid, signal.SIGKILL))
        steps.append(lambda: os.kill(pid, signal.SIGKILL))
        steps.append(lambda: os.waitpid(pid, 0))
    for step in steps:
        while True:
            try:
                step()
            except (ProcessLookupError, ChildProcessError):  # already gone / reaped
                pass
            except OSError as exc:  # a failed step is not retried
                pending = pending or exc
            except BaseException as exc:  # noqa: BLE001 - e.g. KeyboardInterrupt: retry
                pending = pending or exc
                continue
            break
    if pending is not None:
        raise pending
