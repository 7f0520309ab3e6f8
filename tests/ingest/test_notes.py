"""Meeting notes: Markdown/text with front matter, and .docx, through the registry."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from docx import Document

from ingest.errors import Corrupt
from ingest.notes import DocxNoteExtractor, TextNoteExtractor
from ingest.records import DateSource, Kind, Participant, Record, Status
from ingest.registry import extract
from ingest.source import Context, Source

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
NOTES_DIR = CORPUS / "meeting_notes"
MTIME = datetime(2019, 7, 1, 8, 0, tzinfo=UTC)


def note(text: str, filename: str = "notes.md", **kwargs: object) -> Record:
    return extract(Source(filename=filename, data=text.encode("utf-8"), **kwargs))  # type: ignore[arg-type]


def corpus_files() -> list[Path]:
    if not NOTES_DIR.is_dir():
        return []
    return sorted(NOTES_DIR.iterdir())


# --- the real corpus ---------------------------------------------------------------------


def test_corpus_is_present() -> None:
    if not NOTES_DIR.is_dir():
        pytest.skip(f"corpus not found at {NOTES_DIR}")
    assert len(corpus_files()) == 3


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_minutes_are_notes_dated_by_file_name(path: Path) -> None:
    record = extract(Source(filename=path.name, data=path.read_bytes()))
    day = date.fromisoformat(path.stem.rsplit("_", 1)[-1])
    assert record.kind is Kind.NOTE
    assert record.status is Status.OK, record.error
    assert record.content_type == "text/markdown"
    assert record.occurred is not None
    assert record.occurred.source is DateSource.FILENAME
    assert record.occurred.at.date() == day
    assert record.occurred.precision == "day"
    # the "# 2023-06-15" heading is the title and also a weaker date candidate
    assert record.title == day.isoformat()
    assert any(d.source is DateSource.DOCUMENT_TEXT for d in record.other_dates)
    assert "Check-in" in record.text or "Agenda" in record.text


# --- front matter --------------------------------------------------------------------------


def test_front_matter_bare_date_is_day_precision_and_becomes_facts() -> None:
    record = note("---\ntitle: Board sync\ndate: 2024-03-15\nroom: 4B\n---\n# Heading\nbody\n")
    assert record.status is Status.OK
    assert record.title == "Board sync"
    assert record.occurred is not None
    assert record.occurred.source is DateSource.FRONT_MATTER
    assert record.occurred.detail == "front matter 'date'"
    assert record.occurred.precision == "day"
    assert record.occurred.at == datetime(2024, 3, 15, tzinfo=record.occurred.at.tzinfo)
    assert record.facts == {"title": "Board sync", "date": "2024-03-15", "room": "4B"}
    json.dumps(record.facts)  # JSON-safe
    assert record.text == "# Heading\nbody"  # the front matter block is not part of the text


def test_front_matter_datetime_keeps_its_offset() -> None:
    record = note("---\ndate: 2024-03-15 10:30:00+02:00\n---\nx\n")
    assert record.occurred is not None
    assert record.occurred.at.utcoffset() == timedelta(hours=2)
    assert record.occurred.at.hour == 10
    assert record.occurred.precision == "minute"
    assert record.facts["date"] == "2024-03-15T10:30:00+02:00"


@pytest.mark.parametrize("key", ["datetime", "created", "meeting_date"])
def test_front_matter_other_date_keys(key: str) -> None:
    record = note(f"---\n{key}: '5 June 2023 14:00'\n---\nx\n", filename="n.md")
    assert record.occurred is not None
    assert record.occurred.source is DateSource.FRONT_MATTER
    assert record.occurred.detail == f"front matter '{key}'"
    assert record.occurred.at.replace(tzinfo=None) == datetime(2023, 6, 5, 14, 0)
    assert record.occurred.precision == "minute"


def test_naive_front_matter_datetime_gets_default_timezone() -> None:
    from ingest.limits import Limits

    ctx = Context(limits=Limits(default_timezone="Europe/Berlin"))
    record = TextNoteExtractor().extract(
        Source(filename="n.md", data=b"---\ndate: 2024-01-10T09:00:00\n---\nx"), ctx
    )
    assert record.occurred is not None
    assert record.occurred.at.utcoffset() == timedelta(hours=1)


def test_bad_yaml_front_matter_keeps_the_whole_text_as_partial() -> None:
    text = "---\ntitle: [unclosed\ndate: 2024-03-15\n---\n# Real heading\nWe met.\n"
    record = note(text, filename="minutes.md")
    assert record.kind is Kind.NOTE
    assert record.status is Status.PARTIAL
    assert "front_matter_error" in record.facts
    assert record.error and "front matter" in record.error
    assert record.text.startswith("---\ntitle: [unclosed")
    assert "We met." in record.text
    assert record.title == "Real heading"


def test_yaml_alias_bomb_is_refused_quickly_as_partial() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    record = note("---\n" + "\n".join(levels) + "\n---\nbody\n")
    assert record.status is Status.PARTIAL
    assert "too large" in record.facts["front_matter_error"]
    assert "body" in record.text


def test_attendees_and_participants_become_participants() -> None:
    text = (
        "---\n"
        "attendees:\n"
        "  - Greg Thornton\n"
        "  - Ana Ruiz <Ana.Ruiz@Example.COM>\n"
        "  - carl@example.org\n"
        "  - [not, a, person]\n"
        "participants:\n"
        "  - name: Dee Park\n"
        "    email: DEE@example.net\n"
        "---\nbody\n"
    )
    record = note(text)
    assert record.participants == (
        Participant(role="attendee", address="", name="Greg Thornton"),
        Participant(role="attendee", address="ana.ruiz@example.com", name="Ana Ruiz"),
        Participant(role="attendee", address="carl@example.org", name=""),
        Participant(role="attendee", address="dee@example.net", name="Dee Park"),
    )


def test_prose_between_rules_is_not_front_matter() -> None:
    record = note("---\nJust a line between rules\n---\nMore text\n", filename="n.txt")
    assert record.status is Status.OK
    assert record.facts == {}
    assert record.text.startswith("---\nJust a line")
    assert record.title == "Just a line between rules"


# --- date precedence -----------------------------------------------------------------------


FULL = "---\ndate: 2024-05-01\n---\nMeeting on 3 February 2022\n"


def test_precedence_front_matter_beats_everything() -> None:
    record = note(FULL, filename="2023-01-09 notes.md", modified_at=MTIME)
    assert record.occurred is not None
    assert record.occurred.source is DateSource.FRONT_MATTER
    assert [d.source for d in record.other_dates] == [
        DateSource.FILENAME,
        DateSource.DOCUMENT_TEXT,
        DateSource.FILE_MTIME,
    ]


def test_precedence_file_name_beats_first_lines_and_mtime() -> None:
    record = note("Meeting on 3 February 2022\n", filename="2023-01-09 notes.md", modified_at=MTIME)
    assert record.occurred is not None
    assert record.occurred.source is DateSource.FILENAME
    assert record.occurred.at.date() == date(2023, 1, 9)


def test_precedence_first_lines_beat_mtime() -> None:
    record = note(
        "Weekly sync\nMeeting on 3 February 2022\n", filename="notes.md", modified_at=MTIME
    )
    assert record.occurred is not None
    assert record.occurred.source is DateSource.DOCUMENT_TEXT
    assert record.occurred.detail == "first lines"
    assert record.occurred.precision == "day"
    assert record.occurred.at.date() == date(2022, 2, 3)


def test_first_lines_date_with_a_time_is_minute_precision() -> None:
    record = note("Call notes\nDate: 2022-02-03 14:30\n", filename="notes.md")
    assert record.occurred is not None
    assert record.occurred.precision == "minute"
    assert (record.occurred.at.hour, record.occurred.at.minute) == (14, 30)


def test_dates_after_the_first_lines_are_ignored() -> None:
    body = "\n".join(f"line {i}" for i in range(12)) + "\nDecided on 3 February 2022\n"
    record = note(body, filename="notes.md", modified_at=MTIME)
    assert record.occurred is not None
    assert record.occurred.source is DateSource.FILE_MTIME


def test_mtime_is_the_last_resort_and_none_without_it() -> None:
    dated = note("nothing dated here\n", filename="notes.md", modified_at=MTIME)
    assert dated.occurred is not None
    assert dated.occurred.source is DateSource.FILE_MTIME
    assert dated.occurred.at == MTIME
    undated = note("nothing dated here\n", filename="notes.md")
    assert undated.occurred is None
    assert undated.other_dates == ()


# --- titles and text -----------------------------------------------------------------------


def test_title_from_first_heading_then_first_line_then_file_name() -> None:
    assert note("intro line\n## Decisions ##\n").title == "Decisions"
    long_line = "x" * 200
    assert note(f"\n\n{long_line}\nmore\n", filename="a.txt").title == "x" * 120
    assert note("\n  \n\t\n", filename="folder/empty-ish.txt").title == "empty-ish.txt"


def test_plain_text_note_via_registry() -> None:
    record = note("Standup\r\nAll fine.\r\n", filename="standup.txt")
    assert record.kind is Kind.NOTE
    assert record.content_type == "text/plain"
    assert record.text == "Standup\nAll fine."


def test_undecodable_bytes_do_not_crash() -> None:
    data = b"Caf\xe9 meeting \x81\x8d\x8f\x90\x9d notes\n" + bytes(range(0x80, 0xFF))
    record = extract(Source(filename="odd.txt", data=data))
    assert record.kind is Kind.NOTE
    assert record.status is Status.OK
    assert "meeting" in record.text


# --- .docx ---------------------------------------------------------------------------------


def make_docx(paragraphs: list[str], created: datetime | None = None, heading: str = "") -> bytes:
    document = Document()
    if heading:
        document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Action"
    table.cell(0, 1).text = "Owner"
    table.cell(1, 0).text = "Send the draft lease"
    table.cell(1, 1).text = "Greg"
    document.core_properties.created = created or datetime(2020, 1, 2, 3, 4, 5)
    document.core_properties.title = "Core title"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_text_includes_paragraphs_and_table_cells() -> None:
    data = make_docx(
        ["Present: Greg, Ana", "Held on 3 March 2024 at 10:30"], heading="Lease review"
    )
    record = extract(Source(filename="review.docx", data=data))
    assert record.kind is Kind.NOTE
    assert record.status is Status.OK, record.error
    assert record.title == "Lease review"
    assert "Present: Greg, Ana" in record.text
    assert "Send the draft lease" in record.text and "Greg" in record.text
    assert record.occurred is not None
    assert record.occurred.source is DateSource.DOCUMENT_TEXT
    assert record.occurred.at.replace(tzinfo=None) == datetime(2024, 3, 3, 10, 30)
    assert record.occurred.precision == "minute"
    assert record.other_dates[-1].source is DateSource.DOCUMENT_METADATA
    json.dumps(record.facts)


def test_docx_file_name_date_beats_core_properties() -> None:
    record = extract(Source(filename="minutes 2021-11-05.docx", data=make_docx(["No date here"])))
    assert record.occurred is not None
    assert record.occurred.source is DateSource.FILENAME
    assert record.occurred.at.date() == date(2021, 11, 5)


def test_docx_falls_back_to_core_created_as_utc() -> None:
    data = make_docx(["No date here"], created=datetime(2020, 1, 2, 3, 4, 5))
    record = extract(Source(filename="minutes.docx", data=data))
    assert record.occurred is not None
    assert record.occurred.source is DateSource.DOCUMENT_METADATA
    assert record.occurred.detail == "docx core properties 'created'"
    assert record.occurred.at == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert record.title == "Core title"  # no heading paragraph: the core title
    assert record.facts["created"] == "2020-01-02T03:04:05+00:00"


def test_broken_docx_is_corrupt() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<not really")
    with pytest.raises(Corrupt, match="not a readable Word document"):
        DocxNoteExtractor().extract(Source(filename="x.docx", data=out.getvalue()), Context())
    record = extract(Source(filename="x.docx", data=out.getvalue()))
    assert record.status is Status.FAILED
    assert record.error and record.error.startswith("corrupt: not a readable Word document")
