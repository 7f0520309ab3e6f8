"""The per-item digest stored at ingest: a one-line summary and what the sender's own words announce."""

from __future__ import annotations

from app.timeline.digest import DELIVERY_WORDS, PAYMENT_WORDS, digest


def test_an_email_summary_is_its_own_words_without_the_greeting_or_the_quote() -> None:
    text = ("Hi Dana,\nWe have now released the module to production.\n\n"
            "On Mon, 22 Apr 2024, Greg wrote:\n> payment has been made\n")
    found = digest("email", text)
    assert found.summary == "We have now released the module to production."
    assert found.hints == DELIVERY_WORDS  # the quoted payment line is not the sender's


def test_payment_words_and_plain_documents() -> None:
    assert digest("email", "Remittance advice attached for INV-7.").hints == PAYMENT_WORDS
    assert digest("email", "Can we talk about the payment?").hints == 0
    long_text = "word " * 500
    document = digest("document", long_text)
    assert document.hints == 0 and len(document.summary) <= 200 and document.summary.endswith("…")
    assert digest("note", "").summary == ""
