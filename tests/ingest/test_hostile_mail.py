"""Hostile email through the real ingest: MIME structure bombs, attachment names that are
paths or tricks, and subjects written to break out of a CSV cell or a header."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.archive import Archive
from app.bundle import export_bundle
from app.config import Settings
from app.main import create_app
from app.timeline import build_timeline, render_csv
from ingest.names import MAX_NAME
from tests.ingest.hostile import ingest_hostile

HEAD = (
    b"From: Greg <greg@northwind-retail.example>\r\nTo: dana@whitfield-digital.example\r\n"
    b"Date: Mon, 13 May 2024 10:00:00 +0100\r\nMessage-ID: <hostile@test.example>\r\n"
)


def _message(subject: bytes = b"Hello", extra: bytes = b"", body: bytes = b"MIME-Version: 1.0\r\n\r\nx\r\n") -> bytes:
    return HEAD + b"Subject: " + subject + b"\r\n" + extra + body


def _with_attachment(disposition: bytes) -> bytes:
    body = (
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--B\r\nContent-Type: text/plain\r\nContent-Disposition: " + disposition
        + b"\r\n\r\nattached words\r\n--B--\r\n"
    )
    return _message(body=body)


# ---- structure bombs -------------------------------------------------------------------


def test_mime_nested_1000_deep_is_a_limit(archive: Archive, tmp_path: Path) -> None:
    body = b"Content-Type: text/plain\r\n\r\ninnermost\r\n"
    for level in range(1000):
        body = (
            b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
            + body
            + b"\r\n--b%d--\r\n" % level
        )
    got = ingest_hostile(archive, tmp_path, "deep.eml", _message(body=b"MIME-Version: 1.0\r\n" + body))
    assert got.item.status == "failed"
    assert got.item.error is not None and got.item.error.startswith("limit: ")
    assert "nested" in got.item.error


def test_10000_mime_parts_is_a_limit(archive: Archive, tmp_path: Path) -> None:
    parts = b"".join(b"--B\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(10_000))
    body = b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" + parts + b"--B--\r\n"
    got = ingest_hostile(archive, tmp_path, "parts.eml", _message(body=body))
    assert (got.item.status, got.item.error) == ("failed", "limit: more than 500 MIME parts")
    assert got.children == []


def test_8000_encoded_words_decode(archive: Archive, tmp_path: Path) -> None:
    words = b" ".join(b"=?utf-8?q?w%d_?=" % i for i in range(8_000))
    got = ingest_hostile(archive, tmp_path, "words.eml", _message(subject=words))
    assert got.item.status == "ok"
    assert got.item.title.startswith("w0 w1 w2 w3") and "=?" not in got.item.title  # decoded (the title is cut short)


def test_200k_header_lines_is_a_limit(archive: Archive, tmp_path: Path) -> None:
    lines = b"".join(b"X-Filler-%d: v\r\n" % i for i in range(200_000))
    got = ingest_hostile(archive, tmp_path, "lines.eml", _message(extra=lines))
    assert (got.item.status, got.item.error) == ("failed", "limit: header block larger than 262,144 bytes")


# ---- attachment names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disposition", "stored"),
    [
        (b'attachment; filename="../../etc/passwd"', "passwd"),
        (b'attachment; filename="/etc/cron.d/evil"', "evil"),
        (b'attachment; filename="C:\\\\Windows\\\\win.ini"', "win.ini"),
        (b'attachment; filename=".."', "attachment-1"),
        (b'attachment; filename="=?utf-8?q?a=00b.txt?="', "ab.txt"),  # NUL, encoded
        (b"attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe", "invoicefdp.exe"),  # RTL override
        (b'attachment; filename="CON"', "_CON"),
        (b'attachment; filename="nul.txt"', "_nul.txt"),
        (b'attachment; filename="report. . "', "report"),
        (b'attachment; filename="' + b"x" * 300 + b'.pdf"', "x" * (MAX_NAME - 4) + ".pdf"),
    ],
)
def test_attachment_names_are_stored_as_one_safe_name(
    archive: Archive, tmp_path: Path, disposition: bytes, stored: str
) -> None:
    got = ingest_hostile(archive, tmp_path, "named.eml", _with_attachment(disposition))
    assert got.item.status == "ok"
    [attachment] = got.children
    assert attachment.original_filename == stored
    assert attachment.text == "attached words"


@pytest.mark.parametrize("name", ["nul.eml", "nul-upload"])  # with and without the telling extension
def test_a_raw_nul_in_a_header_is_still_mail_and_shown_without_it(archive: Archive, tmp_path: Path, name: str) -> None:
    got = ingest_hostile(archive, tmp_path, name, _message(subject=b"Staging\x00 feedback\x00",
                                                           extra=b"Cc: Ann\x00 <ann@x.example>\r\n"))
    assert got.item.kind == "email" and got.item.status == "ok"
    assert got.item.title == "Staging feedback"
    assert got.item.occurred_at is not None and got.item.date_source == "email_header"


# ---- injection through the subject -----------------------------------------------------

_FORMULA = b"=?utf-8?q?=3Dcmd|'_/C_calc'!A0=0D=0AInjected:_yes?="  # =cmd|' /C calc'!A0 CR LF Injected: yes


def test_formula_subject_is_text_in_the_timeline_csv(archive: Archive, tmp_path: Path) -> None:
    got = ingest_hostile(archive, tmp_path, "formula.eml", _message(subject=_FORMULA))
    assert got.item.title == "=cmd|' /C calc'!A0 Injected: yes"  # CR LF folded away, one line
    rows = list(csv.reader(io.StringIO(render_csv(build_timeline(archive, client="northwind")))))
    titles = [row[2] for row in rows[1:]]
    assert "'=cmd|' /C calc'!A0 Injected: yes" in titles
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)


def test_formula_subject_is_text_in_the_bundle_index_and_names(archive: Archive, tmp_path: Path) -> None:
    ingest_hostile(archive, tmp_path, "formula.eml", _message(subject=_FORMULA))
    out = tmp_path / "out"
    out.mkdir()
    summary = export_bundle(archive, client="northwind", out=out, as_of=date(2024, 6, 1))
    with zipfile.ZipFile(summary.path) as bundle:
        names = bundle.namelist()
        index = bundle.read("index.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(index)))
    assert any("'=cmd|' /C calc'!A0 Injected: yes" in row for row in rows)
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)
    assert all("|" not in name and "\r" not in name and "\n" not in name and "=" not in name for name in names)


def test_attachment_name_cannot_inject_a_download_header(archive: Archive, settings: Settings, tmp_path: Path) -> None:
    hostile = _with_attachment(b'attachment; filename="=?utf-8?q?a=0D=0ASet-Cookie:_x=3D1;_b.txt?="')
    got = ingest_hostile(archive, tmp_path, "header.eml", hostile)
    [attachment] = got.children
    assert attachment.original_filename == "aSet-Cookie: x=1; b.txt"
    with TestClient(create_app(settings)) as client:
        response = client.get(f"/api/items/{attachment.id}/original")
    assert response.status_code == 200 and response.content == b"attached words"
    assert "set-cookie" not in response.headers
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "\r" not in disposition and "\n" not in disposition
