"""Export and verify from the browser: the bundle-job API, the upload check, and the /export and /verify pages."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.archive import Archive, open_archive
from app.config import Settings
from app.ingesting import ingest_paths
from app.jobs import JobProgress, JobPublic, claim_job, get_job, list_jobs, run_job, submit_job
from app.main import create_app
from tests.conftest import SAMPLES, run

ALTERED = "text/BB000001.txt"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundle-pages") / "data"
    archive = open_archive(Settings(data=folder, actor="tester", timezone="Europe/London"))
    ingest_paths(archive, paths=[SAMPLES / "bluebird"], client="bluebird")
    archive.close()
    return folder


@pytest.fixture
def web(data: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data=data, actor="tester", timezone="Europe/London"))) as client:
        yield client


def _archive(web: TestClient) -> Archive:
    return web.app.state.archive  # type: ignore[attr-defined,no-any-return]


def _finish(web: TestClient, job_id: int) -> JobPublic:
    """Runs the queued job here and now (no queue consumer runs in these tests)."""
    assert run_job(_archive(web), job_id) in ("done", "failed")
    return get_job(_archive(web), job_id=job_id)


@pytest.fixture(scope="module")
def bundle(data: Path) -> bytes:
    """A bundle made through the job API, as downloaded."""
    with TestClient(create_app(Settings(data=data, actor="tester", timezone="Europe/London"))) as web:
        started = web.post("/api/clients/bluebird/bundle-jobs", json={"prefix": "BB"})
        assert started.status_code == 202, started.text
        job = _finish(web, started.json()["id"])
        assert job.state == "done", job.error
        download = web.get(job.result["download_url"])
        assert download.status_code == 200
        return download.content


def _tampered(bundle: bytes, member: str = ALTERED) -> bytes:
    """The same bundle with one member rewritten (and nothing else changed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, data + b"\nand one more line" if info.filename == member else data)
    return out.getvalue()


class _Fields(HTMLParser):
    """The form controls of a page and the labels that name them."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "label" and values.get("for"):
            self.labelled.add(str(values["for"]))
        elif tag in ("input", "select", "textarea") and values.get("type") != "hidden":
            self.controls.append(values)


def _unlabelled(html: str) -> list[dict[str, str | None]]:
    fields = _Fields()
    fields.feed(html)
    assert fields.controls
    return [c for c in fields.controls if c.get("id") not in fields.labelled]


# -- the API -------------------------------------------------------------------------------


def test_a_bundle_job_is_accepted_then_its_download_verifies(web: TestClient, data: Path, tmp_path: Path) -> None:
    started = web.post("/api/clients/bluebird/bundle-jobs", json={"prefix": "API", "from": "2024-03-01"})
    assert started.status_code == 202
    body = started.json()
    assert body["kind"] == "export" and body["state"] == "queued"
    assert body["params"] == {"client": "bluebird", "from": "2024-03-01", "to": None, "tag": None, "query": None,
                              "prefix": "API"}
    job = _finish(web, body["id"])
    assert job.state == "done" and job.result["documents"] == 5
    download = web.get(job.result["download_url"])
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == job.result["bundle_id"]
    saved = tmp_path / job.result["filename"]
    saved.write_bytes(download.content)
    verified = run(data, "verify", str(saved))
    assert verified.stdout.strip() == "bundle intact: 5 documents, 5 pages, Bates API000001–API000005"


def test_a_bundle_job_that_cannot_work_is_refused_at_once(web: TestClient) -> None:
    before = len(list_jobs(_archive(web), limit=1000))
    bad_prefix = web.post("/api/clients/bluebird/bundle-jobs", json={"prefix": "../x"})
    assert bad_prefix.status_code == 422
    assert bad_prefix.json() == {"detail": "'../x' is not a usable Bates prefix: use 1-10 capital letters or digits"}
    nobody = web.post("/api/clients/nobody/bundle-jobs", json={})
    assert nobody.status_code == 404 and nobody.json() == {"detail": "no client 'nobody'"}
    backwards = web.post("/api/clients/bluebird/bundle-jobs", json={"from": "2024-05-01", "to": "2024-04-01"})
    assert backwards.status_code == 422 and "after the end date" in backwards.json()["detail"]
    assert web.post("/api/clients/bluebird/bundle-jobs", json={"from": "May"}).status_code == 422
    assert web.post("/api/clients/bluebird/bundle-jobs", json={"path": "/etc"}).status_code == 422
    assert len(list_jobs(_archive(web), limit=1000)) == before


def test_past_bundles_are_listed_with_their_hash(web: TestClient, bundle: bytes) -> None:
    sha = hashlib.sha256(bundle).hexdigest()
    listed = web.get("/api/bundles")
    assert listed.status_code == 200
    found = next(b for b in listed.json() if b["sha256"] == sha)
    assert found["client_name"] == "Bluebird" and found["client"] == "bluebird"
    assert (found["documents"], found["pages"], found["first_bates"], found["last_bates"]) == (
        6, 6, "BB000001", "BB000006"
    )
    assert found["download_url"] == f"/api/bundles/{sha}"
    assert web.get("/api/bundles", params={"client": "nobody"}).json() == []


def test_uploading_a_bundle_verifies_it(web: TestClient, bundle: bytes, data: Path) -> None:
    good = web.post("/api/bundles/verify", files={"file": ("bluebird.zip", bundle, "application/zip")})
    assert good.status_code == 200
    assert good.json() == {
        "path": "bluebird.zip", "ok": True, "documents": 6, "pages": 6, "first_bates": "BB000001",
        "last_bates": "BB000006", "files_checked": good.json()["files_checked"], "problems": [],
    }
    bad = web.post("/api/bundles/verify", files={"file": ("bluebird.zip", _tampered(bundle), "application/zip")})
    assert bad.status_code == 200
    assert bad.json()["ok"] is False
    assert bad.json()["problems"] == [f"{ALTERED} was altered (its SHA-256 differs from SHA256SUMS)"]
    not_zip = web.post("/api/bundles/verify", files={"file": ("notes.zip", b"just some text", "application/zip")})
    assert not_zip.json()["ok"] is False
    assert not_zip.json()["problems"][0].startswith("notes.zip is not a readable zip")  # never the server's path
    assert not list((data / "exports").glob(".upload-*"))  # every upload was deleted after the check


def test_a_verify_upload_over_the_limit_or_without_a_file_is_refused(data: Path, bundle: bytes) -> None:
    settings = Settings(data=data, actor="tester", timezone="Europe/London", max_upload_bytes=len(bundle) - 1)
    with TestClient(create_app(settings)) as web:
        big = web.post("/api/bundles/verify", files={"file": ("bluebird.zip", bundle, "application/zip")})
        assert big.status_code == 413
        assert big.json() == {"detail": f"'bluebird.zip' is larger than the upload limit of {len(bundle) - 1:,} bytes "
                                        "(CASEFILE_MAX_UPLOAD_BYTES)"}
        none = web.post("/api/bundles/verify", files={"other": ("x.zip", b"PK", "application/zip")})
        assert none.status_code == 422
        assert none.json() == {"detail": "no file was sent: choose one for the field 'file'"}
        assert web.post("/api/bundles/verify", json={"file": "x"}).status_code == 422
    assert not list((data / "exports").glob(".upload-*"))


def test_a_verify_archive_job_is_accepted_and_reports(web: TestClient) -> None:
    started = web.post("/api/verify-archive")
    assert started.status_code == 202 and started.json()["kind"] == "verify-archive"
    job = _finish(web, started.json()["id"])
    assert job.state == "done", job.error
    assert job.result["ok"] is True and job.result["problems"] == [] and job.result["blobs_checked"] >= 2


# -- the pages -----------------------------------------------------------------------------


def test_the_export_form_is_labelled_and_preselects_the_client(web: TestClient) -> None:
    page = web.get("/export", params={"client": "bluebird"})
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert _unlabelled(page.text) == []
    assert '<option value="bluebird" selected>Bluebird (6 items)</option>' in page.text
    for name in ("client", "from", "to", "tag", "query", "prefix"):
        assert f'name="{name}"' in page.text
    assert "<script>" not in page.text and "onclick" not in page.text
    assert "Choose a client" in web.get("/export").text


def test_exporting_from_the_page_shows_progress_then_the_download(web: TestClient) -> None:
    started = web.post("/export", data={"client": "bluebird", "prefix": "pg", "from": "", "to": "", "tag": "",
                                        "query": ""}, follow_redirects=False)
    assert started.status_code == 303
    job_id = int(re.fullmatch(r"/export\?job=(\d+)", started.headers["location"]).group(1))  # type: ignore[union-attr]
    waiting = web.get(started.headers["location"])
    assert waiting.status_code == 200
    assert f'hx-get="/export/jobs/{job_id}" hx-trigger="every 1s"' in waiting.text
    assert "The export is waiting to start" in waiting.text
    assert '<input type="text" id="export-prefix" name="prefix" value="PG"' in waiting.text  # what was asked
    job = _finish(web, job_id)
    fragment = web.get(f"/export/jobs/{job_id}")
    assert fragment.status_code == 200 and fragment.headers["hx-trigger"] == "bundle-ready"
    assert "hx-trigger" not in fragment.text  # finished: the polling stops
    assert "Bundle ready:</strong> 6 documents, 6 pages, Bates PG000001–PG000006." in fragment.text
    assert f'href="/api/bundles/{job.result["bundle_id"]}" download>Download {job.result["filename"]}' in fragment.text
    assert job.result["bundle_id"] in fragment.text
    listed = web.get("/export/bundles")
    assert job.result["bundle_id"] in listed.text and "6 documents, 6 pages" in listed.text
    assert "Bates PG000001–PG000006" in listed.text
    whole = web.get("/export")
    assert 'Zip and its SHA-256</th>' in whole.text and job.result["bundle_id"] in whole.text
    assert "<td>Bluebird</td>" in whole.text


def test_a_running_export_shows_its_phase_and_count(web: TestClient) -> None:
    started = web.post("/export", data={"client": "bluebird"}, follow_redirects=False)
    job_id = int(started.headers["location"].rsplit("=", 1)[1])
    assert claim_job(_archive(web), job_id)
    progress = JobProgress(_archive(web), job_id)
    progress(2, 6, "numbering and stamping documents")
    progress.flush()
    progress.close()
    fragment = web.get(f"/export/jobs/{job_id}")
    assert f'<label for="job-{job_id}-progress">numbering and stamping documents</label>' in fragment.text
    assert f'<progress id="job-{job_id}-progress" max="6" value="2">' in fragment.text
    assert "2 of 6" in fragment.text and f'hx-get="/export/jobs/{job_id}"' in fragment.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"client": "bluebird", "prefix": "nw-1"}, "&#39;NW-1&#39; is not a usable Bates prefix"),
        ({"client": "nobody"}, "no client &#39;nobody&#39;"),
        ({"client": ""}, "choose a client to export"),
        ({"client": "bluebird", "from": "31/05/2024"}, "is not a date"),
        ({"client": "bluebird", "tag": "never-used"}, "nothing to export"),
    ],
)
def test_an_export_that_cannot_work_is_refused_on_the_form(web: TestClient, form: dict[str, str], message: str) -> None:
    before = len(list_jobs(_archive(web), limit=1000))
    refused = web.post("/export", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert "Nothing was exported.</strong>" in refused.text and message in refused.text
    assert len(list_jobs(_archive(web), limit=1000)) == before
    assert f'value="{form.get("tag", "")}"' in refused.text  # what was typed is kept


def test_a_failed_export_shows_the_reason(web: TestClient) -> None:
    job = submit_job(_archive(web), kind="export", params={"client": "bluebird", "tag": "never-used"})
    _finish(web, job.id)
    page = web.get(f"/export?job={job.id}")
    assert "The export failed.</strong> no items of client &#39;bluebird&#39; match the selection" in page.text
    assert "hx-trigger=\"every" not in page.text


def test_a_job_of_another_kind_is_not_shown_as_an_export(web: TestClient) -> None:
    started = web.post("/verify/archive", follow_redirects=False)
    job_id = int(started.headers["location"].rsplit("=", 1)[1])
    assert web.get(f"/export/jobs/{job_id}").status_code == 404
    assert web.get(f"/export?job={job_id}").status_code == 404
    assert web.get("/export/jobs/99999").status_code == 404


def test_the_verify_page_checks_an_uploaded_bundle(web: TestClient, bundle: bytes) -> None:
    page = web.get("/verify")
    assert page.status_code == 200 and _unlabelled(page.text) == []
    assert 'enctype="multipart/form-data"' in page.text
    good = web.post("/verify/bundle", files={"file": ("bluebird.zip", bundle, "application/zip")})
    assert good.status_code == 200
    assert "<strong>bundle intact: 6 documents, 6 pages, Bates BB000001–BB000006</strong>" in good.text
    bad = web.post("/verify/bundle", files={"file": ("bluebird.zip", _tampered(bundle), "application/zip")})
    assert bad.status_code == 200
    assert "This bundle is not intact.</strong> bluebird.zip: 1 problem found." in bad.text
    assert f"<li>{ALTERED} was altered (its SHA-256 differs from SHA256SUMS)</li>" in bad.text
    assert "bundle intact" not in bad.text


def test_the_verify_page_escapes_the_file_name_and_refuses_no_file(web: TestClient) -> None:
    name = "<img src=x onerror=alert(1)>.zip"
    hostile = web.post("/verify/bundle", files={"file": (name, b"PK", "application/zip")})
    assert hostile.status_code == 200 and "<img src=x" not in hostile.text
    assert "&lt;img src=x onerror=alert(1)&gt;.zip is not a readable zip" in hostile.text
    empty = web.post("/verify/bundle", files={"file": ("", b"", "application/octet-stream")})
    assert empty.status_code == 422 and "no file was sent" in empty.text


def test_the_verify_page_refuses_a_bundle_over_the_limit(data: Path, bundle: bytes) -> None:
    settings = Settings(data=data, actor="tester", timezone="Europe/London", max_upload_bytes=1000)
    with TestClient(create_app(settings)) as web:
        refused = web.post("/verify/bundle", files={"file": ("bluebird.zip", bundle, "application/zip")})
    assert refused.status_code == 413
    assert "larger than the upload limit of 1,000 bytes" in refused.text


def test_verifying_the_archive_from_the_page_shows_progress_then_the_result(web: TestClient) -> None:
    started = web.post("/verify/archive", follow_redirects=False)
    assert started.status_code == 303
    job_id = int(re.fullmatch(r"/verify\?job=(\d+)", started.headers["location"]).group(1))  # type: ignore[union-attr]
    waiting = web.get(started.headers["location"])
    assert f'hx-get="/verify/jobs/{job_id}" hx-trigger="every 1s"' in waiting.text
    assert "The archive check is waiting to start" in waiting.text
    job = _finish(web, job_id)
    fragment = web.get(f"/verify/jobs/{job_id}")
    assert "hx-trigger" not in fragment.text
    assert (f"<strong>Archive intact:</strong> {job.result['blobs_checked']} stored files re-hashed,"
            in fragment.text)
    assert f"{job.result['ledger_entries']} custody-ledger entries walked" in fragment.text
