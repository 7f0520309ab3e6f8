"""Tags and notes: each one a custody-ledger entry, validated, visible on the item."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app import items, tags
from app.archive import Archive
from app.errors import InvalidInput, ItemNotFound, NotFound
from app.models import ItemNote, ItemTag
from app.verify import verify_archive
from tests.app.timeline_helpers import GREG, US, mail


@pytest.fixture
def item_id(archive: Archive) -> int:
    return mail(archive, sender=GREG, to=US, subject="Refusal", date_header="Fri, 19 Jul 2024 16:55:00 +0100")


def _actions(archive: Archive, item_id: int) -> list[str]:
    return [e.action for e in items.get_item(archive, item_id=item_id).ledger]


def test_tagging_is_recorded_in_the_ledger_and_shown_on_the_item(archive: Archive, item_id: int) -> None:
    result = tags.tag_item(archive, item_id=item_id, tag="key", actor="dana")
    assert result.item_id == item_id and result.tags == ["key"] and result.notes == []
    tags.tag_item(archive, item_id=item_id, tag=" Payment ")  # trimmed and lower-cased
    detail = items.get_item(archive, item_id=item_id)
    assert detail.tags == ["key", "payment"]
    entry = detail.ledger[-2]
    details = dict(entry.details)
    assert "tags" in details.pop("state")  # the item's state with its new tag (app.itemstate)
    assert (entry.action, entry.actor, details) == ("tag", "dana", {"tag": "key"})
    assert detail.ledger[-1].actor == "tester"  # the archive's actor by default
    assert verify_archive(archive).ok


def test_tagging_twice_records_nothing_new(archive: Archive, item_id: int) -> None:
    tags.tag_item(archive, item_id=item_id, tag="key")
    again = tags.tag_item(archive, item_id=item_id, tag="key")
    assert again.tags == ["key"] and _actions(archive, item_id).count("tag") == 1


def test_untagging_is_recorded_and_a_missing_tag_is_not_found(archive: Archive, item_id: int) -> None:
    tags.tag_item(archive, item_id=item_id, tag="scope-change")
    assert tags.untag_item(archive, item_id=item_id, tag="scope-change").tags == []
    assert _actions(archive, item_id)[-2:] == ["tag", "untag"]
    with pytest.raises(NotFound, match="is not tagged 'scope-change'"):
        tags.untag_item(archive, item_id=item_id, tag="scope-change")
    assert _actions(archive, item_id)[-1] == "untag"  # the failed call added nothing


@pytest.mark.parametrize("bad", ["", "Bad Tag!", "-leading", "x" * 41, "ключ"])
def test_bad_tags_are_refused_and_nothing_is_recorded(archive: Archive, item_id: int, bad: str) -> None:
    with pytest.raises(InvalidInput, match="not a valid tag"):
        tags.tag_item(archive, item_id=item_id, tag=bad)
    with archive.read() as session:
        assert session.exec(select(ItemTag)).all() == []
    assert _actions(archive, item_id) == ["ingest"]


def test_notes_are_ledger_entries_with_their_text(archive: Archive, item_id: int) -> None:
    result = tags.add_note(archive, item_id=item_id, text="  First complaint, 84 days after delivery. ")
    [note] = result.notes
    assert note.text == "First complaint, 84 days after delivery." and note.actor == "tester"
    entry = items.get_item(archive, item_id=item_id).ledger[-1]
    details = dict(entry.details)
    assert "notes" in details.pop("state")
    assert entry.action == "note" and details == {"note_id": note.id, "text": note.text}
    assert items.get_item(archive, item_id=item_id).notes == [note]
    with pytest.raises(InvalidInput, match="needs some text"):
        tags.add_note(archive, item_id=item_id, text="   ")
    with pytest.raises(InvalidInput, match="limited"):
        tags.add_note(archive, item_id=item_id, text="x" * (tags.MAX_NOTE_CHARS + 1))
    with archive.read() as session:
        assert len(session.exec(select(ItemNote)).all()) == 1


def test_unknown_items_are_not_found(archive: Archive) -> None:
    with pytest.raises(ItemNotFound):
        tags.tag_item(archive, item_id=424242, tag="key")
    with pytest.raises(ItemNotFound):
        tags.add_note(archive, item_id=424242, text="hello")
    with pytest.raises(ItemNotFound):
        tags.item_annotations(archive, item_id=424242)
