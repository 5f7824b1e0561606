"""`python -m verify`: the verification report for softmax regression.

Sections:
  1. the symbolic proof for all n, m (`derivation.prove_general`);
  2. entry-by-entry proofs at concrete sizes (`derivation.prove_gradients`);
  3. the handwritten derivation (the seed), read from its file by
     `derivation.check_document` and checked step by step, with its findings explained
     (the y/y' mix-up, e^{v_i y_i}, "V = 1");
  4. the numeric gradient check (`verify.numeric_report.numeric_section`).

Exit status: 0 when the gradient formula the trainer uses,
    dJ/dw_ij = -x_j (y'_i - p_i sum_k y'_k),  dJ/db_i = -(y'_i - p_i sum_k y'_k),
is proved (sections 1 and 2) and the numeric check passes; 1 otherwise; 2 for bad
command-line options. Mistakes found in the handwritten text are findings, not failures.

`python -m verify check FILE.md` checks a derivation of your own (`verify.cli`).
"""

from __future__ import annotations

import argparse
import re
import sys
import time

from verify.cli import _Out


__all__ = ["main", "build_parser", "parse_sizes"]

DEFAULT_SIZES = "1x1,2x2,3x3,4x4,5x5"

def parse_sizes(text: str) -> list:
    """Parse "2x3,4x4" into [(2, 3), (4, 4)].

    Raises
    ------
    argparse.ArgumentTypeError
        Naming the bad item, for anything that is not N x M with positive ints <= 60.
    """
    from derivation.model import MAX_CLASSES, MAX_FEATURES

    sizes = []
    for item in text.split(","):
        item = item.strip()
        match = re.fullmatch(r"(\d+)\s*[xX*]\s*(\d+)", item)
        if not match:
            raise argparse.ArgumentTypeError(
                f"bad size {item!r}: expected NxM such as 2x3 (comma-separated list)")
        n, m = int(match.group(1)), int(match.group(2))
        if not (1 <= n <= MAX_CLASSES and 1 <= m <= MAX_FEATURES):
            raise argparse.ArgumentTypeError(
                f"bad size {item!r}: need 1 <= n <= {MAX_CLASSES} and 1 <= m <= {MAX_FEATURES}")
        if (n, m) not in sizes:
            sizes.append((n, m))
    return sizes


def _seconds(text: str) -> float:
    """A time budget: a finite number of seconds in (0, 3600]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 3600:  # also rejects nan and inf
        raise argparse.ArgumentTypeError(f"must be a number of seconds in (0, 3600], got {text!r}")
    return value


def _int_in(low: int, high: int):
    def convert(text: str) -> int:
        if not re.fullmatch(r"\s*\d{1,12}\s*", text) or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(
                f"must be an integer from {low} to {high}, got {text!r}")
        return int(text)
    return convert


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface of `python -m verify` / `softmax-verify`."""
    parser = argparse.ArgumentParser(
        prog="python -m verify",
        description=(
            "Verify the softmax-regression gradient dJ/dw_ij = -x_j (y'_i - p_i sum_k y'_k), "
            "dJ/db_i = -(y'_i - p_i sum_k y'_k) (reducing to -x_j (y'_i - p_i) for one-hot "
            "labels): a SymPy proof for symbolic n and m, entry-by-entry proofs at concrete "
            "sizes, the handwritten derivation read from its file and checked step by step "
            "(its mistakes are reported with counterexamples and the assumption that "
            "repairs them), and a numeric finite-difference check. To check a derivation "
            "of your own: python -m verify check FILE.md (see python -m verify check -h)."),
        epilog=(
            "Marks (ASCII form with --ascii): check mark (ok) proved, cross (XX) refuted with "
            "a counterexample, ? (??) unknown, dot (..) given, i.e. a definition that is not "
            "checked. Exit status: 0 if the formula the "
            "trainer uses is proved and the "
            "numeric check passes (or is skipped/unavailable); 1 if a proof or the numeric "
            "check fails; 2 for bad options. Mistakes in the handwritten derivation are "
            "findings and do not change the exit status."),
    )
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes(DEFAULT_SIZES),
                        metavar="NxM[,NxM...]",
                        help=f"concrete sizes (classes x features) for the per-entry proofs "
                             f"(default: {DEFAULT_SIZES}; each at most 60x60)")
    parser.add_argument("--latex", action="store_true",
                        help="also print the LaTeX of every step of the general proof, and "
                             "the handwritten steps in full")
    parser.add_argument("--no-numeric", action="store_true",
                        help="skip the numeric gradient-check section")
    parser.add_argument("--seed", type=_int_in(0, 2**32 - 1), default=0,
                        help="random seed of the numeric section, 0 to 2**32-1 (default 0)")
    parser.add_argument("--trials", type=_int_in(1, 1000), default=5,
                        help="number of random trials in the numeric section (default 5, "
                             "at most 1000)")
    parser.add_argument("--timeout", type=_seconds, default=30.0, metavar="SECONDS",
                        help="time budget for reading and checking the handwritten "
                             "derivation (default 30)")
    parser.add_argument("--proof-timeout", type=_seconds, default=60.0,
                        metavar="SECONDS",
                        help="time budget for each per-entry proof and the general proof "
                             "(default 60)")
    parser.add_argument("--no-handwritten", action="store_true",
                        help="skip the handwritten-derivation section")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="list every entry of the per-entry proofs and how each "
                             "handwritten step was read")
    parser.add_argument("--ascii", action="store_true",
                        help="use ASCII marks (ok/XX/??) instead of check mark/cross/? "
                             "(automatic when the output encoding cannot show them)")
    return parser


def _heading(out, title: str) -> None:
    out()
    out(title)
    out("-" * len(title))


# -- sections ------------------------------------------------------------------------------
def _section_general(out, args) -> bool:
    from derivation.proofs.general import prove_general

    _heading(out, "1. Proof for all n, m (symbolic sizes, IndexedBase/Sum/KroneckerDelta)")
    proof = prove_general(timeout=args.proof_timeout)
    out(f"{out.mark('proved' if proof.holds else 'refuted')} "
        f"{'HOLDS' if proof.holds else 'NOT PROVED'} for all n, m >= 1 and 1 <= p <= n, "
        f"1 <= q <= m  ({proof.elapsed:.2f} s)")
    out("   abbreviations: S = sum_k e^{V_k}, Y = sum_i y'_i, V_p = sum_j w[p,j] x[j] + b[p]")
    for number, step in enumerate(proof.steps, 1):
        out(f"  {out.mark(step.status)} {number:2d}. {step.title}")
        out(f"        {step.text()}")
        out(f"        [{step.method}]")
        if args.latex:
            out(f"        LaTeX: {step.latex()}")
    return proof.holds


def _section_hessian(out, args) -> bool:
    from derivation.proofs.hessian import prove_hessian

    _heading(out, "1b. The Hessian for all n, m (what trainer.hessian_vector_product uses)")
    proof = prove_hessian(timeout=args.proof_timeout)
    out(f"{out.mark(proof.status)} {'HOLDS' if proof.ok else 'NOT PROVED'}: "
        f"d2J/dw_pq dw_rs = x_q x_s p_p (delta_pr - p_r) sum_k y'_k, and the bias blocks "
        f"({proof.elapsed:.2f} s)" if hasattr(proof, "elapsed") else "")
    for step in proof.steps:
        if step.status != "computed":
            out(f"  {out.mark(step.status)} {step.title}  [{step.method}]")
    return proof.ok


def _section_entries(out, args) -> bool:
    from derivation.proofs.concrete import prove_gradients

    _heading(out, "2. Entry-by-entry proofs at concrete sizes")
    out("   every dJ/dw_ij and dJ/db_i, general soft-label form, and its one-hot reduction")
    ok = True
    for n, m in args.sizes:
        proof = prove_gradients(n, m, timeout=args.proof_timeout)
        ok = ok and proof.holds
        out(f"  {out.mark('proved' if proof.holds else 'refuted')} {proof}")
        if args.verbose:
            for e in proof.entries:
                out(f"      {out.mark(e.status)} dJ/d{e.name} (one-hot: {e.one_hot})")
    return ok


def _findings(steps) -> list:
    """The seed's findings: refuted and unknown steps, and stated assumptions the reader
    reports as contradicting a definition (the seed's "V = 1")."""
    found = []
    for step in steps:
        if step.status in ("refuted", "unknown"):
            found.append(step)
        elif getattr(step, "kind", None) == "assumption" and _contradicts(step):
            found.append(step)
    return found


def _contradicts(step) -> bool:
    words = f"{getattr(step, 'reason', '') or ''} {getattr(step, 'reading', '') or ''}".lower()
    return "contradict" in words or "is not 1" in words or "not 1 in general" in words


def _section_handwritten(out, args) -> int:
    """The seed derivation, read from its file and checked step by step; returns the number
    of findings (refuted or unknown steps, contradicted assumptions)."""
    from derivation.documents import SEED_PATH, check_document, seed_text
    from verify.cli import document_record

    _heading(out, "3. The handwritten derivation, read from its file and checked step by step")
    out(f"   {SEED_PATH.name} (shipped with the package: derivation/documents/)")
    document = check_document(seed_text(), timeout=args.timeout)
    record = document_record(document, file=SEED_PATH.name)
    c = record["counts"]
    out(f"   {len(record['steps'])} steps: {c['proved']} proved, {c['refuted']} refuted, "
        f"{c['unknown']} unknown, {c['given']} given  ({document.elapsed:.2f} s)")
    for s in record["steps"]:
        latex = " ".join(s["latex"].split())
        latex = latex if args.latex else _short_latex(latex)
        against = f"  [against line {s['base_line']}]" if s["base_line"] is not None else ""
        out(f"  {out.mark(s['status'])} line {s['line']:3d}{against}  {latex}")
        if args.verbose and s["reading"]:
            out(f"          reading: {s['reading']}")
    findings = _findings(document.steps)
    out("")
    out(f"   Findings ({len(findings)}; findings in the text, not failures of the formula):")
    for number, step in enumerate(findings, 1):
        s = next(r for r, st in zip(record["steps"], document.steps) if st is step)
        what = "a stated assumption that is not an identity" if s["status"] == "given" \
            else s["status"]
        out(f"   {number}. {out.mark(s['status'])} line {s['line']} is {what}: "
            f"{_short_latex(' '.join(s['latex'].split()), 90)}")
        for label, key in (("reading", "reading"), ("counterexample", "counterexample_text"),
                           ("reason", "reason"), ("=> holds under", "repair")):
            if s[key]:
                out(f"      {label}: {s[key]}")
        if s["base_line"] is not None:
            out(f"      checked against line {s['base_line']}: "
                f"{_short_latex(' '.join(s['base']['latex'].split()), 80)}")
        if s["assumption_lines"]:
            out("      using the assumption(s) on line(s) "
                + ", ".join(str(n) for n in s["assumption_lines"]))
    return len(findings)


def _short_latex(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _section_numeric(out, args) -> tuple:
    """Returns (ok, state) with state in {"passed", "failed", "skipped", "unavailable"}."""
    _heading(out, "4. Numeric gradient check")
    if args.no_numeric:
        out("   skipped (--no-numeric)")
        return True, "skipped"
    try:
        from verify.numeric_report import numeric_section
    except ImportError as exc:
        out(f"   numeric section unavailable: cannot import verify.numeric_report ({exc})")
        return True, "unavailable"
    try:
        text, ok = numeric_section(seed=args.seed, trials=args.trials)
    except Exception as exc:  # report, do not crash: the section failed
        out(f"   numeric section FAILED with {type(exc).__name__}: {exc}")
        return False, "failed"
    for line in str(text).splitlines():
        out(f"   {line}")
    return bool(ok), "passed" if ok else "failed"


def main(argv=None) -> int:
    """Run the report; return the exit status (0 = the trainer's formula is proved).

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: sys.argv[1:]).
    """
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "check":  # `python -m verify check FILE.md`
        from verify.cli import main as check_main

        return check_main(list(argv[1:]))
    args = build_parser().parse_args(argv)
    out = _Out(sys.stdout, args.ascii)
    start = time.perf_counter()
    out("Softmax-regression gradient verification")
    out("=========================================")
    out("Model: V_i = sum_j w_ij x_j + b_i, S = sum_k e^{V_k}, p_i = e^{V_i}/S, "
        "J = -sum_i y'_i ln p_i")
    out("Formula the trainer uses: dJ/dw_ij = -x_j (y'_i - p_i sum_k y'_k), "
        "dJ/db_i = -(y'_i - p_i sum_k y'_k)")
    out("                          (= -x_j (y'_i - p_i) and -(y'_i - p_i) when sum_k y'_k = 1)")

    general_ok = _section_general(out, args)
    hessian_ok = _section_hessian(out, args)
    entries_ok = _section_entries(out, args)
    findings = None
    if args.no_handwritten:
        _heading(out, "3. The handwritten derivation")
        out("   skipped (--no-handwritten)")
    else:
        findings = _section_handwritten(out, args)
    numeric_ok, numeric_state = _section_numeric(out, args)

    ok = general_ok and hessian_ok and entries_ok and numeric_ok
    _heading(out, "Summary")
    out(f"  {out.mark('proved' if general_ok else 'refuted')} general proof (all n, m): "
        f"{'proved' if general_ok else 'NOT proved'}")
    out(f"  {out.mark('proved' if hessian_ok else 'refuted')} Hessian (all n, m): "
        f"{'proved' if hessian_ok else 'NOT proved'}")
    sizes = ", ".join(f"{n}x{m}" for n, m in args.sizes)
    out(f"  {out.mark('proved' if entries_ok else 'refuted')} per-entry proofs ({sizes}): "
        f"{'proved' if entries_ok else 'NOT proved'}")
    if findings is not None:
        out(f"  {out.mark('given')} handwritten derivation (read from its file): "
            f"{findings} finding(s) (findings, not failures)")
    out(f"  {out.mark('proved' if numeric_ok else 'refuted')} numeric check: {numeric_state}")
    out(f"  => {'VERIFIED' if ok else 'FAILED'}  ({time.perf_counter() - start:.1f} s)")
    return 0 if ok else 1
