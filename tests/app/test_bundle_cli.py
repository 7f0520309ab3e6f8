"""Bundles through the real console script and the HTTP API; checked with unzip and sha256sum."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.archive import open_archive
from app.config import Settings
from app.ingesting import ingest_paths
from app.main import create_app
from tests.conftest import SAMPLES, run


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundle-cli") / "data"
    archive = open_archive(Settings(data=folder, actor="tester", timezone="Europe/London"))
    ingest_paths(archive, paths=[SAMPLES / "northwind"], client="northwind")
    ingest_paths(archive, paths=[SAMPLES / "bluebird"], client="bluebird")
    archive.close()
    return folder


@pytest.fixture(scope="module")
def bundle(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports")
    result = run(data, "export", "northwind", "--out", str(out), "--as-of", "2024-08-20", "--prefix", "NWR")
    path = out / "northwind-evidence-2024-08-20.zip"
    assert result.stdout.startswith(f"wrote {path}: ") and "Bates NWR000001–NWR" in result.stdout
    return path


def test_export_json_summary_and_verify(data: Path, bundle: Path, tmp_path: Path) -> None:
    summary = json.loads(run(data, "export", "bluebird", "--out", str(tmp_path), "--json").stdout)
    assert summary["documents"] == 6 and summary["first_bates"] == "BLU000001"
    assert summary["sha256"] == hashlib.sha256(Path(summary["path"]).read_bytes()).hexdigest()
    verified = run(data, "verify", str(bundle))
    index = json.loads(zipfile.ZipFile(bundle).read("index.json"))
    pages = index["bundle"]["pages"]
    assert verified.stdout.strip() == (
        f"bundle intact: {len(index['documents'])} documents, {pages} pages, Bates NWR000001–NWR{pages:06d}"
    )
    as_json = json.loads(run(data, "verify", str(bundle), "--json").stdout)
    assert as_json["ok"] is True and as_json["problems"] == []


def test_sha256sum_checks_the_unzipped_bundle(bundle: Path, tmp_path: Path) -> None:
    subprocess.run(["unzip", "-q", str(bundle), "-d", str(tmp_path / "b")], check=True, timeout=120)
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path / "b", capture_output=True,
                             text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert lines and all(line.endswith(": OK") for line in lines)
    on_disk = {str(p.relative_to(tmp_path / "b")) for p in (tmp_path / "b").rglob("*") if p.is_file()}
    assert on_disk - {"SHA256SUMS"} == {line.rsplit(": ", 1)[0] for line in lines}


def _data_offset(path: Path, name: str) -> tuple[int, int]:
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    raw = path.read_bytes()
    start = info.header_offset
    name_len = int.from_bytes(raw[start + 26:start + 28], "little")
    extra_len = int.from_bytes(raw[start + 28:start + 30], "little")
    return start + 30 + name_len + extra_len, info.compress_size


@pytest.mark.parametrize("member", ["native-pdf", "native-eml", "pdf", "README.txt", "index.json"])
def test_a_flipped_byte_fails_verify(data: Path, bundle: Path, tmp_path: Path, member: str) -> None:
    names = zipfile.ZipFile(bundle).namelist()
    name = {
        "native-pdf": next(n for n in names if n.startswith("natives/") and n.endswith(".pdf")),
        "native-eml": next(n for n in names if n.startswith("natives/") and n.endswith(".eml")),
        "pdf": next(n for n in names if n.startswith("pdf/")),
    }.get(member, member)
    tampered = tmp_path / bundle.name
    shutil.copyfile(bundle, tampered)
    offset, size = _data_offset(tampered, name)
    raw = bytearray(tampered.read_bytes())
    raw[offset + size // 2] ^= 0x01
    tampered.write_bytes(bytes(raw))
    result = run(data, "verify", str(tampered), check=False)
    assert result.returncode == 1 and result.stdout == ""
    assert f"PROBLEM: {name}" in result.stderr


def _rewrite(source: Path, target: Path, *, drop: str | None = None, add: tuple[str, bytes] | None = None) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename != drop:
                new.writestr(info, old.read(info.filename))
        if add:
            new.writestr(*add)


def test_a_removed_or_added_file_fails_verify(data: Path, bundle: Path, tmp_path: Path) -> None:
    native = next(n for n in zipfile.ZipFile(bundle).namelist() if n.startswith("natives/"))
    _rewrite(bundle, tmp_path / "removed.zip", drop=native)
    removed = run(data, "verify", str(tmp_path / "removed.zip"), check=False)
    assert removed.returncode == 1
    assert f"PROBLEM: {native} is listed in SHA256SUMS but missing from the bundle" in removed.stderr
    _rewrite(bundle, tmp_path / "nosums.zip", drop="SHA256SUMS")
    nosums = run(data, "verify", str(tmp_path / "nosums.zip"), check=False)
    assert nosums.returncode == 1 and "PROBLEM: SHA256SUMS is missing" in nosums.stderr
    _rewrite(bundle, tmp_path / "added.zip", add=("natives/extra.txt", b"planted"))
    added = run(data, "verify", str(tmp_path / "added.zip"), check=False)
    assert added.returncode == 1 and "natives/extra.txt is in the bundle but not listed" in added.stderr
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    assert "is not a readable zip" in run(data, "verify", str(junk), check=False).stderr


def test_cli_errors_are_one_line_messages(data: Path, bundle: Path, tmp_path: Path) -> None:
    missing = run(data, "export", "nobody", "--out", str(tmp_path), check=False)
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no client 'nobody'"
    prefix = run(data, "export", "northwind", "--out", str(tmp_path), "--prefix", "nw-1", check=False)
    assert prefix.returncode == 1 and "not a usable Bates prefix" in prefix.stderr
    exists = run(data, "export", "northwind", "--out", str(bundle), "--prefix", "OTHER", check=False)
    assert exists.returncode == 1 and "already exists with other contents" in exists.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def api(data: Path) -> Iterator[TestClient]:
    settings = Settings(data=data, actor="tester", timezone="Europe/London")
    with TestClient(create_app(settings)) as client:
        yield client


def test_api_builds_a_bundle_and_serves_it(api: TestClient, data: Path) -> None:
    created = api.post("/api/clients/bluebird/bundles", json={"prefix": "BB", "from": "2024-03-01"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "filename", "sha256", "documents", "pages", "download_url"}
    assert body["id"] == body["sha256"] and body["filename"].startswith("bluebird-evidence-")
    assert body["documents"] == 5 and body["download_url"] == f"/api/bundles/{body['id']}"
    download = api.get(body["download_url"])
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == body["sha256"]
    assert download.headers["content-disposition"] == f'attachment; filename="{body["filename"]}"'
    assert download.headers["x-content-type-options"] == "nosniff"
    assert (data / "exports" / body["id"] / body["filename"]).is_file()
    assert not [p for p in (data / "exports").iterdir() if p.name.startswith(".build-")]


def test_api_refuses_bad_input_and_paths(api: TestClient, data: Path) -> None:
    assert api.post("/api/clients/nobody/bundles", json={}).status_code == 404
    bad_prefix = api.post("/api/clients/bluebird/bundles", json={"prefix": "../x"})
    assert bad_prefix.status_code == 422 and "Bates prefix" in bad_prefix.json()["detail"]
    assert api.post("/api/clients/bluebird/bundles", json={"path": "/etc"}).status_code == 422
    (data / "exports").mkdir(exist_ok=True)
    for bundle_id in ("0" * 64, "..", "..%2F..%2Farchive.db", "%2e%2e", "A" * 64):
        response = api.get(f"/api/bundles/{bundle_id}")
        assert response.status_code == 404, bundle_id
    assert api.get("/api/bundles/" + "0" * 64).json() == {"detail": f"no bundle '{'0' * 64}'"}
