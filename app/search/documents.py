"""From archive rows to index documents, and which items changed since the last sync.

The database is the source of truth; the index is derived from it. The custody ledger
is the change feed: every ingest, re-assignment or tag is an entry naming its item, so
"entries after the last indexed sequence number" is exactly what the index lacks.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from .. import models
from ..labels import labels_by_item
from ..models import Client, Item, LedgerEntry, Meta, PageRow, ParticipantRow
from .backend import IndexDoc

__all__ = [
    "INDEX_MARK",
    "all_docs",
    "changed_item_ids",
    "expected_docs",
    "docs_for_items",
    "get_mark",
    "ledger_head",
    "set_mark",
]

INDEX_MARK = "search_indexed_seq"


def ledger_head(session: Session) -> int:
    return session.exec(select(func.max(LedgerEntry.seq))).one() or 0


def get_mark(session: Session) -> int:
    meta = session.get(Meta, INDEX_MARK)
    return int(meta.value) if meta else 0


def set_mark(session: Session, seq: int) -> None:
    """Records that the index reflects the ledger up to ``seq`` (never moves backwards)."""
    meta = session.get(Meta, INDEX_MARK)
    if meta is None:
        session.add(Meta(key=INDEX_MARK, value=str(seq)))
    elif int(meta.value) < seq:
        meta.value = str(seq)
        session.add(meta)


def expected_docs(session: Session) -> int:
    """How many index documents the archive makes: one per page, or one per item without pages."""
    pages = session.exec(select(func.count()).select_from(PageRow)).one()
    paged_items = session.exec(select(func.count(func.distinct(PageRow.item_id)))).one()
    items = session.exec(select(func.count()).select_from(Item)).one()
    return items - paged_items + pages


# entries naming an item without changing anything a search reads (a lawyer was shown it)
_UNCHANGED = frozenset({"disclosed"})


def changed_item_ids(session: Session, after: int, upto: int) -> list[int]:
    """Items touched by ledger entries in (after, upto], including re-assigned families."""
    ids: set[int] = set()
    rows = session.exec(
        select(LedgerEntry.item_id, LedgerEntry.action, LedgerEntry.details)
        .where(LedgerEntry.seq > after, LedgerEntry.seq <= upto)
        .order_by(col(LedgerEntry.seq))
    ).all()
    for item_id, action, details in rows:
        if item_id is not None and action not in _UNCHANGED:
            ids.add(item_id)
        if action == "assign":
            ids.update(json.loads(details).get("items", []))
    return sorted(ids)


def _tags_by_item(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    tag_model = getattr(models, "ItemTag", None)  # tags arrive with the timeline feature
    tags: dict[int, list[str]] = defaultdict(list)
    if tag_model is None or not ids:
        return tags
    for item_id, tag in session.exec(
        select(tag_model.item_id, tag_model.tag).where(col(tag_model.item_id).in_(ids))
    ).all():
        tags[item_id].append(tag)
    return tags


def _thread_id(item: Item) -> str:
    references = item.email_references.split()
    return (references[0] if references else None) or item.in_reply_to or item.message_id or ""


def docs_for_items(session: Session, ids: Sequence[int], batch: int = 500) -> Iterator[IndexDoc]:
    """Index documents for these items: one per item, or one per page when it has pages."""
    slugs = dict(session.exec(select(Client.id, Client.slug)).all())
    for start in range(0, len(ids), batch):
        chunk = list(ids[start : start + batch])
        yield from _docs_for_chunk(session, chunk, slugs)


def all_docs(session: Session, batch: int = 500) -> Iterator[IndexDoc]:
    """Every item's documents, streamed in id order (for a rebuild)."""
    last = 0
    slugs = dict(session.exec(select(Client.id, Client.slug)).all())
    while True:
        chunk = list(session.exec(select(Item.id).where(col(Item.id) > last).order_by(col(Item.id)).limit(batch)).all())
        if not chunk:
            return
        yield from _docs_for_chunk(session, chunk, slugs)
        session.expunge_all()  # keep memory flat over a whole archive
        last = chunk[-1]


def _docs_for_chunk(session: Session, chunk: list[int], slugs: dict[int, str]) -> Iterable[IndexDoc]:
    items = session.exec(select(Item).where(col(Item.id).in_(chunk)).order_by(col(Item.id))).all()
    people: dict[int, list[ParticipantRow]] = defaultdict(list)
    for row in session.exec(select(ParticipantRow).where(col(ParticipantRow.item_id).in_(chunk))).all():
        people[row.item_id].append(row)
    pages: dict[int, list[PageRow]] = defaultdict(list)
    for row in session.exec(select(PageRow).where(col(PageRow.item_id).in_(chunk)).order_by(col(PageRow.number))).all():
        pages[row.item_id].append(row)
    tags = _tags_by_item(session, chunk)
    labels = labels_by_item(session, chunk)
    docs: list[IndexDoc] = []
    for item in items:
        assert item.id is not None
        who = people[item.id]
        senders = " ".join(f"{p.name} {p.address}" for p in who if p.role == "from")
        recipients = " ".join(f"{p.name} {p.address}" for p in who if p.role != "from")
        base = {
            "item_id": item.id,
            "client": slugs.get(item.client_id, ""),
            "kind": item.kind,
            "title": item.title,
            "senders": senders,
            "recipients": recipients,
            "correspondents": tuple(sorted({p.address for p in who if p.address})),
            "filename": item.original_filename or "",
            "tags": tuple(tags[item.id]),
            "occurred_at": item.occurred_at_utc,
            "thread_id": _thread_id(item),
            "labels": tuple(labels[item.id]),
        }
        if pages[item.id]:
            for page in pages[item.id]:
                docs.append(IndexDoc(doc_id=f"{item.id}:{page.number}", page=page.number, body=page.text, **base))
        else:
            docs.append(IndexDoc(doc_id=str(item.id), page=None, body=item.text, **base))
    return docs
