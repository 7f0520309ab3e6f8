"""Running page headers and footers: the lines a document repeats at the top or bottom of
its pages ("Source: COMPANY, 10-K, 12/2/2019", "Page 3 of 12", a filing stamp).

Their dates are a printer's or a filing system's, never the document's, so they are found
here and kept out of date roles (``ingest.docdates``). A line is running when, with its
digits ignored, it stands among the first or last lines of enough pages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

__all__ = ["running_spans"]

_EDGE_LINES = 3  # lines from the top and from the bottom of a page that can be running
_DIGIT_RUNS = re.compile(r"\d+")
# a filing-service stamp: running by its shape even on a document of one page
_STAMP = re.compile(r"^\s*source:\s+[^,\n]{2,80},\s*[\w./-]{1,12},\s*\d{1,2}/\d{1,2}/\d{2,4}\s*$", re.IGNORECASE)


def _shape(line: str) -> str:
    """The line with digit runs as one "#" and whitespace as single spaces, lower-cased."""
    return " ".join(_DIGIT_RUNS.sub("#", line).lower().split())


def _edge_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of the non-blank lines at the top and bottom of a page (only the
    ends of the page are read: this runs on every page)."""
    top: list[tuple[int, int]] = []
    at = 0
    while len(top) < _EDGE_LINES and at < len(text):
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        if text[at:end].strip():
            top.append((at, end))
        at = end + 1
    bottom: list[tuple[int, int]] = []
    end = len(text)
    while len(bottom) < _EDGE_LINES and end > at:
        start = text.rfind("\n", at, end) + 1
        start = max(start, at)
        if text[start:end].strip():
            bottom.append((start, end))
        end = start - 1
    return top + bottom[::-1]


def running_spans(texts: Sequence[str]) -> list[list[tuple[int, int]]]:
    """Per page, the (start, end) offsets of its running header and footer lines.

    A line shape (digits ignored) counts as running when it is on the edges of at least
    two distinct pages and of at least a third of the distinct pages with text; a filing-service stamp
    ("Source: X, 10-K, 12/2/2019") counts wherever it stands.
    """
    edges = [_edge_lines(text) for text in texts]
    counts: Counter[str] = Counter()
    seen: set[str] = set()
    for text, spans in zip(texts, edges, strict=True):
        if text in seen:
            continue  # a page printed twice repeats every line without any being running
        seen.add(text)
        counts.update({_shape(text[start:end]) for start, end in spans})
    pages_with_text = sum(1 for text in seen if text.strip())
    needed = max(2, -(-pages_with_text // 3))
    running: list[list[tuple[int, int]]] = []
    for text, spans in zip(texts, edges, strict=True):
        found = []
        for start, end in spans:
            line = text[start:end]
            shape = _shape(line)
            if (counts[shape] >= needed and len(shape) > 2) or _STAMP.match(line):
                found.append((start, end))
        running.append(found)
    return running
