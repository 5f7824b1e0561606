r"""Update rules ``w_{ij} := w_{ij} - \alpha \frac{\partial J}{\partial w_{ij}}``: each checked
against the previous update rule in good standing (one refuted with no repair is skipped),
derivative operators evaluated (as the document's claim when it made one)."""

from __future__ import annotations

import sympy

from derivation.documents.notation import Unreadable, show
from derivation.documents.steps import DocumentStep

__all__ = ["update_rule"]


def update_rule(r, math, items, ops):
    from derivation.documents.rules import judge
    if len(items) != 2:
        raise Unreadable("an update rule with several ':='")
    low = r.lowering(math)
    var = low.lower(items[0])
    if not isinstance(var, (sympy.Indexed, sympy.Symbol)):
        raise Unreadable(f"the update of '{math.text[items[0].start:items[0].end]}'")
    value = low.lower(items[1])
    text = math.text[items[0].start:items[1].end].strip()
    from derivation.documents.examples import example_sum, free_example_index
    over = example_sum(r.ctx, value)
    loop = None if over is not None else free_example_index(r.ctx, value)
    examples = over is not None or loop is not None
    base = next((u for u in reversed(r.updates)
                 if not (u[2].status == "refuted" and u[2].repair is None)), None)
    if examples and base is not None and base[3]:
        # the previous rule is already over examples: compared as it is (the stochastic
        # rule after a batch rule is compared with the last single-example rule, if any)
        single = next((u for u in reversed(r.updates) if not u[3]
                       and not (u[2].status == "refuted" and u[2].repair is None)), None)
        if over is None and single is not None:
            base = single
        else:
            examples = False
    step = DocumentStep(math.line_of(items[0].start), text, "unknown", "update", expr=value)
    notes = list(low.readings)
    if base is None:
        step.status = "given"
        notes.insert(0, f"update rule for {show(var)}")
    else:
        bvar, bvalue, bstep, _ = base
        step.base = bstep
        target = bvalue
        if examples:
            from derivation.documents.examples import per_example
            k = over[0] if over is not None else loop
            step_k = per_example(r.ctx, bvalue - bvar, k)
            kk = show(k)
            if over is not None:
                target = bvar + sympy.Sum(step_k, over)
                notes.insert(0, f"the rule on line {bstep.line} summed over the training "
                                f"examples {kk} = {show(over[1])}, …, {show(over[2])} (each "
                                f"quantity at example {kk})")
            else:
                target = bvar + step_k
                notes.insert(0, f"the rule on line {bstep.line} at one training example "
                                f"{kk} (the stochastic rule)")
        if var != bvar:
            if isinstance(var, sympy.Indexed) and isinstance(bvar, sympy.Indexed) \
                    and var.indices == bvar.indices:
                value = value.replace(
                    lambda a: isinstance(a, sympy.Indexed) and a.base == var.base,
                    lambda a: bvar.base[a.indices])
                notes.insert(0, f"{show(var)} read as {show(bvar)}, the variable updated on "
                                f"line {bstep.line}")
            else:
                raise Unreadable(f"an update of {show(var)} after an update of {show(bvar)}")
        notes.insert(0, f"checked against the update rule on line {bstep.line}")
        step.target = target
        judge(r, step, value, target)
    step.reading = "; ".join(dict.fromkeys(notes))
    r.add(step)
    r.updates.append((var if base is None else base[0], value, step,
                      _has_examples(r.ctx, value)))


def _has_examples(ctx, value) -> bool:
    ex = set(getattr(ctx, "data", {}).values()) | set(getattr(ctx, "data_scalars", {}).values())
    full = ctx.expand(value)
    return any(a.base in ex for a in full.atoms(sympy.Indexed)) or any(
        q.key[-1] == "example" and a.base == q.placeholder
        for a in value.atoms(sympy.Indexed) for q in [ctx.by_placeholder.get(a.base)] if q)
