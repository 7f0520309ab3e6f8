"""Pages: clients, a client's items, one item. Every value is escaped by Jinja2."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .. import items
from ..api.deps import ArchiveDep
from ..timeline import build_timeline, render_html

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


@router.get("/", response_class=HTMLResponse)
def index(request: Request, archive: ArchiveDep) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "index.html", {"clients": items.list_clients(archive)}, headers=_HEADERS
    )


@router.get("/clients/{slug}", response_class=HTMLResponse)
def client_page(request: Request, archive: ArchiveDep, slug: str, kind: str | None = None) -> HTMLResponse:
    listing = items.list_items(archive, client=slug, kind=kind, limit=1000)
    return templates.TemplateResponse(
        request, "client.html", {"slug": slug, "listing": listing, "kind": kind}, headers=_HEADERS
    )


@router.get("/clients/{slug}/timeline", response_class=HTMLResponse)
def timeline_page(
    archive: ArchiveDep, slug: str, date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> HTMLResponse:
    result = build_timeline(archive, client=slug, date_from=date_from, date_to=date_to)
    return HTMLResponse(render_html(result), headers=_HEADERS)


@router.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, archive: ArchiveDep, item_id: int) -> HTMLResponse:
    detail = items.get_item(archive, item_id=item_id)
    return templates.TemplateResponse(request, "item.html", {"item": detail}, headers=_HEADERS)
