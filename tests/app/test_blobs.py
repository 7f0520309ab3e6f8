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
