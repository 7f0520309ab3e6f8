"""The timeline, tags and notes through the API (TestClient) and the installed CLI."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.archive import open_archive
from app.cli import app as cli
from app.config import Settings
from app.ingesting import ingest_paths
from app.main import create_app
from app.timeline import build_timeline
from tests.app.timeline_helpers import GREG, US, init_us, mail
from tests.conftest import SAMPLES, run

ENTRY_KEYS = {"occurred_at", "precision", "date_source", "kind", "actor", "title", "summary", "item_id", "source",
              "thread_id", "tags"}
TOP_KEYS = {"client", "generated_at", "entries", "silences", "undated", "summary"}
SILENCE_KEYS = {"start", "end", "days", "awaiting", "unanswered"}




@pytest.fixture
def api(settings: Settings) -> Iterator[tuple[TestClient, int]]:
    archive = open_archive(settings)
    init_us(archive)
    assert ingest_paths(archive, paths=[SAMPLES / "northwind" / "mail", SAMPLES / "northwind" / "calls"],
                        client="northwind").ok
    hostile = mail(archive, sender=GREG, to=US, subject="<script>alert(1)</script>",
                   date_header="Tue, 06 Aug 2024 09:00:00 +0100")
    archive.close()
    with TestClient(create_app(settings)) as client:
        yield client, hostile


def test_timeline_json_keeps_the_contract(api: tuple[TestClient, int]) -> None:
    client, _ = api
    response = client.get("/api/clients/northwind/timeline")
    assert response.status_code == 200
    body = response.json()
    assert TOP_KEYS <= set(body) and body["client"] == "northwind"
    assert all(ENTRY_KEYS <= set(e) for e in body["entries"])
    assert set(body["entries"][0]["source"]) >= {"filename", "page"}
    assert all(SILENCE_KEYS <= set(s) for s in body["silences"])
    key = max((s for s in body["silences"] if s["end"]), key=lambda s: s["days"])
    assert (key["start"], key["end"], key["days"], key["awaiting"]) == (
        "2024-05-31T09:00:00+01:00", "2024-07-19T16:55:00+01:00", 49.3, "client")
    assert len(key["unanswered"]) == 10
    assert set(body["summary"]["median_response_hours"]) == {"us", "client"}
    zoe = next(e for e in body["entries"] if e["title"] == "Fwd: PO NW-PO-4471 raised – Whitfield Digital")
    assert zoe["occurred_at"] == "2024-02-14T09:05:00-05:00" and zoe["actor"] == "client"


def test_the_api_serves_the_cli_json(api: tuple[TestClient, int], settings: Settings,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    clock = datetime(2024, 8, 12, 12, 0, tzinfo=UTC)  # one clock for both: open silences run to it
    monkeypatch.setattr("app.timeline.build.utc_now", lambda: clock)
    client, _ = api
    served = client.get("/api/clients/northwind/timeline", params={"from": "2024-05-01", "kind": ["email", "call"]})
    assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    printed = CliRunner().invoke(cli, ["--data", str(settings.data), "timeline", "northwind", "--from", "2024-05-01",
                                       "--kind", "email", "--kind", "call", "--json"],
                                 env={"CASEFILE_TIMEZONE": settings.timezone})
    assert printed.exit_code == 0, printed.output
    # the same JSON: the CLI's is indented, re-written compactly it is the API's, byte for byte
    assert orjson.dumps(orjson.loads(printed.stdout)) == served.content
    # and both are what the models write
    archive = open_archive(settings)
    try:
        models = build_timeline(archive, client="northwind", date_from=date(2024, 5, 1), kinds=["email", "call"])
    finally:
        archive.close()
    assert served.content == models.model_dump_json().encode()
    assert printed.stdout == models.model_dump_json(indent=2) + "\n"
    assert json.loads(served.content)["entries"]


def test_timeline_filters_and_errors(api: tuple[TestClient, int]) -> None:
    client, _ = api
    july = client.get("/api/clients/northwind/timeline", params={"from": "2024-07-01", "to": "2024-07-31",
                                                                   "kind": ["call", "email"]}).json()
    assert july["entries"] and all(e["occurred_at"][:7] == "2024-07" for e in july["entries"])
    assert {e["kind"] for e in july["entries"]} == {"call", "email"}
    assert client.get("/api/clients/nobody/timeline").status_code == 404
    assert client.get("/api/clients/nobody/timeline").json() == {"detail": "no client 'nobody'"}
    bad_kind = client.get("/api/clients/northwind/timeline", params={"kind": "fax"})
    assert bad_kind.status_code == 422 and "unknown kind 'fax'" in bad_kind.json()["detail"]
    assert client.get("/api/clients/northwind/timeline", params={"format": "pdf"}).status_code == 422


def test_timeline_exports_have_their_media_types(api: tuple[TestClient, int]) -> None:
    client, _ = api
    as_csv = client.get("/api/clients/northwind/timeline", params={"format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    header = next(csv.reader(io.StringIO(as_csv.text)))
    assert header[:7] == ["Date", "Time", "Event", "Actor", "Source", "Page", "Significance/Tags"]
    as_md = client.get("/api/clients/northwind/timeline", params={"format": "md"})
    assert as_md.headers["content-type"].startswith("text/markdown") and as_md.text.startswith("# Timeline")
    page = client.get("/api/clients/northwind/timeline", params={"format": "html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>" not in page.text
    web = client.get("/clients/northwind/timeline")
    assert web.status_code == 200 and "<details>" in web.text and "<script>" not in web.text
    assert 'href="/clients/northwind/timeline"' in client.get("/clients/northwind").text


def test_tags_and_notes_api_and_the_flagged_timeline(api: tuple[TestClient, int]) -> None:
    client, hostile = api
    tagged = client.post(f"/api/items/{hostile}/tags", json={"tag": "key"})
    assert tagged.status_code == 200 and tagged.json() == {"item_id": hostile, "tags": ["key"], "notes": []}
    noted = client.post(f"/api/items/{hostile}/notes", json={"text": "sent after the letter before action"})
    assert noted.status_code == 201 and noted.json()["notes"][0]["text"] == "sent after the letter before action"
    flagged = client.get("/api/clients/northwind/timeline", params={"only_flagged": "true"}).json()
    assert [e["item_id"] for e in flagged["entries"]] == [hostile]
    assert flagged["entries"][0]["tags"] == ["key"] and flagged["entries"][0]["notes"][0]["actor"]
    by_tag = client.get("/api/clients/northwind/timeline", params={"tag": "key"}).json()
    assert [e["item_id"] for e in by_tag["entries"]] == [hostile]
    assert client.get(f"/api/items/{hostile}").json()["tags"] == ["key"]
    assert client.delete(f"/api/items/{hostile}/tags/key").json()["tags"] == []
    assert client.delete(f"/api/items/{hostile}/tags/key").status_code == 404
    assert client.post(f"/api/items/{hostile}/tags", json={"tag": "Not A Tag"}).status_code == 422
    assert client.post("/api/items/999999/tags", json={"tag": "key"}).status_code == 404
    assert client.post(f"/api/items/{hostile}/notes", json={"text": " "}).status_code == 422
    actions = [e["action"] for e in client.get(f"/api/items/{hostile}").json()["ledger"]]
    assert actions == ["ingest", "tag", "note", "untag"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("timeline-cli") / "data"
    run(data, "init", "--me", US, "--me", "whitfield-digital.example")
    run(data, "ingest", str(SAMPLES / "northwind" / "mail"), str(SAMPLES / "northwind" / "calls"),
        "--client", "northwind")
    return data


def test_cli_timeline_json_and_text(loaded: Path) -> None:
    body = json.loads(run(loaded, "timeline", "northwind", "--json").stdout)
    assert TOP_KEYS <= set(body) and all(ENTRY_KEYS <= set(e) for e in body["entries"])
    ranged = json.loads(run(loaded, "timeline", "northwind", "--from", "2024-06-01", "--to", "2024-06-30",
                            "--kind", "call", "--json").stdout)
    assert [e["occurred_at"][:10] for e in ranged["entries"]] == ["2024-06-03", "2024-06-17", "2024-06-17"]
    text = run(loaded, "timeline", "northwind").stdout
    assert text.startswith("Timeline: Northwind (northwind)") and "49.3 days awaiting the client" in text


def test_cli_timeline_exports_to_a_file_or_stdout(loaded: Path, tmp_path: Path) -> None:
    target = tmp_path / "northwind.html"
    result = run(loaded, "timeline", "northwind", "--format", "html", "--out", str(target))
    assert result.stdout.startswith(f"wrote {target}") and target.read_text().startswith("<!doctype html>")
    as_csv = run(loaded, "timeline", "northwind", "--format", "csv").stdout
    assert as_csv.startswith("Date,Time,Event,Actor,Source,Page,Significance/Tags")


def test_cli_errors_are_one_line(loaded: Path) -> None:
    missing = run(loaded, "timeline", "nobody", check=False)
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no client 'nobody'"
    bad = run(loaded, "timeline", "northwind", "--format", "docx", check=False)
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error: unknown format 'docx'")
    bad_tag = run(loaded, "tag", "1", "Bad Tag", check=False)
    assert bad_tag.returncode == 1 and "not a valid tag" in bad_tag.stderr


def test_cli_tag_and_note(loaded: Path) -> None:
    listing = json.loads(run(loaded, "items", "--client", "northwind", "--kind", "call", "--json").stdout)
    call = listing["items"][-1]["id"]
    tagged = json.loads(run(loaded, "tag", str(call), "key", "--json").stdout)
    assert tagged == {"item_id": call, "tags": ["key"], "notes": []}
    noted = run(loaded, "note", str(call), "Call declined: last attempt before the letter")
    assert noted.stdout.startswith(f"#{call} tags: key") and "Call declined" in noted.stdout
    flagged = json.loads(run(loaded, "timeline", "northwind", "--only-flagged", "--json").stdout)
    assert [e["item_id"] for e in flagged["entries"]] == [call]
    removed = json.loads(run(loaded, "tag", str(call), "key", "--remove", "--json").stdout)
    assert removed["tags"] == [] and len(removed["notes"]) == 1
    assert run(loaded, "verify-archive").stdout.startswith("archive intact:")
