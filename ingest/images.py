"""Pictures of documents (PNG, JPEG, TIFF incl. multi-page, GIF, WebP, HEIC): OCR'd with
Tesseract, one page per frame, and wrapped into a searchable PDF.

Pixel bombs are refused before decoding: each frame's declared size is checked against
``Limits.max_image_pixels``, and Pillow's own ``DecompressionBombWarning`` is an error
while we decode, so a bomb ends as ``failed: limit ...``, never as an empty page.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter

from .dates import as_aware
from .docdates import date_facts, document_dates, occurred_from
from .errors import Corrupt, LimitReached
from .limits import Limits
from .ocr import PageImage, ocr_pages, page_image
from .pdfpages import tidy
from .records import DatedValue, DateSource, Derived, Kind, Page, Record, Status
from .registry import register
from .searchable import Layer, overlay_layers, pdf_ready, searchable_derived
from .source import Context, Source

__all__ = ["ImageExtractor", "exif_date", "open_image", "pixel_guard"]

pillow_heif.register_heif_opener()

# Frames we OCR: every page of a TIFF (a scanner's multi-page output); only the first
# frame of a GIF or WebP, whose other frames are animation, not pages.
_PAGED_FORMATS = {"TIFF", "MPO"}
_CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "TIFF": "image/tiff",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "HEIF": "image/heic",
    "BMP": "image/bmp",
}
_DPI_RANGE = (150.0, 1200.0)  # outside it a stated dpi is a default, not a scan's


@contextmanager
def pixel_guard(limits: Limits) -> Iterator[None]:
    """Within it, Pillow refuses images over ``max_image_pixels`` (as ``LimitReached``)."""
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)):,}-pixel " if found else ""
        raise LimitReached(
            f"{size}image is over max_image_pixels ({limits.max_image_pixels:,}): a decompression bomb"
        ) from exc
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def _check_pixels(image: Image.Image, frame: int, limits: Limits) -> None:
    width, height = image.size
    if width * height > limits.max_image_pixels:
        where = f"frame {frame + 1} is" if frame else "image is"
        raise LimitReached(f"{where} {width:,}x{height:,} pixels, over max_image_pixels ({limits.max_image_pixels:,})")


def open_image(data: bytes, limits: Limits) -> Image.Image:
    """The image header-parsed (not yet decoded), refusing bombs and unreadable bytes."""
    with pixel_guard(limits):
        try:
            image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError as exc:
            raise Corrupt("not a readable image") from exc
    _check_pixels(image, 0, limits)
    return image


def _dpi(image: Image.Image) -> int:
    """The scan resolution if the file states a believable one, else 0 (tesseract guesses)."""
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if isinstance(dpi, tuple) else float(dpi or 0)
    except (TypeError, ValueError):
        return 0
    return int(round(value)) if _DPI_RANGE[0] <= value <= _DPI_RANGE[1] else 0


def exif_date(image: Image.Image, default_zone: str) -> DatedValue | None:
    """When the picture was taken, per EXIF DateTimeOriginal (or DateTime)."""
    try:
        exif = image.getexif()
        sub = exif.get_ifd(0x8769)
    except Exception:  # broken EXIF blocks are common and never worth failing a file
        return None
    for tag, offset_tag, detail, table in (
        (36867, 36881, "EXIF DateTimeOriginal", sub),
        (306, 36880, "EXIF DateTime", exif),
    ):
        raw = table.get(tag)
        if not isinstance(raw, str):
            continue
        try:
            at = datetime.strptime(raw.strip()[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
        offset = sub.get(offset_tag)
        if isinstance(offset, str) and len(offset) == 6 and offset[0] in "+-":
            delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
            at = at.replace(tzinfo=timezone(delta if offset[0] == "+" else -delta))
        return DatedValue(as_aware(at, default_zone), DateSource.DOCUMENT_METADATA, detail, "second")
    return None


def _frames(image: Image.Image, limits: Limits) -> Iterator[Image.Image]:
    """Each page of the picture, upright per EXIF, decoded one at a time."""
    count = getattr(image, "n_frames", 1) if image.format in _PAGED_FORMATS else 1
    if count > limits.max_pdf_pages:
        raise LimitReached(f"{count:,} frames is over max_pdf_pages ({limits.max_pdf_pages:,})")
    for index in range(count):
        if index:
            image.seek(index)
            _check_pixels(image, index, limits)
        with pixel_guard(limits):
            frame = ImageOps.exif_transpose(image) or image
            frame.load()
        yield pdf_ready(frame)


class ImageExtractor:
    """Reads pictures of documents with Tesseract."""

    name = "image"
    content_types = frozenset(
        {"image/png", "image/jpeg", "image/tiff", "image/gif", "image/webp", "image/heic", "image/heif", "image/bmp"}
    )
    extensions = frozenset({"png", "jpg", "jpeg", "jpe", "tif", "tiff", "gif", "webp", "heic", "heif", "bmp"})

    def extract(self, source: Source, ctx: Context) -> Record:
        """The record of a picture: OCR'd text per frame and a searchable PDF of it."""
        limits = ctx.limits
        data = source.read(limits.max_file_bytes)
        image = open_image(data, limits)
        taken = exif_date(image, limits.default_timezone)
        frame_pdfs: list[bytes] = []

        def pictures() -> Iterator[PageImage]:
            """Each frame for OCR, its one-page PDF kept aside (runs on this thread)."""
            for frame in _frames(image, limits):
                dpi = _dpi(image)
                buf = io.BytesIO()
                frame.save(buf, format="PDF", resolution=float(dpi or 300))
                frame_pdfs.append(buf.getvalue())
                yield page_image(frame, dpi)

        try:
            results = []
            for result in ocr_pages(pictures(), limits):
                results.append(result)
                ctx.report(len(results), None, f"{len(results)} page{'s' if len(results) != 1 else ''} OCR'd")
        except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt pixel data
            raise Corrupt(f"image data is damaged ({str(exc)[:120] or type(exc).__name__})") from exc
        pages: list[Page] = []
        layers: dict[int, Layer] = {}
        for number, result in enumerate(results, start=1):
            if result.error is not None:
                pages.append(Page(number, "", "ocr", None, result.engine or None, result.error))
                continue
            pages.append(Page(number, tidy(result.text), "ocr", result.confidence, result.engine))
            if result.layer_pdf and result.words:
                layers[number] = Layer(result.layer_pdf, None, result.turned, result.skew)
        found = document_dates([(p.number, p.text) for p in pages], order_hint=ctx.date_order_hint)
        occurred = occurred_from(found, limits.default_timezone) or taken
        failed = [p.number for p in pages if p.error]
        error = None
        if failed:
            first = next(p.error for p in pages if p.error)
            error = f"page(s) {', '.join(map(str, failed))} could not be read: {first}"
        return Record(
            kind=Kind.DOCUMENT,
            title=source.filename.rsplit("/", 1)[-1] or "(unnamed image)",
            content_type=_CONTENT_TYPES.get(image.format or "", "image/octet-stream"),
            text="\f".join(p.text for p in pages)[: limits.max_text_chars],
            filename=source.filename,
            occurred=occurred,
            other_dates=(taken,) if taken else (),
            status=Status.PARTIAL if failed else Status.OK,
            error=error,
            pages=tuple(pages),
            date_mentions=found.mentions,
            derived=_searchable(frame_pdfs, layers),
            facts={"page_count": len(pages), "width": image.width, "height": image.height, **date_facts(found)},
        )


def _searchable(frame_pdfs: list[bytes], layers: dict[int, Layer]) -> tuple[Derived, ...]:
    if not layers:
        return ()
    writer = PdfWriter()
    for pdf in frame_pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    overlay_layers(writer, layers)
    return (searchable_derived(writer),)


register(ImageExtractor())
