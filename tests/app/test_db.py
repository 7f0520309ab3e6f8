"""Opening an archive: schema creation, the recorded version, migrations of older archives."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from app import changes
from app.archive import open_archive
from app.config import Settings
from app.db import SCHEMA_VERSION, schema_version
from app.ingesting import ingest_paths
from app.models import Item
from app.timeline import timeline_json
from app.verify import verify_archive
from tests.conftest import SAMPLES

CLOCK = datetime(2024, 8, 20, 12, 0, tzinfo=UTC)


def _digests(data: Path) -> dict[int, tuple[str, int]]:
    archive = open_archive(Settings(data=data, actor="t"))
    try:
        with archive.read() as session:
            return {i.id: (i.summary, i.text_hints) for i in session.exec(select(Item)).all()}  # type: ignore[misc]
    finally:
        archive.close()


def test_a_version_1_archive_gains_the_stored_text_digest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    archive = open_archive(Settings(data=data, actor="t"))
    changes.init_archive(archive, me=["dana@whitfield-digital.example", "whitfield-digital.example"])
    ingest_paths(archive, paths=[SAMPLES / "northwind" / "mail"], client="northwind")
    archive.close()
    with sqlite3.connect(data / "archive.db") as db:
        db.execute("UPDATE date_mention SET reason = ''")  # a version 1 archive kept no reasons
    archive = open_archive(Settings(data=data, actor="t"))
    before = json.loads(timeline_json(archive, client="northwind", now=CLOCK))
    archive.close()
    ingested = _digests(data)
    assert any(hints for _, hints in ingested.values())  # the sample's delivery mail is flagged
    assert sum(1 for summary, _ in ingested.values() if summary) > 20
    # make it the archive an earlier Casefile wrote: no digest columns, version 1
    with sqlite3.connect(data / "archive.db") as db:
        db.execute("ALTER TABLE item DROP COLUMN summary")
        db.execute("ALTER TABLE item DROP COLUMN text_hints")
        db.execute("DROP INDEX ux_item_top_sha256")
        db.execute("ALTER TABLE item DROP COLUMN ingest_state")
        db.execute("ALTER TABLE date_mention DROP COLUMN reason")
        db.execute("DROP TABLE imap_folder_state")
        db.execute("DROP TABLE item_label")
        db.execute("DROP TABLE checkpoint")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    migrated = open_archive(Settings(data=data, actor="t"))
    with migrated.read() as session:
        assert schema_version(session) == SCHEMA_VERSION == 7
    after = json.loads(timeline_json(migrated, client="northwind", now=CLOCK))
    migrated.close()
    assert _digests(data) == ingested  # worked out again from the stored text, identically
    assert after == before  # the timeline reads the migrated columns exactly as ingested ones


def test_opening_a_current_archive_writes_nothing(settings: Settings) -> None:
    open_archive(settings).close()  # created (and migrated) once
    holder = sqlite3.connect(settings.data / "archive.db")
    holder.execute("BEGIN IMMEDIATE")  # another process is writing (an ingest, say)
    try:
        again = open_archive(settings)  # would wait for the lock, then fail, if it wrote anything
        with again.read() as session:
            assert schema_version(session) == SCHEMA_VERSION
        again.engine.dispose()
    finally:
        holder.rollback()
        holder.close()


_COLUMNS = ("client_id, kind, title, ingested_at_utc, sha256, content_type, text, date_source, date_detail, "
            "email_references, status, facts_json, other_dates_json, summary, text_hints")
_COPY_TOP_ITEMS = "INSERT INTO item ({columns}) SELECT {columns} FROM item WHERE parent_id IS NULL"


def _as_version_2(data: Path) -> None:
    with sqlite3.connect(data / "archive.db") as db:
        db.execute("DROP INDEX ux_item_top_sha256")
        db.execute("ALTER TABLE item DROP COLUMN ingest_state")
        db.execute("ALTER TABLE date_mention DROP COLUMN reason")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")


def test_a_version_2_archive_gains_ingest_states_and_one_item_per_hash(tmp_path: Path) -> None:
    data = tmp_path / "data"
    archive = open_archive(Settings(data=data, actor="t"))
    ingest_paths(archive, paths=[SAMPLES / "northwind" / "notes"], client="northwind")
    archive.close()
    _as_version_2(data)
    migrated = open_archive(Settings(data=data, actor="t"))
    try:
        with migrated.read() as session:
            assert schema_version(session) == SCHEMA_VERSION
            assert {i.ingest_state for i in session.exec(select(Item)).all()} == {"complete"}
        with sqlite3.connect(data / "archive.db") as db, pytest.raises(sqlite3.IntegrityError):
            db.execute(_COPY_TOP_ITEMS.format(columns=_COLUMNS + ", ingest_state") + " LIMIT 1")
    finally:
        migrated.close()


def test_an_archive_that_already_holds_doubles_migrates_and_verify_names_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    archive = open_archive(Settings(data=data, actor="t"))
    ingest_paths(archive, paths=[SAMPLES / "northwind" / "notes" / "acceptance-review.md"], client="northwind")
    archive.close()
    _as_version_2(data)
    with sqlite3.connect(data / "archive.db") as db:  # what two racing ingests left before version 3
        db.execute(_COPY_TOP_ITEMS.format(columns=_COLUMNS))
    migrated = open_archive(Settings(data=data, actor="t"))
    try:
        problems = verify_archive(migrated).problems
    finally:
        migrated.close()
    assert any("stored twice as top-level items 1 and 2" in p for p in problems), problems


def test_a_version_3_archive_gains_mention_reasons_and_new_ingests_fill_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    archive = open_archive(Settings(data=data, actor="t"))
    changes.init_archive(archive, me=["dana@whitfield-digital.example"])
    ingest_paths(archive, paths=[SAMPLES / "northwind" / "contracts" / "statement-of-work.pdf"], client="northwind")
    archive.close()
    with sqlite3.connect(data / "archive.db") as db:
        db.execute("ALTER TABLE date_mention DROP COLUMN reason")
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        old_rows = db.execute("SELECT count(*) FROM date_mention").fetchone()[0]
    assert old_rows > 0
    migrated = open_archive(Settings(data=data, actor="t"))
    with migrated.read() as session:
        assert schema_version(session) == SCHEMA_VERSION
    ingest_paths(migrated, paths=[SAMPLES / "northwind" / "contracts" / "consultancy-agreement-signed.pdf"],
                 client="northwind")
    migrated.close()
    with sqlite3.connect(data / "archive.db") as db:
        reasons = {r for (r,) in db.execute("SELECT reason FROM date_mention")}
    assert "" in reasons  # the older rows, labelled before reasons were kept
    assert reasons - {""}  # the new ingest says why its dates have their labels


def test_a_version_4_archive_gains_the_imap_folder_state_table(tmp_path: Path) -> None:
    data = tmp_path / "data"
    open_archive(Settings(data=data, actor="t")).close()
    with sqlite3.connect(data / "archive.db") as db:
        db.execute("DROP TABLE imap_folder_state")
        db.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    migrated = open_archive(Settings(data=data, actor="t"))
    try:
        with migrated.read() as session:
            assert schema_version(session) == SCHEMA_VERSION == 7
    finally:
        migrated.close()
    with sqlite3.connect(data / "archive.db") as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(imap_folder_state)")}
    assert {"host", "username", "folder", "uidvalidity", "last_uid", "since"} <= columns
