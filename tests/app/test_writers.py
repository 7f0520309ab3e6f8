"""Writers that meet: a unit of work waits, retrying with backoff, for another writer's lock."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from app import tags
from app.archive import open_archive
from app.config import Settings
from app.db import make_engine
from app.errors import ArchiveBusy
from app.ingesting import ingest_paths
from tests.conftest import SAMPLES


def _hold_write_lock(db: Path, seconds: float, held: threading.Event) -> threading.Thread:
    """Another process's long write transaction, held for ``seconds``."""

    def hold() -> None:
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    return thread


def _settings(tmp_path: Path, wait: float) -> Settings:
    return Settings(data=tmp_path / "data", actor="tester", write_wait_seconds=wait)


def test_a_writer_outlasting_the_busy_timeout_is_waited_for_with_retries(tmp_path: Path) -> None:
    archive = open_archive(_settings(tmp_path, wait=30))
    ingest_paths(archive, paths=[SAMPLES / "northwind" / "notes"], client="northwind")
    archive.close()
    # each statement waits only this long for the lock; the writer must retry past it
    archive = open_archive(_settings(tmp_path, wait=30))
    archive.engine.dispose()
    archive.engine = make_engine(archive.settings.db_url, busy_timeout_ms=50)
    held = threading.Event()
    holder = _hold_write_lock(archive.settings.data / "archive.db", 1.0, held)
    held.wait(5)
    started = time.monotonic()
    try:
        tags.tag_item(archive, item_id=1, tag="waited")
    finally:
        holder.join()
        archive.close()
    assert time.monotonic() - started >= 0.9  # it waited for the holder instead of failing
    again = open_archive(_settings(tmp_path, wait=30))
    try:
        assert "waited" in tags.item_annotations(again, item_id=1).tags
    finally:
        again.close()


def test_a_writer_that_cannot_get_the_lock_in_time_says_so_in_one_line(tmp_path: Path) -> None:
    archive = open_archive(_settings(tmp_path, wait=0.3))
    ingest_paths(archive, paths=[SAMPLES / "northwind" / "notes"], client="northwind")
    held = threading.Event()
    holder = _hold_write_lock(archive.settings.data / "archive.db", 2.0, held)
    held.wait(5)
    try:
        with pytest.raises(ArchiveBusy) as caught:
            tags.tag_item(archive, item_id=1, tag="never")
    finally:
        holder.join()
    message = str(caught.value)
    assert "\n" not in message and "busy with another writer" in message and "0.3 s" in message
    assert "never" not in tags.item_annotations(archive, item_id=1).tags  # nothing half-written
    archive.close()
