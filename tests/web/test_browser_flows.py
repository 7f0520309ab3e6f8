"""The dispute flows through the browser alone: search to a page, timeline citations, export and verify."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.bundle import verify_bundle
from tests.conftest import CASEFILE
from tests.web.conftest import BrowserLog, LiveServer, loaded_settings, serve, watched_page

pytestmark = pytest.mark.browser

HOSTILE = "<script>alert('subject')</script><img src=x onerror=alert('img')>"


def test_a_search_hit_opens_the_item_at_its_page(page: Any, browser_log: BrowserLog) -> None:
    page.goto("/search")
    page.locator("#s-q").fill('"payment terms"')
    page.locator("#s-q").press("Enter")
    page.wait_for_url("**/search?*")
    hit = page.locator("main a[href*='#page-']").first
    href = hit.get_attribute("href")
    assert href and "#page-" in href
    hit.click()
    page.wait_for_url(f"**{href}")
    anchor = href.split("#", 1)[1]
    section = page.locator(f"#{anchor}")
    assert "payment" in section.inner_text().lower()
    assert section.evaluate("el => el.getBoundingClientRect().top < window.innerHeight")  # scrolled to it
    browser_log.assert_clean()


def test_a_timeline_citation_is_a_link_to_its_item(page: Any, live_server: LiveServer, browser_log: BrowserLog) -> None:
    page.goto("/clients/northwind/timeline")
    citations = page.locator("main a[href^='/items/']")
    assert citations.count() > 10
    target = citations.first.get_attribute("href")
    assert target is not None
    citations.first.click()
    page.wait_for_url(f"**{target}")
    item_id = int(target.split("/items/")[1].split("#")[0])
    title = live_server.api(f"/api/items/{item_id}")["title"]
    assert title in page.locator("h1").inner_text()
    # the site's navigation leads back
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Clients").click()
    page.wait_for_url(live_server.url + "/")
    browser_log.assert_clean()


def test_export_download_verify_and_a_tampered_bundle_rejected(
    page: Any, browser_log: BrowserLog, tmp_path: Path
) -> None:
    page.goto("/clients/northwind")
    page.locator("main a[href^='/export']").first.click()
    page.wait_for_url("**/export*")
    assert page.locator("#export-client").input_value() == "northwind"
    page.locator("#export-prefix").fill("NWR")
    page.get_by_role("button", name="Export").click()
    download_link = page.locator(".job a[download]")
    download_link.wait_for(timeout=120_000)
    with page.expect_download() as caught:
        download_link.click()
    bundle = tmp_path / caught.value.suggested_filename
    caught.value.save_as(bundle)
    assert verify_bundle(path=bundle).ok
    checked = subprocess.run([str(CASEFILE), "verify", str(bundle)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    # the past bundles list names it by its hash
    sha = page.locator(".job code").first.inner_text()
    page.goto("/export")
    assert sha in page.locator("main").inner_text()

    # verify the good one from the page, then a copy with one file changed
    page.goto("/verify")
    page.set_input_files("#verify-file", str(bundle))
    page.get_by_role("button", name="Check the bundle").click()
    page.wait_for_url("**/verify/bundle")
    assert "intact" in page.locator("main").inner_text().lower()
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(tampered, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("index.csv"):
                data = data.replace(b"NWR", b"XXX", 1)
            out.writestr(info, data)
    page.goto("/verify")
    page.set_input_files("#verify-file", str(tampered))
    page.get_by_role("button", name="Check the bundle").click()
    page.wait_for_url("**/verify/bundle")
    verdict = page.locator("main").inner_text()
    assert "not intact" in verdict and "index.csv" in verdict
    browser_log.assert_clean()


def test_verify_the_archive_from_the_page(page: Any, browser_log: BrowserLog) -> None:
    page.goto("/verify")
    page.get_by_role("button", name="Verify the archive").click()
    page.locator(".job[data-state='done']").wait_for(timeout=120_000)
    assert "Archive intact" in page.locator("main").inner_text()
    browser_log.assert_clean()


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """An archive holding one email whose subject, sender name and body are script."""
    folder = tmp_path_factory.mktemp("hostile")
    mail = folder / "mail"
    mail.mkdir()
    (mail / "hostile.eml").write_text(
        f"From: \"<b onmouseover=alert('name')>Greg</b>\" <greg@northwind-retail.example>\n"
        "To: dana@whitfield-digital.example\n"
        f"Subject: {HOSTILE}\n"
        "Date: Mon, 03 Jun 2024 10:15:00 +0100\n"
        "Message-ID: <hostile-1@northwind-retail.example>\n"
        "Content-Type: text/html; charset=utf-8\n\n"
        f"<p>Invoice overdue {HOSTILE}<script>alert('body')</script></p>\n"
    )
    shutil.copy(Path(__file__).parents[2] / "sample_docs" / "northwind" / "mail" / "fwd-po-raised-zoe.eml", mail)
    settings = loaded_settings(folder / "data", folders=(mail,))
    with serve(settings, job_workers=1) as live:
        yield live


def test_hostile_content_is_shown_as_text_everywhere(browser: Any, hostile_server: LiveServer) -> None:
    log = BrowserLog()
    context, opened = watched_page(browser, hostile_server, log, timeout_ms=20_000)
    dialogs = log.dialogs
    try:
        item = next(i for i in hostile_server.api("/api/items?limit=100")["items"] if "script" in i["title"])
        note = "<img src=x onerror=alert('note')> follow up"
        opened.goto(f"/items/{item['id']}")
        opened.locator("textarea[name='text']").fill(note)
        opened.locator("textarea[name='text']").locator("xpath=ancestor::form[1]").locator("button").click()
        opened.wait_for_url(f"**/items/{item['id']}*")
        for url in ("/", "/clients/northwind", f"/items/{item['id']}", "/search?q=overdue",
                    "/clients/northwind/timeline", "/jobs"):
            opened.goto(url)
            opened.mouse.move(200, 300)
            shown = opened.locator("main").inner_text()
            if url not in ("/", "/jobs"):
                assert "<script>alert('subject')</script>" in shown, url  # the text itself, visible
            assert opened.locator("main img[src='x']").count() == 0, url
            assert opened.locator("main script").count() == 0, url
        opened.goto(f"/items/{item['id']}")
        assert note in opened.locator("main").inner_text()
    finally:
        context.close()
    assert not dialogs, f"hostile content ran: {dialogs}"
