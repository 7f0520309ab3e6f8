"""The one Jinja2 environment every page renders with, and the headers every page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .wording import date_source_words, human_size, human_time, status_words

__all__ = ["PAGE_HEADERS", "page", "templates"]

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
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
