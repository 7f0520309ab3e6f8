"""The item page: preview, text page by page, headers, custody, and the forms that change an item.

Each form posts to a route here that calls one service function (tags, notes,
re-assignment, corrections) and sends the browser back to the item (303), so a reload
never repeats a change. A value the service refuses comes back as the same page with the
message beside the form (422), never as JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .. import corrections, items, preview, tags
from ..access import PrincipalDep, reads, writes
from ..api.deps import ArchiveDep
from ..archive import Archive
from ..changes import assign_item
from ..errors import ClientNotFound, InvalidInput, ItemNotFound, NotFound
from ..jobs import latest_job_for_item
from ..schemas import ItemDetail
from .item_wording import custody_words, dated_words, page_method_words, replaced_words
from .templating import page

__all__ = ["router"]


router = APIRouter(include_in_schema=False)

_HEADER_ROLES = (("from", "From"), ("to", "To"), ("cc", "Cc"), ("bcc", "Bcc"))


def _email_headers(item: ItemDetail) -> list[tuple[str, list[str]]]:
    people = []
    for role, label in _HEADER_ROLES:
        found = [f"{p.name} <{p.address}>" if p.name and p.address else p.name or p.address
                 for p in item.participants if p.role == role]
        if found or role in ("from", "to"):
            people.append((label, found))
    return people


def _context(
    archive: Archive, item_id: int, problems: dict[str, str] | None = None, entered: dict[str, str] | None = None,
    *, within: Collection[str] | None = None,
) -> dict[str, Any]:
    item = items.get_item(archive, item_id=item_id, within=within)
    clients = items.list_clients(archive, within=within)
    names = {c.slug: c.name for c in clients}
    fixes = corrections.item_corrections(archive, item_id=item_id)
    return {
        "item": item,
        "client_name": names.get(item.client, item.client),
        "clients": clients,
        "previews": preview.has_preview(item.content_type, item.sha256) and item.status != "failed",
        "searchable_pdf": any(d.role == "searchable_pdf" for d in item.derived),
        "email_headers": _email_headers(item) if item.kind == "email" else [],
        "corrected": {field: [c for c in fixes if c.field == field] for field in corrections.FIELDS},
        "custody": [(e, datetime.fromisoformat(e.at), custody_words(e, names)) for e in item.ledger],
        "page_words": page_method_words,
        "dated_words": dated_words,
        "replaced_words": replaced_words,
        # an upload still being read: which job, how far (the page says so instead of an empty text)
        "job": latest_job_for_item(archive, item_id=item_id) if item.status == "pending" else None,
        "problems": problems or {},
        "entered": entered or {},
    }


@router.get("/items/{item_id}", response_class=HTMLResponse)
@reads("item")
def item_page(request: Request, archive: ArchiveDep, principal: PrincipalDep, item_id: int) -> HTMLResponse:
    return page(request, "item.html", _context(archive, item_id, within=principal.within()))


def _change(
    request: Request, archive: Archive, item_id: int, *, form: str, anchor: str, entered: dict[str, str],
    action: Callable[[], object], within: Collection[str] | None,
) -> Response:
    """Runs ``action``; back to the item on success, or the page with the refusal beside ``form``."""
    try:
        action()
    except (InvalidInput, NotFound) as exc:
        if isinstance(exc, ItemNotFound):
            raise
        status = 422 if isinstance(exc, InvalidInput) else 404
        context = _context(archive, item_id, {form: str(exc)}, entered, within=within)
        return page(request, "item.html", context, status_code=status)
    return RedirectResponse(f"/items/{item_id}#{anchor}", status_code=303)


FormText = Annotated[str, Form()]


@router.post("/items/{item_id}/tags")
@writes
def add_tag(
    request: Request, archive: ArchiveDep, principal: PrincipalDep, item_id: int, tag: FormText = ""
) -> Response:
    return _change(
        request, archive, item_id, within=principal.within(), form="tag", anchor="tags", entered={"tag": tag},
        action=lambda: tags.tag_item(archive, item_id=item_id, tag=tag),
    )


@router.post("/items/{item_id}/tags/{tag}/delete")
@writes
def remove_tag(request: Request, archive: ArchiveDep, principal: PrincipalDep, item_id: int, tag: str) -> Response:
    return _change(
        request, archive, item_id, within=principal.within(), form="tag", anchor="tags", entered={},
        action=lambda: tags.untag_item(archive, item_id=item_id, tag=tag),
    )


@router.post("/items/{item_id}/notes")
@writes
def add_note(
    request: Request, archive: ArchiveDep, principal: PrincipalDep, item_id: int, text: FormText = ""
) -> Response:
    return _change(
        request, archive, item_id, within=principal.within(), form="note", anchor="notes", entered={"note": text},
        action=lambda: tags.add_note(archive, item_id=item_id, text=text),
    )


@router.post("/items/{item_id}/assign")
@writes
def assign(
    request: Request, archive: ArchiveDep, principal: PrincipalDep, item_id: int, client: FormText = "",
    new_client: FormText = "",
) -> Response:
    target = new_client.strip() or client.strip()

    def move() -> object:
        if target and not principal.sees(target):  # a token for one client's matter moves nothing out of it
            raise ClientNotFound(target)
        return assign_item(archive, item_id=item_id, client=target)

    return _change(
        request, archive, item_id, within=principal.within(), form="assign", anchor="assign",
        entered={"new_client": new_client}, action=move,
    )


@router.post("/items/{item_id}/corrections")
@writes
def correct(
    request: Request, archive: ArchiveDep, principal: PrincipalDep, item_id: int, title: FormText = "",
    occurred_at: FormText = "", reason: FormText = "",
) -> Response:
    # an empty field means "keep it"; the title field starts filled in, so unchanged is kept too
    return _change(
        request, archive, item_id, within=principal.within(), form="correct", anchor="correct",
        entered={"title": title, "occurred_at": occurred_at, "reason": reason},
        action=lambda: corrections.correct_item(
            archive, item_id=item_id, title=title if title.strip() else None,
            occurred_at=occurred_at if occurred_at.strip() else None, reason=reason,
        ),
    )

