"""Values in words for people: sizes, times, where a date came from, item states."""

from __future__ import annotations

from datetime import datetime

__all__ = ["DATE_SOURCE_WORDS", "STATUS_WORDS", "date_source_words", "human_size", "human_time", "status_words"]

DATE_SOURCE_WORDS = {
    "user": "entered by a person",
    "email_header": "from the email header",
    "front_matter": "from the note's front matter",
    "document_text": "from the document's text",
    "filename": "from the file name",
    "document_metadata": "from the file's metadata",
    "file_mtime": "from the file's modification time",
    "none": "no date found",
}

STATUS_WORDS = {
    "ok": "read",
    "partial": "partly read",
    "failed": "kept but unreadable",
    "pending": "waiting to be read",
    "processing": "being read",
}


def date_source_words(source: str | None) -> str:
    """``email_header`` -> "from the email header"."""
    return DATE_SOURCE_WORDS.get(source or "none", (source or "").replace("_", " "))


def status_words(status: str | None) -> str:
    """An item's status as a person would say it."""
    return STATUS_WORDS.get(status or "", status or "")


def human_size(size: int | None) -> str:
    """``1536`` -> "1.5 KB" (decimal units, as file managers show them)."""
    if size is None:
        return "—"
    if size < 1000:
        return f"{size} byte{'s' if size != 1 else ''}"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{size} bytes"  # pragma: no cover


def human_time(value: datetime | None, *, with_time: bool = True) -> str:
    """``2024-05-31T14:02:00+01:00`` -> "31 May 2024, 14:02 (UTC+01:00)", in the offset it was written in."""
    if value is None:
        return "undated"
    text = f"{value.day} {value.strftime('%b %Y')}"
    if not with_time:
        return text
    text += value.strftime(", %H:%M")
    offset = value.strftime("%z")
    if offset:
        text += f" (UTC{offset[:3]}:{offset[3:]})"
    return text
