"""The web application: API routers and pages over one open archive."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from .access import authorize
from .api.errors import install_error_handlers
from .api.router import api_router
from .archive import open_archive
from .config import Settings
from .queue import start_consumer, stop_consumer
from .search import try_sync_index
from .web import pages_router
from .web.api_docs import router as api_docs_router
from .web.errors import install_page_errors
from .web.headers import SecurityHeaders, redact_access_log

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, *, job_workers: int = 0) -> FastAPI:
    """A FastAPI app whose lifespan opens the archive in ``settings.data``.

    With ``job_workers`` > 0 it also runs that many queue workers in the process (what
    ``casefile serve`` does unless told ``--no-worker``): uploads are read, exports built.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        archive = app.state.archive = open_archive(settings)
        # heal the index: anything committed but not yet indexed (say, after a crash)
        try_sync_index(archive)
        consumer = start_consumer(archive, workers=job_workers) if job_workers > 0 else None
        try:
            yield
        finally:
            if consumer is not None:
                stop_consumer(*consumer)
            archive.close()

    # /docs is ours (Swagger UI from /static, not a CDN); no ReDoc, which only loads from a CDN
    app = FastAPI(
        title="Casefile", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None,
        dependencies=[Depends(authorize)],
    )
    install_error_handlers(app)
    install_page_errors(app)  # after the JSON handlers: it keeps them for /api
    app.include_router(api_router)
    app.include_router(pages_router)
    app.include_router(api_docs_router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static")
    app.add_middleware(SecurityHeaders)
    redact_access_log()
    return app
