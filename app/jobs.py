"""Background jobs: rows that say what was asked, how far it got and how it ended.

A job is created in the same unit of work as whatever it is for (an upload's item), then
its id goes on the queue (app.queue) once that commits. Whoever runs it first *claims* it
(one UPDATE that only succeeds on a queued job, or on a running one whose lease ran out),
so a job put on the queue twice, or re-queued after a restart, never runs twice at once.
The work itself is idempotent (ingest dedupes by hash), so a job that crashed half-way
can simply run again.

Runners are looked up by kind; each takes ``(archive, job, progress)`` and returns a
JSON-able result, or raises: a ``CasefileError`` ends the job ``failed`` with its message,
any other exception too, with its type named.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import or_, update
from sqlmodel import col, select

from .archive import Archive, UnitOfWork
from .errors import CasefileError, InvalidInput, NotFound
from .models import Job, utc_now

__all__ = [
    "JOB_KINDS",
    "JobProgress",
    "JobPublic",
    "ProgressFn",
    "claim_job",
    "create_job",
    "get_job",
    "latest_job_for_item",
    "list_jobs",
    "run_job",
    "submit_job",
    "unfinished_job_ids",
]

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, "int | None", str], None]  # (done, total or None, what is happening)

# kind -> "module:function"; imported when a job of that kind first runs, so a worker
# loads only what its jobs need.
JOB_KINDS: dict[str, str] = {
    "ingest": "app.uploads:run_ingest_job",
    "export": "app.bundle.jobs:run_export_job",
    "verify-archive": "app.bundle.jobs:run_verify_archive_job",
}
LEASE = timedelta(seconds=60)
_HEARTBEAT_SECONDS = 15.0
_PROGRESS_EVERY_SECONDS = 0.5


class JobPublic(BaseModel):
    """A job as the API and the pages show it."""

    id: int
    kind: str
    state: str
    item_id: int | None
    params: dict[str, Any]
    progress_done: int
    progress_total: int | None
    progress_note: str
    result: dict[str, Any]
    error: str | None
    attempts: int
    actor: str  # who asked for it: the custody entries its work writes name them
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, row: Job) -> JobPublic:
        assert row.id is not None
        return cls(
            id=row.id, kind=row.kind, state=row.state, item_id=row.item_id,
            params=json.loads(row.params_json), progress_done=row.progress_done,
            progress_total=row.progress_total, progress_note=row.progress_note,
            result=json.loads(row.result_json), error=row.error, attempts=row.attempts, actor=row.actor,
            created_at=row.created_at_utc, started_at=row.started_at_utc, finished_at=row.finished_at_utc,
        )


def create_job(
    uow: UnitOfWork, *, kind: str, params: dict[str, Any] | None = None, item_id: int | None = None
) -> int:
    """Adds a queued job in ``uow`` and queues it once ``uow`` commits; returns its id."""
    if kind not in JOB_KINDS:
        raise InvalidInput(f"unknown job kind '{kind}'")
    row = Job(kind=kind, item_id=item_id, params_json=json.dumps(params or {}), actor=uow.actor)
    uow.session.add(row)
    uow.session.flush()
    assert row.id is not None
    job_id = row.id
    uow.after_commit.append(lambda: _enqueue(uow, job_id))
    return job_id


def _enqueue(uow: UnitOfWork, job_id: int) -> None:
    archive = uow.archive
    if archive is None:
        return
    from .queue import enqueue  # the queue imports this module

    try:
        enqueue(archive, job_id)
    except Exception:  # the job is recorded: a consumer queues it again when it starts
        log.warning("job %s is recorded but could not be queued now", job_id, exc_info=True)


def submit_job(
    archive: Archive, *, kind: str, params: dict[str, Any] | None = None, actor: str | None = None
) -> JobPublic:
    """Creates a job and puts it on the queue; returns it as queued."""
    with archive.write(actor) as uow:
        job_id = create_job(uow, kind=kind, params=params)
    return get_job(archive, job_id=job_id)


def get_job(archive: Archive, *, job_id: int) -> JobPublic:
    """One job, or ``NotFound``."""
    with archive.read() as session:
        row = session.get(Job, job_id)
        if row is None:
            raise NotFound(f"no job with id {job_id}")
        return JobPublic.of(row)


def latest_job_for_item(archive: Archive, *, item_id: int) -> JobPublic | None:
    """The most recent job about an item (an upload's reading), if any."""
    with archive.read() as session:
        row = session.exec(select(Job).where(Job.item_id == item_id).order_by(col(Job.id).desc()).limit(1)).first()
        return JobPublic.of(row) if row is not None else None


def list_jobs(archive: Archive, *, limit: int = 50, kind: str | None = None) -> list[JobPublic]:
    """The most recent jobs first."""
    with archive.read() as session:
        query = select(Job).order_by(col(Job.id).desc()).limit(limit)
        if kind:
            query = query.where(Job.kind == kind)
        return [JobPublic.of(row) for row in session.exec(query).all()]


def unfinished_job_ids(archive: Archive, *, queued: bool = True) -> list[int]:
    """Jobs nobody is running although they are not finished: abandoned ones (their lease
    ran out) and, with ``queued``, those still waiting (whose queue message may be lost)."""
    now = utc_now()
    abandoned = (Job.state == "running") & (col(Job.lease_until_utc) < now)
    with archive.read() as session:
        rows = session.exec(
            select(Job.id).where(or_(Job.state == "queued", abandoned) if queued else abandoned)
            .order_by(col(Job.id))
        ).all()
    return [int(r) for r in rows if r is not None]


def claim_job(archive: Archive, job_id: int) -> bool:
    """Marks the job running for this process; False if it is finished or someone else has it."""
    now = utc_now()
    with archive.write() as uow:
        claimed = uow.session.connection().execute(
            update(Job.__table__)  # type: ignore[arg-type]
            .where(col(Job.id) == job_id)
            .where(or_(Job.state == "queued", (Job.state == "running") & (col(Job.lease_until_utc) < now)))
            .values(
                state="running", attempts=Job.attempts + 1, lease_until_utc=now + LEASE,
                started_at_utc=now, error=None,
            )
        ).rowcount
    return bool(claimed)


class JobProgress:
    """Progress of one running job, written to its row at most twice a second.

    Also the job's heartbeat: while it lives, the lease is pushed forward, so a job whose
    worker died is known abandoned within a minute and can be run again.
    """

    def __init__(self, archive: Archive, job_id: int) -> None:
        self.archive = archive
        self.job_id = job_id
        self._last = 0.0
        self._state: tuple[int, int | None, str] = (0, None, "")
        self._written: tuple[int, int | None, str] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, name=f"job-{job_id}-lease", daemon=True)
        self._beat.start()

    def __call__(self, done: int, total: int | None, note: str) -> None:
        with self._lock:
            self._state = (done, total, note[:300])
        if time.monotonic() - self._last >= _PROGRESS_EVERY_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Writes the latest progress now (if it changed)."""
        with self._lock:
            state = self._state
            if state == self._written:
                return
            self._written = state
        self._last = time.monotonic()
        done, total, note = state
        self._write(progress_done=done, progress_total=total, progress_note=note)

    def _write(self, **values: Any) -> None:
        try:
            with self.archive.write() as uow:
                uow.session.connection().execute(
                    update(Job.__table__)  # type: ignore[arg-type]
                    .where(col(Job.id) == self.job_id)
                    .values(lease_until_utc=utc_now() + LEASE, **values)
                )
        except CasefileError:  # the archive is busy: progress is a courtesy, the work goes on
            log.debug("progress of job %s not written", self.job_id, exc_info=True)

    def _heartbeat(self) -> None:
        while not self._stop.wait(_HEARTBEAT_SECONDS):
            self._write()

    def close(self) -> None:
        self._stop.set()


def _runner(kind: str) -> Callable[[Archive, JobPublic, ProgressFn], dict[str, Any]]:
    module, _, name = JOB_KINDS[kind].partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _finish(archive: Archive, job_id: int, **values: Any) -> None:
    with archive.write() as uow:
        uow.session.connection().execute(
            update(Job.__table__)  # type: ignore[arg-type]
            .where(col(Job.id) == job_id)
            .values(finished_at_utc=utc_now(), lease_until_utc=None, **values)
        )


def run_job(archive: Archive, job_id: int) -> str:
    """Runs a queued job to its end (what the queue's workers call); returns its final state.

    "skipped" when the job was already finished or is being run elsewhere.
    """
    if not claim_job(archive, job_id):
        return "skipped"
    job = get_job(archive, job_id=job_id)
    progress = JobProgress(archive, job_id)
    try:
        result = _runner(job.kind)(archive, job, progress)
    except CasefileError as exc:
        progress.close()
        _finish(archive, job_id, state="failed", error=str(exc))
        return "failed"
    except Exception as exc:  # a bug or a broken file: the job says so, the worker goes on
        log.exception("job %s (%s) crashed", job_id, job.kind)
        progress.close()
        _finish(archive, job_id, state="failed", error=f"internal error ({type(exc).__name__}: {exc})")
        return "failed"
    progress.close()
    progress.flush()
    _finish(archive, job_id, state="done", result_json=json.dumps(result or {}, default=str))
    return "done"
