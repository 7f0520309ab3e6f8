"""Pictures with no text over them on pages that have a text layer: OCR'd and appended to
the page (method "text_layer+ocr"); a small logo, or a scan under its own invisible text,
is not. Real Tesseract, one small picture per test."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from ingest import Source, Status, extract

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
SIGNED = ["Signed by Greg Halloran", "Approved for payment"]


def _picture(lines: list[str]) -> Image.Image:
    image = Image.new("RGB", (1500, 900), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 60)
    for row, line in enumerate(lines):
        draw.text((80, 200 + 200 * row), line, font=font, fill="black")
    return image


def _typed_page_with_picture(box: tuple[float, float, float, float], words_over: Sequence[str] = ()) -> bytes:
    """An A4 page: a typed header, ``_picture(SIGNED)`` placed at ``box`` (x, y, w, h)."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    pdf.drawString(72, 800, "Exhibit C: signature page")
    pdf.drawString(72, 784, "Agreement between Whitfield Digital and Northwind Retail")
    x, y, width, height = box
    pdf.drawImage(ImageReader(_picture(SIGNED)), x, y, width=width, height=height)
    for row, line in enumerate(words_over):  # text drawn over the picture
        pdf.drawString(x + 10, y + height - 20 - 14 * row, line)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def test_a_scanned_picture_on_a_typed_page_is_ocrd_and_appended() -> None:
    record = extract(Source.from_bytes(_typed_page_with_picture((72, 300, 450, 270)), "exhibit-c.pdf"))
    assert record.status is Status.OK
    (page,) = record.pages
    assert page.method == "text_layer+ocr"
    assert page.engine and page.engine.startswith("tesseract")
    typed = "Exhibit C: signature page\nAgreement between Whitfield Digital and Northwind Retail"
    assert page.text.startswith(typed + "\n\n")  # the text layer, then the picture's words
    assert "Signed by Greg Halloran" in page.text and "Approved for payment" in page.text
    assert record.facts["ocr_picture_pages"] == [1]
    assert record.facts["ocr_pages"] == []  # the page itself kept its text layer


def test_the_searchable_copy_lays_the_pictures_words_over_the_picture() -> None:
    record = extract(Source.from_bytes(_typed_page_with_picture((72, 300, 450, 270)), "exhibit-c.pdf"))
    (copy,) = record.derived
    page = pdfium.PdfDocument(copy.data)[0]
    over_picture = page.get_textpage().get_text_bounded(72, 300, 522, 570)
    assert "Greg Halloran" in over_picture


def test_a_small_logo_on_a_text_page_is_not_ocrd() -> None:
    record = extract(Source.from_bytes(_typed_page_with_picture((450, 760, 100, 60)), "letter.pdf"))
    (page,) = record.pages
    assert page.method == "text_layer"
    assert "Halloran" not in page.text
    assert "ocr_picture_pages" not in record.facts


def test_a_picture_under_its_own_text_is_not_ocrd_again() -> None:
    # as a searchable scan is: the picture's words already lie over it in the text layer
    lines = [f"Line {n} of the text layer that covers this picture entirely" for n in range(18)]
    record = extract(Source.from_bytes(_typed_page_with_picture((72, 300, 450, 270), lines), "searchable.pdf"))
    (page,) = record.pages
    assert page.method == "text_layer"
    assert "Halloran" not in page.text


def test_a_picture_inside_a_form_xobject_is_found_where_the_form_puts_it() -> None:
    # a page stamped, scaled, onto another (as imposition and "print to PDF" tools do): the
    # picture's box is in the form's own space and must be carried onto the page
    source = pdfium.PdfDocument(_typed_page_with_picture((72, 300, 450, 270)))
    stamped = pdfium.PdfDocument.new()
    form = source.page_as_xobject(0, stamped).as_pageobject()
    form.transform(pdfium.PdfMatrix().scale(0.8, 0.8).translate(60, 100))
    page = stamped.new_page(595, 842)
    page.insert_obj(form)
    page.gen_content()
    buf = io.BytesIO()
    stamped.save(buf)
    record = extract(Source.from_bytes(buf.getvalue(), "stamped.pdf"))
    (read,) = record.pages
    assert read.method == "text_layer+ocr"
    assert "Signed by Greg Halloran" in read.text


def test_a_small_picture_inside_a_form_xobject_is_not_ocrd() -> None:
    source = pdfium.PdfDocument(_typed_page_with_picture((450, 760, 100, 60)))
    stamped = pdfium.PdfDocument.new()
    form = source.page_as_xobject(0, stamped).as_pageobject()  # the form spans the whole page
    page = stamped.new_page(595, 842)
    page.insert_obj(form)
    page.gen_content()
    buf = io.BytesIO()
    stamped.save(buf)
    (read,) = extract(Source.from_bytes(buf.getvalue(), "stamped-letter.pdf")).pages
    assert read.method == "text_layer"


def test_a_photograph_on_a_text_page_adds_no_noise() -> None:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    pdf.drawString(72, 800, "Site visit: the damaged shop front")
    pdf.drawImage(ImageReader(Image.effect_noise((600, 400), 90).convert("RGB")), 72, 300, width=450, height=300)
    pdf.showPage()
    pdf.save()
    (page,) = extract(Source.from_bytes(buf.getvalue(), "site-visit.pdf")).pages
    assert (page.method, page.text) == ("text_layer", "Site visit: the damaged shop front")
