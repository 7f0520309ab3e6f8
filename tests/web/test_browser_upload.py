"""Uploading from the browser: files, a mailbox and a folder, each with progress and a result."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLES
from tests.web.conftest import BrowserLog, LiveServer, loaded_settings, serve, watched_page

pytestmark = pytest.mark.browser

SCAN = SAMPLES / "northwind" / "contracts" / "consultancy-agreement-signed.pdf"
MBOX = SAMPLES / "bluebird" / "mail" / "bluebird-2024.mbox"
LIMIT = 5_000_000


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own (uploads change the archive), with a small upload limit."""
    settings = loaded_settings(tmp_path_factory.mktemp("upload") / "data", folders=(), max_upload_bytes=LIMIT)
    with serve(settings) as live:
        yield live


@pytest.fixture
def upload_page(browser: Any, empty_server: LiveServer) -> Iterator[tuple[Any, list[str]]]:
    """The upload page of ``empty_server`` and the dialogs it raised (there must be none)."""
    log = BrowserLog()
    # OCR of a scan takes a few seconds on a busy machine
    context, opened = watched_page(browser, empty_server, log, timeout_ms=60_000)
    opened.goto("/upload")
    yield opened, log.dialogs
    context.close()
    assert not log.dialogs, f"a JS dialog fired: {log.dialogs}"
    assert not log.external_requests, log.external_requests


def _row(page: Any, name: str) -> Any:
    return page.locator("#upload-list tbody tr", has_text=name)


def _result(page: Any, name: str) -> str:
    cell = _row(page, name).locator("td.result")
    cell.locator("a").first.wait_for()  # every finished upload links to its item
    return str(cell.inner_text())


def test_a_scan_is_uploaded_read_and_opened(upload_page: tuple[Any, list[str]], empty_server: LiveServer) -> None:
    page, _ = upload_page
    page.set_input_files("#file-input", str(SCAN))
    assert _result(page, SCAN.name).startswith("stored as #")
    row = _row(page, SCAN.name)
    transfer = row.locator("progress").first
    assert transfer.get_attribute("value") == transfer.get_attribute("max")
    assert "pages OCR'd" in row.locator(".note").inner_text()  # the reading progress it showed last
    assert "1 stored" in page.locator("#upload-summary").inner_text()
    row.locator("td.result a").click()
    page.wait_for_url("**/items/*")
    assert "Consultancy Agreement" in page.locator("main").inner_text()


def test_a_file_far_over_the_limit_is_refused_before_sending(
    upload_page: tuple[Any, list[str]], tmp_path: Path
) -> None:
    page, _ = upload_page
    huge = tmp_path / "huge-scan.pdf"
    huge.write_bytes(b"%PDF-1.4\n" + b"0" * (2 * LIMIT + 1))
    page.set_input_files("#file-input", str(huge))
    cell = _row(page, huge.name).locator("td.result")
    cell.filter(has_text="upload limit").wait_for()
    assert "larger than the upload limit of 5,000,000 bytes" in cell.inner_text()


def test_a_file_just_over_the_limit_is_refused_by_the_server(
    upload_page: tuple[Any, list[str]], tmp_path: Path
) -> None:
    page, _ = upload_page
    over = tmp_path / "notes-over-limit.txt"
    over.write_bytes(b"meeting notes\n" * (LIMIT // 10))  # 1.4x the limit: the browser sends it
    page.set_input_files("#file-input", str(over))
    cell = _row(page, over.name).locator("td.result")
    cell.filter(has_text="CASEFILE_MAX_UPLOAD_BYTES").wait_for()
    assert f"'{over.name}' is larger than the upload limit" in cell.inner_text()


def test_a_mailbox_shows_messages_read_and_a_duplicate_is_named(
    upload_page: tuple[Any, list[str]], empty_server: LiveServer
) -> None:
    page, _ = upload_page
    page.set_input_files("#file-input", str(MBOX))
    first = _result(page, MBOX.name)
    assert first.startswith("stored as #")
    assert "messages read" in _row(page, MBOX.name).locator(".note").inner_text()
    item_id = int(first.split("#")[1].split()[0])
    assert len(empty_server.api(f"/api/items/{item_id}")["children"]) >= 3
    page.reload()
    page.set_input_files("#file-input", str(MBOX))
    assert _result(page, MBOX.name) == f"duplicate of #{item_id}"


def test_a_folder_is_uploaded_with_its_files(
    upload_page: tuple[Any, list[str]], empty_server: LiveServer, tmp_path: Path
) -> None:
    page, _ = upload_page
    folder = tmp_path / "northwind-notes"
    shutil.copytree(SAMPLES / "northwind" / "notes", folder)
    names = sorted(p.name for p in folder.iterdir())
    page.set_input_files("#folder-input", str(folder))
    for name in names:
        assert "stored as #" in _result(page, name) or "kept but unreadable" in _result(page, name)
    shown = page.locator("#upload-list td.file").all_inner_texts()
    assert any(text.startswith("northwind-notes/") for text in shown)  # the folder is shown with the name
    stored = {i["original_filename"] for i in empty_server.api("/api/items?limit=1000")["items"]}
    assert set(names) <= stored


def test_a_hostile_file_name_is_shown_as_text(upload_page: tuple[Any, list[str]], tmp_path: Path) -> None:
    page, dialogs = upload_page
    hostile = tmp_path / '<img src=x onerror=alert(1)>.txt'
    hostile.write_text("Call with Greg, 3 June 2024: he said the invoice was with finance.\n")
    page.set_input_files("#file-input", str(hostile))
    assert _result(page, hostile.name).startswith("stored as #")
    assert page.locator("#upload-list img").count() == 0
    assert hostile.name in page.locator("#upload-list").inner_text()
    page.goto("/jobs")
    assert page.locator("main table").count() == 1
    assert not dialogs
