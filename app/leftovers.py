"""What processes that died leave behind, found and cleared by the next one to start.

Every process that opens the archive holds an exclusive ``flock`` on a file of its own in
``run/`` and deletes it when it closes cleanly. A file there that nobody holds belongs
to a process that was killed (or lost its machine's power): then, once no other process
is alive, the next one to open the archive clears what that process may have left:

- temporary files of blobs being written (``blobs/incoming/.tmp-*``, ``blobs/xx/.tmp-*``),
  of bundles being built (``exports/.build-*``, ``exports/.upload-*``), of previews, and
  search index generations of a rebuild that never became live;
- partial zips and staging folders of exports killed part-way, which live beside the
  export's destination (the user's folder): each export notes its destination in
  ``run/outputs/`` while it works, under a lock of its own, so the sweep knows where to look;
- blobs written but never recorded (a batch of mailbox members killed before its commit):
  moved to ``quarantine/`` with a ``quarantined`` custody entry, so ``verify-archive``
  passes and nothing that arrived is thrown away (a re-run stores them again anyway).

Only when no other process is alive, because a live ingest's blobs are unrecorded for a
moment by design (they are written just before the rows that name them are committed).
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import col, select

from .models import DerivedFile, Item

if TYPE_CHECKING:
    from .archive import Archive

__all__ = ["Liveness", "SweepReport", "noting_output", "sweep_leftovers"]

log = logging.getLogger(__name__)


class Liveness:
    """This process's claim to be alive: an exclusive lock on ``run/<pid>-<random>.lock``."""

    def __init__(self, data: Path) -> None:
        self.folder = data / "run"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.lock"
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def dead_and_alive(self) -> tuple[list[tuple[Path, int]], int]:
        """Lock files of dead processes (now locked by us) and how many other processes are alive."""
        dead: list[tuple[Path, int]] = []
        alive = 0
        for path in sorted(self.folder.glob("*.lock")):
            if path == self.path:
                continue
            try:
                fd = os.open(path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
            except FileNotFoundError:  # its owner just closed
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                alive += 1
                continue
            dead.append((path, fd))
        return dead, alive

    def close(self) -> None:
        """A clean exit: the lock file goes (so nobody mistakes it for a crash)."""
        if self._fd >= 0:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = -1


@contextmanager
def noting_output(data: Path, destination: Path) -> Iterator[None]:
    """Notes, for as long as the block runs, that this process writes beside ``destination``.

    A note whose lock nobody holds belongs to a process that died there; the sweep then
    clears that process's partial files beside the destination (see ``_sweep_outputs``)."""
    folder = data / "run" / "outputs"
    folder.mkdir(parents=True, exist_ok=True)
    note = folder / f"{uuid.uuid4().hex}.path"
    fd = os.open(note, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, str(destination.absolute()).encode())
        yield
    finally:
        note.unlink(missing_ok=True)
        os.close(fd)


def _sweep_outputs(data: Path) -> int:
    """Partial exports left beside the destinations that dead exports noted; returns how many went."""
    from .bundle.zipout import remove_dead_leftovers  # the bundle package imports the archive

    removed = 0
    for note in (data / "run" / "outputs").glob("*.path"):
        try:
            fd = os.open(note, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # its export is still at work
        else:
            destination = Path(note.read_text(errors="replace"))
            if destination.is_absolute() and destination.parent.is_dir():
                removed += remove_dead_leftovers(destination)
            note.unlink(missing_ok=True)
        finally:
            os.close(fd)
    return removed


@dataclass
class SweepReport:
    """What the sweep after a crash cleared."""

    temp_files: int = 0
    quarantined: list[str] = field(default_factory=list)


def _remove_temp_files(data: Path) -> int:
    removed = 0
    blobs = data / "blobs"
    patterns = [(blobs / "incoming", ".tmp-*"), (data / "exports", ".build-*"), (data / "exports", ".upload-*"),
                (data / "previews", ".tmp-*")]
    if blobs.is_dir():
        patterns += [(folder, ".tmp-*") for folder in blobs.iterdir() if folder.is_dir() and len(folder.name) == 2]
    index = data / "index"
    live = (index / "CURRENT").read_text().strip() if (index / "CURRENT").is_file() else None
    if live and index.is_dir():  # generations of a rebuild that died before its swap
        removed += _remove_all(p for p in index.glob("gen-*") if p.name != live)
    removed += _remove_all(data.glob("index.rebuild")) + _remove_all(data.glob("index.old"))  # the layout before
    for folder, pattern in patterns:
        if not folder.is_dir():
            continue
        removed += _remove_all(folder.glob(pattern))
    return removed


def _remove_all(paths: Iterable[Path]) -> int:
    count = 0
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        count += 1
    return count


def _quarantine_orphans(archive: Archive) -> list[str]:
    with archive.read() as session:
        referenced = set(session.exec(select(Item.sha256).where(col(Item.sha256).is_not(None))).all())
        referenced.update(session.exec(select(DerivedFile.sha256)).all())
    orphans = [sha256 for sha256 in archive.blobs.all_hashes() if sha256 not in referenced]
    if not orphans:
        return []
    folder = archive.settings.data / "quarantine"
    folder.mkdir(exist_ok=True)
    with archive.write("casefile") as uow:
        for sha256 in orphans:
            source = archive.blobs.path_for(sha256)
            size = source.stat().st_size
            os.replace(source, folder / sha256)
            uow.ledger.append(
                actor=uow.actor, action="quarantined", item_id=None,
                details={"sha256": sha256, "size": size, "folder": "quarantine",
                         "reason": "written by a process that stopped before recording it"},
            )
    return orphans


def sweep_leftovers(archive: Archive, liveness: Liveness) -> SweepReport | None:
    """Clears what dead processes left, if any died and no other process is alive; else ``None``."""
    dead, alive = liveness.dead_and_alive()
    try:
        if not dead or alive:
            return None  # nothing died, or someone else is working: the next start looks again
        data = archive.settings.data
        report = SweepReport(temp_files=_remove_temp_files(data) + _sweep_outputs(data))
        report.quarantined = _quarantine_orphans(archive)
        for path, _fd in dead:
            path.unlink(missing_ok=True)
        if report.temp_files or report.quarantined:
            log.warning("cleared after a stopped process: %s temporary files, %s unrecorded blobs quarantined",
                        report.temp_files, len(report.quarantined))
        return report
    finally:
        for _path, fd in dead:
            os.close(fd)
