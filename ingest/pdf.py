"""PDF documents: per-page text, OCR of the pages that have none, and a searchable copy.

pypdf reads the structure (encryption, metadata, page count, and later merging the OCR
layer into a copy); PDFium reads the text and renders (see ``pdfpages`` for why). Each
page is judged on its own: a page with a real text layer keeps it, a page whose layer is
missing or garbage is OCR'd, so a mixed document OCRs only its scanned pages; a kept
layer also gains the OCR of a large picture it has no text over (``pdfregions``). Filled
form fields are appended to their pages (``pdfforms``), and files carried inside the PDF
become attachment children (``pdfembedded``).
"""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime, timedelta, timezone

import pypdfium2 as pdfium
from pypdf import PasswordType, PdfReader, PdfWriter
from pypdf.errors import DependencyError, LimitReachedError, PdfReadError, PyPdfError

from .dates import as_aware
from .docdates import date_facts, document_dates, occurred_from
from .errors import Corrupt, Encrypted, LimitReached
from .ocr import OcrResult, ocr_pages
from .pdfbombs import refuse_encrypted_flate_bombs, refuse_flate_bombs
from .pdfembedded import embedded_children, has_file_attachments
from .pdfforms import form_text
from .pdfpages import PDFIUM_LOCK, has_usable_text, open_pdfium, page_texts, tidy
from .pdfpictures import Picture, page_pictures
from .pdfregions import Region, RegionFinder, region_pictures, with_picture_text
from .records import DatedValue, DateSource, Derived, Kind, Page, Record, Status
from .registry import register
from .searchable import Layer, overlay_layers, searchable_derived
from .source import Context, Source

__all__ = ["PdfExtractor", "metadata_dates", "parse_pdf_date", "sensible_title"]

log = logging.getLogger(__name__)
# pypdf reports every repaired xref as a WARNING; with no handler anywhere Python would
# print them to stderr. A NullHandler keeps them quiet unless the app configures logging.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

_PDF_DATE = re.compile(
    r"^(?:D:)?(?P<y>\d{4})(?P<mo>\d{2})?(?P<d>\d{2})?(?P<h>\d{2})?(?P<mi>\d{2})?(?P<s>\d{2})?"
    r"\s*(?P<z>[Zz+\-])?\s*(?P<oh>\d{2})?'?\s*(?P<om>\d{2})?'?"
)


def parse_pdf_date(value: str, default_zone: str) -> datetime | None:
    """An aware datetime from a PDF date string ("D:20200721101616-07'00'"), None if bad."""
    match = _PDF_DATE.match(value.strip())
    if not match:
        return None
    try:
        at = datetime(
            int(match["y"]),
            int(match["mo"] or 1),
            int(match["d"] or 1),
            int(match["h"] or 0),
            int(match["mi"] or 0),
            int(match["s"] or 0),
        )
    except ValueError:
        return None
    if not 1970 <= at.year <= 2200:
        return None
    sign = match["z"]
    if sign in ("Z", "z"):
        return at.replace(tzinfo=UTC)
    if sign in ("+", "-") and match["oh"]:
        offset = timedelta(hours=int(match["oh"]), minutes=int(match["om"] or 0))
        if offset >= timedelta(hours=24):
            return as_aware(at, default_zone)
        return at.replace(tzinfo=timezone(offset if sign == "+" else -offset))
    return as_aware(at, default_zone)


def _info(reader: PdfReader | None) -> dict[str, str]:
    """The document information dictionary as plain strings (indirect values resolved)."""
    if reader is None:
        return {}
    try:
        meta = reader.metadata
        if meta is None:
            return {}
        out: dict[str, str] = {}
        for key in meta:
            value = meta.get(key)
            value = value.get_object() if hasattr(value, "get_object") else value
            if isinstance(value, (str, bytes)):
                out[str(key)] = value.decode("latin-1") if isinstance(value, bytes) else value
        return out
    except (PyPdfError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def metadata_dates(info: dict[str, str], default_zone: str) -> tuple[DatedValue, ...]:
    """/CreationDate then /ModDate, as document-metadata dates."""
    dates: list[DatedValue] = []
    for key in ("/CreationDate", "/ModDate"):
        raw = info.get(key)
        at = parse_pdf_date(raw, default_zone) if raw else None
        if at is not None:
            dates.append(DatedValue(at, DateSource.DOCUMENT_METADATA, f"PDF {key}", "second"))
    return tuple(dates)


_BAD_TITLE = re.compile(
    r"^(?:untitled|document\d*|microsoft word|enscript output|binder\d*|scan\w*|page \d+)\b"
    r"|[\\/]|\.(?:pdf|docx?|tiff?|jpe?g|png|txt|html?|rtf|xlsx?)$|^\S+\.\S+\.\S+$",
    re.IGNORECASE,
)


def sensible_title(raw: str | None) -> str | None:
    """The /Title if a person would call the document that; None for paths, tool names..."""
    if not raw:
        return None
    title = " ".join(raw.replace("\x00", "").split())
    if title.lower().startswith("microsoft word - "):
        title = title[len("microsoft word - ") :]
        title = re.sub(r"\.docx?$", "", title, flags=re.IGNORECASE)
    if not 2 <= len(title) <= 200 or not any(c.isalpha() for c in title):
        return None
    return None if _BAD_TITLE.search(title) else title


def _open_structure(data: bytes, ctx: Context) -> tuple[PdfReader | None, str | None]:
    """pypdf's view (None if pypdf cannot parse it) and the password PDFium needs."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if not reader.is_encrypted:
            return reader, None
        if reader.decrypt("") != PasswordType.NOT_DECRYPTED:
            return reader, ""  # only an owner password: opens for reading as it is
        if not ctx.password:
            raise Encrypted("password required")
        if reader.decrypt(ctx.password) == PasswordType.NOT_DECRYPTED:
            raise Encrypted("wrong password")
        return reader, ctx.password
    except LimitReachedError as exc:
        raise LimitReached(f"PDF structure over pypdf's limits ({exc})") from exc
    except DependencyError:
        return None, ctx.password  # a cipher pypdf cannot do: PDFium decides
    except (
        PdfReadError,
        PyPdfError,
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        IndexError,
        RecursionError,
    ) as exc:
        # PDFium is more lenient (junk before %PDF, broken xref): let it try
        log.debug("pypdf could not parse: %s", exc)
        return None, ctx.password


def _declared_pages(reader: PdfReader | None) -> int:
    """The page count the page tree declares (read without walking the tree; 0 if unclear).

    PDFium counts again when it opens the file, and that count is checked too.
    """
    if reader is None:
        return 0
    try:
        count = reader.trailer["/Root"]["/Pages"]["/Count"]
        return int(count) if isinstance(count, int) else 0
    except LimitReachedError as exc:
        raise LimitReached(f"PDF structure over pypdf's limits ({exc})") from exc
    except (PyPdfError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return 0


class _SearchableCopy:
    """The searchable PDF, built page by page on this (otherwise idle) thread while the
    OCR workers are still reading later pages, so little is left to do at the end."""

    def __init__(self, reader: PdfReader | None) -> None:
        self._reader = reader
        self._writer: PdfWriter | None = None
        self._broken = reader is None

    def add(self, number: int, layer: Layer) -> None:
        """Lays one OCR'd page's invisible words over that page of the copy."""
        if self._broken:
            return
        try:
            if self._writer is None:
                self._writer = PdfWriter(clone_from=self._reader)
            overlay_layers(self._writer, {number: layer})
        except LimitReachedError as exc:
            raise LimitReached(f"PDF structure over pypdf's limits ({exc})") from exc
        except (PyPdfError, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            # the reading stands even if pypdf cannot rewrite this file
            log.warning("searchable PDF not made: %s", exc)
            self._broken = True

    def finish(self) -> tuple[Derived, ...]:
        """The finished copy as a ``Derived``, or nothing if no page was OCR'd."""
        if self._broken or self._writer is None:
            return ()
        try:
            return (searchable_derived(self._writer),)
        except (PyPdfError, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            log.warning("searchable PDF not written: %s", exc)
            return ()


def _ocr_page(number: int, result: OcrResult) -> Page:
    if result.error is not None:
        return Page(number, "", method="ocr", engine=result.engine or None, error=result.error)
    return Page(number, tidy(result.text), "ocr", result.confidence, result.engine)


def _open_document(data: bytes, password: str | None) -> pdfium.PdfDocument:
    """PDFium's document, retried without what follows the last %%EOF if it fails on that."""
    try:
        return open_pdfium(data, password)
    except Corrupt:
        end = data.rfind(b"%%EOF")
        if end < 0 or not data[end + 5 :].strip():
            raise
        # Junk after the end (a gateway's footer, a botched download) can look like PDF
        # syntax ("trailer <<...>>") that misleads PDFium; the document ends at the marker.
        return open_pdfium(data[: end + 5], password)


class _PageScan:
    """What ``page_texts`` notes of each page while it is open: pictures with no text over
    them (``RegionFinder``), and whether any page has a file attachment annotation."""

    def __init__(self) -> None:
        self.regions = RegionFinder()
        self.attachments = False

    def __call__(self, number: int, page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> None:
        self.regions(number, page, textpage)
        if not self.attachments:
            self.attachments = has_file_attachments(page)


def _read_pages(data: bytes, password: str | None, ctx: Context, copy: _SearchableCopy,
                scan: _PageScan) -> dict[int, Page]:
    """Every page: its text layer where usable, else tesseract's reading (into ``copy``);
    a kept text layer gains the OCR of any large picture it has no text over (``pdfregions``)."""
    limits = ctx.limits
    doc = _open_document(data, password)
    try:
        with PDFIUM_LOCK:
            count = len(doc)
        if count > limits.max_pdf_pages:
            raise LimitReached(f"{count:,} pages is over max_pdf_pages ({limits.max_pdf_pages:,})")
        pages: dict[int, Page] = {}
        to_ocr = []
        for number, text in enumerate(page_texts(doc, scan), start=1):
            if has_usable_text(text):
                pages[number] = Page(number, tidy(text), "text_layer")
            else:
                to_ocr.append(number)
        kept = sorted(pages)  # the pages whose text layer stands
        placed: list[Picture] = []
        results = ocr_pages(page_pictures(doc, to_ocr, limits, placed), limits)
        for index, result in enumerate(results):
            picture = placed[index]  # appended as each picture was drawn, so always there
            pages[picture.number] = _ocr_page(picture.number, result)
            if result.error is None and result.layer_pdf and result.words:
                copy.add(picture.number, Layer(result.layer_pdf, picture.image_matrix, result.turned, result.skew))
            ctx.report(index + 1, len(to_ocr), f"{index + 1} of {len(to_ocr)} pages OCR'd")
        _read_pictures(doc, scan.regions.regions(kept), ctx, copy, pages)
        return pages
    finally:
        with PDFIUM_LOCK:
            doc.close()


def _read_pictures(
    doc: pdfium.PdfDocument, regions: list[Region], ctx: Context, copy: _SearchableCopy, pages: dict[int, Page]
) -> None:
    """OCRs each region (a picture on a text page) and appends its text to its page."""
    placed: list[Region] = []
    for index, result in enumerate(ocr_pages(region_pictures(doc, regions, ctx.limits, placed), ctx.limits)):
        region = placed[index]  # appended as each picture was drawn, so always there
        before = pages[region.number]
        pages[region.number] = with_picture_text(before, result)
        if pages[region.number].text != before.text and result.layer_pdf:  # words kept: searchable too
            copy.add(region.number, Layer(result.layer_pdf, region.image_matrix(), result.turned, result.skew))
        ctx.report(index + 1, len(regions), f"{index + 1} of {len(regions)} pictures on text pages OCR'd")


def _occurred(mentions_first: DatedValue | None, meta: tuple[DatedValue, ...]) -> DatedValue | None:
    # the document's own stated date beats what the producing software stamped on it
    return mentions_first or (meta[0] if meta else None)


class PdfExtractor:
    """Reads PDFs: text layers where usable, Tesseract where not."""

    name = "pdf"
    content_types = frozenset({"application/pdf", "application/x-pdf"})
    extensions = frozenset({"pdf"})

    def extract(self, source: Source, ctx: Context) -> Record:
        """The record of a PDF: pages (form values included), text, dates, a searchable copy
        if OCR ran, and its embedded files as children."""
        limits = ctx.limits
        data = source.read(limits.max_file_bytes)
        refuse_flate_bombs(data, limits)
        reader, password = _open_structure(data, ctx)
        refuse_encrypted_flate_bombs(reader, limits)
        declared = _declared_pages(reader)
        if declared > limits.max_pdf_pages:
            raise LimitReached(f"{declared:,} pages is over max_pdf_pages ({limits.max_pdf_pages:,})")
        copy = _SearchableCopy(reader)
        scan = _PageScan()
        read = _read_pages(data, password, ctx, copy, scan)
        if not read:
            raise Corrupt("the PDF has no pages")
        form = form_text(reader)
        pages = form.appended(tuple(read[n] for n in sorted(read)))  # values show where typed
        embedded = embedded_children(reader, ctx, attachment_pages=scan.attachments)
        info = _info(reader)
        meta = metadata_dates(info, limits.default_timezone)
        found = document_dates([(p.number, p.text) for p in pages], order_hint=ctx.date_order_hint)
        text_date = occurred_from(found, limits.default_timezone)
        text = "\f".join(page.text for page in pages)
        failed = [p.number for p in pages if p.error]
        facts: dict[str, object] = {
            "page_count": len(pages),
            "ocr_pages": [p.number for p in pages if p.method == "ocr"],
            **date_facts(found),
            **form.facts(),
            **embedded.facts(),
        }
        if any(p.method == "text_layer+ocr" for p in pages):
            facts["ocr_picture_pages"] = [p.number for p in pages if p.method == "text_layer+ocr"]
        if len(text) > limits.max_text_chars:
            text = text[: limits.max_text_chars]
            facts["text_truncated"] = True
        for key in ("/Producer", "/Creator", "/Author"):
            if info.get(key):
                facts[key.lstrip("/").lower()] = info[key][:200]
        status, error = Status.OK, None
        if failed:
            status = Status.PARTIAL
            first = next(p.error for p in pages if p.error)
            pages_list = ", ".join(str(n) for n in failed)
            error = f"page(s) {pages_list} could not be read: {first}"
        if embedded.problem:
            status, error = Status.PARTIAL, error or embedded.problem
        return Record(
            kind=Kind.DOCUMENT,
            title=sensible_title(info.get("/Title")) or source.filename.rsplit("/", 1)[-1],
            content_type="application/pdf",
            text=text,
            filename=source.filename,
            occurred=_occurred(text_date, meta),
            other_dates=meta,
            status=status,
            error=error,
            pages=pages,
            date_mentions=found.mentions,
            derived=copy.finish(),
            facts=facts,
            children=embedded.children,
        )


register(PdfExtractor())
