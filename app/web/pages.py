"""Pages: clients, a client's items and timeline, one item, search. Every value is escaped."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .. import items
from .. import search as search_service
from ..api.deps import ArchiveDep
from ..errors import InvalidInput
from ..timeline import build_timeline, render_html

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


@router.get("/", response_class=HTMLResponse)
def index(request: Request, archive: ArchiveDep) -> HTMLResponse:
    return templates.TemplateResponse(request, "index.html", {"clients": items.list_clients(archive)}, headers=_HEADERS)


@router.get("/clients/{slug}", response_class=HTMLResponse)
def client_page(request: Request, archive: ArchiveDep, slug: str, kind: str | None = None) -> HTMLResponse:
    listing = items.list_items(archive, client=slug, kind=kind, limit=1000)
    return templates.TemplateResponse(
        request, "client.html", {"slug": slug, "listing": listing, "kind": kind}, headers=_HEADERS
    )


@router.get("/clients/{slug}/timeline", response_class=HTMLResponse)
def timeline_page(
    archive: ArchiveDep,
    slug: str,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> HTMLResponse:
    result = build_timeline(archive, client=slug, date_from=date_from, date_to=date_to)
    return HTMLResponse(render_html(result), headers=_HEADERS)


def _marked(snippet: str) -> list[tuple[str, bool]]:
    """A snippet's parts, flagged where a match was marked **like this** (rendered escaped)."""
    return [(part, index % 2 == 1) for index, part in enumerate(snippet.split("**")) if part]


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, archive: ArchiveDep, q: str = "", client: str | None = None, page: int = 1
) -> HTMLResponse:
    result, problem = None, None
    if q.strip():
        try:
            result = search_service.search(archive, query=q, client=client or None, page=max(1, page))
        except InvalidInput as exc:  # a query a person typed: say what is wrong, on the page
            problem = str(exc)
    context = {
        "q": q,
        "client": client or "",
        "result": result,
        "problem": problem,
        "marked": _marked,
        "page": page,
        "clients": items.list_clients(archive),
    }
    return templates.TemplateResponse(request, "search.html", context, headers=_HEADERS)


@router.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, archive: ArchiveDep, item_id: int) -> HTMLResponse:
    detail = items.get_item(archive, item_id=item_id)
    return templates.TemplateResponse(request, "item.html", {"item": detail}, headers=_HEADERS)
