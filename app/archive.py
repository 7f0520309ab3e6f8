"""The open archive: settings, database, blob store, and the unit of work that commits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from .blobs import BlobStore
from .config import Settings
from .db import make_engine
from .errors import ArchiveBusy
from .ledger import Ledger

__all__ = ["Archive", "UnitOfWork", "open_archive"]


@dataclass
class UnitOfWork:
    """One transaction: a session, the ledger bound to it, and who is acting."""

    session: Session
    ledger: Ledger
    actor: str
    after_commit: list = field(default_factory=list)


@dataclass
class Archive:
    """Everything a service function needs; built once per process by ``open_archive``."""

    settings: Settings
    engine: Engine
    blobs: BlobStore

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
        with Session(self.engine, expire_on_commit=False) as session:
            uow = UnitOfWork(session, Ledger(session), actor or self.settings.actor)
            try:
                yield uow
                session.commit()
            except OperationalError as exc:
                session.rollback()
                if "locked" in str(exc).lower():
                    raise ArchiveBusy(
                        "the archive is busy with another writer; try again when it finishes"
                    ) from exc
                raise
            except BaseException:
                session.rollback()
                raise
        for callback in uow.after_commit:
            callback()

    def close(self) -> None:
        self.engine.dispose()


def open_archive(settings: Settings | None = None) -> Archive:
    """Opens (creating on first use) the archive in ``settings.data``."""
    settings = settings or Settings()
    settings.data.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    return Archive(settings=settings, engine=engine, blobs=BlobStore(settings.blob_dir))
