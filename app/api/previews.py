"""Pictures of an item's pages (PNG drawn on the server, never the original's own content)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from .. import preview
from ..access import reads
from .deps import ArchiveDep

router = APIRouter(tags=["items"])

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # the same page of the same original always draws the same; "private": evidence stays off shared caches
    "Cache-Control": "private, max-age=86400",
    "Content-Security-Policy": "default-src 'none'",
}


@router.get(
    "/items/{item_id}/pages/{page}/preview.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "the page as a PNG"}},
)
@reads()
def page_preview(
    archive: ArchiveDep,
    item_id: int,
    page: int,
    width: Annotated[int, Query(ge=preview.MIN_WIDTH, le=preview.MAX_WIDTH)] = preview.DEFAULT_WIDTH,
) -> Response:
    """Page ``page`` of a PDF or image item as a PNG; 404 for items without pages to draw (emails, notes)."""
    png = preview.render_page(archive, item_id=item_id, page=page, width=width)
    return Response(content=png, media_type="image/png", headers=_HEADERS)
