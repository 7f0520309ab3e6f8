"""The web application: API routers and pages over one open archive."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .api.errors import install_error_handlers
from .api.router import api_router
from .archive import open_archive
from .config import Settings
from .search import try_sync_index
from .web.pages import router as pages_router

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """A FastAPI app whose lifespan opens the archive in ``settings.data``."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.archive = open_archive(settings)
        # heal the index: anything committed but not yet indexed (say, after a crash)
        try_sync_index(app.state.archive)
        try:
            yield
        finally:
            app.state.archive.close()

    app = FastAPI(title="Casefile", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(pages_router)
    return app
