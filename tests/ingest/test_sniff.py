from __future__ import annotations

import pytest

from ingest.sniff import looks_like_mbox_separator, sniff


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (b"", "x.pdf", "application/x-empty"),
        (b"%PDF-1.7\n", "x.bin", "application/pdf"),
        (b"junk junk %PDF-1.5\n", "x.pdf", "application/pdf"),
        (b"<!DOCTYPE html><html>", "invoice.pdf", "text/html"),
        (b"\x89PNG\r\n\x1a\n....", "x.jpg", "image/png"),
        (b"\xff\xd8\xff\xe0", "x", "image/jpeg"),
        (b"II*\x00", "x", "image/tiff"),
        (
            b"PK\x03\x04....word/document.xml",
            "x.zip",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (b"PK\x03\x04....data.csv", "x.docx", "application/zip"),
        (b"From: a@b.example\nSubject: hi\nDate: x\n\nbody", "notes.txt", "message/rfc822"),
        (b"From someone@x Mon Jan  1 00:00:00 2024\nFrom: a@b\n", "box", "application/mbox"),
        (b"From someone@x Mon Jan  1 00:00:00 2024\nFrom: a@b\n", "one.eml", "message/rfc822"),
        (b"# Minutes\n\nDate: 2024-01-01\n", "m.md", "text/markdown"),
        (b"Date,Direction,Contact\n", "calls.csv", "text/csv"),
        (b"\x00\x01\x02\x03\x04\x05\x06\x07" * 20, "x.eml", "application/octet-stream"),
        ("From: a@b.example\nTo: c@d.example\n\nx".encode("utf-16-le"), "u.eml", "message/rfc822"),
    ],
)
def test_sniff_by_content_first(head: bytes, name: str, expected: str) -> None:
    assert sniff(head, name) == expected


def test_mbox_separator_needs_a_date() -> None:
    assert looks_like_mbox_separator(b"From dana@x.example Mon Jan 15 09:12:00 2024\n")
    assert looks_like_mbox_separator(b"From - Tue Feb 21 10:04:06 2017\r\n")
    assert not looks_like_mbox_separator(b"From time to time we meet.\n")
