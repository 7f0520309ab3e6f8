"""Opening the database: engine, pragmas, schema creation and versioned migrations."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel, create_engine, select

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from .accounts import models as _account_models  # noqa: F401  (and the accounts' tables)
from .labels import item_labels
from .models import Meta

__all__ = ["SCHEMA_VERSION", "WRITE_OPTION", "make_engine", "schema_version"]

SCHEMA_VERSION = 7
WRITE_OPTION = "casefile_write"  # execution option marking a writing transaction
_BACKFILL_BATCH = 2000


def _add_text_digest(conn: Connection) -> None:
    """v1 -> v2: ``item.summary`` and ``item.text_hints``, worked out for every stored item."""
    from .timeline.digest import WORDS_CHARS, digest  # the timeline package imports this module's users

    conn.execute(text("ALTER TABLE item ADD COLUMN summary VARCHAR NOT NULL DEFAULT ''"))
    conn.execute(text("ALTER TABLE item ADD COLUMN text_hints INTEGER NOT NULL DEFAULT 0"))
    last = 0
    while rows := conn.execute(
        text("SELECT id, kind, substr(text, 1, :n) FROM item WHERE id > :last ORDER BY id LIMIT :batch"),
        {"n": WORDS_CHARS, "last": last, "batch": _BACKFILL_BATCH},
    ).all():
        updates = []
        for item_id, kind, head in rows:
            found = digest(kind, head or "")
            updates.append({"id": item_id, "summary": found.summary, "hints": found.hints})
        conn.execute(text("UPDATE item SET summary = :summary, text_hints = :hints WHERE id = :id"), updates)
        last = rows[-1][0]


def _add_ingest_state(conn: Connection) -> None:
    """v2 -> v3: ``item.ingest_state`` (every stored item complete) and one top-level item per hash.

    An archive that already holds the same bytes twice at the top level (two ingests that
    raced before this version) keeps them; ``verify-archive`` names them, and the index
    is made once they are resolved.
    """
    conn.execute(text("ALTER TABLE item ADD COLUMN ingest_state VARCHAR NOT NULL DEFAULT 'complete'"))
    doubled = conn.execute(text(
        "SELECT 1 FROM item WHERE parent_id IS NULL AND sha256 IS NOT NULL GROUP BY sha256 HAVING count(*) > 1 LIMIT 1"
    )).first()
    if doubled is None:
        conn.execute(text(
            "CREATE UNIQUE INDEX IF NOT EXISTS ux_item_top_sha256 ON item (sha256) "
            "WHERE parent_id IS NULL AND sha256 IS NOT NULL"
        ))


def _add_mention_reason(conn: Connection) -> None:
    """v3 -> v4: ``date_mention.reason``, why a mention has its label (empty for older rows,
    which were labelled by their cue words alone)."""
    conn.execute(text("ALTER TABLE date_mention ADD COLUMN reason VARCHAR NOT NULL DEFAULT ''"))


def _add_imap_folder_state(conn: Connection) -> None:
    """v4 -> v5: ``imap_folder_state``, how far ``casefile import-imap`` got in each folder.

    A new table only: ``create_all`` (run just before) has already made it; this step is
    what records that the archive has it, so an older Casefile refuses to open it."""
    SQLModel.metadata.tables["imap_folder_state"].create(conn, checkfirst=True)


def _add_item_label(conn: Connection) -> None:
    """v5 -> v6: ``item_label``, the labels items carried where they came from (Gmail's
    ``X-Gmail-Labels``), filled in from the facts an earlier version kept for each item."""
    SQLModel.metadata.tables["item_label"].create(conn, checkfirst=True)
    last = 0
    while rows := conn.execute(
        text("SELECT id, facts_json FROM item WHERE id > :last AND facts_json LIKE '%\"labels\"%' "
             "ORDER BY id LIMIT :batch"),
        {"last": last, "batch": _BACKFILL_BATCH},
    ).all():
        labels = [{"item_id": item_id, "label": label}
                  for item_id, facts in rows for label in item_labels(json.loads(facts or "{}"))]
        if labels:
            conn.execute(text("INSERT INTO item_label (item_id, label) VALUES (:item_id, :label)"), labels)
        last = rows[-1][0]


def _add_checkpoint(conn: Connection) -> None:
    """v6 -> v7: ``checkpoint``, the signed checkpoints of the ledger (the first is made at
    the next ingest or ``casefile checkpoint``)."""
    SQLModel.metadata.tables["checkpoint"].create(conn, checkfirst=True)


# Migrations from version N to N+1, applied in order on open. Version 1 is the schema
# create_all() builds; later changes add a function here rather than editing old tables.
_MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _add_text_digest, 2: _add_ingest_state, 3: _add_mention_reason, 4: _add_imap_folder_state,
    5: _add_item_label, 6: _add_checkpoint,
}


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[..., None]:
    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        # WAL lets readers (the web service) work while an ingest writes; busy_timeout makes
        # a second writer wait for the lock a while instead of failing at once (the archive's
        # writer then retries with backoff: see Archive.write).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return on_connect


def _sqlite_begin(conn: Connection) -> None:
    # A writing transaction takes the write lock when it starts, not at its first write:
    # the ledger reads its head and appends to it, and that must not interleave with
    # another writer. Reading transactions stay deferred so they never block anyone.
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str, busy_timeout_ms: int = 5000) -> Engine:
    """An engine for ``url`` with the schema created or migrated to ``SCHEMA_VERSION``.

    ``busy_timeout_ms``: how long one SQLite statement waits for another writer's lock."""
    is_sqlite = url.startswith("sqlite")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "isolation_level": None} if is_sqlite else {},
    )
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
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
        if version == SCHEMA_VERSION:
            return  # current: opening writes nothing (concurrent commands would queue on it)
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
