"""Kill a real `casefile ingest` where a crash hurts most; the same command run again leaves a whole archive."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CASEFILE, REPO, SAMPLES, run

MAIL = SAMPLES / "northwind" / "mail"
NOTES = SAMPLES / "northwind" / "notes"
INPUTS = [str(MAIL), str(NOTES)]


def _snapshot(data: Path) -> list[tuple[str, ...]]:
    import sys

    sys.path.insert(0, str(REPO / "bench"))
    from drills import snapshot  # the bench's own comparison, so test and bench judge alike

    return sorted(snapshot(data).elements())


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, ...]]:
    data = tmp_path_factory.mktemp("reference") / "data"
    run(data, "ingest", *INPUTS, "--client", "northwind")
    return _snapshot(data)


@pytest.mark.parametrize("point", ["after-blob", "after-commit", "mid-container@2", "before-index"])
def test_killed_at_a_point_then_run_again_equals_an_uninterrupted_ingest(
    tmp_path: Path, reference: list[tuple[str, ...]], point: str
) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "CASEFILE_DATA": str(data), "CASEFILE_TIMEZONE": "Europe/London",
           "CASEFILE_DRILL": point, "CASEFILE_INGEST_BATCH": "5"}
    killed = subprocess.run([str(CASEFILE), "ingest", *INPUTS, "--client", "northwind"], env=env,
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr  # the drill point was reached
    again = run(data, "ingest", *INPUTS, "--client", "northwind")
    assert "Traceback" not in again.stderr
    assert _snapshot(data) == reference
    assert run(data, "verify-archive").returncode == 0
    assert not list((data / "blobs").rglob(".tmp-*")) and not list((data / "run").glob("*.lock"))
    live = (data / "index" / "CURRENT").read_text().strip()
    assert [p.name for p in (data / "index").glob("gen-*")] == [live]
    assert json.loads(run(data, "search", "staging", "--json").stdout)["total"] > 0  # searchable, killed or not


def test_an_export_killed_before_its_zip_is_named_leaves_nothing_at_out_and_reruns_without_force(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    run(data, "ingest", str(NOTES), "--client", "northwind")
    out = tmp_path / "bundle.zip"
    env = {**os.environ, "CASEFILE_DATA": str(data), "CASEFILE_DRILL": "export-recorded"}
    killed = subprocess.run([str(CASEFILE), "export", "northwind", "--out", str(out)], env=env,
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not out.exists()  # a zip at --out is always complete and recorded
    assert list(tmp_path.glob("bundle.zip.partial-*"))  # what the kill left beside it
    again = run(data, "export", "northwind", "--out", str(out))  # no --force needed
    assert out.is_file() and run(data, "verify", str(out)).returncode == 0
    assert not list(tmp_path.glob("bundle.zip.partial-*")) and not list(tmp_path.glob(".bundle.zip.staging-*"))
    assert "sha256" in again.stdout
    once_more = run(data, "export", "northwind", "--out", str(out))  # our own bundle there: replaced
    assert once_more.returncode == 0
    (tmp_path / "other.zip").write_bytes(b"someone else's file")
    refused = run(data, "export", "northwind", "--out", str(tmp_path / "other.zip"), check=False)
    assert refused.returncode == 1 and "already exists" in refused.stderr


def test_what_a_killed_export_left_beside_its_destination_goes_at_the_next_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, "ingest", str(NOTES), "--client", "northwind")
    out_folder = tmp_path / "for-the-lawyer"
    out_folder.mkdir()
    mine = out_folder / "notes.txt"
    mine.write_text("the user's own file, beside the export")
    env = {**os.environ, "CASEFILE_DATA": str(data), "CASEFILE_DRILL": "export-recorded"}
    killed = subprocess.run([str(CASEFILE), "export", "northwind", "--out", str(out_folder / "bundle.zip")],
                            env=env, capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert list(out_folder.glob("bundle.zip.partial-*")) and list(out_folder.glob(".bundle.zip.staging-*"))
    run(data, "clients")  # any command that opens the archive: not an export to that place
    assert sorted(p.name for p in out_folder.iterdir()) == ["notes.txt"]
    assert mine.read_text() == "the user's own file, beside the export"
    assert not list((data / "run" / "outputs").iterdir())
    assert run(data, "verify-archive").returncode == 0
