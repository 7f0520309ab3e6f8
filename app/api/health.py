"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from ..access import public
from ..db import schema_version
from .deps import ArchiveDep

router = APIRouter(tags=["health"])


@router.get("/health")
@public
def health(archive: ArchiveDep) -> dict[str, object]:
    """The service is up and its database answers."""
    with archive.read() as session:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        version = schema_version(session)
    return {"status": "ok", "schema_version": version}
