"""Pictures inside .docx files are OCR'd and their text put where each stands; photographs
and logos add nothing; a pixel bomb leaves the note partial, its text kept."""

from __future__ import annotations

import io
import struct
import zlib

from docx import Document
from docx.shared import Inches
from PIL import Image, ImageDraw, ImageFont

from ingest import Source, Status, extract

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def _png(image: Image.Image) -> io.BytesIO:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    buf.seek(0)
    return buf


def _text_picture() -> io.BytesIO:
    image = Image.new("L", (900, 300), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 44)
    draw.text((40, 60), "Approved by Greg Halloran", font=font, fill=0)
    draw.text((40, 160), "Payment due 3 May 2024", font=font, fill=0)
    return _png(image)


def _docx(*pictures: io.BytesIO) -> bytes:
    document = Document()
    document.add_heading("Kickoff meeting", 1)
    document.add_paragraph("We met the client on site.")
    for picture in pictures:
        document.add_picture(picture, width=Inches(3))
    document.add_paragraph("After the picture.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_picture_of_text_is_read_into_the_note_where_it_stands() -> None:
    record = extract(Source.from_bytes(_docx(_text_picture()), "kickoff.docx"))
    assert record.status is Status.OK
    assert record.text == (
        "Kickoff meeting\nWe met the client on site.\n\n[picture image1.png, read by OCR]\n"
        "Approved by Greg Halloran\n\nPayment due 3 May 2024\n\nAfter the picture."
    )
    assert record.facts["ocr_pictures"] == 1


def test_a_photograph_adds_no_noise() -> None:
    record = extract(Source.from_bytes(_docx(_png(Image.effect_noise((300, 300), 80))), "site-visit.docx"))
    assert record.status is Status.OK
    # the picture's own paragraph is an empty line, as it always was
    assert record.text == "Kickoff meeting\nWe met the client on site.\n\nAfter the picture."
    assert "ocr_pictures" not in record.facts


def _png_bomb(width: int, height: int) -> io.BytesIO:
    """A PNG header declaring ``width`` x ``height`` pixels over a tiny body."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
    return io.BytesIO(data + chunk(b"IEND", b""))


def test_a_pixel_bomb_picture_leaves_the_note_partial_with_its_text() -> None:
    record = extract(Source.from_bytes(_docx(_png_bomb(30_000, 30_000)), "bomb.docx"))
    assert record.status is Status.PARTIAL
    assert record.error.startswith("not every picture could be read: picture image1.png: limit: ")
    assert record.text == "Kickoff meeting\nWe met the client on site.\n\nAfter the picture."
