"""Tags and notes a person adds to an item; each one is a custody-ledger entry.

The original never changes: a tag (``key``, ``scope-change``, ``payment``...) or a note is
a row beside the item plus a ledger entry saying who added it and when, so an exported
timeline can show which facts someone flagged and the ledger proves when they did.
"""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from .archive import Archive
from .errors import InvalidInput, ItemNotFound, NotFound
from .itemstate import STATE, current_states
from .models import Item, ItemNote, ItemTag, utc_now
from .schemas import ItemAnnotations, NotePublic

__all__ = [
    "MAX_NOTE_CHARS",
    "add_note",
    "annotations",
    "item_annotations",
    "tag_item",
    "untag_item",
    "validate_tag",
]

_TAG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_NOTE_CHARS = 10_000


def validate_tag(tag: str) -> str:
    """``tag`` as stored (trimmed, lower-case) if it is a slug of at most 40 characters."""
    value = tag.strip().lower()
    if not _TAG.match(value):
        raise InvalidInput(
            f"'{tag}' is not a valid tag: use lower-case letters, digits and dashes (at most 40)"
        )
    return value


def annotations(session: Session, item_id: int) -> ItemAnnotations:
    """The tags (sorted) and notes (oldest first) of one item, read in ``session``."""
    tags = session.exec(
        select(ItemTag.tag).where(ItemTag.item_id == item_id).order_by(col(ItemTag.tag))
    ).all()
    notes = session.exec(
        select(ItemNote).where(ItemNote.item_id == item_id).order_by(col(ItemNote.id))
    ).all()
    return ItemAnnotations(item_id=item_id, tags=list(tags), notes=[NotePublic.of(n) for n in notes])


def _require_item(session: Session, item_id: int) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise ItemNotFound(item_id)
    return item


def _tag_row(session: Session, item_id: int, tag: str) -> ItemTag | None:
    return session.exec(select(ItemTag).where(ItemTag.item_id == item_id, ItemTag.tag == tag)).first()


def item_annotations(archive: Archive, *, item_id: int) -> ItemAnnotations:
    """The tags and notes of an item, or ``ItemNotFound``."""
    with archive.read() as session:
        _require_item(session, item_id)
        return annotations(session, item_id)


def tag_item(archive: Archive, *, item_id: int, tag: str, actor: str | None = None) -> ItemAnnotations:
    """Puts ``tag`` on the item (a ledger entry); tagging twice records nothing new."""
    value = validate_tag(tag)
    with archive.write(actor) as uow:
        _require_item(uow.session, item_id)
        if _tag_row(uow.session, item_id, value) is None:
            uow.session.add(ItemTag(item_id=item_id, tag=value))
            uow.ledger.append(actor=uow.actor, action="tag", item_id=item_id,
                              details={"tag": value, STATE: current_states(uow.session, [item_id])[item_id]})
        return annotations(uow.session, item_id)


def untag_item(archive: Archive, *, item_id: int, tag: str, actor: str | None = None) -> ItemAnnotations:
    """Takes ``tag`` off the item (a ledger entry); ``NotFound`` if it was not there."""
    value = validate_tag(tag)
    with archive.write(actor) as uow:
        _require_item(uow.session, item_id)
        row = _tag_row(uow.session, item_id, value)
        if row is None:
            raise NotFound(f"item {item_id} is not tagged '{value}'")
        uow.session.delete(row)
        uow.ledger.append(actor=uow.actor, action="untag", item_id=item_id,
                          details={"tag": value, STATE: current_states(uow.session, [item_id])[item_id]})
        return annotations(uow.session, item_id)


def add_note(archive: Archive, *, item_id: int, text: str, actor: str | None = None) -> ItemAnnotations:
    """Adds a note to the item (a ledger entry carrying the note's text)."""
    body = text.strip()
    if not body:
        raise InvalidInput("a note needs some text")
    if len(body) > MAX_NOTE_CHARS:
        raise InvalidInput(f"a note is limited to {MAX_NOTE_CHARS:,} characters")
    with archive.write(actor) as uow:
        _require_item(uow.session, item_id)
        note = ItemNote(item_id=item_id, text=body, created_at_utc=utc_now(), actor=uow.actor)
        uow.session.add(note)
        uow.session.flush()
        uow.ledger.append(
            actor=uow.actor, action="note", item_id=item_id,
            details={"note_id": note.id, "text": body, STATE: current_states(uow.session, [item_id])[item_id]},
        )
        return annotations(uow.session, item_id)
