r"""What each statement is and what it is checked against (the reader's rules)."""

from __future__ import annotations

import sympy

from derivation.documents import decide as D
from derivation.documents.calculus import claim_id, claim_key, true_derivative
from derivation.documents.notation import Quantity, Unreadable, family_key, key_text, show
from derivation.documents.segment import ORDER, chains, has_text
from derivation.documents.steps import DocumentStep
from derivation.parsing import ast as A

from derivation.documents.blocks import pattern_rows, underbrace_names, vector_equation  # noqa: E402,I001
from derivation.documents.garbles import _bracket_garble, _lower_or_fix  # noqa: E402

__all__ = ["process_statement", "definable", "define_name", "pattern_rows"]

_PREMISE_WORDS = ("note", "assum", "suppose", "since", "so,", " so ", "given", "because",
                  "if ", "one-hot", "one hot")


def _is_premise(math) -> bool:
    prose = " " + math.prose.lower() + " "
    return any(w in prose for w in _PREMISE_WORDS) or prose.strip().endswith(" so")


def definable(node) -> bool:
    return isinstance(node, A.Name) and (not node.sub or all(
        isinstance(s, (A.Word, A.Name)) and (not isinstance(s, A.Name) or not s.sub)
        for s in node.sub))


def _is_new(r, node) -> bool:
    """A name the document has not used or defined before (a definition's subject)."""
    ctx = r.ctx
    if isinstance(node, A.Name):
        key = family_key(node)
        kind = "array" if node.sub else "scalar"
        if ctx.defined(key, kind) is not None or ctx.defined(key, "function") is not None:
            return False
        if key in ctx.forward:   # this is the line that defines it (not used before)
            ctx.forward.pop(key)
            return True
        used = key in (ctx.free if node.sub else ctx.scalars)
        return not used
    return False


def _function_form(node):
    """J(y) / σ(z): (name, [param names]) or None."""
    if isinstance(node, A.Mul) and len(node.factors) == 2 and isinstance(node.factors[0], A.Name) \
            and not node.factors[0].sub and isinstance(node.factors[1], A.Group) \
            and node.factors[1].delim == "(":
        body = node.factors[1].body
        params = body.items if isinstance(body, A.Seq) else (body,)
        if all(isinstance(p, A.Name) and not p.sub for p in params):
            return node.factors[0], list(params)
    return None


_INDEX_LETTERS = frozenset("ijklpqrst")


def _index_condition(r, items, ops) -> bool:
    """``k = i`` between two index letters (or an index letter and a number it is set to
    in prose): a condition on indices, not a definition."""
    if len(items) != 2 or ops != ["="] and ops != ("=",):
        return False
    a, b = items

    def letter(n):
        return isinstance(n, A.Name) and not n.sub and not n.primes and not n.accent \
            and n.base in _INDEX_LETTERS
    return letter(a) and (letter(b) or (isinstance(b, A.Number) and a.base in r.ctx.indices))


def _example_exp(exp) -> bool:
    from derivation.documents.ellipsis import _example_exp as ex
    return ex(exp)


def _text(math, a, b=None):
    b = a if b is None else b
    return math.text[a.start:b.end].strip()


def define_name(r, math, lhs, rhs_node, *, forward=False, line=None):
    """Define the name `lhs` (a Name, or f(params)) by `rhs_node`; returns the Quantity."""
    low = r.lowering(math)
    ctx = r.ctx
    ff = _function_form(lhs)
    if ff is not None and getattr(lhs.factors[1], "sub", ()):
        return _vector_function(r, math, lhs, rhs_node, low, line)
    if ff is not None:
        name, params = ff
        syms = [ctx.scalar(family_key(p)) for p in params]
        value = low.lower(rhs_node)
        bare = {s for s in syms if s in value.free_symbols}
        key = family_key(name)
        if bare:
            q = ctx.define(Quantity(key, "function", tuple(syms), value,
                                   line or math.line_of(lhs.start), _text(math, lhs)))
            low.note(f"{_text(math, lhs)} defines the function {key_text(key)}")
        else:
            q = ctx.define(Quantity(key, "scalar", (), value, line or math.line_of(lhs.start),
                                   key_text(key)))
            q.depends = tuple(p.base for p in params)
            low.note(f"{_text(math, lhs)} read as the quantity {key_text(key)} (its argument "
                     f"{', '.join(key_text(family_key(p)) for p in params)} names what it "
                     "depends on)")
        return q, low, value
    key = family_key(lhs)
    if not lhs.sub and isinstance(rhs_node, A.Matrix):
        return _vector(r, math, lhs, rhs_node, low, line)
    if lhs.sub:
        idx = []
        for item, pos, text in low.subscript(lhs, key):
            if text is None or text.isdigit():
                raise Unreadable(f"the definition of {_text(math, lhs)} at a fixed index")
            idx.append(ctx.index(text))
        value = low.lower(rhs_node)
        q = Quantity(key, "array", tuple(idx), value, line or math.line_of(lhs.start),
                     _text(math, lhs))
        ranges = ctx.index_ranges([value])
        for p, s in enumerate(idx):
            if s in ranges:
                ctx.ranges.setdefault((key, p), ranges[s])
        ctx.define(q)
    else:
        value = low.lower(rhs_node)
        q = ctx.define(Quantity(key, "scalar", (), value, line or math.line_of(lhs.start),
                                key_text(key)))
    if forward:
        q.forward = True
    return q, low, value


def process_statement(r, math, st):
    node = st.node
    if isinstance(node, A.Seq) and node.sep == ",":
        if any(isinstance(i, A.Dots) for i in node.items):
            r.add(DocumentStep(math.line_of(node.start), _text(math, node), "given", "list",
                               reading="a list, read not checked"))
        return
    if not isinstance(node, A.Relation):
        return  # an expression with no claim
    r.origin = node.start
    for items, ops in chains(node):
        if has_text(_wrap(items)):
            continue  # a remark in prose (\rightarrow \text{only ...})
        process_chain(r, math, items, ops, st.aside)


def _wrap(items):
    return A.Seq(items=tuple(i for i in items if i is not None))


def _range(r, math, items, ops):
    first = next(i for i in items if i is not None)
    r.add(DocumentStep(math.line_of(first.start), _text(math, first, items[-1]), "given",
                       "range", reading="an index range, read not checked"))
    if isinstance(items[0], A.Name) and not items[0].sub and isinstance(items[-1], A.Seq):
        seq = items[-1].items
        if len(seq) >= 2 and isinstance(seq[-1], (A.Name, A.Number)):
            low = r.lowering(math)
            try:
                lo, hi = low.lower(seq[0]), low.bound_value(seq[-1])
                sym = r.ctx.index(items[0].base)
                r.ctx.loop_ranges = getattr(r.ctx, "loop_ranges", {})
                r.ctx.loop_ranges[sym] = (lo, hi)
                for q in list(r.ctx.quantities.values()):
                    if q.kind != "array" or sym not in q.params:
                        continue
                    r.ctx.ranges.setdefault((q.key, q.params.index(sym)), (lo, hi))
                    for atom in q.expr.atoms(sympy.Indexed):
                        key = r.ctx._key_of_base(atom.base)
                        for pos, idx in enumerate(atom.indices):
                            if idx == sym and key is not None:
                                r.ctx.ranges.setdefault((key, pos), (lo, hi))
            except Unreadable:
                pass


_RANGE_OPS = frozenset({"<", ">", "\\le", "\\ge", "\\leq", "\\geq"})


def process_chain(r, math, items, ops, aside):
    odd = [op for op in ops if op in ORDER and op not in _RANGE_OPS]
    if odd:
        first = next(i for i in items if i is not None)
        r.add(DocumentStep(math.line_of(first.start), _text(math, first, items[-1]), "unknown",
                           "unreadable", reason=f"the relation '{odd[0]}' is not checked "
                                                "(only =, := and ranges are read)"))
        return
    if any(op in ORDER for op in ops) or any(isinstance(i, A.Seq) and i.sep == "," for i in items[1:]):
        return _range(r, math, items, ops)
    if items[0] is None:
        if r.current is None:
            raise Unreadable("a row starting with '=' with no quantity before it")
        for it in items[1:]:
            underbrace_names(r, math, it)
        return links(r, math, items, ops, 1, r.current.value, r.current.step, r.current.key)
    head = items[0]
    if vector_equation(r, math, items, ops):
        return
    for it in items:
        underbrace_names(r, math, it)
    if ops[0] == ":=":
        from derivation.documents.updates import update_rule
        return update_rule(r, math, items, ops)
    if isinstance(head, A.Name) and ops[0] == "=":
        q = r.ctx.defined(family_key(head), "array" if head.sub else "scalar")
        if q is not None and getattr(q, "forward", False) and q.step is None:
            q.step = r.add(DocumentStep(math.line_of(head.start), _text(math, head, items[1]),
                                        "given", "definition",
                                        reading=f"definition of {q.text} (used before this "
                                                "line, read with this definition)",
                                        expr=q.expr))
            r.current = _subject(q.placeholder[q.params] if q.kind == "array" else
                                 q.placeholder, q.step, q.key)
            return links(r, math, items, ops, 2, q.expr, q.step, q.key)
    if isinstance(head, A.Derivative) and not head.operator:
        return derivative_claim(r, math, items, ops)
    if _index_condition(r, items, ops):
        first = items[0]
        r.add(DocumentStep(math.line_of(first.start), _text(math, first, items[-1]), "given",
                           "range", reading=f"an index condition ({_text(math, first, items[-1])}"
                                            "), read not checked"))
        return
    if ops[0] == "=" and isinstance(head, A.Pow) and isinstance(head.base, A.Name) \
            and _is_new(r, head.base) and _example_exp(head.exp):
        from derivation.documents.examples import example_definition
        q, low, value = example_definition(r, math, head, items[1])
        step = r.add(DocumentStep(math.line_of(head.start), _text(math, head, items[1]),
                                  "given", "definition", reading="; ".join(low.readings),
                                  expr=value))
        q.step = step
        r.current = _subject(q.placeholder[q.params], step, None)
        return links(r, math, items, ops, 2, value, step, None)
    if ops[0] == "=" and (_function_form(head) or (definable(head) and _is_new(r, head))):
        return definition(r, math, items, ops, 0, aside)
    if len(items) > 1 and ops[0] == "=" and definable(items[1]) and not items[1].sub \
            and _is_new(r, items[1]):
        return definition(r, math, items, ops, 1, aside)
    low = r.lowering(math)
    first = low.lower(head)
    if len(items) == 2 and _is_premise(math):
        from derivation.documents.premises import premise
        return premise(r, math, head, items[1], first, low)
    return links(r, math, items, ops, 1, first, None, claim_key(head), low.readings)


def definition(r, math, items, ops, at, aside):
    subject, other = items[at], items[1 - at]
    q, low, value = define_name(r, math, subject, other)
    text = _text(math, items[0], items[1])
    reading = "; ".join(low.readings)
    step = r.add(DocumentStep(math.line_of(items[0].start), text, "given", "definition",
                              reading=("definition of " + q.text + (": " + reading if reading
                                                                    else "")),
                              expr=value))
    q.step = step
    placeholder = q.placeholder
    if q.kind == "array":
        placeholder = q.placeholder[q.params]
    elif q.kind == "function":
        placeholder = value
    if placeholder is not None:
        r.forms[q.key] = (placeholder, step)
    if not aside:
        r.current = _subject(placeholder, step, q.key)
    links(r, math, items, ops, 2, value if at == 0 else placeholder, step,
          q.key, set_current=not aside)


def _subject(value, step, key):
    from derivation.documents.check import _Subject
    return _Subject(value, step, key)


def links(r, math, items, ops, start, prev, prev_step, key, readings=(), set_current=True,
          kind="equality", origin=None):
    """Check items[start:] each against the one before (prev, whose step is prev_step)."""
    if origin is None:
        origin = getattr(r, "origin", 0)
    for k in range(start, len(items)):
        if ops[k - 1] not in ("=",):
            raise Unreadable(f"the relation '{ops[k - 1]}' in a chain")
        low = r.lowering(math)
        value, low, fixed = _lower_or_fix(r, math, items[k], low)
        if prev_step is None and k == start:
            latex = _text(math, items[k - 1], items[k])
            notes = list(readings) + low.readings
        else:
            latex = math.text[items[k - 1].end if items[k - 1] is not None else origin:
                              items[k].end].strip()
            notes = low.readings
        step = DocumentStep(math.line_of(items[k].start), latex, "unknown", kind,
                            reading="; ".join(dict.fromkeys(notes)), base=prev_step,
                            expr=value, target=prev)
        judge(r, step, value, prev)
        if fixed:
            step.reading = "; ".join([fixed, step.reading]) if step.reading else fixed
        if step.status == "refuted" and step.repair is None:
            garble = _bracket_garble(r, math, items[k], prev, fixed_text=getattr(low, "patched", None))
            if garble:
                step.repair = garble
        r.add(step)
        if key is not None and step.status == "proved":
            r.forms[key] = (value, step)
        prev, prev_step = value, step
    if set_current and prev_step is not None:
        r.current = _subject(prev, prev_step, key)


def judge(r, step, lhs, rhs, *, repair=True):
    """Decide lhs = rhs for `step`: plain, then under the stated assumptions, then repairs."""
    d = D.decide(r.ctx, lhs, rhs, r.budget)
    relevant = _relevant(r, lhs, rhs) if d.status != "proved" else ()
    if relevant:
        d2 = D.decide(r.ctx, lhs, rhs, r.budget, tuple(a for a, _ in relevant))
        if d2.status == "proved":
            step.assumptions = tuple(s for _, s in relevant)
        elif d2.status == "refuted":
            lines = ", ".join(str(s.line) for _, s in relevant)
            d2.reason = (f"refuted also under the stated assumption"
                         f"{'s' if len(relevant) > 1 else ''} on line {lines} (the "
                         "counterexample satisfies it)")
        elif d2.status == "unknown" and d.status == "refuted":
            d2.reason = ("refuted without the stated assumption"
                         f"{'s' if len(relevant) > 1 else ''} (line "
                         f"{', '.join(str(s.line) for _, s in relevant)}), not decided under "
                         f"{'them' if len(relevant) > 1 else 'it'}: {d2.reason}")
        d = d2
    step.status = d.status
    step.sizes = d.sizes
    if d.status == "refuted":
        step.counterexample = d.counterexample
        if relevant:
            step.reason = d.reason
        if repair:
            found = D.repairs(r.ctx, lhs, rhs, r.budget, r.remarks)
            if found is not None:
                step.repair = found[0]
    elif d.status == "unknown":
        step.reason = d.reason or "not decided"
    return d


def _atoms(ctx, expr) -> set:
    full = ctx.expand(expr)
    return {a.base for a in full.atoms(sympy.Indexed)} | {
        a for a in full.free_symbols if isinstance(a, sympy.Symbol) and not a.is_integer}


def _relevant(r, lhs, rhs) -> tuple:
    """The stated assumptions that speak about a symbol or array of the step."""
    if not r.assumed:
        return ()
    atoms = _atoms(r.ctx, lhs - rhs)
    return tuple((a, s) for a, s in r.assumed if _atoms(r.ctx, a.lhs - a.rhs) & atoms)


def derivative_claim(r, math, items, ops):
    head = items[0]
    low = r.lowering(math)
    if len(head.wrt) != 1:
        raise Unreadable(f"the derivative '{_text(math, head)}' with several variables")
    wrt = low.variable(head.wrt[0])
    key = claim_key(head.of)
    cid = claim_id(low, head.of)
    claim = r.ctx.claims.get((cid, wrt)) if cid is not None else None
    value = low.lower(items[1])
    if claim is not None:
        target, base = claim
        reading = f"checked against the claim about the same derivative on line {base.line}"
    else:
        base = None
        fq = r.ctx.defined(key, "function") if key else None
        if fq is not None:
            target = low.lower(head)
            base = fq.step
            reading = f"the true derivative of {fq.text} (line {fq.line})"
        elif key in r.forms:
            form, base = r.forms[key]
            target = true_derivative(low, form, wrt)
            reading = (f"checked against the true derivative of {key_text(key)} as written on "
                       f"line {base.line}")
        else:
            ofv = low.lower(head.of)
            target = true_derivative(low, ofv, wrt)
            q = r.ctx.by_placeholder.get(ofv.base) if isinstance(ofv, sympy.Indexed) else None
            if q is not None:
                base = r.forms.get(q.key, (None, q.step))[1] or q.step
                reading = (f"checked against the true derivative of {_text(math, head.of)} "
                           f"({q.text} as defined on line {q.line})")
            else:
                reading = "checked against the true derivative"
    step = DocumentStep(math.line_of(head.start), _text(math, head, items[1]), "unknown",
                        "derivative", reading="; ".join([reading] + low.readings), base=base,
                        expr=value, target=target)
    judge(r, step, value, target)
    r.add(step)
    if cid is not None and (step.status != "refuted" or claim is None):
        r.ctx.claims[(cid, wrt)] = (value, step)
    r.current = _subject(value, step, None)
    links(r, math, items, ops, 2, value, step, None)
    if r.current.step is not step and cid is not None:
        r.ctx.claims[(cid, wrt)] = (r.current.value, r.current.step)


def _vector(r, math, lhs, matrix, low, line):
    r"""``z = \begin{bmatrix} a \\ b \end{bmatrix}``: the vector z with z_1 = a, z_2 = b
    (entries Σ_r cell_r δ_{k,r}, k = 1, …, rows)."""
    ctx = r.ctx
    cells = [row[0] for row in matrix.rows] if all(len(row) == 1 for row in matrix.rows) \
        else (list(matrix.rows[0]) if len(matrix.rows) == 1 else None)
    if cells is None or any(isinstance(c, A.Dots) for c in cells):
        raise Unreadable(f"the matrix '{_text(math, matrix)}' (a column or row of written "
                         "entries defines a vector)")
    key = family_key(lhs)
    k = ctx.index("k") if "k" not in ctx.sizes else sympy.Symbol("k_", integer=True)
    values = [low.lower(c) for c in cells]
    expr = sympy.Add(*[v * sympy.KroneckerDelta(k, r_ + 1) for r_, v in enumerate(values)])
    q = ctx.define(Quantity(key, "array", (k,), expr, line or math.line_of(lhs.start),
                            f"{key_text(key)}_k"))
    ctx.ranges[(key, 0)] = (sympy.Integer(1), sympy.Integer(len(values)))
    low.note(f"{key_text(key)} is the vector ({', '.join(show(v) for v in values)}): "
             f"{key_text(key)}_k for k = 1, …, {len(values)}")
    return q, low, q.placeholder[(k,)]


def _vector_function(r, math, lhs, rhs_node, low, line):
    r"""``\sigma(z)_i = \frac{e^{z_i}}{\sum_k e^{z_k}}``: a function of the vector z whose
    i-th entry is the right side; ``\sigma(v)_k`` puts v for z and k for i."""
    ctx = r.ctx
    name, params = _function_form(lhs)
    group = lhs.factors[1]
    idx = []
    for item in group.sub:
        text = getattr(item, "text", None) or getattr(item, "base", None)
        if not text or not text.isalpha() or len(text) != 1:
            raise Unreadable(f"the index '{_text(math, item)}' of {_text(math, lhs)}")
        idx.append(ctx.index(text))
    value = low.lower(rhs_node)
    bases = []
    for p in params:
        pk = family_key(p)
        q = ctx.defined(pk, "array")
        bases.append(q.placeholder if q is not None else ctx.array(pk))
    key = family_key(name)
    q = ctx.define(Quantity(key, "function", tuple(bases), value,
                            line or math.line_of(lhs.start), _text(math, lhs)))
    q.indices = tuple(idx)
    low.note(f"{_text(math, lhs)} defines {key_text(key)}, a function of the vector"
             f"{'s' if len(params) > 1 else ''} {', '.join(key_text(family_key(p)) for p in params)}"
             f" (entry {', '.join(map(show, idx))})")
    return q, low, value
