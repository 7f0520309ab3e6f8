"""Hostile requests: a Range header of 10,000 ranges, and search text built to hurt."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.archive import Archive
from app.config import Settings
from app.ingesting import ingest_paths
from app.main import create_app
from tests.conftest import SAMPLES

NOTE = SAMPLES / "northwind" / "mail"


@pytest.fixture
def client(archive: Archive, settings: Settings) -> Iterator[TestClient]:
    ingest_paths(archive, paths=[NOTE], client="northwind")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _an_item(client: TestClient) -> tuple[int, int]:
    listed = client.get("/api/items", params={"limit": 1, "sort": "ingested"}).json()["items"][0]
    return listed["id"], listed["size"]


def test_10000_ranges_are_ignored_the_file_is_sent_once(client: TestClient) -> None:
    # Past Starlette's 100 ranges the header is ignored: one plain 200 of the whole file,
    # never 10,000 multipart sections each with its own headers (or a 5xx)
    item_id, size = _an_item(client)
    assert size > 20
    ranges = ",".join(f"{i % size}-{i % size}" for i in range(10_000))
    whole = client.get(f"/api/items/{item_id}/original")
    response = client.get(f"/api/items/{item_id}/original", headers={"Range": f"bytes={ranges}"})
    assert response.status_code == 200
    assert "multipart/byteranges" not in response.headers["content-type"]
    assert response.content == whole.content and len(response.content) == size


def test_one_range_is_still_served(client: TestClient) -> None:
    item_id, _ = _an_item(client)
    whole = client.get(f"/api/items/{item_id}/original")
    part = client.get(f"/api/items/{item_id}/original", headers={"Range": "bytes=0-9"})
    assert (whole.status_code, part.status_code) == (200, 206)
    assert part.content == whole.content[:10]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("*", "'*' alone would match everything"),
        ("a*", "wildcards need at least"),
        ('"(', 'unclosed quote (")'),
        ("(", "parentheses do not match"),
        ("?*?", "'*' alone would match everything"),
    ],
)
def test_hostile_search_text_is_a_clear_422(client: TestClient, query: str, says: str) -> None:
    response = client.get("/api/search", params={"q": query})
    assert response.status_code == 422
    assert says in response.json()["detail"]


def test_10000_search_terms_are_a_clear_422(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": " ".join(f"t{i}" for i in range(10_000))})
    assert response.status_code == 422
    assert "2000" in response.text  # the longest query accepted, in characters


def test_many_short_terms_under_the_length_cap_are_a_clear_422(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": " ".join("ab" for _ in range(41))})
    assert response.status_code == 422
    assert response.json()["detail"] == "the query has 41 terms; the limit is 40"


def test_a_normal_search_still_works_after_them(client: TestClient) -> None:
    for query in ("*", "a*", '"('):
        client.get("/api/search", params={"q": query})
    response = client.get("/api/search", params={"q": "invoice"})
    assert response.status_code == 200 and response.json()["total"] > 0
