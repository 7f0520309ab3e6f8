"""The service through TestClient: status codes and bodies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.archive import open_archive
from app.config import Settings
from app.db import SCHEMA_VERSION
from app.ingesting import ingest_paths
from app.main import create_app
from tests.conftest import SAMPLES


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    archive = open_archive(settings)
    ingest_paths(archive, paths=[SAMPLES / "northwind" / "mail"], client="northwind")
    archive.close()
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_health_and_docs(client: TestClient) -> None:
    health = client.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "ok", "schema_version": SCHEMA_VERSION}
    assert client.get("/docs").status_code == 200
    assert "/api/items/{item_id}/original" in client.get("/openapi.json").json()["paths"]


def test_clients_items_and_one_item(client: TestClient) -> None:
    clients = client.get("/api/clients").json()
    assert any(c["slug"] == "northwind" and c["item_count"] > 25 for c in clients)
    listing = client.get("/api/items", params={"client": "northwind", "kind": "email", "from": "2024-05-01"})
    assert listing.status_code == 200
    body = listing.json()
    assert body["total"] > 0 and all(i["occurred_at"] >= "2024-05-01" for i in body["items"])
    item = client.get(f"/api/items/{body['items'][0]['id']}").json()
    assert item["text"] and item["ledger"][0]["action"] == "ingest"


def test_original_download_is_byte_identical_and_never_sniffed(client: TestClient) -> None:
    source = SAMPLES / "northwind" / "mail" / "greg-staging-feedback.eml"
    items = client.get("/api/items", params={"limit": 1000}).json()["items"]
    item = next(i for i in items if i["original_filename"] == source.name)
    response = client.get(f"/api/items/{item['id']}/original")
    assert response.status_code == 200
    assert response.content == source.read_bytes()
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("attachment;")


def test_errors_map_to_status_codes(client: TestClient) -> None:
    assert client.get("/api/items/999999").status_code == 404
    assert client.get("/api/items/999999").json() == {"detail": "no item with id 999999"}
    assert client.get("/api/items", params={"client": "nobody"}).status_code == 404
    assert client.get("/api/items", params={"kind": "spaceship"}).status_code == 422
    assert client.get("/api/items", params={"from": "not-a-date"}).status_code == 422


def test_pages_escape_user_content(client: TestClient, settings: Settings) -> None:
    from app.ingesting import ingest_bytes

    archive = open_archive(settings)
    raw = b"From: x@evil.example\nSubject: <script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n"
    report = ingest_bytes(archive, filename="evil.eml", data=raw)
    archive.close()
    page = client.get(f"/items/{report.item_ids[0]}")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<img src=x" not in page.text
    assert client.get("/").status_code == 200
    assert client.get("/clients/northwind").status_code == 200


def test_search_page_marks_matches_and_escapes(client: TestClient, settings: Settings) -> None:
    from app.ingesting import ingest_bytes

    archive = open_archive(settings)
    ingest_bytes(archive, filename="x.eml", data=b"From: x@evil.example\nSubject: <b>bold</b>\n\nquokka <script>\n")
    archive.close()
    page = client.get("/search", params={"q": "quokka"})
    assert page.status_code == 200
    assert "<mark>quokka</mark>" in page.text
    assert "<script>" not in page.text and "&lt;b&gt;bold&lt;/b&gt;" in page.text
    bad = client.get("/search", params={"q": '"open'})
    assert bad.status_code == 200 and "unclosed quote" in bad.text
