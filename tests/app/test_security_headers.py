"""Defaults that keep hostile evidence inert: CSP on pages, nosniff everywhere, downloads as attachments."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.archive import open_archive
from app.bundle.published import publish_bundle
from app.config import Settings
from app.ingesting import ingest_paths
from app.items import list_items
from app.main import create_app
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, object]]]:
    settings = Settings(data=tmp_path_factory.mktemp("headers") / "data", actor="tester")
    archive = open_archive(settings)
    try:
        ingest_paths(archive, paths=[SAMPLES / "northwind" / "contracts", SAMPLES / "northwind" / "mail"],
                     client="northwind")
        listed = list_items(archive, limit=1000).items
        bundle = publish_bundle(archive, client="northwind")
    finally:
        archive.close()
    scan = next(i.id for i in listed if i.original_filename == "consultancy-agreement-signed.pdf")
    email = next(i.id for i in listed if i.kind == "email")
    with TestClient(create_app(settings)) as client:
        yield client, {"scan": scan, "email": email, "bundle": bundle.sha256}


PAGES = ["/", "/clients/northwind", "/items/{email}", "/items/{scan}", "/search?q=invoice",
         "/clients/northwind/timeline", "/upload", "/jobs", "/export", "/verify", "/docs", "/no-such-page"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_script_tight_csp_and_nosniff(loaded: tuple[TestClient, dict[str, object]], path: str) -> None:
    client, ids = loaded
    response = client.get(path.format(**ids))
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src and "'unsafe-inline'" not in script_src.group(1) and "'unsafe-eval'" not in script_src.group(1)
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/api/items/{email}/original", "/api/items/{scan}/original",
                                  "/api/items/{scan}/searchable-pdf", "/api/bundles/{bundle}"])
def test_downloads_are_attachments_never_inline(loaded: tuple[TestClient, dict[str, object]], path: str) -> None:
    client, ids = loaded
    response = client.get(path.format(**ids))
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/static/app.css", "/static/htmx.min.js", "/api/clients", "/health"])
def test_static_files_and_json_are_never_sniffed(loaded: tuple[TestClient, dict[str, object]], path: str) -> None:
    client, _ = loaded
    response = client.get(path)
    assert response.status_code == 200 and response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_sign_in_links_never_reach_the_access_log() -> None:
    import logging

    from app.web.headers import RedactSignInLinks

    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/signin/Zx9-secret_token?x=1", "1.1", 200), None)
    assert RedactSignInLinks().filter(record)
    assert "secret" not in record.getMessage() and "/signin/[redacted]?x=1" in record.getMessage()
