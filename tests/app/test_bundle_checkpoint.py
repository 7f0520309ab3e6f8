"""The bundle carries the archive's checkpoint, inclusion proofs of its custody entries and
the RFC 3161 token; ``casefile verify BUNDLE`` checks them, openssl checks the token."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app.archive import Archive, open_archive
from app.bundle import export_bundle, verify_bundle
from app.changes import init_archive
from app.ingesting import ingest_paths
from tests.app.tsa_server import TestTsa, stamping_settings
from tests.conftest import SAMPLES

AS_OF = date(2024, 8, 20)


@pytest.fixture
def stamped(tmp_path: Path, tsa: TestTsa) -> Iterator[Archive]:
    archive = open_archive(stamping_settings(tmp_path, tsa))
    init_archive(archive, me=["dana@whitfield-digital.example"])
    assert ingest_paths(archive, paths=[SAMPLES / "northwind" / "mail"], client="northwind").ok
    yield archive
    archive.close()


def _export(archive: Archive, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    return Path(export_bundle(archive, client="northwind", out=out, as_of=AS_OF).path)


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _rewrite(path: Path, members: dict[str, bytes]) -> None:
    """The bundle with ``members``, its SHA256SUMS recomputed: what a careful forger makes."""
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                   for name, data in sorted(members.items()) if name != "SHA256SUMS").encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, sums if name == "SHA256SUMS" else data)


def test_the_bundle_proves_its_custody_entries_and_carries_the_token(
    stamped: Archive, tsa: TestTsa, tmp_path: Path
) -> None:
    bundle = _export(stamped, tmp_path / "out")
    members = _members(bundle)
    found = json.loads(members["checkpoint/checkpoint.json"])
    custody = json.loads(members["custody.json"])
    entries = {e["seq"] for d in custody["documents"] for e in d["entries"]}
    assert entries and entries <= {p["seq"] for p in found["proofs"]}
    assert found["checkpoint"]["tree_size"] == custody["ledger_head"]["seq"]
    assert verify_bundle(path=bundle).ok
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(folder)
    checked = subprocess.run(["openssl", "ts", "-verify", "-data", str(folder / "checkpoint/statement.json"),
                              "-in", str(folder / "checkpoint/token.tsr"), "-CAfile", str(tsa.ca_file)],
                             capture_output=True, text=True)
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr
    assert "openssl ts -verify" in members["README.txt"].decode()


def test_a_re_run_export_is_the_same_bundle(stamped: Archive, tmp_path: Path) -> None:
    first = _export(stamped, tmp_path / "a")
    second = _export(stamped, tmp_path / "b")  # its own export entry is not in the checkpoint
    assert first.read_bytes() == second.read_bytes()


def test_a_custody_entry_changed_in_the_bundle_is_caught_even_with_new_sums(stamped: Archive, tmp_path: Path) -> None:
    bundle = _export(stamped, tmp_path / "out")
    members = _members(bundle)
    custody = json.loads(members["custody.json"])
    custody["documents"][0]["entries"][0]["hash"] = "0" * 64
    members["custody.json"] = json.dumps(custody).encode()
    _rewrite(bundle, members)
    check = verify_bundle(path=bundle)
    assert not check.ok
    assert any("is not the entry checkpoint.json proves" in p for p in check.problems), check.problems


def test_a_forged_checkpoint_in_the_bundle_is_caught(stamped: Archive, tmp_path: Path) -> None:
    bundle = _export(stamped, tmp_path / "out")
    members = _members(bundle)
    found = json.loads(members["checkpoint/checkpoint.json"])
    found["checkpoint"]["root_hash"] = "ab" * 32
    members["checkpoint/checkpoint.json"] = json.dumps(found).encode()
    _rewrite(bundle, members)
    problems = verify_bundle(path=bundle).problems
    assert any("signature does not verify" in p for p in problems), problems
    assert any("inclusion proof" in p for p in problems)
