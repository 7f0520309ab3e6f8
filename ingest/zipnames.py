"""Zip member names as their writer meant them, whatever charset the writing tool used.

A zip names its members in bytes with no charset, except for two signs of UTF-8: flag
bit 11, and the Info-ZIP Unicode Path extra field (a UTF-8 copy of the name, checked by
the CRC-32 of the bytes it stands for). Without either, the format says CP437, and
Python's ``zipfile`` reads the name that way; but Windows' own zip writer uses the
machine's OEM code page, so a Chinese PC's "合同.pdf" (GBK bytes) comes out as "║╧═¼.pdf".
The CP437 reading is undone (``encode("cp437")`` gives the bytes back exactly, CP437
having a character for every byte) and the bytes are read again when that reading looks
wrong.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Sequence

from charset_normalizer import from_bytes

__all__ = ["member_names"]

_UTF8_FLAG = 0x800
_UNICODE_PATH = 0x7075
# The part of CP437 a Western European name uses: accented Latin letters and ß. Box
# drawing, Greek and mathematical signs (0xB0-0xFF) in a file name mean other bytes.
_CP437_LETTERS = frozenset([*range(0x80, 0x9B), *range(0xA0, 0xA8), 0xE1])
# The charsets zip tools write names in (Windows' OEM code pages, a few ANSI ones). Also
# the tie-break between charsets reading the names equally well, most common first: a
# single short name is ambiguous (the GBK bytes of "合同" read as Big5 and Korean too),
# and legacy-named zips come from Chinese Windows more than from any other.
_LEGACY = (
    "gb18030", "cp932", "cp949", "big5", "cp866", "cp850", "cp852", "cp862", "cp857",
    "cp874", "cp1252", "cp1251", "cp1250", "cp1256", "cp1255", "cp1253", "cp1254",
)


def member_names(infos: Sequence[zipfile.ZipInfo]) -> list[str]:
    """Each member's name (one per ``infos``, in order): UTF-8 when flag bit 11 or a
    matching Unicode Path field says so; else the raw bytes as UTF-8 if they are valid
    UTF-8 (tools that forget the flag), as CP437 when that reads as Latin letters, and
    otherwise in the charset detected over all such names together (more bytes, a
    surer guess: one zip's names share one charset). CP437 is kept if nothing fits."""
    names: list[str] = []
    suspect: dict[int, bytes] = {}
    for index, info in enumerate(infos):
        if info.flag_bits & _UTF8_FLAG:
            names.append(info.filename)
            continue
        raw = info.orig_filename.encode("cp437")
        name = _unicode_path(info.extra, raw) or _plain(raw)
        if name is None:
            suspect[index] = raw
            name = info.filename
        names.append(name)
    if suspect:
        charset = _detect(list(suspect.values()))
        if charset is not None:
            for index, raw in suspect.items():
                names[index] = _as_member_name(raw.decode(charset))
    return names


def _as_member_name(name: str) -> str:
    # what zipfile does to every name it reads: cut at a NUL
    return name.split("\x00", 1)[0]


def _unicode_path(extra: bytes, raw: bytes) -> str | None:
    """The Info-ZIP Unicode Path field's name, if it is there and stands for ``raw``."""
    at = 0
    while at + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4 : at + 4 + size]
        at += 4 + size
        if tag != _UNICODE_PATH or len(body) < 5 or body[0] != 1:
            continue
        (crc,) = struct.unpack_from("<I", body, 1)
        if crc != zlib.crc32(raw):
            return None  # renamed since by a tool that did not update the field: stale
        try:
            return _as_member_name(body[5:].decode("utf-8"))
        except UnicodeDecodeError:
            return None
    return None


def _plain(raw: bytes) -> str | None:
    """``raw`` read without guessing (ASCII, valid UTF-8, CP437 Latin), None if doubtful."""
    if raw.isascii():
        return _as_member_name(raw.decode("ascii"))
    try:
        return _as_member_name(raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if all(byte < 0x80 or byte in _CP437_LETTERS for byte in raw):
        return _as_member_name(raw.decode("cp437"))
    return None


def _detect(raws: list[bytes]) -> str | None:
    """The charset all of ``raws`` decode in that reads most like text, None if none does."""
    joined = b"\n".join(raws)
    try:
        matches = list(from_bytes(joined, cp_isolation=list(_LEGACY)))
    except Exception:  # detection is a guess; a failure only leaves the CP437 reading
        return None
    ranked: list[tuple[float, int, str]] = []
    for match in matches:
        name = match.encoding
        if name not in _LEGACY or not _decodes_all(raws, name):
            continue
        ranked.append((round(match.chaos, 3), _LEGACY.index(name), name))
    return min(ranked)[2] if ranked else None


def _decodes_all(raws: list[bytes], charset: str) -> bool:
    try:
        for raw in raws:
            raw.decode(charset)
    except UnicodeDecodeError:
        return False
    return True
