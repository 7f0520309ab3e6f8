"""Pictures inside Word documents (``word/media/*``), OCR'd, their text put where each stands.

A .docx often carries its most important page as a picture: a signed page scanned and
pasted in, a screenshot of a message. Its text is appended *in position* (after the
paragraph or table row that holds the picture, under a "[picture NAME, read by OCR]"
line) rather than made into child records: the words then read in the order of the
document, dates in them date the note, and a search hit lands in the note itself. (A
picture as a child item of its own would be a second, loose copy of something that is
evidence only as part of the document.)

Only pictures that can hold text are read: raster formats Pillow opens (not EMF/WMF/SVG),
at least ``_MIN_SIDE`` pixels each way (not bullets, icons, rules); each one once however
often it is shown; at most ``max_pdf_pages`` of them (a picture is a page's worth of OCR);
each refused past ``max_image_pixels``. What tesseract reads from a photograph or a logo
is noise, so a reading is kept only if it reads as text (``has_usable_text``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from lxml import etree
from PIL import ImageOps

from .errors import IngestError
from .images import open_image, pixel_guard
from .ocr import PageImage, ocr_pages, page_image
from .pdfpages import has_usable_text, tidy
from .source import Context

__all__ = ["DocxPicture", "PictureText", "pictures_in", "with_picture_text"]

_MIN_SIDE = 64
_MIN_CONFIDENCE = 40.0
_BLIPS = etree.XPath(
    ".//a:blip/@r:embed | .//v:imagedata/@r:id",
    namespaces={
        "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "v": "urn:schemas-microsoft-com:vml",
    },
)


@dataclass(frozen=True)
class DocxPicture:
    """One picture as the document shows it: its part's name and bytes."""

    name: str  # "image1.png", from the part name "/word/media/image1.png"
    blob: bytes


def pictures_in(element: etree._Element, part: object) -> Iterator[DocxPicture]:
    """The pictures a paragraph or table row (``element``, in story ``part``) shows, in order."""
    related = getattr(part, "related_parts", {})
    for rid in _BLIPS(element):
        target = related.get(str(rid))
        blob = getattr(target, "blob", None)
        if isinstance(blob, bytes):
            name = str(getattr(target, "partname", "picture")).rsplit("/", 1)[-1]
            yield DocxPicture(name, blob)


@dataclass
class PictureText:
    """The document's text with its pictures' words, and what could not be read."""

    text: str = ""
    read: int = 0
    problems: list[str] = field(default_factory=list)


def _picture_image(picture: DocxPicture, ctx: Context) -> PageImage | None:
    """The picture ready for tesseract; None if it cannot hold text (``IngestError`` if hostile)."""
    try:
        image = open_image(picture.blob, ctx.limits)  # refuses pixel bombs before decoding
    except IngestError as exc:
        if exc.reason == "limit":
            raise
        return None  # EMF, WMF, SVG or damaged: nothing tesseract could read
    if min(image.size) < _MIN_SIDE:
        return None
    try:
        with pixel_guard(ctx.limits):  # a bomb is LimitReached, raised on
            frame = ImageOps.exif_transpose(image) or image
            frame.load()
    except (OSError, SyntaxError, ValueError):  # truncated or damaged pixel data
        return None
    return page_image(frame, 0)


def with_picture_text(blocks: Sequence[str | DocxPicture], ctx: Context) -> PictureText:
    """The blocks' text joined by lines, each picture's OCR text in its place (see module)."""
    out = PictureText()
    seen: set[str] = set()
    wanted: list[tuple[int, DocxPicture]] = []
    for index, block in enumerate(blocks):
        if isinstance(block, DocxPicture):
            digest = hashlib.sha256(block.blob).hexdigest()
            if digest not in seen:
                seen.add(digest)
                wanted.append((index, block))
    most = ctx.limits.max_pdf_pages
    if len(wanted) > most:
        out.problems.append(f"limit: {len(wanted):,} pictures, over max_pdf_pages: the first {most:,} read")
        wanted = wanted[:most]
    images: list[tuple[int, DocxPicture, PageImage]] = []
    for index, picture in wanted:
        try:
            image = _picture_image(picture, ctx)
        except IngestError as exc:
            out.problems.append(f"picture {picture.name}: {exc}")
            continue
        if image is not None:
            images.append((index, picture, image))
    found: dict[int, str] = {}
    for (index, picture, _), result in zip(images, ocr_pages((i for _, _, i in images), ctx.limits), strict=True):
        if result.error is not None:
            out.problems.append(f"picture {picture.name}: {result.error}")
            continue
        text = tidy(result.text)
        if text and (result.confidence or 0.0) >= _MIN_CONFIDENCE and has_usable_text(text):
            # set apart by a blank line each side: it is not the paragraph's own text
            found[index] = f"\n[picture {picture.name}, read by OCR]\n{text}\n"
            out.read += 1
    out.text = "\n".join(
        found[i] if isinstance(block, DocxPicture) else block
        for i, block in enumerate(blocks)
        if not isinstance(block, DocxPicture) or i in found
    )
    return out
