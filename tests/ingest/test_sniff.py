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


def _zip(members: list[tuple[str, str]]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members:
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, text, compress_type=method)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("members", "expected_type", "expected_status"),
    [
        (
            [("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", "<x/>")],
            "application/vnd.oasis.opendocument.text",
            "partial",
        ),
        (
            [("[Content_Types].xml", "<x/>"), ("xl/workbook.xml", "<x/>")],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "partial",
        ),
        ([("mimetype", "application/epub+zip"), ("META-INF/container.xml", "<x/>")], "application/epub+zip", "partial"),
        ([("a.txt", "hello")], "application/zip", "ok"),
    ],
)
def test_office_files_are_documents_not_folders(
    members: list[tuple[str, str]], expected_type: str, expected_status: str
) -> None:
    from ingest import Source, extract

    data = _zip(members)
    assert sniff(data[:8192], "upload") == expected_type
    record = extract(Source.from_bytes(data, "upload"))
    assert record.status == expected_status
    assert not list(record.children) or expected_type == "application/zip"
