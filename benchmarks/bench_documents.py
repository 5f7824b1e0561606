"""Timing of the document reader against the issue's goals.

Goals: the seed derivation read from its file and checked <= 2 s; each derivation under
examples/ <= 5 s; `check_candidate` (a one-line document on the softmax model, for all n, m)
<= 1 s. Reference measured in the same run: `prove_general()` (the all-sizes proof of the
same gradient), so the ratio says what a document costs against the bare proof.

Each figure is the best of ``--repeat`` runs in this process; the first run of each is also
shown (cold: parsing and SymPy caches empty).

Run:  python benchmarks/bench_documents.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# (candidate, assume_normalized): proved, proved, proved, refuted (labels not normalised)
CANDIDATES = (
    (r"x_j (p_i - y'_i)", True),
    (r"x_j \left(\mathrm{softmax}(V)_i - y_i\right)", True),
    (r"-x_j \left(y_i - \frac{e^{V_i}}{\sum_{k=1}^{n} e^{V_k}}\right)", True),
    (r"x_j (p_i - y'_i)", False),
)


def _times(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times[0], min(times), result


def _row(name: str, cold: float, best: float, goal: float, reference: float, status: str) -> bool:
    ok = best <= goal
    print(f"  {'ok ' if ok else 'SLOW'} {name:44s} best {best:6.3f} s  first {cold:6.3f} s  "
          f"goal <= {goal:g} s  ({best / reference:5.1f}x prove_general)  [{status}]")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    args = parser.parse_args(argv)

    from derivation import check_candidate, check_document, prove_general
    from derivation.documents import SEED_PATH

    _, reference, proof = _times(lambda: prove_general(), args.repeat)
    print(f"reference: prove_general() {reference:.3f} s (holds: {proof.holds})")
    ok = True

    print("seed, read from its file (goal <= 2 s):")
    cold, best, doc = _times(
        lambda: check_document(SEED_PATH.read_text(encoding="utf-8"), timeout=60), args.repeat)
    ok &= _row(SEED_PATH.name, cold, best, 2.0, reference, doc.status)

    print("examples/ (goal <= 5 s each):")
    for path in sorted(EXAMPLES.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        cold, best, doc = _times(lambda: check_document(text, timeout=60), args.repeat)
        ok &= _row(path.name, cold, best, 5.0, reference, doc.status)

    print("check_candidate, for all n, m (goal <= 1 s each):")
    for text, assume in CANDIDATES:
        cold, best, result = _times(lambda: check_candidate(text, assume_normalized=assume),
                                    args.repeat)
        label = ("sum y'=1: " if assume else "") + text
        ok &= _row(label[:44], cold, best, 1.0, reference, result.status)
    print("all within their goals" if ok else "SOME ABOVE THEIR GOALS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
