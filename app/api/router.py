"""The API hub: every router under /api, plus /health."""

from __future__ import annotations

from fastapi import APIRouter

from . import bundles, clients, corrections, health, items, jobs, previews, search, tags, timeline, uploads

__all__ = ["api_router"]

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(clients.router, prefix="/api")
api_router.include_router(items.router, prefix="/api")
api_router.include_router(search.router, prefix="/api")
api_router.include_router(timeline.router, prefix="/api")
api_router.include_router(tags.router, prefix="/api")
api_router.include_router(previews.router, prefix="/api")
api_router.include_router(corrections.router, prefix="/api")
api_router.include_router(bundles.router, prefix="/api")
api_router.include_router(uploads.router, prefix="/api")
api_router.include_router(jobs.router, prefix="/api")
