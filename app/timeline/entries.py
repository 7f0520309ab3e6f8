"""The listing: which items are placed on the timeline, at what date, and how each entry reads.

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

Filters choose which entries and undated items are listed. Entries and undated items are
plain dicts with the fields of ``TimelineEntry`` and ``UndatedItem``, in field order (the
JSON key order): a timeline has tens of thousands of them, and the JSON is written straight
from these dicts (see ``build``). Lists nothing adds to afterwards (tags, notes...) are
shared with the item, or the shared empty tuple: both serialise as JSON arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import InvalidInput
from ..items import KINDS
from ..tags import validate_tag
from .loading import ClientData, ItemFacts, MentionFacts
from .schemas import Silence, TimelineEntry
from .wording import LABEL_WORDS, long_date, one_line

__all__ = ["ENTRY_KINDS", "TRUSTED_SOURCES", "Filters", "listing"]

TRUSTED_SOURCES = frozenset({"user", "email_header", "front_matter", "document_text", "filename"})
ENTRY_KINDS = (*KINDS, *LABEL_WORDS, "item", "date_mention")
# "Hi Dana," says nothing a one-line summary needs
_UNTRUSTED_REASONS = {
    "none": "no date found in it",
    "file_mtime": "only the file's modification time, which changes whenever a file is copied",
    "document_metadata": "only the file's own metadata (e.g. a PDF's creation date): "
    "when the file was produced, not when anything happened",
}
_FOLDED = ("signed", "date")  # mention labels that can be the document's own date
_MIDNIGHT = time()
_by_item_and_id = itemgetter(0, 1)

# An entry or undated item as plain data: a dict with the fields of its model, in order.
Entry = dict[str, Any]
# Each entry starts as a copy of one of these and only the fields that vary are set:
# copying a dict of this shape and setting a dozen keys takes about a third less time
# than a 21-key dict display, and there is an entry per item. Built from the model, so
# the keys are in its field order.
_ITEM_ENTRY: Entry = dict.fromkeys(TimelineEntry.model_fields) | {
    "entry_type": "item", "precision": "minute", "thread_id": None, "tags": (), "notes": (), "participants": (),
    "attachments": (), "direction": None, "mention": None, "awaiting_reply": False, "flagged": False,
}
_MENTION_ENTRY: Entry = _ITEM_ENTRY | {
    "entry_type": "date_mention", "precision": "day", "date_source": "document_text", "actor": "document",
}


@dataclass(frozen=True)
class Filters:
    """Which entries and undated items a timeline lists (silences and key facts see all)."""

    date_from: date | None
    date_to: date | None
    kinds: tuple[str, ...]
    only_flagged: bool
    tags: tuple[str, ...]

    @classmethod
    def checked(cls, *, date_from: date | None, date_to: date | None, kinds: Sequence[str] | None,
                only_flagged: bool, tags: Sequence[str] | None) -> Filters:
        """The filters as asked, or ``InvalidInput`` saying what is wrong with them."""
        wanted = tuple(k.strip().lower() for k in kinds or [] if k.strip())
        unknown = [k for k in wanted if k not in ENTRY_KINDS]
        if unknown:
            raise InvalidInput(f"unknown kind '{unknown[0]}' (one of: {', '.join(ENTRY_KINDS)})")
        if date_from and date_to and date_from > date_to:
            raise InvalidInput(f"the range starts ({date_from}) after it ends ({date_to})")
        return cls(date_from, date_to, wanted, only_flagged, tuple(validate_tag(t) for t in tags or []))

    @property
    def everything(self) -> bool:
        """True when nothing is filtered out (the common case: no test per entry)."""
        return not (self.date_from or self.date_to or self.kinds or self.only_flagged or self.tags)

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
        """The filters as the ``TimelineFilters`` payload."""
        return {"date_from": self.date_from, "date_to": self.date_to, "kinds": list(self.kinds),
                "only_flagged": self.only_flagged, "tags": list(self.tags)}


def _is_container(item: ItemFacts, items: Mapping[int, ItemFacts]) -> bool:
    if item.mailbox:
        return True
    return (
        item.kind in ("document", "attachment")
        and bool(item.children)
        and all(items[c].kind != "attachment" for c in item.children)
    )


def _source(item: ItemFacts, page: int | None = None) -> dict[str, Any]:
    return {"filename": item.filename, "page": page, "row": item.source_row}


class _Entries:
    """Builds the entries and undated items of one timeline (every dict in field order)."""

    def __init__(self, data: ClientData, *, actors: Mapping[int, str], thread_of: Mapping[int, int],
                 calls: Mapping[int, tuple[str, int | None]], zone: ZoneInfo, awaiting: set[int]) -> None:
        self.items = data.items
        self.actors = actors
        self.thread_of = thread_of
        self.calls = calls
        self.zone = zone
        self.awaiting = awaiting
        # Per build, from immutable inputs to immutable values: the same few participants
        # recur on thousands of messages, and a document states many dates more than once.
        self._people: dict[tuple[str, str, str], str] = {}
        self._days: dict[date, tuple[datetime, datetime, str]] = {}
        self._lines: dict[str, str] = {}

    def day(self, value: date) -> tuple[datetime, datetime, str]:
        """Midnight of ``value`` in the archive's zone, the same instant in UTC, and in words."""
        found = self._days.get(value)
        if found is None:
            midnight = datetime.combine(value, _MIDNIGHT, tzinfo=self.zone)
            found = self._days[value] = (midnight, midnight.astimezone(UTC), long_date(value))
        return found

    def _participants(self, item: ItemFacts) -> list[str]:
        people, found = self._people, []
        for person in item.participants:
            line = people.get(person)
            if line is None:
                role, address, name = person
                line = people[person] = f"{role}: {name} <{address}>" if name else f"{role}: {address}"
            found.append(line)
        return found

    def item(self, item: ItemFacts, page: int | None) -> Entry:
        """The entry of an item at its own date."""
        item_id, tags, notes = item.id, item.tags, item.notes
        entry = _ITEM_ENTRY.copy()  # then only the fields that differ from the template
        entry["id"] = f"item-{item_id}"
        entry["occurred_at"] = item.occurred_at
        if item.by_day:
            entry["precision"] = "day"
        entry["date_source"] = item.date_source
        entry["date_detail"] = item.date_detail
        entry["kind"] = item.kind
        entry["actor"] = self.actors[item_id]
        entry["title"] = item.title or "(no subject)"
        entry["summary"] = item.summary
        entry["item_id"] = item_id
        entry["source"] = {"filename": item.filename, "page": page, "row": item.source_row}
        entry["thread_id"] = self.thread_of.get(item_id)
        if tags or notes:
            entry["tags"], entry["notes"], entry["flagged"] = tags, notes, True
        if item.participants:
            entry["participants"] = self._participants(item)
        if item.children:
            entry["attachments"] = [
                {"item_id": c.id, "filename": c.filename, "title": c.title}
                for c in map(self.items.__getitem__, item.children)
                if c.kind == "attachment"
            ]
        call = self.calls.get(item_id)
        if call is not None:
            entry["direction"] = call[0]
        if item_id in self.awaiting:
            entry["awaiting_reply"] = True
        return entry

    def mention(self, item: ItemFacts, m: MentionFacts) -> Entry:
        """The entry of a date ``item`` mentions."""
        what = LABEL_WORDS.get(m.label, "Date mentioned")
        midnight, _, in_words = self.day(m.value)
        summary = self._lines.get(m.sentence)
        if summary is None:  # one sentence often states two dates
            summary = self._lines[m.sentence] = one_line(m.sentence, 320)
        entry = _MENTION_ENTRY.copy()
        entry["id"] = f"mention-{m.id}"
        entry["occurred_at"] = midnight
        entry["date_detail"] = (f"{m.label} date mentioned" + (f" on p. {m.page}" if m.page else "") + f': "{m.raw}"'
                                + (f" ({m.reason})" if m.reason else ""))
        entry["kind"] = m.label
        entry["title"] = f"{what} {in_words} – {item.title}"
        entry["summary"] = summary
        entry["item_id"] = item.id
        entry["source"] = _source(item, m.page)
        if item.tags or item.notes:
            entry["tags"], entry["notes"], entry["flagged"] = item.tags, item.notes, True
        entry["mention"] = {"label": m.label, "raw": m.raw, "sentence": m.sentence, "page": m.page, "reason": m.reason}
        return entry

    def undated(self, item: ItemFacts) -> Entry:
        """An item with no date we would stand behind, with the reason."""
        reason = _UNTRUSTED_REASONS.get(item.date_source, f"dated only by {item.date_source}")
        if item.status != "ok" and item.date_source == "none":
            reason = f"{reason} (it could not be read in full)"
        return {
            "item_id": item.id,
            "kind": item.kind,
            "actor": self.actors[item.id],
            "title": item.title or "(untitled)",
            "summary": item.summary,
            "source": _source(item),
            "date_hint": item.occurred_at,
            "date_source": item.date_source,
            "reason": reason,
            "status": item.status,
            "tags": item.tags,
            "notes": item.notes,
        }


def listing(
    data: ClientData,
    filters: Filters,
    *,
    actors: Mapping[int, str],
    thread_of: Mapping[int, int],
    calls: Mapping[int, tuple[str, int | None]],
    zone: ZoneInfo,
    awaiting: set[int],
) -> tuple[list[Entry], list[Entry]]:
    """The listed entries in time order, and the listed undated items (in id order)."""
    items = data.items
    build = _Entries(data, actors=actors, thread_of=thread_of, calls=calls, zone=zone, awaiting=awaiting)
    everything = filters.everything
    placed_entries: list[Entry] = []
    # Sorted on instants in UTC: aware datetimes with one tzinfo compare as fast as floats
    # (in a dozen offsets they would not), and the items' are there already.
    placed_at: list[datetime] = []
    mentioned: list[tuple[int, str, datetime, Entry]] = []
    undated: list[Entry] = []
    for item in items.values():
        kind = item.kind
        if item.mailbox or (item.children and _is_container(item, items)):
            continue
        at = item.at_utc
        placed = (
            at is not None
            and (item.date_source in TRUSTED_SOURCES or (kind == "email" and item.date_source == "document_metadata"))
            and not (kind == "attachment" and item.parent_id in items)
        )
        own_page = None
        if item.mentions:
            own_day = item.occurred_at.date() if placed and item.date_source == "document_text" else None  # type: ignore[union-attr]
            seen: set[tuple[date, str]] = set()
            for m in item.mentions:
                if (m.value, m.label) in seen:
                    continue
                seen.add((m.value, m.label))
                if own_day == m.value and m.label in _FOLDED:
                    own_page = m.page if own_page is None else own_page
                    continue
                if everything or filters.keeps(item, m.label, "date_mention", m.value):
                    entry = build.mention(item, m)
                    mentioned.append((item.id, entry["id"], build.day(m.value)[1], entry))
        if placed:
            if everything or filters.keeps(item, kind, "item", item.occurred_at.date()):  # type: ignore[union-attr]
                placed_entries.append(build.item(item, own_page))
                placed_at.append(at)  # type: ignore[arg-type]
        elif kind != "attachment" or item.parent_id not in items:
            if everything or filters.keeps(item, kind, "item", None):
                undated.append(build.undated(item))
    return _in_time_order(placed_entries, placed_at, mentioned), undated


def _in_time_order(
    placed: list[Entry], placed_at: list[datetime], mentioned: list[tuple[int, str, datetime, Entry]]
) -> list[Entry]:
    """Entries by instant; at the same instant items before mentions, then by item, then by id."""
    # One stable sort on the instant alone: the input is already in the tie-break order
    # (items in id order, then mentions by item and entry id), so ties come out as a
    # sort on the whole key would leave them, without a key tuple per entry.
    mentioned.sort(key=_by_item_and_id)
    entries = placed + [m[3] for m in mentioned]
    instants = placed_at + [m[2] for m in mentioned]
    return [entries[i] for i in sorted(range(len(entries)), key=instants.__getitem__)]
