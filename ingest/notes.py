"""Meeting notes: Markdown/plain text (with YAML front matter) and Word .docx files.

A note's date is the one a person wrote down (front matter, then the file name, then the
first lines of the text), before anything a program stamped on the file (its metadata or
mtime), so the timeline shows when the meeting happened rather than when it was copied.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from email.utils import parseaddr
from typing import Any

import frontmatter
import yaml
from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

from .dates import as_aware, date_from_filename, find_dates, parse_datetime_text, start_of_day
from .docximages import DocxPicture, pictures_in, with_picture_text
from .errors import Corrupt
from .records import DatedValue, DateSource, Kind, Participant, Record, Status
from .registry import register
from .source import Context, Source
from .text import clean_text, decode_bytes

__all__ = ["CsvTextExtractor", "DocxNoteExtractor", "TextNoteExtractor"]

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_DATE_KEYS = ("date", "datetime", "created", "meeting_date")
_PEOPLE_KEYS = ("attendees", "participants")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_TIME_AFTER = re.compile(
    r"^[\s,]*(?:at\s+|@\s*|T)?(\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?)", re.I
)
_RULE = re.compile(r"^\s*([-=*_~`])\1{2,}\s*$")  # "---", "===": a rule, never a title
_FIRST_LINES = 10
_MAX_TITLE = 120
_MAX_FACT_VALUES = 10_000
_YAML = frontmatter.YAMLHandler()


class _TooBig(ValueError):
    """Front matter with more values than we keep (YAML aliases can nest exponentially)."""


def _json_safe(value: Any, budget: list[int]) -> Any:
    """``value`` with dates as ISO strings and anything exotic as text, fit for JSON."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig(f"more than {_MAX_FACT_VALUES:,} values")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v, budget) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v, budget) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)[:1000]


def _split_front_matter(text: str) -> tuple[dict[str, Any], dict[str, Any], str, str | None]:
    """(metadata, its JSON-safe copy, body, error); unreadable front matter leaves text whole."""
    if not _YAML.detect(text):
        return {}, {}, text, None
    try:
        raw, body = _YAML.split(text)
    except ValueError:  # an opening "---" rule with no closing one: not front matter
        return {}, {}, text, None
    try:
        loaded = _YAML.load(raw)
    except yaml.YAMLError as exc:
        return {}, {}, text, "not valid YAML: " + " ".join(str(exc).split())[:300]
    if loaded is None:
        return {}, {}, body, None
    if not isinstance(loaded, dict):
        # prose between two "---" rules parses as a bare string: not metadata at all
        return {}, {}, text, None
    meta = {str(k): v for k, v in loaded.items()}
    try:
        return meta, _json_safe(meta, [_MAX_FACT_VALUES]), body, None
    except _TooBig as exc:
        return {}, {}, text, f"too large: {exc}"


def _front_matter_date(meta: Mapping[str, Any], default_zone: str) -> DatedValue | None:
    for key in _DATE_KEYS:
        value = meta.get(key)
        detail = f"front matter '{key}'"
        if isinstance(value, datetime):
            precision = "second" if value.second or value.microsecond else "minute"
            return DatedValue(
                as_aware(value, default_zone), DateSource.FRONT_MATTER, detail, precision
            )
        if isinstance(value, date):
            return DatedValue(
                start_of_day(value, default_zone), DateSource.FRONT_MATTER, detail, "day"
            )
        if isinstance(value, str | int) and (
            parsed := parse_datetime_text(str(value), default_zone)
        ):
            return DatedValue(parsed[0], DateSource.FRONT_MATTER, detail, parsed[1])
    return None


def _first_lines_date(text: str, default_zone: str) -> DatedValue | None:
    """The first date written in the first lines of ``text``, with its time if one follows."""
    lines = [line for line in text.split("\n") if line.strip()][:_FIRST_LINES]
    for line in lines:
        found = find_dates(line)
        if not found:
            continue
        first = found[0]
        time_match = _TIME_AFTER.match(line[first.end :])
        if time_match:
            parsed = parse_datetime_text(f"{first.raw} {time_match.group(1)}", default_zone)
            # dateutil may read an ambiguous numeric date differently: trust find_dates' day
            if parsed and parsed[0].date() == first.value:
                return DatedValue(parsed[0], DateSource.DOCUMENT_TEXT, "first lines", "minute")
        at = start_of_day(first.value, default_zone)
        return DatedValue(at, DateSource.DOCUMENT_TEXT, "first lines", "day")
    return None


def _mtime(source: Source, default_zone: str) -> DatedValue | None:
    if source.modified_at is None:
        return None
    at = as_aware(source.modified_at, default_zone)
    return DatedValue(at, DateSource.FILE_MTIME, "file modification time", "second")


def _pick(candidates: list[DatedValue | None]) -> tuple[DatedValue | None, tuple[DatedValue, ...]]:
    """The first candidate present wins; the rest are kept as weaker evidence."""
    present = [c for c in candidates if c is not None]
    return (present[0], tuple(present[1:])) if present else (None, ())


def _participants(meta: Mapping[str, Any]) -> tuple[Participant, ...]:
    people: list[Participant] = []
    for key in _PEOPLE_KEYS:
        value = meta.get(key)
        entries = value.split(",") if isinstance(value, str) else value
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, Mapping):
                name = _text_value(entry.get("name"))
                address = _text_value(entry.get("email") or entry.get("address")).lower()
            elif not isinstance(entry, str):
                continue  # a nested list is not a person
            else:
                name, address = parseaddr(entry)
                if "@" not in address:  # a bare name: parseaddr returns it as the address
                    name, address = entry.strip(), ""
                name, address = name.strip(), address.strip().lower()
            person = Participant(role="attendee", address=address, name=name)
            if (name or address) and person not in people:
                people.append(person)
    return tuple(people)


def _text_value(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _first_line(text: str) -> str | None:
    for line in text.split("\n"):
        if line.strip() and not _RULE.match(line):
            return line.strip()[:_MAX_TITLE]
    return None


def _markdown_title(meta: Mapping[str, Any], body: str, filename: str) -> str:
    title = meta.get("title")
    if isinstance(title, str | int | float) and str(title).strip():
        return str(title).strip()[:_MAX_TITLE]
    for line in body.split("\n"):
        if match := _HEADING.match(line):
            return match.group(1).strip()[:_MAX_TITLE]
    return _first_line(body) or _basename(filename)


def _basename(filename: str) -> str:
    return filename.rsplit("/", 1)[-1] or "(unnamed)"


def _truncate(text: str, ctx: Context) -> str:
    return text[: ctx.limits.max_text_chars]


class TextNoteExtractor:
    """Markdown and plain-text notes, with optional YAML front matter."""

    name = "notes"
    content_types = frozenset({"text/plain", "text/markdown"})
    extensions = frozenset({"md", "markdown", "txt"})

    def extract(self, source: Source, ctx: Context) -> Record:
        """A note record: front matter as facts, dated front matter > name > text > mtime."""
        zone = ctx.limits.default_timezone
        text = clean_text(decode_bytes(source.read(ctx.limits.max_file_bytes)).lstrip("\ufeff"))
        meta, facts, body, fm_error = _split_front_matter(text)
        occurred, others = _pick(
            [
                _front_matter_date(meta, zone),
                date_from_filename(source.filename, zone),
                _first_lines_date(body, zone),
                _mtime(source, zone),
            ]
        )
        if fm_error:
            facts["front_matter_error"] = fm_error
        return Record(
            kind=Kind.NOTE,
            title=_markdown_title(meta, body, source.filename),
            content_type="text/markdown"
            if source.extension in ("md", "markdown")
            else "text/plain",
            text=_truncate(clean_text(body) if not fm_error else text, ctx),
            filename=source.filename,
            occurred=occurred,
            other_dates=others,
            participants=_participants(meta),
            status=Status.PARTIAL if fm_error else Status.OK,
            error=f"front matter could not be read, kept as text: {fm_error}" if fm_error else None,
            facts=facts,
        )


class CsvTextExtractor:
    """CSV files that are not call logs: kept as a plain document with their text."""

    name = "csv-text"
    content_types = frozenset({"text/csv"})
    extensions = frozenset({"csv", "tsv"})

    def extract(self, source: Source, ctx: Context) -> Record:
        """A document record holding the CSV's text, dated by its name or mtime."""
        zone = ctx.limits.default_timezone
        text = clean_text(decode_bytes(source.read(ctx.limits.max_file_bytes)).lstrip("\ufeff"))
        occurred, others = _pick([date_from_filename(source.filename, zone), _mtime(source, zone)])
        return Record(
            kind=Kind.DOCUMENT,
            title=_basename(source.filename),
            content_type="text/csv",
            text=_truncate(text, ctx),
            filename=source.filename,
            occurred=occurred,
            other_dates=others,
        )


def _docx_blocks(container: Any) -> Iterator[str | DocxPicture]:
    """Paragraph texts and table rows in document order, nested tables included, each
    followed by the pictures it shows (``docximages``)."""
    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            yield block.text
            yield from pictures_in(block._p, block.part)
        elif isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # a merged cell is repeated once per grid column
                        continue
                    seen.add(id(cell._tc))
                    words = (t for t in _docx_blocks(cell) if isinstance(t, str) and t.strip())
                    cells.append(" ".join(words))
                yield " | ".join(cells)
                yield from pictures_in(row._tr, block.part)


def _docx_title(document: Any, text: str, filename: str) -> str:
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.startswith(("Title", "Heading")) and paragraph.text.strip():
            return paragraph.text.strip()[:_MAX_TITLE]
    core_title = (document.core_properties.title or "").strip()
    return core_title[:_MAX_TITLE] or _first_line(text) or _basename(filename)


def _pictures_error(problems: list[str]) -> str | None:
    """One line saying which pictures of a .docx could not be read, None if all could."""
    if not problems:
        return None
    return f"not every picture could be read: {'; '.join(problems)}"[:500]


class DocxNoteExtractor:
    """Word .docx notes read with python-docx: paragraphs and table cells as text, and the
    pictures in the body OCR'd, their text in place (``docximages`` says why in place)."""

    name = "notes-docx"
    content_types = frozenset({DOCX_TYPE})
    extensions = frozenset({"docx"})

    def extract(self, source: Source, ctx: Context) -> Record:
        """A note record dated by its first lines, file name, then core properties."""
        zone = ctx.limits.default_timezone
        data = source.read(ctx.limits.max_file_bytes)
        try:
            document = Document(io.BytesIO(data))
        except Exception as exc:  # python-docx raises KeyError, BadZipFile, lxml errors...
            detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise Corrupt(f"not a readable Word document: {detail}") from exc
        pictures = with_picture_text(list(_docx_blocks(document)), ctx)
        text = clean_text(pictures.text)
        core = document.core_properties
        created = None
        if isinstance(core.created, datetime):
            # OOXML stores W3CDTF in UTC; python-docx drops the "Z", so naive means UTC
            at = core.created if core.created.tzinfo else core.created.replace(tzinfo=UTC)
            created = DatedValue(
                at, DateSource.DOCUMENT_METADATA, "docx core properties 'created'", "second"
            )
        occurred, others = _pick(
            [
                _first_lines_date(text, zone),
                date_from_filename(source.filename, zone),
                created,
                _mtime(source, zone),
            ]
        )
        props = ("title", "subject", "author", "last_modified_by", "created", "modified")
        facts = {p: _json_safe(getattr(core, p), [len(props)]) for p in props if getattr(core, p)}
        if pictures.read:
            facts["ocr_pictures"] = pictures.read
        return Record(
            kind=Kind.NOTE,
            title=_docx_title(document, text, source.filename),
            content_type=DOCX_TYPE,
            text=_truncate(text, ctx),
            filename=source.filename,
            occurred=occurred,
            other_dates=others,
            status=Status.PARTIAL if pictures.problems else Status.OK,
            error=_pictures_error(pictures.problems),
            facts=facts,
        )


register(TextNoteExtractor())
register(DocxNoteExtractor())
# Below the call-log reader, so a CSV is a call log first and plain text only if it is not.
register(CsvTextExtractor(), priority=-20)
