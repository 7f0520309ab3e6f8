"""Keeping the index in step with the database: healing, reindex, one writer at a time."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from whoosh import index as whoosh_index

from app import changes
from app.archive import Archive, open_archive
from app.config import Settings
from app.ingesting import ingest_bytes
from app.main import create_app
from app.search import backend_for, reindex, search, sync_index
from tests.conftest import SAMPLES


def _mail(subject: str, body: str, sender: str = "greg@northwind-retail.example") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "dana@whitfield-digital.example", subject
    msg["Date"] = "Mon, 13 May 2024 10:00:00 +0100"
    msg.set_content(body)
    return bytes(msg)


def test_crash_between_commit_and_index_heals_on_next_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = open_archive(settings)
    ingest_bytes(archive, filename="a.eml", client="northwind", data=_mail("first", "alpha"))
    # the process "dies" after the database commit, before the index is written
    monkeypatch.setattr("app.ingesting.try_sync_index", lambda _archive: None)
    ingest_bytes(archive, filename="b.eml", client="northwind", data=_mail("second", "bravo"))
    assert backend_for(archive).health()["documents"] == 1
    archive.close()
    monkeypatch.undo()
    with TestClient(create_app(settings)) as client:  # start-up heals
        assert client.get("/health").status_code == 200
        response = client.get("/api/search", params={"q": "bravo"})
        assert response.status_code == 200
        assert [h["title"] for h in response.json()["hits"]] == ["second"]


def test_reindex_equals_incremental(archive: Archive) -> None:
    from app.ingesting import ingest_paths

    ingest_paths(archive, paths=[SAMPLES / "northwind" / "mail", SAMPLES / "northwind" / "notes"], client="northwind")
    changes.assign_item(archive, item_id=1, client="bluebird")
    queries = ["invoice", "loyalty", '"received, thanks"', "from:greg", "deliv*", "kind:note"]

    def snapshot() -> list[list[tuple[int, str, int | None]]]:
        # the same hits; their order may differ slightly, as BM25 statistics still count
        # deleted (re-indexed) documents until segments merge
        return [sorted((h.id, h.client, h.page) for h in search(archive, query=q, limit=200).hits) for q in queries]

    incremental = snapshot()
    documents = backend_for(archive).health()["documents"]
    assert reindex(archive) == documents
    assert snapshot() == incremental


def test_assignment_is_reflected_in_scoped_search(archive: Archive) -> None:
    report = ingest_bytes(archive, filename="x.eml", data=_mail("stray", "zebra", sender="x@unknown.example"))
    assert search(archive, query="zebra", client="unassigned").total == 1
    changes.assign_item(archive, item_id=report.item_ids[0], client="northwind")
    assert search(archive, query="zebra", client="unassigned").total == 0
    assert search(archive, query="zebra", client="northwind").total == 1


def test_a_busy_index_does_not_fail_the_ingest_and_heals_later(settings: Settings) -> None:
    archive = open_archive(settings)
    backend_for(archive).writer_timeout = 0.2  # type: ignore[attr-defined]
    ingest_bytes(archive, filename="seed.eml", data=_mail("seed", "seed"))
    other = whoosh_index.open_dir(str(backend_for(archive).live))  # type: ignore[attr-defined]
    holder = other.writer()  # another process holds the one writer lock
    try:
        report = ingest_bytes(archive, filename="late.eml", data=_mail("late", "yankee"))
        assert report.ok and report.stored == 1
        assert any("search index" in p and "being written by another process" in p for p in report.problems)
    finally:
        holder.cancel()
        other.close()
    assert sync_index(archive) == 1
    assert search(archive, query="yankee").total == 1
    archive.close()


def test_reindex_cli_and_search_cli(tmp_path: Path) -> None:
    from tests.conftest import run

    data = tmp_path / "data"
    run(data, "ingest", str(SAMPLES / "bluebird"), "--client", "bluebird")
    assert run(data, "reindex").stdout.startswith("search index rebuilt:")
    found = run(data, "search", "menu", "--client", "bluebird", "--json").stdout
    import json

    body = json.loads(found)
    assert set(body) == {"total", "hits", "facets"} and body["total"] > 0
    assert set(body["hits"][0]) == {
        "id",
        "client",
        "kind",
        "title",
        "occurred_at",
        "original_filename",
        "page",
        "snippet",
        "score",
    }
    bad = run(data, "search", '"unclosed', check=False)
    assert bad.returncode == 1 and bad.stderr.strip() == 'error: the query has an unclosed quote (")'


def test_api_search_errors_are_422_not_500(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/search", params={"q": "(unbalanced"})
        assert response.status_code == 422
        assert "parentheses" in response.json()["detail"]
        assert client.get("/api/search", params={"q": "x", "client": "nobody"}).status_code == 404


def test_reindex_reports_progress_against_the_expected_total(archive: Archive) -> None:
    from app.ingesting import ingest_paths

    ingest_paths(archive, paths=[SAMPLES / "northwind" / "contracts"], client="northwind")
    seen: list[tuple[int, int]] = []
    count = reindex(archive, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (count, count)


def test_an_index_from_an_older_schema_is_rebuilt_on_sync(settings: Settings) -> None:
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, Schema

    settings.index_dir.mkdir(parents=True)
    whoosh_index.create_in(str(settings.index_dir), Schema(doc_id=ID(unique=True, stored=True)))
    archive = open_archive(settings)
    ingest_bytes(archive, filename="a.eml", client="northwind", data=_mail("old index", "walrus"))
    assert search(archive, query="walrus", client="northwind").total == 1
    live = settings.index_dir / (settings.index_dir / "CURRENT").read_text().strip()  # rebuilt as a generation
    assert "day" in whoosh_index.open_dir(str(live)).schema.names()
    archive.close()
