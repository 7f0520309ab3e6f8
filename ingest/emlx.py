"""Apple Mail messages (.emlx, .partial.emlx): a byte count, the message, a property list.

The file's first line is the message's length in bytes (decimal); exactly that many bytes
of RFC 822 message follow, then an XML property list in which Apple Mail keeps its own
flags and dates. The message is read as any email; the property list's values go into
the record's facts, and its date-received is a date with its own source. A
``.partial.emlx`` keeps its attachments in files beside it: such parts arrive empty and
are listed rather than stored as empty attachments.
"""

from __future__ import annotations

import plistlib
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .errors import Corrupt, LimitReached
from .mail import parse_message
from .records import DatedValue, DateSource, Record, Status
from .registry import register
from .source import Context, Source

__all__ = ["CONTENT_TYPE", "EmlxExtractor", "split_emlx"]

CONTENT_TYPE = "message/x-emlx"
_COUNT_LINE = re.compile(rb"\A[ \t]*(\d{1,12})[ \t]*(?:\r\n|\n|\r)")
# the flags bits Apple Mail documents the same way in every version that writes .emlx
_FLAGS = (
    (0, "read"), (1, "deleted"), (2, "answered"), (3, "encrypted"), (4, "flagged"),
    (5, "recent"), (6, "draft"), (7, "initial"), (8, "forwarded"), (9, "redirected"),
)
_PLIST_MAX = 1 << 20  # a property list is a few hundred bytes; more is not Apple Mail's


def split_emlx(data: bytes) -> tuple[bytes, bytes, int]:
    """(message bytes, property-list bytes, the byte count the file declares).

    Raises ``Corrupt`` when the first line is not a byte count. A message shorter than
    its count (a truncated file) is returned as far as it goes.
    """
    match = _COUNT_LINE.match(data)
    if not match:
        raise Corrupt("not an Apple Mail .emlx: the first line is not the message's byte count")
    count = int(match.group(1))
    start = match.end()
    return data[start : start + count], data[start + count :], count


def _plain(value: Any) -> Any:
    """A property-list value as JSON can hold it (dates as ISO text); None to drop it."""
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, list):
        return [v for v in (_plain(item) for item in value[:100]) if v is not None]
    if isinstance(value, dict):
        return {str(k): v for k, v in ((k, _plain(item)) for k, item in list(value.items())[:100]) if v is not None}
    return None  # raw data blobs are Apple Mail's bookkeeping, not evidence


def _apple_facts(plist: bytes) -> tuple[dict[str, Any], DatedValue | None]:
    """(facts from the property list, its date-received); unreadable lists say so."""
    plist = plist.strip()
    if not plist:
        return {}, None
    if len(plist) > _PLIST_MAX:
        return {"apple_mail_plist": f"not read: {len(plist):,} bytes after the message"}, None
    try:
        values = plistlib.loads(plist)
    except Exception as exc:  # plistlib raises several types on damaged XML
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        return {"apple_mail_plist": f"unreadable: {reason}"}, None
    if not isinstance(values, dict):
        return {"apple_mail_plist": "unreadable: not a dictionary"}, None
    facts: dict[str, Any] = {"apple_mail": _plain(values)}
    flags = values.get("flags")
    if isinstance(flags, int) and not isinstance(flags, bool):
        facts["apple_mail_flags"] = [name for bit, name in _FLAGS if flags >> bit & 1]
    received: DatedValue | None = None
    stamp = values.get("date-received")
    try:
        if isinstance(stamp, int | float) and not isinstance(stamp, bool):
            at = datetime.fromtimestamp(stamp, tz=UTC)
        elif isinstance(stamp, datetime):
            at = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        else:
            at = None
    except (OverflowError, OSError, ValueError):
        at = None
    if at is not None and 1970 <= at.year <= 2200:
        received = DatedValue(at, DateSource.DOCUMENT_METADATA, "Apple Mail date-received", "second")
    return facts, received


class EmlxExtractor:
    """Apple Mail's one-message files: the message read as email, Apple's flags as facts."""

    name = "emlx"
    content_types = frozenset({CONTENT_TYPE})
    extensions = frozenset({"emlx"})

    def extract(self, source: Source, ctx: Context) -> Record:
        """The message's email record, typed as .emlx, with Apple Mail's facts and dates."""
        head = source.head(64)
        match = _COUNT_LINE.match(head)
        if match and int(match.group(1)) > ctx.limits.max_message_bytes:
            raise LimitReached(
                f"message of {int(match.group(1)):,} bytes is over max_message_bytes "
                f"({ctx.limits.max_message_bytes:,})"
            )
        data = source.read(ctx.limits.max_message_bytes + _PLIST_MAX + 64)
        message, plist, count = split_emlx(data)
        problems: list[str] = []
        if len(message) < count:
            problems.append(f"truncated: {len(message):,} of the {count:,} message bytes it declares")
        record = parse_message(message, source.filename, ctx)
        facts, received = _apple_facts(plist)
        occurred, others = record.occurred, record.other_dates
        if received is not None:
            if occurred is None:
                occurred = received
            else:
                others = (*others, received)
        children = list(record.children)
        # a .partial.emlx leaves an attachment's bytes to a file beside it: the part is empty
        outside = [c.filename or "(unnamed)" for c in children if not c.data]
        if outside:
            children = [c for c in children if c.data]
            facts["attachments_not_in_file"] = outside
            problems.append(f"Apple Mail keeps {len(outside)} attachment(s) outside this file: {', '.join(outside)}")
        if source.filename.lower().endswith(".partial.emlx"):
            facts["partial_emlx"] = True
        return replace(
            record,
            content_type=CONTENT_TYPE,
            occurred=occurred,
            other_dates=others,
            status=Status.PARTIAL if problems else record.status,
            error="; ".join(problems) or record.error,
            facts={**record.facts, **facts},
            children=tuple(children),
        )


register(EmlxExtractor())
