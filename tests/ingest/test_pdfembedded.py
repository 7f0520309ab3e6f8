"""Files inside PDFs (the /EmbeddedFiles name tree, file attachment annotations, portfolios)
become attachment children read through the registry, within the containers' limits."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)
from reportlab.pdfgen import canvas

from ingest import Context, Kind, Limits, Source, Status, extract
from tests.ingest.pdf_samples import written

NOTE = b"Invoice 42 was paid on 3 March 2024."


def _text_pdf(*lines: str) -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for row, line in enumerate(lines):
        pdf.drawString(72, 760 - 16 * row, line)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def _with_attachments(files: dict[str, bytes], cover: str = "Cover letter for the invoice") -> PdfWriter:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_text_pdf(cover))))
    for name, data in files.items():
        writer.add_attachment(name, data)
    return writer


def _filespec(writer: PdfWriter, name: str, data: bytes) -> DictionaryObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    stream[NameObject("/Type")] = NameObject("/EmbeddedFile")
    ef = DictionaryObject({NameObject("/F"): writer._add_object(stream)})
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject(name),
            NameObject("/UF"): TextStringObject(name),
            NameObject("/EF"): ef,
        }
    )


def _extract(data: bytes, name: str = "cover.pdf", **limits: object):
    return extract(Source.from_bytes(data, name), Context(limits=Limits(**limits)))  # type: ignore[arg-type]


def test_embedded_files_become_attachment_children_read_by_their_own_reader() -> None:
    inner = _text_pdf("Inner contract signed by both parties")
    record = _extract(written(_with_attachments({"notes.txt": NOTE, "contract.pdf": inner})))
    assert record.status is Status.OK
    assert record.text == "Cover letter for the invoice"  # the cover's own text only
    assert record.facts["embedded_files"] == ["contract.pdf", "notes.txt"]  # name-tree order
    pdf, note = record.children
    assert (pdf.kind, pdf.filename, pdf.content_type) == (Kind.ATTACHMENT, "contract.pdf", "application/pdf")
    assert pdf.data == inner
    assert pdf.text == "Inner contract signed by both parties"
    assert (note.kind, note.filename, note.data, note.text) == (Kind.ATTACHMENT, "notes.txt", NOTE, NOTE.decode())
    assert note.facts["pdf_embedded"] == "embedded files"


def test_a_file_attachment_annotation_on_a_page_becomes_a_child() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_text_pdf("See the receipt pinned here"))))
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject(FloatObject(v) for v in (72, 700, 90, 718)),
            NameObject("/FS"): writer._add_object(_filespec(writer, "receipt.txt", NOTE)),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    record = _extract(written(writer))
    (child,) = record.children
    assert (child.kind, child.filename, child.data) == (Kind.ATTACHMENT, "receipt.txt", NOTE)
    assert child.facts["pdf_embedded"] == "page 1 attachment"


def test_a_portfolio_says_so_and_its_files_are_children() -> None:
    writer = _with_attachments({"a.txt": b"First file of the portfolio", "b.txt": b"Second file"})
    writer._root_object[NameObject("/Collection")] = DictionaryObject({NameObject("/View"): NameObject("/D")})
    record = _extract(written(writer), "portfolio.pdf")
    assert record.facts["pdf_portfolio"] is True
    assert [c.text for c in record.children] == ["First file of the portfolio", "Second file"]


def test_files_deep_in_a_name_tree_of_kids_are_found() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_text_pdf("Cover"))))
    spec = writer._add_object(_filespec(writer, "deep.txt", NOTE))
    leaf = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("deep.txt"), spec])})
    middle = DictionaryObject({NameObject("/Kids"): ArrayObject([writer._add_object(leaf)])})
    top = writer._add_object(DictionaryObject({NameObject("/Kids"): ArrayObject([writer._add_object(middle)])}))
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/EmbeddedFiles"): top})
    record = _extract(written(writer))
    assert [c.filename for c in record.children] == ["deep.txt"]


def test_a_cyclic_name_tree_ends_without_a_traceback() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_text_pdf("Cover"))))
    node = DictionaryObject()
    ref = writer._add_object(node)
    node[NameObject("/Kids")] = ArrayObject([ref])  # a node that is its own kid
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/EmbeddedFiles"): ref})
    record = _extract(written(writer))
    assert record.status is Status.OK
    assert record.children == ()


def test_embedded_files_count_as_a_level_of_nesting() -> None:
    record = _extract(written(_with_attachments({"notes.txt": NOTE})), max_nesting=0)
    assert record.status is Status.OK  # the PDF itself is read
    (child,) = record.children
    assert child.status is Status.FAILED
    assert child.error == "limit: nested more than 0 containers deep"
    assert child.data is None


def test_more_embedded_files_than_max_zip_members_leaves_the_rest_unread() -> None:
    record = _extract(written(_with_attachments({"a.txt": b"one", "b.txt": b"two"})), max_zip_members=1)
    assert record.status is Status.PARTIAL
    assert record.error == "limit: 2 embedded files, over max_zip_members (1); the rest were not read"
    assert [c.filename for c in record.children] == ["a.txt"]


def test_embedded_files_count_toward_the_expansion_limit() -> None:
    record = _extract(written(_with_attachments({"notes.txt": NOTE})), max_zip_expansion_bytes=10)
    assert record.status is Status.PARTIAL
    assert record.error == "limit: embedded files come to more than max_zip_expansion_bytes (10)"
    assert record.children == ()
