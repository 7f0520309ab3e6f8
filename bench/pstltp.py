"""The lists, tables and properties layer of a PST, per [MS-PST] section 2.3: test tooling only.

A heap-on-node (HN) packs allocations of up to 3,580 bytes into pages of up to 8,176 bytes
(one data block each); a BTH is a sorted B-tree of records on a heap; a property context
(PC) is a BTH of properties; a table context (TC) is a row matrix with a BTH row index.
Values too large for a heap allocation go to subnodes, which the caller writes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pstndb import BLOCK_DATA

__all__ = [
    "BINARY", "BOOLEAN", "INT32", "INT64", "OBJECT", "STRING", "TIME", "Heap", "bth", "filetime", "property_context",
    "table_context",
]

INT16, INT32, BOOLEAN, OBJECT, INT64 = 0x0002, 0x0003, 0x000B, 0x000D, 0x0014
STRING, TIME, BINARY = 0x001F, 0x0040, 0x0102
MAX_ALLOC = 3580
_CLIENT_PC, _CLIENT_TC = 0xBC, 0x7C
_ROW_ID, _ROW_VER = 0x67F2, 0x67F3
_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)

# Where a value too large for the heap goes: takes its bytes, returns the subnode's NID.
Spill = Callable[[bytes], int]


def filetime(at: datetime) -> int:
    """A FILETIME: 100-ns ticks since 1601 (UTC)."""
    delta = at.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def encode(ptype: int, value: Any) -> bytes:
    """The bytes of one property value as stored (fixed sizes little-endian, strings UTF-16)."""
    if ptype == INT16:
        return struct.pack("<h", value)
    if ptype == INT32:
        return struct.pack("<I", value & 0xFFFFFFFF)
    if ptype == BOOLEAN:
        return b"\x01" if value else b"\x00"
    if ptype == INT64:
        return struct.pack("<q", value)
    if ptype == TIME:
        return struct.pack("<Q", filetime(value) if isinstance(value, datetime) else value)
    if ptype == STRING:
        return str(value).encode("utf-16-le")
    if ptype == BINARY:
        return bytes(value)
    if ptype == OBJECT:  # [MS-PST] 2.3.3.5: the subnode holding the object, and its size
        return struct.pack("<II", *value)
    raise ValueError(f"property type {ptype:#06x} is not written")


class Heap:
    """A heap-on-node being built: allocations in pages, each page one block."""

    def __init__(self, client_sig: int) -> None:
        self.client_sig = client_sig
        self.user_root = 0
        self.pages: list[list[bytes]] = [[]]
        self.used = [12]  # bytes used in each page (header included, page map not)

    @staticmethod
    def _header_size(page: int) -> int:
        return 12 if page == 0 else 66 if page % 128 == 8 else 2  # HNHDR, HNBITMAPHDR, HNPAGEHDR

    def alloc(self, data: bytes) -> int:
        """Stores ``data`` and returns its HID."""
        if len(data) > MAX_ALLOC:
            raise ValueError(f"a heap allocation holds at most {MAX_ALLOC} bytes")
        page = len(self.pages) - 1
        count = len(self.pages[page])
        if self.used[page] + len(data) + 1 + 4 + 2 * (count + 2) > BLOCK_DATA or count >= 2000:
            page += 1
            self.pages.append([])
            self.used.append(self._header_size(page))
            count = 0
        self.pages[page].append(data)
        self.used[page] += len(data)
        return (page << 16) | ((count + 1) << 5)

    def replace(self, hid: int, data: bytes) -> None:
        """Rewrites an allocation in place (same size): headers written before their contents."""
        page, index = hid >> 16, ((hid >> 5) & 0x7FF) - 1
        if len(self.pages[page][index]) != len(data):
            raise ValueError("a replaced allocation keeps its size")
        self.pages[page][index] = data

    def blocks(self) -> list[bytes]:
        """Each page as a block: header, allocations, page map (non-last pages filled to 8,176)."""
        out = []
        last = len(self.pages) - 1
        for number, allocations in enumerate(self.pages):
            size = self._header_size(number)
            offsets = [size]
            for data in allocations:
                size += len(data)
                offsets.append(size)
            page_map = struct.pack(f"<HH{len(offsets)}H", len(allocations), 0, *offsets)
            ib_map = BLOCK_DATA - len(page_map) if number < last else size + (size & 1)
            if number == 0:
                header = struct.pack("<HBBI4x", ib_map, 0xEC, self.client_sig, self.user_root)
            else:  # HNPAGEHDR, or HNBITMAPHDR with its (unused) fill levels
                header = struct.pack("<H", ib_map).ljust(self._header_size(number), b"\0")
            body = (header + b"".join(allocations)).ljust(ib_map, b"\0")
            out.append(body + page_map)
        return out


def bth(heap: Heap, key_size: int, value_size: int, records: Iterable[tuple[int, bytes]]) -> int:
    """A BTH of ``(key, value)`` records on ``heap`` (intermediate levels as needed); its header's HID."""
    header = heap.alloc(b"\0" * 8)
    level: list[tuple[int, int]] = []
    ordered = sorted(records)
    per = MAX_ALLOC // (key_size + value_size)
    for i in range(0, len(ordered), per):
        chunk = ordered[i : i + per]
        data = b"".join(k.to_bytes(key_size, "little") + v for k, v in chunk)
        level.append((chunk[0][0], heap.alloc(data)))
    depth = 0
    while len(level) > 1:
        depth += 1
        per = MAX_ALLOC // (key_size + 4)
        level = [
            (level[i][0], heap.alloc(b"".join(k.to_bytes(key_size, "little") + struct.pack("<I", h)
                                              for k, h in level[i : i + per])))
            for i in range(0, len(level), per)
        ]
    root = level[0][1] if level else 0
    heap.replace(header, struct.pack("<BBBBI", 0xB5, key_size, value_size, depth, root))
    return header


def _variable(heap: Heap, data: bytes, spill: Spill) -> int:
    return heap.alloc(data) if len(data) <= MAX_ALLOC else spill(data)


def property_context(props: Iterable[tuple[int, int, Any]], spill: Spill) -> list[bytes]:
    """The heap blocks of a PC holding ``(property id, type, value)``; ``None`` values are left out."""
    heap = Heap(_CLIENT_PC)
    records: list[tuple[int, bytes]] = []
    header = heap.alloc(b"\0" * 8)  # the BTH header first, as Outlook writes it (HID 0x20)
    for pid, ptype, value in props:
        if value is None:
            continue
        data = encode(ptype, value)
        if ptype in (INT16, INT32, BOOLEAN):
            cell = data.ljust(4, b"\0")
        else:
            cell = struct.pack("<I", _variable(heap, data, spill))
        records.append((pid, struct.pack("<H", ptype) + cell))
    ordered = sorted(records)
    per = MAX_ALLOC // 8
    if len(ordered) > per:
        raise ValueError("a PC of more than 447 properties needs an intermediate BTH level")
    root = heap.alloc(b"".join(struct.pack("<H", k) + v for k, v in ordered)) if ordered else 0
    heap.replace(header, struct.pack("<BBBBI", 0xB5, 2, 6, 0, root))
    heap.user_root = header
    return heap.blocks()


def _cell_size(ptype: int) -> int:
    return {INT16: 2, BOOLEAN: 1, INT64: 8, TIME: 8}.get(ptype, 4)  # variable types: a 4-byte HNID


def table_context(
    columns: Sequence[tuple[int, int]], rows: Sequence[tuple[int, dict[int, Any]]], spill: Spill
) -> list[bytes]:
    """The heap blocks of a TC with ``columns`` (id, type) and ``rows`` (row id, values by id).

    Row id and row version columns come first; a row matrix too large for the heap is
    written to a subnode, whole rows per 8,176-byte block.
    """
    heap = Heap(_CLIENT_TC)
    cols = [(_ROW_ID, INT32), (_ROW_VER, INT32)] + sorted(c for c in columns if c[0] not in (_ROW_ID, _ROW_VER))
    layout, ends = _layout(cols)
    ceb = (len(cols) + 7) // 8
    row_size = ends[-1] + ceb
    tcinfo = heap.alloc(b"\0" * (22 + 8 * len(cols)))
    matrix = bytearray()
    index: list[tuple[int, bytes]] = []
    per_block = BLOCK_DATA // row_size
    for number, (row_id, values) in enumerate(rows):
        row = bytearray(row_size)
        cells = {_ROW_ID: row_id, _ROW_VER: 1, **values}
        for pid, (ptype, at, size, bit) in layout.items():
            value = cells.get(pid)
            if value is None:
                continue
            data = encode(ptype, value)
            if size == 4 and ptype not in (INT32,):
                data = struct.pack("<I", _variable(heap, data, spill))
            row[at : at + size] = data.ljust(size, b"\0")[:size]
            row[ends[-1] + bit // 8] |= 0x80 >> (bit % 8)
        if number and number % per_block == 0:
            matrix.extend(b"\0" * (BLOCK_DATA - per_block * row_size))  # rows never span blocks
        matrix.extend(row)
        index.append((row_id, struct.pack("<I", number)))
    if not matrix:
        rows_hnid = 0
    elif len(matrix) <= MAX_ALLOC:
        rows_hnid = heap.alloc(bytes(matrix))
    else:
        rows_hnid = spill(bytes(matrix))
    row_index = bth(heap, 4, 4, index)
    descs = b"".join(
        struct.pack("<IHBB", (pid << 16) | layout[pid][0], layout[pid][1], layout[pid][2], layout[pid][3])
        for pid, _ in sorted(cols)
    )
    info = struct.pack("<BB4HIII", 0x7C, len(cols), ends[0], ends[1], ends[2], row_size, row_index, rows_hnid, 0)
    heap.replace(tcinfo, info + descs)
    heap.user_root = tcinfo
    return heap.blocks()


def _layout(cols: list[tuple[int, int]]) -> tuple[dict[int, tuple[int, int, int, int]], list[int]]:
    """Each column's (type, offset, size, CEB bit), and the TCI_4b, TCI_2b, TCI_1b ends.

    Row id and version open the row; then 8-byte, 4-byte, 2-byte and 1-byte cells.
    """
    layout: dict[int, tuple[int, int, int, int]] = {}
    ends: list[int] = []
    offset = bit = 0
    for sizes in ((4,), (8, 4), (2,), (1,)):
        for pid, ptype in cols:
            first = pid in (_ROW_ID, _ROW_VER)
            if pid in layout or _cell_size(ptype) not in sizes or (sizes == (4,)) != first:
                continue
            layout[pid] = (ptype, offset, _cell_size(ptype), bit)
            offset, bit = offset + _cell_size(ptype), bit + 1
        if sizes != (4,):
            ends.append(offset)
    return layout, ends
