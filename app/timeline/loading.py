"""Reading one client's evidence for the timeline in a handful of set-based queries.

A timeline of 20,000 items must assemble in well under a second, so nothing here runs a
query per item: items, participants, date mentions, tags, notes and the client's
addresses are each one statement joined on the client, and rows are read as plain
tuples (no ORM objects) into small slotted records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from ..clients import Identity, get_client, load_identity
from .digest import PAYMENT_WORDS, WORDS_CHARS, own_words

__all__ = ["ClientData", "ItemFacts", "MentionFacts", "load_client", "offset_zone"]

# The timeline never reads an item's text: its one-line summary and what its sender's
# own words announce were worked out when it was stored (``digest``). Only documents are
# searched for an invoice number, in the first ``HEAD_CHARS`` of their text; only calls
# and notes have facts the timeline reads (direction, duration, "recorded as a meeting"),
# and invoices (their stated date, amount and PO, read at ingest), and emails from a Gmail
# Takeout (their thread id).
HEAD_CHARS = 1000

# Repeated values come back as flags or NULL where only one value matters: a string per
# row for "application/mbox" or "ok" is 20,000 allocations for nothing.
_ITEMS = text(
    "SELECT id, parent_id, kind, title, occurred_at_utc, coalesce(occurred_offset_min, 0), date_source,"
    " coalesce(date_detail, ''), date_precision = 'day', original_filename, content_type = 'application/mbox',"
    " message_id, in_reply_to, coalesce(email_references, ''), nullif(status, 'ok'), source_row,"
    " CASE WHEN kind IN ('call', 'note') OR (kind IN ('document', 'attachment') AND facts_json LIKE '%\"invoice\\_%'"
    " ESCAPE '\\') OR (kind = 'email' AND facts_json LIKE '%\"gmail\\_thread\\_id\"%' ESCAPE '\\')"
    " THEN nullif(facts_json, '') END,"
    " CASE WHEN kind IN ('document', 'attachment') THEN coalesce(substr(text, 1, :head), '') ELSE '' END,"
    " summary, text_hints FROM item WHERE client_id = :client ORDER BY id"
)
# the own words of the few emails whose digest says they speak of a payment (for the number)
_PAYING_EMAILS = text(
    "SELECT id, substr(text, 1, :words) FROM item WHERE client_id = :client AND kind = 'email'"
    " AND text_hints & :flag != 0"
)
_PARTICIPANTS = text(
    "SELECT p.item_id, p.role, lower(coalesce(p.address, '')), coalesce(p.name, '') FROM participant p"
    " JOIN item i ON i.id = p.item_id WHERE i.client_id = :client ORDER BY p.item_id, p.id"
)
_MENTIONS = text(
    "SELECT m.id, m.item_id, m.mentioned_date, m.raw, m.sentence, m.label, m.page, m.reason"
    " FROM date_mention m JOIN item i ON i.id = m.item_id WHERE i.client_id = :client"
    " ORDER BY m.id"
)
_TAGS = text(
    "SELECT t.item_id, t.tag FROM item_tag t JOIN item i ON i.id = t.item_id"
    " WHERE i.client_id = :client ORDER BY t.tag"
)
_NOTES = text(
    "SELECT n.id, n.item_id, n.text, n.created_at_utc, n.actor FROM item_note n"
    " JOIN item i ON i.id = n.item_id WHERE i.client_id = :client ORDER BY n.id"
)
_ADDRESSES = text("SELECT value, kind FROM clientaddress WHERE client_id = :client")

_ZONES: dict[int, timezone] = {}


def offset_zone(minutes: int) -> timezone:
    """A fixed-offset zone for ``minutes`` east of UTC (shared, not rebuilt per item)."""
    zone = _ZONES.get(minutes)
    if zone is None:
        zone = _ZONES[minutes] = timezone(timedelta(minutes=minutes))
    return zone


def _utc(value: Any) -> datetime | None:
    # SQLite hands raw text back for a text() query; other databases give datetimes.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _day(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


@dataclass(slots=True)
class MentionFacts:
    id: int
    item_id: int
    value: date
    raw: str
    sentence: str
    label: str
    page: int | None
    reason: str = ""


@dataclass(slots=True)
class ItemFacts:
    """What the timeline needs of one item (never its whole text)."""

    id: int
    parent_id: int | None
    kind: str
    title: str
    at_utc: datetime | None
    offset_min: int
    date_source: str
    date_detail: str
    by_day: bool  # the date is known to the day only (no time of day)
    filename: str | None
    mailbox: bool  # an application/mbox file: only its messages are events
    message_id: str | None
    in_reply_to: str | None
    references: str
    status: str
    source_row: int | None
    facts_json: str
    head: str  # the start of a document's text ('' for other kinds)
    summary: str
    hints: int  # digest.DELIVERY_WORDS | digest.PAYMENT_WORDS
    occurred_at: datetime | None = None  # the instant in the offset it was written in
    # Shared empty tuples until rows arrive: most items have no tags, notes or mentions,
    # and 20,000 items times five empty lists is measurable.
    participants: Sequence[tuple[str, str, str]] = ()  # role, address, name
    mentions: Sequence[MentionFacts] = ()
    tags: Sequence[str] = ()
    notes: Sequence[dict[str, Any]] = ()  # the fields of ``NotePublic``, in order
    children: Sequence[int] = ()
    sender: str = ""  # the first ``from`` address, if any
    own_words: str = ""  # loaded only for emails that speak of a payment

    def addresses(self, *roles: str) -> list[str]:
        return [address for role, address, _ in self.participants if role in roles and address]


@dataclass
class ClientData:
    """One client's items (by id, in id order) and who is who."""

    slug: str
    name: str
    items: dict[int, ItemFacts]
    identity: Identity
    client_addresses: frozenset[str]
    client_domains: frozenset[str]


def load_client(session: Session, slug: str) -> ClientData:
    """Everything the timeline of ``slug`` is built from; ``ClientNotFound`` if unknown."""
    client = get_client(session, slug)
    conn = session.connection()
    params = {"client": client.id}
    items: dict[int, ItemFacts] = {}
    record = ItemFacts
    for (item_id, parent_id, kind, title, at, offset, date_source, date_detail, by_day, filename, mailbox,
         message_id, in_reply_to, references, status, source_row, facts_json, head, summary, hints) in conn.execute(
            _ITEMS, {**params, "head": HEAD_CHARS}).all():
        # one conversion per row, inlined: this loop runs once per item
        if at is None:
            local = None
        else:
            if isinstance(at, str):
                at = datetime.fromisoformat(at)
            at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
            local = at.astimezone(_ZONES.get(offset) or offset_zone(offset))
        items[item_id] = record(
            item_id, parent_id, kind, title, at, offset, date_source, date_detail, bool(by_day), filename,
            bool(mailbox), message_id, in_reply_to, references, status or "ok", source_row, facts_json or "{}", head,
            summary, hints, local,
        )
    for item_id, start in conn.execute(
            _PAYING_EMAILS, {**params, "words": WORDS_CHARS, "flag": PAYMENT_WORDS}).all():
        items[item_id].own_words = own_words(start or "")
    children: dict[int, list[int]] = defaultdict(list)
    for item in items.values():
        if item.parent_id in items:
            children[item.parent_id].append(item.id)
    for item_id, kids in children.items():
        items[item_id].children = kids
    people: dict[int, list[tuple[str, str, str]]] = {}
    for row in conn.execute(_PARTICIPANTS, params).all():
        found = people.get(row[0])
        if found is None:
            people[row[0]] = [row[1:]]
        else:
            found.append(row[1:])
    for item_id, rows in people.items():
        item = items[item_id]
        item.participants = rows
        for role, address, _ in rows:
            if role == "from" and address:
                item.sender = address
                break
    mentions: dict[int, list[MentionFacts]] = defaultdict(list)
    for row in conn.execute(_MENTIONS, params).all():
        mentions[row[1]].append(
            MentionFacts(row[0], row[1], _day(row[2]), row[3], row[4], row[5] or "date", row[6], row[7] or "")
        )
    for item_id, found_mentions in mentions.items():
        items[item_id].mentions = found_mentions
    tags: dict[int, list[str]] = defaultdict(list)
    for item_id, tag in conn.execute(_TAGS, params).all():
        tags[item_id].append(tag)
    for item_id, names in tags.items():
        items[item_id].tags = names
    notes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for note_id, item_id, body, created, actor in conn.execute(_NOTES, params).all():
        notes[item_id].append({"id": note_id, "text": body, "created_at": _utc(created), "actor": actor})
    for item_id, written in notes.items():
        items[item_id].notes = written
    addresses: dict[str, set[str]] = defaultdict(set)
    for value, kind in conn.execute(_ADDRESSES, params).all():
        addresses[kind].add(value.lower())
    return ClientData(
        slug=client.slug,
        name=client.name,
        items=items,
        identity=load_identity(session),
        client_addresses=frozenset(addresses["address"]),
        client_domains=frozenset(addresses["domain"]),
    )
