"""Search as the service layer offers it: query, scoped results, and keeping the index in step."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel
from sqlmodel import col, select

from ..archive import Archive
from ..clients import get_client
from ..errors import ArchiveBusy, ClientNotFound, InvalidInput
from ..items import KINDS
from ..models import Client, Item, PageRow
from .backend import Hit, SearchBackend, SearchRequest
from .documents import (
    all_docs,
    changed_item_ids,
    docs_for_items,
    expected_docs,
    get_mark,
    ledger_head,
    set_mark,
)
from .querying import check_query
from .whoosh_index import WhooshIndex

__all__ = [
    "SearchHit",
    "SearchResponse",
    "backend_for",
    "matching_item_ids",
    "reindex",
    "search",
    "sync_index",
]

_sync_lock = threading.Lock()
MAX_PAGE_SIZE = 200
MAX_MATCHING = 100_000


class SearchHit(BaseModel):
    id: int
    client: str
    kind: str
    title: str
    occurred_at: datetime | None
    original_filename: str | None
    page: int | None
    snippet: str
    score: float


class SearchResponse(BaseModel):
    total: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]


def backend_for(archive: Archive) -> SearchBackend:
    """The archive's search index, opened on first use."""
    if archive.search is None:
        archive.search = WhooshIndex(archive.settings.index_dir)
    return archive.search


def sync_index(archive: Archive, *, wait: bool = True) -> int:
    """Indexes every item changed since the last sync; returns how many items it indexed.

    Runs after database commits (and at start-up, which heals a crash between a commit
    and its indexing): the ledger sequence number recorded beside the index says where
    the index stands. With ``wait=False`` (a search) it gives way at once to a writer
    already at work, an ingest's indexing say, instead of queueing behind it: the search
    answers from the index as it is, and the writer brings it up to date.
    """
    backend = backend_for(archive)
    if getattr(backend, "outdated", False):
        # the index predates this version's fields: rebuild it rather than patch it
        reindex(archive)
        return 0
    if getattr(backend, "fresh", False):
        # the index was missing or unreadable and starts empty: the database says what it held
        with archive.read() as session:
            indexed_before = get_mark(session) > 0
        backend.fresh = False
        if indexed_before:
            reindex(archive)
            return 0
    if not _sync_lock.acquire(blocking=wait):
        return 0
    try:
        with archive.read() as session:
            mark, head = get_mark(session), ledger_head(session)
            if head <= mark:
                return 0
            ids = changed_item_ids(session, mark, head)
            existing = set(session.exec(select(Item.id).where(col(Item.id).in_(ids))).all()) if ids else set()
            # remove first: an item re-indexed after re-assignment or tagging must not double
            backend.index(docs_for_items(session, sorted(existing)), remove_items=ids, wait=wait)
        with archive.write() as uow:
            set_mark(uow.session, head)
        return len(existing)
    finally:
        _sync_lock.release()


def try_sync_index(archive: Archive, *, wait: bool = True) -> str | None:
    """Like ``sync_index`` but a busy index is a message, not an error (it heals later)."""
    try:
        sync_index(archive, wait=wait)
    except ArchiveBusy as exc:
        return str(exc)
    return None


def reindex(archive: Archive, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuilds the index from the database; returns how many documents it holds.

    ``progress(done, total)`` is called as documents are indexed.
    """
    backend = backend_for(archive)
    with _sync_lock:
        with archive.read() as session:
            head = ledger_head(session)
            total = expected_docs(session)
            report = (lambda done: progress(done, total)) if progress else None
            count = backend.rebuild(all_docs(session), progress=report)
        with archive.write() as uow:
            set_mark(uow.session, head)
    return count


def _day_start(value: date) -> datetime:
    return datetime.combine(value, time(), tzinfo=UTC)


def _request(
    query: str,
    client: str | None,
    kind: str | None,
    date_from: date | None,
    date_to: date | None,
    page: int,
    page_size: int,
    within: Collection[str] | None = None,
) -> SearchRequest:
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"unknown kind '{kind}' (one of: {', '.join(KINDS)})")
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page must be 1 or more and limit 1-{MAX_PAGE_SIZE}")
    if date_from and date_to and date_to < date_from:
        raise InvalidInput("--to is before --from")
    return SearchRequest(
        query=check_query(query),
        client=client,
        clients=frozenset(within) if within is not None else None,
        kind=kind,
        date_from=_day_start(date_from) if date_from else None,
        date_to=_day_start(date_to + timedelta(days=1)) if date_to else None,
        page=page,
        page_size=page_size,
    )


def search(
    archive: Archive,
    *,
    query: str,
    client: str | None = None,
    kind: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 20,
    page: int = 1,
    within: Collection[str] | None = None,
) -> SearchResponse:
    """Ranked hits with snippets and facets; a client scope never returns another client's items.

    ``within`` limits hits, totals and facets to those clients (a client outside it is unknown).
    """
    request = _request(query, client, kind, date_from, date_to, page, limit, within)
    with archive.read() as session:
        if client:
            if within is not None and client not in within:
                raise ClientNotFound(client)  # as unknown as one that does not exist
            get_client(session, client)  # an unknown client is an error, not an empty result
    try_sync_index(archive, wait=False)  # a busy indexer is not waited for: it catches up itself
    with archive.read() as session:

        def texts_of(hits: list[Hit]) -> dict[str, str]:
            # two queries for a page of hits, not one per hit
            texts: dict[str, str] = {}
            paged = [h for h in hits if h.page is not None]
            whole = [h.item_id for h in hits if h.page is None]
            if paged:
                rows = session.exec(
                    select(PageRow.item_id, PageRow.number, PageRow.text).where(
                        col(PageRow.item_id).in_({h.item_id for h in paged})
                    )
                ).all()
                texts.update({f"{item_id}:{number}": text for item_id, number, text in rows})
            if whole:
                rows = session.exec(select(Item.id, Item.text).where(col(Item.id).in_(whole))).all()
                texts.update({str(item_id): text for item_id, text in rows})
            return texts

        result = backend_for(archive).search(request, texts_of)
        ids = [h.item_id for h in result.hits]
        items = {i.id: i for i in session.exec(select(Item).where(col(Item.id).in_(ids))).all()} if ids else {}
        slugs = dict(session.exec(select(Client.id, Client.slug)).all())
        hits = [
            SearchHit(
                id=h.item_id,
                client=slugs[items[h.item_id].client_id],
                kind=items[h.item_id].kind,
                title=items[h.item_id].title,
                occurred_at=items[h.item_id].occurred_at,
                original_filename=items[h.item_id].original_filename,
                page=h.page,
                snippet=h.snippet,
                score=h.score,
            )
            for h in result.hits
            if h.item_id in items
        ]
    return SearchResponse(total=result.total, hits=hits, facets=result.facets)


def matching_item_ids(archive: Archive, *, query: str, client: str) -> set[int]:
    """Every item of ``client`` the query matches (for exports of a query's results)."""
    found: set[int] = set()
    page = 1
    while len(found) < MAX_MATCHING:
        response = search(archive, query=query, client=client, limit=MAX_PAGE_SIZE, page=page)
        found.update(h.id for h in response.hits)
        if page * MAX_PAGE_SIZE >= response.total or not response.hits:
            break
        page += 1
    return found
