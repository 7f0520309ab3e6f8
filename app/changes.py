"""Changes a person makes after ingest: owner identity, manual events, re-assignment.

Originals never change: each change is a new custody-ledger entry (and, for events, a
new item whose only source is the person who recorded it).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import select

from ingest.dates import as_aware, parse_datetime_text
from ingest.records import DatedValue, DateSource

from .archive import Archive
from .checkpoints import ensure_key
from .clients import ensure_client, load_identity, parse_identity, save_identity
from .errors import InvalidInput, ItemNotFound
from .itemstate import STATE, STATES, current_states, whole
from .models import Client, Item
from .recording import dated_fields
from .timeline.digest import digest

__all__ = ["EVENT_KINDS", "add_event", "assign_item", "init_archive", "parse_when"]

EVENT_KINDS = {"event": "event", "meeting": "note", "call": "call"}


def init_archive(archive: Archive, *, me: Sequence[str], actor: str | None = None) -> dict[str, list[str]]:
    """Records the owner's own addresses/domains (replacing earlier ones); returns them."""
    identity = parse_identity(me)
    if not identity.configured:
        raise InvalidInput("give at least one of your own addresses or domains with --me")
    result = {"addresses": sorted(identity.addresses), "domains": sorted(identity.domains)}
    ensure_key(archive)  # the checkpoint key, outside the database (app.checkpoints)
    with archive.write(actor) as uow:
        if load_identity(uow.session) == identity:
            return result  # unchanged: running init again records nothing new
        save_identity(uow.session, identity)
        uow.ledger.append(actor=uow.actor, action="init", item_id=None, details={"me": result})
    return result


def parse_when(value: str, default_zone: str) -> DatedValue:
    """A date or date and time a person typed, in ``default_zone`` unless it says otherwise."""
    parsed = parse_datetime_text(value, default_zone)
    if parsed is None:
        raise InvalidInput(f"'{value}' is not a date (try 2024-05-31 or '2024-05-31 14:30')")
    at, precision = parsed
    return DatedValue(as_aware(at, default_zone), DateSource.USER, "entered by user", precision)


def add_event(
    archive: Archive,
    *,
    client: str,
    when: str,
    title: str,
    text: str = "",
    kind: str = "event",
    actor: str | None = None,
) -> int:
    """Records something that happened (a call, a meeting) after the fact; returns its id."""
    if kind not in EVENT_KINDS:
        raise InvalidInput(f"unknown event kind '{kind}' (one of: {', '.join(EVENT_KINDS)})")
    if not title.strip():
        raise InvalidInput("an event needs a title")
    dated = parse_when(when, archive.settings.timezone)
    with archive.write(actor) as uow:
        owner, _ = ensure_client(uow.session, client)
        item = Item(
            client_id=owner.id,  # type: ignore[arg-type]
            kind=EVENT_KINDS[kind],
            title=title.strip()[:500],
            text=text,
            content_type="text/plain",
            facts_json='{"recorded_as": "' + kind + '"}',
            summary=digest(EVENT_KINDS[kind], text).summary,
            **dated_fields(dated),
        )
        uow.session.add(item)
        uow.session.flush()
        uow.ledger.append(
            actor=uow.actor, action="add-event", item_id=item.id,
            details={
                "client": client, "kind": item.kind, "recorded_as": kind, "title": item.title,
                "text": text, "occurred_at": dated.at.isoformat(), "precision": dated.precision,
                STATE: current_states(uow.session, [item.id])[item.id],  # type: ignore[list-item,index]
            },
        )
        assert item.id is not None
        return item.id


def assign_item(archive: Archive, *, item_id: int, client: str, actor: str | None = None) -> list[int]:
    """Moves an item (and its attachments/members) to ``client``; returns the ids moved."""
    with archive.write(actor) as uow:
        item = uow.session.get(Item, item_id)
        if item is None:
            raise ItemNotFound(item_id)
        target, _ = ensure_client(uow.session, client)
        previous = uow.session.get(Client, item.client_id)
        moved: list[int] = []
        stack = [item]
        while stack:
            current = stack.pop()
            if current.client_id != target.id:
                current.client_id = target.id  # type: ignore[assignment]
                uow.session.add(current)
                moved.append(current.id)  # type: ignore[arg-type]
            stack.extend(uow.session.exec(select(Item).where(Item.parent_id == current.id)).all())
        uow.ledger.append(
            actor=uow.actor, action="assign", item_id=item_id,
            details={"from": previous.slug if previous else None, "to": client, "items": sorted(moved),
                     # one hash per item moved: a mailbox's thousands of members stay a small entry
                     STATES: {str(i): whole(parts) for i, parts in current_states(uow.session, sorted(moved)).items()}},
        )
        return sorted(moved)

