"""The interactive API reference at /docs: Swagger UI served from our own /static, so it works offline."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from ..access import reads
from .templating import PAGE_HEADERS

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

OPENAPI_URL = "/openapi.json"  # served here, not by FastAPI itself, so the access check covers it
_ASSETS = "/static/swagger"  # vendored from npm swagger-ui-dist, see static/swagger/VENDORED.md
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _csp_allowing(html: str) -> str:
    """The pages' CSP, plus the hash of each inline script in ``html`` (and nothing else).

    FastAPI's Swagger page starts Swagger UI with an inline script; allowing exactly that
    script by its hash keeps 'unsafe-inline' out, on this page as on every other.
    """
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    policy = PAGE_HEADERS["Content-Security-Policy"]
    return policy.replace("script-src 'self'", " ".join(["script-src 'self'", *hashes]), 1)


@router.get(OPENAPI_URL)
@reads()
def openapi_schema(request: Request) -> JSONResponse:
    """The OpenAPI schema, behind the same access rule as the API it describes."""
    return JSONResponse(request.app.openapi())


@router.get("/docs", response_class=HTMLResponse)
@reads()
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI for the app's OpenAPI schema, with every asset from this server."""
    page = get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{request.app.title} API",
        swagger_js_url=f"{_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{_ASSETS}/favicon-32x32.png",
        # the default validator badge is an image from validator.swagger.io
        swagger_ui_parameters={"validatorUrl": None},
    )
    html = bytes(page.body).decode()
    headers = {**PAGE_HEADERS, "Content-Security-Policy": _csp_allowing(html)}
    return HTMLResponse(html, headers=headers)
