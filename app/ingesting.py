"""Ingestion: the one place that takes files from disk (or upload) into the archive.

For each file: store the original (byte-identical, hashed), read it with ingest/, and
record the items, their participants, pages and custody entries in one unit of work.
A file we cannot read is still stored, with a ``failed`` status and a one-line reason.
"""

from __future__ import annotations

import errno
import io
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from ingest import registry
from ingest.source import Context, Source

from .archive import Archive, UnitOfWork
from .blobs import StoredBlob
from .checkpoints import make_checkpoint
from .clients import UNASSIGNED, Router, ensure_client
from .drills import drill
from .errors import ArchiveBusy, InvalidInput, ItemNotFound
from .ingest_run import PENDING, Counted, IngestReport, IngestRun, Progress, existing_top_level
from .members import record_child, record_stream
from .models import Item
from .recording import StoredItem, record_item
from .search import try_sync_index

__all__ = [
    "PENDING", "Counted", "IngestReport", "ingest_bytes", "ingest_paths", "ingest_received", "iter_files",
    "received_again",
]

log = logging.getLogger(__name__)

def iter_files(paths: Iterable[Path], report: IngestReport) -> Iterator[Path]:
    """Every regular file under ``paths`` (folders walked recursively, in name order)."""
    for path in paths:
        if path.is_file():
            yield path
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    candidate = Path(root) / name
                    if candidate.is_file():
                        yield candidate
        elif path.exists():
            report.not_stored.append(f"{path}: not a regular file")
        else:
            report.not_stored.append(f"{path}: no such file or folder")


def ingest_paths(
    archive: Archive,
    *,
    paths: Sequence[Path],
    client: str | None = None,
    password: str | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
    index: bool = True,
) -> IngestReport:
    """Ingests files and folders; every readable file is stored whatever its content.

    With ``index=False`` the search index catches up at its next sync (any search, the
    service's start, or ``reindex``) instead of now: for loading many files in a row.
    """
    report = IngestReport()
    run = IngestRun(archive, client, _context(archive, password), actor or archive.settings.actor, report, progress)
    _prepare_client(run)
    for path in iter_files(paths, report):
        try:
            mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            with path.open("rb") as fh:
                blob = archive.blobs.put_stream(fh)
            drill("after-blob")
        except OSError as exc:
            report.not_stored.append(f"{path}: {storage_problem(exc)}")
            continue
        try:
            _ingest_stored(run, blob, path.name, mtime, origin=str(path))
        except OSError as exc:
            # The disk filled (or failed) while members were stored: each batch is whole or
            # absent, the container stays "extracting", and the same ingest run again finishes it.
            report.not_stored.append(f"{path}: {storage_problem(exc)}; what was stored before is kept")
            continue
        drill("after-commit")
        if progress:
            progress(path.name, report.files)
    if index:
        drill("before-index")
        if progress:
            progress("indexing for search", report.files)
        _index(archive, report)
    _checkpoint(archive, report)
    return report


def storage_problem(exc: OSError) -> str:
    """An error from the disk in words a person can act on."""
    if exc.errno == errno.ENOSPC:
        return "disk full: free some space and run the same ingest again"
    if exc.errno == errno.EIO:
        return "input/output error from the disk (check the disk, then run the same ingest again)"
    return str(exc.strerror or exc)


def ingest_bytes(
    archive: Archive,
    *,
    data: bytes,
    filename: str,
    client: str | None = None,
    password: str | None = None,
    actor: str | None = None,
    origin: str = "upload",
    index: bool = True,
) -> IngestReport:
    """Ingests one file held in memory (an upload, a message fetched from a mail server).

    ``origin`` is where the bytes came from, as the custody entry records it; with
    ``index=False`` the search index catches up at its next sync (see ``ingest_paths``).
    """
    report = IngestReport()
    run = IngestRun(archive, client, _context(archive, password), actor or archive.settings.actor, report)
    _prepare_client(run)
    name = Path(filename.replace("\\", "/")).name or "upload"
    blob = archive.blobs.put_stream(io.BytesIO(data))
    _ingest_stored(run, blob, name, None, origin=origin)
    if index:  # a caller storing many in a row indexes (and checkpoints) once at its end
        _index(archive, report)
        _checkpoint(archive, report)
    return report


def ingest_received(
    archive: Archive,
    *,
    item_id: int,
    client: str | None = None,
    password: str | None = None,
    actor: str | None = None,
    counted: Counted | None = None,
) -> IngestReport:
    """Reads an item recorded when its bytes arrived (an upload) and fills it in.

    Safe to run again: an item already read is left alone, except a container whose
    members were still being stored when the last attempt stopped, which is read again
    with the members it already has skipped.
    """
    report = IngestReport()
    ctx = replace(_context(archive, password), progress=counted)
    run = IngestRun(archive, client, ctx, actor or archive.settings.actor, report, counted=counted)
    _prepare_client(run)
    with archive.read() as session:
        item = session.get(Item, item_id)
        if item is None or item.sha256 is None:
            raise ItemNotFound(item_id)
        blob = StoredBlob(item.sha256, item.size or 0, created=False)
        filename, state = item.original_filename or f"item-{item_id}", item.ingest_state
    if item.status == PENDING:
        _ingest_stored(run, blob, filename, None, origin="upload", received=item_id)
    elif state == "extracting":
        report.files += 1
        _resume(run, item_id, blob, filename, None)
    _index(archive, report)
    _checkpoint(archive, report)
    return report


def _checkpoint(archive: Archive, report: IngestReport) -> None:
    """A signed checkpoint of the ledger after an ingest that added to it; a failure is
    reported, never fatal (the next ingest or ``casefile checkpoint`` makes one)."""
    if not report.stored and not report.duplicates:
        return
    try:
        made = make_checkpoint(archive)
    except (ArchiveBusy, OSError, InvalidInput) as exc:
        report.problems.append(f"checkpoint not written: {exc}")
        return
    if made is not None and made.timestamp_state == "pending":
        report.problems.append(f"checkpoint kept, timestamp pending (asked again next time): {made.timestamp_error}")


def _index(archive: Archive, report: IngestReport) -> None:
    # Once per ingest call, after every commit: one index writer for the whole batch.
    busy = try_sync_index(archive)
    if busy:
        report.problems.append(f"search index: {busy}")


def _context(archive: Archive, password: str | None) -> Context:
    return Context(limits=archive.settings.limits(), password=password)


def _prepare_client(run: IngestRun) -> None:
    with run.archive.write(run.actor) as uow:
        ensure_client(uow.session, run.client or UNASSIGNED)
        if run.client:
            ensure_client(uow.session, UNASSIGNED)


def _source(archive: Archive, blob: StoredBlob, filename: str, mtime: datetime | None) -> Source:
    return Source(filename=filename, path=archive.blobs.path_for(blob.sha256), modified_at=mtime)


def _ingest_stored(
    run: IngestRun, blob: StoredBlob, filename: str, mtime: datetime | None, origin: str, received: int | None = None
) -> None:
    report = run.report
    report.files += 1
    if received is None:
        with run.archive.write(run.actor) as uow:
            existing = existing_top_level(uow.session, blob.sha256)
            if existing is not None and existing[1] != "extracting":
                received_again(uow, report, existing[0], blob.sha256, filename, origin)
                return
        if existing is not None:  # a container an earlier run stopped reading part-way
            _resume(run, existing[0], blob, filename, mtime)
            return
    record = registry.extract(_source(run.archive, blob, filename, mtime), run.ctx)
    streamed = not isinstance(record.children, (tuple, list))
    counted = (report.stored, report.failed, len(report.problems), len(report.item_ids))
    try:
        with run.archive.write(run.actor) as uow:
            router = Router(uow.session)
            top = record_item(
                uow, record, blob=blob, client_slug=run.client, parent=None, router=router,
                origin=origin, report=report, blobs=run.archive.blobs, received=received,
                ingest_state="extracting" if streamed else "complete",
            )
            report.item_ids.append(top.id)
            if not streamed:
                for child in record.children:
                    record_child(run, uow, router, top, child)
    except IntegrityError as exc:
        if received is not None or not _same_bytes_raced(exc):
            raise
        # Another process stored these bytes between our check and our insert: theirs stands,
        # and nothing of what was rolled back is counted.
        report.stored, report.failed = counted[0], counted[1]
        del report.problems[counted[2]:], report.item_ids[counted[3]:]
        with run.archive.write(run.actor) as uow:
            existing = existing_top_level(uow.session, blob.sha256)
            assert existing is not None
            received_again(uow, report, existing[0], blob.sha256, filename, origin)
        return
    if streamed:
        record_stream(run, top, record.children, filename)


def _same_bytes_raced(exc: IntegrityError) -> bool:
    message = str(exc.orig)
    return "ux_item_top_sha256" in message or "UNIQUE constraint failed: item.sha256" in message


def received_again(
    uow: UnitOfWork, report: IngestReport, item_id: int, sha256: str, filename: str, origin: str
) -> None:
    """Records (in ``uow``'s ledger) that bytes already stored as ``item_id`` arrived again, and counts it."""
    uow.ledger.append(
        actor=uow.actor, action="received-again", item_id=item_id,
        details={"sha256": sha256, "filename": filename, "origin": origin},
    )
    report.duplicates += 1
    report.item_ids.append(item_id)


def _resume(run: IngestRun, item_id: int, blob: StoredBlob, filename: str, mtime: datetime | None) -> None:
    """Reads a container again and stores the members an earlier, stopped ingest did not."""
    with run.archive.read() as session:
        item = session.get(Item, item_id)
        assert item is not None
        top = StoredItem(id=item_id, client_id=item.client_id, kind=item.kind)
    run.report.item_ids.append(item_id)
    record = registry.extract(_source(run.archive, blob, filename, mtime), run.ctx)
    run.resuming = item_id
    try:
        record_stream(run, top, record.children, filename)
    finally:
        run.resuming = None
