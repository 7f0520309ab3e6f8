"""How an item is described in a bundle: its date with its source, its people, its names.

Shared by the rendered pages, the text files and the index, so all three say the same.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence

from ..models import Item, ParticipantRow

__all__ = ["bates", "header_fields", "human_date", "iso_date", "native_extension", "people"]

_EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")
_BY_TYPE = {
    "message/rfc822": ".eml",
    "message/x-emlx": ".emlx",
    "application/vnd.ms-outlook-pst": ".pst",
    "application/mbox": ".mbox",
    "application/vnd.ms-outlook": ".msg",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/csv": ".csv",
    "image/jpeg": ".jpg",
}


def bates(prefix: str, number: int) -> str:
    """The Bates (and control) number ``number`` with ``prefix``: ``NOR000042``."""
    return f"{prefix}{number:06d}"


def iso_date(item: Item) -> str:
    """The item's date as written (its original offset), to the precision known."""
    at = item.occurred_at
    if at is None:
        return ""
    if item.date_precision == "day":
        return at.date().isoformat()
    return at.isoformat(timespec="seconds" if item.date_precision == "second" else "minutes")


def human_date(item: Item) -> str:
    """The date with where it came from, e.g. ``2024-04-30 10:15 +01:00 (from email header: Date header)``."""
    at = item.occurred_at
    if at is None:
        return "undated"
    if item.date_precision == "day":
        shown = at.date().isoformat()
    else:
        offset = at.strftime("%z")
        clock = "%H:%M:%S" if item.date_precision == "second" else "%H:%M"
        shown = f"{at.strftime('%Y-%m-%d ' + clock)} {offset[:3]}:{offset[3:]}"
    source = item.date_source.replace("_", " ")
    detail = f": {item.date_detail}" if item.date_detail else ""
    return f"{shown} (from {source}{detail})"


def people(rows: Sequence[ParticipantRow], role: str) -> str:
    """``Name <address>`` for each participant in ``role``, joined with ``; ``."""
    named = []
    for row in rows:
        if row.role != role:
            continue
        if row.name and row.address:
            named.append(f"{row.name} <{row.address}>")
        else:
            named.append(row.name or row.address)
    return "; ".join(named)


def header_fields(item: Item, rows: Sequence[ParticipantRow]) -> list[tuple[str, str]]:
    """The header block of an email: From, To, Cc, Bcc, Date, Subject (empty ones left out)."""
    fields = [(label, people(rows, role)) for label, role in
              (("From", "from"), ("To", "to"), ("Cc", "cc"), ("Bcc", "bcc"))]
    fields += [("Date", human_date(item)), ("Subject", item.title)]
    return [(label, value) for label, value in fields if value]


def native_extension(item: Item) -> str:
    """A safe extension for the native copy: the original's, else one for its type, else .bin."""
    name = (item.original_filename or "").rsplit("/", 1)[-1]
    # "northwind-2024.mbox#3" names a message inside a mailbox, not an .mbox file.
    if "#" not in name and "." in name:
        suffix = name.rsplit(".", 1)[1].lower()
        if _EXTENSION.match(suffix):
            return f".{suffix}"
    if item.content_type in _BY_TYPE:
        return _BY_TYPE[item.content_type]
    guessed = mimetypes.guess_extension(item.content_type or "", strict=False)
    if guessed and _EXTENSION.match(guessed[1:]):
        return guessed
    return ".bin"
