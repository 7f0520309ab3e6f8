"""Writing the zip: deterministic bytes, streamed members, and an all-or-nothing rename.

The same members in the same order give the same zip: every entry has the same fixed
timestamp, permissions and creator system, and the compression level is pinned. The zip
is written to ``NAME.partial-XXXX`` beside its destination, fsynced and only then renamed,
so a killed export never leaves a file that looks like a finished bundle.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import BinaryIO
from zipfile import ZIP64_LIMIT, ZIP_DEFLATED, ZIP_STORED, ZipFile, ZipInfo

from ..errors import IntegrityProblem

__all__ = ["BundleZip", "atomic_output", "remove_dead_leftovers", "staging_folder", "zip_timestamp"]

CHUNK = 1024 * 1024
_LEVEL = 6
_SAMPLE = 32 * 1024
_COMPRESSED_MAGIC = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG",
    b"GIF8",
    b"PK\x03\x04",  # zip, and docx/xlsx/odt, which are zips
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf",
    b"Rar!",
    b"RIFF",  # webp, wav/avi (mostly compressed payloads)
    b"ID3",  # mp3
)
_MEDIA_BRANDS = (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypisom", b"ftypmp42", b"ftypM4A ", b"ftypqt  ")
_EPOCH = (1980, 1, 1, 0, 0, 0)


def zip_timestamp(newest: datetime | None) -> tuple[int, int, int, int, int, int]:
    """The one timestamp every member gets: the newest included arrival (UTC), or 1980."""
    if newest is None or newest.year < 1980:
        return _EPOCH
    # zip keeps times to 2 seconds; say so here rather than let the writer round silently
    return (newest.year, newest.month, newest.day, newest.hour, newest.minute, newest.second // 2 * 2)


def _compressible(head: bytes) -> bool:
    """Whether deflating pays: decided from the content alone, so it is deterministic.

    Photos, zips (docx, xlsx) and most PDFs are compressed already, and deflating them
    again costs most of an export's time for nothing. Known compressed formats are
    stored outright; for the rest a 32 KB sample is test-compressed at the fastest level.
    """
    if len(head) < 1024:
        return True
    if head.startswith(_COMPRESSED_MAGIC) or head[4:12] in _MEDIA_BRANDS:
        return False
    sample = head[:_SAMPLE]
    return len(zlib.compress(sample, 1)) < 0.9 * len(sample)


class BundleZip:
    """Adds members with fixed metadata; natives are streamed, never held whole."""

    def __init__(self, fh: BinaryIO, *, timestamp: tuple[int, int, int, int, int, int]) -> None:
        self._zip = ZipFile(fh, "w", compression=ZIP_DEFLATED, compresslevel=_LEVEL, allowZip64=True)
        self._timestamp = timestamp

    def _info(self, name: str, size: int, compress: bool) -> ZipInfo:
        info = ZipInfo(name, date_time=self._timestamp)
        info.compress_type = ZIP_DEFLATED if compress else ZIP_STORED
        info.create_system = 3  # Unix, so the permissions below are honoured
        info.external_attr = 0o100444 << 16  # a read-only regular file
        info.file_size = size
        return info

    def add_bytes(self, name: str, data: bytes) -> None:
        """A small member held in memory (index, README...), deflated."""
        self._zip.writestr(self._info(name, len(data), True), data)

    def add_stream(self, name: str, source: BinaryIO, *, size: int, expect_sha256: str | None = None) -> str:
        """Copies ``size`` bytes from ``source``; returns their SHA-256 (checked if expected)."""
        digest = hashlib.sha256()
        first = source.read(min(CHUNK, max(size, 1)))
        compress = _compressible(first)
        info = self._info(name, size, compress)
        with self._zip.open(info, "w", force_zip64=size > ZIP64_LIMIT) as out:
            chunk = first
            while chunk:
                digest.update(chunk)
                out.write(chunk)
                chunk = source.read(CHUNK)
        actual = digest.hexdigest()
        if expect_sha256 is not None and actual != expect_sha256:
            raise IntegrityProblem(
                f"the stored original for {name} no longer matches its SHA-256 "
                f"(expected {expect_sha256}, read {actual}); run 'casefile verify-archive'"
            )
        return actual

    def add_file(self, name: str, path: Path) -> str:
        """A staged file (a rendered PDF, a text), streamed."""
        with path.open("rb") as fh:
            return self.add_stream(name, fh, size=path.stat().st_size)

    def close(self) -> None:
        """Writes the central directory: the zip is complete."""
        self._zip.close()

    def abandon(self) -> None:
        """Lets go of a zip that will be deleted (its file is about to be removed)."""
        try:
            self._zip.close()
        except (OSError, ValueError):
            pass  # the partial file is removed by atomic_output either way


_PARTIAL = ".partial-"
_STAGING = ".staging-"
_OWNER = ".owner"


def _hold(fd: int) -> None:
    """An exclusive lock held while this process builds: how a later export tells a dead build."""
    fcntl.flock(fd, fcntl.LOCK_EX)


@contextmanager
def atomic_output(destination: Path) -> Iterator[BinaryIO]:
    """A file that becomes ``destination`` only if the block finishes; removed otherwise."""
    folder = destination.parent
    fd, name = tempfile.mkstemp(dir=folder, prefix=f"{destination.name}{_PARTIAL}")
    _hold(fd)
    partial = Path(name)
    try:
        with os.fdopen(fd, "w+b") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
            os.chmod(partial, 0o644)
            os.replace(partial, destination)  # still locked: nobody takes it for a dead build's
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def staging_folder(destination: Path) -> Iterator[Path]:
    """A scratch folder beside ``destination``, removed on every way out (and after a kill, by the next export)."""
    folder = Path(tempfile.mkdtemp(dir=destination.parent, prefix=f".{destination.name}{_STAGING}"))
    fd = os.open(folder / _OWNER, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _hold(fd)
        yield folder
    finally:
        os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)


def _dead(lock_file: Path) -> bool:
    try:
        fd = os.open(lock_file, os.O_RDWR)
    except OSError:
        return True  # no owner file: a build that died before it had one
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def remove_dead_leftovers(destination: Path) -> int:
    """Removes partial zips and staging folders for ``destination`` whose builder is dead; returns how many."""
    removed = 0
    for path in destination.parent.glob(f"{destination.name}{_PARTIAL}*"):
        if path.is_file() and _dead(path):
            path.unlink(missing_ok=True)
            removed += 1
    for path in destination.parent.glob(f".{destination.name}{_STAGING}*"):
        if path.is_dir() and not path.is_symlink() and _dead(path / _OWNER):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed
