"""Turning one extracted ``Record`` into archive rows and its custody entry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, update

from ingest.records import DatedValue, Kind, Record, Status

from .archive import UnitOfWork
from .blobs import BlobStore, StoredBlob
from .clients import UNASSIGNED, Router
from .itemstate import STATE, new_item_state
from .labels import item_labels
from .models import DateMentionRow, DerivedFile, Item, ItemLabel, PageRow, ParticipantRow, utc_now
from .timeline.digest import SUMMARY_CHARS, WORDS_CHARS, digest

if TYPE_CHECKING:
    from .ingesting import IngestReport

__all__ = ["StoredItem", "dated_fields", "record_item"]


def dated_fields(value: DatedValue | None) -> dict[str, object]:
    """The Item columns that hold an instant, its original offset and its provenance."""
    if value is None:
        return {
            "occurred_at_utc": None,
            "occurred_offset_min": None,
            "date_source": "none",
            "date_detail": "",
            "date_precision": None,
        }
    offset = value.at.utcoffset()
    return {
        "occurred_at_utc": value.at,
        "occurred_offset_min": int(offset.total_seconds() // 60) if offset is not None else 0,
        "date_source": value.source.value,
        "date_detail": value.detail,
        "date_precision": value.precision,
    }


_INSERT_ITEM = insert(Item.__table__)  # type: ignore[arg-type]


@dataclass(frozen=True)
class StoredItem:
    """What callers need of an item just written: its id, client and kind."""

    id: int
    client_id: int
    kind: str


_LEARNED_ROLES = frozenset({"from", "to"})


def _client_id(
    uow: UnitOfWork, record: Record, client_slug: str | None, parent: StoredItem | None, router: Router
) -> int:
    if client_slug:
        client_id = router.client_id(client_slug)
        if record.kind == Kind.EMAIL:
            # From and To only: whoever is copied in (an accountant, a lawyer, a colleague
            # of ours elsewhere) is often a third party who writes about other clients too.
            learned = router.learn(client_id, (p.address for p in record.participants if p.role in _LEARNED_ROLES))
            if learned:
                uow.ledger.append(
                    actor=uow.actor, action="client-learned", item_id=None,
                    details={"client": client_slug, "addresses": learned},
                )
        return client_id
    if record.kind == Kind.EMAIL:
        routed = router.route(p.address for p in record.participants)
        if routed is not None:
            return routed
    if parent is not None and record.kind != Kind.EMAIL:
        return parent.client_id
    return router.client_id(UNASSIGNED)


def _digest(record: Record) -> dict[str, Any]:
    found = digest(record.kind.value, record.text[: max(WORDS_CHARS, 2 * SUMMARY_CHARS)])
    return {"summary": found.summary, "text_hints": found.hints}


def _item_values(record: Record, blob: StoredBlob | None, client_id: int, parent: StoredItem | None) -> dict[str, Any]:
    page_count = record.facts.get("page_count") if record.facts else None
    return {
        "client_id": client_id,
        "parent_id": parent.id if parent else None,
        "kind": record.kind.value,
        "title": (record.title or record.filename or "(untitled)")[:500],
        "ingested_at_utc": utc_now(),
        "sha256": blob.sha256 if blob else None,
        "size": blob.size if blob else None,
        "original_filename": record.filename,
        "content_type": record.content_type,
        "text": record.text,
        "message_id": record.message_id,
        "in_reply_to": record.in_reply_to,
        "email_references": " ".join(record.references),
        "status": record.status.value,
        "error": record.error,
        "source_row": record.source_row,
        "page_count": int(page_count) if isinstance(page_count, int) else (len(record.pages) or None),
        "facts_json": json.dumps(dict(record.facts), default=str, ensure_ascii=False),
        **_digest(record),
        "other_dates_json": json.dumps(
            [
                {"at": d.at.isoformat(), "source": d.source.value, "detail": d.detail,
                 "precision": d.precision}
                for d in record.other_dates
            ]
        ),
        **dated_fields(record.occurred),
    }


def record_item(
    uow: UnitOfWork,
    record: Record,
    *,
    blob: StoredBlob | None,
    client_slug: str | None,
    parent: StoredItem | None,
    router: Router,
    origin: str | None,
    report: IngestReport,
    blobs: BlobStore,
    received: int | None = None,
    ingest_state: str = "complete",
) -> StoredItem:
    """Writes the item for ``record`` (not its children) with its custody entry.

    ``received`` is the id of the item recorded when its bytes arrived (an upload): that
    row is filled in, keeping the time of arrival, instead of a new one being added.
    """
    values = _item_values(record, blob, _client_id(uow, record, client_slug, parent, router), parent)
    values["ingest_state"] = ingest_state
    if received is None:
        # A prepared Core insert, not the ORM: this runs for every mailbox message and
        # attachment, and a statement built once is compiled once.
        item_id = uow.session.connection().execute(_INSERT_ITEM, values).inserted_primary_key[0]
    else:
        item_id = received
        del values["ingested_at_utc"]
        uow.session.connection().execute(
            update(Item.__table__).where(Item.__table__.c.id == received).values(**values)  # type: ignore[arg-type]
        )
    participants = [
        {"item_id": item_id, "role": p.role, "address": p.address, "name": p.name}
        for p in record.participants
    ]
    uow.add_rows(ParticipantRow, participants)
    labels = item_labels(record.facts)
    uow.add_rows(ItemLabel, [{"item_id": item_id, "label": label} for label in labels])
    pages = [
        {"item_id": item_id, "number": page.number, "text": page.text, "method": page.method,
         "confidence": page.confidence, "engine": page.engine, "error": page.error}
        for page in record.pages
    ]
    uow.add_rows(PageRow, pages)
    uow.add_rows(DateMentionRow, [
        {"item_id": item_id, "mentioned_date": m.value, "raw": m.raw, "sentence": m.sentence,
         "label": m.label, "page": m.page, "reason": m.reason}
        for m in record.date_mentions
    ])
    derived_rows = []
    for derived in record.derived:
        stored = blobs.put_bytes(derived.data)
        derived_rows.append(
            {"item_id": item_id, "role": derived.role, "content_type": derived.content_type,
             "sha256": stored.sha256, "size": stored.size, "created_at_utc": utc_now()}
        )
    uow.add_rows(DerivedFile, derived_rows)
    occurred = record.occurred
    details: dict[str, object] = {
        "kind": values["kind"],
        "sha256": values["sha256"],
        "size": values["size"],
        "filename": values["original_filename"],
        "client_id": values["client_id"],
        "parent": values["parent_id"],
        "status": values["status"],
        "occurred_at": occurred.at.isoformat() if occurred else None,
        "date_source": values["date_source"],
    }
    if origin:
        details["origin"] = origin
    if record.source_row is not None:
        details["row"] = record.source_row
    if record.derived:
        details["derived"] = [d.role for d in record.derived]
    if labels:
        details["labels"] = labels
    details[STATE] = new_item_state(values, participants, pages, uow.session if received is not None else None,
                                    item_id)
    uow.ledger.append(actor=uow.actor, action="ingest", item_id=item_id, details=details)
    report.stored += 1
    if record.status != Status.OK:
        if record.status == Status.FAILED:
            report.failed += 1
        report.problems.append(f"{record.filename or values['title']}: {record.status.value}: {record.error}")
    return StoredItem(id=item_id, client_id=values["client_id"], kind=values["kind"])
