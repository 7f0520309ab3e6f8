"""Every document in the shared corpus goes through ``ingest.extract`` without a traceback
and ends with a sensible status; the PDFs and images get specific checks per file.

Each file is extracted once per session (``corpus_record``), so OCR runs once per file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import Record, Status
from tests.ingest.ocr_accuracy import CORPUS, corpus_path, corpus_record, word_accuracy

FOLDERS = ("malformed", "pdf_text", "pdf_scanned", "images", "contracts")


def _files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        f"{folder}/{path.name}" for folder in FOLDERS for path in (CORPUS / folder).iterdir() if path.is_file()
    )


FILES = _files()

# (status, what the error starts with) for the files whose outcome is fixed
EXPECTED: dict[str, tuple[Status, str | None]] = {
    "malformed/ingest_empty_zero_bytes.pdf": (Status.FAILED, "corrupt: empty file"),
    "malformed/ocrmypdf_invalid_header_eof_only.pdf": (
        Status.FAILED,
        "corrupt: not a readable PDF (PDFium: data format error)",
    ),
    "malformed/paperless_password-is-test.pdf": (Status.FAILED, "encrypted: password required"),
    "malformed/paperless_junk_before_pdf_header.pdf": (Status.OK, None),
    "malformed/pypdf_issue-297_bad_stream_length.pdf": (Status.OK, None),
}


def _ocr_pages(record: Record) -> list[int]:
    return [p.number for p in record.pages if p.method == "ocr"]


@pytest.mark.parametrize("relative", FILES or ["(corpus absent)"])
def test_every_corpus_file_extracts_cleanly(relative: str) -> None:
    if not FILES:
        pytest.skip("../shared/corpus is not present on this machine")
    record = corpus_record(relative)
    assert record.status in (Status.OK, Status.PARTIAL, Status.FAILED)
    if record.status is not Status.OK:
        assert record.error, "a record that is not ok says why"
        assert "\n" not in record.error and "Traceback" not in record.error
    if relative in EXPECTED:
        status, error = EXPECTED[relative]
        assert record.status is status
        if error is None:
            assert record.error is None
        else:
            assert record.error.startswith(error)
    suffix = Path(relative).suffix.lower()
    if suffix in (".pdf", ".png", ".tif", ".tiff", ".heic") and record.status is Status.OK:
        assert record.pages, "a readable document has pages"
        assert record.text.split("\f") == [p.text for p in record.pages]
        assert any(p.text.strip() for p in record.pages)
        for page in record.pages:
            if page.method == "ocr":
                assert page.engine and page.engine.startswith("tesseract")
        if _ocr_pages(record):
            assert record.derived and record.derived[0].role == "searchable_pdf"
        else:
            assert record.derived == ()


def _record(relative: str) -> Record:
    if not (CORPUS / relative).exists():
        pytest.skip("../shared/corpus is not present on this machine")
    return corpus_record(relative)


def test_no_tounicode_pdf_is_ocrd_not_taken_as_digit_soup() -> None:
    record = _record("pdf_text/tata_steel_order_no_tounicode.pdf")
    assert record.status is Status.OK
    assert _ocr_pages(record) == list(range(1, 10))
    assert "\x01" not in record.text and "01234567" not in record.text
    # the order table's column headings and coil numbers, read from the rendered pages
    assert "breedte" in record.text.lower()
    assert "467198" in record.text


def test_good_ocr_layer_is_not_reocrd() -> None:
    record = _record("pdf_scanned/pypdf_vicksburg_luradoc_ocr_layer.pdf")
    assert _ocr_pages(record) == []
    assert record.facts["page_count"] == 6
    assert "THE SIEGE OF VICKSBURG" in record.pages[0].text
    assert record.derived == ()


def test_garbled_ocr_layer_is_replaced() -> None:
    record = _record("pdf_scanned/unstructured_typewritten_memo_bad_ocr_layer.pdf")
    assert _ocr_pages(record) == [1]
    assert "«POAH" not in record.text
    text = " ".join(record.text.split())
    assert "Desiring to keep you posted on the progress of the" in text
    assert "you will be interested to know" in text


def test_mojibake_layer_is_replaced() -> None:
    record = _record("pdf_text/paperless_mojibake_text_layer.pdf")
    assert _ocr_pages(record) == [1, 2]
    assert "â" not in record.text
    assert "paperless" in record.text


def test_mixed_document_ocrs_pages_one_to_three_only() -> None:
    record = _record("pdf_scanned/paperless_mixed_text_and_image_pages.pdf")
    assert _ocr_pages(record) == [1, 2, 3]


def test_text_rotated_inside_the_scan() -> None:
    record = _record("pdf_scanned/paperless_rotated_90_inside_image.pdf")
    assert record.status is Status.OK
    assert "This is the text that appears on the first page" in record.pages[0].text
    assert all(p.confidence and p.confidence > 80 for p in record.pages)


def test_skewed_scan_reads() -> None:
    record = _record("pdf_scanned/ocrmypdf_skew.pdf")
    assert "LinnSequencer" in record.text


def test_owner_password_pdfs_open() -> None:
    for relative in (
        "pdf_text/paperless_adobe_sign_signed_permissions.pdf",
        "pdf_text/unstructured_copy_protected.pdf",
    ):
        record = _record(relative)
        assert record.status is Status.OK
        assert _ocr_pages(record) == []


def test_password_pdf_opens_with_the_password() -> None:
    if not corpus_path("malformed/paperless_password-is-test.pdf").exists():
        pytest.skip("../shared/corpus is not present on this machine")
    record = corpus_record("malformed/paperless_password-is-test.pdf", "test")
    assert record.status is Status.OK
    assert record.text.strip()


def test_contract_text_matches_cuad_text() -> None:
    record = _record("contracts/ADUROBIOTECH_2020_consulting_agreement.pdf")
    truth = corpus_path("contracts/ADUROBIOTECH_2020_consulting_agreement.txt").read_text(
        encoding="utf-8", errors="replace"
    )
    accuracy = word_accuracy(truth, record.text)
    print(f"ADUROBIOTECH text layer vs CUAD text: {accuracy:.1%}")
    assert accuracy >= 0.95
    # "dated June 1, 2020 but effective July 1, 2020": the signing date is the document's
    assert record.occurred is not None and record.occurred.at.date().isoformat() == "2020-06-01"
    labels = {(m.value.isoformat(), m.label) for m in record.date_mentions}
    assert ("2020-07-01", "effective") in labels


def test_court_judgment_date() -> None:
    record = _record("pdf_text/sg_high_court_judgment_HC_S_865_2018.pdf")
    assert record.occurred is not None
    assert record.occurred.at.date().isoformat() == "2020-03-04"  # "Date of Judgment"
    assert {d.detail for d in record.other_dates} == {"PDF /CreationDate", "PDF /ModDate"}


def test_memo_date_from_its_first_line() -> None:
    record = _record("pdf_text/unstructured_memo_duplicate_page.pdf")
    assert record.occurred is not None
    assert record.occurred.at.date().isoformat() == "2023-05-05"
    delivered = [m for m in record.date_mentions if m.value.isoformat() == "2023-01-23"]
    assert delivered and delivered[0].page == 1
