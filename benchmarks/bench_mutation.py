"""Mutation score of `verify.check_gradient` on the third-party gradient gallery, over many seeds.

The gallery is `tests/verify/test_third_party.py` (scipy, scikit-learn and course code, each
with its mutants: sign flipped, term dropped, factor 0.5 / 2, transposed, off by one, missing
regulariser; and one entry 1% off, the largest and a random one of every array). For each
case, dtype (float64, float32) and seed it counts:

- correct gradients that do not pass (false alarms);
- mutants and 1% errors that pass (misses), and those flagged only as "unknown";
- float32 alone (``--alone``: ``promote=False``): 1% errors that pass where the report says
  the entry is below what float32's noise resolves ("reported").

Run:  python benchmarks/bench_mutation.py [--seeds 10] [--alone]
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
from pathlib import Path

import numpy as np

from verify import check_gradient

GALLERY = Path(__file__).resolve().parents[1] / "tests" / "verify" / "test_third_party.py"


def gallery():
    spec = importlib.util.spec_from_file_location("third_party", GALLERY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def score(tp, seeds, promote):
    tab = collections.Counter()
    for name, (build, ok32) in tp.CASES.items():
        for dt in ("float64", "float32") if ok32 else ("float64",):
            for seed in seeds:
                case = build(tp.DTYPES[dt], seed)
                run = lambda g: check_gradient(case.loss, g, case.params, promote=promote)  # noqa: E731
                tab[("correct", dt, "false alarm" if run(case.grad).status != "passed" else "passed")] += 1
                for m in case.mutants:
                    r = run(lambda p, m=m: case.grad(p, m))
                    tab[("code mutant", dt, {"passed": "MISSED"}.get(r.status, r.status))] += 1
                for where in ("largest", "random"):
                    for leaf in range(len(tp.leaves(case.params))):
                        if not np.any(tp.leaves(case.grad(case.params))[leaf]):
                            continue
                        g, k = tp.one_entry_off(case, leaf, where)
                        r = run(g)
                        kind = r.status
                        if kind == "passed":
                            det = np.asarray(tp.leaves(r.detectable)[leaf]).reshape(-1)[k]
                            kind = "reported" if det > 0.01 and "too small" in str(r) else "MISSED"
                        tab[("1% entry", dt, kind)] += 1
    return tab


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10, help="seeds per case (default 10)")
    ap.add_argument("--alone", action="store_true", help="float32 without its float64 reference (promote=False)")
    args = ap.parse_args()
    tab = score(gallery(), range(args.seeds), promote=not args.alone)
    print(f"check_gradient on {GALLERY.name}, {args.seeds} seeds, promote={not args.alone}")
    for key in sorted(tab):
        print(f"  {key[0]:12s} {key[1]:8s} {key[2]:12s} {tab[key]:5d}")


if __name__ == "__main__":
    main()
