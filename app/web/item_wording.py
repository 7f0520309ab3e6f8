"""The item page's values in words: how a page was read, what each custody entry did, corrections."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..corrections import CorrectionPublic
from ..schemas import LedgerEntryPublic, PagePublic
from .wording import date_source_words, human_size, human_time, status_words

__all__ = ["custody_words", "dated_words", "page_method_words", "replaced_words"]


def page_method_words(page: PagePublic) -> str:
    """How a page's text was got: "read by OCR, 91% confidence", "text from the PDF's own text layer"."""
    if page.error:
        return f"could not be read: {page.error}"
    if page.method == "ocr":
        if page.confidence is None:
            return "read by OCR"
        return f"read by OCR, {round(page.confidence)}% confidence"
    if page.method == "text_layer":
        return "text from the PDF's own text layer"
    if page.method == "text_layer+ocr":  # a typed page carrying a scanned picture
        read = "read by OCR" if page.confidence is None else f"read by OCR, {round(page.confidence)}% confidence"
        return f"text from the PDF's own text layer, and a picture on the page {read}"
    return "no text on this page"


def dated_words(value: datetime | None, precision: str | None) -> str:
    """A date as people write it, without a made-up midnight when only the day is known."""
    return human_time(value, with_time=precision != "day")


def _iso_words(value: str, precision: str | None) -> str:
    if not value:
        return "undated"
    try:
        return dated_words(datetime.fromisoformat(value), precision)
    except ValueError:
        return value


def replaced_words(correction: CorrectionPublic) -> str:
    """What a correction replaced: "15 Jan 2024, from the document's text" or the old title."""
    if correction.field == "occurred_at":
        when = _iso_words(correction.old_value, correction.old_precision)
        return f"{when}, {date_source_words(correction.old_source)}" if correction.old_value else when
    return f"“{correction.old_value}”"


def _quoted(value: object) -> str:
    return f"“{value}”" if value else "(none)"


def _name(names: Mapping[str, str], slug: object) -> str:
    return names.get(str(slug), str(slug)) if slug else "(no client)"


def _correct_words(details: Mapping[str, Any]) -> str:
    parts = []
    for field, change in (details.get("changes") or {}).items():
        if field == "title":
            parts.append(f"corrected the title from {_quoted(change.get('old'))} to {_quoted(change.get('new'))}")
        elif field == "occurred_at":
            parts.append(
                f"corrected the date from {_iso_words(change.get('old') or '', change.get('old_precision'))} "
                f"to {_iso_words(change.get('new') or '', change.get('precision'))}"
            )
    text = "; ".join(parts) or "corrected it"
    return f"{text}, because: {details.get('reason', '')}" if details.get("reason") else text


def custody_words(entry: LedgerEntryPublic, client_names: Mapping[str, str]) -> str:
    """What a custody-ledger entry did to the item, as a sentence a person can read."""
    d = entry.details
    action = entry.action
    if action == "ingest":
        text = f"stored, read from {_quoted(d.get('filename'))}" if d.get("filename") else "stored"
        if d.get("size"):
            text += f" ({human_size(d['size'])})"
        if d.get("status") and d["status"] != "ok":
            text += f": {status_words(d['status'])}"
        return text
    if action == "received":
        return f"received as {_quoted(d.get('filename'))} ({human_size(d.get('size'))}), kept before it was read"
    if action == "received-again":
        return f"the same file arrived again as {_quoted(d.get('filename'))}; it is kept once"
    if action == "extraction-failed":
        return f"could not be read: {d.get('error', '')}"
    if action == "extraction-incomplete":
        return f"only partly read: {d.get('error', '')}"
    if action == "tag":
        return f"tagged {_quoted(d.get('tag'))}"
    if action == "untag":
        return f"took off the tag {_quoted(d.get('tag'))}"
    if action == "note":
        return "added a note"
    if action == "assign":
        moved = len(d.get("items") or [])
        also = f" (with {moved - 1} attached or contained item{'s' if moved != 2 else ''})" if moved > 1 else ""
        return f"moved from {_name(client_names, d.get('from'))} to {_name(client_names, d.get('to'))}{also}"
    if action == "correct":
        return _correct_words(d)
    if action == "add-event":
        return f"recorded by hand as a {d.get('recorded_as') or d.get('kind') or 'event'}"
    return action.replace("-", " ")
