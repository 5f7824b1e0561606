"""`python -m verify check FILE.md`: check a Markdown/LaTeX derivation, step by step.

The file is read by `derivation.check_document`; every claim comes back as a step with its
source line, a status and the evidence:

    ✓ proved   (exact reasoning; for all sizes when ``sizes`` is None)
    ✗ refuted  (a counterexample point where the step and its base differ)
    ? unknown  (neither; the reason says why)
    · given    (a definition, or a stated assumption used from there on)

Exit status: 0 when every checked step is proved, 1 when some step is refuted, 3 when none
is refuted but some are unknown (or the file claims nothing that could be checked), 2 for bad
usage or a file that cannot be read (missing, a directory, not UTF-8).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main", "build_parser", "exit_status", "step_record", "document_record",
           "EXIT_PROVED", "EXIT_REFUTED", "EXIT_USAGE", "EXIT_UNKNOWN", "MARKS", "ASCII_MARKS"]

EXIT_PROVED, EXIT_REFUTED, EXIT_USAGE, EXIT_UNKNOWN = 0, 1, 2, 3
MARKS = {"proved": "\u2713", "refuted": "\u2717", "unknown": "?", "given": "\u00b7",
         "computed": "\u00b7", "skipped": "-"}
ASCII_MARKS = {"proved": "ok", "refuted": "XX", "unknown": "??", "given": "..",
               "computed": "..", "skipped": "--"}
DEFAULT_TIMEOUT = 30.0


# -- the view of a step that every renderer shares ----------------------------------------
def _words(value) -> str | None:
    """A reading/reason/repair as one line of words (they may come as text or a list)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        parts = [_words(v) for v in value]
        text = "; ".join(p for p in parts if p)
        return text or None
    name = getattr(value, "name", None)  # a repair object with a name
    text = str(name if isinstance(name, str) else value).strip()
    return text or None


def _sizes_text(sizes) -> str:
    """``None`` = all sizes; else the concrete sizes, e.g. "n=2, m=3; n=3, m=3"."""
    if sizes is None:
        return "all sizes"
    items = []
    for size in sizes:
        if isinstance(size, dict):
            items.append(", ".join(f"{k}={v}" for k, v in size.items()))
        elif isinstance(size, (tuple, list)):
            items.append("x".join(str(v) for v in size))
        else:
            items.append(str(size))
    return "sizes " + "; ".join(items) if items else "no size"


def _json_value(value):
    """A counterexample value for JSON, as the reader writes it: ints stay ints, exact
    rationals "p/q", anything else SymPy's text of it."""
    import sympy

    if isinstance(value, bool):
        return value
    if isinstance(value, (int, sympy.Integer)):
        return int(value)
    if isinstance(value, sympy.Rational):
        return str(value)
    if isinstance(value, float):
        return sympy.sstr(sympy.Float(value), full_prec=False)
    return sympy.sstr(value)


def _ref(step) -> dict | None:
    return None if step is None else {"line": getattr(step, "line", None),
                                      "latex": getattr(step, "latex", "") or ""}


def step_record(step) -> dict:
    """A step of a `derivation.DocumentCheck` as plain data (JSON-safe).

    The keys of the reader's ``DocumentStep.to_dict()`` -- ``line``, ``latex``, ``status``,
    ``kind``, ``reading``, ``base`` ({line, latex} or None), ``assumptions`` ([{line,
    latex}]), ``counterexample`` (symbol name -> value: int, "p/q" or text; None unless
    refuted), ``sizes`` (None = all sizes, else a list of {"n": .., "m": ..}), ``reason``,
    ``repair`` -- and, for the renderers, ``mark``, ``base_line``, ``assumption_lines``,
    ``counterexample_text`` (as `derivation.format_point` writes it) and ``sizes_text``.
    """
    from derivation._format import format_point

    base = getattr(step, "base", None)
    assumptions = tuple(getattr(step, "assumptions", ()) or ())
    point = getattr(step, "counterexample", None) or None
    sizes = getattr(step, "sizes", None)
    return {
        "line": getattr(step, "line", None),
        "latex": getattr(step, "latex", "") or "",
        "status": step.status,
        "mark": MARKS.get(step.status, "?"),
        "kind": _words(getattr(step, "kind", None)),
        "reading": _words(getattr(step, "reading", None)),
        "base": _ref(base),
        "base_line": getattr(base, "line", None) if base is not None else None,
        "assumptions": [_ref(a) for a in assumptions],
        "assumption_lines": [getattr(a, "line", None) for a in assumptions],
        "counterexample": ({str(k): _json_value(v) for k, v in point.items()}
                           if point else None),
        "counterexample_text": format_point(point) if point else None,
        "sizes": None if sizes is None else [dict(s) if isinstance(s, dict) else str(s)
                                             for s in sizes],
        "sizes_text": _sizes_text(sizes),
        "reason": _words(getattr(step, "reason", None)),
        "repair": _words(getattr(step, "repair", None)),
    }


def exit_status(steps) -> int:
    """0 when every checked (non-given) step is proved, 1 if one is refuted, else 3 (some
    unknown, or nothing checked at all: a file with no claim verifies nothing)."""
    statuses = {step.status for step in steps if step.status != "given"}
    if "refuted" in statuses:
        return EXIT_REFUTED
    if not statuses or statuses - {"proved"}:
        return EXIT_UNKNOWN
    return EXIT_PROVED


def counts(steps) -> dict:
    """Number of steps per status, in the order given, proved, refuted, unknown."""
    table = {"given": 0, "proved": 0, "refuted": 0, "unknown": 0}
    for step in steps:
        table[step.status] = table.get(step.status, 0) + 1
    return table


def verdict_word(code: int, statuses=()) -> str:
    """The overall verdict in one word: PROVED, REFUTED, UNKNOWN, or NOTHING CHECKED when
    ``statuses`` (of all steps) has no checked step."""
    if code == EXIT_UNKNOWN and all(status == "given" for status in statuses):
        return "NOTHING CHECKED (no claim found)"
    return {EXIT_PROVED: "PROVED", EXIT_REFUTED: "REFUTED", EXIT_UNKNOWN: "UNKNOWN"}[code]


def document_record(document, file: str | None = None) -> dict:
    """The whole check as one JSON-safe object: ``file``, ``ok``, ``status``, ``exit_status``,
    ``counts``, ``steps`` (each a `step_record`)."""
    steps = list(document.steps)
    return {"file": file, "ok": bool(document.ok), "status": document.status,
            "exit_status": exit_status(steps), "counts": counts(steps),
            "steps": [step_record(s) for s in steps]}


# -- the command ---------------------------------------------------------------------------
def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 3600:  # also rejects nan and inf
        raise argparse.ArgumentTypeError(f"must be a number of seconds in (0, 3600], got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface of `python -m verify check`."""
    parser = argparse.ArgumentParser(
        prog="python -m verify check",
        description=(
            "Check a derivation written in Markdown with LaTeX math ($...$, $$...$$, aligned "
            "blocks), step by step: definitions are read, every later equation is checked "
            "against the step it continues (derivatives by true differentiation), for all "
            "sizes where possible."),
        epilog=(
            "Marks (ASCII form with --ascii): \u2713 (ok) proved, \u2717 (XX) refuted with a "
            "counterexample, ? (??) unknown with the reason, \u00b7 (..) given (a definition "
            "or a stated assumption). Exit status: 0 every checked step proved; 1 a step is "
            "refuted; 3 none refuted but some unknown (or no claim at all to check); 2 bad "
            "usage or unreadable file."))
    parser.add_argument("file", metavar="FILE.md", help="the derivation (UTF-8 Markdown + LaTeX)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (file, ok, status, steps[]) instead of text")
    parser.add_argument("--html", metavar="OUT.html",
                        help="also write a self-contained HTML report (math as MathML; needs "
                             "the [html] extra, latex2mathml, else formulas are shown as code)")
    parser.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"time budget for the whole document (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--ascii", action="store_true",
                        help="ASCII marks (ok/XX/??/..) instead of \u2713 \u2717 ? \u00b7 "
                             "(automatic when the output cannot encode them)")
    return parser


def read_text(path: str) -> str:
    """The file's text. Raises ValueError naming the file and the problem."""
    p = Path(path)
    if not p.exists():
        raise ValueError(f"{path}: no such file")
    if p.is_dir():
        raise ValueError(f"{path}: is a directory, not a derivation file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValueError(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}, "
                         f"offset {exc.start})") from None


class _Out:
    """Prints lines; marks fall back to ASCII when the stream cannot encode them."""

    def __init__(self, stream, ascii_only: bool):
        self.stream = stream
        encoding = getattr(stream, "encoding", None) or "ascii"
        if not ascii_only:
            try:
                "\u2713\u2717\u00b7\u2026\u03a3\u2264".encode(encoding)
            except (UnicodeEncodeError, LookupError):
                ascii_only = True
        self.ascii = ascii_only
        self.marks = ASCII_MARKS if ascii_only else MARKS

    def mark(self, status: str) -> str:
        return self.marks.get(status, "?")

    def __call__(self, text: str = "") -> None:
        if self.ascii:
            text = text.encode("ascii", "replace").decode("ascii")
        print(text, file=self.stream)


def print_document(out, record: dict) -> None:
    """The text report: a summary line, then each step with its evidence."""
    c = record["counts"]
    out(f"{record['file']}: {len(record['steps'])} steps: {c['proved']} proved, "
        f"{c['refuted']} refuted, {c['unknown']} unknown, {c['given']} given")
    width = max([len(str(s["line"])) for s in record["steps"]] + [1])
    pad = " " * (width + 9)
    for s in record["steps"]:
        latex = " ".join(s["latex"].split())  # one line per step, whatever the source layout
        out(f"  {out.mark(s['status'])} line {str(s['line']).rjust(width)}  {latex}")
        facts = []
        if s["reading"]:
            facts.append(f"reading: {s['reading']}")
        if s["base_line"] is not None:
            facts.append(f"checked against line {s['base_line']}")
        if s["assumption_lines"]:
            facts.append("using the assumption(s) on line(s) "
                         + ", ".join(str(n) for n in s["assumption_lines"]))
        if s["status"] == "proved":
            facts.append(f"proved for {s['sizes_text']}")
        if s["counterexample_text"]:
            facts.append(f"counterexample: {s['counterexample_text']}")
        if s["reason"] and s["status"] != "proved":
            facts.append(f"reason: {s['reason']}")
        if s["repair"]:
            facts.append(f"repair: {s['repair']}")
        for fact in facts:
            out(f"{pad}{fact}")
    for status in ("refuted", "unknown"):  # where to look first
        lines = sorted({s["line"] for s in record["steps"] if s["status"] == status})
        if lines:
            out(f"{status} on line{'s' if len(lines) > 1 else ''} "
                + ", ".join(str(n) for n in lines))
    code = record["exit_status"]
    out(f"=> {verdict_word(code, [s['status'] for s in record['steps']])} (exit {code})")


def _check(text: str, timeout: float):
    from derivation.documents import check_document

    return check_document(text, timeout=timeout)


def main(argv=None) -> int:
    """Run `python -m verify check`; return the exit status (see the module docstring).

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``check`` (default: ``sys.argv[2:]``).
    """
    if argv is None:
        argv = sys.argv[2:]
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help is 0, a usage error is 2
        return int(exc.code or 0)
    try:
        text = read_text(args.file)
    except ValueError as exc:
        print(f"python -m verify check: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        document = _check(text, args.timeout)
    except Exception as exc:  # the reader must not crash; if it does, say so, decide nothing
        print(f"python -m verify check: the reader failed on {args.file}: "
              f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_UNKNOWN
    record = document_record(document, file=args.file)
    if args.html:
        from verify.html_report import render_html

        try:
            Path(args.html).write_text(render_html(document, title=args.file), encoding="utf-8")
        except OSError as exc:
            print(f"python -m verify check: error: cannot write {args.html}: "
                  f"{exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
    if args.json:
        print(json.dumps(record, ensure_ascii=args.ascii, indent=None))
    else:
        print_document(_Out(sys.stdout, args.ascii), record)
    return record["exit_status"]
