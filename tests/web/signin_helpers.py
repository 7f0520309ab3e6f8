"""What the sign-in and sharing page tests share: a small two-client archive with an owner, signing in, tokens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.accounts.users import add_user
from app.archive import open_archive
from app.config import Settings
from app.ingesting import ingest_paths
from tests.conftest import SAMPLES

OWNER = "dana@whitfield-digital.example"
PASSWORD = "correct horse battery"
NORTHWIND_MAIL = SAMPLES / "northwind" / "mail" / "greg-staging-feedback.eml"
BLUEBIRD_NOTE = SAMPLES / "bluebird" / "notes" / "2024-03-20-menu-call.md"
_CSRF_INPUT = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]*)">')


def small_archive(data: Path, *, owner: bool = True, **overrides: Any) -> Settings:
    """Settings for an archive with one Northwind email and one Bluebird note (and an owner account)."""
    settings = Settings(data=data, actor="tester", timezone="Europe/London", **overrides)
    archive = open_archive(settings)
    try:
        assert ingest_paths(archive, paths=[NORTHWIND_MAIL], client="northwind").ok
        assert ingest_paths(archive, paths=[BLUEBIRD_NOTE], client="bluebird").ok
        if owner:
            add_user(archive, email=OWNER, role="owner", password=PASSWORD)
    finally:
        archive.close()
    return settings


def sign_in(client: TestClient, email: str = OWNER, password: str = PASSWORD, next_path: str = "/") -> str:
    """Signs ``client`` in through the login form; returns the session's CSRF token (read from a page)."""
    response = client.post("/login", data={"email": email, "password": password, "next": next_path},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF_INPUT.search(html)
    assert found is not None, "no csrf_token field on the page"
    return found.group(1)
