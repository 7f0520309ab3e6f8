from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path

import pytest

from app.blobs import BlobStore


def test_bytes_are_stored_once_and_read_only(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    first = store.put_bytes(b"evidence")
    second = store.put_bytes(b"evidence")
    assert first.sha256 == hashlib.sha256(b"evidence").hexdigest()
    assert first.created and not second.created
    path = store.path_for(first.sha256)
    assert path.read_bytes() == b"evidence"
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert list(store.all_hashes()) == [first.sha256]
    assert [p.name for p in path.parent.iterdir()] == [first.sha256]  # no temp file left


def test_stream_of_any_size_hashes_while_copying(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = os.urandom(3 * 1024 * 1024 + 7)
    blob = store.put_stream(io.BytesIO(data))
    assert blob.sha256 == hashlib.sha256(data).hexdigest() and blob.size == len(data)
    assert store.read(blob.sha256) == data
    assert store.put_stream(io.BytesIO(data)).created is False
    assert not [p for p in (tmp_path / "blobs" / "incoming").iterdir()]  # no temp left behind


def test_path_for_refuses_anything_but_a_hash(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    with pytest.raises(ValueError):
        store.path_for("../../etc/passwd")


def test_a_leftover_temp_file_does_not_block_storing_the_same_bytes(tmp_path: Path) -> None:
    # a crash between creating the temp file and the rename leaves it behind
    store = BlobStore(tmp_path / "blobs")
    sha256 = hashlib.sha256(b"contract").hexdigest()
    folder = tmp_path / "blobs" / sha256[:2]
    folder.mkdir(parents=True)
    (folder / f".tmp-{sha256}").write_bytes(b"half a cont")
    blob = store.put_bytes(b"contract")
    assert blob.created and store.read(sha256) == b"contract"
    assert not store.path_for(sha256).stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert list(store.all_hashes()) == [sha256]
    temps = sorted(p.name for p in folder.iterdir() if p.name.startswith(".tmp-"))
    assert temps == [f".tmp-{sha256}"]  # only the crash's leftover, none of ours
