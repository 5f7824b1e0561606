"""Side-by-side timing of the symbolic gradient proofs against naive `simplify`.

Reference (measured in the same run): for all 30 entries of a 5x5 model,
    simplify(diff(J, theta) - expected) == 0,   theta in {w_ij, b_i}.
Compared with `derivation.prove_gradients` at 5x5, 10x10, 20x20 (420 entries) and
`derivation.prove_general`. Targets: prove_gradients(20, 20) <= 2x the naive 5x5 time;
prove_general < 1 s.

Run:  python benchmarks/bench_derivation.py [--naive-size 5] [--repeat 1]
"""

from __future__ import annotations

import argparse
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--naive-size", type=int, default=5, help="n = m of the naive reference")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs for our proofs")
    args = parser.parse_args(argv)

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
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
