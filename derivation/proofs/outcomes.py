"""Result records of the entry-by-entry proofs (`derivation.proofs.concrete`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from derivation.proofs.atoms import Atoms

__all__ = ["LemmaOutcome", "EntryOutcome", "GradientProof"]


@dataclass(frozen=True)
class LemmaOutcome:
    """Outcome of the lemma J(v) = -sum_i y'_i v_i + (sum_i y'_i) ln sum_k e^{v_k}.

    Attributes
    ----------
    holds : bool
        True iff the lemma was proved exactly and the model's J is J(v) at v = V.
    statement : str
        The lemma in words/formula.
    method : str
        How it was proved.
    """

    holds: bool
    statement: str
    method: str


@dataclass(frozen=True)
class EntryOutcome:
    """Outcome for one parameter entry (w_ij or b_i).

    Attributes
    ----------
    parameter : sympy.Symbol
        The symbol differentiated against (w_ij or b_i).
    kind : str
        "w" or "b".
    index : tuple of int
        1-based (i, j) for w, (i,) for b.
    status : str
        "proved", "refuted" (counterexample confirmed by `equivalent`) or "unknown".
    one_hot : str
        Status of the reduction to the seed's -x_j (y'_i - p_i) under sum_k y'_k = 1
        ("proved", "refuted", "unknown", or "skipped" when the general entry was not proved).
    counterexample : dict or None
        For a refuted entry (or a refuted one-hot reduction): symbol -> value.
    reason : str
        Short human-readable explanation.
    general : sympy.Expr or None
        dJ/d(parameter) in the atoms E_k, S, Y (see ``derivation.proofs.atoms``).
    derivative : sympy.Expr (property)
        dJ/d(parameter) in the model's symbols (chain rule through the lemma's form;
        built on first access).
    expected : sympy.Expr (property)
        The claimed formula (general soft-label form unless a custom one was given).
    """

    parameter: sympy.Symbol
    kind: str
    index: tuple
    status: str
    one_hot: str
    counterexample: dict | None = field(default=None, hash=False)
    reason: str = ""
    general: sympy.Expr | None = field(default=None, repr=False)
    claimed: object = field(default=None, repr=False, compare=False)
    atoms: Atoms | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.parameter.name

    @property
    def derivative(self) -> sympy.Expr:
        if self.general is None or self.atoms is None:
            return sympy.nan
        return self.atoms.to_model(self.general)

    @property
    def expected(self) -> sympy.Expr:
        return self.claimed() if callable(self.claimed) else self.claimed

    @property
    def ok(self) -> bool:
        """The entry and its one-hot reduction are proved."""
        return self.status == "proved" and self.one_hot == "proved"

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class GradientProof:
    """Result of `prove_gradients`.

    Attributes
    ----------
    n, m : int
        Model size.
    holds : bool
        True iff the lemma and every entry (general form and one-hot reduction) are proved.
    lemma : LemmaOutcome
    entries : tuple of EntryOutcome
        n*m weight entries (row-major) then n bias entries.
    elapsed : float
        Wall time in seconds.
    timed_out : bool
        True if the time budget ran out (remaining entries are "unknown").
    """

    n: int
    m: int
    holds: bool
    lemma: LemmaOutcome
    entries: tuple = field(repr=False)
    elapsed: float = 0.0
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.holds

    @property
    def status(self) -> str:
        """"proved" (every entry), "refuted" (some entry refuted with a confirmed
        counterexample) or "unknown"."""
        if self.holds:
            return "proved"
        if any("refuted" in (e.status, e.one_hot) for e in self.entries):
            return "refuted"
        return "unknown"

    def __bool__(self) -> bool:
        return self.holds

    def count(self, status: str, *, one_hot: bool = False) -> int:
        """Number of entries whose (one-hot) status equals `status`."""
        return sum((e.one_hot if one_hot else e.status) == status for e in self.entries)

    @property
    def failures(self) -> tuple:
        """Entries that are not fully proved."""
        return tuple(e for e in self.entries if not e)

    def __str__(self) -> str:
        total = len(self.entries)
        head = (f"{self.n}x{self.m}: {'HOLDS' if self.holds else 'NOT PROVED'} - "
                f"{self.count('proved')}/{total} entries proved "
                f"({self.n * self.m} dJ/dw_ij, {self.n} dJ/db_i); "
                f"one-hot reduction {self.count('proved', one_hot=True)}/{total}; "
                f"lemma {'proved' if self.lemma.holds else 'NOT proved'}; "
                f"{self.elapsed:.3f} s")
        lines = [head]
        if self.timed_out:
            lines.append("  time budget exhausted: remaining entries unknown")
        for e in self.failures[:5]:
            lines.append(f"  {e.name}: {e.status} (one-hot: {e.one_hot}) {e.reason}")
            if e.counterexample:
                point = ", ".join(f"{k}={v}" for k, v in e.counterexample.items())
                lines.append(f"    counterexample: {point}")
        if len(self.failures) > 5:
            lines.append(f"  ... and {len(self.failures) - 5} more")
        return "\n".join(lines)
