"""Hostile PDFs through the real ingest: a clear reason, the original kept, the batch goes on."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from app.archive import Archive
from ingest import Context, Limits, Source, Status, extract
from ingest.pdfbombs import refuse_flate_bombs
from tests.ingest.hostile import ingest_hostile
from tests.ingest.pdf_samples import build_pdf, circular_xref_pdf, image_bomb_pdf

MiB = 1024 * 1024


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _one_page(content: bytes, catalog_extra: bytes = b"", extra: tuple[bytes, ...] = ()) -> bytes:
    """A one-page PDF showing ``content`` in Helvetica; objects 6 on are ``extra``."""
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            content,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            *extra,
        ]
    )


def _says(words: str) -> bytes:
    return _stream(b"", b"BT /F1 24 Tf 72 700 Td (" + words.encode() + b") Tj ET")


def _flate_bomb(inflated: int) -> bytes:
    """Deflated zeros that inflate to ``inflated`` bytes (~1,000:1), built a MiB at a time."""
    packer = zlib.compressobj(9)
    zeros = bytes(MiB)
    return b"".join(packer.compress(zeros) for _ in range(inflated // MiB)) + packer.flush()


def test_circular_xref_reads(archive: Archive, tmp_path: Path) -> None:
    got = ingest_hostile(archive, tmp_path, "circular.pdf", circular_xref_pdf())
    assert got.item.status == "ok" and "Circular reference test" in got.item.text


def test_outline_cycle_reads(archive: Archive, tmp_path: Path) -> None:
    # the one bookmark is its own /Next, /Prev and /First: a walker that follows links loops
    loop = b"<< /Title (Loop) /Parent 6 0 R /Next 7 0 R /Prev 7 0 R /First 7 0 R /Last 7 0 R /Count 1 >>"
    outlines = b"<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 1 >>"
    data = _one_page(_says("Outline cycle page"), b"/Outlines 6 0 R ", (outlines, loop))
    got = ingest_hostile(archive, tmp_path, "outline.pdf", data)
    assert got.item.status == "ok" and "Outline cycle page" in got.item.text


def test_junk_after_eof_reads(archive: Archive, tmp_path: Path) -> None:
    data = _one_page(_says("Junk follows the end")) + b"\x00\xffGARBAGE trailer << /Root 99 0 R >>" * 5000
    got = ingest_hostile(archive, tmp_path, "junk.pdf", data)
    assert got.item.status == "ok" and "Junk follows the end" in got.item.text


def test_inline_image_without_ei_reads_the_text_before_it(archive: Archive, tmp_path: Path) -> None:
    content = b"BT /F1 24 Tf 72 700 Td (Before the inline image) Tj ET\nq 100 0 0 100 0 0 cm BI /W 10 /H 10 "
    content += b"/CS /G /BPC 8 ID " + b"\x00" * 50  # image data, then no EI and no end of stream
    got = ingest_hostile(archive, tmp_path, "inline.pdf", _one_page(_stream(b"", content)))
    assert got.item.status == "ok" and "Before the inline image" in got.item.text


def test_flate_bomb_in_a_content_stream_is_a_limit_not_a_blank_page(archive: Archive, tmp_path: Path) -> None:
    bomb = _flate_bomb(300 * MiB)  # over the default 256 MiB a stream; ~300 KB in the file
    data = _one_page(_stream(b"/Filter /FlateDecode", bomb))
    got = ingest_hostile(archive, tmp_path, "flate-bomb.pdf", data)
    assert got.item.status == "failed"
    assert got.item.error == (
        "limit: a compressed stream inflates past max_pdf_stream_bytes (268,435,456 bytes): a decompression bomb"
    )
    assert got.item.text == ""


def test_stream_cap_is_a_setting_and_streams_under_it_read() -> None:
    text = b"BT /F1 24 Tf 72 700 Td (Compressed page text) Tj ET\n" + b" " * (2 * MiB)
    data = _one_page(_stream(b"/Filter /FlateDecode", zlib.compress(text)))
    tight = extract(Source(filename="a.pdf", data=data), Context(limits=Limits(max_pdf_stream_bytes=MiB)))
    assert tight.status is Status.FAILED and tight.error is not None and tight.error.startswith("limit: ")
    roomy = extract(Source(filename="a.pdf", data=data), Context(limits=Limits(max_pdf_stream_bytes=4 * MiB)))
    assert roomy.status is Status.OK and "Compressed page text" in roomy.text


def test_image_claiming_huge_size_is_a_limit(archive: Archive, tmp_path: Path) -> None:
    got = ingest_hostile(archive, tmp_path, "image-bomb.pdf", image_bomb_pdf(20_000, 20_000))
    assert got.item.status == "failed"
    assert got.item.error is not None and got.item.error.startswith("limit: page 1 has a 20,000x20,000-pixel image")


def _encrypted(data: bytes, password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_flate_bomb_inside_an_encrypted_pdf_is_a_limit_once_decrypted() -> None:
    # the raw scan sees only ciphertext; the streams are measured after decryption
    bomb = _one_page(_stream(b"/Filter /FlateDecode", _flate_bomb(3 * MiB)))
    locked = _encrypted(bomb, "pw")
    tight = Context(limits=Limits(max_pdf_stream_bytes=2 * MiB), password="pw")
    # the scan of the raw bytes alone lets it through: the cipher hides the stream (a
    # random "x\xda" in the ciphertext is no zlib stream, so this holds every time)
    refuse_flate_bombs(locked, tight.limits)
    got = extract(Source(filename="locked.pdf", data=locked), tight)
    assert got.status is Status.FAILED and got.error is not None and "decompression bomb" in got.error
    fine = _encrypted(_one_page(_says("Locked but harmless")), "pw")
    read = extract(Source(filename="fine.pdf", data=fine), tight)
    assert read.status is Status.OK and "Locked but harmless" in read.text
