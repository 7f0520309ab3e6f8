"""Recorded state: the hash of an item's evidential fields, carried by the custody entries
that create or change it, so a row edited behind the ledger's back no longer matches.

The state covers what a court would rely on: client, kind, title, parent, SHA-256 of the
original, the date with its offset, source, detail and precision, the participants, the
text and each page's text (as hashes), and the tags and notes people added. Bookkeeping
columns (ingest state, status, digests the timeline keeps) are left out: they change
without being evidence. ``verify-archive`` recomputes each item's state from its rows and
compares it with the last entry that recorded one (``stale_items``).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from .ledger import canonical_json
from .models import Item, ItemNote, ItemTag, LedgerEntry, PageRow, ParticipantRow

__all__ = ["STATE", "STATES", "current_states", "new_item_state", "stale_items", "whole"]

STATE = "state"  # details key: the state of the entry's item after it
STATES = "states"  # details key of an entry changing several items: {item id: state}
_ITEM_FIELDS = ("client_id", "parent_id", "kind", "title", "sha256", "occurred_at_utc", "occurred_offset_min",
                "date_source", "date_detail", "date_precision")
_BATCH = 500


def _digest(text: str | None) -> str:
    return hashlib.sha256((text or "").encode("utf-8", "surrogatepass")).hexdigest()


def _instant(value: datetime | None) -> str | None:
    """The UTC instant as the database keeps it (naive UTC), whatever form it came in."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def _parts(get: Callable[[str], Any], participants: Iterable[Sequence[Any]], pages: Iterable[Sequence[Any]],
           tags: Iterable[str], notes: Iterable[tuple[int, str]]) -> dict[str, str]:
    """Each evidential part of an item as a hash (128 bits): a mismatch names the part."""
    parts: dict[str, Any] = {
        "client": get("client_id"),
        "parent": get("parent_id"),
        "kind": get("kind"),
        "title": get("title"),
        "original": get("sha256"),
        "date": [_instant(get("occurred_at_utc")), get("occurred_offset_min"), get("date_source"),
                 get("date_detail"), get("date_precision")],
        "text": _digest(get("text")),
        "participants": sorted([role, address or "", name or ""] for role, address, name in participants),
        "pages": sorted([number, method, _digest(text)] for number, method, text in pages),
        "tags": sorted(tags),
        "notes": sorted([note_id, _digest(text)] for note_id, text in notes),
    }
    return {name: _digest(canonical_json(value))[:32] for name, value in parts.items()}


def whole(parts: Mapping[str, str]) -> str:
    """One hash for all of an item's parts (what an entry changing many items records)."""
    return _digest(canonical_json(dict(parts)))


def new_item_state(values: Mapping[str, Any], participants: Iterable[Mapping[str, Any]],
                   pages: Iterable[Mapping[str, Any]], session: Session | None = None,
                   item_id: int | None = None) -> dict[str, str]:
    """The state of an item about to be written from ``values`` (its columns) and its rows.

    With ``session`` and ``item_id``, the tags and notes the item already has are counted
    (an upload recorded on arrival can be tagged before it is read).
    """
    tags: list[str] = []
    notes: list[tuple[int, str]] = []
    if session is not None and item_id is not None:
        tags = list(session.exec(select(ItemTag.tag).where(ItemTag.item_id == item_id)).all())
        notes = [(int(i), t) for i, t in session.exec(
            select(ItemNote.id, ItemNote.text).where(ItemNote.item_id == item_id)).all()]
    return _parts(values.get, ((p["role"], p["address"], p["name"]) for p in participants),
                  ((p["number"], p["method"], p["text"]) for p in pages), tags, notes)


def current_states(session: Session, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """Each of these items' state (its parts' hashes) as its rows are now (pending changes flushed first)."""
    session.flush()
    states: dict[int, dict[str, str]] = {}
    for start in range(0, len(ids), _BATCH):
        chunk = list(ids[start : start + _BATCH])
        people: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
        for row in session.exec(select(ParticipantRow).where(col(ParticipantRow.item_id).in_(chunk))).all():
            people[row.item_id].append((row.role, row.address, row.name))
        pages: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        for row in session.exec(select(PageRow).where(col(PageRow.item_id).in_(chunk))).all():
            pages[row.item_id].append((row.number, row.method, row.text))
        tags: dict[int, list[str]] = defaultdict(list)
        for item_id, tag in session.exec(select(ItemTag.item_id, ItemTag.tag).where(col(ItemTag.item_id).in_(chunk))):
            tags[item_id].append(tag)
        notes: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for note in session.exec(select(ItemNote).where(col(ItemNote.item_id).in_(chunk))).all():
            notes[note.item_id].append((int(note.id or 0), note.text))
        for item in session.exec(select(Item).where(col(Item.id).in_(chunk))).all():
            assert item.id is not None
            states[item.id] = _parts(lambda name, row=item: getattr(row, name), people[item.id], pages[item.id],
                                     tags[item.id], notes[item.id])
    return states


def _recorded(session: Session) -> dict[int, tuple[int, dict[str, str] | str]]:
    """Each item's last recorded state: item id -> (ledger seq, its parts, or their ``whole``)."""
    recorded: dict[int, tuple[int, dict[str, str] | str]] = {}
    rows = session.exec(
        select(LedgerEntry.seq, LedgerEntry.item_id, LedgerEntry.details)
        .where(col(LedgerEntry.details).contains(f'"{STATE}'))
        .order_by(col(LedgerEntry.seq))
    )
    for seq, item_id, details in rows:
        found = json.loads(details)
        if item_id is not None and isinstance(found.get(STATE), dict):
            recorded[item_id] = (seq, found[STATE])
        for key, state in (found.get(STATES) or {}).items():
            recorded[int(key)] = (seq, state)
    return recorded


def stale_items(session: Session) -> Iterator[str]:
    """A problem for each item whose rows no longer match the state its last entry recorded
    (a field changed with no custody entry), naming the parts that differ. Items recorded
    before states were kept are not checked this way."""
    recorded = _recorded(session)
    ids = sorted(recorded)
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        now = current_states(session, chunk)
        for item_id in chunk:
            seq, state = recorded[item_id]
            if item_id not in now:
                continue  # a removed item is reported by the arrival check
            if isinstance(state, str):
                changed = [] if whole(now[item_id]) == state else ["its fields"]
            else:
                changed = [f"its {name}" for name in state if now[item_id].get(name) != state[name]]
            if changed:
                yield (f"item {item_id} was changed without a custody entry: {', '.join(changed)} no longer "
                       f"match{'es' if len(changed) == 1 else ''} what ledger entry {seq} recorded")
