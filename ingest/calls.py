"""Call logs: a CSV export of phone calls becomes one document with a call record per row.

Phone and carrier exports name and order their columns every which way, so columns are
matched by meaning (a table of header spellings), not position. A row that cannot be
dated still imports, flagged, because a missing call is worse evidence than an undated one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .dates import date_from_filename, parse_datetime_text
from .errors import Corrupt, LimitReached, Unsupported
from .records import DatedValue, DateSource, Kind, Participant, Record, Status
from .registry import register
from .source import Context, Source
from .text import decode_bytes

__all__ = ["CallLogExtractor", "normalise_direction", "parse_duration"]

# Header spellings per field, compared after normalising (lower case, "_-/." as spaces,
# units in brackets dropped: "Duration (min)" -> "duration").
_SPELLINGS = {
    "date": "date|day|call date|datetime|date time|timestamp|time stamp|call datetime|start",
    "time": "time|call time|start time",
    "direction": "direction|type|call type|in out|inout|call direction",
    "contact": "contact|name|number|phone|phone number|caller|callee|with|contact name|party",
    "duration": "duration|length|mins|minutes|seconds|secs|call duration|call length",
    "notes": "notes|note|summary|comment|comments|description|memo",
}
_HEADERS = {name: field for field, names in _SPELLINGS.items() for name in names.split("|")}
_MINUTE_WORDS = {"mins", "minutes", "min", "m"}
_UNIT = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(h|hrs?|hours?|m|mins?|minutes?|s|secs?|seconds?)\b", re.IGNORECASE
)
_HAS_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)|(?<!\d)\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}(?!\d)")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass(frozen=True)
class _Columns:
    """Which column index holds each field; ``duration_unit`` is 1 (seconds) or 60."""

    fields: dict[str, list[int]]
    headers: list[str]
    duration_unit: int

    def first(self, field: str) -> int | None:
        return self.fields[field][0] if self.fields.get(field) else None


def _normalise_header(raw: str) -> tuple[str, str]:
    """(name, unit) of a header cell: "Duration (min)" -> ("duration", "min")."""
    text = raw.strip().strip("\ufeff").strip().strip('"').lower()
    unit_match = re.search(r"\(([^)]*)\)|\[([^\]]*)\]", text)
    unit = (unit_match.group(1) or unit_match.group(2) or "").strip() if unit_match else ""
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)
    return " ".join(re.sub(r"[_\-/.]", " ", text).split()), unit


def _map_columns(header: list[str]) -> _Columns:
    fields: dict[str, list[int]] = {}
    unit = 1
    for index, cell in enumerate(header):
        name, unit_text = _normalise_header(cell)
        field = _HEADERS.get(name)
        if field is None:
            continue
        fields.setdefault(field, []).append(index)
        if field == "duration" and len(fields["duration"]) == 1:
            words = {name, unit_text}
            unit = 60 if words & _MINUTE_WORDS else 1
    return _Columns(fields, header, unit)


def parse_duration(value: str, unit: int = 1) -> int | None:
    """Seconds in "12:30" (mm:ss), "1:02:03", "330", "5m 30s", "12 min"; None if unclear."""
    text = value.strip().lower()
    if not text:
        return None
    if re.fullmatch(r"\d+(?::\d{1,2}){1,2}", text):
        parts = [int(p) for p in text.split(":")]
        hours, minutes, seconds = [0] * (3 - len(parts)) + parts
        return hours * 3600 + minutes * 60 + seconds
    if re.fullmatch(r"\d+(?:[.,]\d+)?", text):
        return round(float(text.replace(",", ".")) * unit)
    matches = list(_UNIT.finditer(text))
    if not matches or re.sub(r"[\s,]+|\band\b", "", _UNIT.sub("", text)):
        return None
    total = 0.0
    for number, word in (m.groups() for m in matches):
        amount = float(number.replace(",", "."))
        total += amount * (3600 if word[0] == "h" else 60 if word[0] == "m" else 1)
    return round(total)


def normalise_direction(value: str) -> str:
    """incoming | outgoing | missed | unknown, from the many ways exports say it."""
    text = " ".join(value.lower().replace("-", " ").replace("_", " ").split())
    if not text:
        return "unknown"
    if "miss" in text or text in {"no answer", "unanswered", "rejected", "declined", "busy"}:
        return "missed"
    first = text.split()[0]
    if first in {"in", "incoming", "inbound", "received", "answered", "rcvd"}:
        return "incoming"
    if first in {"out", "outgoing", "outbound", "dialed", "dialled", "placed", "made"}:
        return "outgoing"
    return "unknown"


def _format_duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def _title(direction: str, contact: str, seconds: int | None) -> str:
    lead = {
        "incoming": f"Incoming call from {contact}" if contact else "Incoming call",
        "outgoing": f"Outgoing call with {contact}" if contact else "Outgoing call",
        "missed": f"Missed call from {contact}" if contact else "Missed call",
    }.get(direction, f"Call with {contact}" if contact else "Call")
    if seconds is None or direction == "missed":
        return lead
    return f"{lead} ({_format_duration(seconds)})"


def _row_date(date_text: str, time_text: str, zone: str) -> tuple[datetime, str] | None:
    """The instant a row states; epoch timestamps (phone exports) are read as UTC."""
    if re.fullmatch(r"\d{10}|\d{13}", date_text):
        stamp = int(date_text) / (1000 if len(date_text) == 13 else 1)
        return datetime.fromtimestamp(stamp, tz=UTC), "second"
    if not _HAS_DATE.search(date_text):  # dateutil would read "12" as a day of this month
        return None
    parsed = parse_datetime_text(f"{date_text} {time_text}".strip(), zone)
    if parsed is None and time_text:
        parsed = parse_datetime_text(date_text, zone)
    return parsed


def _csv_format(text: str) -> dict[str, Any]:
    """Reader options: csv.Sniffer's guess, with the delimiter the header row agrees with."""
    lines = text.split("\n", 21)
    header = next((line for line in lines if line.strip()), "")
    # the sniffer is fooled by commas inside notes; the header has no free text to fool it
    best = max(",;\t", key=header.count)
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t")
    except csv.Error:
        return {"delimiter": best}
    delimiter = dialect.delimiter if header.count(dialect.delimiter) >= header.count(best) else best
    # quoting stays RFC 4180 ('"' doubled): the sniffer guesses it from too little evidence
    return {"delimiter": delimiter, "skipinitialspace": dialect.skipinitialspace}


class CallLogExtractor:
    """CSV call logs: date, direction, contact, duration and notes, in any order/spelling."""

    name = "calls"
    content_types = frozenset({"text/csv", "text/plain"})
    extensions = frozenset({"csv", "tsv"})

    def extract(self, source: Source, ctx: Context) -> Record:
        """One document for the CSV with one ``call`` child per data row."""
        zone = ctx.limits.default_timezone
        text = decode_bytes(source.read(ctx.limits.max_file_bytes)).lstrip("\ufeff")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        try:
            rows = list(csv.reader(io.StringIO(text), **_csv_format(text)))
        except csv.Error as exc:
            raise Corrupt(f"not a readable CSV file: {exc}") from exc
        header_at = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
        if header_at is None:
            raise Unsupported("not a call log: the CSV has no header row")
        columns = _map_columns(rows[header_at])
        if columns.first("date") is None or not {"direction", "contact", "duration"} & set(
            columns.fields
        ):
            raise Unsupported(
                "not a call log: no date column together with a direction, contact or "
                f"duration column in header {rows[header_at][:8]}"
            )
        data_rows = [
            (number, row)
            for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2)
            if any(cell.strip() for cell in row)
        ]
        if len(data_rows) > ctx.limits.max_csv_rows:
            raise LimitReached(
                f"{len(data_rows):,} call rows is over max_csv_rows ({ctx.limits.max_csv_rows:,})"
            )
        calls = tuple(self._call(source, columns, number, row, zone) for number, row in data_rows)
        return self._log(source, columns, text, calls, ctx)

    def _call(
        self, source: Source, cols: _Columns, number: int, row: list[str], zone: str
    ) -> Record:
        def cell(field: str, which: int = 0) -> str:
            indexes = cols.fields.get(field, [])
            if which >= len(indexes) or indexes[which] >= len(row):
                return ""
            return row[indexes[which]].strip()

        date_text, time_text = cell("date"), cell("time")
        direction_raw = cell("direction")
        direction = normalise_direction(direction_raw)
        contact = self._contact(cols, direction, cell)
        seconds = parse_duration(cell("duration"), cols.duration_unit)
        raw = {
            (cols.headers[i].strip() or f"column {i + 1}"): (row[i] if i < len(row) else "")
            for i in range(len(cols.headers))
        }
        parsed = _row_date(date_text, time_text, zone)
        occurred = (
            DatedValue(parsed[0], DateSource.DOCUMENT_TEXT, f"call log row {number}", parsed[1])
            if parsed
            else None
        )
        shown_date = f"{date_text} {time_text}".strip()
        return Record(
            kind=Kind.CALL,
            title=_title(direction, contact, seconds),
            content_type="text/csv",
            text=" ".join(
                cell("notes", i) for i in range(len(cols.fields.get("notes", [])))
            ).strip(),
            filename=source.filename,
            occurred=occurred,
            participants=(
                (Participant("contact", contact.lower() if _EMAIL.match(contact) else "", contact),)
                if contact
                else ()
            ),
            status=Status.OK if occurred else Status.PARTIAL,
            error=None if occurred else f"row {number}: unreadable date '{shown_date}'",
            facts={
                "direction": direction,
                "direction_raw": direction_raw,
                "duration_seconds": seconds,
                "contact": contact,
                "raw": raw,
            },
            source_row=number,
        )

    @staticmethod
    def _contact(cols: _Columns, direction: str, cell: Callable[[str, int], str]) -> str:
        # "caller" + "callee" columns: the other party is the callee of an outgoing call
        names = [_normalise_header(cols.headers[i])[0] for i in cols.fields.get("contact", [])]
        if "caller" in names and "callee" in names:
            wanted = "callee" if direction == "outgoing" else "caller"
            return cell("contact", names.index(wanted))
        # "name" + "number": the name reads better; the number stays in the raw row
        return next((v for v in (cell("contact", i) for i in range(len(names))) if v), "")

    @staticmethod
    def _log(
        source: Source, cols: _Columns, text: str, calls: tuple[Record, ...], ctx: Context
    ) -> Record:
        name = source.filename.rsplit("/", 1)[-1] or "(unnamed)"
        dated = sorted((c.occurred for c in calls if c.occurred), key=lambda d: d.at)
        first = (
            DatedValue(
                dated[0].at, DateSource.DOCUMENT_TEXT, "earliest call in log", dated[0].precision
            )
            if dated
            else None
        )
        candidates = [first, date_from_filename(source.filename, ctx.limits.default_timezone)]
        present = [c for c in candidates if c is not None]
        undated = [c.source_row for c in calls if c.occurred is None]
        count = f"{len(calls)} call" + ("" if len(calls) == 1 else "s")
        return Record(
            kind=Kind.DOCUMENT,
            title=f"Call log {name} ({count})",
            content_type="text/csv",
            text=text[: ctx.limits.max_text_chars],
            filename=source.filename,
            occurred=present[0] if present else None,
            other_dates=tuple(present[1:]),
            status=Status.PARTIAL if undated else Status.OK,
            error=f"{len(undated)} of {len(calls)} rows have unreadable dates" if undated else None,
            facts={
                "calls": len(calls),
                "columns": {f: [cols.headers[i] for i in ix] for f, ix in cols.fields.items()},
                "undated_rows": undated,
            },
            children=calls,
        )


# Below the notes reader for ordinary .txt files, above it for a CSV sniffed as plain text.
register(CallLogExtractor(), priority=-5)
