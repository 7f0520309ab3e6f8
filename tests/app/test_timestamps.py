"""RFC 3161 time-stamps of checkpoints, against a real TSA (``openssl ts``) on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app.archive import Archive, open_archive
from app.checkpoints import make_checkpoint, read_checkpoint_file, verify_since
from app.ingesting import ingest_paths
from app.tags import tag_item
from app.verify import verify_archive
from tests.app.tsa_server import TestTsa, stamping_settings
from tests.conftest import SAMPLES, run


@pytest.fixture
def stamped(tmp_path: Path, tsa: TestTsa) -> Iterator[Archive]:
    archive = open_archive(stamping_settings(tmp_path, tsa))
    yield archive
    archive.close()


def _ingest(archive: Archive) -> list[str]:
    report = ingest_paths(archive, paths=[SAMPLES / "northwind" / "notes"], client="northwind")
    assert report.ok
    return report.problems


def test_each_checkpoint_is_time_stamped_and_openssl_verifies_the_receipt(
    stamped: Archive, tsa: TestTsa, tmp_path: Path
) -> None:
    assert _ingest(stamped) == []
    made = make_checkpoint(stamped)
    assert made is not None and made.timestamp_state == "stamped" and made.timestamp_token
    assert len(tsa.queries) == 1  # one token per checkpoint, not per call
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(made.receipt())
    kept = json.loads(receipt.read_text())
    statement, token = tmp_path / "statement.json", tmp_path / "token.tsr"
    statement.write_text(kept["statement"])
    token.write_bytes(base64.b64decode(kept["timestamp_token"]))
    checked = subprocess.run(["openssl", "ts", "-verify", "-data", str(statement), "-in", str(token),
                              "-CAfile", str(tsa.ca_file)], capture_output=True, text=True)
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr
    assert verify_since(stamped, read_checkpoint_file(receipt)) == []
    assert verify_archive(stamped).ok


def test_a_token_for_the_wrong_hash_is_refused_and_the_checkpoint_kept_pending(
    stamped: Archive, tsa: TestTsa
) -> None:
    tsa.mode = "wrong"
    problems = _ingest(stamped)  # the ingest itself succeeds
    assert len(problems) == 1 and "timestamp pending" in problems[0] and "refused" in problems[0]
    with stamped.read() as session:
        state, token = session.exec(text("SELECT timestamp_state, timestamp_token FROM checkpoint")).one()
    assert (state, token) == ("pending", None)


def test_a_tsa_that_is_down_never_blocks_and_is_asked_again(stamped: Archive, tsa: TestTsa) -> None:
    tsa.mode = "down"
    problems = _ingest(stamped)
    assert any("HTTP 503" in p for p in problems)
    tsa.mode = "ok"
    with stamped.read() as session:
        item = int(session.exec(text("SELECT id FROM item ORDER BY id LIMIT 1")).one()[0])
    tag_item(stamped, item_id=item, tag="key")
    made = make_checkpoint(stamped)  # a new checkpoint: the pending one is stamped too
    with stamped.read() as session:
        states = session.exec(text("SELECT timestamp_state FROM checkpoint ORDER BY tree_size")).all()
    assert [s for (s,) in states] == ["stamped", "stamped"] and made is not None and made.timestamp_token


def test_a_stored_token_moved_to_another_checkpoint_is_caught(stamped: Archive) -> None:
    _ingest(stamped)
    with stamped.read() as session:
        item = int(session.exec(text("SELECT id FROM item ORDER BY id LIMIT 1")).one()[0])
    tag_item(stamped, item_id=item, tag="key")
    make_checkpoint(stamped)
    with stamped.engine.begin() as conn:
        conn.execute(text("UPDATE checkpoint SET timestamp_token = (SELECT timestamp_token FROM checkpoint "
                          "ORDER BY tree_size LIMIT 1) WHERE tree_size = (SELECT max(tree_size) FROM checkpoint)"))
    problems = verify_archive(stamped).problems
    assert any("timestamp token does not hold: it is for other data" in p for p in problems), problems


def test_the_receipt_command_writes_a_time_stamped_receipt(
    tmp_path: Path, tsa: TestTsa, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("CASEFILE_TSA_URL", tsa.url)  # run() hands the environment to the command
    monkeypatch.setenv("CASEFILE_TSA_CA_FILE", str(tsa.ca_file))
    run(data, "ingest", str(SAMPLES / "northwind" / "notes"), "--client", "northwind")
    receipt = tmp_path / "receipt.json"
    assert "time-stamped" in run(data, "receipt", "--out", str(receipt)).stdout
    again = run(data, "receipt", "--out", str(receipt), check=False)
    assert again.returncode != 0 and "exists" in again.stderr  # a receipt is never replaced
    assert "extends the checkpoint" in run(data, "verify-archive", "--since", str(receipt)).stdout
