"""Errors: HTML pages with the right status for people, JSON as before for /api."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.access import public
from app.archive import open_archive
from app.config import Settings
from app.ingesting import ingest_paths
from app.main import create_app
from tests.conftest import SAMPLES


@public  # a route, like any other, needs its access rule to be reached at all
def _boom() -> None:
    raise RuntimeError("secret internals: /home/dana/casefile-data/index.db")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = Settings(data=tmp_path_factory.mktemp("errors") / "data", actor="tester", timezone="Europe/London")
    archive = open_archive(settings)
    try:
        ingest_paths(archive, paths=[SAMPLES / "northwind" / "mail" / "greg-staging-feedback.eml"],
                     client="northwind")
    finally:
        archive.close()
    made = create_app(settings)
    # a page and an API route that fail unexpectedly, as a bug would
    made.add_api_route("/boom", _boom)
    made.add_api_route("/api/boom", _boom)
    return made


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    # raise_server_exceptions=False: answer as the real server does instead of re-raising in the test
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _is_error_page(response: httpx.Response, status: int) -> str:
    """The page's HTML, once it is checked to be a site page with ``status`` and a way home."""
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<nav aria-label="Site">' in html and '<a href="/">Back to the clients</a>' in html
    assert f"Error {status}" in html
    assert "default-src 'self'" in response.headers["content-security-policy"]
    return html


def test_an_unknown_address_is_a_404_page(client: TestClient) -> None:
    html = _is_error_page(client.get("/no/such/page"), 404)
    assert "<h1>Page not found</h1>" in html and "There is nothing at this address" in html


def test_a_missing_client_or_item_is_a_404_page_with_the_domain_message(client: TestClient) -> None:
    assert "no client &#39;nobody&#39;" in _is_error_page(client.get("/clients/nobody"), 404)
    assert "no client &#39;nobody&#39;" in _is_error_page(client.get("/clients/nobody/timeline"), 404)
    assert "no item with id 999999" in _is_error_page(client.get("/items/999999"), 404)


def test_a_malformed_address_is_a_422_page(client: TestClient) -> None:
    html = _is_error_page(client.get("/items/abc"), 422)
    assert "<h1>That request could not be used</h1>" in html
    assert "&#39;abc&#39; is not a valid item_id: input should be a valid integer" in html
    assert "&#39;0&#39; is not a valid page" in _is_error_page(client.get("/clients/northwind?page=0"), 422)


def test_an_unexpected_failure_is_a_500_page_without_internals(client: TestClient) -> None:
    html = _is_error_page(client.get("/boom"), 500)
    assert "<h1>Something went wrong</h1>" in html
    assert "secret internals" not in html and "Traceback" not in html and "RuntimeError" not in html


def test_hostile_text_in_an_error_message_is_escaped(client: TestClient) -> None:
    html = _is_error_page(client.get("/clients/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"), 404)
    assert "no client &#39;&lt;img src=x onerror=alert(1)&gt;&#39;" in html
    assert "<img src=x" not in html


def test_the_api_keeps_answering_in_json(client: TestClient) -> None:
    unknown = client.get("/api/no/such/route")
    assert unknown.status_code == 404 and unknown.json() == {"detail": "Not Found"}
    missing = client.get("/api/items/999999")
    assert missing.status_code == 404 and missing.json() == {"detail": "no item with id 999999"}
    assert client.get("/api/items", params={"client": "nobody"}).json() == {"detail": "no client 'nobody'"}
    malformed = client.get("/api/items/abc")
    assert malformed.status_code == 422 and malformed.json()["detail"][0]["loc"] == ["path", "item_id"]
    refused = client.get("/api/items", params={"kind": "spaceship"})
    assert refused.status_code == 422 and refused.json()["detail"].startswith("unknown kind 'spaceship'")
    broken = client.get("/api/boom")
    assert broken.status_code == 500 and broken.json() == {"detail": "internal server error"}
    assert client.get("/health").headers["content-type"] == "application/json"
    assert client.get("/openapi.json").status_code == 200


def test_a_missing_static_file_is_not_dressed_as_a_page(client: TestClient) -> None:
    response = client.get("/static/nothing-here.js")
    assert response.status_code == 404
    assert not response.headers["content-type"].startswith("text/html")
