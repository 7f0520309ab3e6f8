"""Filled-in PDF forms: AcroForm values appended to the page each field is on, under "Form
fields"; XFA data after the last page; blank fields left out; hostile form trees bounded."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, TextStringObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ingest import Source, Status, extract
from tests.ingest.pdf_samples import written


def _form_pdf() -> bytes:
    """Two pages: a typed label with its filled field on each, plus boxes and a choice."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    pdf.drawString(72, 800, "Change request form")
    pdf.drawString(72, 760, "Client name:")
    pdf.acroForm.textfield(name="client_name", value="Northwind Retail", x=200, y=750, width=200, height=20)
    pdf.acroForm.checkbox(name="approved", checked=True, x=200, y=700)
    pdf.acroForm.checkbox(name="rejected", checked=False, x=240, y=700)
    pdf.acroForm.choice(name="tier", value="Gold", options=["Gold", "Silver"], x=200, y=650, width=100, height=20)
    pdf.acroForm.textfield(name="notes", value="", x=200, y=600, width=200, height=20)
    pdf.showPage()
    pdf.drawString(72, 800, "Signature page")
    pdf.acroForm.textfield(name="date_signed", value="3 May 2024", x=200, y=750, width=200, height=20)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def test_filled_fields_are_appended_to_their_page_under_form_fields() -> None:
    record = extract(Source.from_bytes(_form_pdf(), "change-request.pdf"))
    assert record.status is Status.OK
    first, second = record.pages
    # the widgets' values are not in the text layer: without the form they were lost
    assert first.text == (
        "Change request form\nClient name:\n\nForm fields\nclient_name: Northwind Retail\napproved: Yes\ntier: Gold"
    )
    assert second.text == "Signature page\n\nForm fields\ndate_signed: 3 May 2024"
    assert "rejected" not in record.text and "notes:" not in record.text  # blank: nothing to say
    assert record.facts["form_fields"] == {
        "client_name": "Northwind Retail", "approved": "Yes", "tier": "Gold", "date_signed": "3 May 2024",
    }
    assert "Northwind Retail" in record.text


def test_xfa_form_data_comes_after_the_last_page() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_form_pdf())))
    datasets = DecodedStreamObject()
    datasets.set_data(
        b'<xfa:datasets xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/"><xfa:data>'
        b"<form1><Customer><Name>Northwind Retail</Name><Empty/></Customer><Amount>4200.00</Amount></form1>"
        b"</xfa:data></xfa:datasets>"
    )
    template = DecodedStreamObject()
    template.set_data(b'<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/"><subform/></template>')
    form = writer._root_object["/AcroForm"].get_object()
    form[NameObject("/XFA")] = ArrayObject(
        [
            TextStringObject("template"), writer._add_object(template),
            TextStringObject("datasets"), writer._add_object(datasets),
        ]
    )
    record = extract(Source.from_bytes(written(writer), "xfa.pdf"))
    assert record.pages[-1].text.endswith(
        "\n\nForm data (XFA)\nform1.Customer.Name: Northwind Retail\nform1.Amount: 4200.00"
    )
    assert "Form data (XFA)" not in record.pages[0].text


def test_a_signed_signature_field_says_who_signed() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_form_pdf())))
    signature = DictionaryObject(
        {NameObject("/Type"): NameObject("/Sig"), NameObject("/Name"): TextStringObject("Greg Hale")}
    )
    field = DictionaryObject(
        {
            NameObject("/FT"): NameObject("/Sig"),
            NameObject("/T"): TextStringObject("customer_signature"),
            NameObject("/V"): writer._add_object(signature),
        }
    )
    writer._root_object["/AcroForm"].get_object()["/Fields"].append(writer._add_object(field))
    record = extract(Source.from_bytes(written(writer), "signed.pdf"))
    # a field with no widget on any page goes after the last page's text
    assert record.pages[-1].text.endswith(
        "date_signed: 3 May 2024\n\nForm fields\ncustomer_signature: signed by Greg Hale"
    )


def test_a_cyclic_field_tree_is_read_without_a_traceback() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_form_pdf())))
    loop = DictionaryObject({NameObject("/T"): TextStringObject("loop")})
    ref = writer._add_object(loop)
    loop[NameObject("/Kids")] = ArrayObject([ref])  # its own kid...
    loop[NameObject("/Parent")] = ref  # ...and its own parent
    writer._root_object["/AcroForm"].get_object()["/Fields"].append(ref)
    record = extract(Source.from_bytes(written(writer), "loop.pdf"))
    assert record.status is Status.OK
    assert "client_name: Northwind Retail" in record.pages[0].text


def test_a_pdf_without_a_form_is_unchanged() -> None:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.drawString(72, 760, "Just a letter")
    pdf.save()
    record = extract(Source.from_bytes(buf.getvalue(), "letter.pdf"))
    assert record.text == "Just a letter"
    assert "form_fields" not in record.facts
