"""Pictures of an item's pages for people: PDF and image pages rendered to PNG on the server.

The browser never gets the original to render: a PDF's scripts, forms and links, or an
image decoder's bugs, stay on this side. A PDF page is drawn by PDFium without its form
layer (no JavaScript runs: forms are never initialised), a picture is decoded by Pillow
within the archive's pixel limit, and what leaves is a plain PNG. Each rendering is kept
under ``<data>/previews/`` by the original's hash, page and width (never a name anyone
typed), so a page is drawn once however often it is looked at.
"""

from __future__ import annotations

import io
import math
import os
import re
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageOps

from ingest.errors import IngestError
from ingest.images import open_image, pixel_guard  # importing it registers the HEIC opener
from ingest.limits import Limits
from ingest.pdfpages import PDFIUM_LOCK, open_pdfium

from .archive import Archive
from .errors import InvalidInput, ItemNotFound, NotFound
from .models import Item

__all__ = ["DEFAULT_WIDTH", "MAX_WIDTH", "MIN_WIDTH", "cache_dir", "has_preview", "render_page"]

DEFAULT_WIDTH = 900  # a page beside its text on a laptop screen, sharp enough to read
MIN_WIDTH = 100
MAX_WIDTH = 2_000
_PDF = "application/pdf"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def has_preview(content_type: str, sha256: str | None) -> bool:
    """True when an item of this type (with a file of its own) has page pictures: PDFs and images."""
    return sha256 is not None and (content_type == _PDF or content_type.startswith("image/"))


def cache_dir(archive: Archive) -> Path:
    """Where rendered pages are kept (a cache: deleting it only costs re-rendering)."""
    return archive.settings.data / "previews"


def _cache_path(archive: Archive, sha256: str, page: int, width: int) -> Path:
    # built from a validated hash and two ints only: no text from a request reaches the path
    if not _SHA256.match(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return cache_dir(archive) / f"{sha256}-{int(page)}-{int(width)}.png"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())  # a torn file would be served as the page from then on
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _png(image: Image.Image) -> bytes:
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "A" in image.mode or "transparency" in image.info else "RGB")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _no_page(item_id: int, page: int, count: int) -> NotFound:
    pages = f"{count} page{'s' if count != 1 else ''}"
    return NotFound(f"item {item_id} has {pages}; there is no page {page}")


def _pdf_scale(width_pt: float, height_pt: float, width: int, max_pixels: int) -> float:
    """Points to pixels for ``width``, lowered so the drawn bitmap stays within ``max_pixels``."""
    scale = width / width_pt
    pixels = width * height_pt * scale
    if pixels > max_pixels:  # a long strip of a page: drawn narrower rather than refused
        scale *= math.sqrt(max_pixels / pixels)
    # PDFium rounds the bitmap's sides up; step down until the rounded size fits too
    while scale > 0 and math.ceil(width_pt * scale) * math.ceil(height_pt * scale) > max_pixels:
        scale *= 0.99
    return scale


def _render_pdf(data: bytes, *, item_id: int, page: int, width: int, max_pixels: int) -> bytes:
    with PDFIUM_LOCK:  # PDFium is not thread-safe, and ingest jobs may be using it right now
        try:
            doc = open_pdfium(data, None)
        except IngestError as exc:
            raise NotFound(f"item {item_id} has no preview: {exc}") from exc
        try:
            if page > len(doc):
                raise _no_page(item_id, page, len(doc))
            pdf_page = doc[page - 1]
            try:
                width_pt, height_pt = pdf_page.get_size()
                if width_pt <= 0 or height_pt <= 0:
                    raise NotFound(f"page {page} of item {item_id} has no area to draw")
                scale = _pdf_scale(width_pt, height_pt, width, max_pixels)
                # no form layer: forms are never initialised, so no PDF JavaScript can run
                bitmap = pdf_page.render(scale=scale, may_draw_forms=False)
                try:
                    return _png(bitmap.to_pil())  # to_pil() shares the bitmap's buffer: encode while it lives
                finally:
                    bitmap.close()
            except pdfium.PdfiumError as exc:
                raise NotFound(f"page {page} of item {item_id} could not be drawn: {exc}") from exc
            finally:
                pdf_page.close()
        finally:
            doc.close()


def _render_image(data: bytes, *, item_id: int, page: int, width: int, frames: int, limits: Limits) -> bytes:
    if page > frames:  # ingest decided which frames are pages (a TIFF's are, a GIF's animation is not)
        raise _no_page(item_id, page, frames)
    try:
        image = open_image(data, limits)
        with pixel_guard(limits):
            if page > 1:
                try:
                    image.seek(page - 1)
                except EOFError as exc:
                    raise _no_page(item_id, page, page - 1) from exc
                if image.width * image.height > limits.max_image_pixels:
                    raise NotFound(f"page {page} of item {item_id} is over max_image_pixels")
            image.draft("RGB", (width, max(1, width * image.height // max(1, image.width))))  # JPEG: decode small
            frame = ImageOps.exif_transpose(image) or image
            frame.load()
    except IngestError as exc:
        raise NotFound(f"item {item_id} has no preview: {exc}") from exc
    except (OSError, ValueError, SyntaxError) as exc:  # what Pillow raises for damaged image data
        raise NotFound(f"item {item_id} has no preview: the image could not be decoded ({exc})") from exc
    if frame.width > width:
        frame = frame.resize((width, max(1, round(frame.height * width / frame.width))), Image.Resampling.LANCZOS)
    return _png(frame)


def render_page(archive: Archive, *, item_id: int, page: int, width: int = DEFAULT_WIDTH) -> bytes:
    """Page ``page`` (1-based) of the item's original as PNG bytes, ``width`` pixels wide at most; cached.

    ``NotFound`` for an item without pictures of pages (emails, notes: their text is the
    preview), a page it does not have, or an original that cannot be drawn (encrypted,
    damaged); ``InvalidInput`` for a width outside ``MIN_WIDTH``-``MAX_WIDTH``.
    """
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise InvalidInput(f"a preview is {MIN_WIDTH} to {MAX_WIDTH} pixels wide, not {width}")
    if page < 1:
        raise NotFound(f"there is no page {page}: pages are numbered from 1")
    with archive.read() as session:
        item = session.get(Item, item_id)
        if item is None:
            raise ItemNotFound(item_id)
        if not has_preview(item.content_type, item.sha256):
            raise NotFound(
                f"item {item_id} ({item.kind}) has no page preview: only PDFs and images have one; "
                "its text is shown on its page"
            )
        sha256, content_type, frames = item.sha256, item.content_type, item.page_count or 1
    assert sha256 is not None
    cached = _cache_path(archive, sha256, page, width)
    if cached.is_file():
        return cached.read_bytes()
    data = archive.blobs.read(sha256)
    limits = archive.settings.limits()
    if content_type == _PDF:
        png = _render_pdf(data, item_id=item_id, page=page, width=width, max_pixels=limits.max_image_pixels)
    else:
        png = _render_image(data, item_id=item_id, page=page, width=width, frames=frames, limits=limits)
    _write_atomically(cached, png)
    return png
