"""An Outlook .pst through the archive: the file is kept whole, its items are members under it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from app import members
from app.archive import Archive, open_archive
from app.config import Settings
from app.ingesting import ingest_paths
from app.items import get_item, list_items
from app.models import Item
from app.verify import verify_archive
from tests.ingest.pst_samples import STATEMENT, write_sample


def _children(archive: Archive, parent_id: int) -> list[Item]:
    with archive.read() as session:
        return list(session.exec(select(Item).where(Item.parent_id == parent_id).order_by(Item.id)).all())


def test_a_pst_is_stored_whole_and_its_items_are_its_members(archive: Archive, tmp_path: Path) -> None:
    pst = write_sample(tmp_path / "dana.pst")
    report = ingest_paths(archive, paths=[pst], client="northwind")
    assert report.ok and report.files == 1 and report.stored == 11  # the PST, 8 items, 2 attachments
    # random bytes are kept, unread, like any attachment of an unknown format
    assert report.problems == ["statement.bin: failed: unsupported: no reader for application/octet-stream content"]
    top = get_item(archive, item_id=report.item_ids[0])
    assert top.parent_id is None and top.content_type == "application/vnd.ms-outlook-pst"
    assert top.ingest_state == "complete" and top.size == pst.stat().st_size  # the PST, byte for byte
    members_ = _children(archive, top.id)
    assert len(members_) == 8
    assert sorted(m.kind for m in members_) == ["contact", "email", "email", "email", "email", "email", "event", "note"]
    assert all(m.sha256 and json.loads(m.facts_json)["reconstructed_from"] == "pst" for m in members_)
    invoice = next(m for m in members_ if m.title == "Invoice 42 overdue")
    assert json.loads(invoice.facts_json)["folder"] == "Top of Personal Folders/Inbox"
    assert invoice.date_source == "email_header" and invoice.date_detail == "Outlook PR_CLIENT_SUBMIT_TIME"
    attachments = {a.original_filename: a for a in _children(archive, invoice.id)}
    assert attachments.keys() == {"notes.txt", "statement.bin"}
    assert archive.blobs.path_for(attachments["statement.bin"].sha256 or "").read_bytes() == STATEMENT
    contacts = list_items(archive, client="northwind", kind="contact", limit=10)  # a kind the app lists
    assert [i.title for i in contacts.items] == ["Greg Hale"]
    assert verify_archive(archive).ok


def test_a_pst_stopped_part_way_is_resumed_by_the_next_ingest(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pst = write_sample(tmp_path / "dana.pst")
    monkeypatch.setattr(archive.settings, "ingest_batch", 2)
    real, seen = members.record_child, {"n": 0}

    def dies(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen["n"] += 1
        if seen["n"] == 5:
            raise KeyboardInterrupt("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(members, "record_child", dies)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(archive, paths=[pst], client="northwind")
    monkeypatch.undo()
    top = next(i for i in list_items(archive, client="northwind", limit=100).items if i.parent_id is None)
    assert top.ingest_state == "extracting"
    before = len(_children(archive, top.id))
    assert 0 < before < 8

    again = ingest_paths(archive, paths=[pst], client="northwind")
    assert again.item_ids == [top.id] and again.duplicates == 0
    reference = open_archive(Settings(data=tmp_path / "reference", actor="t"))
    try:
        whole = ingest_paths(reference, paths=[pst], client="northwind")
        expected = sorted(i.sha256 or "" for i in _children(reference, whole.item_ids[0]))
    finally:
        reference.close()
    assert sorted(i.sha256 or "" for i in _children(archive, top.id)) == expected  # the same bytes, none twice
    assert again.resumed == [f"dana.pst: resumed {before} of 8 members stored before the stop; {8 - before} stored now"]
