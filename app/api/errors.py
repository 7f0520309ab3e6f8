"""The one place that maps domain exceptions to HTTP status codes."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..errors import (
    ArchiveBusy,
    CasefileError,
    Forbidden,
    IntegrityProblem,
    InvalidInput,
    NotFound,
    NotSignedIn,
    TooManyAttempts,
    UploadTooLarge,
)

__all__ = ["install_error_handlers"]

_STATUS: list[tuple[type[CasefileError], int]] = [
    (NotFound, 404),
    (InvalidInput, 422),
    (UploadTooLarge, 413),
    (NotSignedIn, 401),
    (Forbidden, 403),
    (TooManyAttempts, 429),
    (ArchiveBusy, 503),
    (IntegrityProblem, 409),
]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CasefileError)
    async def _handle(_request: Request, exc: CasefileError) -> JSONResponse:
        status = next((code for cls, code in _STATUS if isinstance(exc, cls)), 400)
        return JSONResponse({"detail": str(exc)}, status_code=status)
