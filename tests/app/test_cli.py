"""The CLI through its real entry point (the installed console script)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from app.db import SCHEMA_VERSION
from tests.conftest import SAMPLES, corpus_dir, run


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli") / "data"
    run(data, "init", "--me", "dana@whitfield-digital.example", "--me", "whitfield-digital.example")
    run(
        data,
        "ingest",
        str(SAMPLES / "northwind" / "mail"),
        str(SAMPLES / "northwind" / "calls"),
        "--client",
        "northwind",
    )
    run(data, "ingest", str(SAMPLES / "bluebird"), "--client", "bluebird")
    return data


def test_ingest_summary_and_idempotence(loaded: Path) -> None:
    again = run(loaded, "ingest", str(SAMPLES / "northwind" / "mail"), "--client", "northwind")
    assert again.stdout.strip() == "4 files, 0 stored, 4 duplicates, 0 failed"
    as_json = json.loads(run(loaded, "ingest", str(SAMPLES / "bluebird"), "--json").stdout)
    assert as_json["stored"] == 0 and as_json["duplicates"] == 2 and as_json["not_stored"] == []


def test_read_commands_have_json(loaded: Path) -> None:
    clients = json.loads(run(loaded, "clients", "--json").stdout)
    by_slug = {c["slug"]: c for c in clients}
    assert {"northwind", "bluebird", "unassigned"} <= set(by_slug)
    assert "northwind-retail.example" in by_slug["northwind"]["addresses"]
    listing = json.loads(run(loaded, "items", "--client", "bluebird", "--kind", "email", "--json").stdout)
    assert listing["total"] == 4 and all(i["client"] == "bluebird" for i in listing["items"])
    first = listing["items"][0]
    shown = json.loads(run(loaded, "show", str(first["id"]), "--json").stdout)
    assert shown["sha256"] == first["sha256"] and shown["ledger"][0]["action"] == "ingest"
    assert shown["date_source"] == "email_header" and shown["text"]
    human = run(loaded, "show", str(first["id"])).stdout
    assert f"sha256:   {first['sha256']}" in human


def test_items_filter_by_date(loaded: Path) -> None:
    listing = json.loads(
        run(loaded, "items", "--client", "northwind", "--from", "2024-05-31", "--to", "2024-07-10", "--json").stdout
    )
    assert listing["total"] > 0
    assert all("2024-05-31" <= i["occurred_at"][:10] <= "2024-07-10" for i in listing["items"])


def test_add_event_assign_and_verify(loaded: Path) -> None:
    created = json.loads(
        run(
            loaded,
            "add-event",
            "northwind",
            "--date",
            "2024-06-03 10:15",
            "--kind",
            "call",
            "--title",
            "Called Greg, no answer",
            "--json",
        ).stdout
    )
    moved = json.loads(run(loaded, "assign", str(created["id"]), "bluebird", "--json").stdout)
    assert moved == {"moved": [created["id"]], "client": "bluebird"}
    verified = run(loaded, "verify-archive")
    assert verified.stdout.startswith("archive intact:")


def test_errors_are_one_line_messages(loaded: Path) -> None:
    missing = run(loaded, "show", "999999", check=False)
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no item with id 999999"
    bad_slug = run(loaded, "assign", "1", "Not A Slug", check=False)
    assert bad_slug.returncode == 1 and "not a valid client slug" in bad_slug.stderr
    bad_date = run(loaded, "add-event", "northwind", "--date", "someday", "--title", "x", check=False)
    assert bad_date.returncode == 1 and "is not a date" in bad_date.stderr


def test_exit_code_is_nonzero_only_when_something_was_not_stored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"")
    ok = run(data, "ingest", str(junk))
    assert "junk.pdf: failed: corrupt: empty file (0 bytes)" in ok.stderr
    assert ok.stdout.strip() == "1 file, 1 stored, 0 duplicates, 1 failed"
    missing = run(data, "ingest", str(tmp_path / "nope.eml"), check=False)
    assert missing.returncode == 1 and "NOT STORED" in missing.stderr


def test_verify_archive_fails_on_tampering(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, "ingest", str(SAMPLES / "northwind" / "notes"))
    blob = next(p for p in (data / "blobs").rglob("*") if p.is_file() and p.parent.name != "incoming")
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes() + b"x")
    result = run(data, "verify-archive", check=False)
    assert result.returncode == 1 and result.stderr.startswith(f"PROBLEM: blob {blob.name} was altered")


def test_verify_archive_names_a_stray_file_in_a_blob_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, "ingest", str(SAMPLES / "northwind" / "notes"))
    folder = next(p for p in (data / "blobs").iterdir() if p.is_dir() and p.name != "incoming")
    (folder / "README").write_text("not a blob")
    result = run(data, "verify-archive", check=False)  # run() asserts there is no traceback
    assert result.returncode == 1
    assert f"PROBLEM: blobs/{folder.name}/README: a file not named by a SHA-256 digest" in result.stderr
    assert "internal error" not in result.stderr


def test_every_corpus_mail_and_notes_file_ingests_without_a_traceback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folders = [corpus_dir(n) for n in ("emails", "mbox", "msg", "meeting_notes", "malformed")]
    staged = tmp_path / "corpus"
    for folder in folders:
        shutil.copytree(folder, staged / folder.name)
    result = run(data, "ingest", str(staged), "--json")
    report = json.loads(result.stdout)
    expected_files = sum(1 for f in folders for p in f.iterdir() if p.is_file())
    assert report["files"] == expected_files and report["not_stored"] == []
    for line in report["problems"]:
        assert "\n" not in line and ": failed: " in line or ": partial: " in line
    listing = json.loads(run(data, "items", "--limit", "5000", "--json").stdout)
    by_name = {i["original_filename"]: i for i in listing["items"] if i["parent_id"] is None}
    assert by_name["ingest_empty_zero_bytes.pdf"]["status"] == "failed"
    assert by_name["ingest_empty_zero_bytes.pdf"]["error"] == "corrupt: empty file (0 bytes)"
    # the 0-byte mbox has the same (empty) content: one item, a second custody entry
    assert "sisimai_empty.mbox" not in by_name and report["duplicates"] >= 1
    assert by_name["paperless_broken_not_an_email.eml"]["status"] == "failed"
    assert by_name["ingest_rfc822_text_named_dot_msg.msg"]["kind"] == "email"
    assert by_name["enron_dorland-c_sent_items_66.eml"]["status"] == "ok"
    assert run(data, "verify-archive").returncode == 0


def test_serve_starts_on_localhost_and_answers(tmp_path: Path) -> None:
    import socket
    import time
    import urllib.request

    from tests.conftest import CASEFILE

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "CASEFILE_DATA": str(tmp_path / "data")}
    server = subprocess.Popen(
        [str(CASEFILE), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    body = json.loads(response.read())
            except OSError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                time.sleep(0.3)
        assert body == {"status": "ok", "schema_version": SCHEMA_VERSION}
    finally:
        server.terminate()
        server.wait(timeout=30)
