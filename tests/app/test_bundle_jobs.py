"""Bundles as background jobs: checked before queuing, run by the queue's runner, listed afterwards."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app.archive import Archive, open_archive
from app.bundle import export_bundle, verify_bundle
from app.bundle.history import list_bundles
from app.bundle.jobs import request_export, request_verify_archive, run_export_job
from app.bundle.published import bundle_file
from app.config import Settings
from app.errors import ClientNotFound, InvalidInput
from app.ingesting import ingest_bytes, ingest_paths
from app.jobs import get_job, list_jobs, run_job, submit_job
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    data = tmp_path_factory.mktemp("bundle-jobs") / "data"
    opened = open_archive(Settings(data=data, actor="tester", timezone="Europe/London"))
    ingest_paths(opened, paths=[SAMPLES / "bluebird"], client="bluebird")
    yield opened
    opened.close()


def test_an_export_job_builds_a_bundle_that_verifies(archive: Archive) -> None:
    job = request_export(archive, client="bluebird", prefix="BB", actor="dana")
    assert job.kind == "export" and job.state == "queued"
    assert job.params == {"client": "bluebird", "from": None, "to": None, "tag": None, "query": None, "prefix": "BB"}
    assert run_job(archive, job.id) == "done"
    done = get_job(archive, job_id=job.id)
    result = done.result
    assert done.state == "done" and done.error is None
    assert set(result) >= {"bundle_id", "filename", "documents", "pages", "first_bates", "last_bates", "download_url"}
    assert result["documents"] == 6 and result["first_bates"] == "BB000001"
    assert result["download_url"] == f"/api/bundles/{result['bundle_id']}"
    path = bundle_file(archive, bundle_id=result["bundle_id"])
    assert path.name == result["filename"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == result["bundle_id"]
    check = verify_bundle(path=path)
    assert check.ok, check.problems
    assert (check.documents, check.last_bates) == (6, result["last_bates"])
    assert (done.progress_done, done.progress_total, done.progress_note) == (6, 6, "bundle ready")
    # the custody entry names the person who asked, not whoever ran the job
    assert next(b for b in list_bundles(archive) if b.sha256 == result["bundle_id"]).made_by == "dana"


def test_the_export_runner_reports_each_phase(archive: Archive) -> None:
    job = submit_job(archive, kind="export", params={"client": "bluebird", "from": "2024-03-01", "prefix": "BBP"})
    calls: list[tuple[int, int | None, str]] = []
    result = run_export_job(archive, job, lambda done, total, note: calls.append((done, total, note)))
    assert result["documents"] == 5 and result["first_bates"] == "BBP000001"
    notes = [note for _, _, note in calls]
    assert notes[0] == "choosing the items" and notes[-1] == "bundle ready"
    assert (0, 5, "numbering and stamping documents") in calls and (5, 5, "numbering and stamping documents") in calls
    assert any(note == "packing the original files" for note in notes)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"client": "bluebird", "prefix": "bb-1"}, InvalidInput, "not a usable Bates prefix"),
        ({"client": "nobody"}, ClientNotFound, "no client 'nobody'"),
        ({"client": "Not A Slug"}, InvalidInput, "not a valid client slug"),
        ({"client": "bluebird", "date_from": date(2024, 5, 1), "date_to": date(2024, 4, 1)}, InvalidInput,
         "the start date 2024-05-01 is after the end date 2024-04-01"),
        ({"client": "bluebird", "tag": "Not a tag!"}, InvalidInput, "not a valid tag"),
        ({"client": "bluebird", "tag": "never-used"}, InvalidInput, "nothing to export"),
        ({"client": "bluebird", "query": '"unclosed'}, InvalidInput, "unclosed quote"),
    ],
)
def test_a_request_that_cannot_work_is_refused_before_any_job(
    archive: Archive, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    before = len(list_jobs(archive, limit=1000))
    with pytest.raises(error, match=message):
        request_export(archive, **kwargs)  # type: ignore[arg-type]
    assert len(list_jobs(archive, limit=1000)) == before


def test_a_failing_export_job_ends_failed_with_the_reason(archive: Archive) -> None:
    # queued directly, past the checks: what happens when the items are gone by the time it runs
    job = submit_job(archive, kind="export", params={"client": "bluebird", "tag": "never-used"})
    assert run_job(archive, job.id) == "failed"
    failed = get_job(archive, job_id=job.id)
    assert failed.error == "no items of client 'bluebird' match the selection; nothing to export"
    assert failed.result == {}


def test_past_bundles_come_from_the_ledger_with_a_download_where_kept(archive: Archive, tmp_path: Path) -> None:
    first = request_export(archive, client="bluebird", prefix="PAST")
    again = request_export(archive, client="bluebird", prefix="PAST")
    assert run_job(archive, first.id) == run_job(archive, again.id) == "done"
    sha = get_job(archive, job_id=first.id).result["bundle_id"]
    assert get_job(archive, job_id=again.id).result["bundle_id"] == sha  # same selection, same day: same bytes
    elsewhere = export_bundle(archive, client="bluebird", out=tmp_path, prefix="CLI", as_of=date(2024, 8, 20))
    bundles = list_bundles(archive)
    assert [b.sha256 for b in bundles].count(sha) == 1  # made twice, listed once
    assert bundles[0].sha256 == elsewhere.sha256  # newest first
    cli = bundles[0]
    assert cli.download_url is None and cli.filename == "bluebird-evidence-2024-08-20.zip"
    assert (cli.first_bates, cli.last_bates) == ("CLI000001", "CLI000006")
    published = next(b for b in bundles if b.sha256 == sha)
    assert published.client == "bluebird" and published.client_name == "Bluebird"
    assert (published.documents, published.pages) == (6, 6)
    assert (published.first_bates, published.last_bates) == ("PAST000001", "PAST000006")
    assert published.download_url == f"/api/bundles/{sha}"
    assert published.made_at.tzinfo is not None
    assert list_bundles(archive, client="someone-else") == []


def test_a_published_bundle_whose_file_is_gone_has_no_download(archive: Archive) -> None:
    job = request_export(archive, client="bluebird", prefix="GONE")
    assert run_job(archive, job.id) == "done"
    sha = get_job(archive, job_id=job.id).result["bundle_id"]
    bundle_file(archive, bundle_id=sha).unlink()
    listed = next(b for b in list_bundles(archive) if b.sha256 == sha)
    assert listed.download_url is None and listed.documents == 6


def test_a_verify_archive_job_reports_what_it_checked(archive: Archive) -> None:
    job = request_verify_archive(archive)
    assert job.kind == "verify-archive" and job.state == "queued"
    assert run_job(archive, job.id) == "done"
    done = get_job(archive, job_id=job.id)
    assert done.result["ok"] is True and done.result["problems"] == []
    assert done.result["blobs_checked"] >= 2 and done.result["items_checked"] == 6
    assert done.result["ledger_entries"] >= 6
    assert done.progress_note == "walking the custody ledger"
    assert done.progress_done == done.progress_total == done.result["blobs_checked"]


def test_a_verify_archive_job_lists_an_altered_original(tmp_path: Path) -> None:
    archive = open_archive(Settings(data=tmp_path / "data", actor="tester", timezone="Europe/London"))
    try:
        original = b"The invoice is due on 1 June.\n"
        ingest_bytes(archive, data=original, filename="note.txt", client="acme")
        sha = hashlib.sha256(original).hexdigest()
        blob = archive.blobs.path_for(sha)
        os.chmod(blob, 0o644)
        blob.write_bytes(b"The invoice is due on 1 July.\n")
        job = request_verify_archive(archive)
        assert run_job(archive, job.id) == "done"
        result = get_job(archive, job_id=job.id).result
        assert result["ok"] is False
        assert any(p.startswith(f"blob {sha} was altered") for p in result["problems"])
    finally:
        archive.close()
