"""PDF extraction: text layers, the per-page OCR decision, dates, titles, bad PDFs, and the
searchable copy. Real PDFs are generated with reportlab; hostile ones are built by hand."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from ingest import Context, DateSource, Kind, Limits, Source, Status, extract
from ingest.pdf import parse_pdf_date, sensible_title
from ingest.pdfpages import has_usable_text
from tests.ingest.ocr_accuracy import corpus_path, corpus_record, word_accuracy
from tests.ingest.pdf_samples import (
    array_bomb_pdf,
    circular_xref_pdf,
    image_bomb_pdf,
    page_cycle_pdf,
)

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def _text_pdf(pages: list[str], title: str | None = None, created: str | None = None) -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    if title:
        pdf.setTitle(title)
    for body in pages:
        y = 800
        for line in body.splitlines():
            pdf.drawString(72, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    data = buf.getvalue()
    if created is None:
        return data
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.add_metadata({"/CreationDate": created, "/ModDate": created})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _text_image(lines: list[str], size: tuple[int, int] = (1700, 2200)) -> Image.Image:
    """A 200-dpi letter page picture of ``lines`` in a 40 px serif font."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 40)
    for row, line in enumerate(lines):
        draw.text((150, 200 + row * 70), line, font=font, fill=0)
    return image


def _scan_pdf(image: Image.Image, rotate: int = 0) -> bytes:
    """A PDF page that is nothing but ``image`` (a scan), optionally with /Rotate."""
    buf = io.BytesIO()
    size = letter if image.height >= image.width else (letter[1], letter[0])
    pdf = canvas.Canvas(buf, pagesize=size)
    pdf.drawImage(ImageReader(image.convert("RGB")), 0, 0, width=size[0], height=size[1])
    pdf.showPage()
    pdf.save()
    if not rotate:
        return buf.getvalue()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    writer.pages[0].rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf(data: bytes, name: str = "doc.pdf", **ctx: object) -> object:
    return extract(Source.from_bytes(data, name), Context(**ctx))  # type: ignore[arg-type]


# ---- has_usable_text -------------------------------------------------------------------

GOOD_TEXT = [
    "This Consultancy Agreement is made on 15 January 2024 between the parties below.",
    # vicksburg's existing OCR layer: imperfect but real words, must not be re-OCR'd
    "50 THE SIEGE OF VICKSBUEG.\nburied itself in tie earth, and exploded, scattering dirt "
    "for yards\naround and leaving a hole big enough to bury a horse.",
    "IN THE HIGH COURT OF THE REPUBLIC OF SINGAPORE\nCase No.: HC/S 865/2018\n"
    "Doc No.: HC/JUD 142/2020\nFiled: 06-March-2020 12:10 PM",
    "Invoice number: 123456\nSubtotal in USD $7.20\nTax (0%) $0.00\nTotal in USD $7.20",
    "الداخلية ةرازو",  # the Arabic heading of paperless_rtl_arabic.pdf
    "Η υπογεγραμμένη δηλώνω ενόρκως τα ακόλουθα για την εταιρεία",
    "This is a multi page document. Page 4.",
    "Contact shannons@allenai.org or see https://layout-parser.github.io for details.",
    "He said: “I’ve got about 20 documents” — and that’s all.",
]

BAD_TEXT = [
    "",
    "   \n\t ",
    "7",
    # tata_steel_order_no_tounicode.pdf through PDFium: glyph codes with no ToUnicode map
    "\x01\x02\x03\x04\x05\x06\x07 \x08\t\n\x0b\x0c \x0c\x0b\r\r\x0b\x0e \x0f\x0c\x10\t\x11",
    # ... and through pdftotext: the same glyph codes as digit soup
    '01234567\n 8    898  89 899 8998\n\n89\n9\n0123456  33 334 2\n!" #!\n0',
    # paperless_mojibake_text_layer.pdf: UTF-8 shown as Latin-1, its bytes octal-escaped
    "Hello! It is working fine. Iâ\\200\\231ve got about 20 documents. Thatâ\\200\\231s one.",
    "Itâ€™s a lot of text, isnâ€™t it? The cafÃ© is open.",
    "Iâ\x80\x99ve got about twenty documents in it now and it works fine",
    # unstructured_typewritten_memo_bad_ocr_layer.pdf: a garbled OCR layer
    "«POAH «3E*»CM tanntxim. inc. /^ . ^\ntoi n»Bfl. iseorty ttsrootj saifii, GROTE, nut , "
    "s*r;tiiR» and\nFRG&t OSZ H. USSSOBS\nyou K i l l tee interested t o knot t h a t",
    "\ue000\ue001\ue002 \ue003\ue004 \ue005\ue006\ue007",  # private-use glyph codes
    "\ufffd\ufffd\ufffd \ufffd\ufffd",
]


@pytest.mark.parametrize("text", GOOD_TEXT)
def test_usable_text_layers_are_kept(text: str) -> None:
    assert has_usable_text(text)


@pytest.mark.parametrize("text", BAD_TEXT)
def test_missing_or_garbage_text_layers_go_to_ocr(text: str) -> None:
    assert not has_usable_text(text)


# ---- small pure helpers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("D:20200721101616-07'00'", datetime(2020, 7, 21, 10, 16, 16, tzinfo=timezone(timedelta(hours=-7)))),
        ("D:20240901115916Z", datetime(2024, 9, 1, 11, 59, 16, tzinfo=UTC)),
        ("D:20230421160435Z00'00'", datetime(2023, 4, 21, 16, 4, 35, tzinfo=UTC)),
        ("D:20180525192604+08'00", datetime(2018, 5, 25, 19, 26, 4, tzinfo=timezone(timedelta(hours=8)))),
        ("D:2015", datetime(2015, 1, 1, tzinfo=UTC)),
        ("garbage", None),
        ("D:20201345", None),
    ],
)
def test_pdf_dates_parse(raw: str, expected: datetime | None) -> None:
    assert parse_pdf_date(raw, "UTC") == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Consultancy Agreement", "Consultancy Agreement"),
        ("Microsoft Word - Lease Renewal.docx", "Lease Renewal"),
        ("C:\\Datatech\\ScanWatermark\\Samples\\Scanned Document.tiff", None),
        ("Binder1.pdf", None),
        ("dnabsa.ijmuiden.eu.tatasteel.com_iblassen__orderpost=64006A", None),
        ("Untitled", None),
        ("   ", None),
        ("12345", None),
    ],
)
def test_titles_that_people_would_use(raw: str, expected: str | None) -> None:
    assert sensible_title(raw) == expected


# ---- text PDFs -------------------------------------------------------------------------


def test_text_pdf_pages_title_and_form_feeds() -> None:
    data = _text_pdf(
        ["Lease renewal for unit 4.", "Second page about the rent.", "Third page: signatures."],
        title="Lease Renewal",
    )
    record = _pdf(data)
    assert record.status is Status.OK
    assert record.kind is Kind.DOCUMENT
    assert record.title == "Lease Renewal"
    assert record.facts["page_count"] == 3
    assert [p.method for p in record.pages] == ["text_layer"] * 3
    assert record.text.split("\f") == [p.text for p in record.pages]
    assert "Second page about the rent." in record.pages[1].text
    assert record.derived == ()  # nothing OCR'd, nothing derived


def test_stated_date_beats_metadata_and_metadata_is_kept() -> None:
    data = _text_pdf(
        ["This Agreement is made on 15 January 2024 between A and B.", "Effective Date: 1 March 2024"],
        created="D:20240320120000+01'00'",
    )
    record = _pdf(data, "agreement.pdf")
    assert record.title == "agreement.pdf"  # no /Title: the file name
    assert record.occurred is not None
    assert record.occurred.source is DateSource.DOCUMENT_TEXT
    assert record.occurred.at.date().isoformat() == "2024-01-15"
    meta = {d.detail: d for d in record.other_dates}
    created = meta["PDF /CreationDate"]
    assert created.source is DateSource.DOCUMENT_METADATA and created.precision == "second"
    assert created.at == datetime(2024, 3, 20, 12, tzinfo=timezone(timedelta(hours=1)))
    labels = {(m.value.isoformat(), m.label, m.page) for m in record.date_mentions}
    assert ("2024-01-15", "signed", 1) in labels
    assert ("2024-03-01", "effective", 2) in labels


def test_metadata_date_when_text_states_none() -> None:
    record = _pdf(_text_pdf(["Minutes of a meeting with no date."], created="D:20230102030405Z"))
    assert record.occurred is not None
    assert record.occurred.source is DateSource.DOCUMENT_METADATA
    assert record.occurred.detail == "PDF /CreationDate"
    assert record.occurred.at == datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_page_limit() -> None:
    record = _pdf(_text_pdf(["one", "two", "three"]), limits=Limits(max_pdf_pages=2))
    assert record.status is Status.FAILED
    assert record.error == "limit: 3 pages is over max_pdf_pages (2)"


# ---- OCR inside PDFs -------------------------------------------------------------------

CONTRACT_LINES = [
    "MASTER SERVICES AGREEMENT",
    "This Agreement is made on 12 March 2024",
    "between Harbour Logistics Limited and",
    "Quayside Analytics LLP. Payment is due",
    "within thirty days of each invoice.",
]


@pytest.fixture(scope="module")
def scanned_pdf() -> bytes:
    return _scan_pdf(_text_image(CONTRACT_LINES))


@pytest.fixture(scope="module")
def scanned_record(scanned_pdf: bytes) -> object:
    return _pdf(scanned_pdf, "scan.pdf")


def test_scanned_page_is_ocrd(scanned_record: object) -> None:
    record = scanned_record
    assert record.status is Status.OK
    (page,) = record.pages
    assert page.method == "ocr"
    assert page.engine is not None and page.engine.startswith("tesseract ")
    assert page.confidence is not None and page.confidence > 80
    accuracy = word_accuracy("\n".join(CONTRACT_LINES), page.text)
    print(f"synthetic scan word accuracy: {accuracy:.1%}")
    assert accuracy >= 0.95
    assert record.facts["ocr_pages"] == [1]
    assert record.occurred is not None and record.occurred.at.date().isoformat() == "2024-03-12"


def test_searchable_pdf_has_ocr_words_and_original_is_untouched(scanned_pdf: bytes, scanned_record: object) -> None:
    before = hashlib.sha256(scanned_pdf).hexdigest()
    (derived,) = scanned_record.derived
    assert derived.role == "searchable_pdf" and derived.content_type == "application/pdf"
    layer_text = PdfReader(io.BytesIO(derived.data)).pages[0].extract_text()
    assert word_accuracy("\n".join(CONTRACT_LINES), layer_text) >= 0.9
    assert derived.data != scanned_pdf
    assert hashlib.sha256(scanned_pdf).hexdigest() == before
    # the OCR'd copy is the same page: same size, the scan still drawn on it
    original = PdfReader(io.BytesIO(scanned_pdf)).pages[0]
    copy = PdfReader(io.BytesIO(derived.data)).pages[0]
    assert copy.mediabox == original.mediabox


@pytest.mark.parametrize(
    ("rotate", "scanned_turned"),
    [(90, 0), (270, 0), (0, 180), (0, 90), (0, 270)],
    ids=["page-rotate-90", "page-rotate-270", "scan-upside-down", "scan-on-left-side", "scan-on-right-side"],
)
def test_text_layer_lands_on_the_word_of_a_rotated_page(rotate: int, scanned_turned: int) -> None:
    """On a /Rotate page, or a scan fed in upside down, the invisible word must sit where
    the page shows it."""
    picture = _text_image(CONTRACT_LINES + ["", "", "QUARTERLY"])
    picture = picture.rotate(rotate + scanned_turned, expand=True)
    data = _scan_pdf(picture, rotate=rotate)
    record = _pdf(data, "rotated.pdf")
    assert "QUARTERLY" in record.text
    doc = pdfium.PdfDocument(record.derived[0].data)
    page = doc[0]
    textpage = page.get_textpage()
    found = textpage.search("QUARTERLY").get_next()
    assert found is not None
    left, bottom, right, top = textpage.get_charbox(found[0])
    # where the word is in the unrotated scan, in page space: rendered view -> page box
    bitmap = page.render(scale=1).to_pil().convert("L")
    column = [(x, y) for x in range(bitmap.width) for y in range(0, bitmap.height, 2) if bitmap.getpixel((x, y)) < 128]
    assert column, "the scan shows text"
    # the char box, turned into rendered-view pixels, must fall on dark (ink) pixels' area
    width, height = page.get_size()
    view = [_to_view(x, y, rotate, width, height) for x, y in ((left, bottom), (right, top))]
    xs = sorted(v[0] for v in view)
    ys = sorted(v[1] for v in view)
    ink = [p for p in column if xs[0] - 3 <= p[0] <= xs[1] + 3 and ys[0] - 3 <= p[1] <= ys[1] + 3]
    assert ink, f"no ink under the OCR'd letter at {xs}, {ys}"


def _to_view(x: float, y: float, rotate: int, width: float, height: float) -> tuple[float, float]:
    """Page-space point -> pixel of a scale-1 render of a page turned by ``rotate``."""
    # width, height are the rendered (rotated) size; page space is the unrotated box
    if rotate == 90:
        return y, x
    if rotate == 270:
        return width - y, height - x
    return x, height - y


def test_pdf_image_bomb_is_refused() -> None:
    record = _pdf(image_bomb_pdf(), "bomb.pdf")
    assert record.status is Status.FAILED
    assert record.error.startswith("limit: page 1 has a 100,000x100,000-pixel image")


def test_pypdf_limit_becomes_limit_reached() -> None:
    record = _pdf(array_bomb_pdf(), "array.pdf")
    assert record.status is Status.FAILED
    assert record.error.startswith("limit: PDF structure over pypdf's limits")


# ---- bad PDFs --------------------------------------------------------------------------


def test_circular_xref_still_reads() -> None:
    record = _pdf(circular_xref_pdf(), "circular.pdf")
    assert record.status is Status.OK
    assert "Circular reference test" in record.text


def test_page_tree_cycle_is_a_clear_failure() -> None:
    record = _pdf(page_cycle_pdf(), "cycle.pdf")
    assert record.status is Status.FAILED
    assert record.error.startswith("corrupt: ")
    assert "\n" not in record.error


def test_truncated_pdf() -> None:
    data = _text_pdf(["A page that will be cut short."])
    record = _pdf(data[: len(data) // 2], "truncated.pdf")
    assert record.status is Status.FAILED
    assert record.error == "corrupt: not a readable PDF (PDFium: data format error)"


def test_bad_stream_length_reads() -> None:
    record = _pdf(corpus_path("malformed/pypdf_issue-297_bad_stream_length.pdf").read_bytes())
    assert record.status is Status.OK
    assert record.text == "test example"


def test_junk_before_header_opens() -> None:
    record = _pdf(corpus_path("malformed/paperless_junk_before_pdf_header.pdf").read_bytes())
    assert record.status is Status.OK
    assert "Invoice number" in record.text
    assert record.facts["page_count"] == 2


def test_html_named_pdf_is_not_read_as_pdf() -> None:
    html = b"<!DOCTYPE html><html><body><h1>Session expired</h1><p>Log in again.</p></body></html>"
    record = _pdf(html, "statement.pdf")
    assert record.content_type == "text/html"
    assert record.status in (Status.OK, Status.PARTIAL, Status.FAILED)
    assert record.status is not Status.FAILED or record.error
    assert not record.pages  # not mistaken for a PDF


@pytest.mark.parametrize(
    ("password", "status", "error"),
    [
        (None, Status.FAILED, "encrypted: password required"),
        ("wrong", Status.FAILED, "encrypted: wrong password"),
        ("test", Status.OK, None),
    ],
)
def test_password_protected_pdf(password: str | None, status: Status, error: str | None) -> None:
    path = corpus_path("malformed/paperless_password-is-test.pdf")
    if not path.exists():
        pytest.skip("../shared/corpus is not present on this machine")
    record = _pdf(path.read_bytes(), path.name, password=password)
    assert record.status is status
    assert record.error == error
    if status is Status.OK:
        assert record.text.strip()


def test_owner_password_only_opens_without_one() -> None:
    record = corpus_record("pdf_text/paperless_adobe_sign_signed_permissions.pdf")
    assert record.status is Status.OK
    assert "digitally signed PDF" in record.text


def test_mixed_pdf_ocrs_only_its_image_pages() -> None:
    record = corpus_record("pdf_scanned/paperless_mixed_text_and_image_pages.pdf")
    assert record.status is Status.OK
    assert record.facts["ocr_pages"] == [1, 2, 3]
    assert [p.method for p in record.pages] == ["ocr"] * 3 + ["text_layer"] * 3
    for page in record.pages:
        assert f"multi page document. Page {page.number}" in page.text
    layer = PdfReader(io.BytesIO(record.derived[0].data))
    assert "Page 2" in layer.pages[1].extract_text()
    assert "Page 5" in layer.pages[4].extract_text()


def test_sample_contract_ocr_accuracy() -> None:
    # sample_docs is committed: a missing file here is a failure, not a skip
    repo = Path(__file__).resolve().parents[2]
    pdf = repo / "sample_docs/northwind/contracts/consultancy-agreement-signed.pdf"
    truth = repo / "sample_docs/ground_truth/consultancy-agreement-signed.txt"
    record = _pdf(pdf.read_bytes(), pdf.name)
    assert record.status is Status.OK
    assert record.facts["ocr_pages"], "the signed contract is a scan"
    accuracy = word_accuracy(truth.read_text(encoding="utf-8"), record.text)
    print(f"consultancy-agreement-signed.pdf word accuracy: {accuracy:.1%}")
    assert accuracy >= 0.97
    assert record.occurred is not None
    assert record.occurred.source is DateSource.DOCUMENT_TEXT


def test_text_layer_keeps_inherited_resources() -> None:
    """A page whose image is declared on its parent /Pages node still shows it, with words."""
    from pypdf.generic import NameObject

    data = _scan_pdf(_text_image(CONTRACT_LINES))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    page = writer.pages[0]
    parent = page["/Parent"].get_object()
    parent[NameObject("/Resources")] = page["/Resources"]
    del page[NameObject("/Resources")]
    out = io.BytesIO()
    writer.write(out)
    record = _pdf(out.getvalue(), "inherited.pdf")
    assert record.status is Status.OK and record.facts["ocr_pages"] == [1]
    derived = pdfium.PdfDocument(record.derived[0].data)[0]
    kinds = [obj.type for obj in derived.get_objects()]
    assert pdfium_c_image() in kinds  # the scan is still drawn
    assert "MASTER SERVICES AGREEMENT" in PdfReader(io.BytesIO(record.derived[0].data)).pages[0].extract_text()


def pdfium_c_image() -> int:
    import pypdfium2.raw as pdfium_c

    return pdfium_c.FPDF_PAGEOBJ_IMAGE


def test_jpeg_scan_goes_to_tesseract_as_stored(tmp_path: Path) -> None:
    """A full-page JPEG scan is handed over as the PDF's own JPEG bytes, not re-decoded."""
    from ingest.pdfpages import open_pdfium
    from ingest.pdfpictures import Picture, page_pictures

    jpeg = tmp_path / "scan.jpg"
    _text_image(CONTRACT_LINES).save(jpeg, "JPEG", quality=85, dpi=(200, 200))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=letter)
    pdf.drawImage(str(jpeg), 0, 0, width=612, height=792)  # reportlab embeds the file as-is
    pdf.showPage()
    pdf.save()
    doc = open_pdfium(buf.getvalue(), None)
    placed: list[Picture] = []
    (picture,) = page_pictures(doc, [1], Limits(), placed)
    assert picture.data == jpeg.read_bytes()
    assert (picture.width, picture.height, picture.dpi) == (1700, 2200, 200)
    assert placed == [Picture(1, (612.0, 0.0, 0.0, 792.0, 0.0, 0.0))]
    record = _pdf(buf.getvalue(), "jpeg-scan.pdf")
    assert word_accuracy("\n".join(CONTRACT_LINES), record.text) >= 0.95
    layer = PdfReader(io.BytesIO(record.derived[0].data)).pages[0].extract_text()
    assert "Quayside" in layer


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_unturn_maps_a_turned_pictures_point_back(turn: int) -> None:
    """A mark found in the picture tesseract read (turned clockwise) maps back to the mark."""
    from ingest.ocr import _TURN
    from ingest.searchable import _unturn

    width, height = 40, 30
    original = Image.new("L", (width, height), 255)
    original.putpixel((5, 7), 0)  # 5 right, 7 down: y-up that is (5.5, 30 - 7.5)
    turned = original.transpose(_TURN[turn])
    (tx, ty) = next((x, y) for x in range(turned.width) for y in range(turned.height) if turned.getpixel((x, y)) == 0)
    xp, yp = tx + 0.5, turned.height - (ty + 0.5)  # centre of the mark, y up
    a, b, c, d, e, f = _unturn(turn, width, height)
    assert (a * xp + c * yp + e, b * xp + d * yp + f) == pytest.approx((5.5, height - 7.5))
