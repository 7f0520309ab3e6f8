"""Sharing a client with a lawyer from the browser, the lawyer's link, the access log, and CSRF on every form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.accounts.models import SignInLink
from app.accounts.sessions import COOKIE
from app.accounts.users import any_users
from app.archive import open_archive
from app.config import Settings
from app.main import create_app
from app.models import utc_now
from tests.web.signin_helpers import OWNER, sign_in, small_archive

LAWYER = "counsel@lawfirm.example"
TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "templates"
_LINK = re.compile(r'<code id="share-link">http://[^/]+(/signin/[A-Za-z0-9_-]+)</code>')


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return small_archive(tmp_path / "data")


@pytest.fixture
def owner(settings: Settings) -> Iterator[tuple[TestClient, str]]:
    with TestClient(create_app(settings)) as client:
        yield client, sign_in(client)


@pytest.fixture
def lawyer(settings: Settings) -> Iterator[TestClient]:
    """A second browser, not signed in: the lawyer's."""
    with TestClient(create_app(settings)) as client:
        yield client


def _share(owner: tuple[TestClient, str], client: str = "northwind", expires: str = "30d") -> str:
    """Shares ``client`` with the lawyer from the sharing page; returns the link's path (shown once)."""
    browser, csrf = owner
    response = browser.post(f"/clients/{client}/sharing", data={"email": LAWYER, "expires": expires,
                                                                 "csrf_token": csrf})
    assert response.status_code == 200, response.text
    found = _LINK.search(response.text)
    assert found is not None, response.text
    return found.group(1)


def _item_id(browser: TestClient, client: str) -> int:
    found = re.search(r'href="/items/(\d+)"', browser.get(f"/clients/{client}").text)
    assert found is not None
    return int(found.group(1))


def test_the_owner_shares_from_the_page_and_sees_the_link_once(owner: tuple[TestClient, str]) -> None:
    browser, csrf = owner
    client_page = browser.get("/clients/northwind").text
    assert '<a href="/clients/northwind/sharing">Share with a lawyer</a>' in client_page
    assert '<a href="/clients/northwind/access">Access log</a>' in client_page
    form = browser.get("/clients/northwind/sharing")
    assert form.status_code == 200 and "<h1>Share Northwind with a lawyer</h1>" in form.text
    assert '<label for="share-email">Lawyer’s e-mail address</label>' in form.text
    assert '<label for="share-expires">Access for</label>' in form.text
    assert '<option value="30d" selected>30 days</option>' in form.text
    assert "Nobody outside the firm has access to this client." in form.text

    shared = browser.post("/clients/northwind/sharing", data={"email": LAWYER, "expires": "7d", "csrf_token": csrf})
    assert shared.status_code == 200 and shared.headers["cache-control"] == "no-store"
    assert f"<strong>Shared with {LAWYER}.</strong>" in shared.text and _LINK.search(shared.text)
    assert "The link works once, until" in shared.text and "Their access lasts until" in shared.text
    listed = browser.get("/clients/northwind/sharing").text
    assert _LINK.search(listed) is None and "/signin/" not in listed  # shown that once, stored only hashed
    assert f'<th scope="row">{LAWYER}</th>' in listed and "in force" in listed
    assert f'aria-label="Withdraw the access of {LAWYER}">Revoke</button>' in listed


def test_a_refused_share_is_said_beside_the_form(owner: tuple[TestClient, str]) -> None:
    browser, csrf = owner
    bad = browser.post("/clients/northwind/sharing", data={"email": "not an address", "expires": "30d",
                                                           "csrf_token": csrf})
    assert bad.status_code == 422 and "is not an e-mail address" in bad.text and 'value="not an address"' in bad.text
    staff = browser.post("/clients/northwind/sharing", data={"email": OWNER, "expires": "30d", "csrf_token": csrf})
    assert staff.status_code == 422 and "sees everything already" in staff.text
    assert browser.get("/clients/nobody/sharing").status_code == 404


def test_the_link_opens_a_page_and_signs_the_lawyer_in_once(
    owner: tuple[TestClient, str], lawyer: TestClient, settings: Settings
) -> None:
    link = _share(owner)
    opened = lawyer.get(link)
    again = lawyer.get(link)  # a mail scanner fetching the link uses nothing up
    assert opened.status_code == again.status_code == 200 and opened.headers["cache-control"] == "no-store"
    assert f'<form method="post" action="{link}">' in opened.text and "Sign in to Casefile</button>" in opened.text
    assert COOKIE not in lawyer.cookies

    used = lawyer.post(link, follow_redirects=False)
    assert used.status_code == 303 and used.headers["location"] == "/clients/northwind"
    assert "httponly" in used.headers["set-cookie"].lower() and "samesite=lax" in used.headers["set-cookie"].lower()
    home = lawyer.get("/clients/northwind")
    assert home.status_code == 200 and f"<strong>{LAWYER}</strong>" in home.text
    # a lawyer's pages offer nothing they may not do
    assert 'href="/upload' not in home.text and 'href="/jobs"' not in home.text
    assert "Share with a lawyer" not in home.text and "Access log" not in home.text
    item = lawyer.get(f"/items/{_item_id(lawyer, 'northwind')}").text
    assert not any(words in item for words in ("Add tag", "Add note", "Move item", "Save correction", 'method="post"'
                                               ' action="/items'))
    assert "Verify the archive" not in lawyer.get("/verify").text and "Check the bundle" in lawyer.get("/verify").text

    with TestClient(create_app(settings)) as someone_else:
        reused = someone_else.post(link, follow_redirects=False)
        opened_again = someone_else.get(link)  # a used link says so when opened, before any button
    assert reused.status_code == 404 and "<h1>This link no longer works</h1>" in reused.text
    assert "has been used, has expired or was withdrawn" in reused.text and "set-cookie" not in reused.headers
    assert opened_again.status_code == 404 and "has been used, has expired or was withdrawn" in opened_again.text
    assert "Sign in to Casefile</button>" not in opened_again.text


def test_an_expired_link_signs_nobody_in(owner: tuple[TestClient, str], lawyer: TestClient, settings: Settings) -> None:
    link = _share(owner)
    archive = open_archive(settings)
    try:
        with archive.write() as uow:
            uow.session.connection().execute(
                update(SignInLink.__table__).values(expires_at_utc=utc_now() - timedelta(minutes=1))  # type: ignore[arg-type]
            )
    finally:
        archive.close()
    expired = lawyer.post(link, follow_redirects=False)
    assert expired.status_code == 404 and "This link no longer works" in expired.text
    assert lawyer.get("/clients/northwind", follow_redirects=False).status_code == 303


def test_revoking_ends_the_lawyers_access_on_their_next_request(
    owner: tuple[TestClient, str], lawyer: TestClient
) -> None:
    browser, csrf = owner
    lawyer.post(_share(owner, "northwind"), follow_redirects=False)
    lawyer.post(_share(owner, "bluebird"), follow_redirects=False)  # a second client: the session survives
    assert lawyer.get("/clients/northwind").status_code == 200

    revoked = browser.post("/clients/northwind/sharing/revoke", data={"email": LAWYER, "csrf_token": csrf},
                           follow_redirects=False)
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/clients/northwind/sharing?revoked=counsel%40lawfirm.example#grants"
    page = browser.get(revoked.headers["location"]).text
    assert f"Access of {LAWYER} withdrawn" in page and "withdrawn</td>" in page
    assert lawyer.get("/clients/northwind").status_code == 404
    assert lawyer.get("/clients/bluebird").status_code == 200

    browser.post("/clients/bluebird/sharing/revoke", data={"email": LAWYER, "csrf_token": csrf})
    gone = lawyer.get("/clients/bluebird", follow_redirects=False)  # no client left: signed out
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")


def test_the_access_log_shows_what_the_lawyer_was_shown(owner: tuple[TestClient, str], lawyer: TestClient) -> None:
    browser, _ = owner
    lawyer.post(_share(owner), follow_redirects=False)
    item_id = _item_id(lawyer, "northwind")
    assert lawyer.get(f"/items/{item_id}").status_code == 200
    assert lawyer.get("/search", params={"q": "staging", "client": "northwind"}).status_code == 200
    log = browser.get("/clients/northwind/access")
    assert log.status_code == 200 and "<h1>Access log: Northwind</h1>" in log.text
    html = log.text
    assert f"<td data-label=\"Who\">{LAWYER}</td>" in html
    assert "disclosed item" in html and f'<a href="/items/{item_id}">#{item_id}</a>' in html
    assert "disclosed search: “staging”" in html and "signed in by their link" in html
    assert f"shared with {LAWYER}" in html
    assert re.search(r'<td class="when">\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d \(UTC[+-]\d\d:\d\d\)</td>', html)
    assert "bluebird" not in html.split("<main", 1)[1]  # only this client's record


def test_without_accounts_sharing_is_refused_rather_than_locking_the_person_out(tmp_path: Path) -> None:
    settings = small_archive(tmp_path / "data", owner=False)
    with TestClient(create_app(settings)) as client:
        page = client.get("/clients/northwind/sharing")
        assert page.status_code == 200 and "Sharing needs accounts" in page.text
        assert 'action="/clients/northwind/sharing"' not in page.text
        refused = client.post("/clients/northwind/sharing", data={"email": LAWYER, "expires": "30d"})
        assert refused.status_code == 409 and "casefile user add you@example.com --role owner" in refused.text
        assert not any_users(client.app.state.archive)  # type: ignore[attr-defined]


class _Forms(HTMLParser):
    """Every <form method=post> of a page: its action, enctype and the csrf_token fields inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []
        self._open: dict[str, object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and (values.get("method") or "").lower() == "post":
            self._open = {"action": values.get("action") or "", "enctype": values.get("enctype") or "", "tokens": []}
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and values.get("name") == "csrf_token":
            self._open["tokens"].append(values.get("value"))  # type: ignore[attr-defined]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def test_every_post_form_a_signed_in_owner_sees_carries_the_token(owner: tuple[TestClient, str]) -> None:
    browser, csrf = owner
    item_id = _item_id(browser, "northwind")
    tagged = browser.post(f"/items/{item_id}/tags", data={"tag": "key", "csrf_token": csrf}, follow_redirects=False)
    assert tagged.status_code == 303  # a tag, so the page has a Remove form too
    link = _share(owner)  # a Revoke form, and a link whose page has the sign-in button
    pages = ["/", "/clients/northwind", f"/items/{item_id}", "/search?q=staging", "/clients/northwind/timeline",
             "/export", "/verify", "/upload", "/jobs", "/clients/northwind/sharing", "/clients/northwind/access",
             "/login", link]
    seen: set[str] = set()
    for path in pages:
        response = browser.get(path)
        assert response.status_code == 200, path
        parser = _Forms()
        parser.feed(response.text)
        assert parser.forms, f"{path}: not even the sign-out form"
        for form in parser.forms:
            action = str(form["action"])
            assert form["tokens"] == [csrf], f"{path}: the form to {action} has no (or a wrong) csrf_token field"
            if form["enctype"] == "multipart/form-data":  # its body is not read by the check: the address carries it
                assert action.endswith(f"?csrf_token={csrf}"), f"{path}: {action}"
            seen.add(re.sub(r"\d+", "N", action.split("?")[0]))
    assert {"/logout", "/items/N/tags", "/items/N/tags/key/delete", "/items/N/notes", "/items/N/assign",
            "/items/N/corrections", "/export", "/verify/bundle", "/verify/archive", "/api/uploads",
            "/clients/northwind/sharing", "/clients/northwind/sharing/revoke", "/login"} <= seen
    assert any(action.startswith("/signin/") for action in seen)
    # and the token works: a form sent with it is accepted, without it refused
    assert browser.post(f"/items/{item_id}/notes", data={"text": "checked", "csrf_token": csrf},
                        follow_redirects=False).status_code == 303
    assert browser.post(f"/items/{item_id}/notes", data={"text": "forged"}).status_code == 403


def test_every_post_form_in_every_template_has_the_field() -> None:
    # the pages above cover the forms that render for an owner; this covers any form in any template
    forms = 0
    for template in sorted(TEMPLATES.glob("*.html")):
        source = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<form\b[^>]*>(.*?)</form>", source, re.S | re.I):
            opening = match.group(0)[: match.group(0).index(">") + 1]
            if 'method="post"' not in opening.lower():
                continue
            forms += 1
            assert "{{ csrf_input }}" in match.group(1), f"{template.name}: {opening}"
            if "multipart/form-data" in opening:
                assert "{{ csrf_query }}" in opening, f"{template.name}: {opening}"
    assert forms >= 12
