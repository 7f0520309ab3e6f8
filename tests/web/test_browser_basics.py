"""The pages in a real browser: navigation, a phone-width layout, and keyboard-only use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import BrowserLog, LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
NAV = ["Clients", "Upload", "Search", "Jobs", "Export", "Verify", "API"]


def _item_ids(live_server: LiveServer) -> dict[str, int]:
    """One email and the signed (scanned) contract of the sample archive."""
    listed = live_server.api("/api/items?client=northwind&limit=1000")["items"]
    email = next(i["id"] for i in listed if i["kind"] == "email")
    contract = next(i["id"] for i in listed if i["original_filename"] == "consultancy-agreement-signed.pdf")
    return {"email": email, "contract": contract}


def _overflow(page: Any) -> dict[str, int]:
    return page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")


def test_home_page_loads_with_the_site_navigation(page: Any, browser_log: BrowserLog) -> None:
    response = page.goto("/")
    assert response is not None and response.status == 200
    assert page.title().endswith("Casefile")
    nav = page.get_by_role("navigation", name="Site")
    assert [link.inner_text().strip() for link in nav.get_by_role("link").all()] == NAV
    assert nav.get_by_role("link", name="Clients").get_attribute("aria-current") == "page"
    client = page.get_by_role("main").get_by_role("link", name="Northwind", exact=True)  # its name, not its slug
    assert client.get_attribute("href") == "/clients/northwind"
    assert page.get_by_role("heading", level=1).inner_text() == "Clients"
    browser_log.assert_clean()


@pytest.mark.parametrize("where", ["home", "client", "email", "contract", "timeline"])
def test_no_horizontal_overflow_at_390_px(
    page: Any, live_server: LiveServer, browser_log: BrowserLog, tmp_path: Path, where: str
) -> None:
    ids = _item_ids(live_server)
    url = {
        "home": "/",
        "client": "/clients/northwind",
        "email": f"/items/{ids['email']}",
        "contract": f"/items/{ids['contract']}",
        "timeline": "/clients/northwind/timeline",
    }[where]
    page.set_viewport_size(PHONE)
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    page.screenshot(path=str(tmp_path / f"{where}-390.png"), full_page=True)
    sizes = _overflow(page)
    assert sizes["inner"] == PHONE["width"]
    assert sizes["scroll"] <= sizes["inner"], f"{url} is {sizes['scroll']} px wide at {sizes['inner']} px"
    # the text is readable, not a desktop page shrunk to fit (the viewport meta)
    font = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('main')).fontSize)")
    assert font >= 14
    browser_log.assert_clean()


def _focused(page: Any) -> str:
    """What has the keyboard focus, as a person would name it: a field's name or a link's text."""
    return page.evaluate("() => document.activeElement.name || document.activeElement.textContent.trim()")


def test_keyboard_only_reaches_the_search_box_and_submits(page: Any, browser_log: BrowserLog) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert _focused(page) == "Skip to content"  # the first stop is the skip link
    for _ in range(12):  # the brand link, then the site navigation
        page.keyboard.press("Tab")
        if _focused(page) == "Search":
            break
    else:
        pytest.fail("Tab never reached the Search link in the navigation")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search")
    # back to the skip link with Shift+Tab, then through it into the page: the search box is next
    for _ in range(15):
        page.keyboard.press("Shift+Tab")
        if _focused(page) == "Skip to content":
            break
    else:
        pytest.fail("Shift+Tab never reached the skip link on the search page")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert _focused(page) == "q", "the search box is not the first stop after the skip link"
    page.keyboard.type("invoice -overdue")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?*q=invoice*")
    titles = page.get_by_role("main").locator("a[href^='/items/']").all_inner_texts()
    assert titles and any("invoice" in t.lower() for t in titles)
    assert not [t for t in titles if "overdue" in t.lower()]  # -overdue excluded them
    browser_log.assert_clean()
