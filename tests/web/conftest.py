"""Fixtures for tests in a real browser: the real app on a real port, and Debian's chromium.

- ``live_server`` (session): Casefile served by uvicorn on 127.0.0.1, on a fresh data folder
  with sample_docs/northwind ingested, job workers running (uploads and exports complete).
  Yields a :class:`LiveServer` (``url``, ``settings``, ``data``, ``api()``). Tests that need
  an archive of their own start one with :func:`serve` (a context manager).
- ``browser`` (session): headless chromium from ``/usr/bin/chromium`` driven by Playwright.
- ``page`` (per test): a fresh browser context on ``live_server`` (relative URLs work:
  ``page.goto("/")``). Any JS dialog (``alert``, ``confirm``…) fails the test: hostile content
  must never run. So does any request to another host: Casefile works offline.
- ``browser_log`` (per test): what ``page`` saw: ``dialogs``, ``console_errors``,
  ``page_errors``, ``external_requests``; ``assert_clean()`` also checks there were no errors.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from app import changes
from app.archive import open_archive
from app.config import Settings
from app.ingesting import ingest_paths
from app.main import create_app
from tests.conftest import SAMPLES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests run as root in a container
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # nothing but the pages under test talks to the network
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ME = ["dana@whitfield-digital.example", "whitfield-digital.example"]  # as `make run` does
_START_SECONDS = 60  # a deadline for the server to come up, not a timed assertion


@dataclass(frozen=True)
class LiveServer:
    """A running Casefile: its base URL (no trailing slash) and the settings it was started with."""

    url: str
    settings: Settings

    @property
    def data(self) -> Path:
        return self.settings.data

    def api(self, path: str) -> Any:
        """The JSON of a GET to ``path`` (``/api/items?client=northwind``) on this server."""
        with urllib.request.urlopen(self.url + path, timeout=30) as response:  # noqa: S310 (our own server)
            return json.loads(response.read())


@contextmanager
def serve(settings: Settings, *, job_workers: int = 2) -> Iterator[LiveServer]:
    """Serves ``create_app(settings)`` with uvicorn on a free port in a thread until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the port is ours from now on: no race with another test run
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings, job_workers=job_workers), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(url=f"http://127.0.0.1:{port}", settings=settings)
    try:
        _wait_until_healthy(live, thread)
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _wait_until_healthy(live: LiveServer, thread: threading.Thread) -> None:
    deadline = time.monotonic() + _START_SECONDS
    while True:
        try:
            if live.api("/health").get("status") == "ok":
                return
        except OSError:
            pass
        if not thread.is_alive():
            pytest.fail(f"the live server stopped while starting (see the log above); data: {live.data}")
        if time.monotonic() > deadline:
            pytest.fail(f"the live server did not answer {live.url}/health within {_START_SECONDS} s")
        time.sleep(0.05)


def loaded_settings(
    data: Path, *, folders: Sequence[Path] = (SAMPLES / "northwind",), client: str = "northwind", **overrides: Any
) -> Settings:
    """Settings for a fresh archive in ``data`` with ``folders`` ingested for ``client``."""
    settings = Settings(data=data, actor="tester", timezone="Europe/London", **overrides)
    archive = open_archive(settings)
    try:
        changes.init_archive(archive, me=ME)
        if folders:
            report = ingest_paths(archive, paths=list(folders), client=client)
            assert report.ok, report
    finally:
        archive.close()
    return settings


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Casefile on a free port, serving sample_docs/northwind (client ``northwind``)."""
    settings = loaded_settings(tmp_path_factory.mktemp("live") / "data")
    with serve(settings) as live:
        yield live


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian chromium driven by Playwright (no browser download: the system's own)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's chromium. "
            "`make test` installs it (or run `make system-packages`, or `apt-get install chromium`)."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: `make test` installs the dev extras (`pip install -e '.[dev]'`)")

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class BrowserLog:
    """What happened in a test's page that the page itself does not show."""

    dialogs: list[str] = field(default_factory=list)  # "alert: 1"
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions
    external_requests: list[str] = field(default_factory=list)  # blocked: not to the live server

    def assert_clean(self) -> None:
        """No dialog, no request elsewhere, no console error and no uncaught exception."""
        assert not self.dialogs, f"a JS dialog fired: {self.dialogs}"
        assert not self.external_requests, f"requests to other hosts: {self.external_requests}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.page_errors, f"uncaught JS errors: {self.page_errors}"


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


def watched_page(
    browser: Any, live: LiveServer, log: BrowserLog, *, width: int = 1280, height: int = 800, timeout_ms: int = 10_000
) -> tuple[Any, Any]:
    """``(context, page)``: a fresh context (its own cookies) on ``live`` whose dialogs, console
    errors, uncaught errors and requests to other hosts (refused) are recorded in ``log``."""
    context = browser.new_context(base_url=live.url, viewport={"width": width, "height": height})
    context.set_default_timeout(timeout_ms)

    def only_our_server(route: Any) -> None:
        if route.request.url.startswith(live.url + "/"):
            route.continue_()
        else:
            log.external_requests.append(route.request.url)
            route.abort()

    context.route("**/*", only_our_server)
    opened = context.new_page()

    def on_dialog(dialog: Any) -> None:
        log.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    opened.on("dialog", on_dialog)
    opened.on("console", lambda msg: log.console_errors.append(msg.text) if msg.type == "error" else None)
    opened.on("pageerror", lambda error: log.page_errors.append(str(error)))
    return context, opened


@pytest.fixture
def page(browser: Any, live_server: LiveServer, browser_log: BrowserLog) -> Iterator[Any]:
    """A page in a fresh context on the live server; a dialog or an off-site request fails the test."""
    context, opened = watched_page(browser, live_server, browser_log)
    yield opened
    context.close()
    if browser_log.dialogs:
        pytest.fail(f"a JS dialog fired (hostile content ran as script): {browser_log.dialogs}")
    if browser_log.external_requests:
        pytest.fail(f"the page asked another host (Casefile must work offline): {browser_log.external_requests}")
