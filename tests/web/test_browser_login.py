"""Signing in, sharing and a lawyer's link in a real browser: the forms, the cookie, the nav, no script run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import BrowserLog, LiveServer, serve, watched_page
from tests.web.signin_helpers import OWNER, PASSWORD, small_archive

pytestmark = pytest.mark.browser

LAWYER = "counsel@lawfirm.example"


@pytest.fixture(scope="module")
def accounts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Casefile with an owner account, Northwind (one email) and Bluebird (one note)."""
    with serve(small_archive(tmp_path_factory.mktemp("accounts") / "data"), job_workers=0) as live:
        yield live


def _browser_page(browser: Any, live: LiveServer, log: BrowserLog) -> tuple[Any, Any]:
    """A phone-sized page of its own on ``live`` (see ``watched_page``)."""
    return watched_page(browser, live, log, width=390)


def test_sign_in_share_sign_out_and_the_lawyer_signs_in_by_the_link(
    browser: Any, accounts_server: LiveServer, tmp_path: Path
) -> None:
    owner_log, lawyer_log = BrowserLog(), BrowserLog()
    context, owner = _browser_page(browser, accounts_server, owner_log)
    try:
        owner.goto("/clients/northwind")
        owner.wait_for_url("**/login?next=%2Fclients%2Fnorthwind")
        assert owner.evaluate("document.documentElement.scrollWidth") <= 390
        owner.get_by_label("E-mail address").fill(OWNER)
        owner.get_by_label("Password").fill(PASSWORD)
        owner.get_by_role("button", name="Sign in").click()
        owner.wait_for_url(accounts_server.url + "/clients/northwind")
        nav = owner.get_by_role("navigation", name="Site")
        assert f"Signed in as {OWNER}" in nav.inner_text()
        assert nav.get_by_role("link", name="Upload").count() == 1
        assert owner.evaluate("document.documentElement.scrollWidth") <= 390  # the nav with the address fits a phone

        owner.get_by_role("link", name="Share with a lawyer").click()
        owner.get_by_label("Lawyer’s e-mail address").fill(LAWYER)
        owner.get_by_label("Access for").select_option("7d")
        owner.get_by_role("button", name="Share and make a link").click()
        link = owner.locator("#share-link").inner_text().strip()
        assert "/signin/" in link and f"Shared with {LAWYER}." in owner.locator("main").inner_text()

        # the upload page's script sends the session's CSRF token with each file
        note = tmp_path / "2024-07-01-call.md"
        note.write_text("---\ndate: 2024-07-01\n---\nCall with Greg about the invoice.\n", encoding="utf-8")
        owner.goto("/upload?client=northwind")
        owner.locator("#file-input").set_input_files(str(note))
        result = owner.locator("#upload-list tbody tr td.result")
        result.filter(has_text="received").wait_for()  # 202: accepted (no worker here, so it waits to be read)
        assert "refused" not in (result.get_attribute("class") or "")

        nav.get_by_role("button", name="Sign out").click()
        owner.wait_for_url("**/login?signed_out=1")
        assert "You have signed out." in owner.locator("main").inner_text()
        assert "Signed in as" not in owner.get_by_role("navigation", name="Site").inner_text()
        owner.goto("/")
        owner.wait_for_url("**/login")
    finally:
        context.close()
    owner_log.assert_clean()

    context, lawyer = _browser_page(browser, accounts_server, lawyer_log)
    try:
        lawyer.goto("/signin/" + link.rsplit("/signin/", 1)[1])  # the link names the server's configured address
        lawyer.get_by_role("button", name="Sign in to Casefile").click()
        lawyer.wait_for_url(accounts_server.url + "/clients/northwind")
        assert lawyer.locator("h1").inner_text() == "Northwind"
        nav = lawyer.get_by_role("navigation", name="Site")
        assert f"Signed in as {LAWYER}" in nav.inner_text()
        assert nav.get_by_role("link", name="Upload").count() == 0 and nav.get_by_role("link", name="Jobs").count() == 0
        assert lawyer.get_by_role("link", name="Share with a lawyer").count() == 0
        lawyer.get_by_role("navigation", name="Site").get_by_role("link", name="Clients").click()
        lawyer.wait_for_url(accounts_server.url + "/")
        listed = lawyer.locator("main").inner_text()
        assert "Northwind" in listed and "Bluebird" not in listed  # only the client shared with them
        assert not lawyer.evaluate("document.cookie")  # the session cookie is HttpOnly: no script reads it
        lawyer_log.assert_clean()
        other = lawyer.goto("/clients/bluebird")
        assert other is not None and other.status == 404  # another client's page does not exist for them
    finally:
        context.close()
    assert not lawyer_log.dialogs and not lawyer_log.external_requests and not lawyer_log.page_errors
