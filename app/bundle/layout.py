"""Bates-stamped PDF pages: our own laid out with reportlab, foreign ones stamped with pypdf.

Everything a bundle renders itself (emails, notes, call rows, slip sheets) goes through
``PageBuilder``, which stamps each page as it finishes it. PDFs we did not make (originals,
searchable PDFs) get the same stamp from ``stamp_pdf``: an overlay merged onto each page at
the lower-right corner of its visible area; pages with a /Rotate first have the rotation
moved into their content, so "lower right" is where a reader looking at the page sees it.
The stamped copy of a foreign PDF carries no active content (scripts, actions run on open,
launch/submit links, embedded files, XFA forms): it is opened by people reviewing evidence,
and the native file keeps the original exactly as it was.
Output is deterministic (reportlab's ``invariant`` mode): the same item gives the same bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import BinaryIO

from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

__all__ = ["MAX_RENDERED_PAGES", "PageBuilder", "Unrenderable", "draw_stamp", "stamp_pdf"]

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# A 50 MB log would otherwise become 15,000 pages; past this the PDF says where the
# full text is (text/ always has all of it, natives/ the original).
MAX_RENDERED_PAGES = 300
STAMP_FONT, STAMP_SIZE, STAMP_MARGIN = "Helvetica-Bold", 9, 14
_MARGIN, _BOTTOM = 56, 48  # the bottom margin leaves room for the stamp
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACE = re.compile(r"(\s+)")


@cache
def _fonts() -> tuple[str, str, bool]:
    """(regular, bold, unicode?): DejaVu when installed, else the PDF base fonts."""
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        pdfmetrics.registerFont(TTFont("CasefileSans", str(regular)))
        pdfmetrics.registerFont(TTFont("CasefileSans-Bold", str(bold)))
        return "CasefileSans", "CasefileSans-Bold", True
    return "Helvetica", "Helvetica-Bold", False  # Latin-1 only; see _clean


def draw_stamp(canvas: Canvas, label: str, right: float, bottom: float) -> None:
    """Draws ``label`` on a white patch with its lower-right corner at (right, bottom)."""
    width = pdfmetrics.stringWidth(label, STAMP_FONT, STAMP_SIZE)
    x, y = right - STAMP_MARGIN - width, bottom + STAMP_MARGIN
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x - 3, y - 3, width + 6, STAMP_SIZE + 5, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(STAMP_FONT, STAMP_SIZE)
    canvas.drawString(x, y, label)
    canvas.restoreState()


class PageBuilder:
    """Writes lines top to bottom, starting new pages as needed; stamps every page."""

    def __init__(self, label: Callable[[int], str], *, title: str = "") -> None:
        self._regular, self._bold, self._unicode = _fonts()
        self._buffer = io.BytesIO()
        self._canvas = Canvas(self._buffer, pagesize=A4, invariant=1, pageCompression=1)
        self._canvas.setTitle(self._clean(title))
        self._label = label
        self._width, self._height = A4
        self.pages = 0
        self._y = 0.0
        self._open = False
        self._full = False
        self.truncated_note = "The rest is in the text file named in the index."

    # --- pages -----------------------------------------------------------------
    def _start_page(self) -> None:
        self._open, self._y = True, self._height - _MARGIN

    def _end_page(self) -> None:
        draw_stamp(self._canvas, self._label(self.pages), self._width, 0)
        self._canvas.showPage()
        self.pages += 1
        self._open = False

    def _room(self, height: float) -> bool:
        """Makes room for ``height`` points; False once the page cap is reached."""
        if self._full:
            return False
        if not self._open:
            self._start_page()
        last_page = self.pages + 1 >= MAX_RENDERED_PAGES
        if self._y - height < _BOTTOM + (12 if last_page else 0):  # the last page keeps room for the note
            if last_page:
                self._line(f"[PDF shortened after {MAX_RENDERED_PAGES} pages. {self.truncated_note}]",
                           self._bold, 8, force=True)
                self._full = True
                return False
            self._end_page()
            self._start_page()
        return True

    # --- text ------------------------------------------------------------------
    def _clean(self, text: str) -> str:
        text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    "))
        if not self._unicode:
            text = text.encode("latin-1", "replace").decode("latin-1")
        return text

    def _line(self, text: str, font: str, size: float, *, indent: float = 0, force: bool = False) -> None:
        leading = size * 1.35
        if not force and not self._room(leading):
            return
        self._y -= leading
        self._canvas.setFont(font, size)
        self._canvas.drawString(_MARGIN + indent, self._y, text)

    def _wrap(self, text: str, font: str, size: float, width: float) -> list[str]:
        lines: list[str] = []
        for raw in text.split("\n"):
            current, current_width = "", 0.0
            for token in _SPACE.split(raw):
                token_width = pdfmetrics.stringWidth(token, font, size)
                if current_width + token_width <= width:
                    current, current_width = current + token, current_width + token_width
                    continue
                if current.strip():
                    lines.append(current.rstrip())
                current, current_width = ("", 0.0) if token.isspace() else (token, token_width)
                while current_width > width:  # a URL or hash longer than the line
                    cut = max(1, int(len(current) * width / current_width))
                    lines.append(current[:cut])
                    current = current[cut:]
                    current_width = pdfmetrics.stringWidth(current, font, size)
            lines.append(current.rstrip())
        return lines

    def heading(self, text: str) -> None:
        """A bold title line (wrapped when long)."""
        for line in self._wrap(self._clean(text), self._bold, 13, self._width - 2 * _MARGIN):
            self._line(line, self._bold, 13)
        self.gap(4)

    def field(self, label: str, value: str) -> None:
        """``label: value`` with the value wrapped under itself."""
        indent = 78
        lines = self._wrap(self._clean(value), self._regular, 9.5, self._width - 2 * _MARGIN - indent) or [""]
        if not self._room(9.5 * 1.35):
            return
        self._canvas.setFont(self._bold, 9.5)
        self._canvas.drawString(_MARGIN, self._y - 9.5 * 1.35, self._clean(label))
        for line in lines:
            self._line(line, self._regular, 9.5, indent=indent)

    def paragraph(self, text: str, *, size: float = 9.5, bold: bool = False) -> None:
        """Running text, wrapped and paginated; blank lines kept."""
        font = self._bold if bold else self._regular
        for line in self._wrap(self._clean(text), font, size, self._width - 2 * _MARGIN):
            self._line(line, font, size)

    def gap(self, points: float = 8) -> None:
        """Vertical space (ignored at the top of a page)."""
        if self._open and self._y < self._height - _MARGIN:
            self._y -= points

    def rule(self) -> None:
        """A thin line across the page, between headers and body."""
        if not self._room(8):
            return
        self._y -= 4
        self._canvas.setLineWidth(0.5)
        self._canvas.line(_MARGIN, self._y, self._width - _MARGIN, self._y)
        self._y -= 6

    # --- pictures ----------------------------------------------------------------
    def picture(self, image: Image.Image, caption: str) -> None:
        """One picture on a page of its own, scaled to fit, with a caption above it."""
        if self._full:
            return
        if self._open:
            self._end_page()
        self._start_page()
        self._line(self._clean(caption)[:150], self._bold, 9)
        box_w, box_h = self._width - 2 * _MARGIN, self._y - _BOTTOM - 8
        scale = min(box_w / image.width, box_h / image.height)
        w, h = image.width * scale, image.height * scale
        self._canvas.drawImage(ImageReader(image), _MARGIN, self._y - 8 - h, width=w, height=h)
        self._end_page()

    def finish(self) -> tuple[bytes, int]:
        """The PDF's bytes and its page count (at least one page)."""
        if self._open or self.pages == 0:
            if not self._open:
                self._start_page()
            self._end_page()
        self._canvas.save()
        return self._buffer.getvalue(), self.pages


class Unrenderable(Exception):
    """A file that cannot become stamped pages; ``str()`` says why, for the slip sheet."""


def stamp_pdf(source: BinaryIO, label: Callable[[int], str]) -> tuple[bytes, int]:
    """A copy of the PDF in ``source`` with ``label(i)`` on page i; returns (bytes, pages)."""
    try:
        return _stamp(source, label)
    except Unrenderable:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files; a slip sheet says which
        raise Unrenderable(f"the PDF could not be read ({type(exc).__name__}: {exc})") from exc


def _stamp(source: BinaryIO, label: Callable[[int], str]) -> tuple[bytes, int]:
    reader = PdfReader(source, strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise Unrenderable("the PDF is encrypted with a password")
    writer = PdfWriter(clone_from=reader)
    if len(writer.pages) == 0:
        raise Unrenderable("the PDF has no pages")
    _strip_active_content(writer)
    overlay_buffer = io.BytesIO()
    overlay = Canvas(overlay_buffer, invariant=1, pageCompression=1)
    for index, page in enumerate(writer.pages):
        if page.rotation:  # inherited rotations too
            page.transfer_rotation_to_content()
        box = page.cropbox
        overlay.setPageSize((max(1.0, float(box.right)), max(1.0, float(box.top))))
        draw_stamp(overlay, label(index), float(box.right), float(box.bottom))
        overlay.showPage()
    overlay.save()
    stamps = PdfReader(io.BytesIO(overlay_buffer.getvalue()))
    for page, stamp in zip(writer.pages, stamps.pages, strict=True):
        page.merge_page(stamp)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages)


# Actions that run code, open other files or send data somewhere; links to a page or a URI stay.
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/ResetForm", "/Rendition", "/GoToE"}


def _strip_active_content(writer: PdfWriter) -> None:
    """Removes what a viewer would run or open by itself from the copy being stamped."""
    root = writer.root_object
    for key in ("/OpenAction", "/AA"):
        root.pop(NameObject(key), None)
    names = root.get("/Names")
    if names is not None:
        names = names.get_object()
        for key in ("/JavaScript", "/EmbeddedFiles"):
            names.pop(NameObject(key), None)
    form = root.get("/AcroForm")
    if form is not None:
        form.get_object().pop(NameObject("/XFA"), None)
    for page in writer.pages:
        page.pop(NameObject("/AA"), None)
        for ref in page.get("/Annots") or ():
            annotation = ref.get_object()
            if not isinstance(annotation, DictionaryObject):
                continue
            annotation.pop(NameObject("/AA"), None)
            action = annotation.get("/A")
            if action is not None and action.get_object().get("/S") in _ACTIVE_ACTIONS:
                annotation.pop(NameObject("/A"), None)
            if annotation.get("/Subtype") == "/FileAttachment":
                annotation.pop(NameObject("/FS"), None)
