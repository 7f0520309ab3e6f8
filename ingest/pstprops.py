"""One Outlook item's MAPI properties as read by libpff (pypff): typed, named, never raising.

libpff hands out each property as a record entry of raw bytes; this reads an item's
entries once and decodes them by type (UTF-16 or codepage strings, FILETIMEs as aware
UTC instants, integers). Named properties (a contact's e-mail address, an appointment's
start) are numbered per file: the file's name-to-ID map says which number is which.
"""

from __future__ import annotations

import struct
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import IngestError
from .text import decode_bytes

__all__ = ["PSETID_ADDRESS", "PSETID_APPOINTMENT", "NamedMap", "Props", "libpff_reason", "named_map"]

PSETID_ADDRESS = uuid.UUID("00062004-0000-0000-c000-000000000046")
PSETID_APPOINTMENT = uuid.UUID("00062002-0000-0000-c000-000000000046")
_STRING8, _UNICODE, _TIME, _INT16, _INT32, _BOOLEAN, _INT64 = 0x001E, 0x001F, 0x0040, 0x0002, 0x0003, 0x000B, 0x0014
_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_GUID_STREAM, _ENTRY_STREAM = 0x0002, 0x0003

# (property set, numeric id) -> the property number this file gives it
NamedMap = dict[tuple[uuid.UUID, int], int]


def libpff_reason(exc: BaseException) -> str:
    """libpff's most specific complaint on one line, without its function names.

    pypff raises with the whole call chain ("pypff_file_open: unable to open file.
    libpff_index_node_read...: unable to read index node data at offset: ..."); the second
    link is where it went wrong.
    """
    if isinstance(exc, IngestError):
        return exc.message
    parts = [p.strip() for p in str(exc).split(". ") if p.strip()]
    if not parts:
        return type(exc).__name__
    specific = parts[1] if len(parts) > 1 and parts[0].startswith("pypff_") else parts[0]
    return specific.split(": ", 1)[-1].rstrip(".")[:200]


def _entries(item: Any) -> dict[int, Any]:
    """The record entries of an item's first record set, by property id (the first of each)."""
    try:
        if not item.number_of_record_sets:
            return {}
        found: dict[int, Any] = {}
        for entry in item.get_record_set(0).entries:
            found.setdefault(entry.entry_type, entry)
        return found
    except Exception:  # an unreadable property block: the item has no properties we can trust
        return {}


def named_map(pst: Any) -> NamedMap:
    """The numeric named properties of an open pypff file; empty when its map is unreadable."""
    try:
        entries = _entries(pst.get_name_to_id_map())
    except Exception:
        return {}
    guids = entries.get(_GUID_STREAM)
    stream = entries.get(_ENTRY_STREAM)
    guid_data = (guids.data or b"") if guids is not None else b""
    entry_data = (stream.data or b"") if stream is not None else b""
    known = [uuid.UUID(bytes_le=guid_data[i : i + 16]) for i in range(0, len(guid_data) - 15, 16)]
    mapped: NamedMap = {}
    for offset in range(0, len(entry_data) - 7, 8):
        lid, packed, index = struct.unpack_from("<IHH", entry_data, offset)
        if packed & 1:
            continue  # a string-named property: none that we read
        guid_index = packed >> 1  # 1 is PS_MAPI, 2 PS_PUBLIC_STRINGS, 3+ the GUID stream
        if 3 <= guid_index < 3 + len(known):
            mapped[(known[guid_index - 3], lid)] = 0x8000 + index
    return mapped


class Props:
    """The properties of one pypff item, decoded on demand; a missing or broken one is ``None``."""

    def __init__(self, item: Any, named: NamedMap | None = None, codepage: str = "cp1252") -> None:
        self.entries = _entries(item)
        self.named_ids = named or {}
        self.codepage = codepage

    def __contains__(self, prop: int) -> bool:
        return prop in self.entries

    def raw(self, prop: int) -> bytes | None:
        entry = self.entries.get(prop)
        if entry is None:
            return None
        try:
            data = entry.data
        except Exception:  # the value's block could not be read
            return None
        return bytes(data) if data is not None else None

    def text(self, prop: int) -> str:
        """A string property ("" when absent), NULs and surrounding space removed."""
        entry = self.entries.get(prop)
        data = self.raw(prop)
        if entry is None or not data:
            return ""
        if entry.value_type == _UNICODE:
            value = data.decode("utf-16-le", errors="replace")
        elif entry.value_type == _STRING8:
            value = decode_bytes(data, self.codepage)
        else:
            return ""
        return value.replace("\x00", "").strip()

    def integer(self, prop: int) -> int | None:
        entry = self.entries.get(prop)
        data = self.raw(prop)
        if entry is None or not data:
            return None
        size = {_INT16: 2, _INT32: 4, _BOOLEAN: 1, _INT64: 8}.get(entry.value_type)
        if size is None or len(data) < size:
            return None
        return int.from_bytes(data[:size], "little", signed=entry.value_type != _BOOLEAN)

    def time(self, prop: int) -> datetime | None:
        """A FILETIME property as an aware UTC instant; "never" (0, 4501, ...) is ``None``."""
        entry = self.entries.get(prop)
        data = self.raw(prop)
        if entry is None or entry.value_type != _TIME or not data or len(data) < 8:
            return None
        ticks = int.from_bytes(data[:8], "little")
        at = _EPOCH + timedelta(microseconds=ticks // 10)
        return at if 1970 <= at.year <= 2200 else None

    def named(self, guid: uuid.UUID, lid: int) -> int | None:
        """The property number of a numeric named property in this file, if it has one."""
        return self.named_ids.get((guid, lid))

    def named_text(self, guid: uuid.UUID, lid: int) -> str:
        prop = self.named(guid, lid)
        return self.text(prop) if prop is not None else ""

    def named_time(self, guid: uuid.UUID, lid: int) -> datetime | None:
        prop = self.named(guid, lid)
        return self.time(prop) if prop is not None else None
