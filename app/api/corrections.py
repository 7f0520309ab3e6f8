"""Corrections of an item's title or date; the replaced value is kept and shown."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from .. import corrections
from ..access import reads, writes
from ..corrections import CorrectionPublic
from .deps import ArchiveDep

router = APIRouter(tags=["items"])


class CorrectionIn(BaseModel):
    title: str | None = None
    occurred_at: str | None = None  # as for add-event: "2024-05-31" or "2024-05-31 14:30"
    reason: str


@router.get("/items/{item_id}/corrections", response_model=list[CorrectionPublic])
@reads()
def list_corrections(archive: ArchiveDep, item_id: int) -> list[CorrectionPublic]:
    """The corrections made to the item, oldest first, each with the value it replaced."""
    return corrections.item_corrections(archive, item_id=item_id)


@router.post("/items/{item_id}/corrections", response_model=list[CorrectionPublic], status_code=201)
@writes
def correct_item(archive: ArchiveDep, item_id: int, body: CorrectionIn) -> list[CorrectionPublic]:
    """Corrects the title and/or date (a ledger entry); 422 for a bad date, no change or no reason."""
    return corrections.correct_item(
        archive, item_id=item_id, title=body.title, occurred_at=body.occurred_at, reason=body.reason
    )
