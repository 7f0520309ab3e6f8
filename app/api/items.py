"""Items: lists, one item in full, the original's download, derived files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from .. import items
from ..access import PrincipalDep, reads
from ..schemas import ItemDetail, ItemList
from .deps import ArchiveDep

router = APIRouter(tags=["items"])


@router.get("/items", response_model=ItemList)
@reads()
def list_items(
    archive: ArchiveDep,
    principal: PrincipalDep,
    client: str | None = None,
    kind: str | None = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    tag: str | None = None,
    status: Annotated[str | None, Query(description="ok, partial, failed, pending or processing")] = None,
    correspondent: Annotated[str | None, Query(description="any part of a participant's address or name")] = None,
    label: Annotated[str | None, Query(description="a label the mailbox had on it (Gmail's), any case")] = None,
    sort: Annotated[str, Query(description="date, title, kind or ingested")] = "date",
    descending: bool = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ItemList:
    """Items filtered by client, kind, date range, tag, status, correspondent and mailbox label;
    date order unless ``sort``."""
    return items.list_items(
        archive, client=client, kind=kind, date_from=date_from, date_to=date_to, tag=tag, status=status,
        correspondent=correspondent, label=label, sort=sort, descending=descending, limit=limit, offset=offset,
        within=principal.within(),
    )


@router.get("/items/{item_id}", response_model=ItemDetail)
@reads("item")
def get_item(archive: ArchiveDep, principal: PrincipalDep, item_id: int) -> ItemDetail:
    """One item with its text, children, pages, date mentions and custody history."""
    return items.get_item(archive, item_id=item_id, within=principal.within())


def _download(path: Path, filename: str, media_type: str) -> FileResponse:
    # Always an attachment and never sniffed: evidence is hostile content until proven not.
    return FileResponse(
        path,
        media_type=media_type,
        filename=filename,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )


@router.get("/items/{item_id}/original", response_class=FileResponse)
@reads("original")
def download_original(archive: ArchiveDep, principal: PrincipalDep, item_id: int) -> FileResponse:
    """The original bytes, exactly as received (withheld from a lawyer when they hold another client's too)."""
    path, item = items.original_path(archive, item_id=item_id, within=principal.within())
    return _download(path, item.original_filename or f"item-{item_id}", item.content_type)


@router.get("/items/{item_id}/searchable-pdf", response_class=FileResponse)
@reads("searchable PDF")
def download_searchable_pdf(archive: ArchiveDep, item_id: int) -> FileResponse:
    """The searchable PDF made from an OCR'd original (the original is unchanged)."""
    path, _row = items.derived_path(archive, item_id=item_id, role="searchable_pdf")
    return _download(path, f"item-{item_id}-searchable.pdf", "application/pdf")
