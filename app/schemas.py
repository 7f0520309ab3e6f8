"""Public shapes: what the CLI's --json and the API return. Never a raw table row."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from .models import DateMentionRow, DerivedFile, Item, ItemNote, LedgerEntry, PageRow, ParticipantRow

__all__ = [
    "ClientPublic",
    "DateMentionPublic",
    "DerivedPublic",
    "ItemAnnotations",
    "ItemDetail",
    "ItemList",
    "ItemPublic",
    "LedgerEntryPublic",
    "NotePublic",
    "PagePublic",
    "ParticipantPublic",
]


class ParticipantPublic(BaseModel):
    role: str
    address: str
    name: str

    @classmethod
    def of(cls, row: ParticipantRow) -> ParticipantPublic:
        return cls(role=row.role, address=row.address, name=row.name)


class ItemPublic(BaseModel):
    """An item without its text: what lists show."""

    id: int
    client: str
    parent_id: int | None
    kind: str
    title: str
    occurred_at: datetime | None
    date_source: str
    date_detail: str
    date_precision: str | None
    ingested_at: datetime
    sha256: str | None
    size: int | None
    original_filename: str | None
    content_type: str
    status: str
    error: str | None
    ingest_state: str  # complete, or how far reading got (receiving, extracting, failed)
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    source_row: int | None
    page_count: int | None
    participants: list[ParticipantPublic]
    labels: list[str] = []  # as the item's source had them (Gmail's X-Gmail-Labels)

    @classmethod
    def of(cls, item: Item, client: str, participants: list[ParticipantRow],
           labels: Sequence[str] = ()) -> ItemPublic:
        assert item.id is not None
        return cls(
            id=item.id,
            client=client,
            parent_id=item.parent_id,
            kind=item.kind,
            title=item.title,
            occurred_at=item.occurred_at,
            date_source=item.date_source,
            date_detail=item.date_detail,
            date_precision=item.date_precision,
            ingested_at=item.ingested_at_utc,
            sha256=item.sha256,
            size=item.size,
            original_filename=item.original_filename,
            content_type=item.content_type,
            status=item.status,
            error=item.error,
            ingest_state=item.ingest_state,
            message_id=item.message_id,
            in_reply_to=item.in_reply_to,
            references=item.email_references.split(),
            source_row=item.source_row,
            page_count=item.page_count,
            participants=[ParticipantPublic.of(p) for p in participants],
            labels=list(labels),
        )


class LedgerEntryPublic(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    item_id: int | None
    details: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, row: LedgerEntry) -> LedgerEntryPublic:
        return cls(
            seq=row.seq, at=row.at, actor=row.actor, action=row.action, item_id=row.item_id,
            details=json.loads(row.details), prev_hash=row.prev_hash, hash=row.hash,
        )


class PagePublic(BaseModel):
    number: int
    text: str
    method: str
    confidence: float | None
    engine: str | None
    error: str | None

    @classmethod
    def of(cls, row: PageRow) -> PagePublic:
        return cls(
            number=row.number, text=row.text, method=row.method, confidence=row.confidence,
            engine=row.engine, error=row.error,
        )


class DateMentionPublic(BaseModel):
    date: date
    raw: str
    sentence: str
    label: str
    page: int | None
    reason: str  # why it has its label ("preamble", "another document's date", "computed: ...")

    @classmethod
    def of(cls, row: DateMentionRow) -> DateMentionPublic:
        return cls(
            date=row.mentioned_date, raw=row.raw, sentence=row.sentence, label=row.label,
            page=row.page, reason=row.reason,
        )


class DerivedPublic(BaseModel):
    role: str
    content_type: str
    sha256: str
    size: int

    @classmethod
    def of(cls, row: DerivedFile) -> DerivedPublic:
        return cls(role=row.role, content_type=row.content_type, sha256=row.sha256, size=row.size)


class NotePublic(BaseModel):
    """A remark a person added to an item."""

    id: int
    text: str
    created_at: datetime
    actor: str

    @classmethod
    def of(cls, row: ItemNote) -> NotePublic:
        assert row.id is not None
        return cls(id=row.id, text=row.text, created_at=row.created_at_utc, actor=row.actor)


class ItemAnnotations(BaseModel):
    """An item's tags and notes, as a person added them."""

    item_id: int
    tags: list[str]
    notes: list[NotePublic]


class ItemDetail(ItemPublic):
    """One item in full: text, children, pages, date mentions and custody history."""

    text: str
    facts: dict[str, Any]
    other_dates: list[dict[str, Any]]
    children: list[ItemPublic]
    pages: list[PagePublic]
    date_mentions: list[DateMentionPublic]
    derived: list[DerivedPublic]
    ledger: list[LedgerEntryPublic]
    tags: list[str] = []
    notes: list[NotePublic] = []


class ItemList(BaseModel):
    total: int
    items: list[ItemPublic]


class ClientPublic(BaseModel):
    slug: str
    name: str
    created_at: datetime
    item_count: int
    addresses: list[str]
