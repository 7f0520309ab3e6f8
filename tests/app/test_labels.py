"""Gmail Takeout: the mailbox's labels kept as evidence, searchable and filterable; its
thread ids hold conversations together."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import items
from app.archive import Archive, open_archive
from app.config import Settings
from app.ingesting import ingest_paths
from app.main import create_app
from app.search import search
from app.timeline import build_timeline
from tests.app.timeline_helpers import init_us
from tests.conftest import run

CLOCK = datetime(2024, 7, 1, tzinfo=UTC)


def _message(n: int, *, labels: str, thread: str, subject: str, headers: str = "") -> str:
    return (
        f"From 1798{n}@xxx Mon Jun 03 09:0{n}:00 +0000 2024\n"
        f"X-GM-THRID: {thread}\n"
        f"X-Gmail-Labels: {labels}\n"
        f"From: Greg Thornton <greg@northwind.example>\n"
        f"To: Dana <dana@whitfield-digital.example>\n"
        f"Subject: {subject}\n"
        f"Date: Mon, 03 Jun 2024 09:0{n}:00 +0100\n"
        f"Message-ID: <m{n}@northwind.example>\n"
        f"{headers}"
        f"\nbody {n} about the vouchers\n\n"
    )


@pytest.fixture
def takeout(tmp_path: Path) -> Path:
    path = tmp_path / "All mail Including Spam and Trash.mbox"
    path.write_text(
        _message(1, labels='Inbox,Clients/Northwind,"Disputes, open"', thread="1801", subject="Vouchers")
        # a reply whose client dropped In-Reply-To and References, and changed the subject:
        # only Gmail's thread id says it belongs to the first
        + _message(2, labels="Clients/Northwind,Important", thread="1801", subject="vouchers (2)")
        + _message(3, labels="Inbox", thread="1802", subject="Lunch")
    )
    return path


@pytest.fixture
def loaded(archive: Archive, takeout: Path) -> dict[str, int]:
    init_us(archive)
    ingest_paths(archive, paths=[takeout], client="northwind")
    listing = items.list_items(archive, client="northwind", kind="email")
    return {i.title: i.id for i in listing.items}


def test_labels_are_kept_as_the_mailbox_had_them(archive: Archive, loaded: dict[str, int]) -> None:
    detail = items.get_item(archive, item_id=loaded["Vouchers"])
    assert detail.labels == ["Inbox", "Clients/Northwind", "Disputes, open"]
    ingest_entry = next(e for e in detail.ledger if e.action == "ingest")
    assert ingest_entry.details["labels"] == detail.labels  # the custody record says what was read


def test_items_filter_by_label_any_case(archive: Archive, loaded: dict[str, int]) -> None:
    by_label = items.list_items(archive, client="northwind", label="clients/northwind")
    assert sorted(i.id for i in by_label.items) == sorted([loaded["Vouchers"], loaded["vouchers (2)"]])
    assert [i.id for i in items.list_items(archive, client="northwind", label="Disputes, open").items] == [
        loaded["Vouchers"]]
    assert items.list_items(archive, client="northwind", label="Spam").total == 0
    options = items.listing_options(archive, client="northwind")
    assert options.labels == ("Clients/Northwind", "Disputes, open", "Important", "Inbox")


def test_labels_are_searchable(archive: Archive, loaded: dict[str, int]) -> None:
    hits = search(archive, query="label:northwind", client="northwind")
    assert sorted({h.id for h in hits.hits}) == sorted([loaded["Vouchers"], loaded["vouchers (2)"]])
    phrase = search(archive, query='label:"disputes open"', client="northwind")
    assert {h.id for h in phrase.hits} == {loaded["Vouchers"]}
    assert {h.id for h in search(archive, query="label:inbox -label:northwind", client="northwind").hits} == {
        loaded["Lunch"]}


def test_gmail_thread_id_threads_a_reply_that_lost_its_headers(archive: Archive, loaded: dict[str, int]) -> None:
    threads = {e.item_id: e.thread_id for e in build_timeline(archive, client="northwind", now=CLOCK).entries}
    assert threads[loaded["vouchers (2)"]] == threads[loaded["Vouchers"]] == loaded["Vouchers"]
    assert threads[loaded["Lunch"]] == loaded["Lunch"]


def test_the_api_cli_and_client_page_filter_by_label(settings: Settings, loaded: dict[str, int]) -> None:
    with TestClient(create_app(settings)) as client:
        listed = client.get("/api/items", params={"client": "northwind", "label": "Important"}).json()
        assert [i["id"] for i in listed["items"]] == [loaded["vouchers (2)"]]
        assert listed["items"][0]["labels"] == ["Clients/Northwind", "Important"]
        page = client.get("/clients/northwind", params={"label": "Important"}).text
        assert "vouchers (2)" in page and "Lunch" not in page and 'id="f-label"' in page
        item_page = client.get(f"/items/{loaded['Vouchers']}").text
        assert "Mailbox labels" in item_page and "Disputes, open" in item_page
    out = run(settings.data, "items", "--client", "northwind", "--label", "inbox", "--json")
    assert sorted(i["id"] for i in json.loads(out.stdout)["items"]) == sorted([loaded["Vouchers"], loaded["Lunch"]])


def test_an_archive_from_before_labels_gains_them_from_its_facts(settings: Settings, takeout: Path) -> None:
    archive = open_archive(settings)
    try:
        init_us(archive)
        ingest_paths(archive, paths=[takeout], client="northwind")
    finally:
        archive.close()
    db = sqlite3.connect(settings.data / "archive.db")
    try:  # as a v5 archive had it: labels only in the facts
        db.execute("DELETE FROM item_label")
        db.execute("DROP TABLE item_label")
        db.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
        db.commit()
    finally:
        db.close()
    archive = open_archive(settings)
    try:
        assert items.list_items(archive, client="northwind", label="Important").total == 1
    finally:
        archive.close()
