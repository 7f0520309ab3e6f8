"""A container's members: stored one by one under it, a streamed container in batches.

A mailbox is read as a stream: its messages are committed ``ingest_batch`` at a time (each with
its attachments whole in one batch), so memory stays flat however large it is, and a
container stopped part-way (a kill, a full disk) can be read again with the members it
already has skipped (``IngestRun.resuming``).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator

from ingest.records import Kind, Record, Status

from .archive import UnitOfWork
from .clients import Router
from .drills import drill
from .ingest_run import IngestRun, stored_email, stored_member
from .models import Item
from .recording import StoredItem, record_item

__all__ = ["record_child", "record_stream"]

log = logging.getLogger(__name__)

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


def record_stream(run: IngestRun, top: StoredItem, children: Iterable[Record], filename: str) -> None:
    """Stores a streamed container's members in batches (each member whole in one batch), then marks it complete.

    The container stays ``extracting`` until its last member is stored: a stop before that
    (a kill, a full disk) leaves it to be resumed by the next ingest of the same file.
    """
    failure: list[str] = []
    members = _guarded(children, failure)
    done = 0
    skipped_before = run.skipped
    batch = run.archive.settings.ingest_batch
    while True:
        with run.archive.write(run.actor) as uow, run.archive.blobs.batch():
            router = Router(uow.session)
            count = 0
            for child in itertools.islice(members, batch):
                record_child(run, uow, router, top, child)
                count += 1
        done += count
        if run.progress and count:
            run.progress(f"{filename}: {done} members", run.report.files)
        if run.counted and count:
            run.counted(done, None, f"{done:,} messages read")
        drill("mid-container")
        if count < batch:
            break
    error = f"stopped after {done} members: {failure[0]}" if failure else None
    with run.archive.write(run.actor) as uow:
        item = uow.session.get(Item, top.id)
        assert item is not None
        item.ingest_state = "complete"
        if error:
            item.status, item.error = Status.PARTIAL.value, error
            uow.ledger.append(
                actor=uow.actor, action="extraction-incomplete", item_id=top.id, details={"error": error},
            )
        uow.session.add(item)
    if error:
        run.report.problems.append(f"{filename}: partial: {error}")
    if run.resuming == top.id:
        before = run.skipped - skipped_before
        run.report.resumed.append(
            f"{filename}: resumed {before:,} of {done:,} members stored before the stop; {done - before:,} stored now"
        )


def record_child(run: IngestRun, uow: UnitOfWork, router: Router, parent: StoredItem, child: Record) -> None:
    """Stores one member (and, recursively, its own children) under ``parent``."""
    blob = run.archive.blobs.put_bytes(child.data) if child.data is not None else None
    if run.resuming == parent.id and blob is not None and not blob.created and stored_member(
        uow.session, blob.sha256, parent.id
    ):
        run.skipped += 1
        return  # stored by the attempt that stopped part-way (with its own attachments)
    if blob is not None and child.kind == Kind.EMAIL:
        # Bytes that were not on disk until now cannot be a stored item's (rows are only
        # committed after their blobs are written): only a blob seen before needs the query.
        duplicate = run.emails_seen.get(blob.sha256) or (
            None if blob.created else stored_email(uow.session, blob.sha256)
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


