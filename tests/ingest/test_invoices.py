"""Invoices: labels kept with their values in layout order, and the invoice's own fields."""

from __future__ import annotations

import io
import mailbox
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ingest import Context, Limits, Source, extract
from ingest.docdates import document_dates
from tests.conftest import SAMPLES


def _sample_invoice() -> bytes:
    """INV-2024-007.pdf as the sample client received it, attached to the mailbox."""
    for message in mailbox.mbox(SAMPLES / "northwind" / "mail" / "northwind-2024.mbox"):
        for part in message.walk():
            if part.get_filename() == "INV-2024-007.pdf":
                return part.get_payload(decode=True)  # type: ignore[return-value]
    raise AssertionError("the sample mailbox no longer carries INV-2024-007.pdf")


def _record(data: bytes, name: str = "invoice.pdf"):  # type: ignore[no-untyped-def]
    return extract(Source.from_bytes(data, name), Context(limits=Limits()))


def test_the_sample_invoice_is_dated_by_its_invoice_date_not_the_agreement_it_cites() -> None:
    record = _record(_sample_invoice(), "INV-2024-007.pdf")
    assert record.occurred is not None
    assert record.occurred.at.date() == date(2024, 4, 30)
    assert record.occurred.detail == "invoice date: '30 April 2024', p. 1"
    by_date = {m.value: m for m in record.date_mentions}
    assert by_date[date(2024, 1, 15)].label == "date"
    assert by_date[date(2024, 1, 15)].reason == "another document's date"
    # one due date, the printed one; "Total due" near the invoice date does not make it "due"
    assert [m.value for m in record.date_mentions if m.label == "due"] == [date(2024, 5, 30)]
    assert by_date[date(2024, 4, 30)].sentence == "Invoice date: 30 April 2024"
    facts = record.facts
    assert facts["invoice_number"] == "INV-2024-007"
    assert facts["invoice_date"] == "2024-04-30" and facts["due_date"] == "2024-05-30"
    assert (facts["amount"], facts["currency"]) == ("27000.00", "GBP")
    assert facts["purchase_order"] == "NW-PO-4471"
    assert facts["payment_terms"] == "30 days from the invoice date"


def test_layout_order_keeps_a_label_with_its_value_when_drawn_column_by_column() -> None:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    # the producer draws every label first, then every value: stream order separates them
    for row, label in enumerate(("Invoice number:", "Invoice date:", "Total due")):
        c.drawString(56, height - 100 - 20 * row, label)
    for row, value in enumerate(("INV-9", "3 June 2024", "$1,250.00")):
        c.drawRightString(width - 56, height - 100 - 20 * row, value)
    c.drawString(56, height - 200, "Payment terms: Net 15")
    c.showPage()
    c.save()
    record = _record(buf.getvalue())
    lines = record.text.splitlines()
    assert any(line.startswith("Invoice date:") and line.endswith("3 June 2024") for line in lines)
    assert any(line.startswith("Total due") and line.endswith("$1,250.00") for line in lines)
    assert record.occurred is not None and record.occurred.at.date() == date(2024, 6, 3)
    # no printed due date: computed from the terms, and it says so
    assert record.facts["due_date"] == "2024-06-18"
    assert record.facts["due_date_computed"] == "15 days from the invoice date 3 June 2024"
    (due,) = [m for m in record.date_mentions if m.label == "due"]
    assert due.value == date(2024, 6, 18) and due.reason.startswith("computed: 15 days from the invoice date")
    assert (record.facts["amount"], record.facts["currency"]) == ("1250.00", "USD")


def test_two_columns_of_prose_keep_reading_each_column_through() -> None:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    left = [f"Left column sentence number {n} continues here." for n in range(12)]
    right = [f"Right column sentence number {n} goes on too." for n in range(12)]
    for row, line in enumerate(left):
        c.drawString(40, height - 80 - 14 * row, line)
    for row, line in enumerate(right):
        c.drawString(width / 2 + 10, height - 80 - 14 * row, line)
    c.showPage()
    c.save()
    text = _record(buf.getvalue()).text
    assert text.index("Left column sentence number 11") < text.index("Right column sentence number 0")


def test_an_invoice_without_an_invoice_label_is_read_as_a_document() -> None:
    found = document_dates([(1, "Minutes of the meeting held on 4 March 2024. Total due to be agreed.")])
    assert found.invoice is None
