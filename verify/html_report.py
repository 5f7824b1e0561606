"""The HTML report of a checked derivation: one self-contained page, no network.

Each step of a `derivation.DocumentCheck` becomes a row with its source line, its mark
(✓ proved, ✗ refuted, ? unknown, · given), the formula, how it was read, the line it was
checked against, the assumptions it used and, when refuted, the counterexample. A summary
(counts per status and the overall verdict) stands at the top.

Formulas are rendered as MathML (the ``[html]`` extra, latex2mathml), which browsers draw
natively; a formula latex2mathml cannot convert (or every formula, when it is not
installed) is shown escaped as code. The page loads nothing: inline CSS, no scripts, no
fonts, no external URLs, and a Content-Security-Policy that forbids any fetch.
"""

from __future__ import annotations

import html
import re

from verify.cli import MARKS, counts, document_record, exit_status, verdict_word

__all__ = ["render_html", "latex_to_mathml"]

_CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.4em;margin:0 0 .4em}
.summary{padding:.6em 1em;border-radius:6px;margin-bottom:1em;font-size:1.1em}
.summary.ok{background:#e3f5e1}.summary.refuted{background:#fbe3e3}.summary.unknown{background:#fdf3d8}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}
td.mark{font-size:1.4em;font-weight:bold;text-align:center;width:1.5em}
tr.proved td.mark{color:#17801b}tr.refuted td.mark{color:#c0161a}
tr.unknown td.mark{color:#b07800}tr.given td.mark{color:#777}
tr.refuted{background:#fff5f5}tr.unknown{background:#fffbef}
td.line{color:#555;white-space:nowrap}
td.formula{font-size:1.1em}
td.formula math{math-style:normal}
code{background:#f4f4f4;padding:0 .2em;white-space:pre-wrap}
.facts{color:#333;font-size:.95em}.facts div{margin:.1em 0}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# rows of an aligned block come as "&= ..." / "a &= b"; the alignment marks are not math
_ALIGN = re.compile(r"(?<!\\)&")


def latex_to_mathml(latex: str) -> str | None:
    """``<math>`` markup for a LaTeX formula (no namespace URL), or None when latex2mathml
    is missing or cannot convert it."""
    try:
        from latex2mathml.converter import convert
    except ImportError:
        return None
    source = _ALIGN.sub(" ", latex).strip()
    if not source:
        return None
    try:
        markup = convert(source)
    except Exception:  # latex2mathml raises many types on constructs it does not know
        return None
    if re.search(r">\\[A-Za-z]", markup):  # an unknown command kept as text (<mi>\foo</mi>)
        return None
    # The xmlns attribute is a namespace name, not a fetch, but a page that claims to load
    # nothing should not carry URLs: in HTML5 <math> needs no namespace attribute.
    return re.sub(r'\sxmlns="[^"]*"', "", markup, count=1)


def _formula(latex: str) -> str:
    markup = latex_to_mathml(latex) if latex else None
    if markup is not None:
        return markup
    return f"<code>{html.escape(latex)}</code>"


def _fact(label: str, value: str, *, math: bool = False) -> str:
    body = _formula(value) if math else html.escape(value)
    return f"<div><b>{html.escape(label)}:</b> {body}</div>"


def _row(record: dict, number: int) -> str:
    facts = []
    if record["reading"]:
        facts.append(_fact("reading", record["reading"]))
    if record["base_line"] is not None:
        facts.append(_fact("checked against", f"line {record['base_line']}"))
    if record["assumption_lines"]:
        facts.append(_fact("assumptions used",
                           "line " + ", ".join(str(n) for n in record["assumption_lines"])))
    if record["status"] == "proved":
        facts.append(_fact("proved for", record["sizes_text"]))
    if record["counterexample_text"]:
        facts.append(_fact("counterexample", record["counterexample_text"]))
    if record["reason"] and record["status"] != "proved":
        facts.append(_fact("reason", record["reason"]))
    if record["repair"]:
        facts.append(_fact("repair", record["repair"]))
    status = record["status"]
    mark = MARKS.get(status, "?")
    return (f'<tr class="{html.escape(status)}" id="step-{number}">'
            f'<td class="mark" title="{html.escape(status)}">'
            f"{mark}</td><td class=\"line\">line {html.escape(str(record['line']))}</td>"
            f'<td class="status">{html.escape(status)}</td>'
            f'<td class="formula">{_formula(record["latex"])}</td>'
            f'<td class="facts">{"".join(facts)}</td></tr>')


def render_html(document, *, title: str = "derivation") -> str:
    """The report as one HTML page (a str), self-contained.

    Parameters
    ----------
    document : derivation.DocumentCheck
        The checked derivation (``.steps``, ``.ok``, ``.status``).
    title : str
        Shown in the heading and the page title (e.g. the file name).

    Returns
    -------
    str
        A complete ``<!DOCTYPE html>`` page: summary, then one table row per step.
    """
    steps = list(document.steps)
    record = document_record(document, file=title)
    c = counts(steps)
    code = exit_status(steps)
    verdict = verdict_word(code, [s.status for s in steps])
    css_class = {0: "ok", 1: "refuted"}.get(code, "unknown")
    summary = (f'<div class="summary {css_class}"><b>{verdict}</b> &mdash; {len(steps)} steps: '
               f'{MARKS["proved"]} {c["proved"]} proved, {MARKS["refuted"]} {c["refuted"]} '
               f'refuted, {MARKS["unknown"]} {c["unknown"]} unknown, {MARKS["given"]} '
               f'{c["given"]} given</div>')
    rows = "\n".join(_row(r, k) for k, r in enumerate(record["steps"], 1))
    for status in ("refuted", "unknown"):  # where to look first: links to those rows
        links = [f'<a href="#step-{k}">line {r["line"]}</a>'
                 for k, r in enumerate(record["steps"], 1) if r["status"] == status]
        if links:
            summary += f'<div class="where">{status}: {", ".join(links)}</div>'

    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        f"<title>{html.escape(title)}: derivation check</title><style>{_CSS}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{summary}"
        "<table><thead><tr><th></th><th>line</th><th>status</th><th>step</th><th>evidence</th>"
        f"</tr></thead><tbody>\n{rows}\n</tbody></table></body></html>\n")
