"""The open archive: settings, database, blob store, and the unit of work that commits."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from .blobs import BlobStore
from .config import Settings
from .db import WRITE_OPTION, make_engine
from .errors import ArchiveBusy
from .ledger import Ledger
from .leftovers import Liveness, sweep_leftovers

__all__ = ["ACTOR", "Archive", "UnitOfWork", "open_archive"]

# Who the current request acts for (set by app.access for a signed-in person or a token):
# custody entries name them when a service is not told an actor of its own.
ACTOR: ContextVar[str | None] = ContextVar("casefile_actor", default=None)


@dataclass
class UnitOfWork:
    """One transaction: a session, the ledger bound to it, and who is acting.

    ``add_rows`` buffers plain rows (participants, pages...) that are written in bulk
    just before the commit: one statement per table instead of one per row.
    """

    session: Session
    ledger: Ledger
    actor: str
    archive: Archive | None = None  # for work queued after the commit (app.jobs)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    _rows: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)

    def add_rows(self, model: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._rows.setdefault(model, []).extend(rows)

    def flush(self) -> None:
        """Writes everything buffered so far (rows, then ledger entries)."""
        for model, rows in self._rows.items():
            self.session.connection().execute(insert(model.__table__), rows)
        self._rows.clear()
        self.ledger.flush()
        self.session.flush()


@dataclass
class Archive:
    """Everything a service function needs; built once per process by ``open_archive``."""

    settings: Settings
    engine: Engine
    blobs: BlobStore
    search: Any = None  # the search backend, opened on first use by app.search
    queue: Any = None  # the job queue (Huey), opened on first use by app.queue
    liveness: Liveness | None = None  # this process's lock in run/ (see app.leftovers)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing is committed."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self, actor: str | None = None) -> Iterator[UnitOfWork]:
        """A unit of work that commits on success and rolls back on any error.

        This is the one place that commits: service functions only add and flush, so an
        email and its attachments land together or not at all.
        """
        writer = self.engine.execution_options(**{WRITE_OPTION: True})
        with Session(writer, expire_on_commit=False) as session:
            uow = UnitOfWork(session, Ledger(session), actor or ACTOR.get() or self.settings.actor, self)
            try:
                self._take_write_lock(session)
                yield uow
                uow.flush()
                session.commit()
            except OperationalError as exc:
                session.rollback()
                if _locked(exc):
                    raise ArchiveBusy(
                        f"the archive is busy with another writer (waited {self.settings.write_wait_seconds:g} s);"
                        " try again when it finishes"
                    ) from exc
                raise
            except BaseException:
                session.rollback()
                raise
        for callback in uow.after_commit:
            callback()

    def _take_write_lock(self, session: Session) -> None:
        """Begins the writing transaction, which takes the database's write lock (SQLite:
        BEGIN IMMEDIATE), retrying with growing, jittered pauses while another writer holds it.

        Only the start is retried: once the lock is held nothing else in the unit of work waits
        for one, and the unit's own work is never run twice."""
        if self.engine.dialect.name != "sqlite":
            return
        deadline = time.monotonic() + self.settings.write_wait_seconds
        pause = 0.05
        while True:
            try:
                session.connection()
                return
            except OperationalError as exc:
                session.rollback()
                if not _locked(exc) or time.monotonic() + pause > deadline:
                    raise
            # jitter: two writers that collided do not retry in step
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, 2.0)

    def close(self) -> None:
        if self.liveness is not None:
            self.liveness.close()
            self.liveness = None
        if self.search is not None:
            self.search.close()
            self.search = None
        if self.engine.dialect.name == "sqlite":
            # keeps the query planner's statistics current (SQLite's advice for every close);
            # it may need the write lock: with another writer at work it is simply left for later
            try:
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA busy_timeout=100")
                    conn.exec_driver_sql("PRAGMA optimize")
            except OperationalError:
                pass
        self.engine.dispose()


def _locked(exc: OperationalError) -> bool:
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


def open_archive(settings: Settings | None = None) -> Archive:
    """Opens (creating on first use) the archive in ``settings.data``."""
    settings = settings or Settings()
    settings.data.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url, busy_timeout_ms=int(min(settings.write_wait_seconds, 5.0) * 1000))
    archive = Archive(settings=settings, engine=engine, blobs=BlobStore(settings.blob_dir))
    archive.liveness = Liveness(settings.data)
    try:
        sweep_leftovers(archive, archive.liveness)  # after a crash, before anything new is written
    except ArchiveBusy:  # another writer holds the database: the next start sweeps
        pass
    return archive
