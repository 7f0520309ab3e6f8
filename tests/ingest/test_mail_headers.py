"""Headers a mailer wrote badly: addresses read leniently (and said so), broken folds that
would hide the Date, and the labels of a Gmail Takeout mailbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.archive import Archive
from ingest import Record, Source, Status, extract
from ingest.mailheaders import read_addresses
from tests.ingest.hostile import ingest_hostile

REST = b"To: dana@whitfield-digital.example\r\nSubject: s\r\nDate: Mon, 13 May 2024 10:00:00 +0000\r\n\r\nhi\r\n"


def _from(value: bytes) -> Record:
    return extract(Source.from_bytes(b"From: " + value + b"\r\n" + REST, "m.eml"))


@pytest.mark.parametrize(
    ("value", "address", "name", "reason"),
    [
        (b"John Smith <john@example.com", "john@example.com", "John Smith", "a '<' without its '>'"),
        (b"Smith, John <john@example.com>", "john@example.com", "Smith, John",
         "an unquoted comma or special character in a name"),
        (b"John@Smith <john@example.com>", "john@example.com", "John@Smith", "no address could be read"),
        (b"j.smith@example.com <j.smith@example.com>", "j.smith@example.com", "j.smith@example.com",
         "no address could be read"),
        (b"John <john@example.com>>", "john@example.com", "John", "a '>' without its '<'"),
        (b"John Smith john@example.com", "john@example.com", "John Smith", "an address with spaces or several '@'"),
        (b'"Smith, John <john@example.com>', "john@example.com", "Smith, John", "an unclosed quote"),
        (b"john at example.com (John Smith)", "john@example.com", "John Smith",
         "an address written as 'name at domain'"),
    ],
)
def test_a_malformed_from_is_read_leniently_and_says_so(value: bytes, address: str, name: str, reason: str) -> None:
    record = _from(value)
    assert record.status == Status.OK
    senders = [(p.address, p.name) for p in record.participants if p.role == "from"]
    assert senders == [(address, name)]
    assert record.facts["header_repairs"] == [f"From: parsed leniently: {reason}"]
    json.dumps(dict(record.facts))  # stored as JSON


def test_a_from_with_no_address_keeps_the_name_and_says_so() -> None:
    record = _from(b"garbage")
    assert [(p.role, p.address, p.name) for p in record.participants if p.role == "from"] == [("from", "", "garbage")]
    assert record.facts["header_repairs"] == ["From: parsed leniently: no address in it"]


def test_lenient_reading_of_to_and_cc_keeps_everyone() -> None:
    raw = (
        b"From: greg@northwind-retail.example\r\nTo: Smith, John <john@example.com>, Doe, Jane <jane@example.com>\r\n"
        b"Cc: Ann <ann@example.com, bob@example.com\r\nSubject: s\r\n\r\nhi\r\n"
    )
    record = extract(Source.from_bytes(raw, "m.eml"))
    people = [(p.role, p.address, p.name) for p in record.participants]
    assert ("to", "john@example.com", "Smith, John") in people and ("to", "jane@example.com", "Doe, Jane") in people
    assert ("cc", "ann@example.com", "Ann") in people
    assert record.facts["header_repairs"] == [
        "To: parsed leniently: an unquoted comma or special character in a name",
        "Cc: parsed leniently: a '<' without its '>'",
    ]


def test_well_formed_addresses_need_no_repair() -> None:
    for value in (b'"Smith, John" <john@example.com>', b"john@example.com (John Smith)",
                  b"Team: a@x.example, b@y.example;"):
        record = _from(value)
        assert "header_repairs" not in record.facts, value
    assert read_addresses("undisclosed-recipients:;") == ([], None)


BROKEN_FOLD = (
    b"From: a@x.example\r\nTo: b@y.example\r\n"
    b"Subject: =?utf-8?q?Rechnung_f=C3=BCr?=\r\n=?utf-8?q?_Mai_2024?=\r\n"  # the fold lost its leading space
    b"Date: =?utf-8?q?Tue=2C_14_May_2024_10=3A00=3A00_+0200?=\r\nMessage-ID: <fold@x.example>\r\n\r\nbody\r\n"
)


def test_encoded_words_folded_without_a_space_do_not_lose_the_date() -> None:
    mailbox = b"From a@x.example Tue May 14 10:00:00 2024\n" + BROKEN_FOLD.replace(b"\r\n", b"\n")
    (member,) = list(extract(Source.from_bytes(mailbox, "box.mbox")).children)
    for record in (extract(Source.from_bytes(BROKEN_FOLD, "fold.eml")), member):
        assert record.occurred is not None and record.occurred.detail == "Date header"
        assert record.occurred.at == datetime(2024, 5, 14, 8, 0, tzinfo=UTC)
        assert record.title == "Rechnung für Mai 2024"
        assert record.message_id == "<fold@x.example>"
        assert record.text == "body"
        assert record.facts["header_repairs"] == [
            "Subject: a line of encoded words without the leading space of a folded header joined to it"
        ]


def test_gmail_takeout_labels_and_thread_are_kept_for_mailbox_members() -> None:
    member = (
        b"From greg@northwind-retail.example Mon May 13 10:00:00 2024\n"
        b"X-GM-THRID: 1798765432101234567\nX-Gmail-Labels: Inbox,Important,\"Clients, 2024\",Clients/Northwind,\n"
        b" =?UTF-8?Q?Gesch=C3=A4ftlich?=,Opened\n"
        b"From: greg@northwind-retail.example\nTo: dana@whitfield-digital.example\nSubject: labelled\n\nhi\n"
    )
    (message,) = list(extract(Source.from_bytes(member, "All mail Including Spam and Trash.mbox")).children)
    assert message.facts["labels"] == ["Inbox", "Important", "Clients, 2024", "Clients/Northwind", "Geschäftlich",
                                       "Opened"]
    assert message.facts["gmail_thread_id"] == "1798765432101234567"
    json.dumps(dict(message.facts))


def test_a_single_message_carries_no_mailbox_labels() -> None:
    raw = b"X-Gmail-Labels: Inbox\r\nFrom: a@x.example\r\nTo: b@y.example\r\nSubject: s\r\n\r\nhi\r\n"
    record = extract(Source.from_bytes(raw, "one.eml"))
    assert "labels" not in record.facts  # a forwarded message's labels are someone else's


def test_labels_and_repairs_are_stored_with_the_message(archive: Archive, tmp_path: Path) -> None:
    member = (
        b"From greg@northwind-retail.example Mon May 13 10:00:00 2024\n"
        b"X-Gmail-Labels: Inbox,\"Clients, 2024\"\nX-GM-THRID: 42\n"
        b"From: Greg <greg@northwind-retail.example\nTo: dana@whitfield-digital.example\nSubject: labelled\n\nhi\n"
    )
    got = ingest_hostile(archive, tmp_path, "takeout.mbox", member)
    (message,) = got.children
    facts = json.loads(message.facts_json)
    assert facts["labels"] == ["Inbox", "Clients, 2024"] and facts["gmail_thread_id"] == "42"
    assert facts["header_repairs"] == ["From: parsed leniently: a '<' without its '>'"]
