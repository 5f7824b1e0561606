"""Long-lived checker processes: the hard time bound of ``run_bounded`` without a fork per call.

:func:`call` runs ``func(*args)`` in a *worker*: a process forked once and then reused
for call after call, so that SymPy's cache stays warm and a trivial check costs a pipe
round trip instead of a fork.  The hard bound is kept: when a call runs past its budget
the worker (with its whole process group: the grandchildren that ``run_bounded`` forks
inside it) is killed with ``SIGKILL``, reaped, and replaced by a fresh fork at the next
call; the caller gets :class:`~derivation.equivalence.budget.BudgetExceeded`.

Threads: each call holds a worker of its own for its duration (an idle one, or a new
fork when all are busy), so concurrent calls never share a pipe and never mix results;
at most ``MAX_IDLE`` idle workers are kept.  A worker is also killed on any other way out
of the wait (an exception, ``KeyboardInterrupt``), because a late answer must never be
read by the next call.  Cleanup: idle workers are killed at interpreter exit
(``atexit``) and by :func:`shutdown`; a worker whose parent dies sees end-of-file on its
request pipe and exits (and, when forked from the main thread, gets ``SIGKILL`` from
``PR_SET_PDEATHSIG``); a process forked from the parent forgets (closes) the parent's
worker pipes (``os.register_at_fork``), so no pipe end leaks into other children.
"""

from __future__ import annotations

import atexit
import os
import pickle
import select
import threading
import time
import warnings
from dataclasses import dataclass

from derivation.equivalence import budget
from derivation.equivalence.budget import BudgetExceeded

__all__ = ["call", "shutdown", "worker_pids", "MAX_IDLE", "MAX_CALLS"]

MAX_IDLE = 2      # idle workers kept for reuse (the others are killed after their call)
MAX_CALLS = 500   # a worker is retired after this many calls (bounds slow memory growth)
PICKLE_NODES = 20_000  # larger SymPy inputs go to a fresh fork (no pickling of the inputs)

_HEADER = budget._HEADER


@dataclass
class _Worker:
    pid: int
    request: int    # parent's write end
    response: int   # parent's read end
    calls: int = 0

    def alive(self) -> bool:
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False
        return pid == 0

    def kill(self):
        budget._cleanup(self.pid, True, self.request, self.response)


class _Pool:
    def __init__(self):
        self.lock = threading.Lock()
        self.idle: list[_Worker] = []
        self.busy: set[int] = set()
        self.owner = os.getpid()


_pool = _Pool()


def _forget_after_fork():
    # in a forked child: the parent's workers are not ours (do not kill them), and
    # their pipe ends must not stay open here (a worker must see EOF when the parent dies)
    global _pool
    for worker in _pool.idle:
        for fd in (worker.request, worker.response):
            try:
                os.close(fd)
            except OSError:
                pass
    _pool = _Pool()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


# ---- the worker side ------------------------------------------------------------------
def _read_exactly(fd, count):
    buffer = bytearray()
    while len(buffer) < count:
        chunk = os.read(fd, min(count - len(buffer), 1 << 20))
        if not chunk:
            return None
        buffer += chunk
    return bytes(buffer)


def _write_all(fd, data):
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _loads_as_typed(message):
    """Unpickle without SymPy's automatic evaluation.

    SymPy objects pickle as their class and arguments and are rebuilt by calling the
    class, which would evaluate ``sqrt(x)**2`` to ``x``: rebuilding with evaluation off
    gives back exactly the tree that was sent (an expression as the user typed it).
    """
    try:
        from sympy.core.parameters import evaluate
    except ImportError:  # pragma: no cover - SymPy always installed here
        return pickle.loads(message)
    with evaluate(False):
        return pickle.loads(message)


def _serve(request, response):  # pragma: no cover - runs in the worker process
    while True:
        header = _read_exactly(request, _HEADER.size)
        if header is None:
            return  # parent gone (or shut us down): EOF
        message = _read_exactly(request, _HEADER.unpack(header)[0])
        if message is None:
            return
        try:
            func, args, reraise = _loads_as_typed(message)
            outcome = budget._outcome(func, args, reraise)
        except BaseException as exc:  # noqa: BLE001 - unpicklable request etc.
            outcome = ("error", f"{type(exc).__name__}: {exc}")
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # result not picklable
            data = pickle.dumps(("error", f"unpicklable result: {exc}"))
        _write_all(response, data)


def _start() -> _Worker:
    parent = os.getpid()
    main_thread = threading.current_thread() is threading.main_thread()
    req_r, req_w = budget._pipe()
    resp_r, resp_w = budget._pipe()
    with warnings.catch_warnings():
        # Python >= 3.12 warns about fork() in multi-threaded parents; the worker only
        # runs SymPy/mpmath code and takes no lock shared with the parent's threads.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the worker process
        try:
            os.setpgid(0, 0)
            budget._in_bounded_child = True  # nested run_bounded calls stay in our group
            # PR_SET_PDEATHSIG fires when the *thread* that forked us exits, so it is only
            # used for workers forked by the main thread; the others rely on EOF
            if main_thread and budget._set_death_signal is not None:
                budget._set_death_signal()
                if os.getppid() != parent:
                    os._exit(1)
            os.close(req_w)
            os.close(resp_r)
            _serve(req_r, resp_w)
        finally:
            os._exit(0)
    try:
        os.setpgid(pid, pid)
    except OSError:  # the worker did it first, or has exited
        pass
    os.close(req_r)
    os.close(resp_w)
    return _Worker(pid, req_w, resp_r)


def _acquire() -> _Worker:
    pool = _pool
    with pool.lock:
        while pool.idle:
            worker = pool.idle.pop()
            if worker.alive():
                pool.busy.add(worker.pid)
                return worker
            worker.kill()  # died while idle (e.g. its forking thread ended): discard
    worker = _start()
    with pool.lock:
        pool.busy.add(worker.pid)
    return worker


def _release(worker: _Worker):
    pool = _pool
    with pool.lock:
        pool.busy.discard(worker.pid)
        if pool is _pool and worker.calls < MAX_CALLS and len(pool.idle) < MAX_IDLE:
            pool.idle.append(worker)
            return
    worker.kill()


def _send(fd, data, end):
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        left = end - time.monotonic()
        if left <= 0:
            raise BudgetExceeded("no time left to send the request")
        _, ready, _ = select.select([], [fd], [], left)
        if ready:
            view = view[os.write(fd, view[:1 << 16]):]


def _large(args, limit=PICKLE_NODES):
    """Whether the SymPy objects in ``args`` have more than ``limit`` nodes together."""
    try:
        import sympy
    except ImportError:  # pragma: no cover
        return False
    count = 0
    stack = list(args)
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, sympy.Basic):
            for _ in sympy.preorder_traversal(item):
                count += 1
                if count > limit:
                    return True
    return False


def call(func, args, seconds: float, *, reraise=()):
    """Run ``func(*args)`` in a reused worker with a hard wall-clock limit of ``seconds``.

    Same contract as :func:`derivation.equivalence.budget.run_bounded`: returns the
    (picklable) result of ``func`` (a module-level function, pickled by reference);
    raises :class:`BudgetExceeded` when the limit passes (the worker and its process
    group are killed), the exception itself for classes in ``reraise``, and
    ``RuntimeError`` for anything else (including a worker that died).  Inside a
    bounded child, without ``fork``, or for SymPy arguments of more than
    ``PICKLE_NODES`` nodes, this is ``run_bounded`` itself (a fresh fork).
    """
    if budget._in_bounded_child or not budget.FORK_AVAILABLE or _large(args):
        # nested, no fork, or inputs so large that pickling them would be work outside
        # the bound: a fresh fork shares them copy-on-write instead
        return budget.run_bounded(func, args, seconds, reraise=reraise)
    if seconds <= 0:
        raise BudgetExceeded("no time left")
    end = time.monotonic() + seconds
    reraise = tuple(reraise)
    request = pickle.dumps((func, args, reraise), protocol=pickle.HIGHEST_PROTOCOL)
    for attempt in (1, 2):
        worker = _acquire()
        finished = False
        try:
            try:
                _send(worker.request, request, end)
            except BrokenPipeError:
                if attempt == 1:
                    continue  # the worker had died: one retry with a fresh one
                raise RuntimeError("checker process died") from None
            data = budget._receive(worker.response, end, seconds)
            finished = True
        finally:
            if finished:
                worker.calls += 1
                _release(worker)
            else:
                with _pool.lock:
                    _pool.busy.discard(worker.pid)
                worker.kill()
        kind, value = _loads_as_typed(data)
        if kind == "raise":
            raise value
        if kind == "error":
            raise RuntimeError(value)
        return value
    raise RuntimeError("checker process died")  # pragma: no cover - loop always returns


def worker_pids() -> list[int]:
    """Process ids of this process's workers (idle and busy)."""
    with _pool.lock:
        return sorted({w.pid for w in _pool.idle} | _pool.busy)


def shutdown():
    """Kill the idle workers now (busy ones are killed when their call ends)."""
    with _pool.lock:
        idle, _pool.idle = _pool.idle, []
    for worker in idle:
        worker.kill()


atexit.register(shutdown)
