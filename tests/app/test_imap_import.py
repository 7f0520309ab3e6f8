"""casefile import-imap against a real IMAP server (Dovecot, started by tests/app/imap_server.py)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner, Result

from app.archive import open_archive
from app.cli import app
from app.config import Settings
from app.ingesting import ingest_paths
from app.models import ImapFolderState, Item, LedgerEntry
from tests.app.imap_server import HOST, PASSWORD, CuttingProxy, ImapServer, message, running_dovecot
from tests.conftest import CASEFILE


@pytest.fixture(scope="module")
def server() -> Iterator[ImapServer]:
    with running_dovecot() as running:
        yield running


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _cli(data: Path, user: str, *args: str, code: int = 0, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(
        app, ["--data", str(data), "import-imap", "--host", HOST, "--user", user, "--client", "northwind", *args],
        env={"CASEFILE_TIMEZONE": "Europe/London", "CASEFILE_IMAP_PASSWORD": PASSWORD, **(env or {})},
    )
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def _plain(server: ImapServer) -> tuple[str, ...]:
    return ("--no-tls", "--port", str(server.plain_port))


def _imported(data: Path, user: str, server: ImapServer, *args: str) -> dict[str, Any]:
    return json.loads(_cli(data, user, *_plain(server), "--json", *args).stdout)


def _emails(data: Path) -> list[Item]:
    archive = open_archive(Settings(data=data, actor="t"))
    try:
        with archive.read() as session:
            return list(session.exec(select(Item).where(Item.kind == "email", Item.parent_id == None)).all())  # noqa: E711
    finally:
        archive.close()


def test_full_import_keeps_the_exact_bytes_leaves_them_unread_and_a_rerun_fetches_nothing(
    server: ImapServer, data: Path
) -> None:
    user = server.new_account()
    sent = [message(n) for n in range(1, 5)] + [message(5, attachment=os.urandom(3000))]
    server.append(user, sent)
    first = _imported(data, user, server)
    assert (first["fetched"], first["stored"], first["skipped_duplicates"]) == (5, 5, 0)
    assert first["resumed_from_uid"] is None and first["errors"] == [] and first["complete"]
    archive = open_archive(Settings(data=data, actor="t"))
    try:
        with archive.read() as session:
            emails = session.exec(select(Item).where(Item.kind == "email", Item.parent_id == None)).all()  # noqa: E711
            assert sorted(e.sha256 for e in emails) == sorted(hashlib.sha256(m).hexdigest() for m in sent)
            for email in emails:  # the blob holds exactly the bytes the server was given
                assert hashlib.sha256(archive.blobs.path_for(email.sha256).read_bytes()).hexdigest() == email.sha256
            assert {e.original_filename for e in emails} == {f"INBOX-{uid}.eml" for uid in range(1, 6)}
            assert all(e.text and e.message_id for e in emails)
            assert any(child.kind == "attachment" for child in session.exec(select(Item)).all())
            origins = [json.loads(e.details).get("origin", "") for e in session.exec(
                select(LedgerEntry).where(LedgerEntry.action == "ingest")).all()]
            prefix = f"imap://{user}@{HOST}:{server.plain_port}/INBOX;UIDVALIDITY="
            assert sum(o.startswith(prefix) for o in origins) == 5
    finally:
        archive.close()
    assert all(b"\\Seen" not in flags for flags in server.flags(user).values())  # BODY.PEEK, EXAMINE
    again = _cli(data, user, *_plain(server))
    assert again.stdout.strip() == f"INBOX on {HOST}: 0 fetched, 0 stored, 0 skipped (already in the archive), " \
                                   "0 failed; resumed after UID 5"
    assert "resuming after UID 5" in again.stderr
    assert len(_emails(data)) == 5


def test_a_later_run_fetches_only_the_messages_that_arrived_since(server: ImapServer, data: Path) -> None:
    user = server.new_account()
    server.append(user, [message(n) for n in range(1, 4)])
    assert _imported(data, user, server)["stored"] == 3
    server.append(user, [message(n) for n in range(4, 6)])
    later = _imported(data, user, server)
    assert (later["fetched"], later["stored"], later["resumed_from_uid"], later["last_uid"]) == (2, 2, 3, 5)
    assert len(_emails(data)) == 5


def test_a_connection_dropped_mid_way_keeps_what_was_stored_and_a_rerun_completes(
    server: ImapServer, data: Path
) -> None:
    user = server.new_account()
    sent = [message(n) for n in range(1, 7)]
    server.append(user, sent)
    env = {**os.environ, "CASEFILE_DATA": str(data), "CASEFILE_IMAP_PASSWORD": PASSWORD,
           "CASEFILE_IMAP_FETCH_BYTES": "1"}  # one message per FETCH: the proxy cuts between two
    with CuttingProxy(server.plain_port, bodies=2) as proxy:
        cut = subprocess.run(
            [str(CASEFILE), "import-imap", "--host", HOST, "--port", str(proxy.port), "--no-tls", "--user", user,
             "--client", "northwind"], capture_output=True, text=True, env=env, timeout=60,
        )
    assert proxy.cut.is_set()
    assert cut.returncode == 1 and "Traceback" not in cut.stderr
    errors = [line for line in cut.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, cut.stderr
    assert f"connection to {HOST}:{proxy.port} lost" in errors[0] and "after 2 of 6 messages" in errors[0]
    assert "run the same command again to resume" in errors[0]
    assert "stopped after 2 of 6" in cut.stdout
    assert sorted(e.sha256 for e in _emails(data)) == sorted(hashlib.sha256(m).hexdigest() for m in sent[:2])
    resumed = _cli(data, user, *_plain(server), "--json")
    summary = json.loads(resumed.stdout)
    assert (summary["resumed_from_uid"], summary["fetched"], summary["stored"]) == (2, 4, 4)
    assert sorted(e.sha256 for e in _emails(data)) == sorted(hashlib.sha256(m).hexdigest() for m in sent)
    for output in (cut.stdout, cut.stderr, resumed.stdout, resumed.stderr):
        assert PASSWORD not in output


def test_the_password_is_never_shown_nor_stored(server: ImapServer, data: Path) -> None:
    user = server.new_account()
    server.append(user, [message(1), message(2)])
    tls = ("--port", str(server.tls_port), "--ca-file", str(server.ca_file))
    stored = _cli(data, user, *tls, "--password-env", "IMAP_SECRET",
                  env={"IMAP_SECRET": PASSWORD, "CASEFILE_IMAP_PASSWORD": ""})
    assert stored.stdout.startswith(f"INBOX on {HOST}: 2 fetched, 2 stored")
    wrong = _cli(data, user, *tls, code=1, env={"CASEFILE_IMAP_PASSWORD": PASSWORD[::-1]})
    assert wrong.stderr.startswith(f"error: {HOST}:{server.tls_port} refused the login of {user}: ")
    assert wrong.stderr.count("\n") == 1
    for output in (stored.stdout, stored.stderr, wrong.stdout, wrong.stderr):
        assert PASSWORD not in output and PASSWORD[::-1] not in output
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.name == "archive.db" for p in files) and any("blobs" in p.parts for p in files)
    for path in files:  # the database (and its WAL), blobs, index, ledger: nowhere
        content = path.read_bytes()
        assert PASSWORD.encode() not in content and PASSWORD[::-1].encode() not in content, path


def test_tls_needs_a_trusted_certificate_and_starttls_works_too(server: ImapServer, data: Path) -> None:
    user = server.new_account()
    server.append(user, [message(1)])
    untrusted = _cli(data, user, "--port", str(server.tls_port), code=1)
    assert untrusted.stderr.startswith(f"error: the certificate of {HOST}:{server.tls_port} is not trusted (")
    assert "--ca-file" in untrusted.stderr and untrusted.stderr.count("\n") == 1
    over_tls = json.loads(_cli(data, user, "--port", str(server.tls_port), "--ca-file", str(server.ca_file),
                               "--json").stdout)
    assert over_tls["stored"] == 1
    other = server.new_account()
    server.append(other, [message(2)])
    upgraded = json.loads(_cli(data, other, "--starttls", "--port", str(server.plain_port), "--ca-file",
                               str(server.ca_file), "--json").stdout)
    assert upgraded["stored"] == 1
    tls_on_plain_port = _cli(data, user, "--port", str(server.plain_port), code=1)
    assert tls_on_plain_port.stderr.startswith(f"error: TLS with {HOST}:{server.plain_port} failed (")
    assert "--starttls" in tls_on_plain_port.stderr and tls_on_plain_port.stderr.count("\n") == 1


def test_since_filters_and_a_run_without_it_reads_the_earlier_messages(server: ImapServer, data: Path) -> None:
    user = server.new_account()
    received = [datetime(2024, 3, 1, 9), datetime(2024, 5, 20, 9), datetime(2024, 6, 15, 9), datetime(2024, 7, 1, 9)]
    server.append(user, [message(n) for n in range(1, 5)], received=received)
    recent = _imported(data, user, server, "--since", "2024-06-01")
    assert (recent["fetched"], recent["stored"]) == (2, 2)
    everything = _imported(data, user, server)
    assert everything["restarted"] and "since 2024-06-01" in everything["restarted"]
    assert (everything["fetched"], everything["stored"], everything["skipped_duplicates"]) == (4, 2, 2)
    narrower = _imported(data, user, server, "--since", "2024-06-01")  # covered by the run without --since
    assert (narrower["fetched"], narrower["resumed_from_uid"]) == (0, 4)
    assert _cli(data, user, *_plain(server), "--since", "June", code=2).stderr.startswith("error: 'June' is not a date")


def test_a_changed_uidvalidity_starts_over_and_stores_nothing_twice(server: ImapServer, data: Path) -> None:
    user = server.new_account()
    server.append(user, [message(n) for n in range(1, 4)])
    _imported(data, user, server)
    with sqlite3.connect(data / "archive.db") as db:  # what the server renumbering the folder looks like
        db.execute("UPDATE imap_folder_state SET uidvalidity = 1")
    again = _cli(data, user, *_plain(server))
    assert "UIDVALIDITY changed (1 → " in again.stderr
    assert again.stdout.startswith(f"INBOX on {HOST}: 3 fetched, 0 stored, 3 skipped (already in the archive)")
    assert len(_emails(data)) == 3
    archive = open_archive(Settings(data=data, actor="t"))
    try:
        with archive.read() as session:
            state = session.exec(select(ImapFolderState)).one()
            assert state.uidvalidity != 1 and state.last_uid == 3
            again_entries = session.exec(select(LedgerEntry).where(LedgerEntry.action == "received-again")).all()
            assert len(again_entries) == 3  # each arrival is on the custody record, pointing at the stored item
    finally:
        archive.close()


def test_a_message_already_ingested_from_an_mbox_is_skipped_by_message_id(server: ImapServer, data: Path,
                                                                        tmp_path: Path) -> None:
    user = server.new_account()
    exported = tmp_path / "export.mbox"  # the same mail exported earlier: LF line ends, inside an mbox
    exported.write_bytes(b"From greg@northwind-retail.example Mon Jun  3 10:03:00 2024\n"
                         + message(3).replace(b"\r\n", b"\n") + b"\n")
    archive = open_archive(Settings(data=data, actor="t"))
    try:
        ingest_paths(archive, paths=[exported], client="northwind")
    finally:
        archive.close()
    server.append(user, [message(3), message(4), message(4)])  # and the same message twice in the folder
    summary = _imported(data, user, server)
    assert (summary["fetched"], summary["stored"], summary["skipped_duplicates"]) == (3, 1, 2)


def test_options_that_would_mislead_are_refused_before_connecting(server: ImapServer, data: Path) -> None:
    user = "nobody@example.com"
    remote = CliRunner().invoke(app, ["--data", str(data), "import-imap", "--host", "imap.example.com", "--user", user,
                                      "--client", "northwind", "--no-tls"], env={"CASEFILE_IMAP_PASSWORD": "x"})
    assert remote.exit_code == 2 and "refusing to send the password unencrypted to imap.example.com" in remote.stderr
    assert "--insecure only goes with --no-tls" in _cli(data, user, "--insecure", code=2).stderr
    assert "contradict" in _cli(data, user, "--starttls", "--no-tls", code=2).stderr
    no_password = _cli(data, user, *_plain(server), code=2, env={"CASEFILE_IMAP_PASSWORD": ""})
    assert no_password.stderr.startswith("error: no password: set CASEFILE_IMAP_PASSWORD")
    unset = _cli(data, user, *_plain(server), "--password-env", "NOT_SET_ANYWHERE", code=2)
    assert "NOT_SET_ANYWHERE" in unset.stderr
    assert "not a valid client slug" in CliRunner().invoke(
        app, ["--data", str(data), "import-imap", "--host", HOST, "--user", user, "--client", "North Wind",
              *_plain(server)], env={"CASEFILE_IMAP_PASSWORD": PASSWORD}).stderr


def test_a_missing_folder_or_a_closed_port_is_one_line(server: ImapServer, data: Path) -> None:
    user = server.new_account()
    server.append(user, [message(1)], folder="Clients")
    missing = _cli(data, user, *_plain(server), "--folder", "Nope", code=1)
    assert missing.stderr.startswith("error: no folder 'Nope' on ") and missing.stderr.count("\n") == 1
    assert "Clients" in missing.stderr and "INBOX" in missing.stderr
    assert _imported(data, user, server, "--folder", "Clients")["stored"] == 1
    port = _closed_port()
    refused = _cli(data, user, "--no-tls", "--port", str(port), code=1)
    assert refused.stderr.startswith(f"error: {HOST}:{port} refused the connection")


def _closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])
