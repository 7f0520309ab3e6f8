"""The OCR engine and pool: accuracy against ground truth, orientation, per-page time limits,
crash isolation and recovery. Real Tesseract throughout."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from ingest import Context, Limits, Source, Status, extract
from ingest.ocr import OcrResult, PageImage, engine_name, ocr_image, ocr_pages, page_image, worker_count
from tests.ingest.ocr_accuracy import corpus_path, corpus_record, word_accuracy


def _corpus(relative: str):
    path = corpus_path(relative)
    if not path.exists():
        pytest.skip("../shared/corpus is not present on this machine")
    return path


@pytest.fixture(scope="module")
def phototest() -> PageImage:
    with Image.open(_corpus("images/tesseract_phototest.tif")) as image:
        return page_image(image, 200)


def test_phototest_accuracy() -> None:
    truth = _corpus("images/tesseract_phototest.gt.txt").read_text(encoding="utf-8")
    record = corpus_record("images/tesseract_phototest.tif")
    accuracy = word_accuracy(truth, record.text)
    print(f"tesseract_phototest.tif word accuracy: {accuracy:.1%}")
    assert accuracy >= 0.90


def test_unlv_magazine_page_accuracy() -> None:
    truth = _corpus("images/tesseract_unlv_8087_054.3B.gt.txt").read_text(encoding="utf-8")
    record = corpus_record("images/tesseract_unlv_8087_054.3B.tif")
    accuracy = word_accuracy(truth, record.text)
    print(f"tesseract_unlv_8087_054.3B.tif word accuracy: {accuracy:.1%}")
    # a two-column magazine page: reading order costs matched runs, not recognition
    assert accuracy >= 0.80


def test_rotated_image_is_turned_upright() -> None:
    truth = _corpus("images/tesseract_phototest.gt.txt").read_text(encoding="utf-8")
    record = corpus_record("images/tesseract_phototest-rotated-R.png")
    accuracy = word_accuracy(truth, record.text)
    print(f"tesseract_phototest-rotated-R.png word accuracy: {accuracy:.1%}")
    assert accuracy >= 0.90


def test_upside_down_page_is_read_via_orientation_detection(phototest: PageImage) -> None:
    with Image.open(_corpus("images/tesseract_phototest.tif")) as image:
        upside_down = page_image(image.rotate(180), 200)
    result = ocr_image(upside_down, Limits())
    truth = _corpus("images/tesseract_phototest.gt.txt").read_text(encoding="utf-8")
    assert result.error is None
    assert word_accuracy(truth, result.text) >= 0.90


def test_result_carries_text_confidence_layer_and_engine(phototest: PageImage) -> None:
    result = ocr_image(phototest, Limits())
    assert result.error is None
    assert "quick brown dog" in result.text
    assert result.confidence is not None and 80 < result.confidence <= 100
    assert result.words > 40
    assert result.layer_pdf is not None and result.layer_pdf.startswith(b"%PDF")
    assert re.fullmatch(r"tesseract \d+\.\d+\.\d+ \(eng\)", result.engine)
    assert result.engine == engine_name(Limits())


def test_unknown_language_falls_back_to_installed_ones() -> None:
    assert engine_name(Limits(ocr_languages="eng+zzz")).endswith("(eng)")


def test_timeout_fails_the_page_and_the_pool_recovers(phototest: PageImage) -> None:
    limits = Limits(ocr_seconds_per_page=0.001)
    timed_out = list(ocr_pages([phototest, phototest], limits))
    assert [r.error for r in timed_out] == ["OCR timed out (limit 0.001 s per page)"] * 2
    assert all(r.text == "" and r.layer_pdf is None for r in timed_out)
    # the very next call, same shared pool, reads normally
    (again,) = ocr_pages([phototest], Limits())
    assert again.error is None and "quick brown dog" in again.text


def test_timeout_through_extract_is_partial_then_next_document_is_fine() -> None:
    data = _corpus("images/tesseract_phototest.tif").read_bytes()
    slow = extract(
        Source.from_bytes(data, "phototest.tif"),
        Context(limits=Limits(ocr_seconds_per_page=0.001)),
    )
    assert slow.status is Status.PARTIAL
    assert slow.error == "page(s) 1 could not be read: OCR timed out (limit 0.001 s per page)"
    (page,) = slow.pages
    assert page.method == "ocr" and page.error and page.text == ""
    fine = extract(Source.from_bytes(data, "phototest.tif"))
    assert fine.status is Status.OK and "quick brown dog" in fine.text


def test_a_crashing_page_fails_alone(phototest: PageImage) -> None:
    broken = PageImage(data=b"P5\n100 100\n255\n" + b"\x00" * 10, width=100, height=100, dpi=300)
    results = list(ocr_pages([phototest, broken, phototest], Limits(ocr_workers=2)))
    assert results[0].error is None and "quick brown dog" in results[0].text
    assert results[1].error is not None and results[1].error.startswith("tesseract failed")
    assert results[2].error is None and results[2].text == results[0].text


def test_results_keep_page_order_under_parallelism(phototest: PageImage) -> None:
    blank = page_image(Image.new("L", (400, 300), 255), 300)
    results = list(ocr_pages([blank, phototest, blank, phototest], Limits(ocr_workers=2)))
    assert [bool(r.text) for r in results] == [False, True, False, True]
    assert results[0].confidence is None and results[0].words == 0


def test_worker_count() -> None:
    assert worker_count(Limits(ocr_workers=3)) == 3
    assert worker_count(Limits()) >= 1


def test_page_image_is_raw_pnm_not_png() -> None:
    colour = Image.new("RGB", (30, 20), (200, 10, 10))
    grey = page_image(colour, 300)
    assert grey.data.startswith(b"P5")  # grey, uncompressed
    assert len(grey.data) == len(b"P5\n30 20\n255\n") + 30 * 20
    assert page_image(Image.new("1", (16, 2)), 300).data.startswith(b"P4")
    assert isinstance(OcrResult(), OcrResult)


def test_large_upside_down_page_uses_halved_orientation_check() -> None:
    """A 300-dpi letter page scanned upside down: OSD on a half-size copy still turns it."""
    from PIL import ImageDraw, ImageFont

    lines = ["NOTICE OF TERMINATION", "The lease of Unit 4 ends on 31 May 2024.", "Keys are due back that day."]
    page = Image.new("L", (2550, 3300), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 50)
    for row, line in enumerate(lines):
        draw.text((250, 300 + row * 90), line, font=font, fill=0)
    image = page_image(page.rotate(180), 300)
    assert image.width * image.height > 4_000_000  # big enough to be halved for OSD
    result = ocr_image(image, Limits())
    assert result.error is None
    assert word_accuracy("\n".join(lines), result.text) >= 0.9
