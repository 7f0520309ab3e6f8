"""After a process is killed, the next one to open the archive clears what it left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from app.archive import open_archive
from app.config import Settings
from app.ingesting import ingest_paths
from app.models import LedgerEntry
from app.verify import verify_archive
from tests.conftest import REPO, SAMPLES

# A process that opens the archive, writes what an ingest killed mid-batch leaves (a blob
# whose rows were never committed, a half-written temp file), says so, and waits to be killed.
_DYING = """
import sys, time
from pathlib import Path
from app.archive import open_archive
from app.config import Settings
archive = open_archive(Settings(data=Path(sys.argv[1]), actor="t"))
blob = archive.blobs.put_bytes(b"a mailbox member whose batch never committed")
(archive.settings.data / "blobs" / "incoming" / ".tmp-half-written").write_bytes(b"half")
(archive.settings.data / "index" / "gen-999999").mkdir(parents=True)  # a reindex that never swapped
print(blob.sha256, flush=True)
time.sleep(600)
"""


def _killed_writer(data: Path) -> str:
    process = subprocess.Popen([sys.executable, "-c", _DYING, str(data)], stdout=subprocess.PIPE, text=True,
                               cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert process.stdout is not None
    sha256 = process.stdout.readline().strip()
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    return sha256


def test_a_killed_writers_orphans_are_quarantined_and_its_temp_files_removed(tmp_path: Path) -> None:
    settings = Settings(data=tmp_path / "data", actor="t")
    archive = open_archive(settings)
    ingest_paths(archive, paths=[SAMPLES / "northwind" / "notes"], client="northwind")
    archive.close()
    orphan = _killed_writer(settings.data)
    assert (settings.data / "blobs" / orphan[:2] / orphan).exists()

    archive = open_archive(settings)  # the next start after the kill
    try:
        assert not (settings.data / "blobs" / orphan[:2] / orphan).exists()
        assert (settings.data / "quarantine" / orphan).read_bytes() == b"a mailbox member whose batch never committed"
        assert not any((settings.data / "blobs" / "incoming").iterdir())
        assert not (settings.data / "index" / "gen-999999").exists()
        assert (settings.data / "index" / (settings.data / "index" / "CURRENT").read_text().strip()).is_dir()
        with archive.read() as session:
            entry = session.exec(select(LedgerEntry).where(LedgerEntry.action == "quarantined")).one()
        assert orphan in entry.details
        assert verify_archive(archive).ok
        assert list((settings.data / "run").iterdir()) == [archive.liveness.path]  # type: ignore[union-attr]
    finally:
        archive.close()
    assert not any((settings.data / "run").iterdir())  # a clean close leaves no claim behind


def test_nothing_is_cleared_while_another_process_is_alive(tmp_path: Path) -> None:
    settings = Settings(data=tmp_path / "data", actor="t")
    open_archive(settings).close()
    orphan = _killed_writer(settings.data)
    alive = open_archive(settings)  # say, a server that started before the kill was noticed...
    try:
        # ... it cleared the leftovers itself, being alone; now a blob being written by it
        # (not yet recorded) must survive another process starting
        fresh = alive.blobs.put_bytes(b"being written by a live ingest")
        other = open_archive(settings)
        other.close()
        assert (settings.data / "blobs" / fresh.sha256[:2] / fresh.sha256).exists()
        assert (settings.data / "quarantine" / orphan).exists()
    finally:
        alive.close()
