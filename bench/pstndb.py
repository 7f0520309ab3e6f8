"""The node database of a Unicode PST, written per [MS-PST] section 2.2: test tooling only.

Blocks (64-byte aligned, with trailers, signatures and CRCs), XBLOCK/XXBLOCK data trees,
SLBLOCK/SIBLOCK subnode trees, the node and block B-trees (NBT, BBT) as 512-byte pages,
allocation maps (AMap pages every 253,952 bytes, PMap pages every eighth) and the header.

Blocks are appended as they are made (a writer for a multi-thousand-message file holds
only the index entries in memory); the B-trees, maps and header are written by ``close``.
Not written: FMap/FPMap pages (needed only past 128 AMaps, ~31 MB, and ignored by readers
when ``fAMapValid`` says the AMaps are valid) and the optional density list.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from typing import BinaryIO

__all__ = ["BLOCK_DATA", "NodeDatabase", "crc32"]

BLOCK_DATA = 8176  # bytes of data in one block: 8 KiB less its 16-byte trailer
PAGE = 512
AMAP_FIRST = 0x4400
AMAP_SPAN = 496 * 8 * 64  # each AMap bit covers 64 bytes
PMAP_EVERY = 8  # a (deprecated) PMap page follows every eighth AMap page
_XBLOCK_MAX = (BLOCK_DATA - 8) // 8
_SL_MAX = (BLOCK_DATA - 8) // 24
_SI_MAX = (BLOCK_DATA - 8) // 16
_PTYPE_BBT, _PTYPE_NBT, _PTYPE_PMAP, _PTYPE_AMAP = 0x80, 0x81, 0x83, 0x84


def crc32(data: bytes) -> int:
    """[MS-PST] 5.3 CRC: the reflected CRC-32 table, started at 0 and not inverted."""
    return zlib.crc32(data, 0xFFFFFFFF) ^ 0xFFFFFFFF


def _sig(ib: int, bid: int) -> int:
    value = ib ^ bid
    return ((value >> 16) ^ value) & 0xFFFF


def _align(value: int, to: int) -> int:
    return (value + to - 1) // to * to


class NodeDatabase:
    """Writes blocks, pages and nodes into ``fh`` (opened "w+b"); ``close`` makes it a PST."""

    def __init__(self, fh: BinaryIO, front: int = 0) -> None:
        """``front`` bytes near the start are set aside for what is written last (folders,
        tables, B-trees) once ``use_front`` is called: a copy cut short then keeps them, as a
        test of partial reading needs. What does not fit goes at the end."""
        self.fh = fh
        self.eof = AMAP_FIRST
        self.next_bid = 4
        self.blocks: list[tuple[int, int, int]] = []  # (bid, ib, cb) for the BBT
        self.nodes: list[tuple[int, int, int, int]] = []  # (nid, bid data, bid sub, nid parent)
        self.amaps: dict[int, bytearray] = {}
        self.in_front = False
        size = min(_align(front, PAGE), AMAP_SPAN - 2 * PAGE)
        self.front = self._allocate(size, PAGE) if size else 0
        self.front_end = self.front + size

    def use_front(self) -> None:
        """From now on, allocate from the space set aside at the start while it lasts."""
        self.in_front = True

    # -- allocation -------------------------------------------------------------------
    def _range(self, n: int) -> bytearray:
        bits = self.amaps.get(n)
        if bits is None:
            bits = self.amaps[n] = bytearray(496)
            reserved = 2 if n % PMAP_EVERY == 0 else 1  # the AMap page, and a PMap page after it
            self._mark(AMAP_FIRST + n * AMAP_SPAN, reserved * PAGE)
        return bits

    def _mark(self, ib: int, size: int, allocated: bool = True) -> None:
        n = (ib - AMAP_FIRST) // AMAP_SPAN
        bits = self.amaps[n]
        first = (ib - AMAP_FIRST - n * AMAP_SPAN) // 64
        for slot in range(first, first + _align(size, 64) // 64):
            if allocated:
                bits[slot // 8] |= 0x80 >> (slot % 8)
            else:
                bits[slot // 8] &= ~(0x80 >> (slot % 8)) & 0xFF

    def _allocate(self, size: int, align: int) -> int:
        """A free run of ``size`` bytes inside one AMap range, past its map pages."""
        if self.in_front and _align(self.front, align) + size <= self.front_end:
            ib = _align(self.front, align)
            self.front = ib + size
            return ib  # already marked allocated when it was set aside
        ib = _align(self.eof, align)
        while True:
            n = (ib - AMAP_FIRST) // AMAP_SPAN
            start = AMAP_FIRST + n * AMAP_SPAN
            self._range(n)
            reserved_end = start + PAGE * (2 if n % PMAP_EVERY == 0 else 1)
            if ib < reserved_end:
                ib = _align(reserved_end, align)
            elif ib + size > start + AMAP_SPAN:
                ib = start + AMAP_SPAN
            else:
                break
        self._mark(ib, size)
        self.eof = max(self.eof, ib + size)
        return ib

    def _new_bid(self, internal: bool = False) -> int:
        bid = self.next_bid | (2 if internal else 0)
        self.next_bid += 4
        return bid

    # -- blocks -----------------------------------------------------------------------
    def block(self, data: bytes, internal: bool = False) -> int:
        """Writes one block (at most 8,176 bytes) and returns its BID."""
        if len(data) > BLOCK_DATA:
            raise ValueError(f"a block holds at most {BLOCK_DATA} bytes, not {len(data)}")
        bid = self._new_bid(internal)
        size = _align(len(data) + 16, 64)
        ib = self._allocate(size, 64)
        trailer = struct.pack("<HHIQ", len(data), _sig(ib, bid), crc32(data), bid)
        self.fh.seek(ib)
        self.fh.write(data.ljust(size - 16, b"\0") + trailer)
        self.blocks.append((bid, ib, len(data)))
        return bid

    def data_tree(self, data: bytes) -> int:
        """``data`` as one block, or full blocks under an XBLOCK (XXBLOCK past 8 MB)."""
        if len(data) <= BLOCK_DATA:
            return self.block(data)
        return self.blocks_tree([data[i : i + BLOCK_DATA] for i in range(0, len(data), BLOCK_DATA)])

    def blocks_tree(self, pieces: Sequence[bytes]) -> int:
        """Blocks of given contents (heap pages, rows) as one data tree."""
        if len(pieces) == 1:
            return self.block(pieces[0])
        bids = [self.block(piece) for piece in pieces]
        sizes = [len(piece) for piece in pieces]
        if len(bids) <= _XBLOCK_MAX:
            return self._xblock(1, bids, sum(sizes))
        groups = []
        for i in range(0, len(bids), _XBLOCK_MAX):
            groups.append(self._xblock(1, bids[i : i + _XBLOCK_MAX], sum(sizes[i : i + _XBLOCK_MAX])))
        return self._xblock(2, groups, sum(sizes))

    def _xblock(self, level: int, bids: Sequence[int], total: int) -> int:
        body = struct.pack("<BBHI", 0x01, level, len(bids), total) + b"".join(struct.pack("<Q", b) for b in bids)
        return self.block(body, internal=True)

    def subnode_tree(self, entries: Sequence[tuple[int, int, int]]) -> int:
        """An SLBLOCK (or SIBLOCK over SLBLOCKs) of ``(nid, bid data, bid sub)``; 0 when empty."""
        if not entries:
            return 0
        ordered = sorted(entries)
        leaves = []
        for i in range(0, len(ordered), _SL_MAX):
            chunk = ordered[i : i + _SL_MAX]
            body = struct.pack("<BBH4x", 0x02, 0, len(chunk)) + b"".join(struct.pack("<QQQ", *e) for e in chunk)
            leaves.append((chunk[0][0], self.block(body, internal=True)))
        if len(leaves) == 1:
            return leaves[0][1]
        if len(leaves) > _SI_MAX:
            raise ValueError("more subnodes than one SIBLOCK indexes")
        body = struct.pack("<BBH4x", 0x02, 1, len(leaves)) + b"".join(struct.pack("<QQ", *e) for e in leaves)
        return self.block(body, internal=True)

    def node(self, nid: int, bid_data: int, bid_sub: int = 0, parent: int = 0) -> None:
        """Adds a node to the NBT."""
        self.nodes.append((nid, bid_data, bid_sub, parent))

    # -- pages ------------------------------------------------------------------------
    def _page(self, ptype: int, payload: bytes, ib: int | None = None) -> tuple[int, int]:
        if ib is None:
            ib = self._allocate(PAGE, PAGE)
            bid = self._new_bid()
            sig = _sig(ib, bid)
        else:
            bid, sig = ib, 0  # map pages: their BID is their offset, no signature
        trailer = struct.pack("<BBHIQ", ptype, ptype, sig, crc32(payload), bid)
        self.fh.seek(ib)
        self.fh.write(payload + trailer)
        return bid, ib

    def _btree(self, ptype: int, keyed: list[tuple[int, bytes]], entry_size: int) -> tuple[int, int]:
        """Writes the B-tree pages of sorted ``(key, entry)`` pairs; returns the root's BREF."""
        level, per = 0, 488 // entry_size
        nodes: list[tuple[int, int, int]] = []
        for i in range(0, len(keyed), per):
            chunk = keyed[i : i + per]
            payload = b"".join(e for _, e in chunk).ljust(488, b"\0")
            payload += struct.pack("<BBBB4x", len(chunk), per, entry_size, level)
            nodes.append((chunk[0][0], *self._page(ptype, payload)))
        while len(nodes) > 1:
            level += 1
            parents = []
            for i in range(0, len(nodes), 20):
                chunk = nodes[i : i + 20]
                payload = b"".join(struct.pack("<QQQ", *n) for n in chunk).ljust(488, b"\0")
                payload += struct.pack("<BBBB4x", len(chunk), 20, 24, level)
                parents.append((chunk[0][0], *self._page(ptype, payload)))
            nodes = parents
        return nodes[0][1], nodes[0][2]

    def close(self, next_nids: dict[int, int]) -> None:
        """Writes the B-trees, the allocation maps and the header; the file is then complete.

        ``next_nids`` maps an NID type to the next unused NID index (the header's rgnid).
        """
        nbt = sorted(self.nodes)
        nbt_root = self._btree(
            _PTYPE_NBT, [(n[0], struct.pack("<QQQI4x", *n)) for n in nbt], 32
        )
        # the BBT pages are written after its entries are known; its own pages are pages, not blocks
        bbt = sorted(self.blocks)
        bbt_root = self._btree(
            _PTYPE_BBT, [(b, struct.pack("<QQHH4x", b, ib, cb, 2)) for b, ib, cb in bbt], 24
        )
        if self.front < self.front_end:  # set aside but not needed: free again
            self._mark(self.front, self.front_end - self.front, allocated=False)
        last = (self.eof - AMAP_FIRST - 1) // AMAP_SPAN
        for n in range(last + 1):
            self._range(n)
        free = 0
        for n in range(last + 1):
            start = AMAP_FIRST + n * AMAP_SPAN
            bits = bytes(self.amaps[n])
            free += sum(8 - bin(b).count("1") for b in bits) * 64
            self._page(_PTYPE_AMAP, bits, ib=start)
            if n % PMAP_EVERY == 0:
                self._page(_PTYPE_PMAP, b"\xff" * 496, ib=start + PAGE)
        size = AMAP_FIRST + (last + 1) * AMAP_SPAN  # a PST grows by whole AMap ranges
        self.fh.truncate(size)
        self.fh.seek(0)
        self.fh.write(self._header(size, AMAP_FIRST + last * AMAP_SPAN, free, nbt_root, bbt_root, next_nids))
        self.fh.flush()

    def _header(
        self, size: int, last_amap: int, free: int, nbt: tuple[int, int], bbt: tuple[int, int],
        next_nids: dict[int, int],
    ) -> bytes:
        rgnid = [0x400] * 32
        for nid_type, index in next_nids.items():
            rgnid[nid_type] = index
        head = bytearray(564)
        struct.pack_into("<4sI", head, 0, b"!BDN", 0)
        struct.pack_into("<HHHBBII", head, 8, 0x4D53, 23, 19, 1, 1, 0, 0)
        struct.pack_into("<QQI", head, 24, 0, self.next_bid, 0x5CA5EF11)  # bidUnused, bidNextP, dwUnique
        struct.pack_into("<32I", head, 44, *rgnid)
        struct.pack_into("<IQQQQQQQQBBH", head, 180, 0, size, last_amap, free, 0, *nbt, *bbt, 0x02, 0, 0)
        head[256:384] = b"\xff" * 128  # rgbFM, rgbFP: deprecated, all 0xFF
        head[384:512] = b"\xff" * 128
        struct.pack_into("<BBH Q", head, 512, 0x80, 0x00, 0, self.next_bid)  # sentinel, no encryption
        struct.pack_into("<I", head, 4, crc32(bytes(head[8 : 8 + 471])))
        struct.pack_into("<I", head, 524, crc32(bytes(head[8 : 8 + 516])))
        return bytes(head)
