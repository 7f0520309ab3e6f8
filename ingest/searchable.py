"""Searchable PDFs: tesseract's invisible words laid over the original page pictures.

The original file is never touched: we write a new PDF (a ``Derived``) in which each
OCR'd page carries an extra, invisible text layer (text render mode 3, as tesseract's
``textonly_pdf`` writes it), scaled onto the page box so selecting a word highlights
the word in the scan.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import LimitReachedError
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

from .errors import LimitReached
from .records import Derived

__all__ = ["Layer", "Matrix", "layer_matrix", "multiply", "overlay_layers", "pdf_ready", "searchable_derived"]

Matrix = tuple[float, float, float, float, float, float]


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (PDF row-vector convention: p' = p x m x n)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def layer_matrix(
    layer_size: tuple[float, float],
    crop_box: tuple[float, float, float, float],
    rotation: int,
    image_matrix: Matrix | None = None,
) -> Matrix:
    """The matrix taking a text-only page of ``layer_size`` onto the original page.

    With ``image_matrix`` the OCR read the page's embedded scan, so the layer maps onto
    that image's unit square and then wherever the image sits. Otherwise it read a render
    of the visible page: the crop box turned clockwise by ``rotation`` degrees.
    """
    width, height = layer_size
    if image_matrix is not None:
        return multiply((1.0 / width, 0.0, 0.0, 1.0 / height, 0.0, 0.0), image_matrix)
    x0, y0, x1, y1 = crop_box
    w, h = x1 - x0, y1 - y0
    rotation %= 360
    shown_w, shown_h = (h, w) if rotation in (90, 270) else (w, h)
    to_shown: Matrix = (shown_w / width, 0.0, 0.0, shown_h / height, 0.0, 0.0)
    # from shown (u, v) back to unrotated page space (x, y), one case per quarter turn
    unrotate: Matrix = {
        0: (1.0, 0.0, 0.0, 1.0, x0, y0),
        90: (0.0, 1.0, -1.0, 0.0, x0 + w, y0),  # x = x0 + w - v, y = y0 + u
        180: (-1.0, 0.0, 0.0, -1.0, x0 + w, y0 + h),
        270: (0.0, -1.0, 1.0, 0.0, x0, y0 + h),  # x = x0 + v, y = y0 + h - u
    }.get(rotation, (1.0, 0.0, 0.0, 1.0, x0, y0))
    return multiply(to_shown, unrotate)


def _layer_page(layer_pdf: bytes) -> PageObject:
    return PdfReader(io.BytesIO(layer_pdf)).pages[0]


@dataclass(frozen=True)
class Layer:
    """One page's invisible words: tesseract's text-only PDF and how its picture was taken."""

    pdf: bytes
    image_matrix: Matrix | None = None  # the page's embedded scan was read as stored
    turned: int = 0  # the picture was turned this many degrees clockwise before reading
    skew: float = 0.0  # ...after being levelled this many degrees counter-clockwise (deskew)


def _unturn(turned: int, width: float, height: float) -> Matrix:
    """From the turned picture's layer back onto the picture as it was (``width`` x
    ``height`` points), undoing a clockwise turn of ``turned`` degrees."""
    return {
        90: (0.0, 1.0, -1.0, 0.0, width, 0.0),  # x = W - y', y = x'
        180: (-1.0, 0.0, 0.0, -1.0, width, height),
        270: (0.0, -1.0, 1.0, 0.0, 0.0, height),  # x = y', y = H - x'
    }.get(turned % 360, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0))


def _unskew(skew: float, width: float, height: float) -> Matrix:
    """From the levelled picture's layer back onto the picture as scanned (``width`` x
    ``height`` points, the same size: levelling turns about the centre, no expansion),
    undoing a counter-clockwise turn of ``skew`` degrees."""
    if not skew:
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    angle = math.radians(-skew)
    a, b, c, d = math.cos(angle), math.sin(angle), -math.sin(angle), math.cos(angle)
    cx, cy = width / 2.0, height / 2.0
    return (a, b, c, d, cx - (a * cx + c * cy), cy - (b * cx + d * cy))


def overlay_layers(writer: PdfWriter, layers: Mapping[int, Layer]) -> None:
    """Lays each page's ``Layer`` of invisible words over that page of ``writer``."""
    for number, item in sorted(layers.items()):
        page = writer.pages[number - 1]
        layer = _layer_page(item.pdf)
        box = page.cropbox
        crop = (float(box.left), float(box.bottom), float(box.right), float(box.top))
        width, height = float(layer.mediabox.width), float(layer.mediabox.height)
        if item.turned % 180:
            width, height = height, width  # the picture as it was is the other way round
        # the picture was levelled, then turned: undo the turn, then the levelling
        matrix = multiply(
            multiply(_unturn(item.turned, width, height), _unskew(item.skew, width, height)),
            layer_matrix((width, height), crop, int(page.rotation or 0), item.image_matrix),
        )
        _draw_form(writer, page, layer, matrix)


def _draw_form(writer: PdfWriter, page: PageObject, layer: PageObject, matrix: Matrix) -> None:
    """Adds ``layer`` to ``page`` as a Form XObject drawn with ``matrix``.

    Unlike ``merge_transformed_page`` this never parses either content stream: the
    original page's drawing is wrapped in q/Q untouched (a hostile or broken stream stays
    exactly as it was), and the per-page cost is a few dictionary entries rather than
    re-tokenising every glyph (measured: ~0.1 s of Python per page saved).
    """
    contents = layer.get("/Contents")
    if contents is None:
        return
    source = contents.get_object()
    if isinstance(source, ArrayObject):  # tesseract writes one stream; be lenient anyway
        data = b"\n".join(part.get_object().get_data() for part in source)
        form: StreamObject = DecodedStreamObject()
        form.set_data(data)
    else:
        form = source.clone(writer)  # keeps tesseract's compressed stream as it is
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = ArrayObject(FloatObject(v) for v in layer.mediabox)
    resources = layer.get("/Resources")
    form[NameObject("/Resources")] = resources.get_object().clone(writer) if resources else DictionaryObject()
    form_ref = writer._add_object(form)

    own = page.get("/Resources")
    page_resources = own.get_object() if own is not None else _inherited_resources(page)
    if own is None or isinstance(own, IndirectObject):
        # a shared or inherited resource dict must not gain our entry for every page
        page_resources = DictionaryObject(page_resources)
        page[NameObject("/Resources")] = page_resources
    xobjects = page_resources.get("/XObject")
    xobjects = DictionaryObject(xobjects.get_object()) if xobjects is not None else DictionaryObject()
    name = "/CasefileOCR"
    while name in xobjects:
        name += "x"
    xobjects[NameObject(name)] = form_ref
    page_resources[NameObject("/XObject")] = xobjects

    a, b, c, d, e, f = (f"{v:.6f}" for v in matrix)
    before = DecodedStreamObject()
    before.set_data(b"q\n")
    after = DecodedStreamObject()
    after.set_data(f"\nQ q {a} {b} {c} {d} {e} {f} cm {name} Do Q\n".encode("ascii"))
    existing = page.get("/Contents")
    parts: list[object] = []
    if existing is not None:
        original = existing.get_object()
        parts = list(original) if isinstance(original, ArrayObject) else [existing]
    page[NameObject("/Contents")] = ArrayObject(
        [writer._add_object(before), *parts, writer._add_object(after)]  # type: ignore[list-item]
    )


def _inherited_resources(page: PageObject) -> DictionaryObject:
    """The /Resources a page inherits from its page-tree ancestors (empty if none).

    pypdf's reader already copies inherited entries onto each page; this guards pages
    built or edited in memory, where giving the page an empty dict would hide its fonts.
    """
    node = page.get("/Parent")
    for _ in range(64):  # a page tree deeper than this is a loop, not a document
        if node is None:
            break
        node = node.get_object()
        found = node.get("/Resources")
        if found is not None:
            return found.get_object()
        node = node.get("/Parent")
    return DictionaryObject()


def searchable_derived(writer: PdfWriter) -> Derived:
    """The finished searchable PDF as a ``Derived``."""
    buf = io.BytesIO()
    try:
        writer.write(buf)
    except LimitReachedError as exc:
        raise LimitReached(f"PDF structure over pypdf's limits ({exc})") from exc
    return Derived(role="searchable_pdf", content_type="application/pdf", data=buf.getvalue())


def pdf_ready(image: Image.Image) -> Image.Image:
    """A mode Pillow's PDF writer takes (it refuses alpha, 16-bit and palette+alpha)."""
    if image.mode in ("1", "L", "RGB", "CMYK"):
        return image
    if image.mode in ("LA", "RGBA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("L" if image.mode.startswith(("I", "F")) else "RGB")
