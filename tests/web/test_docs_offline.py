"""/docs works offline: Swagger UI comes from the app's own /static, never from a CDN."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.web.templating import PAGE_HEADERS
from tests.web.conftest import BrowserLog


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _asset_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["']([^"']+)["']""", html) + re.findall(r"""url:\s*'([^']+)'""", html)


def test_docs_page_loads_every_asset_from_this_server(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "SwaggerUIBundle" in html and "Casefile API" in html
    urls = _asset_urls(html)
    assert "/static/swagger/swagger-ui-bundle.js" in urls
    assert "/static/swagger/swagger-ui.css" in urls
    assert "/openapi.json" in urls
    assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    assert not re.search(r"https?://", html)  # no CDN, and no validator badge from validator.swagger.io
    assert '"validatorUrl": null' in html


def test_swagger_assets_are_served_with_their_types(client: TestClient) -> None:
    html = client.get("/docs").text
    expected = {".js": "javascript", ".css": "text/css", ".png": "image/png"}
    assets = [url for url in _asset_urls(html) if url.startswith("/static/")]
    assert len(assets) == 3
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
        kind = next(v for k, v in expected.items() if url.endswith(k))
        assert kind in response.headers["content-type"], (url, response.headers["content-type"])
        assert len(response.content) > 500
    assert b"SwaggerUIBundle" in client.get("/static/swagger/swagger-ui-bundle.js").content
    assert client.get("/openapi.json").json()["info"]["title"] == "Casefile"


def test_only_the_docs_inline_script_may_run_and_only_on_docs(client: TestClient) -> None:
    response = client.get("/docs")
    policy = response.headers["content-security-policy"]
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src")).split()
    assert script_src == ["script-src", "'self'", f"'sha256-{digest}'"]
    assert "unsafe-inline" not in " ".join(script_src)
    # every other directive is the pages' policy, unchanged
    assert policy.replace(f" 'sha256-{digest}'", "") == PAGE_HEADERS["Content-Security-Policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_redoc_and_the_default_cdn_docs_are_gone(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 404


@pytest.mark.browser
def test_swagger_ui_renders_offline_in_a_real_browser(page: Any, browser_log: BrowserLog) -> None:
    # every request to another host is refused by the `page` fixture: this is /docs offline
    response = page.goto("/docs")
    assert response is not None and response.status == 200
    page.locator(".swagger-ui .info .title").wait_for()
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("Casefile")
    assert page.locator(".opblock-summary-path", has_text="/api/items/{item_id}").count() >= 1
    browser_log.assert_clean()  # no CSP refusal of the inline start-up script, no script errors
