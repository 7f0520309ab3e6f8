"""Call logs: CSV files with one call per row, in whatever shape a phone exported them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ingest import registry
from ingest.calls import CallLogExtractor, normalise_direction, parse_duration
from ingest.errors import LimitReached, Unsupported
from ingest.limits import Limits
from ingest.records import DateSource, Kind, Participant, Record, Status
from ingest.registry import extract
from ingest.source import Context, Source

BASIC = (
    "date,direction,contact,duration,notes\n"
    "2024-03-15 14:05,outgoing,Greg Thornton,12:00,Discussed the lease\n"
    "2024-03-16,missed,Greg Thornton,0:00,\n"
    '2024-03-17 09:00,incoming,Ana@Example.com,5m 30s,"Asked about rent, again"\n'
)


def log(text: str, filename: str = "call-log-2024.csv", encoding: str = "utf-8") -> Record:
    return extract(Source(filename=filename, data=text.encode(encoding)))


def calls_of(record: Record) -> list[Record]:
    return list(record.children)


def test_basic_log_is_a_document_with_one_call_per_row() -> None:
    record = log(BASIC)
    assert record.kind is Kind.DOCUMENT
    assert record.status is Status.OK
    assert record.title == "Call log call-log-2024.csv (3 calls)"
    assert record.content_type == "text/csv"
    assert record.text == BASIC
    calls = calls_of(record)
    assert [c.kind for c in calls] == [Kind.CALL] * 3
    assert [c.source_row for c in calls] == [2, 3, 4]
    assert all(c.data is None for c in calls)
    assert record.occurred is not None and record.occurred.at.date() == date(2024, 3, 15)


def test_call_fields() -> None:
    first, missed, third = calls_of(log(BASIC))
    assert first.title == "Outgoing call with Greg Thornton (12 min)"
    assert first.text == "Discussed the lease"
    assert first.participants == (Participant(role="contact", address="", name="Greg Thornton"),)
    assert first.occurred is not None
    assert first.occurred.source is DateSource.DOCUMENT_TEXT
    assert first.occurred.detail == "call log row 2"
    assert first.occurred.precision == "minute"
    assert first.occurred.at.replace(tzinfo=None) == datetime(2024, 3, 15, 14, 5)
    assert first.facts["direction"] == "outgoing"
    assert first.facts["duration_seconds"] == 720
    assert first.facts["contact"] == "Greg Thornton"
    assert first.facts["raw"] == {
        "date": "2024-03-15 14:05",
        "direction": "outgoing",
        "contact": "Greg Thornton",
        "duration": "12:00",
        "notes": "Discussed the lease",
    }
    assert missed.title == "Missed call from Greg Thornton"
    assert missed.occurred is not None and missed.occurred.precision == "day"
    assert third.title == "Incoming call from Ana@Example.com (5 min 30 s)"
    assert third.text == "Asked about rent, again"
    assert third.participants == (
        Participant(role="contact", address="ana@example.com", name="Ana@Example.com"),
    )


@pytest.mark.parametrize(
    "header",
    [
        "Call Date,Type,Name,Length,Comment",
        "TIMESTAMP,In-Out,Number,Seconds,Description",
        "Day,Call Type,Phone,Duration,Note",
        "DateTime,Direction,With,Duration,Summary",
        "date_time,in/out,caller,duration,comments",
        "Date/Time,Call direction,Contact name,Call duration,Memo",
    ],
)
def test_header_spellings(header: str) -> None:
    text = f"{header}\n2024-03-15 14:05,out,Greg,330,Lease\n"
    (call,) = calls_of(log(text))
    assert call.facts["direction"] == "outgoing"
    assert call.facts["contact"] == "Greg"
    assert call.facts["duration_seconds"] == 330
    assert call.text == "Lease"
    assert call.occurred is not None and call.occurred.precision == "minute"


def test_any_column_order_and_separate_time_column() -> None:
    text = "Notes,Duration,Time,Contact,Direction,Date\nhello,1:02:03,14:05,Greg,IN,15/03/2024\n"
    (call,) = calls_of(log(text))
    assert call.occurred is not None
    assert call.occurred.at.replace(tzinfo=None) == datetime(2024, 3, 15, 14, 5)
    assert call.occurred.precision == "minute"
    assert call.facts["duration_seconds"] == 3723
    assert call.title == "Incoming call from Greg (1 h 2 min)"


def test_minutes_column_counts_bare_numbers_as_minutes() -> None:
    for header in ("Mins", "Minutes", "Duration (min)"):
        (call,) = calls_of(log(f"date,contact,{header}\n2024-03-15,Greg,12\n"))
        assert call.facts["duration_seconds"] == 720, header


def test_semicolon_delimiter_with_commas_in_notes() -> None:
    text = "Datum;Date;Contact;Duration;Notes\nx;15.03.2024 10:00;Greg;12 min;a, b, c\n"
    (call,) = calls_of(log(text))
    assert call.text == "a, b, c"
    assert call.facts["duration_seconds"] == 720
    assert call.occurred is not None and call.occurred.at.date() == date(2024, 3, 15)


def test_tab_delimited_tsv_is_read_through_the_plain_text_route() -> None:
    text = "date\tdirection\tcontact\n2024-03-15\toutgoing\tGreg\n"
    record = log(text, filename="calls.tsv")  # sniffed as text/plain: the name decides
    assert record.title == "Call log calls.tsv (1 call)"
    assert calls_of(record)[0].facts["contact"] == "Greg"


def test_text_plain_csv_goes_to_the_call_log_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "sniff", lambda head, filename="": "text/plain")
    assert log(BASIC).title == "Call log call-log-2024.csv (3 calls)"
    # ...while a .txt sniffed as plain text stays a note
    assert log(BASIC, filename="calls.txt").kind is Kind.NOTE


def test_bom_and_crlf() -> None:
    data = "\ufeffDate,Direction,Contact\r\n2024-03-15 08:00,outgoing,Greg\r\n".encode()
    record = extract(Source(filename="c.csv", data=data))
    (call,) = calls_of(record)
    assert call.facts["raw"] == {
        "Date": "2024-03-15 08:00",
        "Direction": "outgoing",
        "Contact": "Greg",
    }
    assert "\r" not in record.text


def test_bad_date_row_is_partial_and_the_others_import() -> None:
    text = "date,contact,duration\n2024-03-15,Greg,60\nsoon,Ana,30\n12,Bob,10\n2024-03-18,Carl,5\n"
    record = log(text)
    calls = calls_of(record)
    assert [c.status for c in calls] == [Status.OK, Status.PARTIAL, Status.PARTIAL, Status.OK]
    assert calls[1].error == "row 3: unreadable date 'soon'"
    assert calls[1].occurred is None
    assert calls[2].error == "row 4: unreadable date '12'"  # not "the 12th of this month"
    assert record.status is Status.PARTIAL
    assert record.facts["undated_rows"] == [3, 4]


def test_empty_rows_are_skipped_but_rows_keep_file_numbers() -> None:
    text = "date,contact\n2024-03-15,Greg\n,\n\n2024-03-16,Ana\n"
    calls = calls_of(log(text))
    assert [c.source_row for c in calls] == [2, 5]


def test_caller_and_callee_columns_pick_the_other_party() -> None:
    text = "date,direction,caller,callee\n2024-03-15,outgoing,Me,Greg\n2024-03-15,incoming,Ana,Me\n"
    out, inc = calls_of(log(text))
    assert out.facts["contact"] == "Greg"
    assert inc.facts["contact"] == "Ana"


def test_epoch_millisecond_timestamps() -> None:
    (call,) = calls_of(log("timestamp,number,duration\n1710511500000,+441234,10\n"))
    assert call.occurred is not None
    assert call.occurred.at == datetime(2024, 3, 15, 14, 5, tzinfo=UTC)


def test_not_a_call_log_raises_unsupported_and_is_stored_as_a_plain_document() -> None:
    text = "Name,Phone\nGreg,123\n"
    with pytest.raises(Unsupported, match="not a call log"):
        CallLogExtractor().extract(Source(filename="people.csv", data=text.encode()), Context())
    record = log(text, filename="people.csv")
    assert record.kind is Kind.DOCUMENT
    assert record.status is Status.OK
    assert record.title == "people.csv"
    assert record.text == text.strip()
    assert list(record.children) == []


def test_a_date_without_call_columns_is_not_a_call_log() -> None:
    record = log("Date,Amount\n2024-01-01,100\n", filename="bank-2024-01-31.csv")
    assert record.title == "bank-2024-01-31.csv"
    assert record.occurred is not None and record.occurred.source is DateSource.FILENAME


def test_row_cap_raises_limit_reached() -> None:
    ctx = Context(limits=Limits(max_csv_rows=2))
    source = Source(filename="c.csv", data=BASIC.encode())
    with pytest.raises(LimitReached, match="max_csv_rows"):
        CallLogExtractor().extract(source, ctx)
    record = extract(source, ctx)
    assert record.status is Status.FAILED
    assert record.error and record.error.startswith("limit:")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("12:30", 750),
        ("1:02:03", 3723),
        ("330", 330),
        ("5m 30s", 330),
        ("12 min", 720),
        ("0:00", 0),
        ("1h 5m", 3900),
        ("2 minutes and 5 seconds", 125),
        ("", None),
        ("about an hour", None),
    ],
)
def test_parse_duration(text: str, seconds: int | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Outgoing", "outgoing"),
        ("OUT", "outgoing"),
        ("dialled", "outgoing"),
        ("Incoming", "incoming"),
        ("in", "incoming"),
        ("received", "incoming"),
        ("Missed", "missed"),
        ("missed incoming", "missed"),
        ("no answer", "missed"),
        ("", "unknown"),
        ("voicemail", "unknown"),
    ],
)
def test_normalise_direction(raw: str, expected: str) -> None:
    assert normalise_direction(raw) == expected


def test_unknown_direction_title() -> None:
    (call,) = calls_of(log("date,contact,duration\n2024-03-15,Greg,45\n"))
    assert call.title == "Call with Greg (45 s)"
    assert call.facts["direction"] == "unknown"
