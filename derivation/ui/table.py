"""A checked derivation as an HTML table for notebooks (formulas left as ``$…$`` for MathJax).

No ipywidgets here: the table is plain HTML, shown by `IPython.display.HTML` or inside the
widget's ``HTMLMath`` output.
"""

from __future__ import annotations

import html

__all__ = ["MARKS", "steps_table", "step_facts"]

MARKS = {"given": "\u00b7", "proved": "\u2713", "refuted": "\u2717", "unknown": "?"}
_COLOURS = {"given": "#777", "proved": "#17801b", "refuted": "#c0161a", "unknown": "#b07800"}


def _point(point) -> str:
    from derivation._format import format_point

    return format_point(point)


def step_facts(step) -> list:
    """The evidence of one step in words: reading, base line, assumptions, sizes,
    counterexample, reason, repair (those that apply)."""
    facts = []
    if getattr(step, "reading", ""):
        facts.append(("reading", step.reading))
    if getattr(step, "base", None) is not None:
        facts.append(("checked against", f"line {step.base.line}"))
    if getattr(step, "assumptions", ()):
        facts.append(("assumptions", "line " + ", ".join(str(a.line) for a in step.assumptions)))
    if step.status == "proved":
        sizes = getattr(step, "sizes", None)
        facts.append(("proved for", "all sizes" if sizes is None else
                      "; ".join(", ".join(f"{k}={v}" for k, v in dict(s).items()) for s in sizes)))
    if getattr(step, "counterexample", None):
        facts.append(("counterexample", _point(step.counterexample)))
    if getattr(step, "reason", "") and step.status != "proved":
        facts.append(("reason", step.reason))
    if getattr(step, "repair", None):
        facts.append(("holds under", step.repair))
    return facts


def _math(latex: str) -> str:
    body = latex.replace("&", " ").strip()
    # $…$ for MathJax; HTML-escaped so that "<" in a formula cannot open a tag
    return f"${html.escape(body)}$" if body else ""


def steps_table(document) -> str:
    """HTML: a summary line, then one row per step (line, mark, formula, evidence).

    Parameters
    ----------
    document : derivation.DocumentCheck
    """
    counts = {s: sum(1 for st in document.steps if st.status == s) for s in MARKS}
    rows = []
    for step in document.steps:
        colour = _COLOURS.get(step.status, "#000")
        facts = "<br>".join(f"<b>{html.escape(k)}:</b> {html.escape(str(v))}"
                            for k, v in step_facts(step))
        rows.append(f"<tr><td>line {step.line}</td>"
                    f"<td style='color:{colour};font-weight:bold;font-size:1.3em'"
                    f" title='{step.status}'>{MARKS.get(step.status, '?')}</td>"
                    f"<td>{step.status}</td><td>{_math(step.latex)}</td>"
                    f"<td><small>{facts}</small></td></tr>")
    summary = (f"<p><b>{html.escape(document.status.upper())}</b>: {len(document.steps)} steps, "
               + ", ".join(f"{counts[s]} {s}" for s in ("proved", "refuted", "unknown", "given"))
               + "</p>")
    return (summary + "<table><thead><tr><th>line</th><th></th><th>status</th><th>step</th>"
            "<th>evidence</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
