"""Skewed scans (up to ~15 degrees) are levelled before OCR, and the searchable copy's words
are turned back onto the skewed picture. Real Tesseract, one small picture per test."""

from __future__ import annotations

import io
import math

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFont

from ingest import Limits, Source, Status, extract
from ingest.deskew import straightening_angle
from ingest.ocr import ocr_image, page_image

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
LINES = ["Invoice overdue since March", "Payment due within thirty days", "Signed by Greg Halloran"]


@pytest.fixture(scope="module")
def level() -> Image.Image:
    image = Image.new("L", (1400, 700), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 48)
    for row, line in enumerate(LINES):
        draw.text((120, 180 + row * 110), line, font=font, fill=0)
    return image


def _skewed(image: Image.Image, degrees: float) -> Image.Image:
    """``image`` as if fed to the scanner turned ``degrees`` counter-clockwise."""
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


@pytest.mark.parametrize("degrees", [-14.0, -10.0, -3.0, 6.5, 10.0, 15.0])
def test_the_skew_is_measured(level: Image.Image, degrees: float) -> None:
    assert straightening_angle(_skewed(level, degrees)) == pytest.approx(-degrees, abs=0.5)


def test_a_level_or_barely_skewed_page_is_left_alone(level: Image.Image) -> None:
    assert straightening_angle(level) == 0.0
    assert straightening_angle(_skewed(level, 0.5)) == 0.0  # tesseract copes: no resampling


def test_a_picture_without_lines_of_text_is_left_alone() -> None:
    assert straightening_angle(Image.effect_noise((900, 1200), 70)) == 0.0
    assert straightening_angle(Image.new("L", (900, 1200), 255)) == 0.0


def test_a_scan_turned_ten_degrees_ocrs_to_the_right_words(level: Image.Image) -> None:
    result = ocr_image(page_image(_skewed(level, 10.0), 200), Limits())
    assert result.error is None
    assert result.skew == pytest.approx(-10.0, abs=0.5)
    assert result.text.split() == " ".join(LINES).split()


def test_the_searchable_copy_of_a_skewed_scan_lies_over_its_words(level: Image.Image) -> None:
    buf = io.BytesIO()
    _skewed(level, 10.0).save(buf, format="PNG", dpi=(200, 200))
    record = extract(Source.from_bytes(buf.getvalue(), "skewed-scan.png"))
    assert record.status is Status.OK
    assert record.text.split() == " ".join(LINES).split()
    page = pdfium.PdfDocument(record.derived[0].data)[0]
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    start, end = text.index("Signed"), text.index("Halloran") + len("Halloran")
    boxes = [textpage.get_charbox(i) for i in range(start, end) if not text[i].isspace()]
    (x0, y0), (x1, y1) = (((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in (boxes[0], boxes[-1]))
    # the invisible line climbs at the scan's 10 degrees (level, it would sit 0 degrees)
    assert math.degrees(math.atan2(y1 - y0, x1 - x0)) == pytest.approx(10.0, abs=1.5)
    picture = page.render(scale=200 / 72, grayscale=True).to_pil()
    scale = picture.width / page.get_size()[0]
    inked = 0
    for left, bottom, right, top in boxes:
        cx, cy = (left + right) / 2 * scale, picture.height - (bottom + top) / 2 * scale
        inked += picture.crop((int(cx) - 6, int(cy) - 6, int(cx) + 6, int(cy) + 6)).getextrema()[0] < 128
    assert inked >= 0.9 * len(boxes)  # each letter of the layer sits on the letter scanned
