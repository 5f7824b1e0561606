r"""The document reader: check a Markdown/LaTeX derivation as written, step by step.

``check_document(text, *, timeout=30.0) -> DocumentCheck``: every claim in document order
(`DocumentStep`: ``.line``, ``.latex``, ``.status``, ``.kind``, ``.reading``, ``.base``,
``.assumptions``, ``.counterexample``, ``.sizes``, ``.reason``, ``.repair``).

Parts: ``reader`` (Markdown -> math with lines, markdown-it-py), ``segment`` (rows, chains),
``notation`` (the readings: AST -> SymPy), ``ellipsis``, ``calculus``, ``rules``,
``premises``, ``updates``, ``decide`` (proofs and repairs), ``steps`` (result types),
``check`` (the driver). The seed ships here: `SEED_PATH`, `seed_text()`.
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
