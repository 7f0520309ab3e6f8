"""Assembling a client's timeline: entries, threads, silences, undated items, key facts.

Which items are placed on the timeline, and at what date:

- An item is placed at its own ``occurred_at`` when that date has a source we would stand
  behind in front of a lawyer: a person (``user``), an email header, front matter, the
  document's own text, or its file name. Everything else goes to ``undated`` with its
  best-known date as a hint and the reason, never at its ingest time. That includes a
  non-email document dated only by its metadata: a PDF's /CreationDate or a photo's
  EXIF says when the file was produced or saved, which is rarely the event (a scan made
  in July of a contract signed in January). For an email the client's own submit time
  (Outlook's metadata) is the sending time, so it is trusted.
- A container that only holds members (a mailbox, a call-log CSV) is not an event; its
  members are. An attachment appears under its email (it was sent when the email was);
  the dates it mentions (an invoice's due date) are entries of their own.
- Every date a document mentions is an entry (deadline, effective, due, signed, date),
  citing the document, page and sentence; the same date with the same label twice in
  one document is one entry. A ``signed``/``date`` mention that is the document's own
  date is folded into the document's entry (which then cites its page).

Filters choose which entries and undated items are listed. Silences and key facts are
always computed from every contact of the client (a date filter must not make a silence
look shorter); silences are then limited to those overlapping the date range.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from ..archive import Archive
from ..errors import InvalidInput
from ..items import KINDS
from ..models import utc_now
from ..tags import validate_tag
from .actors import Contact, Parties, call_facts
from .keyfacts import key_facts
from .loading import ClientData, ItemFacts, load_client
from .schemas import Silence, Timeline
from .silences import find_silences
from .threads import build_threads
from .wording import LABEL_WORDS, long_date, one_line

__all__ = ["ENTRY_KINDS", "TRUSTED_SOURCES", "build_timeline"]

TRUSTED_SOURCES = frozenset({"user", "email_header", "front_matter", "document_text", "filename"})
ENTRY_KINDS = (*KINDS, *LABEL_WORDS, "item", "date_mention")
# "Hi Dana," says nothing a one-line summary needs
_GREETINGS = ("hi", "hell", "hey", "dear", "good")
_SUMMARY_CHARS = 200
_GREETING = re.compile(r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon))\b[^\n]{0,80}[,!]?[ \t]*\n", re.I)
_UNTRUSTED_REASONS = {
    "none": "no date found in it",
    "file_mtime": "only the file's modification time, which changes whenever a file is copied",
    "document_metadata": "only the file's own metadata (e.g. a PDF's creation date): "
    "when the file was produced, not when anything happened",
}


def _is_container(item: ItemFacts, items: dict[int, ItemFacts]) -> bool:
    if item.content_type == "application/mbox":
        return True
    return (
        item.kind in ("document", "attachment")
        and bool(item.children)
        and all(items[c].kind != "attachment" for c in item.children)
    )


def _trusted(item: ItemFacts) -> bool:
    if item.at_utc is None:
        return False
    return item.date_source in TRUSTED_SOURCES or (item.kind == "email" and item.date_source == "document_metadata")


def _summary(item: ItemFacts) -> str:
    # a summary shows ~200 characters: looking further for the quoted part is wasted work
    if item.kind != "email":
        return one_line(item.head, _SUMMARY_CHARS)
    words = item.words()
    if words.lstrip()[:4].lower().startswith(_GREETINGS):
        words = _GREETING.sub("", words, count=1)
    return one_line(words, _SUMMARY_CHARS)


def _source(item: ItemFacts, page: int | None = None) -> dict[str, Any]:
    return {"filename": item.filename, "page": page, "row": item.source_row}


class _Builder:
    """Turns loaded items into entry payloads (plain dicts, validated once at the end)."""

    def __init__(self, data: ClientData, zone: ZoneInfo) -> None:
        self.data = data
        self.zone = zone
        self.parties = Parties(data)
        emails = [i for i in data.items.values() if i.kind == "email"]
        self.thread_of, self.threads = build_threads(emails)
        self.actors: dict[int, str] = {}
        self.calls: dict[int, tuple[str, int | None]] = {}
        for item in data.items.values():
            direction = None
            if item.kind == "call":
                self.calls[item.id] = call_facts(item)
                direction = self.calls[item.id][0]
            self.actors[item.id] = self.parties.actor(item, direction)

    def contacts(self) -> list[Contact]:
        """Every message or call between us and the client (see ``actors``)."""
        found: list[Contact] = []
        for item in self.data.items.values():
            direction, seconds = self.calls.get(item.id, (None, None))
            contact = self.parties.contact(item, self.actors[item.id], self.thread_of.get(item.id), direction, seconds)
            if contact is not None:
                found.append(contact)
        return found

    def _common(self, item: ItemFacts) -> dict[str, Any]:
        return {"item_id": item.id, "tags": item.tags, "notes": item.notes, "flagged": bool(item.tags or item.notes)}

    def item_entry(self, item: ItemFacts, page: int | None, awaiting: set[int]) -> dict[str, Any]:
        attachments = [
            {"item_id": c.id, "filename": c.filename, "title": c.title}
            for c in (self.data.items[i] for i in item.children)
            if c.kind == "attachment"
        ] if item.children else []
        return {
            "item_id": item.id,
            "tags": item.tags,
            "notes": item.notes,
            "flagged": bool(item.tags or item.notes),
            "id": f"item-{item.id}",
            "entry_type": "item",
            "occurred_at": item.occurred_at,
            "precision": "day" if item.precision == "day" else "minute",
            "date_source": item.date_source,
            "date_detail": item.date_detail,
            "kind": item.kind,
            "actor": self.actors[item.id],
            "title": item.title or "(no subject)",
            "summary": _summary(item),
            "source": _source(item, page),
            "thread_id": self.thread_of.get(item.id),
            "participants": [f"{r}: {n} <{a}>" if n else f"{r}: {a}" for r, a, n in item.participants],
            "attachments": attachments,
            "direction": self.calls[item.id][0] if item.id in self.calls else None,
            "mention": None,
            "awaiting_reply": item.id in awaiting,
        }

    def mention_entries(self, item: ItemFacts, own_day: date | None) -> tuple[list[dict[str, Any]], int | None]:
        """The item's date mentions as entries, and the page of its own date (if folded in)."""
        if not item.mentions:
            return [], None
        entries: list[dict[str, Any]] = []
        seen: set[tuple[date, str]] = set()
        own_page = None
        for m in item.mentions:
            if (m.value, m.label) in seen:
                continue
            seen.add((m.value, m.label))
            if own_day == m.value and m.label in ("signed", "date"):
                own_page = m.page if own_page is None else own_page
                continue
            what = LABEL_WORDS.get(m.label, "Date mentioned")
            entries.append({
                **self._common(item),
                "id": f"mention-{m.id}",
                "entry_type": "date_mention",
                "occurred_at": datetime.combine(m.value, time(), tzinfo=self.zone),
                "precision": "day",
                "date_source": "document_text",
                "date_detail": f"{m.label} date mentioned" + (f" on p. {m.page}" if m.page else "") + f': "{m.raw}"',
                "kind": m.label,
                "actor": "document",
                "title": f"{what} {long_date(m.value)} – {item.title}",
                "summary": one_line(m.sentence, 320),
                "source": _source(item, m.page),
                "thread_id": None,
                "participants": [],
                "attachments": [],
                "direction": None,
                "mention": {"label": m.label, "raw": m.raw, "sentence": m.sentence, "page": m.page},
                "awaiting_reply": False,
            })
        return entries, own_page

    def undated(self, item: ItemFacts) -> dict[str, Any]:
        reason = _UNTRUSTED_REASONS.get(item.date_source, f"dated only by {item.date_source}")
        if item.status != "ok" and item.date_source == "none":
            reason = f"{reason} (it could not be read in full)"
        return {
            **self._common(item),
            "kind": item.kind,
            "actor": self.actors[item.id],
            "title": item.title or "(untitled)",
            "summary": _summary(item),
            "source": _source(item),
            "date_hint": item.occurred_at,
            "date_source": item.date_source,
            "reason": reason,
            "status": item.status,
        }


@dataclass(frozen=True)
class _Filters:
    """Which entries and undated items a timeline lists (silences and key facts see all)."""

    date_from: date | None
    date_to: date | None
    kinds: tuple[str, ...]
    only_flagged: bool
    tags: tuple[str, ...]

    @classmethod
    def checked(cls, *, date_from: date | None, date_to: date | None, kinds: Sequence[str] | None,
                only_flagged: bool, tags: Sequence[str] | None) -> _Filters:
        wanted = tuple(k.strip().lower() for k in kinds or [] if k.strip())
        unknown = [k for k in wanted if k not in ENTRY_KINDS]
        if unknown:
            raise InvalidInput(f"unknown kind '{unknown[0]}' (one of: {', '.join(ENTRY_KINDS)})")
        if date_from and date_to and date_from > date_to:
            raise InvalidInput(f"the range starts ({date_from}) after it ends ({date_to})")
        return cls(date_from, date_to, wanted, only_flagged, tuple(validate_tag(t) for t in tags or []))

    def keeps(self, item: ItemFacts, kind: str, entry_type: str, day: date | None) -> bool:
        """Whether an entry of ``item`` (or the item itself when undated) is listed."""
        if day is not None and (
            (self.date_from is not None and day < self.date_from) or (self.date_to is not None and day > self.date_to)
        ):
            return False
        if self.kinds and kind not in self.kinds and entry_type not in self.kinds:
            return False
        if self.only_flagged and not (item.tags or item.notes):
            return False
        return not self.tags or any(t in self.tags for t in item.tags)

    def overlaps(self, silence: Silence) -> bool:
        """Whether a silence touches the date range (it is always measured in full)."""
        return (self.date_to is None or silence.start.date() <= self.date_to) and (
            self.date_from is None or silence.measured_to.date() >= self.date_from
        )

    def as_dict(self) -> dict[str, Any]:
        return {"date_from": self.date_from, "date_to": self.date_to, "kinds": list(self.kinds),
                "only_flagged": self.only_flagged, "tags": list(self.tags)}


def _listing(builder: _Builder, filters: _Filters, awaiting: set[int]) -> tuple[list[Any], list[Any]]:
    """The listed entries in time order, and the listed undated items."""
    items = builder.data.items
    entries: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    undated: list[dict[str, Any]] = []
    for item in items.values():
        if _is_container(item, items):
            continue
        placed = _trusted(item) and not (item.kind == "attachment" and item.parent_id in items)
        own_day = item.occurred_at.date() if placed and item.date_source == "document_text" else None  # type: ignore[union-attr]
        mentions, own_page = builder.mention_entries(item, own_day)
        for payload in mentions:
            if filters.keeps(item, payload["kind"], "date_mention", payload["occurred_at"].date()):
                entries.append(((payload["occurred_at"].timestamp(), 1, item.id, payload["id"]), payload))
        if placed:
            if filters.keeps(item, item.kind, "item", item.occurred_at.date()):  # type: ignore[union-attr]
                # a float sorts far faster than aware datetimes in a dozen offsets
                key = (item.at_utc.timestamp(), 0, item.id, "")  # type: ignore[union-attr]
                entries.append((key, builder.item_entry(item, own_page, awaiting)))
        elif item.kind != "attachment" or item.parent_id not in items:
            if filters.keeps(item, item.kind, "item", None):
                undated.append(builder.undated(item))
    entries.sort(key=lambda pair: pair[0])
    return [payload for _, payload in entries], undated


def _warnings(data: ClientData) -> list[str]:
    warnings = []
    if not data.identity.configured:
        warnings.append("who 'we' are is not set (casefile init --me ...): no message can be told apart as ours, "
                        "so silences cannot be measured")
    if not (data.client_addresses or data.client_domains):
        warnings.append(f"no correspondent addresses are known for '{data.slug}': no message can be told "
                        "apart as the client's")
    return warnings


def build_timeline(
    archive: Archive,
    *,
    client: str,
    date_from: date | None = None,
    date_to: date | None = None,
    kinds: Sequence[str] | None = None,
    only_flagged: bool = False,
    tags: Sequence[str] | None = None,
    now: datetime | None = None,
) -> Timeline:
    """The client's timeline: every dated fact cited, silences, undated items, key facts."""
    filters = _Filters.checked(date_from=date_from, date_to=date_to, kinds=kinds, only_flagged=only_flagged,
                               tags=tags)
    if now is not None and now.utcoffset() is None:
        raise InvalidInput("the clock (now) must be timezone-aware")
    clock = now or utc_now()
    zone = ZoneInfo(archive.settings.timezone)
    with archive.read() as session:
        data = load_client(session, client)
    builder = _Builder(data, zone)
    contacts = builder.contacts()
    local = {c.item_id: data.items[c.item_id].occurred_at for c in contacts}
    threshold = archive.settings.silence_days
    report = find_silences(contacts, threshold_days=threshold, clock=clock, local=local)
    entries, undated = _listing(builder, filters, {i for s in report.silences for i in s.unanswered})
    facts = key_facts(
        data, actors=builder.actors, contacts=contacts, silences=report.silences,
        medians=report.median_response_hours, threshold_days=threshold, clock=clock, zone=zone,
    )
    return Timeline.model_validate({
        "client": data.slug,
        "client_name": data.name,
        "generated_at": clock,
        "filters": filters.as_dict(),
        "entries": entries,
        "silences": [s for s in report.silences if filters.overlaps(s)],
        "undated": undated,
        "summary": facts,
        "threads": builder.threads,
        "warnings": _warnings(data),
    })
