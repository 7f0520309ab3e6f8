"""Uploads through the API: streamed into the store, recorded at once, read by a job."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app import ingesting, members
from app.archive import open_archive
from app.config import Settings
from app.jobs import get_job, run_job
from app.main import create_app
from app.models import Item
from app.uploads import safe_filename
from app.verify import verify_archive
from tests.conftest import SAMPLES

MAIL = SAMPLES / "northwind" / "mail"
EML = MAIL / "greg-staging-feedback.eml"
MBOX = MAIL / "northwind-2024.mbox"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app with no queue workers: tests run each job themselves, in order."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _archive(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app.state.archive  # type: ignore[attr-defined]


def _files(*paths: Path) -> list[tuple[str, tuple[str, bytes]]]:
    return [("file", (p.name, p.read_bytes())) for p in paths]


def test_files_are_recorded_as_received_then_read_by_their_job(client: TestClient) -> None:
    response = client.post("/api/uploads?client=northwind", files=_files(EML, MAIL / "fwd-po-raised-zoe.eml"))
    assert response.status_code == 202
    uploaded = response.json()["files"]
    assert [f["outcome"] for f in uploaded] == ["queued", "queued"]
    first = uploaded[0]
    assert first["sha256"] and first["size"] == EML.stat().st_size and first["job_id"]

    # before the job ran: the item exists, pending, with its custody entry and its original
    pending = client.get(f"/api/items/{first['item_id']}").json()
    assert pending["status"] == "pending" and pending["client"] == "northwind"
    assert [e["action"] for e in pending["ledger"]] == ["received"]
    assert pending["ledger"][0]["details"]["sha256"] == first["sha256"]
    assert client.get(f"/api/items/{first['item_id']}/original").content == EML.read_bytes()
    assert client.get(f"/api/jobs/{first['job_id']}").json()["state"] == "queued"
    assert verify_archive(_archive(client)).ok  # received counts as an arrival

    for f in uploaded:
        assert run_job(_archive(client), f["job_id"]) == "done"
    read = client.get(f"/api/items/{first['item_id']}").json()
    assert read["status"] == "ok" and read["kind"] == "email" and "staging" in read["text"].lower()
    assert read["date_source"] == "email_header"
    assert [e["action"] for e in read["ledger"]] == ["received", "ingest"]
    job = client.get(f"/api/jobs/{first['job_id']}").json()
    assert job["state"] == "done" and job["result"]["status"] == "ok" and job["result"]["item_id"] == first["item_id"]
    hits = client.get("/api/search", params={"q": "staging", "client": "northwind"}).json()
    assert first["item_id"] in [h["id"] for h in hits["hits"]]
    assert verify_archive(_archive(client)).ok


def test_a_duplicate_names_the_stored_item_and_makes_no_job(client: TestClient) -> None:
    first = client.post("/api/uploads", files=_files(EML)).json()["files"][0]
    again = client.post("/api/uploads", files=_files(EML)).json()["files"][0]
    assert again["outcome"] == "duplicate" and again["duplicate_of"] == first["item_id"]
    assert again["job_id"] is None and again["message"] == f"duplicate of #{first['item_id']}"
    ledger = client.get(f"/api/items/{first['item_id']}").json()["ledger"]
    assert [e["action"] for e in ledger] == ["received", "received-again"]


def test_over_the_limit_is_refused_while_streaming_and_earlier_files_are_kept(tmp_path: Path) -> None:
    settings = Settings(data=tmp_path / "data", actor="tester", max_upload_bytes=4000)
    big = b"x" * 50_000
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/api/uploads",
            files=[("file", ("small.eml", EML.read_bytes())), ("file", ("huge.pdf", big))],
        )
        assert response.status_code == 413
        body = response.json()
        assert "'huge.pdf' is larger than the upload limit of 4,000 bytes" in body["detail"]
        assert "CASEFILE_MAX_UPLOAD_BYTES" in body["detail"]
        assert [f["filename"] for f in body["files"]] == ["small.eml"]  # the file before it was kept
        archive = _archive(client)
        stored = set(archive.blobs.all_hashes())
        assert body["files"][0]["sha256"] in stored and len(stored) == 1
        assert not any((settings.data / "blobs" / "incoming").iterdir())  # the refused bytes are gone


def test_the_client_comes_from_the_form_field_before_the_files(client: TestClient) -> None:
    response = client.post(
        "/api/uploads", data={"client": "bluebird"}, files=_files(SAMPLES / "bluebird" / "mail" / "bluebird-2024.mbox")
    )
    assert response.status_code == 202
    item = client.get(f"/api/items/{response.json()['files'][0]['item_id']}").json()
    assert item["client"] == "bluebird"
    bad = client.post("/api/uploads?client=Not%20A%20Slug", files=_files(EML))
    assert bad.status_code == 422 and "not a valid client slug" in bad.json()["detail"]


def test_without_a_client_mail_is_routed_by_correspondents(client: TestClient) -> None:
    taught = client.post("/api/uploads?client=northwind", files=_files(MAIL / "fwd-po-raised-zoe.eml")).json()
    run_job(_archive(client), taught["files"][0]["job_id"])  # learns northwind's domain
    routed = client.post("/api/uploads", files=_files(EML)).json()["files"][0]
    run_job(_archive(client), routed["job_id"])
    assert client.get(f"/api/items/{routed['item_id']}").json()["client"] == "northwind"


def test_names_sent_with_folders_never_become_paths() -> None:
    assert safe_filename("../../etc/passwd") == ("passwd", "etc/passwd")
    assert safe_filename("northwind/mail/a.eml") == ("a.eml", "northwind/mail/a.eml")
    assert safe_filename("C:\\Users\\dana\\x.pdf")[0] == "x.pdf"
    assert safe_filename("\x00\x1b") == ("upload", "upload")
    assert safe_filename(None) == ("upload", "upload")


def test_not_multipart_and_empty_uploads_are_refused(client: TestClient) -> None:
    assert client.post("/api/uploads", content=b"hello").status_code == 422
    empty = client.post("/api/uploads", files={"client": (None, "northwind")})
    assert empty.status_code == 422 and empty.json()["detail"] == "no file in the upload"


def test_a_job_that_crashes_marks_its_file_failed_with_the_reason(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploaded = client.post("/api/uploads", files=_files(EML)).json()["files"][0]

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(ingesting.registry, "extract", broken)
    assert run_job(_archive(client), uploaded["job_id"]) == "failed"
    job = client.get(f"/api/jobs/{uploaded['job_id']}").json()
    assert job["state"] == "failed" and "parser exploded" in job["error"]
    item = client.get(f"/api/items/{uploaded['item_id']}").json()
    assert item["status"] == "failed" and "parser exploded" in item["error"]
    assert [e["action"] for e in item["ledger"]] == ["received", "extraction-failed"]
    assert client.get(f"/api/items/{uploaded['item_id']}/original").content == EML.read_bytes()


def test_a_job_runs_once_however_often_it_is_queued(client: TestClient) -> None:
    uploaded = client.post("/api/uploads", files=_files(EML)).json()["files"][0]
    archive = _archive(client)
    assert run_job(archive, uploaded["job_id"]) == "done"
    assert run_job(archive, uploaded["job_id"]) == "skipped"
    ledger = client.get(f"/api/items/{uploaded['item_id']}").json()["ledger"]
    assert [e["action"] for e in ledger] == ["received", "ingest"]
    assert get_job(archive, job_id=uploaded["job_id"]).attempts == 1


def test_a_mailbox_stopped_part_way_is_resumed_without_doubles(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploaded = client.post("/api/uploads?client=northwind", files=_files(MBOX)).json()["files"][0]
    archive = _archive(client)
    monkeypatch.setattr(archive.settings, "ingest_batch", 3)
    real = members.record_child
    calls = {"n": 0}

    def dies_on_the_eighth(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 8:
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(members, "record_child", dies_on_the_eighth)
    assert run_job(archive, uploaded["job_id"]) == "failed"
    partial = client.get(f"/api/items/{uploaded['item_id']}").json()
    assert 0 < len(partial["children"]) < 8
    monkeypatch.setattr(members, "record_child", real)
    ingesting.ingest_received(archive, item_id=uploaded["item_id"], client="northwind")

    # the same mailbox read whole by the CLI path into a fresh archive: the same members
    reference_settings = Settings(data=archive.settings.data.parent / "reference", actor="tester")
    reference = open_archive(reference_settings)
    try:
        whole = ingesting.ingest_paths(reference, paths=[MBOX], client="northwind")
        with reference.read() as session:
            expected = sorted(session.exec(select(Item.sha256).where(Item.parent_id == whole.item_ids[0])).all())
    finally:
        reference.close()
    resumed = client.get(f"/api/items/{uploaded['item_id']}").json()
    assert sorted(c["sha256"] for c in resumed["children"]) == expected
    assert verify_archive(archive).ok


def test_progress_counts_pages_ocrd(client: TestClient) -> None:
    scan = SAMPLES / "northwind" / "contracts" / "consultancy-agreement-signed.pdf"
    uploaded = client.post("/api/uploads?client=northwind", files=_files(scan)).json()["files"][0]
    notes: list[str] = []
    archive = _archive(client)
    from app import jobs

    real = jobs.JobProgress.__call__

    def spy(self, done, total, note):  # type: ignore[no-untyped-def]
        notes.append(note)
        return real(self, done, total, note)

    jobs.JobProgress.__call__ = spy  # type: ignore[method-assign]
    try:
        assert run_job(archive, uploaded["job_id"]) == "done"
    finally:
        jobs.JobProgress.__call__ = real  # type: ignore[method-assign]
    ocr = [n for n in notes if "OCR'd" in n]
    assert ocr and ocr[-1].startswith(f"{len(ocr)} of {len(ocr)} pages")
    job = client.get(f"/api/jobs/{uploaded['job_id']}").json()
    assert job["progress_note"] == ocr[-1] and job["progress_done"] == job["progress_total"] == len(ocr)


def test_the_server_reads_uploads_with_its_own_workers_and_after_a_restart(settings: Settings) -> None:
    # accepted while no worker runs (serve --no-worker, or a server killed before reading)
    with TestClient(create_app(settings)) as client:
        waiting = client.post("/api/uploads", files=_files(EML)).json()["files"][0]
    with TestClient(create_app(settings, job_workers=1)) as client:
        fresh = client.post("/api/uploads", files=_files(MAIL / "fwd-po-raised-zoe.eml")).json()["files"][0]
        states = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = {f["job_id"]: client.get(f"/api/jobs/{f['job_id']}").json()["state"] for f in (waiting, fresh)}
            if set(states.values()) == {"done"}:
                break
            time.sleep(0.1)
        assert set(states.values()) == {"done"}, states
        for f in (waiting, fresh):
            assert client.get(f"/api/items/{f['item_id']}").json()["status"] == "ok"
        listed = client.get("/api/jobs").json()
        assert [j["id"] for j in listed][:2] == [fresh["job_id"], waiting["job_id"]]


def test_a_connection_cut_mid_upload_keeps_the_files_that_arrived_whole(settings: Settings) -> None:
    from tests.web.conftest import serve

    boundary = "casefileboundary"
    whole = EML.read_bytes()
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{EML.name}\"\r\n"
        "Content-Type: message/rfc822\r\n\r\n"
    ).encode() + whole + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.pdf\"\r\n\r\n"
    ).encode() + b"%PDF-1.4 half of a file"
    with serve(settings, job_workers=1) as live:
        host, port = live.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as conn:
            conn.sendall(
                f"POST /api/uploads HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; "
                f"boundary={boundary}\r\nContent-Length: {len(head) + 100_000}\r\n\r\n".encode() + head
            )
            time.sleep(0.5)  # the server has read what was sent; then the browser is closed
        deadline = time.monotonic() + 60
        items: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            items = live.api("/api/items?limit=100")["items"]
            if items and items[0]["status"] == "ok":
                break
            time.sleep(0.1)
        assert [(i["original_filename"], i["status"]) for i in items] == [(EML.name, "ok")]
        assert not any((settings.data / "blobs" / "incoming").iterdir())  # the half file left nothing behind


def test_another_site_cannot_post_files_into_the_archive(client: TestClient) -> None:
    evil = client.post(
        "/api/uploads", files=_files(EML), headers={"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
    )
    assert evil.status_code == 403 and "Casefile's own pages" in evil.json()["detail"]
    assert client.get("/api/items").json()["total"] == 0
    ours = client.post("/api/uploads", files=_files(EML), headers={"Origin": "http://testserver"})
    assert ours.status_code == 202


def test_an_item_waiting_to_be_read_says_so_on_its_page(client: TestClient) -> None:
    uploaded = client.post("/api/uploads", files=_files(EML)).json()["files"][0]
    waiting = client.get(f"/items/{uploaded['item_id']}")
    assert waiting.status_code == 200
    assert "waiting to be read" in waiting.text and f"job #{uploaded['job_id']}</a>: queued" in waiting.text
    run_job(_archive(client), uploaded["job_id"])
    read = client.get(f"/items/{uploaded['item_id']}")
    assert "waiting to be read" not in read.text and "staging" in read.text.lower()
