"""Invoices, the dispute's money side: number, invoice date, due date, amount, PO, terms.

Read from the labels an invoice prints ("Invoice number:", "Invoice date:", "Due date:",
"Total due", "Purchase order:", "Payment terms:"), which layout-ordered text
(``pdfpages``) keeps next to their values. A due date the invoice does not print is
computed from its payment terms ("30 days from the invoice date", "Net 30") and says so.
Other dates on an invoice ("Consultancy Agreement dated 15 January 2024") are mentions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from .mentions import Located

__all__ = ["InvoiceFacts", "looks_like_invoice", "read_invoice"]

_TITLE = re.compile(r"(?im)^\s*(?:tax\s+|vat\s+|commercial\s+|final\s+|pro[\s-]?forma\s+)?invoice\s*$|"
                    r"\binvoice\s*(?:number|no\.?|#)\s*[:.]?\s*\S")
_NUMBER = re.compile(
    r"\binvoice\s*(?:number|no\.?|#|ref(?:erence)?)\s*[:.]?\s*#?\s*(?P<v>[A-Z0-9][A-Z0-9/_.-]{1,40}[A-Z0-9])",
    re.IGNORECASE,
)
_INVOICE_DATE = re.compile(r"\b(?:invoice\s+date|date\s+of\s+invoice|invoice\s+dated|issue\s+date|date\s+issued|"
                           r"tax\s+point(?:\s+date)?)\s*[:.]?\s*$", re.IGNORECASE)
_PLAIN_DATE = re.compile(r"(?:^|\n)\s*date\s*[:.]?\s*$", re.IGNORECASE)
_DUE_DATE = re.compile(r"\b(?:due\s+date|payment\s+due(?:\s+date)?|due\s+(?:on|by)|pay(?:able)?\s+by|"
                       r"please\s+pay\s+by)\s*[:.]?\s*$", re.IGNORECASE)
_AMOUNT = re.compile(
    r"\b(?P<label>total\s+due|amount\s+due|balance\s+due|total\s+payable|amount\s+payable|grand\s+total|"
    r"invoice\s+total|total\s+amount|total)\b(?:\s*\((?P<code0>[A-Z]{3})\))?\s*[:.]?\s*"
    r"(?P<cur>[£$€¥]|[A-Z]{3}\b)?\s*(?P<amt>\d{1,3}(?:[,\s]\d{3})*(?:\.\d{2})?|\d+(?:\.\d{2})?)"
    r"(?:\s*(?P<code>[A-Z]{3})\b)?",
    re.IGNORECASE,
)
_PO = re.compile(r"\b(?:purchase\s+order|p\.?\s?o\.?)\s*(?:number|no\.?|#|ref(?:erence)?)?\s*[:.]\s*"
                 r"(?P<v>[A-Z0-9][A-Z0-9/_.-]{1,40}[A-Z0-9])", re.IGNORECASE)
_TERMS = re.compile(r"\bpayment\s+terms?\s*[:.]?\s*(?P<v>[^\n]{3,120}?)(?:\.\s|\.?$|\n)", re.IGNORECASE | re.MULTILINE)
_DAYS = re.compile(
    r"\b(?:net\s*(?P<net>\d{1,3})\b|(?:within\s+)?(?P<n>\d{1,3})\s+days\s+(?:from|of|after|following)\s+(?:the\s+)?"
    r"(?:invoice\s+date|date\s+of\s+(?:the\s+|this\s+)?invoice|invoice))",
    re.IGNORECASE,
)
_SYMBOLS = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "JPY"}
_CODES = {"GBP", "USD", "EUR", "CHF", "CAD", "AUD", "NZD", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK", "INR", "ZAR"}


@dataclass(frozen=True)
class InvoiceFacts:
    """What an invoice states of itself; each date is the mention it was read from."""

    number: str | None = None
    invoice_date: Located | None = None
    due_date: Located | None = None
    due_computed: tuple[date, str] | None = None  # (date, "30 days from the invoice date 30 April 2024")
    amount: str | None = None  # as a plain decimal: "27000.00"
    currency: str | None = None  # ISO 4217
    purchase_order: str | None = None
    payment_terms: str | None = None

    def as_facts(self) -> dict[str, object]:
        """The fields for ``Record.facts`` (JSON-ready; dates as ISO strings)."""
        facts: dict[str, object] = {}
        if self.number:
            facts["invoice_number"] = self.number
        if self.invoice_date is not None:
            facts["invoice_date"] = self.invoice_date.mention.value.isoformat()
        if self.due_date is not None:
            facts["due_date"] = self.due_date.mention.value.isoformat()
        elif self.due_computed is not None:
            facts["due_date"] = self.due_computed[0].isoformat()
            facts["due_date_computed"] = self.due_computed[1]
        for key in ("amount", "currency", "purchase_order", "payment_terms"):
            value = getattr(self, key)
            if value:
                facts[key] = value
        return facts


def looks_like_invoice(pages: Sequence[tuple[int | None, str]]) -> bool:
    """True when the first page presents itself as an invoice (a heading or an invoice number)."""
    first = next((text for _, text in pages if text.strip()), "")
    return bool(_TITLE.search(first[:3000]))


def _labelled(located: Sequence[Located], page_index: int, label: re.Pattern[str]) -> Located | None:
    for found in located:
        if found.page_index == page_index:
            line_start = found.text.rfind("\n", 0, found.start) + 1
            if label.search(found.text[max(line_start, found.start - 60) : found.start]):
                return found
    return None


def _amount(text: str) -> tuple[str, str | None] | None:
    best = None
    for match in _AMOUNT.finditer(text):
        try:
            value = Decimal(re.sub(r"[,\s]", "", match["amt"]))
        except InvalidOperation:
            continue
        symbol = match["cur"] or ""
        code = (match["code0"] or match["code"] or (symbol if len(symbol) == 3 else "")).upper()
        currency = code if code in _CODES else _SYMBOLS.get(symbol)
        rank = 0 if match["label"].lower() != "total" else 1  # "Total due" beats a bare "Total"
        if best is None or rank < best[0]:
            best = (rank, f"{value:.2f}", currency)
    return (best[1], best[2]) if best else None


def read_invoice(pages: Sequence[tuple[int | None, str]], located: Sequence[Located]) -> InvoiceFacts:
    """The invoice's own fields from its labels (first page first), due date computed from
    the payment terms when not printed."""
    number = invoice_date = due = amount = currency = po = terms = None
    for index, (_, text) in enumerate(pages):
        number = number or ((m := _NUMBER.search(text)) and m["v"])
        invoice_date = invoice_date or _labelled(located, index, _INVOICE_DATE)
        due = due or _labelled(located, index, _DUE_DATE)
        if amount is None and (found := _amount(text)):
            amount, currency = found
        po = po or ((m := _PO.search(text)) and m["v"])
        terms = terms or ((m := _TERMS.search(text)) and " ".join(m["v"].split()))
    if invoice_date is None and located:
        plain = _labelled(located[:3], 0, _PLAIN_DATE)  # a bare "Date:" near the top
        invoice_date = plain
    computed = None
    if due is None and invoice_date is not None:
        source = terms or " ".join(text for _, text in pages)
        days = _DAYS.search(source)
        if days:
            count = int(days["net"] or days["n"])
            issued = invoice_date.mention.value
            computed = (issued + timedelta(days=count),
                        f"{count} days from the invoice date {issued.day} {issued:%B %Y}")
    return InvoiceFacts(number, invoice_date, due, computed, amount, currency, po, terms)
