"""Ingestion: the one place that takes files from disk (or upload) into the archive.

For each file: store the original (byte-identical, hashed), read it with ingest/, and
record the items, their participants, pages and custody entries in one unit of work.
A file we cannot read is still stored, with a ``failed`` status and a one-line reason.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from ingest import registry
from ingest.records import Kind, Record, Status
from ingest.source import Context, Source

from .archive import Archive, UnitOfWork
from .blobs import StoredBlob
from .clients import UNASSIGNED, Router, ensure_client
from .errors import ItemNotFound
from .models import Item
from .recording import StoredItem, record_item
from .search import try_sync_index

__all__ = ["Counted", "IngestReport", "ingest_bytes", "ingest_paths", "ingest_received", "iter_files"]

log = logging.getLogger(__name__)

# Messages of a mailbox are committed in batches: each message with its attachments is
# whole within a batch, and memory stays flat however large the mailbox is.
_BATCH = 200

Progress = Callable[[str, int], None]  # (what happened, files finished)
Counted = Callable[[int, "int | None", str], None]  # (done, total or None, what): pages OCR'd, messages read

# Only the hash in WHERE: with "AND kind = ..." SQLite's planner may pick the (far less
# selective) kind index and scan every email. A plain statement: it runs per message.
_SAME_BYTES = text("SELECT id, kind, parent_id FROM item WHERE sha256 = :sha256")
PENDING = "pending"  # the status of an item whose bytes arrived and that is not read yet



@dataclass
class IngestReport:
    """What one ingest did: counts for the summary line and one line per problem."""

    files: int = 0
    stored: int = 0
    duplicates: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)  # extraction failures (still stored)
    not_stored: list[str] = field(default_factory=list)  # could not be stored at all
    item_ids: list[int] = field(default_factory=list)  # the top-level items, new or existing

    @property
    def ok(self) -> bool:
        """True when every file was stored (even if some could not be read)."""
        return not self.not_stored

    def summary(self) -> str:
        parts = [
            f"{self.files} file{'s' if self.files != 1 else ''}",
            f"{self.stored} stored",
            f"{self.duplicates} duplicate{'s' if self.duplicates != 1 else ''}",
            f"{self.failed} failed",
        ]
        if self.not_stored:
            parts.append(f"{len(self.not_stored)} NOT stored")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "failed": self.failed,
            "problems": self.problems,
            "not_stored": self.not_stored,
            "item_ids": self.item_ids,
        }


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


@dataclass
class _Run:
    """State shared by the files of one ingest call."""

    archive: Archive
    client: str | None
    ctx: Context
    actor: str
    report: IngestReport
    progress: Progress | None = None
    counted: Counted | None = None
    emails_seen: dict[str, int] = field(default_factory=dict)  # sha256 -> item id, this run
    # a container read again after a stop part-way: members already under it are skipped
    resuming: int | None = None


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
    run = _Run(archive, client, _context(archive, password), actor or archive.settings.actor, report, progress)
    _prepare_client(run)
    for path in iter_files(paths, report):
        try:
            mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            with path.open("rb") as fh:
                blob = archive.blobs.put_stream(fh)
        except OSError as exc:
            report.not_stored.append(f"{path}: {exc.strerror or exc}")
            continue
        _ingest_stored(run, blob, path.name, mtime, origin=str(path))
        if progress:
            progress(path.name, report.files)
    if index:
        if progress:
            progress("indexing for search", report.files)
        _index(archive, report)
    return report


def ingest_bytes(
    archive: Archive,
    *,
    data: bytes,
    filename: str,
    client: str | None = None,
    password: str | None = None,
    actor: str | None = None,
) -> IngestReport:
    """Ingests one uploaded file held in memory."""
    report = IngestReport()
    run = _Run(archive, client, _context(archive, password), actor or archive.settings.actor, report)
    _prepare_client(run)
    name = Path(filename.replace("\\", "/")).name or "upload"
    blob = archive.blobs.put_stream(io.BytesIO(data))
    _ingest_stored(run, blob, name, None, origin="upload")
    _index(archive, report)
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
    run = _Run(archive, client, ctx, actor or archive.settings.actor, report, counted=counted)
    _prepare_client(run)
    with archive.read() as session:
        item = session.get(Item, item_id)
        if item is None or item.sha256 is None:
            raise ItemNotFound(item_id)
        blob = StoredBlob(item.sha256, item.size or 0, created=False)
        filename, pending = item.original_filename or f"item-{item_id}", item.status == PENDING
        top = StoredItem(id=item_id, client_id=item.client_id, kind=item.kind)
    if pending:
        _ingest_stored(run, blob, filename, None, origin="upload", received=item_id)
    else:
        report.files += 1
        report.item_ids.append(item_id)
        record = registry.extract(_source(archive, blob, filename, None), run.ctx)
        if not isinstance(record.children, (tuple, list)):
            run.resuming = item_id
            _record_stream(run, top, record.children, filename)
    _index(archive, report)
    return report


def _index(archive: Archive, report: IngestReport) -> None:
    # Once per ingest call, after every commit: one index writer for the whole batch.
    busy = try_sync_index(archive)
    if busy:
        report.problems.append(f"search index: {busy}")


def _context(archive: Archive, password: str | None) -> Context:
    return Context(limits=archive.settings.limits(), password=password)


def _prepare_client(run: _Run) -> None:
    with run.archive.write(run.actor) as uow:
        ensure_client(uow.session, run.client or UNASSIGNED)
        if run.client:
            ensure_client(uow.session, UNASSIGNED)


def _existing_top_level(session: Session, sha256: str) -> int | None:
    rows = session.connection().execute(_SAME_BYTES, {"sha256": sha256}).all()
    return next((row.id for row in rows if row.parent_id is None), None)


def _source(archive: Archive, blob: StoredBlob, filename: str, mtime: datetime | None) -> Source:
    return Source(filename=filename, path=archive.blobs.path_for(blob.sha256), modified_at=mtime)


def _ingest_stored(
    run: _Run, blob: StoredBlob, filename: str, mtime: datetime | None, origin: str, received: int | None = None
) -> None:
    report = run.report
    report.files += 1
    if received is None:
        with run.archive.write(run.actor) as uow:
            existing = _existing_top_level(uow.session, blob.sha256)
            if existing is not None:
                uow.ledger.append(
                    actor=uow.actor, action="received-again", item_id=existing,
                    details={"sha256": blob.sha256, "filename": filename, "origin": origin},
                )
                report.duplicates += 1
                report.item_ids.append(existing)
                return
    record = registry.extract(_source(run.archive, blob, filename, mtime), run.ctx)
    streamed = not isinstance(record.children, (tuple, list))
    with run.archive.write(run.actor) as uow:
        router = Router(uow.session)
        top = record_item(
            uow, record, blob=blob, client_slug=run.client, parent=None, router=router,
            origin=origin, report=report, blobs=run.archive.blobs, received=received,
        )
        report.item_ids.append(top.id)
        if not streamed:
            for child in record.children:
                record_child(run, uow, router, top, child)
    if streamed:
        _record_stream(run, top, record.children, filename)


def _guarded(children: Iterable[Record], failure: list[str]) -> Iterator[Record]:
    """The members of a streamed container; a stream that breaks ends with a note in ``failure``."""
    stream = iter(children)
    while True:
        try:
            child = next(stream)
        except StopIteration:
            return
        except Exception as exc:  # a damaged container: keep what was read before
            log.debug("container stream failed", exc_info=True)
            failure.append(str(exc) or type(exc).__name__)
            return
        yield child


def _record_stream(run: _Run, top: StoredItem, children: Iterable[Record], filename: str) -> None:
    """Stores a streamed container's members in batches (each member whole in one batch)."""
    failure: list[str] = []
    members = _guarded(children, failure)
    done = 0
    while True:
        with run.archive.write(run.actor) as uow, run.archive.blobs.batch():
            router = Router(uow.session)
            count = 0
            for child in itertools.islice(members, _BATCH):
                record_child(run, uow, router, top, child)
                count += 1
        done += count
        if run.progress and count:
            run.progress(f"{filename}: {done} members", run.report.files)
        if run.counted and count:
            run.counted(done, None, f"{done:,} messages read")
        if count < _BATCH:
            break
    if failure:
        error = f"stopped after {done} members: {failure[0]}"
        with run.archive.write(run.actor) as uow:
            item = uow.session.get(Item, top.id)
            assert item is not None
            item.status, item.error = Status.PARTIAL.value, error
            uow.session.add(item)
            uow.ledger.append(
                actor=uow.actor, action="extraction-incomplete", item_id=top.id,
                details={"error": error},
            )
        run.report.problems.append(f"{filename}: partial: {error}")


def record_child(run: _Run, uow: UnitOfWork, router: Router, parent: StoredItem, child: Record) -> None:
    """Stores one member (and, recursively, its own children) under ``parent``."""
    blob = run.archive.blobs.put_bytes(child.data) if child.data is not None else None
    if run.resuming == parent.id and blob is not None and not blob.created and _stored_member(
        uow.session, blob.sha256, parent.id
    ):
        return  # stored by the attempt that stopped part-way (with its own attachments)
    if blob is not None and child.kind == Kind.EMAIL:
        # Bytes that were not on disk until now cannot be a stored item's (rows are only
        # committed after their blobs are written): only a blob seen before needs the query.
        duplicate = run.emails_seen.get(blob.sha256) or (
            None if blob.created else _stored_email(uow.session, blob.sha256)
        )
        if duplicate is not None:
            uow.ledger.append(
                actor=uow.actor, action="received-again", item_id=duplicate,
                details={"sha256": blob.sha256, "filename": child.filename, "parent": parent.id},
            )
            run.report.duplicates += 1
            return
    item = record_item(
        uow, child, blob=blob, client_slug=run.client, parent=parent, router=router,
        origin=None, report=run.report, blobs=run.archive.blobs,
    )
    if blob is not None and child.kind == Kind.EMAIL:
        run.emails_seen[blob.sha256] = item.id
    for grandchild in child.children:
        record_child(run, uow, router, item, grandchild)


def _stored_member(session: Session, sha256: str, parent_id: int) -> bool:
    rows = session.connection().execute(_SAME_BYTES, {"sha256": sha256}).all()
    return any(row.parent_id == parent_id for row in rows)


def _stored_email(session: Session, sha256: str) -> int | None:
    rows = session.connection().execute(_SAME_BYTES, {"sha256": sha256}).all()
    return next((row.id for row in rows if row.kind == Kind.EMAIL.value), None)
