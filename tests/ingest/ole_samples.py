"""A minimal OLE compound-file (CFB v3) writer, for Office fixtures nothing else can make.

olefile reads these files but cannot create them, and no Office suite runs here. Every
stream is padded to the 4096-byte mini-stream cutoff, so all of them live in ordinary
512-byte sectors and no mini FAT is needed; the directory is a chain of right siblings
(valid: CFB readers only walk the tree, they do not check its red-black balance).
"""

from __future__ import annotations

import struct

__all__ = ["ole_file", "word_fib", "xls_workbook"]

_SECTOR = 512
_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_NONE = 0xFFFFFFFF
_CUTOFF = 4096


def _entry(name: str, kind: int, start: int, size: int, child: int = _NONE, right: int = _NONE) -> bytes:
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        encoded,
        len(encoded),
        kind,
        1,  # black
        _NONE,
        right,
        child,
        b"\x00" * 16,
        0,
        0,
        0,
        start,
        size,
    )


def ole_file(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file holding ``streams`` (names up to 31 characters) in its root."""
    names = sorted(streams, key=lambda n: (len(n), n.upper()))  # CFB's order for siblings
    bodies = [streams[n].ljust(_CUTOFF, b"\x00") for n in names]
    sector_counts = [-(-len(b) // _SECTOR) for b in bodies]
    dir_sectors = -(-(len(names) + 1) * 128 // _SECTOR)
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + dir_sectors + sum(sector_counts):
        fat_sectors += 1
    fat = [_FAT] * fat_sectors
    dir_start = len(fat)
    fat += [dir_start + i + 1 for i in range(dir_sectors - 1)] + [_END]
    starts: list[int] = []
    for count in sector_counts:
        first = len(fat)
        starts.append(first)
        fat += [first + i + 1 for i in range(count - 1)] + [_END]
    fat += [_FREE] * (fat_sectors * 128 - len(fat))
    directory = _entry("Root Entry", 5, _END, 0, child=1 if names else _NONE)
    for index, (name, start, body) in enumerate(zip(names, starts, bodies, strict=True), start=1):
        right = index + 1 if index < len(names) else _NONE
        directory += _entry(name, 2, start, len(body), right=right)
    directory = directory.ljust(dir_sectors * _SECTOR, b"\x00")
    difat = [*range(fat_sectors), *([_FREE] * (109 - fat_sectors))]
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\x00" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\x00" * 6,
        0,
        fat_sectors,
        dir_start,
        0,
        _CUTOFF,
        _END,
        0,
        _END,
        0,
        *difat,
    )
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    sectors = b"".join(body.ljust(count * _SECTOR, b"\x00") for body, count in zip(bodies, sector_counts, strict=True))
    return header + fat_bytes + directory + sectors


def word_fib(encrypted: bool) -> bytes:
    """The start of a Word 97 ``WordDocument`` stream: FibBase with fEncrypted as asked."""
    flags = 0x0100 if encrypted else 0
    return struct.pack("<HHHHHH", 0xA5EC, 0x00C1, 0, 0x0409, 0, flags) + b"\x00" * 20


def xls_workbook(encrypted: bool) -> bytes:
    """A BIFF8 ``Workbook`` stream's globals: BOF, FILEPASS when encrypted, then EOF."""
    bof = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0)
    filepass = struct.pack("<HH", 0x002F, 6) + struct.pack("<HHH", 1, 1, 1) if encrypted else b""
    window = struct.pack("<HH", 0x003D, 18) + b"\x00" * 18
    return bof + filepass + window + struct.pack("<HH", 0x000A, 0)
