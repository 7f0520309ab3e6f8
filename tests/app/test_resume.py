"""A container whose ingest stopped part-way is finished by the next ingest; racing ingests make one item."""

from __future__ import annotations

import errno
import threading
import traceback
from pathlib import Path

import pytest
from sqlmodel import col, select

from app import ingesting, members
from app.archive import Archive, open_archive
from app.config import Settings
from app.ingesting import ingest_paths
from app.items import get_item, list_items
from app.models import Item
from app.verify import verify_archive
from tests.conftest import SAMPLES

MBOX = SAMPLES / "northwind" / "mail" / "northwind-2024.mbox"


def _member_hashes(archive: Archive, parent_id: int) -> list[str]:
    with archive.read() as session:
        return sorted(session.exec(select(Item.sha256).where(Item.parent_id == parent_id)).all())  # type: ignore[arg-type]


def _stop_after(monkeypatch: pytest.MonkeyPatch, calls: int) -> None:
    real = members.record_child
    seen = {"n": 0}

    def dies(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen["n"] += 1
        if seen["n"] == calls:
            raise KeyboardInterrupt("killed")  # what a kill looks like to the code that was running
        return real(*args, **kwargs)

    monkeypatch.setattr(members, "record_child", dies)


def test_a_mailbox_stopped_part_way_is_resumed_by_the_next_ingest(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive.settings, "ingest_batch", 4)
    _stop_after(monkeypatch, 10)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(archive, paths=[MBOX], client="northwind")
    top = next(i for i in list_items(archive, client="northwind", limit=100).items if i.parent_id is None)
    assert top.ingest_state == "extracting"  # shown as incomplete, not as a finished mailbox
    stored_before = len(_member_hashes(archive, top.id))
    assert 0 < stored_before < 10
    monkeypatch.undo()

    again = ingest_paths(archive, paths=[MBOX], client="northwind")
    assert again.duplicates == 0 and again.item_ids == [top.id]
    whole = open_archive(Settings(data=tmp_path / "reference", actor="t"))
    try:
        reference = ingest_paths(whole, paths=[MBOX], client="northwind")
        expected = _member_hashes(whole, reference.item_ids[0])
    finally:
        whole.close()
    assert _member_hashes(archive, top.id) == expected
    assert again.resumed == [
        f"{MBOX.name}: resumed {stored_before} of {len(expected)} members stored before the stop; "
        f"{len(expected) - stored_before} stored now"
    ]
    assert get_item(archive, item_id=top.id).ingest_state == "complete"
    assert ingest_paths(archive, paths=[MBOX], client="northwind").duplicates == 1  # finished: a duplicate now
    assert verify_archive(archive).ok


def test_two_ingests_of_the_same_file_at_once_make_one_item(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = SAMPLES / "northwind" / "notes" / "acceptance-review.md"
    first, second = open_archive(settings), open_archive(settings)  # two processes, as far as the database knows
    both_checked = threading.Barrier(2, timeout=30)
    real = ingesting.registry.extract

    def extract_together(*args, **kwargs):  # type: ignore[no-untyped-def]
        both_checked.wait()  # each has looked for the file and not found it
        return real(*args, **kwargs)

    monkeypatch.setattr(ingesting.registry, "extract", extract_together)
    reports: list[object] = []
    failures: list[BaseException] = []

    def ingest(archive: Archive) -> None:
        try:
            reports.append(ingest_paths(archive, paths=[note], client="northwind"))
        except BaseException as exc:  # reported below: a thread's exception would otherwise only be printed
            failures.append(exc)

    threads = [threading.Thread(target=ingest, args=(a,)) for a in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert not failures, ["".join(traceback.format_exception(f)) for f in failures]
        assert sorted((r.stored, r.duplicates) for r in reports) == [(0, 1), (1, 0)]  # type: ignore[attr-defined]
        assert reports[0].item_ids == reports[1].item_ids
        with first.read() as session:
            tops = session.exec(select(Item.id).where(col(Item.parent_id).is_(None))).all()
        assert len(tops) == 1
        assert verify_archive(first).ok
    finally:
        first.close()
        second.close()


def test_a_full_disk_mid_mailbox_is_one_line_and_the_next_run_completes(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive.settings, "ingest_batch", 4)
    real = archive.blobs.put_bytes
    writes = {"n": 0}

    def fills_up(data: bytes):  # type: ignore[no-untyped-def]
        writes["n"] += 1
        if writes["n"] > 9:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(data)

    monkeypatch.setattr(archive.blobs, "put_bytes", fills_up)
    full = ingest_paths(archive, paths=[MBOX, SAMPLES / "northwind" / "notes"], client="northwind")
    assert full.not_stored[0] == (
        f"{MBOX}: disk full: free some space and run the same ingest again; what was stored before is kept"
    )
    assert not full.ok
    monkeypatch.undo()  # space freed
    again = ingest_paths(archive, paths=[MBOX, SAMPLES / "northwind" / "notes"], client="northwind")
    assert again.ok and again.resumed and "resumed" in again.resumed[0]
    assert verify_archive(archive).ok


def test_an_incomplete_container_says_so_on_its_pages(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app

    archive = open_archive(settings)
    monkeypatch.setattr(archive.settings, "ingest_batch", 4)
    _stop_after(monkeypatch, 6)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(archive, paths=[MBOX], client="northwind")
    top = next(i for i in list_items(archive, client="northwind", limit=100).items if i.parent_id is None)
    archive.close()
    with TestClient(create_app(settings)) as client:
        page = client.get(f"/items/{top.id}").text
        listing = client.get("/clients/northwind").text
    assert "Not read to the end." in page and "nothing is stored twice" in page
    assert "not read to the end" in listing
