"""Pictures with no text over them, on pages that do have a text layer.

A scanned signature page pasted under a typed header, a photographed receipt on a cover
sheet: the page has real text, so it is not OCR'd as a scan would be, yet most of what it
says is in the picture. Such a picture is OCR'd on its own (the page is rendered cropped
to it) and its text appended to the page's, the page's method then "text_layer+ocr".

Ordinary text pages must not pay for this, so a picture qualifies only when it covers at
least ``_MIN_SHARE`` of the page (a logo, a letterhead strip or a signature scrawl does
not) and the text layer has (next to) nothing over it: a searchable scan, whose invisible
words lie over its picture, is already read. The search happens while ``page_texts`` has
each page open, with raw PDFium calls (no Python object per page object): a text page
costs a look at the type of each of its objects (measured on 906 corpus pages: ~0.3 ms a
page, against ~1.2 ms to read its text). What tesseract makes of a photograph or a chart
is not appended: only a reading that reads as text (``has_usable_text``).
"""

from __future__ import annotations

import ctypes
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .errors import LimitReached
from .limits import Limits
from .ocr import OcrResult, PageImage, page_image
from .pdfpages import PDFIUM_LOCK, has_usable_text, tidy
from .pdfpictures import OCR_DPI, check_image_pixels, render_page
from .records import Page
from .searchable import Matrix, multiply

__all__ = ["Region", "RegionFinder", "region_pictures", "with_picture_text"]

log = logging.getLogger(__name__)

_MIN_SHARE = 0.10  # of the page's area
_MAX_PER_PAGE = 4
_CHARS_PER_SQUARE_INCH = 2.0  # typed text runs at ~50-100 a square inch; a caption far below
_MIN_CHARS = 10
_FORM_DEPTH = 4  # form XObjects inside form XObjects, looked into for a picture
_FORM_OBJECTS = 2_000  # objects looked at inside one form XObject
_MIN_CONFIDENCE = 40.0  # below it, a picture's "text" is tesseract reading shapes

Box = tuple[float, float, float, float]  # left, bottom, right, top in page space


@dataclass(frozen=True)
class Region:
    """A picture to OCR on page ``number``: ``box`` in page space, or None for the whole
    page (a page shown turned by /Rotate is read whole, its render being upright: its
    typed text is then in the OCR's reading too)."""

    number: int
    box: Box | None

    def image_matrix(self) -> Matrix | None:
        """The box as an image placement (unit square onto the box) for the searchable copy."""
        if self.box is None:
            return None
        left, bottom, right, top = self.box
        return (right - left, 0.0, 0.0, top - bottom, left, bottom)


def _bounds(obj: ctypes.c_void_p) -> Box | None:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
        return None
    return left.value, bottom.value, right.value, top.value


_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _matrix(obj: ctypes.c_void_p) -> Matrix:
    found = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, found):
        return _IDENTITY
    return found.a, found.b, found.c, found.d, found.e, found.f


def _placed(box: Box, m: Matrix) -> Box:
    """``box`` (in a form XObject's space) where matrix ``m`` puts it on the page."""
    a, b, c, d, e, f = m
    corners = [(x, y) for x in (box[0], box[2]) for y in (box[1], box[3])]
    xs = [a * x + c * y + e for x, y in corners]
    ys = [b * x + d * y + f for x, y in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _image_boxes(handle: ctypes.c_void_p, in_form: bool, to_page: Matrix, depth: int, out: list[Box]) -> None:
    """Page-space boxes of the images drawn by a page (or a form XObject on it, ``in_form``),
    looking into forms a few levels deep. PDFium gives the bounds of an object inside a form
    in the form's own space, so each form's matrix is applied on the way out."""
    count = pdfium_c.FPDFFormObj_CountObjects(handle) if in_form else pdfium_c.FPDFPage_CountObjects(handle)
    get = pdfium_c.FPDFFormObj_GetObject if in_form else pdfium_c.FPDFPage_GetObject
    for index in range(min(max(count, 0), _FORM_OBJECTS if in_form else count)):
        obj = get(handle, index)
        kind = pdfium_c.FPDFPageObj_GetType(obj) if obj else -1
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            box = _bounds(obj)
            if box is not None:
                out.append(_placed(box, to_page) if in_form else box)
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < _FORM_DEPTH:
            inner = multiply(_matrix(obj), to_page) if in_form else _matrix(obj)
            _image_boxes(obj, True, inner, depth + 1, out)


def _picture_boxes(page: pdfium.PdfPage) -> list[Box]:
    """Boxes (clipped to the crop box) of the page's pictures covering ``_MIN_SHARE`` of it."""
    crop_left, crop_bottom, crop_right, crop_top = page.get_cropbox()
    page_area = (crop_right - crop_left) * (crop_top - crop_bottom)
    if page_area <= 0:
        return []
    found: list[Box] = []
    _image_boxes(page.raw, False, _IDENTITY, 0, found)
    boxes: list[Box] = []
    for box in found:
        left, bottom = max(box[0], crop_left), max(box[1], crop_bottom)
        right, top = min(box[2], crop_right), min(box[3], crop_top)
        if right > left and top > bottom and (right - left) * (top - bottom) >= _MIN_SHARE * page_area:
            boxes.append((left, bottom, right, top))
    return sorted(boxes, key=lambda b: -b[3])[:_MAX_PER_PAGE]  # top to bottom, as read


class RegionFinder:
    """Handed to ``page_texts``: notes each page's unread pictures while the page is open."""

    def __init__(self) -> None:
        self._found: dict[int, list[Region]] = {}

    def __call__(self, number: int, page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> None:
        boxes = _picture_boxes(page)
        if not boxes:
            return
        unread: list[Box] = []
        for box in boxes:
            covering = textpage.get_text_bounded(*box)
            chars = len("".join(covering.split()))
            square_inches = (box[2] - box[0]) * (box[3] - box[1]) / (72.0 * 72.0)
            if chars < max(_MIN_CHARS, _CHARS_PER_SQUARE_INCH * square_inches):
                unread.append(box)
        if not unread:
            return
        if page.get_rotation() % 360:
            self._found[number] = [Region(number, None)]
        else:
            self._found[number] = [Region(number, box) for box in unread]

    def regions(self, numbers: Sequence[int]) -> list[Region]:
        """The regions found on pages ``numbers`` (those whose text layer was kept)."""
        return [region for number in numbers for region in self._found.get(number, [])]


def _render_box(page: pdfium.PdfPage, region: Region, limits: Limits) -> PageImage:
    """The page rendered at 300 dpi (less if over ``max_image_pixels``), cropped to the box."""
    assert region.box is not None
    left, bottom, right, top = region.box
    crop_left, crop_bottom, crop_right, crop_top = page.get_cropbox()
    scale = OCR_DPI / 72.0
    pixels = (right - left) * scale * (top - bottom) * scale
    if pixels > limits.max_image_pixels:
        scale *= math.sqrt(limits.max_image_pixels / pixels)
    crop = (left - crop_left, bottom - crop_bottom, crop_right - right, crop_top - top)
    picture = page.render(scale=scale, crop=tuple(max(0.0, c) for c in crop), grayscale=True).to_pil()
    return page_image(picture, int(round(scale * 72.0)))


def region_pictures(
    doc: pdfium.PdfDocument, regions: Sequence[Region], limits: Limits, placed: list[Region]
) -> Iterator[PageImage]:
    """A picture of each region for OCR, appending each region to ``placed`` as it is
    drawn. A region that cannot be drawn (an image over ``max_image_pixels``, a render
    PDFium refuses) is skipped: the page keeps its text layer."""
    for region in regions:
        with PDFIUM_LOCK:
            page = doc[region.number - 1]
            try:
                check_image_pixels(page, region.number, limits)
                if region.box is None:
                    image = render_page(page, region.number, limits)
                else:
                    image = _render_box(page, region, limits)
            except (LimitReached, pdfium.PdfiumError) as exc:
                log.info("picture on page %d not OCR'd: %s", region.number, exc)
                continue
            finally:
                page.close()
        placed.append(region)
        yield image


def with_picture_text(page: Page, result: OcrResult) -> Page:
    """``page`` with the OCR of one of its pictures appended (method "text_layer+ocr"),
    or with the reason it could not be read; unchanged if the picture holds no text."""
    if result.error is not None:
        return replace(page, error=f"a picture on the page could not be OCR'd: {result.error}")
    text = tidy(result.text)
    if not text or (result.confidence or 0.0) < _MIN_CONFIDENCE or not has_usable_text(text):
        return page  # a photograph, a blank, a chart: what tesseract makes of it is noise
    confidence = result.confidence
    if page.method == "text_layer+ocr" and page.confidence is not None and confidence is not None:
        confidence = min(confidence, page.confidence)  # the page is as sure as its worst picture
    return replace(
        page,
        text=f"{page.text}\n\n{text}" if page.text else text,
        method="text_layer+ocr",
        confidence=confidence,
        engine=result.engine or page.engine,
    )
