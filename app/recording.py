"""Turning one extracted ``Record`` into archive rows and its custody entry."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ingest.records import DatedValue, Kind, Record, Status

from .archive import UnitOfWork
from .blobs import BlobStore, StoredBlob
from .clients import UNASSIGNED, Router, ensure_client
from .models import DateMentionRow, DerivedFile, Item, PageRow, ParticipantRow

if TYPE_CHECKING:
    from .ingesting import IngestReport

__all__ = ["dated_fields", "record_item"]


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


def _client_id(
    uow: UnitOfWork, record: Record, client_slug: str | None, parent: Item | None, router: Router
) -> int:
    if client_slug:
        client, _ = ensure_client(uow.session, client_slug)
        assert client.id is not None
        if record.kind == Kind.EMAIL:
            learned = router.learn(client.id, (p.address for p in record.participants))
            if learned:
                uow.ledger.append(
                    actor=uow.actor, action="client-learned", item_id=None,
                    details={"client": client_slug, "addresses": learned},
                )
        return client.id
    if record.kind == Kind.EMAIL:
        routed = router.route(p.address for p in record.participants)
        if routed is not None:
            return routed
    if parent is not None and record.kind != Kind.EMAIL:
        return parent.client_id
    unassigned, _ = ensure_client(uow.session, UNASSIGNED)
    assert unassigned.id is not None
    return unassigned.id


def record_item(
    uow: UnitOfWork,
    record: Record,
    *,
    blob: StoredBlob | None,
    client_slug: str | None,
    parent: Item | None,
    router: Router,
    origin: str | None,
    report: IngestReport,
    blobs: BlobStore,
) -> Item:
    """Adds the item for ``record`` (not its children) with its custody entry; flushed."""
    session = uow.session
    page_count = record.facts.get("page_count") if record.facts else None
    item = Item(
        client_id=_client_id(uow, record, client_slug, parent, router),
        parent_id=parent.id if parent else None,
        kind=record.kind.value,
        title=(record.title or record.filename or "(untitled)")[:500],
        sha256=blob.sha256 if blob else None,
        size=blob.size if blob else None,
        original_filename=record.filename,
        content_type=record.content_type,
        text=record.text,
        message_id=record.message_id,
        in_reply_to=record.in_reply_to,
        email_references=" ".join(record.references),
        status=record.status.value,
        error=record.error,
        source_row=record.source_row,
        page_count=int(page_count) if isinstance(page_count, int) else (len(record.pages) or None),
        facts_json=json.dumps(dict(record.facts), default=str, ensure_ascii=False),
        other_dates_json=json.dumps(
            [
                {"at": d.at.isoformat(), "source": d.source.value, "detail": d.detail,
                 "precision": d.precision}
                for d in record.other_dates
            ]
        ),
        **dated_fields(record.occurred),
    )
    session.add(item)
    session.flush()
    assert item.id is not None
    for person in record.participants:
        session.add(
            ParticipantRow(item_id=item.id, role=person.role, address=person.address, name=person.name)
        )
    for page in record.pages:
        session.add(
            PageRow(
                item_id=item.id, number=page.number, text=page.text, method=page.method,
                confidence=page.confidence, engine=page.engine, error=page.error,
            )
        )
    for mention in record.date_mentions:
        session.add(
            DateMentionRow(
                item_id=item.id, mentioned_date=mention.value, raw=mention.raw,
                sentence=mention.sentence, label=mention.label, page=mention.page,
            )
        )
    for derived in record.derived:
        stored = blobs.put_bytes(derived.data)
        session.add(
            DerivedFile(
                item_id=item.id, role=derived.role, content_type=derived.content_type,
                sha256=stored.sha256, size=stored.size,
            )
        )
    details: dict[str, object] = {
        "kind": item.kind,
        "sha256": item.sha256,
        "size": item.size,
        "filename": item.original_filename,
        "client_id": item.client_id,
        "parent": item.parent_id,
        "status": item.status,
        "occurred_at": item.occurred_at.isoformat() if item.occurred_at else None,
        "date_source": item.date_source,
    }
    if origin:
        details["origin"] = origin
    if record.source_row is not None:
        details["row"] = record.source_row
    if record.derived:
        details["derived"] = [d.role for d in record.derived]
    uow.ledger.append(actor=uow.actor, action="ingest", item_id=item.id, details=details)
    report.stored += 1
    if record.status != Status.OK:
        if record.status == Status.FAILED:
            report.failed += 1
        report.problems.append(f"{record.filename or item.title}: {record.status.value}: {record.error}")
    return item
