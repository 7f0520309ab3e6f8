from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from app.archive import Archive
from app.ingesting import ingest_paths
from app.verify import verify_archive
from tests.conftest import SAMPLES


def _loaded(archive: Archive) -> None:
    report = ingest_paths(
        archive,
        paths=[SAMPLES / "northwind" / "mail" / "greg-staging-feedback.eml", SAMPLES / "northwind" / "notes"],
        client="northwind",
    )
    assert report.ok


def test_intact_archive_verifies(archive: Archive) -> None:
    _loaded(archive)
    report = verify_archive(archive)
    assert report.ok, report.problems
    assert report.blobs_checked >= 4 and report.ledger_entries >= report.items_checked


def test_a_changed_byte_in_a_blob_is_detected(archive: Archive) -> None:
    _loaded(archive)
    victim = next(iter(archive.blobs.all_hashes()))
    path = archive.blobs.path_for(victim)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify_archive(archive)
    assert not report.ok
    assert report.problems[0].startswith(f"blob {victim} was altered")


def test_missing_and_orphan_blobs_are_detected(archive: Archive, tmp_path: Path) -> None:
    _loaded(archive)
    victim = next(iter(archive.blobs.all_hashes()))
    path = archive.blobs.path_for(victim)
    path.unlink()
    archive.blobs.put_bytes(b"bytes no item refers to")
    problems = verify_archive(archive).problems
    assert any(p.endswith(f"has no stored original (blob {victim} is missing)") for p in problems)
    assert any(p.endswith("belongs to no item") for p in problems)


def test_edited_ledger_row_is_detected(archive: Archive) -> None:
    _loaded(archive)
    with archive.engine.begin() as conn:
        conn.execute(text("UPDATE ledger SET actor = 'mallory' WHERE seq = 2"))
    problems = verify_archive(archive).problems
    assert problems == ["ledger entry 2 was altered (its hash does not match its content)"]


def test_deleted_ledger_row_is_detected(archive: Archive) -> None:
    _loaded(archive)
    with archive.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger WHERE seq = 3"))
    problems = verify_archive(archive).problems
    assert "ledger entry 3 is missing (next is 4)" in problems
    assert any("has no custody entry for its arrival" in p for p in problems)


def test_deleted_last_ledger_row_is_detected_through_its_item(archive: Archive) -> None:
    _loaded(archive)
    with archive.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger WHERE seq = (SELECT MAX(seq) FROM ledger)"))
    assert any("has no custody entry" in p for p in verify_archive(archive).problems)
