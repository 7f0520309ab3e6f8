"""Browse pages: the clients, a client's items (filtered, sorted, paged) and search. Every value is escaped.

Filters are GET forms, so every view has an address a person can bookmark or send. A
value the service refuses (an unknown kind, a date typed wrongly, a query with an open
quote) is shown on the page beside the form that sent it, never as JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from .. import items
from .. import search as search_service
from ..access import PrincipalDep, public, reads
from ..api.deps import ArchiveDep
from ..errors import InvalidInput
from ..overview import client_overviews
from .forms import Pager, blank_none, optional_day, url_with
from .templating import page

__all__ = ["ITEMS_PAGE_SIZE", "SEARCH_PAGE_SIZE", "router"]

router = APIRouter(include_in_schema=False)

ITEMS_PAGE_SIZE = 50
SEARCH_PAGE_SIZE = 20
_FAVICON = Path(__file__).parent / "static" / "favicon.svg"

SORT_WORDS = {"date": "Date", "title": "Title", "kind": "Kind", "ingested": "Date added"}
ORDER_WORDS = {"asc": "Oldest / A–Z first", "desc": "Newest / Z–A first"}


@router.get("/favicon.ico", include_in_schema=False)
@public
def favicon() -> FileResponse:
    # Browsers ask for /favicon.ico whatever the page links to; every current one reads SVG.
    return FileResponse(_FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@router.get("/", response_class=HTMLResponse)
@reads()
def index(request: Request, archive: ArchiveDep, principal: PrincipalDep) -> HTMLResponse:
    return page(request, "index.html", {"clients": client_overviews(archive, within=principal.within())})


@router.get("/clients/{slug}", response_class=HTMLResponse)
@reads()
def client_page(
    request: Request,
    archive: ArchiveDep,
    principal: PrincipalDep,
    slug: str,
    kind: str = "",
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
    tag: str = "",
    status: str = "",
    correspondent: str = "",
    label: str = "",
    sort: str = "date",
    order: str = "asc",
    page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> HTMLResponse:
    options = items.listing_options(archive, client=slug)  # an unknown client is a 404 page
    form = {"kind": kind, "from": date_from, "to": date_to, "tag": tag, "status": status,
            "correspondent": correspondent, "label": label, "sort": sort, "order": order}
    pager = Pager(page=page_number, size=ITEMS_PAGE_SIZE, total=0)
    listing, problem = None, None
    try:
        if order not in ORDER_WORDS:
            raise InvalidInput(f"unknown order '{order}' (one of: asc, desc)")
        listing = items.list_items(
            archive, client=slug, kind=blank_none(kind), status=blank_none(status), tag=blank_none(tag),
            date_from=optional_day(date_from, "From"), date_to=optional_day(date_to, "To"),
            correspondent=blank_none(correspondent), label=blank_none(label), sort=blank_none(sort) or "date",
            descending=order == "desc", limit=ITEMS_PAGE_SIZE, offset=pager.offset, within=principal.within(),
        )
        pager.total = listing.total
    except InvalidInput as exc:  # a value a person chose or typed: say what is wrong, beside the form
        problem = str(exc)
    here = f"/clients/{slug}"
    context: dict[str, Any] = {
        "options": options,
        "form": form,
        "listing": listing,
        "problem": problem,
        "pager": pager,
        "previous_url": url_with(here, form, page=page_number - 1) if pager.has_previous else None,
        "next_url": url_with(here, form, page=page_number + 1) if pager.has_next else None,
        "kinds": items.KINDS,
        "statuses": items.STATUSES,
        "sorts": SORT_WORDS,
        "orders": ORDER_WORDS,
    }
    return page(request, "client.html", context, status_code=422 if problem else 200)


def _marked(snippet: str) -> list[tuple[str, bool]]:
    """A snippet's parts, flagged where a match was marked **like this** (rendered escaped)."""
    return [(part, index % 2 == 1) for index, part in enumerate(snippet.split("**")) if part]


def _with_correspondent(query: str, address: str) -> str:
    """The query narrowed to items ``address`` took part in (the index's ``correspondents`` field)."""
    term = f'correspondents:"{address}"'
    return query if term in query else f"{query} {term}".strip()


@router.get("/search", response_class=HTMLResponse)
@reads("search")
def search_page(
    request: Request,
    archive: ArchiveDep,
    principal: PrincipalDep,
    q: str = "",
    client: str = "",
    kind: str = "",
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
    page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> HTMLResponse:
    form = {"q": q, "client": client, "kind": kind, "from": date_from, "to": date_to}
    result, problem = None, None
    if q.strip():
        try:
            result = search_service.search(
                archive, query=q, client=blank_none(client), kind=blank_none(kind),
                date_from=optional_day(date_from, "From"), date_to=optional_day(date_to, "To"),
                limit=SEARCH_PAGE_SIZE, page=page_number, within=principal.within(),
            )
        except InvalidInput as exc:  # a query a person typed: say what is wrong, on the page
            problem = str(exc)
    pager = Pager(page=page_number, size=SEARCH_PAGE_SIZE, total=result.total if result else 0)
    facets: list[tuple[str, list[tuple[str, int, str, bool]]]] = []
    if result:
        # each facet value is a link that adds it to the search (or, when it is on, takes it off)
        kinds = [
            (value, count, url_with("/search", form, kind="" if value == kind else value, page=None), value == kind)
            for value, count in result.facets.get("kind", {}).items()
        ]
        people = [
            (value, count, url_with("/search", form, q=_with_correspondent(q, value), page=None),
             f'correspondents:"{value}"' in q)
            for value, count in result.facets.get("correspondent", {}).items()
        ]
        facets = [(name, values) for name, values in (("Kind", kinds), ("Correspondent", people)) if values]
    clients = items.list_clients(archive, within=principal.within())  # the client picker: a lawyer's own
    context = {
        "form": form,
        "q": q,
        "result": result,
        "problem": problem,
        "marked": _marked,
        "pager": pager,
        "facets": facets,
        "previous_url": url_with("/search", form, page=page_number - 1) if pager.has_previous else None,
        "next_url": url_with("/search", form, page=page_number + 1) if pager.has_next else None,
        "clients": clients,
        "client_names": {c.slug: c.name for c in clients},
        "kinds": items.KINDS,
    }
    return page(request, "search.html", context)
