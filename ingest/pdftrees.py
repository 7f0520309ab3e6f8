"""Walking a PDF's object trees (pypdf) without trusting them: each node once, a depth
limit and a node budget, so a cyclic or million-node tree in a hostile file costs little.
Shared by the form reader (``pdfforms``) and the embedded-file reader (``pdfembedded``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject

__all__ = ["MAX_DEPTH", "READ_ERRORS", "Budget", "kids", "page_annotations", "tree_nodes"]

log = logging.getLogger(__name__)

MAX_DEPTH = 32
MAX_NODES = 20_000  # nodes and annotations one reading visits, all its walks together
# what pypdf raises for damaged objects (RecursionError: a reference cycle it followed)
READ_ERRORS = (PyPdfError, ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError)


class Budget:
    """How many more nodes a reading may visit."""

    def __init__(self, nodes: int = MAX_NODES) -> None:
        self.left = nodes

    def spend(self) -> bool:
        self.left -= 1
        return self.left >= 0


def tree_nodes(
    roots: Iterable[object], kids_of: Callable[[DictionaryObject], list[object]], budget: Budget, what: str
) -> Iterator[tuple[DictionaryObject, list[object]]]:
    """(node, its kids) for every dictionary node under ``roots``, depth first, each once;
    ``kids_of`` says which children to descend into. A damaged node is skipped (``what``
    names the tree in the debug log)."""
    seen: set[int] = set()
    stack: list[tuple[object, int]] = [(ref, 0) for ref in reversed(list(roots))]
    while stack and budget.spend():
        ref, depth = stack.pop()
        try:
            node = ref.get_object()  # type: ignore[attr-defined]
            if not isinstance(node, DictionaryObject) or id(node) in seen or depth > MAX_DEPTH:
                continue
            seen.add(id(node))
            kids = kids_of(node)
            yield node, kids
            stack.extend((kid, depth + 1) for kid in reversed(kids))
        except READ_ERRORS as exc:
            log.debug("%s node skipped: %s", what, exc)


def kids(node: DictionaryObject) -> list[object]:
    """A tree node's /Kids (none when absent or damaged)."""
    found = node.get("/Kids")
    found = found.get_object() if found is not None else None
    return list(found) if isinstance(found, ArrayObject) else []


def page_annotations(
    reader: PdfReader, subtype: str, budget: Budget | None = None
) -> Iterator[tuple[int, DictionaryObject]]:
    """(1-based page number, annotation) for every annotation of ``subtype`` ("/Widget",
    "/FileAttachment"), page by page; a damaged page tree or annotation is skipped."""
    spend = budget or Budget()
    try:
        pages = list(reader.pages)
    except READ_ERRORS as exc:
        log.debug("page tree not walked for annotations: %s", exc)
        return
    for number, page in enumerate(pages, start=1):
        try:
            annots = page.get("/Annots")
            annots = annots.get_object() if annots is not None else None
            if not isinstance(annots, ArrayObject):
                continue
            for ref in annots:
                if not spend.spend():
                    return
                annot = ref.get_object()
                if isinstance(annot, DictionaryObject) and annot.get("/Subtype") == subtype:
                    yield number, annot
        except READ_ERRORS as exc:
            log.debug("annotations of page %d not read: %s", number, exc)
