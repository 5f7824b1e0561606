r"""The document reader: check a Markdown/LaTeX derivation as written, step by step.

``check_document(text, *, timeout=30.0) -> DocumentCheck``: every claim in document order
(`DocumentStep`: ``.line``, ``.latex``, ``.status``, ``.kind``, ``.reading``, ``.base``,
``.assumptions``, ``.counterexample``, ``.sizes``, ``.reason``, ``.repair``).

Parts: ``reader`` (Markdown -> math with lines, markdown-it-py), ``segment`` (rows, chains,
notations rewritten for the grammar), ``context`` (what the document defined; ``show``),
``notation`` (the readings: AST -> SymPy), ``ellipsis`` (a_1 + … + a_n as a sum),
``examples`` (x_j^{(k)} and quantities per training example), ``calculus`` (derivatives),
``rules`` (what each statement is and what it is checked against), ``blocks`` (row patterns,
vectors, underbrace names), ``premises``, ``updates``, ``garbles`` (readings that repair
garbled text), ``decide`` (proofs for all sizes, quick confirmed refutations, repairs),
``numeric`` (a prefilter), ``steps`` (result types), ``check`` (the driver), ``stepcheck``
(the older hand-transcribed `check_steps`). The seed ships here: `SEED_PATH`, `seed_text()`.
"""

from importlib import resources

from derivation.documents.check import check_document
from derivation.documents.steps import DocumentCheck, DocumentStep

__all__ = ["check_document", "DocumentCheck", "DocumentStep", "SEED_PATH", "seed_text",
           "SEED_NAME"]

SEED_NAME = "handwritten-derivation.md"
#: The seed derivation (verbatim), shipped as package data.
SEED_PATH = resources.files("derivation.documents").joinpath(SEED_NAME)


def seed_text() -> str:
    """The seed derivation's Markdown text."""
    return SEED_PATH.read_text(encoding="utf-8")
