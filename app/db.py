"""Opening the database: engine, pragmas, schema creation and versioned migrations."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel, create_engine, select

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from .models import Meta

__all__ = ["SCHEMA_VERSION", "WRITE_OPTION", "make_engine", "schema_version"]

SCHEMA_VERSION = 1
WRITE_OPTION = "casefile_write"  # execution option marking a writing transaction

# Migrations from version N to N+1, applied in order on open. Version 1 is the schema
# create_all() builds; later changes add a function here rather than editing old tables.
_MIGRATIONS: dict[int, Callable[[Connection], None]] = {}


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the web service) work while an ingest writes; busy_timeout makes
    # a second writer wait for the lock instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # A writing transaction takes the write lock when it starts, not at its first write:
    # the ledger reads its head and appends to it, and that must not interleave with
    # another writer. Reading transactions stay deferred so they never block anyone.
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the schema created or migrated to ``SCHEMA_VERSION``."""
    is_sqlite = url.startswith("sqlite")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "isolation_level": None} if is_sqlite else {},
    )
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    _create_or_migrate(engine)
    return engine


def _create_or_migrate(engine: Engine) -> None:
    with engine.begin() as conn:
        SQLModel.metadata.create_all(conn)
        row = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).first()
        version = int(row[0]) if row else 0
        if version == 0:
            conn.execute(
                text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"),
                {"v": str(SCHEMA_VERSION)},
            )
            return
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"archive schema version {version} is newer than this Casefile ({SCHEMA_VERSION})"
            )
        while version < SCHEMA_VERSION:
            _MIGRATIONS[version](conn)
            version += 1
        conn.execute(
            text("UPDATE meta SET value = :v WHERE key = 'schema_version'"), {"v": str(version)}
        )


def schema_version(session: Session) -> int:
    """The schema version recorded in the archive."""
    meta = session.exec(select(Meta).where(Meta.key == "schema_version")).first()
    return int(meta.value) if meta else 0
