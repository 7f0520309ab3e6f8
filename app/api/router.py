"""The API hub: every router under /api, plus /health."""

from __future__ import annotations

from fastapi import APIRouter

from . import clients, health, items

__all__ = ["api_router"]

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(clients.router, prefix="/api")
api_router.include_router(items.router, prefix="/api")
