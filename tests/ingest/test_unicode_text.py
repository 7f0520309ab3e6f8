"""Text in any Unicode form and script: UTF-16/UTF-32 by BOM or by content, and right-to-left
scripts (Arabic, Hebrew) kept whole, in notes and in PDFs' text layers."""

from __future__ import annotations

import io
import os

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from ingest import Kind, Source, Status, extract
from ingest.pdfpages import has_usable_text
from ingest.sniff import sniff, unicode_codec
from ingest.text import decode_bytes

NOTE = "This is the note from the kickoff meeting.\nGreg agreed to pay by 3 May 2024.\n"
ARABIC = "تم توقيع العقد بين الطرفين في مارس، والمبلغ المستحق خمسمائة دينار؟"
HEBREW = "החוזה נחתם היום בין הצדדים, והתשלום יבוצע בסוף החודש."
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # has Arabic and Hebrew glyphs


def _note(data: bytes, filename: str = "kickoff.txt"):
    return extract(Source.from_bytes(data, filename))


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_notes_without_a_bom_are_read_as_text(codec: str) -> None:
    record = _note(NOTE.encode(codec))
    assert record.status is Status.OK
    assert record.kind is Kind.NOTE
    assert record.text == NOTE.strip()
    assert record.title == "This is the note from the kickoff meeting."


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])  # Python writes the BOM for these
def test_utf16_and_utf32_notes_with_a_bom(codec: str) -> None:
    record = _note(NOTE.encode(codec))
    assert record.status is Status.OK
    assert record.text == NOTE.strip()


def test_a_utf32_bom_is_not_taken_for_a_utf16_one() -> None:
    data = NOTE.encode("utf-32-le")
    assert unicode_codec(b"\xff\xfe\x00\x00" + data) == "utf-32"
    assert decode_bytes(b"\xff\xfe\x00\x00" + data) == NOTE


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_rtl_text_in_utf16_without_a_bom_is_read(codec: str) -> None:
    # no NUL in every other byte here (Arabic is U+06xx): only the content says UTF-16
    record = _note(f"{ARABIC}\n{HEBREW}\n".encode(codec), "ملاحظات.txt")
    assert record.status is Status.OK
    assert record.text == f"{ARABIC}\n{HEBREW}"


def test_binary_bytes_with_zeros_are_not_taken_for_utf16() -> None:
    blob = os.urandom(3000) + b"\x00" * 200 + os.urandom(3000)
    assert unicode_codec(blob) is None
    assert sniff(blob, "data.txt") == "application/octet-stream"


def test_utf8_is_left_to_the_utf8_decoder() -> None:
    assert unicode_codec("plain text, café".encode()) is None


def test_arabic_and_hebrew_notes_keep_their_text_and_direction_marks() -> None:
    # RLM/LRM and an embedding (RLE ... PDF) are part of how RTL text is written
    text = f"\u200f{ARABIC}\n{HEBREW} \u202bעם סימון כיוון\u202c\nInvoice \u200e#42\u200e"
    record = _note(text.encode("utf-8"))
    assert record.status is Status.OK
    assert record.text == text
    assert record.title == f"\u200f{ARABIC}"


def _rtl_pdf(lines: list[str]) -> bytes:
    """A PDF of RTL lines as producers write them: glyphs placed right to left (visual order)."""
    pdfmetrics.registerFont(TTFont("DejaVuSans", SANS))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.setFont("DejaVuSans", 14)
    for row, line in enumerate(lines):
        pdf.drawRightString(520, 780 - 24 * row, line[::-1])
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def test_vowelled_arabic_and_pointed_hebrew_in_a_pdf_are_kept_from_its_text_layer() -> None:
    # (no mark right before a comma: _rtl_pdf's plain reversal would misplace it)
    vowelled = "هَذَا الْعَقْدُ مُوَقَّعٌ بَيْنَ الطَّرَفَيْنِ فِي مَارِس، وَالْمَبْلَغُ مُسْتَحَق؟"
    pointed = "הַחוֹזֶה נֶחְתַּם הַיּוֹם בֵּין הַצְּדָדִים"
    # combining marks once made every word "junk", and the page went to (English) OCR
    assert has_usable_text(f"{vowelled}\n{pointed}")
    record = extract(Source.from_bytes(_rtl_pdf([vowelled, pointed]), "عقد.pdf"))
    assert record.status is Status.OK
    assert [p.method for p in record.pages] == ["text_layer"]
    assert record.text == f"{vowelled}\n{pointed}"


def test_arabic_presentation_forms_in_a_pdf_come_out_as_plain_letters() -> None:
    shaped = "ﺍﻟﻌﻘﺪ ﻣﻮﻗﻊ ﻻ"  # the glyph code points some producers map text to
    record = extract(Source.from_bytes(_rtl_pdf([shaped]), "shaped.pdf"))
    assert record.text == "العقد موقع لا"  # what a reader types to search for it


def test_persian_with_zero_width_non_joiners_is_text() -> None:
    assert has_usable_text("می‌خواهم قرارداد را امضا کنم، لطفاً پرداخت کنید و")
