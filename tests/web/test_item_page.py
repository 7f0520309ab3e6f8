"""The item page: text page by page with previews, headers, custody in words, and the forms that change it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.archive import open_archive
from app.config import Settings
from app.ingesting import ingest_paths
from app.items import list_items
from app.main import create_app
from app.models import LedgerEntry
from tests.conftest import SAMPLES
from tests.web.conftest import BrowserLog, loaded_settings, serve, watched_page

NORTHWIND = SAMPLES / "northwind"
SCAN = "consultancy-agreement-signed.pdf"  # three scanned pages, OCR'd
SOW = "statement-of-work.pdf"  # two pages with a text layer
INVOICE_SUBJECT = "Invoice INV-2024-007 – Northwind loyalty module"


def _settings(data: Path) -> Settings:
    return Settings(data=data, actor="tester", timezone="Europe/London")


def _ids(settings: Settings) -> dict[str, int]:
    archive = open_archive(settings)
    try:
        listing = list_items(archive, limit=1000).items
    finally:
        archive.close()
    ids = {i.original_filename or i.title: i.id for i in listing}
    ids.update({f"email:{i.title}": i.id for i in listing if i.kind == "email"})
    return ids


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, int]]]:
    """Contracts and mail of the sample dispute, for pages that are only looked at."""
    settings = _settings(tmp_path_factory.mktemp("item-page") / "data")
    archive = open_archive(settings)
    ingest_paths(archive, paths=[NORTHWIND / "contracts", NORTHWIND / "mail"], client="northwind")
    archive.close()
    with TestClient(create_app(settings)) as client:
        yield client, _ids(settings)


@pytest.fixture
def fresh(settings: Settings) -> Iterator[tuple[TestClient, dict[str, int], Settings]]:
    """An archive of its own (the statement of work and one email), for tests that change items."""
    archive = open_archive(settings)
    ingest_paths(
        archive, paths=[NORTHWIND / "contracts" / SOW, NORTHWIND / "mail" / "greg-staging-feedback.eml"],
        client="northwind",
    )
    archive.close()
    with TestClient(create_app(settings)) as client:
        yield client, _ids(settings), settings


def _section(html: str, section_id: str) -> str:
    found = re.search(rf'<section id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    assert found, f"no section {section_id}"
    return found.group(1)


def _actions(settings: Settings, item_id: int) -> list[tuple[str, dict[str, object]]]:
    archive = open_archive(settings)
    try:
        with archive.read() as session:
            rows = session.exec(
                select(LedgerEntry).where(LedgerEntry.item_id == item_id).order_by(LedgerEntry.seq)
            ).all()
            return [(r.action, json.loads(r.details)) for r in rows]
    finally:
        archive.close()


def test_each_page_is_its_own_section_with_heading_anchor_and_preview(
    loaded: tuple[TestClient, dict[str, int]],
) -> None:
    client, ids = loaded
    response = client.get(f"/items/{ids[SOW]}")
    assert response.status_code == 200
    html = response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    for number in (1, 2):
        section = re.search(
            rf'<section id="page-{number}" [^>]*aria-labelledby="page-{number}-heading">', html
        )
        assert section, f"page {number} has no section"
        assert f'<h3 id="page-{number}-heading">Page {number} <span class="muted">of 2</span></h3>' in html
        assert (
            f'<img src="/api/items/{ids[SOW]}/pages/{number}/preview.png" loading="lazy" decoding="async" '
            f'alt="Page {number} of Statement of Work SOW-NW-001">'
        ) in html
    assert "text from the PDF&#39;s own text layer" in html
    assert '<a href="#page-2">2</a>' in html  # the page list jumps to each page


def test_ocr_page_breaks_stay_visible_as_separate_pages(loaded: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = loaded
    html = client.get(f"/items/{ids[SCAN]}").text
    first, second = _section(html, "page-1"), _section(html, "page-2")
    # the bug was "Page 1 of 3 4. Payment Terms" run together in one block of text
    assert "Page 1 of 3" in first and "Payment Terms" not in first
    assert "Payment Terms" in second
    assert re.search(r"read by OCR, \d{2}% confidence", first)
    assert f'href="/api/items/{ids[SCAN]}/searchable-pdf"' in html and "Download a searchable PDF" in html
    assert f'<a href="/api/items/{ids[SCAN]}/original" download>' in html
    assert "(from the document&#39;s text" in html  # where its date came from, in words
    assert re.search(r"\(\d\.\d MB\)", html)  # its size for people


def test_an_email_shows_its_headers_attachments_and_text_without_previews(
    loaded: tuple[TestClient, dict[str, int]],
) -> None:
    client, ids = loaded
    item_id = ids[f"email:{INVOICE_SUBJECT}"]
    html = client.get(f"/items/{item_id}").text
    about = _section_by_heading(html, "about-heading")
    headers = dict(re.findall(r'<tr><th scope="row">(\w+)</th><td>(.*?)</td></tr>', about, re.S))
    assert headers["From"] == "Dana Whitfield &lt;dana@whitfield-digital.example&gt;"
    assert headers["To"] == "Northwind Accounts Payable &lt;ap@northwind-retail.example&gt;"
    assert headers["Cc"].count("&lt;") == 2 and "Greg Thornton" in headers["Cc"]
    assert headers["Subject"] == INVOICE_SUBJECT
    assert "(from the email header" in headers["Date"]
    assert "/preview.png" not in html  # its text is the preview
    assert '<pre class="item-text">' in html
    attachments = _section_by_heading(html, "children-heading")
    assert f'<a href="/items/{ids["INV-2024-007.pdf"]}">Invoice INV-2024-007</a>' in attachments
    assert '<a href="/clients/northwind">Northwind</a>' in html  # the display name, linking to the client


def _section_by_heading(html: str, heading_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    assert found, f"no section labelled by {heading_id}"
    return found.group(1)


def test_custody_history_is_in_words(loaded: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = loaded
    custody = _section(client.get(f"/items/{ids[SOW]}").text, "custody")
    assert '<th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th>' in custody
    assert "stored, read from “statement-of-work.pdf”" in custody
    assert "(UTC+00:00)" in custody  # a time for people, not an ISO string


def test_unknown_items_are_not_found(loaded: tuple[TestClient, dict[str, int]]) -> None:
    client, _ids = loaded
    assert client.get("/items/999999").status_code == 404


def test_tags_and_notes_added_through_the_api_are_on_the_page(
    fresh: tuple[TestClient, dict[str, int], Settings],
) -> None:
    client, ids, _settings = fresh
    item_id = ids[SOW]
    assert client.post(f"/api/items/{item_id}/tags", json={"tag": "scope-change"}).status_code == 200
    assert client.post(f"/api/items/{item_id}/notes", json={"text": "Signed by Greg on the 15th"}).status_code == 201
    html = client.get(f"/items/{item_id}").text
    assert '<span class="tag">scope-change</span>' in _section(html, "tags")
    notes = _section(html, "notes")
    assert "<p>Signed by Greg on the 15th</p>" in notes and "tester" in notes


def test_tag_untag_and_note_through_the_page_forms(fresh: tuple[TestClient, dict[str, int], Settings]) -> None:
    client, ids, settings = fresh
    item_id = ids[SOW]
    added = client.post(f"/items/{item_id}/tags", data={"tag": "Key"}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == f"/items/{item_id}#tags"
    page = client.get(added.headers["location"]).text
    assert '<span class="tag">key</span>' in page
    assert f'action="/items/{item_id}/tags/key/delete"' in page
    noted = client.post(f"/items/{item_id}/notes", data={"text": "Deadline moved\nby phone"})
    assert noted.status_code == 200 and "<p>Deadline moved\nby phone</p>" in noted.text  # redirect followed
    removed = client.post(f"/items/{item_id}/tags/key/delete")
    assert removed.status_code == 200 and '<span class="tag">key</span>' not in removed.text
    custody = _section(removed.text, "custody")
    assert "tagged “key”" in custody and "added a note" in custody and "took off the tag “key”" in custody
    actions = [a for a, _ in _actions(settings, item_id)]
    assert actions == ["ingest", "tag", "note", "untag"]


def test_a_bad_tag_is_explained_on_the_page(fresh: tuple[TestClient, dict[str, int], Settings]) -> None:
    client, ids, settings = fresh
    item_id = ids[SOW]
    response = client.post(f"/items/{item_id}/tags", data={"tag": "no spaces!"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    problem = re.search(r'<p class="problem" id="tag-problem" role="alert">(.*?)</p>', response.text)
    assert problem and "is not a valid tag" in problem.group(1)
    assert 'value="no spaces!"' in response.text and 'aria-describedby="tag-problem"' in response.text
    empty_note = client.post(f"/items/{item_id}/notes", data={"text": "   "})
    assert empty_note.status_code == 422 and "a note needs some text" in empty_note.text
    assert [a for a, _ in _actions(settings, item_id)] == ["ingest"]


def test_reassign_through_the_page(fresh: tuple[TestClient, dict[str, int], Settings]) -> None:
    client, ids, settings = fresh
    item_id = ids[SOW]
    html = client.get(f"/items/{item_id}").text
    assert '<option value="northwind" selected>Northwind</option>' in _section(html, "assign")
    moved = client.post(f"/items/{item_id}/assign", data={"client": "northwind", "new_client": "acme-retail"})
    assert moved.status_code == 200
    assert '<a href="/clients/acme-retail">Acme Retail</a>' in moved.text
    assert "moved from Northwind to Acme Retail" in _section(moved.text, "custody")
    action, details = _actions(settings, item_id)[-1]
    assert list(details.pop("states")) == [str(item_id)]  # the moved item's new state (app.itemstate)
    assert (action, details) == ("assign", {"from": "northwind", "to": "acme-retail", "items": [item_id]})
    back = client.post(f"/items/{item_id}/assign", data={"client": "northwind"})
    assert back.status_code == 200 and '<a href="/clients/northwind">Northwind</a>' in back.text
    bad = client.post(f"/items/{item_id}/assign", data={"client": "northwind", "new_client": "Not A Slug"})
    assert bad.status_code == 422 and "not a valid client slug" in bad.text


def test_a_correction_through_the_page_keeps_the_original_visible(
    fresh: tuple[TestClient, dict[str, int], Settings],
) -> None:
    client, ids, settings = fresh
    item_id = ids[SOW]
    before = client.get(f"/items/{item_id}").text
    assert 'name="title" value="Statement of Work SOW-NW-001"' in before
    response = client.post(
        f"/items/{item_id}/corrections",
        data={"title": "Statement of Work SOW-NW-001", "occurred_at": "2024-01-20", "reason": "signature date"},
    )
    assert response.status_code == 200
    html = response.text
    date_row = re.search(r'<th scope="row">Date</th><td>(.*?)</td></tr>', html, re.S)
    assert date_row
    cell = date_row.group(1)
    assert "20 Jan 2024" in cell and "entered by a person" in cell
    assert re.search(r"Originally \d{1,2} \w{3} 2024, from the document&#39;s text\.", cell)
    assert re.search(r"Corrected on .+ by tester: signature date", cell)
    assert re.search(r"corrected the date from \d{1,2} \w{3} 2024 to 20 Jan 2024, because: signature date",
                     _section(html, "custody"))
    (action, details) = _actions(settings, item_id)[-1]
    assert action == "correct" and list(details["changes"]) == ["occurred_at"]  # type: ignore[call-overload]
    same = client.post(f"/items/{item_id}/corrections", data={"title": "Statement of Work SOW-NW-001", "reason": "x"})
    assert same.status_code == 422 and "nothing to correct" in same.text
    bad = client.post(f"/items/{item_id}/corrections", data={"occurred_at": "soon", "reason": "x"})
    assert bad.status_code == 422 and "&#39;soon&#39; is not a date" in bad.text and 'value="soon"' in bad.text


def test_hostile_text_is_shown_as_text(fresh: tuple[TestClient, dict[str, int], Settings]) -> None:
    client, ids, _settings = fresh
    item_id = ids[SOW]
    script = "<script>alert(1)</script>"
    client.post(f"/items/{item_id}/notes", data={"text": f"note {script}"})
    client.post(
        f"/items/{item_id}/corrections", data={"title": f'<img src=x onerror="alert(2)">{script}', "reason": script}
    )
    refused = client.post(f"/items/{item_id}/tags", data={"tag": script})
    assert refused.status_code == 422
    for html in (client.get(f"/items/{item_id}").text, refused.text):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html


def test_a_form_posted_from_another_site_is_refused(fresh: tuple[TestClient, dict[str, int], Settings]) -> None:
    client, ids, settings = fresh
    item_id = ids[SOW]
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = client.post(f"/items/{item_id}/tags", data={"tag": "key"}, headers=headers)
        assert response.status_code == 403
    same_site = client.post(
        f"/items/{item_id}/tags", data={"tag": "key"},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert same_site.status_code == 200 and '<span class="tag">key</span>' in same_site.text
    assert [a for a, _ in _actions(settings, item_id)] == ["ingest", "tag"]


def test_tag_note_and_preview_in_a_real_browser(browser: Any, tmp_path: Path) -> None:
    """Through the UI alone: tag, note with hostile text (no dialog fires), remove the tag, see a page picture."""
    settings = loaded_settings(tmp_path / "data", folders=[NORTHWIND / "contracts" / SOW])
    with serve(settings, job_workers=0) as live:
        item_id = live.api("/api/items")["items"][0]["id"]
        log = BrowserLog()
        context, tab = watched_page(browser, live, log, height=900)
        dialogs = log.dialogs
        try:
            tab.goto(f"/items/{item_id}")
            tab.get_by_label("Add a tag").fill("key")
            tab.get_by_role("button", name="Add tag").click()
            tab.wait_for_url(f"**/items/{item_id}#tags")
            assert tab.locator("#tags .tag").all_inner_texts() == ["key"]
            hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'
            tab.get_by_label("Add a note").fill(hostile)
            tab.get_by_role("button", name="Add note").click()
            tab.wait_for_url(f"**/items/{item_id}#notes")
            assert tab.locator("#notes .notes-list p").inner_text() == hostile  # shown as text
            tab.get_by_role("button", name="Remove the tag key").click()
            tab.wait_for_url(f"**/items/{item_id}#tags")
            assert tab.locator("#tags .tag").count() == 0
            picture = tab.get_by_role("img", name="Page 2 of Statement of Work SOW-NW-001")
            picture.scroll_into_view_if_needed()
            tab.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
            )
            assert picture.evaluate("img => img.naturalWidth") == 900
        finally:
            context.close()
    assert dialogs == []


def test_the_page_says_why_a_document_has_its_date(loaded: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = loaded
    contract = client.get(f"/items/{ids[SCAN]}").text
    why = re.search(r"<th scope=\"row\">Why this date</th><td>(.*?)</td>", contract, re.DOTALL)
    assert why is not None and why.group(1).startswith("preamble")
    assert "This Consultancy Agreement is made on 15 January 2024" in why.group(1)
    assert re.search(r"<th scope=\"row\">Effective</th><td>2024-02-01", contract)
    invoice = client.get(f"/items/{ids['INV-2024-007.pdf']}").text
    row = re.search(r"<th scope=\"row\">Invoice</th><td>(.*?)</td>", invoice, re.DOTALL)
    assert row is not None
    assert "INV-2024-007 · dated 2024-04-30 · due 2024-05-30 · GBP 27000.00 · PO NW-PO-4471" in row.group(1)
    # the agreement the invoice cites is listed with the reason it is not the invoice's date
    assert "(date: another document&#39;s date, <a href=\"#page-1\">page 1</a>)" in invoice
