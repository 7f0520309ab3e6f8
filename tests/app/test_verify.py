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


def test_stray_files_in_the_blob_store_are_named_never_a_crash(archive: Archive) -> None:
    _loaded(archive)
    root = archive.blobs.root
    blob = next(iter(archive.blobs.all_hashes()))
    folder = root / blob[:2]
    (root / "notes.txt").write_text("left here by someone")
    (root / ".DS_Store").write_bytes(b"\x00\x01")
    (root / "extra").mkdir()
    (folder / "not-a-hash.txt").write_text("x")
    (folder / ".hidden").write_text("x")
    (folder / "sub").mkdir()
    wrong = ("ff" if blob[:2] != "ff" else "ee") + "0" * 62
    (folder / wrong).write_text("a blob in the wrong folder")
    (folder / ("ab" * 32 + ".link")).symlink_to(folder / blob)
    (root / "incoming" / "upload.part").write_text("x")
    (folder / ".tmp-abc").write_text("a writer at work")  # a temporary file: not a stray
    report = verify_archive(archive)
    strays = [p for p in report.problems if p.startswith("blobs/")]
    assert sorted(strays) == sorted([
        "blobs/.DS_Store: a hidden file at the blob store's root, where only hash folders belong",
        "blobs/extra: a folder at the blob store's root, where only hash folders belong",
        "blobs/notes.txt: a file at the blob store's root, where only hash folders belong",
        f"blobs/{blob[:2]}/.hidden: a hidden file not named by a SHA-256 digest",
        f"blobs/{blob[:2]}/not-a-hash.txt: a file not named by a SHA-256 digest",
        f"blobs/{blob[:2]}/sub: a folder where only blobs belong",
        f"blobs/{blob[:2]}/{wrong}: a blob in the wrong folder (its hash begins {wrong[:2]})",
        f"blobs/{blob[:2]}/{'ab' * 32}.link: a symbolic link where only blobs belong",
        "blobs/incoming/upload.part: a file in the folder of uploads being received",
    ])
    assert len(report.problems) == len(strays)  # the blobs themselves still verify
    assert blob in set(archive.blobs.all_hashes())


def test_a_clean_store_has_no_strays(archive: Archive) -> None:
    _loaded(archive)
    assert list(archive.blobs.strays()) == []
