"""Reading dates: email headers, file names, and the dates a text mentions.

Each reader returns aware datetimes (a naive date gets the configured default zone) and
says how precise it is, so the archive can show where every date came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

from .records import DatedValue, DateSource

__all__ = [
    "FoundDate",
    "as_aware",
    "date_from_filename",
    "find_dates",
    "parse_datetime_text",
    "parse_email_date",
    "start_of_day",
    "zone",
]

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
# ordinals as typed and as OCR splits them: "1st", "1 st", "17t h", "1s t"
_ORD = r"(?:\s?(?:st|nd|rd|th|s\s?t|n\s?d|r\s?d|t\s?h)\b)?"
# a day as typed, or as OCR spaces it out before an ordinal ("1 5 th")
_DAY = r"(?P<d>[0-3]?\d|[0-3] \d(?=\s?(?:st|nd|rd|th)\b))"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>0?[1-9]|1[0-2])-(?P<d>0?[1-9]|[12]\d|3[01])\b")),
    (
        "mdy_name",
        re.compile(
            rf"\b(?P<mn>{_MONTH_RE})\.?\s+{_DAY}{_ORD}\s*,?\s+(?P<y>(?:19|20)\d\d)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "dmy_name",
        re.compile(
            rf"\b\(?{_DAY}{_ORD}\)?(?:\s+day)?(?:\s+of)?\s+(?P<mn>{_MONTH_RE})\.?\s*,?\s+(?P<y>(?:19|20)\d\d)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "numeric",
        # 15/03/2024, 3/15/24, 15.03.2024, 3-14-18; never part of a longer dotted number or a
        # section reference ("10.2.13", "Section 4.1.10", "§ 12.1.20"): with dots a two-digit
        # year is a section number far more often than a date
        re.compile(
            r"(?<![\d.§/-])(?<!section )(?<!clause )(?<!article )(?<!§ )"
            r"\b(?P<a>[0-3]?\d)(?P<sep>[/.-])(?P<b>[0-3]?\d)(?P=sep)"
            r"(?P<y>(?:19|20)\d\d|(?<![.])\d\d|(?<=/)\d\d|(?<=-)\d\d)\b(?![.-]?\d)",
            re.IGNORECASE,
        ),
    ),
]
_FILENAME_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d\d)[-_.]?(?P<m>0[1-9]|1[0-2])[-_.]?(?P<d>0[1-9]|[12]\d|3[01])(?!\d)"
)


def zone(name: str) -> timezone | ZoneInfo:
    """The zone called ``name`` (IANA), UTC if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def as_aware(value: datetime, default_zone: str) -> datetime:
    """``value`` with a zone: its own, or ``default_zone`` when it was written without one."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=zone(default_zone))
    return value


def parse_datetime_text(text: str, default_zone: str) -> tuple[datetime, str] | None:
    """An aware datetime from a free-form date string, with its precision; None if unclear."""
    text = text.strip()
    if not text or len(text) > 80:
        return None
    try:
        iso = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return as_aware(iso, default_zone), "day" if len(text) <= 10 else "minute"
    except ValueError:
        pass
    try:
        parsed = dateutil_parser.parse(text, dayfirst=_day_first(text), default=_NO_TIME)
    except (ValueError, OverflowError, TypeError):
        return None
    if not 1900 <= parsed.year <= 2200:
        return None
    has_time = parsed.time() != _NO_TIME.time() or re.search(r"\d:\d\d", text) is not None
    return as_aware(parsed, default_zone), "minute" if has_time else "day"


_NO_TIME = datetime(2000, 1, 1, 0, 0, 0)


def _day_first(text: str) -> bool:
    # 03/04/2024 is read day-first (the form most of the world writes), unless impossible
    match = re.search(r"\b(\d{1,2})[/.](\d{1,2})[/.]\d{2,4}\b", text)
    return match is not None and int(match.group(2)) <= 12


def parse_email_date(value: str | None, detail: str = "Date header") -> DatedValue | None:
    """The instant an email header states, keeping its offset; None if it is not a date."""
    if not value or not value.strip():
        return None
    value = " ".join(value.split())
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None and not 1970 <= parsed.year <= 2200:
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        # RFC 5322 "-0000" means "zone unknown": the instant is still UTC
        parsed = parsed.replace(tzinfo=UTC)
    return DatedValue(parsed, DateSource.EMAIL_HEADER, detail, "second")


def date_from_filename(filename: str, default_zone: str) -> DatedValue | None:
    """A date written in a file name (2024-03-15, 20240315, 2024_03_15)."""
    name = filename.rsplit("/", 1)[-1]
    match = _FILENAME_DATE.search(name)
    if not match:
        return None
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None
    at = datetime.combine(day, time(), tzinfo=zone(default_zone))
    return DatedValue(at, DateSource.FILENAME, f"file name '{name}'", "day")


@dataclass(frozen=True)
class FoundDate:
    """A date found in running text, where it is, and the words as written."""

    value: date
    raw: str
    start: int
    end: int


def _year(text: str) -> int:
    year = int(text)
    if year < 100:
        year += 2000 if year < 70 else 1900
    return year


def _to_date(kind: str, match: re.Match[str]) -> date | None:
    try:
        if kind == "iso":
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        if kind in ("mdy_name", "dmy_name"):
            month = _MONTHS[_month_key(match["mn"])]
            return date(int(match["y"]), month, int(match["d"].replace(" ", "")))
        a, b, y = int(match["a"]), int(match["b"]), _year(match["y"])
        if a > 12:
            return date(y, b, a)  # 15/03/2024
        if b > 12:
            return date(y, a, b)  # 03/15/2024
        return date(y, b, a)  # ambiguous: day first
    except (ValueError, KeyError):
        return None


def _month_key(name: str) -> str:
    key = name.lower().rstrip(".")
    return key if key in _MONTHS else key[:3]


def find_dates(text: str) -> list[FoundDate]:
    """Every calendar date ``text`` mentions, in order, without overlaps."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            value = _to_date(kind, match)
            if value is None or not 1900 <= value.year <= 2200:
                continue
            taken.append(span)
            found.append(FoundDate(value, match.group(0), *span))
    return sorted(found, key=lambda f: f.start)


# country domains whose people write the day first, and the one that writes the month first
_DAY_FIRST_DOMAINS = frozenset(
    "uk ie au nz in za de fr es it nl be ch at se no dk fi pl pt br mx ar cl co pe nz sg hk my eu ru ua cz sk hu ro gr "
    "tr il ae".split()
)
_MONTH_FIRST_DOMAINS = frozenset({"us"})


def order_from_address(address: str) -> tuple[bool, str] | None:
    """(month_first, why) from a sender's e-mail domain, when its country says how they
    write numeric dates ("dana@studio.co.uk": day first); None for .com and the like."""
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    country = domain.rpartition(".")[2]
    if country in _MONTH_FIRST_DOMAINS:
        return True, f"the sender's address is in .{country}"
    if country in _DAY_FIRST_DOMAINS:
        return False, f"the sender's address is in .{country}"
    return None


def start_of_day(value: date, default_zone: str) -> datetime:
    """Midnight of ``value`` in the default zone."""
    return datetime.combine(value, time(), tzinfo=zone(default_zone))


