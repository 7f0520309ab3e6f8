"""Plain data flowing from ingest/ to the archive: what one file (or part of one) says.

Everything here is a frozen dataclass or an enum; nothing knows about storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "DateMention",
    "DateSource",
    "DatedValue",
    "Derived",
    "Kind",
    "Page",
    "Participant",
    "Record",
    "Status",
]


class Kind(StrEnum):
    EMAIL = "email"
    ATTACHMENT = "attachment"
    DOCUMENT = "document"
    NOTE = "note"
    CALL = "call"
    EVENT = "event"
    CONTACT = "contact"  # an address-book card (an Outlook contact)


class DateSource(StrEnum):
    """Where an ``occurred_at`` came from, from most to least trustworthy in practice."""

    USER = "user"
    EMAIL_HEADER = "email_header"
    FRONT_MATTER = "front_matter"
    DOCUMENT_TEXT = "document_text"
    FILENAME = "filename"
    DOCUMENT_METADATA = "document_metadata"
    FILE_MTIME = "file_mtime"
    NONE = "none"


class Status(StrEnum):
    OK = "ok"
    PARTIAL = "partial"  # stored and partly read (e.g. a format we keep but cannot read yet)
    FAILED = "failed"  # stored, nothing trustworthy could be read; ``error`` says why


@dataclass(frozen=True)
class Participant:
    """One person on a message or call; ``address`` is lower-cased, may be empty."""

    role: str  # from | to | cc | bcc | contact
    address: str
    name: str = ""


@dataclass(frozen=True)
class DatedValue:
    """A timezone-aware instant, where it came from, and how precise it is."""

    at: datetime
    source: DateSource
    detail: str = ""  # e.g. "Date header", "front matter 'date'", "PDF /CreationDate"
    precision: str = "minute"  # day | minute | second

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("DatedValue needs a timezone-aware datetime")


@dataclass(frozen=True)
class Page:
    """The text of one page and how it was obtained."""

    number: int  # 1-based
    text: str
    method: str = "text_layer"  # text_layer | ocr | none
    confidence: float | None = None  # mean OCR word confidence, 0-100
    engine: str | None = None  # e.g. "tesseract 5.3.0 (eng)"
    error: str | None = None  # this page could not be read


@dataclass(frozen=True)
class DateMention:
    """A date a document mentions (a deadline, an effective date...), with its context."""

    value: date
    raw: str  # the words as written
    sentence: str  # the sentence around it
    label: str = "date"  # deadline | expiry | effective | due | signed | date
    page: int | None = None
    # why it has its label, in words a reader can check ("preamble", "signature block",
    # "another document's date", "computed: 5 years from 1 February 2024 (§ 12.1)")
    reason: str = ""


@dataclass(frozen=True)
class Derived:
    """A file we produced from an original (never replacing it), e.g. a searchable PDF."""

    role: str  # searchable_pdf
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Record:
    """One evidence item as read from its bytes, with its children (attachments, messages).

    ``children`` may be a lazy iterator (an mbox streams its messages): consume it once.
    ``data`` carries a child's own original bytes; the top-level record's bytes are the
    file the caller already holds, so there it is ``None``. Rows of a call log have no
    bytes of their own: they cite their CSV through ``source_row``.
    """

    kind: Kind
    title: str
    content_type: str
    text: str = ""
    filename: str | None = None
    occurred: DatedValue | None = None
    other_dates: tuple[DatedValue, ...] = ()
    participants: tuple[Participant, ...] = ()
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    status: Status = Status.OK
    error: str | None = None
    pages: tuple[Page, ...] = ()
    date_mentions: tuple[DateMention, ...] = ()
    derived: tuple[Derived, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    data: bytes | None = None
    source_row: int | None = None
    children: Iterable[Record] = ()
