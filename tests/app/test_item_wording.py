"""How the item page words the way each page's text was got."""

from __future__ import annotations

from app.schemas import PagePublic
from app.web.item_wording import page_method_words


def _page(method: str, confidence: float | None = None) -> PagePublic:
    return PagePublic(number=1, text="x", method=method, confidence=confidence, engine=None, error=None)


def test_a_text_page_whose_picture_was_ocrd_says_both() -> None:
    assert page_method_words(_page("text_layer+ocr", 91.4)) == (
        "text from the PDF's own text layer, and a picture on the page read by OCR, 91% confidence"
    )
    assert page_method_words(_page("text_layer+ocr")) == (
        "text from the PDF's own text layer, and a picture on the page read by OCR"
    )


def test_the_other_methods_keep_their_words() -> None:
    assert page_method_words(_page("ocr", 88.0)) == "read by OCR, 88% confidence"
    assert page_method_words(_page("text_layer")) == "text from the PDF's own text layer"
