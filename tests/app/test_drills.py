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
