"""Side-by-side timing of the symbolic gradient proofs against naive `simplify`.

Reference (measured in the same run): for all 30 entries of a 5x5 model,
    simplify(diff(J, theta) - expected) == 0,   theta in {w_ij, b_i}.
Compared with `derivation.prove_gradients` at 5x5, 10x10, 20x20 (420 entries) and
`derivation.prove_general`. Targets: prove_gradients(20, 20) <= 2x the naive 5x5 time;
prove_general < 1 s.

Cache independence (issue 9, class 7): prove_gradients at 40x40 and 60x60 in a fresh
process (the reference, a subprocess) against the same call in this process after a warm-up
workload (smaller proofs, model builds with J, the general proof, the Hessian proof) that
fills and churns SymPy's cache; target warm <= 2x fresh. Also SoftmaxModel(60, 60)'s build
time. Both wall and CPU seconds are printed (the machine may be shared).

Run:  python benchmarks/bench_derivation.py [--naive-size 5] [--repeat 1] [--cache-only]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import sympy

from derivation.proofs.general import prove_general
from derivation.model import SoftmaxModel
from derivation.proofs.concrete import prove_gradients


def naive(n: int, m: int) -> tuple:
    """simplify(diff(J, theta) - expected) == 0 for every w_ij and b_i; (seconds, #proved)."""
    start = time.perf_counter()
    model = SoftmaxModel(n, m)
    gW, gb = model.grad_W_formula(), model.grad_b_formula()
    proved = 0
    for i in range(n):
        for j in range(m):
            proved += sympy.simplify(sympy.diff(model.J, model.W[i, j]) - gW[i, j]) == 0
        proved += sympy.simplify(sympy.diff(model.J, model.b[i]) - gb[i]) == 0
    return time.perf_counter() - start, proved


def _best(fn, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


_FRESH = """
import json, time
from derivation.proofs.concrete import prove_gradients
wall, cpu = time.perf_counter(), time.process_time()
proof = prove_gradients({n}, {n}, timeout=600)
print(json.dumps([time.perf_counter() - wall, time.process_time() - cpu, proof.holds]))
"""


def fresh(n: int) -> tuple:
    """(wall, cpu, holds) of prove_gradients(n, n) in a new Python process."""
    out = subprocess.run([sys.executable, "-c", _FRESH.format(n=n)], capture_output=True,
                         text=True, check=True)
    return tuple(json.loads(out.stdout.strip().splitlines()[-1]))


def warm_up() -> float:
    """A notebook-like session: smaller proofs, model builds (with J), the general proofs."""
    from derivation.proofs.hessian import prove_hessian

    start = time.perf_counter()
    for k in (5, 10, 20, 30):
        prove_gradients(k, k)
        model = SoftmaxModel(k + 3, k + 3)
        model.J, model.grad_W_formula()
    prove_general()
    prove_hessian()
    return time.perf_counter() - start


def cache_independence() -> bool:
    """Fresh-process vs warm-session prove_gradients at 40x40 and 60x60; target <= 2x."""
    start = time.perf_counter()
    SoftmaxModel(60, 60)
    print(f"SoftmaxModel(60, 60) build: {time.perf_counter() - start:.3f} s")
    references = {n: fresh(n) for n in (40, 60)}
    print(f"warm-up workload: {warm_up():.1f} s")
    ok = True
    for n, (f_wall, f_cpu, f_holds) in references.items():
        wall, cpu = time.perf_counter(), time.process_time()
        proof = prove_gradients(n, n, timeout=600)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        ratio = wall / f_wall
        met = ratio <= 2 and proof.holds and f_holds
        ok = ok and met
        print(f"prove_gradients {n}x{n}: fresh {f_wall:.2f} s wall / {f_cpu:.2f} s cpu, "
              f"after warm-up {wall:.2f} s wall / {cpu:.2f} s cpu; ratio warm/fresh "
              f"{ratio:.2f} (cpu {cpu / f_cpu:.2f}) -> {'met' if met else 'NOT met'} (<= 2x)")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--naive-size", type=int, default=5, help="n = m of the naive reference")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs for our proofs")
    parser.add_argument("--cache-only", action="store_true",
                        help="only the fresh-vs-warm comparison at 40x40 and 60x60")
    args = parser.parse_args(argv)
    if args.cache_only:
        return 0 if cache_independence() else 1

    k = args.naive_size
    t_naive, proved = naive(k, k)
    total = k * k + k
    print(f"naive simplify {k}x{k}: {total} entries, {proved} proved, {t_naive:.3f} s  (reference)")
    ok = proved == total
    rows = []
    for n in (5, 10, 20):
        t, proof = _best(lambda: prove_gradients(n, n), args.repeat)
        ok = ok and proof.holds
        rows.append((f"prove_gradients {n}x{n}", len(proof.entries), proof.holds, t))
    t, general = _best(prove_general, args.repeat)
    ok = ok and general.holds
    rows.append(("prove_general (symbolic n, m)", None, general.holds, t))
    for name, entries, holds, t in rows:
        count = f"{entries} entries, " if entries is not None else ""
        print(f"{name:32s} {count}holds={holds}, {t:.3f} s, "
              f"ratio to naive {k}x{k}: {t / t_naive:.3f}")
    big = rows[2][3] / t_naive
    print(f"target prove_gradients 20x20 <= 2x naive {k}x{k}: ratio {big:.2f} "
          f"-> {'met' if big <= 2 else 'NOT met'}")
    print(f"target prove_general < 1 s: {rows[3][3]:.3f} s "
          f"-> {'met' if rows[3][3] < 1 else 'NOT met'}")
    ok = cache_independence() and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
