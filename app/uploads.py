"""Uploads: files received over HTTP, recorded the moment their bytes are durable, read later.

Receiving and reading are two steps so that nothing a person sent is lost however the
upload ends. ``record_received`` runs as soon as a file's bytes are in the blob store:
the item is written (status ``pending``) with a ``received`` custody entry and an ingest
job in the same transaction, so a server that dies a second later still has the file,
its hash, its entry and the work to do. The job (``run_ingest_job``, on the queue) then
reads the file and fills the item in, exactly as ``casefile ingest`` would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import insert, update
from sqlmodel import col

from ingest.sniff import sniff

from .archive import Archive
from .blobs import StoredBlob
from .clients import UNASSIGNED, ensure_client, validate_slug
from .errors import InvalidInput
from .ingest_run import PENDING, existing_top_level
from .ingesting import ingest_received
from .itemstate import STATE, current_states
from .jobs import JobPublic, ProgressFn, create_job
from .models import Item, utc_now

__all__ = ["UploadResult", "UploadTarget", "record_received", "run_ingest_job", "safe_filename", "upload_target"]

_MAX_NAME = 255
_MAX_PATH = 1024
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


class UploadResult(BaseModel):
    """What became of one uploaded file (one line of the upload page)."""

    filename: str
    path: str  # the name as sent, with any folder (drag-and-drop of a folder), for people
    sha256: str
    size: int
    outcome: Literal["queued", "duplicate"]
    item_id: int
    job_id: int | None = None
    duplicate_of: int | None = None
    message: str


@dataclass(frozen=True)
class UploadTarget:
    """Where a request's files go: a client, or routed by their correspondents (``None``)."""

    client: str | None


def upload_target(*, client: str | None) -> UploadTarget:
    """Checks the client slug a person gave (created on first use, as ``casefile ingest --client`` does)."""
    if not client or not client.strip():
        return UploadTarget(client=None)
    return UploadTarget(client=validate_slug(client.strip()))


def safe_filename(sent: str | None) -> tuple[str, str]:
    """``(file name, path as sent)`` for a name a browser or script sent; never a filesystem path.

    The name only labels the item (the blob store names files by hash); control
    characters go, folders are kept for people to read but not used as folders.
    """
    raw = _UNSAFE.sub("", (sent or "").replace("\\", "/"))[:_MAX_PATH]
    parts = [p for p in PurePosixPath(raw).parts if p not in ("/", ".", "..")]
    name = (parts[-1] if parts else "")[:_MAX_NAME] or "upload"
    return name, "/".join(parts) or name


def record_received(
    archive: Archive,
    *,
    blob: StoredBlob,
    sent_name: str | None,
    target: UploadTarget,
    actor: str | None = None,
) -> UploadResult:
    """Records a stored upload: a duplicate's ``received-again`` entry, or a new pending item and its job."""
    filename, path = safe_filename(sent_name)
    with archive.write(actor) as uow:
        found = existing_top_level(uow.session, blob.sha256)
        if found is not None:
            existing, state = found
            uow.ledger.append(
                actor=uow.actor, action="received-again", item_id=existing,
                details={"sha256": blob.sha256, "filename": filename, "origin": "upload", "path": path},
            )
            # a container an earlier ingest stopped reading part-way: this arrival finishes it
            job_id = create_job(uow, kind="ingest", item_id=existing, params={"client": target.client}) if (
                state == "extracting") else None
            return UploadResult(
                filename=filename, path=path, sha256=blob.sha256, size=blob.size, outcome="duplicate",
                item_id=existing, duplicate_of=existing, job_id=job_id,
                message=f"duplicate of #{existing}" + ("; reading the rest of it" if job_id else ""),
            )
        owner, _ = ensure_client(uow.session, target.client or UNASSIGNED)
        with archive.blobs.open(blob.sha256) as fh:
            content_type = sniff(fh.read(8192), filename)
        item_id = uow.session.connection().execute(
            insert(Item.__table__).values(  # type: ignore[arg-type]
                client_id=owner.id, kind="document", title=filename[:500], ingested_at_utc=utc_now(),
                sha256=blob.sha256, size=blob.size, original_filename=filename, content_type=content_type,
                text="", status=PENDING, ingest_state="receiving", date_source="none", date_detail="",
                email_references="", facts_json="{}", other_dates_json="[]", summary="", text_hints=0,
            )
        ).inserted_primary_key[0]
        uow.ledger.append(
            actor=uow.actor, action="received", item_id=item_id,
            details={
                "sha256": blob.sha256, "size": blob.size, "filename": filename, "path": path,
                "origin": "upload", "client": target.client,
                STATE: current_states(uow.session, [item_id])[item_id],
            },
        )
        job_id = create_job(uow, kind="ingest", item_id=item_id, params={"client": target.client})
    return UploadResult(
        filename=filename, path=path, sha256=blob.sha256, size=blob.size, outcome="queued",
        item_id=item_id, job_id=job_id, message="received; waiting to be read",
    )


def run_ingest_job(archive: Archive, job: JobPublic, progress: ProgressFn) -> dict[str, Any]:
    """Reads an uploaded file into its item (the queue's work for an upload)."""
    if job.item_id is None:
        raise InvalidInput(f"job {job.id} names no item")
    progress(0, None, "reading")
    counted: list[str] = []

    def count(done: int, total: int | None, note: str) -> None:
        counted.append(note)
        progress(done, total, note)

    try:
        report = ingest_received(
            archive, item_id=job.item_id, client=job.params.get("client"), actor=job.actor or None,
            counted=count,
        )
    except Exception as exc:
        _mark_failed(archive, job.item_id, f"could not be read: {type(exc).__name__}: {exc}")
        raise
    if not counted:  # nothing long to count (an email, a note): just say it is read
        progress(1, 1, "read")
    with archive.read() as session:
        item = session.get(Item, job.item_id)
        status, error = (item.status, item.error) if item else ("failed", "item missing")
    return {
        "item_id": job.item_id,
        "status": status,
        "error": error,
        "stored": report.stored,
        "duplicates": report.duplicates,
        "failed": report.failed,
        "problems": report.problems,
    }


def _mark_failed(archive: Archive, item_id: int, reason: str) -> None:
    """A job that crashed leaves its file kept, ``failed``, with the reason (and a ledger entry)."""
    with archive.write() as uow:
        changed = uow.session.connection().execute(
            update(Item.__table__)  # type: ignore[arg-type]
            .where(col(Item.id) == item_id, col(Item.status) == PENDING)
            .values(status="failed", ingest_state="failed", error=reason[:500])
        ).rowcount
        if changed:
            uow.ledger.append(
                actor=uow.actor, action="extraction-failed", item_id=item_id, details={"error": reason[:500]}
            )
