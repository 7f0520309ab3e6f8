"""Hostile zips through the real ingest: overlap and nested bombs, symlinks, 100k entries."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

from app.archive import Archive
from tests.ingest.hostile import ingest_hostile
from tests.ingest.test_archives import _central_directory, _local_header, _zip


def test_overlapping_entry_bomb_is_refused(archive: Archive, tmp_path: Path) -> None:
    zeros = bytes(100_000)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    kernel = packer.compress(zeros) + packer.flush()
    entries = [(f"{n}.bin", 0, len(kernel), len(zeros), zlib.crc32(zeros)) for n in "abcdef"]
    data = _local_header("a.bin", kernel, len(zeros), zlib.crc32(zeros)) + kernel
    data += _central_directory(entries, start=len(data))
    got = ingest_hostile(archive, tmp_path, "overlap.zip", data)
    assert got.item.status == "failed"
    assert got.item.error == "corrupt: overlapping entries 'a.bin' and 'b.bin' (a zip bomb)"
    assert got.children == []


def test_nested_bomb_stops_at_the_nesting_limit(archive: Archive, tmp_path: Path) -> None:
    # twenty zips deep, each a few hundred bytes: the default max_nesting (5) stops the descent
    inner = _zip({"deepest.txt": b"bottom"})
    for level in range(20):
        inner = _zip({f"level{level}.zip": inner})
    got = ingest_hostile(archive, tmp_path, "nested.zip", inner)
    assert got.item.status == "ok"
    errors = {e for e in _descendant_errors(archive, got.item.id) if e}  # type: ignore[arg-type]
    assert errors == {"limit: nested more than 5 containers deep"}


def _descendant_errors(archive: Archive, item_id: int) -> list[str | None]:
    from sqlmodel import select

    from app.models import Item

    found: list[str | None] = []
    with archive.read() as session:
        frontier = [item_id]
        while frontier:
            rows = session.exec(select(Item).where(Item.parent_id.in_(frontier))).all()  # type: ignore[union-attr]
            found += [row.error for row in rows]
            frontier = [row.id for row in rows if row.id is not None]
    return found


def test_symlink_members_are_skipped_and_said(archive: Archive, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        link = zipfile.ZipInfo("passwd-link")
        link.external_attr = (0o120777 << 16)  # a symlink's mode: its "content" is the target
        bundle.writestr(link, "/etc/passwd")
        bundle.writestr("real.txt", "a real member")
    got = ingest_hostile(archive, tmp_path, "links.zip", buffer.getvalue())
    assert got.item.status == "ok"
    assert [c.original_filename for c in got.children] == ["real.txt"]
    assert "passwd-link" in got.item.facts_json and "zip_skipped_symlinks" in got.item.facts_json


def _many_entries(count: int) -> tuple[bytes, bytes]:
    """One empty stored member and ``count`` central-directory records all pointing at it."""
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, 1, 0) + b"e"
    record = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0) + b"e"
    return local, record * count


def test_65535_entries_is_a_limit(archive: Archive, tmp_path: Path) -> None:
    # 65,535 central-directory records (the most a zip without zip64 can declare) pointing
    # at one empty stored member (~4 MB, quick to build): the count alone is refused
    count = 65_535
    local, records = _many_entries(count)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(records), len(local), 0)
    got = ingest_hostile(archive, tmp_path, "many.zip", local + records + end)
    assert got.item.status == "failed"
    assert got.item.error is not None and got.item.error.startswith("limit: ")
    assert "over max_zip_members (5,000)" in got.item.error


def test_100k_entries_declared_through_zip64_is_a_limit(archive: Archive, tmp_path: Path) -> None:
    # past 65,535 a zip must declare its count in the zip64 end records (~5 MB of records)
    count = 100_000
    local, records = _many_entries(count)
    zip64_end_at = len(local) + len(records)
    zip64_end = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(records), len(local))
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, zip64_end_at, 1)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    got = ingest_hostile(archive, tmp_path, "zip64.zip", local + records + zip64_end + locator + end)
    assert got.item.status == "failed"
    assert got.item.error == "limit: 100,000 members is over max_zip_members (5,000)"
