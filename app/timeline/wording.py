"""Short wording for entries: a message's own words (without the quoted thread), one line.

Kept apart so the entry builder, the key-fact heuristics and the renderers word things
the same way.
"""

from __future__ import annotations

import re
from datetime import date, datetime

__all__ = ["LABEL_WORDS", "fresh_text", "long_date", "one_line"]

# Where a reply's own words end: a quoted line, "On ... wrote:", a forwarded header block,
# or the signature separator. One pattern, so a message is scanned once.
_OWN_WORDS_END = re.compile(
    r"^(?:\s*>|On .{0,200}wrote:\s*$|-{2,} ?(?:Original|Forwarded) [Mm]essage|From: .+@|-- ?$)",
    re.MULTILINE,
)

LABEL_WORDS = {
    "deadline": "Deadline",
    "expiry": "Contract expiry",
    "effective": "Effective date",
    "due": "Due date",
    "signed": "Signed",
    "date": "Date mentioned",
}


def fresh_text(text: str) -> str:
    """The part of a message its sender wrote (before quotes, forwards and signature)."""
    # Every match contains ">", "--", "wrote:" or "From: "; a multi-line search tries
    # each position, so a message without any of them (most first messages) skips it.
    if ">" not in text and "--" not in text and (":" not in text or ("wrote:" not in text and "From: " not in text)):
        return text
    match = _OWN_WORDS_END.search(text)
    return text[: match.start()] if match else text


def one_line(text: str, limit: int = 240) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    # Only the start can show; flattening a long text whole would be wasted work (a text
    # padded with more whitespace than words just gets a shorter line). A prefix of the
    # text flattens to a prefix of the flattened whole, so when a short prefix already
    # gives more than ``limit`` characters it decides the line on its own.
    window = limit + limit // 4
    flat = " ".join(text[:window].split())
    if len(flat) <= limit and len(text) > window:
        flat = " ".join(text[: limit * 2].split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit - 1)
    return flat[: cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"


# What strftime's %B writes in the C locale (Casefile never sets another): a strftime
# call per date was a visible share of a large timeline's build.
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def long_date(value: date | datetime) -> str:
    """``30 May 2024``: the way a chronology writes a date."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
