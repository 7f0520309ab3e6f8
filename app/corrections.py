"""Corrections a person makes to an item's title or date, with the replaced value kept.

The original file never changes, and neither does what was first read from it: the item
row takes the corrected value (so lists, search and the timeline use it), an
``ItemCorrection`` row keeps the value it replaced with where that came from, and a
custody-ledger entry records both with the reason and who made the correction.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from .archive import Archive
from .changes import parse_when  # the one reading of a typed date, shared with add-event
from .errors import InvalidInput, ItemNotFound
from .itemstate import STATE, current_states
from .models import Item, ItemCorrection, utc_now
from .recording import dated_fields

__all__ = ["FIELDS", "MAX_REASON_CHARS", "CorrectionPublic", "correct_item", "corrections_of", "item_corrections"]

FIELDS = ("title", "occurred_at")
MAX_REASON_CHARS = 2_000
MAX_TITLE_CHARS = 500  # as long as an ingested title may be


class CorrectionPublic(BaseModel):
    """One corrected field: the value it replaced (and that value's source), the new one, why and by whom."""

    id: int
    item_id: int
    field: str
    old_value: str
    new_value: str
    old_source: str
    old_detail: str
    old_precision: str | None
    reason: str
    actor: str
    at: datetime

    @classmethod
    def of(cls, row: ItemCorrection) -> CorrectionPublic:
        assert row.id is not None
        return cls(
            id=row.id, item_id=row.item_id, field=row.field, old_value=row.old_value, new_value=row.new_value,
            old_source=row.old_source, old_detail=row.old_detail, old_precision=row.old_precision,
            reason=row.reason, actor=row.actor,
            at=row.at_utc,
        )


def corrections_of(session: Session, item_id: int) -> list[CorrectionPublic]:
    """The item's corrections, oldest first, read in ``session``."""
    rows = session.exec(
        select(ItemCorrection).where(ItemCorrection.item_id == item_id).order_by(col(ItemCorrection.id))
    ).all()
    return [CorrectionPublic.of(r) for r in rows]


def item_corrections(archive: Archive, *, item_id: int) -> list[CorrectionPublic]:
    """The corrections made to an item, oldest first, or ``ItemNotFound``."""
    with archive.read() as session:
        if session.get(Item, item_id) is None:
            raise ItemNotFound(item_id)
        return corrections_of(session, item_id)


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def correct_item(
    archive: Archive,
    *,
    item_id: int,
    title: str | None = None,
    occurred_at: str | None = None,
    reason: str,
    actor: str | None = None,
) -> list[CorrectionPublic]:
    """Sets a new title and/or date (typed as for add-event) on the item, keeping the old ones; a ledger entry.

    Returns every correction of the item. ``InvalidInput`` when the reason is missing, the
    date cannot be read, or nothing would change.
    """
    why = reason.strip()
    if not why:
        raise InvalidInput("say why you are correcting it (a reason is required)")
    if len(why) > MAX_REASON_CHARS:
        raise InvalidInput(f"a reason is limited to {MAX_REASON_CHARS:,} characters")
    new_title = None if title is None else title.strip()
    if new_title is not None and not new_title:
        raise InvalidInput("a title needs some text")
    if new_title is not None and len(new_title) > MAX_TITLE_CHARS:
        raise InvalidInput(f"a title is limited to {MAX_TITLE_CHARS} characters")
    dated = None if occurred_at is None else parse_when(occurred_at, archive.settings.timezone)
    with archive.write(actor) as uow:
        item = uow.session.get(Item, item_id)
        if item is None:
            raise ItemNotFound(item_id)
        rows: list[ItemCorrection] = []
        changes: dict[str, dict[str, str]] = {}
        if new_title is not None and new_title != item.title:
            rows.append(ItemCorrection(
                item_id=item_id, field="title", old_value=item.title, new_value=new_title,
                reason=why, actor=uow.actor, at_utc=utc_now(),
            ))
            changes["title"] = {"old": item.title, "new": new_title}
            item.title = new_title
        if dated is not None and (item.occurred_at_utc is None or dated.at != item.occurred_at):
            old = item.occurred_at
            rows.append(ItemCorrection(
                item_id=item_id, field="occurred_at", old_value=_iso(old), new_value=dated.at.isoformat(),
                old_source=item.date_source, old_detail=item.date_detail, old_precision=item.date_precision,
                reason=why, actor=uow.actor, at_utc=utc_now(),
            ))
            changes["occurred_at"] = {
                "old": _iso(old), "old_source": item.date_source, "old_precision": item.date_precision or "",
                "new": dated.at.isoformat(), "precision": dated.precision,
            }
            corrected = dataclasses.replace(dated, detail=f"corrected by {uow.actor}: {why}")
            for name, value in dated_fields(corrected).items():
                setattr(item, name, value)
        if not rows:
            raise InvalidInput("nothing to correct: give a new title or a different date")
        uow.session.add(item)
        uow.session.add_all(rows)
        uow.session.flush()
        uow.ledger.append(
            actor=uow.actor, action="correct", item_id=item_id,
            details={"reason": why, "changes": changes, STATE: current_states(uow.session, [item_id])[item_id]},
        )
        return corrections_of(uow.session, item_id)
