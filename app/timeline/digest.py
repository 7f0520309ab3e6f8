"""What the timeline reads of an item's text, worked out once when the item is stored.

An item's text never changes after ingest, so its one-line summary and whether the
sender's own words announce a delivery or a payment are fixed too. Storing them with the
item (``item.summary``, ``item.text_hints``) means a timeline of 20,000 items reads two
short columns instead of the head of every text, and does no text work per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .wording import fresh_text, one_line

__all__ = ["DELIVERY_WORDS", "PAYMENT_WORDS", "SUMMARY_CHARS", "WORDS_CHARS", "TextDigest", "digest", "own_words"]

SUMMARY_CHARS = 200  # a summary shows this much (flattened from twice as much)
WORDS_CHARS = 800  # an email's own words are looked for in this much of its start

# text_hints flags
DELIVERY_WORDS = 1  # the sender's own words confirm a delivery ("we delivered it today")
PAYMENT_WORDS = 2  # ... or a payment ("payment has been made", "remittance")

_GREETINGS = ("hi", "hell", "hey", "dear", "good")
_GREETING = re.compile(r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon))\b[^\n]{0,80}[,!]?[ \t]*\n", re.I)
_DELIVERY = re.compile(
    r"\bconfirm(?:ing)?\s+(?:the\s+)?delivery\b|\b(?:delivered|released|shipped|deployed)\s+(?:it\s+)?today\b|"
    r"\bdelivery\s+of\b[^.]{0,80}\btoday\b|\bis\s+now\s+live\b|\bhave\s+(?:now\s+|just\s+)?(?:delivered|released)\b",
    re.IGNORECASE,
)
_PAID = re.compile(
    r"\bremittance\b|\bpayment\s+(?:has\s+been\s+|was\s+)?(?:made|sent|processed|completed|released)\b|"
    r"\b(?:have|has\s+been|was|were)\s+paid\b|\bpaid\s+in\s+full\b",
    re.IGNORECASE,
)
# Plain substrings every match of the patterns above contains: a cheap test first, so the
# regular expressions only run on the few texts that could match.
_DELIVERY_HINTS = ("confirm", "today", "now", "have")
_PAID_HINTS = ("paid", "remittance", "made", "sent", "processed", "completed", "released")


@dataclass(frozen=True)
class TextDigest:
    summary: str
    hints: int


def own_words(text: str) -> str:
    """The sender's own words at the start of an email's text (no quotes, no signature)."""
    return fresh_text(text[:WORDS_CHARS])


def _any(text: str, words: tuple[str, ...]) -> bool:
    low = text.lower()
    return any(map(low.__contains__, words))


def digest(kind: str, text: str) -> TextDigest:
    """The summary and hints of an item of ``kind`` whose extracted text is ``text``."""
    if kind != "email":
        return TextDigest(one_line(text[: 2 * SUMMARY_CHARS], SUMMARY_CHARS), 0)
    words = own_words(text)
    hints = 0
    if _any(words, _DELIVERY_HINTS) and _DELIVERY.search(words):
        hints |= DELIVERY_WORDS
    if _any(words, _PAID_HINTS) and _PAID.search(words):
        hints |= PAYMENT_WORDS
    shown = _GREETING.sub("", words, count=1) if words.lstrip()[:4].lower().startswith(_GREETINGS) else words
    return TextDigest(one_line(shown, SUMMARY_CHARS), hints)
