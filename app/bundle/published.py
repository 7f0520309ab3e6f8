"""Bundles built for download: kept in the data folder's ``exports/``, found by their hash.

A bundle's id is the SHA-256 of its zip, and it lives at ``exports/<id>/<file name>``.
Nothing a caller sends becomes part of a path: the id must be 64 hex digits, and the
file inside that folder must have the name an export gives (``client-evidence-date.zip``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import date
from pathlib import Path

from ..archive import Archive
from ..errors import NotFound
from .export import export_bundle
from .schemas import BundleSummary
from .staging import Progress

__all__ = ["bundle_file", "exports_dir", "publish_bundle"]

_ID = re.compile(r"^[0-9a-f]{64}$")
_FILENAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}-evidence-\d{4}-\d{2}-\d{2}\.zip$")


def exports_dir(archive: Archive) -> Path:
    """The folder published bundles live in (created on first use)."""
    folder = archive.settings.data / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def publish_bundle(
    archive: Archive,
    *,
    client: str,
    date_from: date | None = None,
    date_to: date | None = None,
    tag: str | None = None,
    query: str | None = None,
    prefix: str | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
) -> BundleSummary:
    """Exports into ``exports/<sha256>/``; the summary's sha256 is the id to download it by."""
    folder = exports_dir(archive)
    # A private build folder: two requests for the same client and day never write the
    # same path, and a half-built bundle is never where a download could find it.
    build = Path(tempfile.mkdtemp(dir=folder, prefix=".build-"))
    try:
        summary = export_bundle(
            archive, client=client, out=build, date_from=date_from, date_to=date_to, tag=tag,
            query=query, prefix=prefix, actor=actor, progress=progress,
        )
        final = folder / summary.sha256 / summary.filename
        final.parent.mkdir(exist_ok=True)
        os.replace(summary.path, final)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return summary.model_copy(update={"path": str(final)})


def bundle_file(archive: Archive, *, bundle_id: str) -> Path:
    """The zip of a published bundle, or ``NotFound`` (also for any id that is not a hash)."""
    if not _ID.match(bundle_id):
        raise NotFound(f"no bundle '{bundle_id[:80]}'")
    folder = archive.settings.data / "exports" / bundle_id
    if not folder.is_dir() or folder.is_symlink():
        raise NotFound(f"no bundle '{bundle_id}'")
    found = [p for p in folder.iterdir() if _FILENAME.match(p.name) and p.is_file() and not p.is_symlink()]
    if len(found) != 1:
        raise NotFound(f"no bundle '{bundle_id}'")
    return found[0]
