"""The narrow interface between the service layer and a full-text engine.

The service layer speaks only these types, so a server-grade engine can replace the
embedded Whoosh index for large deployments without touching its callers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

__all__ = ["Hit", "IndexDoc", "SearchBackend", "SearchRequest", "SearchResult"]


@dataclass(frozen=True)
class IndexDoc:
    """One searchable unit: a whole item, or one page of a multi-page document."""

    doc_id: str
    item_id: int
    page: int | None
    client: str
    kind: str
    title: str
    body: str
    senders: str  # names and addresses, space-separated
    recipients: str
    correspondents: tuple[str, ...]  # addresses, for facets
    filename: str
    tags: tuple[str, ...]
    occurred_at: datetime | None
    thread_id: str
    labels: tuple[str, ...] = ()  # as the item's source had them (Gmail's X-Gmail-Labels)


@dataclass(frozen=True)
class SearchRequest:
    """A query and its scope: ``client`` one client; ``clients`` a set of them (``None``: no limit, empty: none)."""

    query: str
    client: str | None = None
    clients: frozenset[str] | None = None
    kind: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True)
class Hit:
    item_id: int
    page: int | None
    score: float
    snippet_source: str  # which doc matched, so the caller can fetch text for the snippet
    snippet: str = ""


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class SearchBackend(Protocol):
    """What Casefile needs of a search engine."""

    def index(self, docs: Iterable[IndexDoc], remove_items: Sequence[int] = (), *, wait: bool = True) -> int:
        """Adds or replaces docs (and drops every doc of ``remove_items`` first); returns count.

        ``wait=False``: ``ArchiveBusy`` at once if another writer holds the index."""
        ...

    def search(self, request: SearchRequest, texts_of: Callable[[list[Hit]], dict[str, str]]) -> SearchResult:
        """Ranked hits with snippets (``texts_of`` gives the hits' texts by doc id) and facets."""
        ...

    def rebuild(self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None) -> int:
        """Replaces the whole index with ``docs``; returns how many were indexed."""
        ...

    def health(self) -> dict[str, object]:
        """Whether the index opens, and how many docs it holds."""
        ...

    def close(self) -> None: ...
