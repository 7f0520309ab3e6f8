"""Hostile images through the real ingest: headers that lie about size, endless pages."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from app.archive import Archive
from tests.ingest.hostile import ingest_hostile


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` with only a few bytes of pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(1000))) + chunk(
        b"IEND", b""
    )


def _gif_claiming(width: int, height: int) -> bytes:
    """A GIF whose screen and only frame claim ``width`` x ``height``."""
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0)
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0)
    return screen + frame + b"\x02\x02\x44\x01\x00;"


def _tiff_pages(count: int) -> bytes:
    """A TIFF of ``count`` 8x8 white pages, every page's directory sharing one 8-byte strip
    (~100 bytes a page: Pillow would take a minute to write 10,000 real pages)."""
    out = bytearray(b"II*\x00" + struct.pack("<I", 16)) + bytes(8)  # header; the strip at 8
    entries = [(256, 3, 8), (257, 3, 8), (258, 3, 1), (259, 3, 1), (262, 3, 0), (273, 4, 8), (278, 3, 8), (279, 4, 8)]
    for index in range(count):
        following = len(out) + 2 + 12 * len(entries) + 4
        out += struct.pack("<H", len(entries))
        for tag, kind, value in entries:
            out += struct.pack("<HHII", tag, kind, 1, value)
        out += struct.pack("<I", following if index + 1 < count else 0)
    return bytes(out)


def test_png_header_claiming_20000_square_is_a_limit(archive: Archive, tmp_path: Path) -> None:
    got = ingest_hostile(archive, tmp_path, "huge.png", _png_claiming(20_000, 20_000))
    assert got.item.status == "failed"
    assert got.item.error == (
        "limit: 400,000,000-pixel image is over max_image_pixels (80,000,000): a decompression bomb"
    )


def test_gif_header_claiming_20000_square_is_a_limit(archive: Archive, tmp_path: Path) -> None:
    got = ingest_hostile(archive, tmp_path, "huge.gif", _gif_claiming(20_000, 20_000))
    assert got.item.status == "failed"
    assert got.item.error is not None and got.item.error.startswith("limit: ")
    assert "over max_image_pixels (80,000,000)" in got.item.error


def test_tiff_of_10000_pages_is_a_page_limit(archive: Archive, tmp_path: Path) -> None:
    got = ingest_hostile(archive, tmp_path, "endless.tif", _tiff_pages(10_000))
    assert got.item.status == "failed"
    assert got.item.error == "limit: 10,000 frames is over max_pdf_pages (2,000)"


def test_the_same_tiff_structure_with_few_pages_reads(archive: Archive, tmp_path: Path) -> None:
    # the hand-built pages are a real TIFF: only their number made the one above fail
    got = ingest_hostile(archive, tmp_path, "three.tif", _tiff_pages(3))
    assert got.item.status in ("ok", "partial") and got.item.page_count == 3
