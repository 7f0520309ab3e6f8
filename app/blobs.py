"""The blob store: originals kept byte-identical, addressed by SHA-256, never rewritten.

Layout: ``blobs/ab/abcdef...``: one level of 256 folders keeps each folder to a few
thousand entries at a million blobs, without a mkdir for nearly every new blob. A blob is
written to a temporary file, fsynced, made read-only, renamed into place and its
directory fsynced, so a crash leaves either the whole blob or none of it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["BlobStore", "StoredBlob"]

_CHUNK = 1024 * 1024
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_FOLDER = re.compile(r"^[0-9a-f]{2}$")  # a fan-out folder: the first two digits of its blobs' hashes
_TEMP = ".tmp-"  # a blob being written (``_create_temp``)


def _regular(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _what(path: Path) -> str:
    """A store entry's shape in words: "a hidden file", "a folder", "a symbolic link"..."""
    if path.is_symlink():
        return "a symbolic link"
    shape = "folder" if path.is_dir() else "file" if path.is_file() else "special file"
    return f"a hidden {shape}" if path.name.startswith(".") else f"a {shape}"


def _stray_in_folder(folder: Path, entry: Path) -> str | None:
    """Why ``entry`` in the fan-out ``folder`` is not a blob, or None when it is one."""
    if not _regular(entry):
        return f"{_what(entry)} where only blobs belong"
    if entry.name.startswith(_TEMP):
        return None  # a writer's temporary file: not a blob, not a stray either
    if not _SHA256.match(entry.name):
        return f"{_what(entry)} not named by a SHA-256 digest"
    if not entry.name.startswith(folder.name):
        return f"a blob in the wrong folder (its hash begins {entry.name[:2]})"
    return None


@dataclass(frozen=True)
class StoredBlob:
    """A blob that is stored and durable: its hash, size, and whether this call wrote it."""

    sha256: str
    size: int
    created: bool  # False when the same bytes were already stored


class BlobWriter:
    """Bytes on their way into the store: written to a private temp file while hashed.

    Nothing is under a hash name until ``finish()`` has made the file durable and
    read-only; ``abort()`` (or a crash) leaves only a temp file in incoming/.
    """

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        fd, name = tempfile.mkstemp(dir=store._incoming, prefix=".tmp-")
        self._tmp = Path(name)
        self._fh = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._digest.update(chunk)
        self._fh.write(chunk)
        self.size += len(chunk)

    def finish(self) -> StoredBlob:
        """Seals the file and moves it to its hash's place; returns the stored blob."""
        try:
            self._store._seal(self._fh)
            self._fh.close()
            return self._store._store_received(self._tmp, self._digest.hexdigest(), self.size)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Throws the partial bytes away."""
        if not self._fh.closed:
            self._fh.close()
        self._tmp.unlink(missing_ok=True)


def _fsync_dir(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    """Content-addressed, write-once storage of original bytes under one folder."""

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = root
        self.durable = durable
        self._deferred = False
        self._dirs: set[str] = set()  # fan-out folders known to exist (mkdir is a syscall)
        self._incoming = root / "incoming"
        self._incoming.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Writes many blobs, making them durable together once at the end.

        One ``sync`` for a batch of mailbox messages costs what one fsync per blob costs
        for a handful; the caller commits the rows that name these blobs only after the
        batch has ended, so the database never names a blob that is not on disk.
        """
        if self._deferred or not self.durable:
            yield
            return
        self._deferred = True
        try:
            yield
        finally:
            self._deferred = False
            os.sync()

    def path_for(self, sha256: str) -> Path:
        """Where the blob with this hash lives; refuses anything that is not a hash."""
        if not _SHA256.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put_bytes(self, data: bytes) -> StoredBlob:
        """Stores ``data`` (once, however often it arrives) and returns its hash."""
        # Plain string paths and raw file descriptors: this runs for every mailbox
        # message and attachment, where pathlib and a buffered file object cost as much
        # as the system calls themselves.
        sha256 = hashlib.sha256(data).hexdigest()
        folder = os.path.join(self.root, sha256[:2])
        final = os.path.join(folder, sha256)
        if os.path.exists(final):
            return StoredBlob(sha256, len(data), created=False)
        self._ensure_dir(folder)
        fd, tmp_name = self._create_temp(folder, sha256)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if self._sync_each:
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(tmp_name)
            raise
        os.close(fd)
        self._commit(tmp_name, final)
        return StoredBlob(sha256, len(data), created=True)

    @staticmethod
    def _create_temp(folder: str, sha256: str) -> tuple[int, str]:
        """A new, already read-only file to write the blob into (the descriptor may write)."""
        name = os.path.join(folder, f".tmp-{sha256}")
        try:
            return os.open(name, _CREATE_FLAGS, 0o444), name
        except FileExistsError:  # a crash's leftover, or the same bytes arriving elsewhere now
            fd, name = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            os.fchmod(fd, 0o444)
            return fd, name

    def put_stream(self, stream: BinaryIO) -> StoredBlob:
        """Stores a stream of any size in one pass, hashing while copying."""
        writer = self.writer()
        try:
            while chunk := stream.read(_CHUNK):
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        return writer.finish()

    def writer(self) -> BlobWriter:
        """A blob to write piece by piece (an upload as it arrives); ``finish()`` stores it."""
        return BlobWriter(self)

    def _store_received(self, tmp: Path, sha256: str, size: int) -> StoredBlob:
        """Moves a sealed temp file from incoming/ into place (or drops it: same bytes stored)."""
        final = self.path_for(sha256)
        if final.exists():
            tmp.unlink()
            return StoredBlob(sha256, size, created=False)
        self._ensure_dir(final.parent)
        self._commit(tmp, final)
        if self.durable:
            _fsync_dir(self._incoming)
        return StoredBlob(sha256, size, created=True)

    def put_file(self, path: Path) -> StoredBlob:
        with path.open("rb") as fh:
            return self.put_stream(fh)

    def open(self, sha256: str) -> BinaryIO:
        """The stored bytes, for reading."""
        return self.path_for(sha256).open("rb")

    def read(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def hash_of_stored(self, sha256: str) -> str:
        """Re-hashes the stored file (what verification compares against its name)."""
        digest = hashlib.sha256()
        with self.open(sha256) as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def all_hashes(self) -> Iterator[str]:
        """Every blob in the store: a regular file named by its SHA-256 in the folder of the
        hash's first two digits. Temporary files and anything else are left out (``strays``)."""
        for folder in self._fan_out():
            for entry in sorted(folder.iterdir()):
                if _stray_in_folder(folder, entry) is None and not entry.name.startswith(_TEMP):
                    yield entry.name

    def strays(self) -> Iterator[str]:
        """What the store holds that is not a blob, each in words: files or folders at its
        root, hidden files, names that are no SHA-256, a blob in another hash's folder,
        links. Writers' temporary files (``.tmp-*``, swept at start-up) are not strays."""
        for entry in sorted(self.root.iterdir()):
            where = f"blobs/{entry.name}"
            if entry == self._incoming and not entry.is_symlink():
                for inner in sorted(entry.iterdir()):
                    if not (inner.name.startswith(_TEMP) and _regular(inner)):
                        yield f"{where}/{inner.name}: {_what(inner)} in the folder of uploads being received"
            elif _FOLDER.match(entry.name) and entry.is_dir() and not entry.is_symlink():
                for inner in sorted(entry.iterdir()):
                    if inner.name.startswith(_TEMP) and _regular(inner):
                        continue
                    why = _stray_in_folder(entry, inner)
                    if why:
                        yield f"{where}/{inner.name}: {why}"
            else:
                yield f"{where}: {_what(entry)} at the blob store's root, where only hash folders belong"

    def _fan_out(self) -> Iterator[Path]:
        for folder in sorted(self.root.iterdir()):
            if _FOLDER.match(folder.name) and folder.is_dir() and not folder.is_symlink():
                yield folder

    def _ensure_dir(self, folder: str | Path) -> None:
        if str(folder) not in self._dirs:
            os.makedirs(folder, exist_ok=True)
            self._dirs.add(str(folder))

    @property
    def _sync_each(self) -> bool:
        return self.durable and not self._deferred

    def _seal(self, fh: BinaryIO) -> None:
        fh.flush()
        if self._sync_each:
            os.fsync(fh.fileno())
        os.fchmod(fh.fileno(), 0o444)

    def _commit(self, tmp: str | Path, final: str | Path) -> None:
        os.replace(tmp, final)
        if self._sync_each:
            _fsync_dir(os.path.dirname(final))
