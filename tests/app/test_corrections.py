"""Correcting an item's title or date: the new value is used everywhere, the old one is kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app import corrections, search
from app.archive import Archive, open_archive
from app.config import Settings
from app.errors import InvalidInput, ItemNotFound
from app.ingesting import ingest_paths
from app.items import get_item, list_items
from app.main import create_app
from app.models import LedgerEntry
from app.timeline import build_timeline
from tests.conftest import SAMPLES, run

SOW = SAMPLES / "northwind" / "contracts" / "statement-of-work.pdf"


@pytest.fixture
def sow_id(archive: Archive) -> int:
    ingest_paths(archive, paths=[SOW], client="northwind")
    return list_items(archive).items[0].id


def _entries(archive: Archive, item_id: int, action: str) -> list[dict[str, object]]:
    with archive.read() as session:
        rows = session.exec(
            select(LedgerEntry).where(LedgerEntry.item_id == item_id, LedgerEntry.action == action)
        ).all()
        return [{"actor": r.actor, **json.loads(r.details)} for r in rows]


def test_a_corrected_date_replaces_the_read_one_and_keeps_it(archive: Archive, sow_id: int) -> None:
    before = get_item(archive, item_id=sow_id)
    assert before.date_source == "document_text"
    result = corrections.correct_item(
        archive, item_id=sow_id, occurred_at="2024-01-20 09:30", reason="signed on the 20th, see page 2"
    )
    (fix,) = result
    assert fix.field == "occurred_at" and fix.actor == "tester"
    assert fix.old_value == before.occurred_at.isoformat()  # type: ignore[union-attr]
    assert fix.old_source == "document_text" and fix.old_detail == before.date_detail
    assert fix.new_value == "2024-01-20T09:30:00+00:00"  # Europe/London in January
    after = get_item(archive, item_id=sow_id)
    assert after.occurred_at == datetime.fromisoformat("2024-01-20T09:30:00+00:00")
    assert after.date_source == "user" and after.date_precision == "minute"
    assert after.date_detail == "corrected by tester: signed on the 20th, see page 2"
    (entry,) = _entries(archive, sow_id, "correct")
    assert set(entry.pop("state")) >= {"date", "title", "text"}  # the item as corrected (app.itemstate)
    assert entry == {
        "actor": "tester",
        "reason": "signed on the 20th, see page 2",
        "changes": {"occurred_at": {
            "old": before.occurred_at.isoformat(),  # type: ignore[union-attr]
            "old_source": "document_text",
            "old_precision": "day",
            "new": "2024-01-20T09:30:00+00:00",
            "precision": "minute",
        }},
    }


def test_a_corrected_title_is_what_search_finds(archive: Archive, sow_id: int) -> None:
    assert search.search(archive, query="zanzibar").total == 0
    corrections.correct_item(archive, item_id=sow_id, title="Zanzibar statement of work", reason="clearer")
    assert get_item(archive, item_id=sow_id).title == "Zanzibar statement of work"
    hits = search.search(archive, query="zanzibar").hits
    assert {h.id for h in hits} == {sow_id} and hits[0].title == "Zanzibar statement of work"
    (fix,) = corrections.item_corrections(archive, item_id=sow_id)
    assert fix.old_value == "Statement of Work SOW-NW-001" and fix.old_source == ""


def test_the_timeline_uses_the_corrected_date(archive: Archive, sow_id: int) -> None:
    corrections.correct_item(archive, item_id=sow_id, occurred_at="2023-12-01", reason="draft date")
    timeline = build_timeline(archive, client="northwind")
    (entry,) = [e for e in timeline.entries if e.entry_type == "item" and e.item_id == sow_id]
    assert entry.occurred_at.date().isoformat() == "2023-12-01" and entry.date_source == "user"


def test_a_second_correction_keeps_the_first_original(archive: Archive, sow_id: int) -> None:
    original = get_item(archive, item_id=sow_id).title
    corrections.correct_item(archive, item_id=sow_id, title="First try", reason="one")
    result = corrections.correct_item(archive, item_id=sow_id, title="Second try", reason="two")
    assert [(c.old_value, c.new_value, c.reason) for c in result] == [
        (original, "First try", "one"), ("First try", "Second try", "two"),
    ]
    assert len(_entries(archive, sow_id, "correct")) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"occurred_at": "the day after"}, "is not a date"),
        ({}, "nothing to correct"),
        ({"title": "Statement of Work SOW-NW-001"}, "nothing to correct"),  # the same title
        ({"title": "   "}, "a title needs some text"),
        ({"title": "x" * 501}, "limited to 500"),
        ({"title": "New", "reason": "  "}, "a reason is required"),
    ],
)
def test_bad_corrections_are_refused_and_nothing_is_recorded(
    archive: Archive, sow_id: int, changes: dict[str, str], message: str
) -> None:
    before = get_item(archive, item_id=sow_id)
    arguments: dict[str, str] = {"reason": "because", **changes}
    with pytest.raises(InvalidInput, match=message):
        corrections.correct_item(archive, item_id=sow_id, **arguments)  # type: ignore[arg-type]
    after = get_item(archive, item_id=sow_id)
    assert (after.title, after.occurred_at, after.date_source) == (before.title, before.occurred_at, before.date_source)
    assert corrections.item_corrections(archive, item_id=sow_id) == []
    assert _entries(archive, sow_id, "correct") == []


def test_unknown_items_cannot_be_corrected(archive: Archive) -> None:
    with pytest.raises(ItemNotFound):
        corrections.correct_item(archive, item_id=999, title="x", reason="y")
    with pytest.raises(ItemNotFound):
        corrections.item_corrections(archive, item_id=999)


@pytest.fixture
def api(settings: Settings) -> Iterator[tuple[TestClient, int]]:
    archive = open_archive(settings)
    ingest_paths(archive, paths=[SOW], client="northwind")
    item_id = list_items(archive).items[0].id
    archive.close()
    with TestClient(create_app(settings)) as client:
        yield client, item_id


def test_the_api_corrects_and_lists_corrections(api: tuple[TestClient, int]) -> None:
    client, item_id = api
    response = client.post(
        f"/api/items/{item_id}/corrections",
        json={"title": "SOW (signed copy)", "occurred_at": "2024-01-16", "reason": "per the signed copy"},
    )
    assert response.status_code == 201
    body = response.json()
    assert [(c["field"], c["new_value"]) for c in body] == [
        ("title", "SOW (signed copy)"), ("occurred_at", "2024-01-16T00:00:00+00:00"),
    ]
    assert client.get(f"/api/items/{item_id}/corrections").json() == body
    item = client.get(f"/api/items/{item_id}").json()
    assert item["title"] == "SOW (signed copy)" and item["date_source"] == "user"
    assert item["ledger"][-1]["action"] == "correct"


def test_the_api_refuses_bad_corrections(api: tuple[TestClient, int]) -> None:
    client, item_id = api
    url = f"/api/items/{item_id}/corrections"
    bad_date = client.post(url, json={"occurred_at": "someday", "reason": "r"})
    assert bad_date.status_code == 422 and "'someday' is not a date" in bad_date.json()["detail"]
    empty = client.post(url, json={"reason": "r"})
    assert empty.status_code == 422 and "nothing to correct" in empty.json()["detail"]
    assert client.post(url, json={"title": "New"}).status_code == 422  # no reason at all
    assert client.post("/api/items/999/corrections", json={"title": "x", "reason": "y"}).status_code == 404
    assert client.get(f"/api/items/{item_id}/corrections").json() == []


def test_the_cli_corrects_an_item(settings: Settings, tmp_path: Path) -> None:
    data = settings.data
    run(data, "ingest", str(SOW), "--client", "northwind")
    shown = json.loads(run(data, "items", "--json").stdout)["items"][0]
    result = run(data, "correct", str(shown["id"]), "--date", "2024-01-18", "--title", "SOW", "--reason", "typo")
    assert "corrected title, date of item" in result.stdout
    detail = json.loads(run(data, "show", str(shown["id"]), "--json").stdout)
    assert detail["title"] == "SOW" and detail["occurred_at"].startswith("2024-01-18")
    refused = run(data, "correct", str(shown["id"]), "--reason", "nothing", check=False)
    assert refused.returncode != 0 and "nothing to correct" in refused.stderr
