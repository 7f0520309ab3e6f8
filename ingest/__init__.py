"""Pure extraction: bytes and a file name in, ``Record``s out. No database, no web.

``extract(Source(...))`` sniffs the content, picks the best extractor from the registry
and always returns a record: a file it cannot read comes back ``failed`` with a reason.
"""

from __future__ import annotations

from .errors import Corrupt, Encrypted, IngestError, LimitReached, Unsupported
from .limits import Limits
from .records import DatedValue, DateMention, DateSource, Derived, Kind, Page, Participant, Record, Status
from .registry import extract
from .source import Context, Source

__all__ = [
    "Context",
    "Corrupt",
    "DateMention",
    "DateSource",
    "DatedValue",
    "Derived",
    "Encrypted",
    "IngestError",
    "Kind",
    "LimitReached",
    "Limits",
    "Page",
    "Participant",
    "Record",
    "Source",
    "Status",
    "Unsupported",
    "extract",
]
