"""The notebook form "check my derivation": paste a whole derivation, press Check, read the table.

The only module of the project that imports ipywidgets (the ``notebooks`` extra).
"""

from __future__ import annotations

__all__ = ["gradient_checker_widget", "EXAMPLE"]

#: What the text box shows at first: a short derivation with one wrong line.
EXAMPLE = r"""For the logits $V_i = \sum_{j=1}^{m} w_{ij} x_j + b_i$ let

$$p_i = \frac{e^{V_i}}{\sum_{k=1}^{n} e^{V_k}}$$

$$J = -\sum_{i=1}^{n} y_i \ln p_i$$

The labels are one-hot, so $\sum_{i=1}^{n} y_i = 1$.

$$\frac{\partial J}{\partial w_{ij}} = x_j \left( p_i - y_i \right)$$

$$\frac{\partial J}{\partial b_i} = p_i + y_i$$
"""


def gradient_checker_widget(value: str = EXAMPLE, *, timeout: float = 30.0):
    """An ipywidgets form: paste a derivation (Markdown + LaTeX), press "Check", read the steps.

    Each press runs ``derivation.check_document(text, timeout=timeout)`` and shows a table
    with one row per step: its line, mark (✓ proved, ✗ refuted, ? unknown, · given), the
    formula, how it was read, the line it was checked against and, when refuted, the
    counterexample.

    Parameters
    ----------
    value : str
        Initial text of the box (a short derivation with one mistake).
    timeout : float, default 30.0
        Seconds for one check of the whole text (`derivation.check_document`'s budget).

    Returns
    -------
    ipywidgets.VBox
        The form. Its attributes ``text`` (the Textarea), ``button``, ``result`` (an
        HTMLMath widget) and ``check()`` (the button's handler, returning the
        `DocumentCheck`) are there for scripting and tests; ``last`` holds the latest
        `DocumentCheck` (None before the first check).

    Raises
    ------
    ImportError
        If ipywidgets is not installed (install the ``notebooks`` extra).
    """
    try:
        import ipywidgets as widgets
    except ImportError as exc:  # pragma: no cover - exercised only without ipywidgets
        raise ImportError('the derivation checker widget needs ipywidgets: '
                          'pip install -e ".[notebooks]"') from exc
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if not isinstance(value, str):
        raise TypeError(f"value must be a str, got {type(value).__name__}")

    from derivation.ui.table import steps_table

    text = widgets.Textarea(value=value, rows=14, layout=widgets.Layout(width="98%"),
                            placeholder="paste a derivation: Markdown with $...$ and $$...$$")
    button = widgets.Button(description="Check", button_style="primary", icon="check")
    result = widgets.HTMLMath(value="")
    help_text = widgets.HTML(value=(
        "<small>Definitions (the first <code>=</code> of a new name) are given; every later "
        "equation is checked against the step it continues, derivatives by true "
        "differentiation, for all sizes where possible. A premise in prose "
        "(<i>one-hot, so $\\sum_i y_i = 1$</i>) is used from there on.</small>"))
    box = widgets.VBox([text, button, result, help_text])

    def check(_button=None):
        from derivation.documents import check_document

        result.value = "<i>checking…</i>"
        try:
            document = check_document(text.value, timeout=timeout)
        except ValueError as exc:  # an unusable text (too long, ...): say why
            result.value = f"<b>ERROR</b>: {_escape(str(exc))}"
            box.last = None
            return None
        result.value = steps_table(document)
        box.last = document
        return document

    button.on_click(check)
    box.text, box.button, box.result, box.check, box.last = text, button, result, check, None
    return box


def _escape(text: str) -> str:
    import html

    return html.escape(text)
