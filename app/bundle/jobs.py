"""Bundles as background jobs: an export, or a check of the whole archive, run by the queue.

``request_export`` checks what a person asked for *before* a job exists (an unknown
client, a bad Bates prefix, dates the wrong way round, a selection that matches nothing),
so the mistake is reported at once instead of as a failed job a minute later. The runners
are what ``app.jobs.JOB_KINDS`` names; they turn the export's ``(phase, done, total)``
progress into the job's ``(done, total, note)``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..archive import Archive
from ..clients import validate_slug
from ..errors import InvalidInput
from ..jobs import JobPublic, ProgressFn, submit_job
from ..verify import verify_archive
from .export import validate_prefix
from .published import publish_bundle
from .schemas import SelectionPublic
from .selection import plan_documents

__all__ = ["EXPORT_KIND", "VERIFY_ARCHIVE_KIND", "request_export", "request_verify_archive", "run_export_job",
           "run_verify_archive_job"]

EXPORT_KIND = "export"
VERIFY_ARCHIVE_KIND = "verify-archive"

# The export's phases in words, for the progress line a person reads.
_PHASES = {
    "render": "numbering and stamping documents",
    "natives": "packing the original files",
}


def _clean(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def request_export(
    archive: Archive,
    *,
    client: str,
    date_from: date | None = None,
    date_to: date | None = None,
    tag: str | None = None,
    query: str | None = None,
    prefix: str | None = None,
    actor: str | None = None,
) -> JobPublic:
    """Checks the selection, then queues its export; the job's result says where to download it."""
    client = validate_slug(client)
    prefix = _clean(prefix)
    validate_prefix(prefix, client)
    if date_from and date_to and date_from > date_to:
        raise InvalidInput(
            f"the start date {date_from.isoformat()} is after the end date {date_to.isoformat()}: nothing could match"
        )
    selection = SelectionPublic(client=client, date_from=date_from, date_to=date_to, tag=_clean(tag),
                                query=_clean(query))
    # The same planning the export will do: an unknown client, a bad tag or query, or an
    # empty selection fail here, with the export's own words.
    if not plan_documents(archive, selection=selection).docs:
        raise InvalidInput(f"no items of client '{client}' match the selection; nothing to export")
    params = {
        "client": client,
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "tag": selection.tag,
        "query": selection.query,
        "prefix": prefix,
    }
    return submit_job(archive, kind=EXPORT_KIND, params=params, actor=actor)


def request_verify_archive(archive: Archive, *, actor: str | None = None) -> JobPublic:
    """Queues a check of the whole archive (every original re-hashed, the ledger walked)."""
    return submit_job(archive, kind=VERIFY_ARCHIVE_KIND, params={}, actor=actor)


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def run_export_job(archive: Archive, job: JobPublic, progress: ProgressFn) -> dict[str, Any]:
    """Builds the bundle a job asked for into ``exports/``; returns its id, counts and download URL."""
    params = job.params

    def on_phase(phase: str, done: int, total: int) -> None:
        progress(done, total, _PHASES.get(phase, phase))

    progress(0, None, "choosing the items")
    summary = publish_bundle(
        archive, client=params["client"], date_from=_day(params.get("from")), date_to=_day(params.get("to")),
        tag=params.get("tag"), query=params.get("query"), prefix=params.get("prefix"),
        actor=job.actor or None, progress=on_phase,  # who asked, not the worker
    )
    progress(summary.documents, summary.documents, "bundle ready")
    return {
        "bundle_id": summary.sha256,
        "sha256": summary.sha256,
        "filename": summary.filename,
        "client": summary.client,
        "bytes": summary.bytes,
        "documents": summary.documents,
        "pages": summary.pages,
        "first_bates": summary.first_bates,
        "last_bates": summary.last_bates,
        "missing": summary.missing,
        "download_url": f"/api/bundles/{summary.sha256}",
    }


def run_verify_archive_job(archive: Archive, job: JobPublic, progress: ProgressFn) -> dict[str, Any]:
    """Re-hashes every original and walks the custody ledger; returns the report."""
    return verify_archive(archive, progress=progress).as_dict()
