"""Past bundles: every export the custody ledger records, with a download where the zip is kept.

The ledger is the record of what was handed out (an export made with ``casefile export
--out`` anywhere is there too); ``exports/<sha256>/`` is where the bundles built for
download live. A bundle made twice (same selection, same day: the same bytes) is listed
once, at its latest export.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlmodel import col, select

from ..archive import Archive
from ..errors import NotFound
from ..models import Client, LedgerEntry
from .manifest import EXPORT_ACTION
from .published import bundle_file

__all__ = ["PastBundle", "list_bundles"]


class PastBundle(BaseModel):
    """One bundle made from this archive, as its export's custody entry recorded it."""

    sha256: str  # of the zip: its id, and what to compare a copy against
    filename: str
    client: str
    client_name: str
    made_at: datetime  # in the archive's time zone
    made_by: str
    documents: int
    pages: int
    first_bates: str | None
    last_bates: str | None
    selection: dict[str, Any]
    ledger_seq: int
    download_url: str | None  # None when the zip is not kept in the data folder


def _downloadable(archive: Archive, sha256: str, filename: str) -> bool:
    try:
        return bundle_file(archive, bundle_id=sha256).name == filename
    except NotFound:
        return False


def list_bundles(
    archive: Archive, *, client: str | None = None, within: Collection[str] | None = None, limit: int = 200
) -> list[PastBundle]:
    """The bundles exported so far, newest first (``client``: only that client's; ``within``: those clients')."""
    zone = ZoneInfo(archive.settings.timezone)
    with archive.read() as session:
        names = dict(session.exec(select(Client.slug, Client.name)).all())
        rows = session.exec(
            select(LedgerEntry).where(LedgerEntry.action == EXPORT_ACTION).order_by(col(LedgerEntry.seq).desc())
        ).all()
    seen: set[str] = set()
    bundles: list[PastBundle] = []
    for row in rows:
        details = json.loads(row.details)
        sha256, slug = str(details.get("zip_sha256", "")), str(details.get("client", ""))
        if not sha256 or sha256 in seen or (client and slug != client):
            continue
        if within is not None and slug not in within:
            continue
        seen.add(sha256)
        bates = details.get("bates") or [None, None]
        filename = str(details.get("file", ""))
        bundles.append(PastBundle(
            sha256=sha256, filename=filename, client=slug, client_name=names.get(slug, slug),
            made_at=datetime.fromisoformat(row.at).astimezone(zone), made_by=row.actor,
            documents=int(details.get("items", 0)), pages=int(details.get("pages", 0)),
            first_bates=bates[0], last_bates=bates[-1], selection=details.get("selection") or {},
            ledger_seq=row.seq,
            download_url=f"/api/bundles/{sha256}" if _downloadable(archive, sha256, filename) else None,
        ))
        if len(bundles) >= limit:
            break
    return bundles
