"""Tags and notes on items; each change is a custody-ledger entry."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from .. import tags
from ..access import reads, writes
from ..schemas import ItemAnnotations
from .deps import ArchiveDep

router = APIRouter(tags=["tags"])


class TagIn(BaseModel):
    tag: str


class NoteIn(BaseModel):
    text: str


@router.get("/items/{item_id}/annotations", response_model=ItemAnnotations)
@reads()
def get_annotations(archive: ArchiveDep, item_id: int) -> ItemAnnotations:
    """The item's tags and notes."""
    return tags.item_annotations(archive, item_id=item_id)


@router.post("/items/{item_id}/tags", response_model=ItemAnnotations)
@writes
def add_tag(archive: ArchiveDep, item_id: int, body: TagIn) -> ItemAnnotations:
    """Tags the item (idempotent); returns its tags and notes."""
    return tags.tag_item(archive, item_id=item_id, tag=body.tag)


@router.delete("/items/{item_id}/tags/{tag}", response_model=ItemAnnotations)
@writes
def remove_tag(archive: ArchiveDep, item_id: int, tag: str) -> ItemAnnotations:
    """Takes a tag off the item; 404 if it was not there."""
    return tags.untag_item(archive, item_id=item_id, tag=tag)


@router.post("/items/{item_id}/notes", response_model=ItemAnnotations, status_code=201)
@writes
def add_note(archive: ArchiveDep, item_id: int, body: NoteIn) -> ItemAnnotations:
    """Adds a note to the item; returns its tags and notes."""
    return tags.add_note(archive, item_id=item_id, text=body.text)
