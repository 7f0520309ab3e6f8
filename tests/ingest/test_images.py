"""Pictures of documents: every format we accept, multi-page TIFF, EXIF dates, searchable
PDFs, and pixel bombs. Images are generated with Pillow; OCR is real Tesseract."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime

import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader

from ingest import Context, DateSource, Limits, Source, Status, extract
from tests.ingest.ocr_accuracy import corpus_record, word_accuracy

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
LINES = ["Invoice INV-2024-031", "Payment due by 30 April 2024", "Thank you for your order"]


@pytest.fixture(scope="module")
def page() -> Image.Image:
    image = Image.new("RGB", (1400, 500), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 44)
    for row, line in enumerate(LINES):
        draw.text((80, 80 + row * 110), line, font=font, fill="black")
    return image


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **options)
    return buf.getvalue()


def _extract(data: bytes, name: str, **limits: object):
    return extract(Source.from_bytes(data, name), Context(limits=Limits(**limits)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fmt", "name", "content_type", "options"),
    [
        ("PNG", "scan.png", "image/png", {"dpi": (300, 300)}),
        ("JPEG", "photo.jpg", "image/jpeg", {"quality": 90}),
        ("WEBP", "shot.webp", "image/webp", {"quality": 90}),
        ("GIF", "fax.gif", "image/gif", {}),
        ("HEIF", "iphone.heic", "image/heic", {"quality": 90}),
    ],
)
def test_each_format_is_ocrd(
    page: Image.Image, fmt: str, name: str, content_type: str, options: dict[str, object]
) -> None:
    record = _extract(_encode(page, fmt, **options), name)
    assert record.status is Status.OK, record.error
    assert record.content_type == content_type
    assert record.title == name
    (only,) = record.pages
    assert only.method == "ocr" and only.engine and only.confidence is not None
    assert word_accuracy("\n".join(LINES), record.text) >= 0.9
    due = [m for m in record.date_mentions if m.label == "due"]
    assert [m.value.isoformat() for m in due] == ["2024-04-30"]


def test_multi_page_tiff_is_one_page_per_frame(page: Image.Image) -> None:
    frames = [page, page.rotate(0), page.transpose(Image.Transpose.FLIP_TOP_BOTTOM)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300))
    record = _extract(buf.getvalue(), "batch.tiff")
    assert record.status is Status.OK
    assert record.facts["page_count"] == 3
    assert [p.number for p in record.pages] == [1, 2, 3]
    assert record.text.count("\f") == 2
    assert "Invoice" in record.pages[0].text and "Invoice" in record.pages[1].text
    searchable = PdfReader(io.BytesIO(record.derived[0].data))
    assert len(searchable.pages) == 3
    assert "Invoice" in searchable.pages[1].extract_text()


def test_corpus_multi_page_tiff() -> None:
    record = corpus_record("images/paperless_multi-page-images.tiff")
    assert record.status is Status.OK
    assert [f"Page {n}." in p.text for n, p in enumerate(record.pages, 1)] == [True] * 3


def test_corpus_heic() -> None:
    record = corpus_record("images/paperless_simple.heic")
    assert record.status is Status.OK
    assert record.content_type == "image/heic"
    assert "PIZZA" in record.text.upper()


def test_searchable_pdf_from_image(page: Image.Image) -> None:
    data = _encode(page, "PNG")
    record = _extract(data, "scan.png")
    (derived,) = record.derived
    assert derived.role == "searchable_pdf"
    text = PdfReader(io.BytesIO(derived.data)).pages[0].extract_text()
    assert word_accuracy("\n".join(LINES), text) >= 0.9
    assert record.data is None  # the top-level bytes stay the caller's, unchanged
    assert _encode(page, "PNG") == data


def test_transparent_png_reads_as_black_on_white(page: Image.Image) -> None:
    rgba = Image.new("RGBA", page.size, (0, 0, 0, 0))  # transparent black background
    rgba.paste((0, 0, 0, 255), mask=page.convert("L").point(lambda v: 255 - v))
    record = _extract(_encode(rgba, "PNG"), "cutout.png")
    assert record.status is Status.OK
    assert "Thank you" in record.text


def test_exif_date_is_metadata_when_text_has_none() -> None:
    image = Image.new("RGB", (600, 200), "white")
    ImageDraw.Draw(image).text((20, 60), "Receipt", font=ImageFont.truetype(FONT, 40), fill="black")
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = "2024:02:03 14:05:06"
    exif.get_ifd(0x8769)[36881] = "+02:00"
    record = _extract(_encode(image, "JPEG", exif=exif.tobytes()), "receipt.jpg")
    assert record.occurred is not None
    assert record.occurred.source is DateSource.DOCUMENT_METADATA
    assert record.occurred.detail == "EXIF DateTimeOriginal"
    assert record.occurred.at == datetime(2024, 2, 3, 12, 5, 6, tzinfo=UTC)


def test_exif_rotation_is_applied(page: Image.Image) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to view": the stored pixels are on their side
    stored = page.rotate(90, expand=True)
    record = _extract(_encode(stored, "JPEG", exif=exif.tobytes(), quality=90), "phone.jpg")
    assert word_accuracy("\n".join(LINES), record.text) >= 0.9


def _png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` white pixels: tiny file, huge picture."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_decompression_bomb_fails_as_limit() -> None:
    bomb = _png_bomb(30_000, 30_000)  # 900 million pixels in ~100 KB
    assert len(bomb) < 1_000_000
    record = _extract(bomb, "bomb.png")
    assert record.status is Status.FAILED
    assert record.error == (
        "limit: 900,000,000-pixel image is over max_image_pixels (80,000,000): a decompression bomb"
    )
    assert not record.pages


def test_pillow_bomb_warning_is_an_error_too() -> None:
    # just over the configured limit: Pillow itself would only warn
    record = _extract(_png_bomb(1100, 1000), "big.png", max_image_pixels=1_000_000)
    assert record.status is Status.FAILED
    assert record.error.startswith("limit: ")


def test_truncated_image_is_corrupt(page: Image.Image) -> None:
    data = _encode(page, "PNG")
    record = _extract(data[: len(data) // 3], "cut.png")
    assert record.status is Status.FAILED
    assert record.error.startswith("corrupt: ")
    assert "\n" not in record.error
