"""Apple Mail .emlx and .partial.emlx: a byte count, the message, Apple's property list."""

from __future__ import annotations

import json
import plistlib
from datetime import UTC, datetime
from pathlib import Path

from app.archive import Archive
from ingest import Kind, Source, Status, extract
from ingest.sniff import sniff
from tests.ingest.hostile import ingest_hostile

MESSAGE = (
    b"From: Greg <greg@northwind-retail.example>\nTo: dana@whitfield-digital.example\n"
    b"Subject: Sign-off on the May release\nDate: Mon, 13 May 2024 10:00:00 +0100\n"
    b"Message-ID: <apple@northwind-retail.example>\n\nWe accept the release as delivered.\n"
)
RECEIVED = datetime(2024, 5, 13, 9, 0, 30, tzinfo=UTC)


def _plist(**values: object) -> bytes:
    return plistlib.dumps({"date-received": int(RECEIVED.timestamp()), "flags": 0b10001, "remote-id": "4711",
                           "original-mailbox": "imap://dana@mail.example/INBOX", **values})


def emlx(message: bytes = MESSAGE, plist: bytes | None = None, count: int | None = None) -> bytes:
    """An .emlx as Apple Mail writes it: the count padded with spaces, then the bytes."""
    declared = len(message) if count is None else count
    return f"{declared:<10}\n".encode() + message + (_plist() if plist is None else plist)


def test_emlx_is_read_as_mail_with_apple_facts() -> None:
    for name in ("12345.emlx", "upload-without-a-name"):  # by its name and by its bytes
        record = extract(Source.from_bytes(emlx(), name))
        assert record.kind == Kind.EMAIL and record.status == Status.OK, (name, record.error)
        assert record.content_type == "message/x-emlx"
        assert record.title == "Sign-off on the May release"
        assert record.text == "We accept the release as delivered."  # the plist is not the message's text
        assert record.message_id == "<apple@northwind-retail.example>"
        assert ("from", "greg@northwind-retail.example", "Greg") in {
            (p.role, p.address, p.name) for p in record.participants
        }
        assert record.occurred is not None and record.occurred.detail == "Date header"
        assert [(d.at, d.detail) for d in record.other_dates] == [(RECEIVED, "Apple Mail date-received")]
        assert record.facts["apple_mail_flags"] == ["read", "flagged"]
        assert record.facts["apple_mail"]["remote-id"] == "4711"
        json.dumps(dict(record.facts))


def test_sniffing_wants_the_count_line_and_mail_headers() -> None:
    assert sniff(emlx()[:8192], "x") == "message/x-emlx"
    assert sniff(b"1234\nsome notes, not mail\n", "notes.txt") == "text/plain"
    assert sniff(MESSAGE, "x.emlx") == "message/rfc822"  # a plain message misnamed .emlx is still mail


def test_an_undated_emlx_is_dated_by_apple_mail() -> None:
    undated = MESSAGE.replace(b"Date: Mon, 13 May 2024 10:00:00 +0100\n", b"")
    record = extract(Source.from_bytes(emlx(undated), "1.emlx"))
    assert record.occurred is not None and record.occurred.at == RECEIVED
    assert record.occurred.detail == "Apple Mail date-received"


def test_partial_emlx_lists_the_attachments_apple_mail_keeps_elsewhere() -> None:
    message = (
        b"From: greg@northwind-retail.example\nTo: dana@whitfield-digital.example\nSubject: the contract\n"
        b"Date: Mon, 13 May 2024 10:00:00 +0100\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
        b"--B\nContent-Type: text/plain\n\nSigned copy attached.\n"
        b"--B\nContent-Type: application/pdf; name=contract.pdf\n"
        b"Content-Disposition: attachment; filename=contract.pdf\n"
        b"Content-Transfer-Encoding: base64\nX-Apple-Content-Length: 48213\n\n\n--B--\n"
    )
    record = extract(Source.from_bytes(emlx(message), "2.partial.emlx"))
    assert record.kind == Kind.EMAIL and record.text == "Signed copy attached."
    assert record.status == Status.PARTIAL
    assert record.error == "Apple Mail keeps 1 attachment(s) outside this file: contract.pdf"
    assert record.facts["attachments_not_in_file"] == ["contract.pdf"] and record.facts["partial_emlx"] is True
    assert list(record.children) == []


def test_broken_emlx_files_fail_or_are_partial_with_one_line_reasons() -> None:
    no_count = extract(Source.from_bytes(b"not a count\n" + MESSAGE, "3.emlx"))
    assert no_count.status == Status.FAILED
    assert no_count.error == "corrupt: not an Apple Mail .emlx: the first line is not the message's byte count"
    truncated = extract(Source.from_bytes(emlx(plist=b"", count=len(MESSAGE) + 500), "4.emlx"))
    assert truncated.status == Status.PARTIAL and truncated.title == "Sign-off on the May release"
    assert truncated.error == f"truncated: {len(MESSAGE):,} of the {len(MESSAGE) + 500:,} message bytes it declares"
    bad_plist = extract(Source.from_bytes(emlx(plist=b"<?xml version='1.0'?><plist><dict><key>"), "5.emlx"))
    assert bad_plist.status == Status.OK and bad_plist.facts["apple_mail_plist"].startswith("unreadable")
    assert bad_plist.text == "We accept the release as delivered."


def test_an_emlx_goes_through_the_archive_as_an_email(archive: Archive, tmp_path: Path) -> None:
    got = ingest_hostile(archive, tmp_path, "12345.emlx", emlx())
    assert (got.item.kind, got.item.status, got.item.title) == ("email", "ok", "Sign-off on the May release")
    assert got.item.occurred_at is not None and got.item.date_source == "email_header"
    assert json.loads(got.item.facts_json)["apple_mail_flags"] == ["read", "flagged"]
