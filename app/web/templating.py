"""The one Jinja2 environment every page renders with, and the headers every page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from ..access import CSRF_FIELD, Principal
from ..accounts.common import STAFF
from .wording import date_source_words, human_size, human_time, status_words

__all__ = ["PAGE_HEADERS", "access_context", "page", "templates"]


def access_context(request: Request) -> dict[str, Any]:
    """What every template knows of who is asking: the nav's name and links, and the CSRF token forms carry.

    ``csrf_input`` goes in every POST form (empty in local mode, where no token is needed);
    ``csrf_query`` (``?csrf_token=…`` or nothing) goes in the action of a multipart form, whose
    body the access check does not read.
    """
    principal: Principal | None = getattr(request.state, "principal", None)
    token = (principal.csrf_token if principal is not None else None) or ""
    return {
        "principal": principal,
        "signed_in": principal is not None and principal.kind == "session",
        # no principal (an address no route answers): the nav a person of the firm would see
        "can_write": principal is None or principal.role in STAFF,
        "is_owner": principal is not None and principal.role == "owner",
        "csrf_token": token,
        "csrf_input": Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">'),
        "csrf_query": f"?{CSRF_FIELD}={quote(token)}" if token else "",
    }


templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"), context_processors=[access_context])
templates.env.filters.update(
    size=human_size, when=human_time, date_source=date_source_words, status=status_words,
)

# Scripts only from our own origin (vendored htmx and a little plain JS); user content is
# escaped by Jinja2's autoescape, and this stops anything that slipped through from running.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """The template ``name`` rendered with ``context``, with the pages' security headers."""
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=PAGE_HEADERS)
