"""Server-rendered pages for people (escaped Jinja2 templates over the service)."""

from __future__ import annotations

from fastapi import APIRouter

from . import auth_pages, bundle_pages, item_pages, pages, timeline_page, upload_pages

__all__ = ["pages_router"]

pages_router = APIRouter(include_in_schema=False)
pages_router.include_router(pages.router)
pages_router.include_router(timeline_page.router)
pages_router.include_router(item_pages.router)
pages_router.include_router(upload_pages.router)
pages_router.include_router(bundle_pages.router)
pages_router.include_router(auth_pages.router)
