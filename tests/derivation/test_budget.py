"""Tests of derivation.equivalence.budget: no process outlives a bounded call, however it ends."""

import os
import signal
import threading
import time

import pytest
import sympy

from derivation.equivalence import worker
from derivation.equivalence.budget import FORK_AVAILABLE, BudgetExceeded, run_bounded
from derivation.equivalence.checker import equivalent

pytestmark = [
    pytest.mark.skipif(not FORK_AVAILABLE, reason="needs os.fork"),
    pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux /proc"),
]

x, y = sympy.symbols("x y", real=True)


@pytest.fixture(autouse=True)
def no_idle_workers():
    """Each test starts with no checker process, so the process tree is the test's own."""
    worker.shutdown()
    yield


# ---- process table helpers (/proc/<pid>/stat: "pid (comm) state ppid pgrp ...") ----
def _processes():
    """{pid: (state, ppid, pgrp)} of every process visible in /proc."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:  # exited meanwhile
            continue
        state, ppid, pgrp = stat[stat.rindex(")") + 2:].split()[:3]
        table[int(name)] = (state, int(ppid), int(pgrp))
    return table


def _descendants(root):
    """[(pid, depth, pgrp)] of all live descendants of ``root`` (zombies excluded)."""
    table = _processes()
    found, frontier, depth = [], [root], 0
    while frontier:
        depth += 1
        frontier = [pid for pid, (state, ppid, _) in table.items()
                    if ppid in frontier and state != "Z"]
        found += [(pid, depth, table[pid][2]) for pid in frontier]
    return found


def _alive(pids, groups):
    """Live (non-zombie) processes among ``pids`` or in a process group in ``groups``."""
    return [pid for pid, (state, _, pgrp) in _processes().items()
            if state != "Z" and (pid in pids or pgrp in groups)]


def _watch(condition, seen, interrupt=True):
    """Thread: wait until ``condition(tree)`` holds, record the tree, SIGINT ourselves."""
    me = os.getpid()

    def watch():
        while True:
            tree = _descendants(me)
            if condition(tree):
                break
            time.sleep(0.02)
        seen.extend(tree)
        if interrupt:
            os.kill(me, signal.SIGINT)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _assert_all_gone(seen):
    pids = {pid for pid, _, _ in seen}
    groups = {pgrp for _, _, pgrp in seen} - {os.getpgid(0)}
    for _ in range(200):  # SIGKILL is asynchronous: give the kernel a moment
        left = _alive(pids, groups)
        if not left:
            return
        time.sleep(0.01)
    pytest.fail(f"processes survived the interrupted call: {left}")


def _nested_forever():
    def forever():
        while True:
            pass

    return run_bounded(forever, (), 60.0)


@pytest.fixture
def sigint_raises_keyboardinterrupt():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.timeout(20)
def test_interrupt_kills_child_and_grandchild(sigint_raises_keyboardinterrupt):
    seen = []
    watcher = _watch(lambda tree: any(depth == 2 for _, depth, _ in tree), seen)
    with pytest.raises(KeyboardInterrupt):
        run_bounded(_nested_forever, (), 60.0)
    watcher.join()
    assert {depth for _, depth, _ in seen} == {1, 2}  # child and grandchild were running
    child = next(pid for pid, depth, _ in seen if depth == 1)
    assert {pgrp for _, _, pgrp in seen} == {child}  # one group, led by the child
    _assert_all_gone(seen)
    assert _descendants(os.getpid()) == []


@pytest.mark.timeout(20)
def test_interrupted_equivalent_leaves_no_process(sigint_raises_keyboardinterrupt):
    xs = sympy.symbols("x1:9", real=True)
    big = sympy.prod([sum(xs[:k + 2]) + 1 for k in range(5)])
    seen = []
    start = time.monotonic()
    # interrupt once the decision has run a while (the slow step may be a grandchild)
    watcher = _watch(
        lambda tree: tree and (any(d == 2 for _, d, _ in tree) or time.monotonic() - start > 2.5),
        seen)
    with pytest.raises(KeyboardInterrupt):
        equivalent(sympy.sin(big) ** 2 + sympy.cos(big) ** 2, 1, timeout=20)
    watcher.join()
    assert seen  # the forked decision was running when interrupted
    _assert_all_gone(seen)
    assert _descendants(os.getpid()) == []


@pytest.mark.timeout(20)
def test_deadline_kills_the_whole_group():
    seen = []
    watcher = _watch(lambda tree: any(depth == 2 for _, depth, _ in tree), seen, interrupt=False)
    with pytest.raises(BudgetExceeded):
        run_bounded(_nested_forever, (), 3.0)
    watcher.join()
    assert {depth for _, depth, _ in seen} == {1, 2}
    _assert_all_gone(seen)
    assert _descendants(os.getpid()) == []


@pytest.mark.timeout(30)
def test_concurrent_calls_from_threads_give_correct_verdicts():
    cases = [((x + y) ** 2, x ** 2 + 2 * x * y + y ** 2, "proved"),
             ((x ** 2 - 1) / (x - 1), x + 1, "proved"),
             (sympy.exp(x + y), sympy.exp(x) + sympy.exp(y), "refuted"),
             ((x + 1) ** 2, x ** 2 + 1, "refuted")]
    results, errors = {}, []

    def work(k):
        try:
            for j in range(3):
                lhs, rhs, _ = cases[(k + j) % len(cases)]
                results[k, j] = equivalent(lhs, rhs, timeout=10).status
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert results == {
        (k, j): cases[(k + j) % len(cases)][2] for k in range(4) for j in range(3)}
    # what is left is the pool of idle checker processes, no more than MAX_IDLE
    left = {pid for pid, depth, _ in _descendants(os.getpid())}
    assert left == set(worker.worker_pids()) and len(left) <= worker.MAX_IDLE
    worker.shutdown()
    assert _descendants(os.getpid()) == []


def _children_including_zombies():
    me = os.getpid()
    return [pid for pid, (_, ppid, _) in _processes().items() if ppid == me]


@pytest.mark.timeout(60)
def test_no_descriptor_or_child_leak_over_many_calls():
    equivalent(x + x, 2 * x)  # warm-up (lazy imports may open files)
    fds = len(os.listdir("/proc/self/fd"))
    children = len(_children_including_zombies())
    for k in range(50):
        verdict = equivalent(x + k, k + x, timeout=5)
        assert verdict.status == "proved", str(verdict)
    with pytest.raises(BudgetExceeded):
        run_bounded(_nested_forever, (), 0.05)
    assert len(os.listdir("/proc/self/fd")) == fds
    assert len(_children_including_zombies()) == children


@pytest.mark.timeout(20)
def test_exceptions_in_the_child_come_back():
    from derivation.errors import ParseError

    with pytest.raises(ParseError):  # parsed in the checker process, raised here
        equivalent("x", "y", assume=["x + 1"])
    with pytest.raises(ParseError):
        equivalent("x +* 1", "y")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        run_bounded(lambda: 1 // 0, (), 5.0)
    big = b"\x01" * (3 << 20)  # larger than a pipe buffer: several reads
    assert run_bounded(bytes, (big,), 10.0) == big


def test_proved_verdict_says_where_it_holds():
    verdict = equivalent((x ** 2 - 1) / (x - 1), x + 1)
    assert verdict.status == "proved"
    assert "wherever both sides are defined" in str(verdict)


# ---- the long-lived checker process ------------------------------------------------------
class Stall(sympy.Function):
    """A function whose numeric evaluation never returns (a step no deadline can interrupt)."""

    @classmethod
    def eval(cls, arg):
        if arg.is_Float:
            while True:
                time.sleep(0.01)


def _forever():
    while True:
        pass


def _alive_pid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


@pytest.mark.timeout(30)
def test_the_checker_process_is_reused_and_replaced_only_when_a_budget_runs_out():
    assert equivalent(x + y, y + x).status == "proved"
    (first,) = worker.worker_pids()
    assert equivalent((x + 1) ** 2, x ** 2 + 2 * x + 1).status == "proved"
    assert worker.worker_pids() == [first]  # same process: no fork per call
    start = time.monotonic()
    verdict = equivalent(Stall(x), x, timeout=0.5)
    assert time.monotonic() - start <= 0.5 + 0.5
    assert verdict.status == "unknown" and "time budget exhausted" in verdict.reason, str(verdict)
    assert not _alive_pid(first) and worker.worker_pids() == []  # killed, not reused
    with pytest.raises(BudgetExceeded):
        worker.call(_forever, (), 0.2)
    # a late answer of the killed process never reaches the next call
    assert equivalent(x + 1, x + 2).status == "refuted"
    assert equivalent(x * 2, x + x).status == "proved"
    assert len(worker.worker_pids()) == 1


@pytest.mark.timeout(30)
def test_a_call_over_budget_kills_the_worker_and_its_grandchildren():
    seen = []
    watcher = _watch(lambda tree: any(depth == 2 for _, depth, _ in tree), seen, interrupt=False)
    with pytest.raises(BudgetExceeded):
        worker.call(_nested_forever, (), 1.5)  # the worker runs a bounded grandchild
    watcher.join()
    assert {depth for _, depth, _ in seen} == {1, 2}  # worker and its grandchild
    _assert_all_gone(seen)
    assert _descendants(os.getpid()) == []


@pytest.mark.timeout(30)
def test_worker_forked_by_a_thread_that_ended_is_replaced_transparently():
    out = []
    thread = threading.Thread(target=lambda: out.append(equivalent(x + x, 2 * x).status))
    thread.start()
    thread.join()
    assert out == ["proved"]
    for _ in range(3):
        assert equivalent(x + 1, 1 + x).status == "proved"
        assert equivalent(x, x + 1).status == "refuted"


@pytest.mark.timeout(30)
def test_forked_children_do_not_inherit_the_workers_pipes():
    equivalent(x + x, 2 * x)
    held = {w.request for w in worker._pool.idle} | {w.response for w in worker._pool.idle}
    assert held
    child_fds = run_bounded(lambda: {int(fd) for fd in os.listdir("/proc/self/fd")}, (), 10.0)
    assert not held & child_fds
    # and a check from inside a forked child works (it runs bounded in a grandchild)
    assert run_bounded(lambda: equivalent(x + x, 2 * x).status, (), 20.0) == "proved"
    assert equivalent(x + x, 2 * x).status == "proved"
