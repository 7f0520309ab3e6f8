"""Signing in and out in the browser: the login page, the session cookie, lock-out, expiry, ``next``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.accounts.models import UserSession
from app.accounts.sessions import COOKIE
from app.archive import open_archive
from app.config import Settings
from app.main import create_app
from app.models import utc_now
from app.web.auth_pages import safe_next
from tests.web.signin_helpers import OWNER, PASSWORD, csrf_of, sign_in, small_archive

REFUSED = "the e-mail address or the password is not right (or the account is disabled)"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return small_archive(tmp_path / "data", login_failures_per_account=3, login_failures_per_address=5)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _set_cookie(response: object) -> str:
    header = response.headers.get("set-cookie", "")  # type: ignore[attr-defined]
    assert header.startswith(f"{COOKIE}="), header
    return str(header)


def _move_sessions_back(settings: Settings, **columns: timedelta) -> None:
    """Ages every stored session: ``last_seen_utc=timedelta(hours=3)`` puts it 3 hours in the past."""
    archive = open_archive(settings)
    try:
        with archive.write() as uow:
            uow.session.connection().execute(
                update(UserSession.__table__).values(  # type: ignore[arg-type]
                    **{name: utc_now() - ago for name, ago in columns.items()}
                )
            )
    finally:
        archive.close()


def test_a_page_sends_a_stranger_to_the_login_page_and_back(client: TestClient) -> None:
    asked = client.get("/clients/northwind?sort=title", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/login?next=%2Fclients%2Fnorthwind%3Fsort%3Dtitle"
    form = client.get(asked.headers["location"])
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    html = form.text
    assert '<label for="login-email">E-mail address</label>' in html and 'id="login-email" name="email"' in html
    assert '<label for="login-password">Password</label>' in html and 'type="password"' in html
    assert '<input type="hidden" name="next" value="/clients/northwind?sort=title">' in html
    assert "Signed in as" not in html and "default-src 'self'" in form.headers["content-security-policy"]

    signed = client.post("/login", data={"email": OWNER, "password": PASSWORD, "next": "/clients/northwind?sort=title"},
                         follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/clients/northwind?sort=title"
    page = client.get(signed.headers["location"])
    assert page.status_code == 200 and "<h1>Northwind</h1>" in page.text
    assert f"<span class=\"muted\">Signed in as</span> <strong>{OWNER}</strong>" in page.text


def test_the_api_says_401_with_bearer_and_htmx_is_told_to_move_the_page(client: TestClient) -> None:
    api = client.get("/api/items")
    assert api.status_code == 401 and api.json() == {"detail": "sign in to use Casefile"}
    assert api.headers["www-authenticate"].startswith("Bearer")
    fragment = client.get("/jobs/table", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/jobs"},
                          follow_redirects=False)
    assert fragment.status_code == 401 and fragment.headers["hx-redirect"] == "/login?next=%2Fjobs"


def test_a_form_sent_after_the_session_lapsed_comes_back_to_its_page_after_sign_in(client: TestClient) -> None:
    sent = client.post("/items/1/notes", data={"text": "a note"}, headers={"Referer": "http://testserver/items/1"},
                       follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/login?next=%2Fitems%2F1"


def test_the_session_cookie_is_httponly_lax_and_for_the_whole_site(client: TestClient, settings: Settings) -> None:
    response = client.post("/login", data={"email": OWNER, "password": PASSWORD}, follow_redirects=False)
    cookie = _set_cookie(response).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert f"max-age={settings.session_max_hours * 3600}" in cookie
    assert "secure" not in cookie  # plain http on this machine: a Secure cookie would never come back


def test_over_https_the_cookie_is_secure(settings: Settings) -> None:
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        response = client.post("/login", data={"email": OWNER, "password": PASSWORD}, follow_redirects=False)
        cookie = _set_cookie(response).lower()
        assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert client.get("/").status_code == 200


def test_signing_out_ends_the_session_and_clears_the_cookie(client: TestClient) -> None:
    csrf = sign_in(client)
    token = client.cookies[COOKIE]
    forged = client.post("/logout", data={"csrf_token": "not-the-token"}, follow_redirects=False)
    assert forged.status_code == 403 and client.get("/").status_code == 200  # still signed in
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=1"
    cleared = _set_cookie(out).lower()
    assert 'casefile_session=""' in cleared and "max-age=0" in cleared
    assert "You have signed out." in client.get("/login?signed_out=1").text
    assert client.get("/", follow_redirects=False).status_code == 303
    client.cookies.set(COOKIE, token)  # the old cookie, replayed, is worth nothing: the session is gone
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(client: TestClient) -> None:
    wrong = client.post("/login", data={"email": OWNER, "password": "not the password"})
    unknown = client.post("/login", data={"email": "nobody@example.org", "password": PASSWORD})
    for response, email in ((wrong, OWNER), (unknown, "nobody@example.org")):
        assert response.status_code == 401
        assert f'<p class="problem" id="login-problem" role="alert">{REFUSED}</p>' in response.text
        assert f'value="{email}"' in response.text and "not the password" not in response.text
        assert "set-cookie" not in response.headers
    assert client.get("/", follow_redirects=False).status_code == 303


def test_failures_lock_the_account_with_the_time_to_wait(client: TestClient, settings: Settings) -> None:
    for _ in range(settings.login_failures_per_account):
        assert client.post("/login", data={"email": OWNER, "password": "guess"}).status_code == 401
    locked = client.post("/login", data={"email": OWNER, "password": PASSWORD})  # even the right one now
    assert locked.status_code == 429 and "set-cookie" not in locked.headers
    assert "too many failed sign-ins for this account: try again in 15 minutes" in locked.text
    # the lock is the account's: from another address it holds too
    with TestClient(create_app(settings), client=("192.0.2.7", 50000)) as elsewhere:
        assert elsewhere.post("/login", data={"email": OWNER, "password": PASSWORD}).status_code == 429


def test_failures_from_one_address_lock_that_address(client: TestClient, settings: Settings) -> None:
    for n in range(settings.login_failures_per_address):
        assert client.post("/login", data={"email": f"guess{n}@example.org", "password": "guess"}).status_code == 401
    locked = client.post("/login", data={"email": OWNER, "password": PASSWORD})
    assert locked.status_code == 429 and "too many failed sign-ins for this address: try again in" in locked.text
    with TestClient(create_app(settings), client=("192.0.2.7", 50000)) as elsewhere:
        assert elsewhere.post("/login", data={"email": OWNER, "password": PASSWORD},
                              follow_redirects=False).status_code == 303


def test_an_idle_session_lapses(client: TestClient, settings: Settings) -> None:
    sign_in(client)
    _move_sessions_back(settings, last_seen_utc=timedelta(minutes=settings.session_idle_minutes - 2))
    assert client.get("/").status_code == 200  # still within the idle time (and that use is counted)
    _move_sessions_back(settings, last_seen_utc=timedelta(minutes=settings.session_idle_minutes + 1))
    lapsed = client.get("/", follow_redirects=False)
    assert lapsed.status_code == 303 and lapsed.headers["location"] == "/login"


def test_a_session_ends_after_its_absolute_limit_however_busy(client: TestClient, settings: Settings) -> None:
    sign_in(client)
    _move_sessions_back(settings, expires_at_utc=timedelta(seconds=1), last_seen_utc=timedelta(0))
    assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
    "http:evil.example", "javascript:alert(1)", "evil.example", " /x", "/login?next=//evil.example", "/logout",
])
def test_next_never_leaves_the_site(client: TestClient, target: str) -> None:
    assert safe_next(target) == "/"
    response = client.post("/login", data={"email": OWNER, "password": PASSWORD, "next": target},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    form = client.get("/login", params={"next": target})
    assert '<input type="hidden" name="next" value="/">' in form.text


def test_a_local_next_is_kept() -> None:
    assert safe_next("/items/3#tags") == "/items/3#tags"
    assert safe_next("/search?q=invoice&client=northwind") == "/search?q=invoice&client=northwind"


def test_without_accounts_the_login_page_says_none_is_needed(tmp_path: Path) -> None:
    settings = small_archive(tmp_path / "data", owner=False)
    with TestClient(create_app(settings)) as client:
        html = client.get("/login").text
        assert "This archive has no accounts yet" in html and "casefile user add you@example.com --role owner" in html
        page = client.get("/")
        assert page.status_code == 200 and "Signed in as" not in page.text  # local mode: nobody signs in
        assert '<meta name="csrf-token" content="">' in page.text and "hx-headers" not in page.text


def test_a_signed_in_page_carries_the_token_for_scripts_and_htmx(client: TestClient) -> None:
    csrf = sign_in(client)
    html = client.get("/").text
    assert f'<meta name="csrf-token" content="{csrf}">' in html
    assert f"<body hx-headers='{{\"X-CSRF-Token\": \"{csrf}\"}}'>" in html
    assert csrf_of(html) == csrf and len(csrf) >= 40
