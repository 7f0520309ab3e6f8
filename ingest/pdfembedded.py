"""Files carried inside a PDF: the /EmbeddedFiles name tree (where a PDF portfolio keeps
its documents too) and file attachment annotations on pages.

Each becomes a child record of kind ``attachment`` with its own bytes in ``data``, read
through the registry like an email's attachment (a PDF in a PDF is read as a PDF, a zip
as a zip...). They count toward the same limits as any container's members: one level
of nesting (``Context.deeper``), at most ``max_zip_members`` of them, each at most
``max_file_bytes``, together at most ``max_zip_expansion_bytes`` (their compressed
streams were already measured against ``max_pdf_stream_bytes`` before pypdf decodes
them). One that cannot be read is a failed child with its reason; the rest are read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PdfReader
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

from .errors import Corrupt, IngestError, LimitReached
from .names import display_name
from .pdftrees import READ_ERRORS, Budget, kids, page_annotations, tree_nodes
from .records import Kind, Record
from .registry import extract, failed_record
from .source import Context, Source

__all__ = ["Embedded", "embedded_children", "has_file_attachments"]

log = logging.getLogger(__name__)

_FOLDER_PREFIX = re.compile(r"^<\d+>")  # a portfolio folder's id before a name-tree key


@dataclass(frozen=True)
class Embedded:
    """What the PDF carries, and whether any of it had to be left out."""

    children: tuple[Record, ...] = ()
    names: tuple[str, ...] = ()
    portfolio: bool = False
    problem: str | None = None  # why some were not read (a limit): the document is partial

    def facts(self) -> dict[str, object]:
        """``embedded_files`` (the names of the children) and ``pdf_portfolio``, when so."""
        facts: dict[str, object] = {}
        if self.names:
            facts["embedded_files"] = list(self.names)
        if self.portfolio:
            facts["pdf_portfolio"] = True
        return facts


@dataclass(frozen=True)
class _File:
    name: str
    spec: DictionaryObject
    where: str  # "embedded files" or "page 3 attachment"


def _name(key: object, spec: DictionaryObject) -> str:
    """/UF (the Unicode name), else /F, else the name-tree key without a folder prefix."""
    for entry in ("/UF", "/F"):
        value = spec.get(entry)
        value = value.get_object() if value is not None else None
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, bytes) and value.strip():
            return value.decode("latin-1")
    return _FOLDER_PREFIX.sub("", key) if isinstance(key, str) else ""


def _stream(spec: DictionaryObject) -> StreamObject | None:
    ef = spec.get("/EF")
    ef = ef.get_object() if ef is not None else None
    if not isinstance(ef, DictionaryObject):
        return None  # a reference to a file outside the PDF: nothing to read
    for entry in ("/UF", "/F"):
        if entry in ef:
            stream = ef[entry].get_object()
            if isinstance(stream, StreamObject):
                return stream
    return None


def _name_tree(reader: PdfReader) -> Iterator[tuple[object, DictionaryObject]]:
    """(key, file specification) pairs of /Names /EmbeddedFiles, however deep its /Kids."""
    try:
        names = reader.trailer["/Root"].get("/Names")
        names = names.get_object() if names is not None else None
        tree = names.get("/EmbeddedFiles") if isinstance(names, DictionaryObject) else None
    except READ_ERRORS:
        return
    if tree is None:
        return
    for node, _ in tree_nodes([tree], kids, Budget(), "embedded-files tree"):
        try:
            pairs = node.get("/Names")
            pairs = pairs.get_object() if pairs is not None else None
            if isinstance(pairs, ArrayObject):
                for key, value in zip(pairs[0::2], pairs[1::2], strict=False):
                    spec = value.get_object()
                    if isinstance(spec, DictionaryObject):
                        yield key.get_object(), spec
        except READ_ERRORS as exc:
            log.debug("embedded-files names skipped: %s", exc)


def has_file_attachments(page: pdfium.PdfPage) -> bool:
    """True when the (open) page carries a file attachment annotation. PDFium answers from
    the page already loaded for its text, where pypdf would parse the whole page tree again."""
    for index in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
        annot = pdfium_c.FPDFPage_GetAnnot(page, index)
        if not annot:
            continue
        try:
            if pdfium_c.FPDFAnnot_GetSubtype(annot) == pdfium_c.FPDF_ANNOT_FILEATTACHMENT:
                return True
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return False


def _files(reader: PdfReader, attachment_pages: bool = True) -> Iterator[_File]:
    """Every embedded file, each stream once (a portfolio may name one from two places);
    ``attachment_pages=False``: no page has a file attachment annotation (PDFium looked)."""
    seen: set[int] = set()

    def fresh(spec: DictionaryObject) -> bool:
        stream = _stream(spec)
        if stream is None or id(stream) in seen:
            return False
        seen.add(id(stream))
        return True

    for key, spec in _name_tree(reader):
        try:
            if fresh(spec):
                yield _File(_name(key, spec), spec, "embedded files")
        except READ_ERRORS as exc:
            log.debug("embedded file skipped: %s", exc)
    if not attachment_pages:
        return
    for number, annot in page_annotations(reader, "/FileAttachment"):
        try:
            spec = annot.get("/FS")
            spec = spec.get_object() if spec is not None else None
            if isinstance(spec, DictionaryObject) and fresh(spec):
                yield _File(_name(None, spec), spec, f"page {number} attachment")
        except READ_ERRORS as exc:
            log.debug("file attachment annotation skipped: %s", exc)


class _AllTooLarge(LimitReached):
    """The files together passed ``max_zip_expansion_bytes``: no more are read."""


def _content(file: _File, ctx: Context, so_far: int) -> bytes:
    """The file's bytes, decoded by pypdf; ``LimitReached``/``Corrupt`` naming it."""
    limits = ctx.limits
    stream = _stream(file.spec)
    if stream is None:
        raise Corrupt(f"embedded file {file.name!r} has no contents")
    try:
        data = stream.get_data()
    except LimitReachedError as exc:
        raise LimitReached(f"embedded file {file.name!r} is over pypdf's limits ({exc})") from exc
    except READ_ERRORS as exc:
        raise Corrupt(f"embedded file {file.name!r} cannot be decoded ({str(exc)[:120]})") from exc
    if len(data) > limits.max_file_bytes:
        raise LimitReached(
            f"embedded file {file.name!r} is {len(data):,} bytes, over max_file_bytes ({limits.max_file_bytes:,})"
        )
    if so_far + len(data) > limits.max_zip_expansion_bytes:
        raise _AllTooLarge(
            f"embedded files come to more than max_zip_expansion_bytes ({limits.max_zip_expansion_bytes:,})"
        )
    return data


def _failed(label: str, error: IngestError, facts: dict[str, str]) -> Record:
    child = failed_record(Source.from_bytes(b"", label), "application/octet-stream", error, Kind.ATTACHMENT)
    return replace(child, facts=facts)


def embedded_children(reader: PdfReader | None, ctx: Context, attachment_pages: bool = True) -> Embedded:
    """The PDF's embedded files as child records (``Kind.ATTACHMENT``, bytes in ``data``,
    ``pdf_embedded`` fact saying where each was found); never raises for a bad one.
    ``attachment_pages=False`` skips the look for attachment annotations (none on any page)."""
    if reader is None:
        return Embedded()
    try:
        portfolio = "/Collection" in reader.trailer["/Root"]
    except READ_ERRORS:
        portfolio = False
    found = list(_files(reader, attachment_pages))
    if not found:
        return Embedded(portfolio=portfolio)
    limits = ctx.limits
    problem = None
    if len(found) > limits.max_zip_members:
        problem = (
            f"limit: {len(found):,} embedded files, over max_zip_members ({limits.max_zip_members:,}); "
            "the rest were not read"
        )
        found = found[: limits.max_zip_members]
    too_deep: LimitReached | None = None
    try:
        inner = ctx.deeper()
    except LimitReached as exc:
        inner, too_deep = ctx, exc
    children: list[Record] = []
    total = 0
    for position, file in enumerate(found, start=1):
        label = display_name(file.name, f"embedded-{position}")
        facts = {"pdf_embedded": file.where, "pdf_embedded_name": file.name}
        if too_deep is not None:
            children.append(_failed(label, too_deep, facts))
            continue
        try:
            data = _content(file, ctx, total)
        except _AllTooLarge as exc:
            problem = problem or str(exc)
            break
        except IngestError as exc:
            children.append(_failed(label, exc, facts))
            continue
        total += len(data)
        child = extract(Source.from_bytes(data, label), inner, kind=Kind.ATTACHMENT)
        children.append(replace(child, data=data, filename=label, facts={**child.facts, **facts}))
    return Embedded(tuple(children), tuple(c.filename or "" for c in children), portfolio, problem)
