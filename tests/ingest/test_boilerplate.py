"""Running headers and footers are found by repetition (or a filing stamp's shape)."""

from __future__ import annotations

from ingest.boilerplate import running_spans


def test_repeated_edge_lines_are_running_whatever_their_numbers() -> None:
    bodies = ["The supplier delivers.", "The buyer pays on 1 May 2024.", "Notices go by post.", "Signed below."]
    pages = [f"ACME Supply Agreement\n{body}\nPage {n} of 4" for n, body in enumerate(bodies, start=1)]
    spans = running_spans(pages)
    for text, found in zip(pages, spans, strict=True):
        assert [text[a:b] for a, b in found] == ["ACME Supply Agreement", text.splitlines()[-1]]


def test_a_page_printed_twice_does_not_make_every_line_running() -> None:
    page = "May 5, 2023\nTo Whom it May Concern:\nItems were delivered on January 23, 2023."
    assert running_spans([page, page]) == [[], []]


def test_a_filing_stamp_is_running_on_a_single_page() -> None:
    page = "This Agreement is made on 4 May 2018.\nSource: ACME CORP, 10-K, 12/2/2019"
    ((start, end),) = running_spans([page])[0]
    assert page[start:end] == "Source: ACME CORP, 10-K, 12/2/2019"
