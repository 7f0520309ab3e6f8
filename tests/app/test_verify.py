from __future__ import annotations

import os
from pathlib import Path

import pytest
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


def _first_email(archive: Archive) -> int:
    with archive.read() as session:
        return int(session.exec(text("SELECT id FROM item WHERE kind = 'email' ORDER BY id LIMIT 1")).one()[0])


@pytest.mark.parametrize(
    ("statement", "part"),
    [
        ("UPDATE item SET text = text || ' (and we agreed to pay)' WHERE id = :id", "its text"),
        ("UPDATE item SET client_id = (SELECT id FROM client WHERE slug = 'bluebird') WHERE id = :id", "its client"),
        ("UPDATE item SET occurred_at_utc = '2024-01-01 09:00:00.000000' WHERE id = :id", "its date"),
        ("UPDATE item SET date_source = 'user' WHERE id = :id", "its date"),
        ("UPDATE item SET title = 'Re: approved' WHERE id = :id", "its title"),
        ("UPDATE item SET sha256 = 'ab' || substr(sha256, 3) WHERE id = :id", "its original"),
        ("UPDATE participant SET address = 'someone@else.example' WHERE item_id = :id AND role = 'from'",
         "its participants"),
        ("INSERT INTO item_tag (item_id, tag) VALUES (:id, 'key')", "its tags"),
    ],
)
def test_a_field_changed_without_a_custody_entry_is_named(archive: Archive, statement: str, part: str) -> None:
    _loaded(archive)
    from app.changes import ensure_client  # noqa: PLC0415  (a second client to move an item to)

    with archive.write("tester") as uow:
        ensure_client(uow.session, "bluebird")
    item_id = _first_email(archive)
    assert verify_archive(archive).ok
    with archive.engine.begin() as conn:
        conn.execute(text(statement), {"id": item_id})
    stale = [p for p in verify_archive(archive).problems if p.startswith(f"item {item_id} was changed")]
    assert len(stale) == 1 and part in stale[0], verify_archive(archive).problems


def test_a_changed_page_text_and_a_note_edited_behind_the_ledger_are_named(archive: Archive) -> None:
    from app.tags import add_note  # noqa: PLC0415

    report = ingest_paths(archive, paths=[SAMPLES / "northwind" / "contracts"], client="northwind")
    assert report.ok
    with archive.read() as session:
        doc = int(session.exec(text("SELECT item_id FROM page ORDER BY id LIMIT 1")).one()[0])
    add_note(archive, item_id=doc, text="signed copy, see page 2")
    assert verify_archive(archive).ok
    with archive.engine.begin() as conn:
        conn.execute(text("UPDATE page SET text = 'nothing here' WHERE item_id = :id AND number = 1"), {"id": doc})
        conn.execute(text("UPDATE item_note SET text = 'unsigned' WHERE item_id = :id"), {"id": doc})
    (stale,) = [p for p in verify_archive(archive).problems if p.startswith(f"item {doc} was changed")]
    assert "its pages" in stale and "its notes" in stale


def test_every_change_the_product_makes_keeps_the_archive_verifying(archive: Archive) -> None:
    from app.bundle import export_bundle  # noqa: PLC0415
    from app.changes import add_event, assign_item  # noqa: PLC0415
    from app.corrections import correct_item  # noqa: PLC0415
    from app.tags import add_note, tag_item, untag_item  # noqa: PLC0415

    report = ingest_paths(archive, paths=[SAMPLES / "northwind"], client="northwind")
    assert report.ok
    item_id = _first_email(archive)
    tag_item(archive, item_id=item_id, tag="key")
    tag_item(archive, item_id=item_id, tag="late")
    untag_item(archive, item_id=item_id, tag="late")
    add_note(archive, item_id=item_id, text="the first complaint")
    correct_item(archive, item_id=item_id, title="Complaint about vouchers", reason="clearer")
    correct_item(archive, item_id=item_id, occurred_at="2024-04-02 10:00", reason="the header was wrong")
    assign_item(archive, item_id=item_id, client="bluebird")
    assign_item(archive, item_id=item_id, client="northwind")
    add_event(archive, client="northwind", kind="call", title="Call with Greg", when="2024-04-03 15:00")
    ingest_paths(archive, paths=[SAMPLES / "northwind"], client="northwind")  # a re-run: all duplicates
    export_bundle(archive, client="northwind", out=archive.settings.data.parent / "bundle.zip")
    report = verify_archive(archive)
    assert report.ok, report.problems
