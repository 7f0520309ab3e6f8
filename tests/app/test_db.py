"""Opening an archive: schema creation, the recorded version, migrations of older archives."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from app import changes
from app.archive import open_archive
from app.config import Settings
from app.db import SCHEMA_VERSION, schema_version
from app.ingesting import ingest_paths
from app.models import Item
from app.timeline import timeline_json
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
    before = json.loads(timeline_json(archive, client="northwind", now=CLOCK))
    archive.close()
    ingested = _digests(data)
    assert any(hints for _, hints in ingested.values())  # the sample's delivery mail is flagged
    assert sum(1 for summary, _ in ingested.values() if summary) > 20
    # make it the archive an earlier Casefile wrote: no digest columns, version 1
    with sqlite3.connect(data / "archive.db") as db:
        db.execute("ALTER TABLE item DROP COLUMN summary")
        db.execute("ALTER TABLE item DROP COLUMN text_hints")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    migrated = open_archive(Settings(data=data, actor="t"))
    with migrated.read() as session:
        assert schema_version(session) == SCHEMA_VERSION == 2
    after = json.loads(timeline_json(migrated, client="northwind", now=CLOCK))
    migrated.close()
    assert _digests(data) == ingested  # worked out again from the stored text, identically
    assert after == before  # the timeline reads the migrated columns exactly as ingested ones
