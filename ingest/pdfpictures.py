"""Pictures of PDF pages for OCR: a page's embedded scan as stored, or a render of it.

Split from ``pdfpages`` (which reads text layers). PDFium is not thread-safe: every call
into it holds ``PDFIUM_LOCK``; the pictures are handed to the OCR pool one at a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .errors import LimitReached
from .limits import Limits
from .ocr import PageImage, page_image
from .pdfpages import PDFIUM_LOCK

__all__ = ["OCR_DPI", "Picture", "check_image_pixels", "page_pictures", "render_page"]

OCR_DPI = 300  # what Tesseract is trained for; more is slower without reading better

# Embedded scans are OCR'd as they are (no render) only within this resolution band: a
# 72 dpi fax reads far better rendered up to 300 dpi, and a 600 dpi scan is slow to read.
_EMBEDDED_DPI = (200.0, 420.0)
_JPEG_PASSTHROUGH = {pdfium_c.FPDF_COLORSPACE_DEVICEGRAY, pdfium_c.FPDF_COLORSPACE_DEVICERGB}
_PLAIN_COLOURSPACES = {
    pdfium_c.FPDF_COLORSPACE_DEVICEGRAY,
    pdfium_c.FPDF_COLORSPACE_DEVICERGB,
    pdfium_c.FPDF_COLORSPACE_CALGRAY,
    pdfium_c.FPDF_COLORSPACE_CALRGB,
    pdfium_c.FPDF_COLORSPACE_ICCBASED,
}


@dataclass(frozen=True)
class Picture:
    """Where an OCR'd picture sits on its page, for laying its words over the original.

    ``image_matrix`` is the embedded image's placement (unit square → page space) when the
    picture is the page's own scan; ``None`` means a render of the whole visible page.
    """

    number: int  # 1-based page number
    image_matrix: tuple[float, float, float, float, float, float] | None = None


def check_image_pixels(page: pdfium.PdfPage, number: int, limits: Limits) -> None:
    """Refuses a page carrying an image whose decoded size would be a decompression bomb."""
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)):
        width, height = obj.get_px_size()
        if width * height > limits.max_image_pixels:
            raise LimitReached(
                f"page {number} has a {width:,}x{height:,}-pixel image, over max_image_pixels "
                f"({limits.max_image_pixels:,})"
            )


def _embedded_scan(page: pdfium.PdfPage) -> tuple[PageImage, tuple[float, ...]] | None:
    """The page's scan as stored, when the page is exactly one upright full-page image."""
    if page.get_rotation() % 360:
        return None  # shown turned (/Rotate): the render shows it the way people read it
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    image = objects[0]
    matrix = image.get_matrix().get()
    a, b, c, d, _, _ = matrix
    if b or c or a <= 0 or d <= 0:
        return None  # rotated, sheared or flipped placement: let the renderer handle it
    width_pt, height_pt = page.get_size()
    if a * d < 0.9 * width_pt * height_pt:
        return None  # not the whole page: other marks may sit around it
    px_w, px_h = image.get_px_size()
    dpi = px_w / (a / 72.0)
    if not _EMBEDDED_DPI[0] <= dpi <= _EMBEDDED_DPI[1]:
        return None
    meta = image.get_metadata()
    if meta.colorspace not in _PLAIN_COLOURSPACES:
        return None  # masks, indexed or separation colour: only a render shows it right
    if image.get_filters(skip_simple=True) == ["DCTDecode"] and meta.colorspace in _JPEG_PASSTHROUGH:
        # a grey or RGB JPEG scan goes to tesseract as the very bytes in the PDF: no
        # decode here, no 8 MB PNM to write, and tesseract decodes it as fast as a PNM
        jpeg = bytes(image.get_data(decode_simple=True))  # undoes ASCII85 and the like
        if _jpeg_size(jpeg) == (px_w, px_h):
            return PageImage(jpeg, px_w, px_h, int(round(dpi))), tuple(matrix)
    # to_pil() shares the bitmap's buffer: copy the pixels out (page_image) while it lives
    picture = image.get_bitmap(render=False).to_pil()
    if picture.size != (px_w, px_h):
        return None
    return page_image(picture, int(round(dpi))), tuple(matrix)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's start-of-frame marker, None if it is not a clean JPEG."""
    if not data.startswith(b"\xff\xd8"):
        return None
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            width = int.from_bytes(data[at + 7 : at + 9], "big")
            return width, height
        at += 2 + length
    return None


def render_page(page: pdfium.PdfPage, number: int, limits: Limits) -> PageImage:
    width_pt, height_pt = page.get_size()
    scale = OCR_DPI / 72.0
    pixels = width_pt * scale * height_pt * scale
    if pixels > limits.max_image_pixels:
        # an oversized page (a poster, a drawing) is read at a lower resolution instead
        scale *= math.sqrt(limits.max_image_pixels / pixels)
    if scale * 72.0 < 20:
        raise LimitReached(f"page {number} is too large to render within max_image_pixels")
    # to_pil() shares the bitmap's buffer: page_image copies the pixels out while it lives
    picture = page.render(scale=scale, grayscale=True).to_pil()
    return page_image(picture, int(round(scale * 72.0)))


def page_pictures(
    doc: pdfium.PdfDocument, numbers: Sequence[int], limits: Limits, placed: list[Picture]
) -> Iterator[PageImage]:
    """Pictures of pages ``numbers`` (1-based) for OCR, one at a time, appending to ``placed``.

    A page that is a single upright scan is handed over as stored (0.03 s vs 0.18 s a
    page to render); anything else is rendered at 300 dpi, in grey.
    """
    for number in numbers:
        with PDFIUM_LOCK:
            page = doc[number - 1]
            try:
                check_image_pixels(page, number, limits)
                embedded = _embedded_scan(page)
                if embedded is not None:
                    image, matrix = embedded
                    placed.append(Picture(number, matrix))  # type: ignore[arg-type]
                else:
                    image = render_page(page, number, limits)
                    placed.append(Picture(number, None))
            finally:
                page.close()
        yield image
