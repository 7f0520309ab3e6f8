"""The timeline's public shape: what the CLI's --json, the API and the renderers share.

The field names of ``Timeline``, ``TimelineEntry`` and ``Silence`` are a contract with
the evidence-bundle exporter and API clients: fields may be added, never renamed.
Every datetime keeps the offset the item was written in. The build assembles plain data
in this shape, field order included, and writes the JSON from that (see ``build``);
these models validate it for the renderers and document it in the API.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from ..schemas import NotePublic

__all__ = [
    "ACTORS",
    "AttachmentRef",
    "Citation",
    "DatedFact",
    "DeadlineFact",
    "DeliveryEvidence",
    "InvoiceFact",
    "KeyFacts",
    "MentionRef",
    "ReplyRef",
    "Silence",
    "SourceRef",
    "ThreadSummary",
    "Timeline",
    "TimelineEntry",
    "TimelineFilters",
    "UndatedItem",
]

# us: the archive owner (``init --me``); client: the client's learned addresses;
# third_party: anyone else; document: a fact a document states (contract, invoice...);
# unknown: no sender or direction to go by.
Actor = Literal["us", "client", "third_party", "document", "unknown"]
ACTORS: tuple[str, ...] = ("us", "client", "third_party", "document", "unknown")


class SourceRef(BaseModel):
    """Where a lawyer finds the fact: the original file, its page, or its row."""

    filename: str | None
    page: int | None
    row: int | None = None


class AttachmentRef(BaseModel):
    item_id: int
    filename: str | None
    title: str


class MentionRef(BaseModel):
    """The words a date mention comes from."""

    label: str
    raw: str
    sentence: str
    page: int | None
    reason: str = ""  # why the date has its label, in words a reader can check


class TimelineEntry(BaseModel):
    """One dated fact: an item at its own date, or a date a document mentions."""

    id: str  # "item-42" or "mention-7"
    entry_type: Literal["item", "date_mention"]
    occurred_at: datetime
    precision: Literal["day", "minute"]
    date_source: str
    date_detail: str
    kind: str  # the item's kind, or the mention's label (deadline, effective, due...)
    actor: Actor
    title: str
    summary: str
    item_id: int
    source: SourceRef
    thread_id: int | None
    tags: list[str]
    notes: list[NotePublic]
    participants: list[str]  # "from: Dana Whitfield <dana@...>", in header order
    attachments: list[AttachmentRef]
    direction: str | None  # calls: incoming | outgoing | missed | unknown
    mention: MentionRef | None
    awaiting_reply: bool  # one of the unanswered contacts of a reported silence
    flagged: bool  # tagged or noted by a person


class UndatedItem(BaseModel):
    """An item with no date we would stand behind; ``date_hint`` is the best guess shown."""

    item_id: int
    kind: str
    actor: Actor
    title: str
    summary: str
    source: SourceRef
    date_hint: datetime | None
    date_source: str
    reason: str
    status: str
    tags: list[str]
    notes: list[NotePublic]


class Silence(BaseModel):
    """A stretch where one side waited for the other longer than the threshold."""

    start: datetime  # the first unanswered contact
    end: datetime | None  # the answer; None while the silence is still open
    open: bool
    days: float  # (end or clock) - start, in days, rounded to 1 decimal
    calendar_days: int  # whole calendar days between the two dates as written
    awaiting: Literal["client", "us"]
    unanswered: list[int]  # item ids of the contacts nobody answered, oldest first
    start_item_id: int
    end_item_id: int | None
    answered_in_thread: bool | None  # None when the answer is not an email (a call)
    measured_to: datetime  # ``end``, or the clock for an open silence


class ThreadSummary(BaseModel):
    thread_id: int  # the id of the thread's earliest email
    subject: str
    item_ids: list[int]
    count: int
    first_at: datetime | None
    last_at: datetime | None


class Citation(BaseModel):
    item_id: int
    title: str
    filename: str | None
    page: int | None
    sentence: str
    reason: str = ""  # why the date has its role there ("preamble", "computed: 5 years from ...")


class DatedFact(BaseModel):
    date: date
    citation: Citation
    other_citations: list[Citation]


class DeliveryEvidence(BaseModel):
    item_id: int
    occurred_at: datetime
    title: str
    days_from_deadline: int  # calendar days; positive = before the deadline
    reason: str  # why this counts as delivery evidence


class DeadlineFact(DatedFact):
    delivered_before: DeliveryEvidence | None
    delivered_after: DeliveryEvidence | None


class ReplyRef(BaseModel):
    item_id: int
    occurred_at: datetime
    title: str
    days: int  # calendar days after the event it replies to


class InvoiceFact(BaseModel):
    number: str | None
    item_id: int  # the invoice document, else the email that sent it
    title: str
    sent_at: datetime | None
    sent_item_id: int | None
    due_date: date | None
    due_citation: Citation | None
    invoice_date: date | None = None  # as the invoice states it ("Invoice date: 30 April 2024")
    amount: str | None = None  # a plain decimal, "27000.00"
    currency: str | None = None  # ISO 4217
    purchase_order: str | None = None
    first_reply_after_sent: ReplyRef | None
    first_reply_after_due: ReplyRef | None
    follow_ups: list[int]  # later messages from us about the same invoice (reminders...)
    payment_evidence_item_id: int | None
    status: Literal["payment_evidence", "overdue", "not_yet_due", "no_due_date"]
    note: str  # the status in words, evidence-based


class KeyFacts(BaseModel):
    """The facts a dispute turns on, each with its citation."""

    contract_effective: DatedFact | None
    contract_expiry: DatedFact | None  # when the term ends, stated or computed (the reason says which)
    deadlines: list[DeadlineFact]
    invoices: list[InvoiceFact]
    longest_silence: Silence | None
    median_response_hours: dict[str, float | None]  # {"us": ..., "client": ...}
    silence_threshold_days: int
    delivery_evidence: list[int]


class TimelineFilters(BaseModel):
    date_from: date | None
    date_to: date | None
    kinds: list[str]
    only_flagged: bool
    tags: list[str]


class Timeline(BaseModel):
    """A client's chronology with its silences, undated items and key facts."""

    client: str
    client_name: str
    generated_at: datetime  # also the clock open silences are measured to
    filters: TimelineFilters
    entries: list[TimelineEntry]
    silences: list[Silence]
    undated: list[UndatedItem]
    summary: KeyFacts
    threads: list[ThreadSummary]
    warnings: list[str]
