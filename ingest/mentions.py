"""The dates a document mentions, each with its page, its sentence and what it is for.

A contract says when it was signed, when it takes effect, when money is due and by when
something must be delivered; the words just before a date (or just after it, as in
"1 July 2020 (the "Effective Date")") say which. Dates are found by
``ingest.dates.find_dates`` plus the "06-March-2020" form court systems print.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .dates import FoundDate, find_dates
from .records import DateMention

__all__ = ["LABELS", "DateOrder", "Located", "date_mentions", "date_order", "locate_mentions"]

LABELS = ("deadline", "expiry", "effective", "due", "signed", "date")

# Cues, nearest to the date wins. Patterns are matched on lower-cased text.
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "deadline",
        re.compile(
            r"no later than|not later than|on or before|deadline|prior to|by the end of|"
            r"\buntil\b|\bexpir\w*\b[^.;\n]{0,40}$|"
            r"\b(?:deliver|submit|complet|provid|return|send|sent|file|finish|respon)\w*"
            r"\b[^.;:]{0,80}?\bby(?: the)?\s*$"
        ),
    ),
    ("due", re.compile(r"\bdue\b|payable|\bpay(?:ment)?\b[^.;:]{0,40}?\bby\s*$")),
    (
        "effective",
        re.compile(r"effective|commenc\w*|\bstart(?:s|ing)? on\b|with effect from|takes? effect|into force"),
    ),
    (
        "signed",
        re.compile(
            r"\bsigned\b|\bsignature\b|made on|made this|made and entered|entered into|"
            r"\bdated\b|executed|\bsworn\b|date of (?:judgment|judgement|order|signature|execution)"
        ),
    ),
)
_WINDOW = 200  # longest stretch of a sentence kept on either side of its date
_BEFORE = 90  # how far before a date a cue may stand (characters)
_AFTER = 40  # how far after it ("... 2020 (the "Effective Date")")

_MONTHS = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
_DASHED = re.compile(
    r"\b(?P<d>[0-3]?\d)-(?P<mn>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)[a-z]*\.?-"
    r"(?P<y>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
# Two plain scans (a year-like number; a "/dd/yy" tail) run ~4x faster than one pattern
# with alternatives, because each starts with a character class the engine can skip to.
_YEARISH = re.compile(r"[12][09]\d\d")
_SHORT_YEAR = re.compile(r"[/.-]\d{1,2}[/.-]\d\d(?!\d)")
_LAST_SPACE = re.compile(r"\s\S*\Z")
_FIRST_SPACE = re.compile(r"\s")
_NUMERIC = re.compile(r"^(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{2,4})$")
_MONTH_NAME_FIRST = re.compile(r"^[A-Za-z]")
# sentence ends: . ! ? ; then space, or a blank line; common abbreviations are not ends
_BOUNDARY = re.compile(r"(?<=[.!?;])\s+|\n\s*\n")
_ABBREVIATION = re.compile(
    r"(?:\b(?:inc|ltd|co|corp|no|nos|mr|mrs|ms|dr|st|vs|art|sec|para|e\.g|i\.e|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)|\b[a-z])\.$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Hit:
    found: FoundDate
    numeric: bool


def _dashed_dates(text: str, taken: list[FoundDate]) -> list[FoundDate]:
    extra: list[FoundDate] = []
    for match in _DASHED.finditer(text):
        if any(match.start() < f.end and f.start < match.end() for f in taken):
            continue
        try:
            month = _MONTHS.index(match["mn"][:3].lower()) + 1
            value = date(int(match["y"]), month, int(match["d"]))
        except ValueError:
            continue
        extra.append(FoundDate(value, match.group(0), match.start(), match.end()))
    return extra


def _windows(text: str) -> list[tuple[int, int]]:
    """Stretches of ``text`` that can hold a date: around each year or d/m/yy."""
    # Every date form we read contains a 19xx/20xx year or a numeric d/m/yy, so looking
    # only near those keeps a 500-page document from costing four full regex passes.
    hits = sorted([m.span() for m in _YEARISH.finditer(text)] + [m.span() for m in _SHORT_YEAR.finditer(text)])
    spans: list[tuple[int, int]] = []
    for hit_start, hit_end in hits:
        start, end = max(0, hit_start - 40), min(len(text), hit_end + 12)
        # widen to whitespace so no word is cut in two (a cut word would fake a \b)
        before = _LAST_SPACE.search(text, max(0, start - 80), start)
        start = before.start() + 1 if before else max(0, start - 80)
        after = _FIRST_SPACE.search(text, end, end + 80)
        end = after.start() if after else min(len(text), end + 80)
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def _all_dates(text: str) -> list[FoundDate]:
    found: list[FoundDate] = []
    for start, end in _windows(text):
        window = text[start:end]
        here = find_dates(window)
        for item in here + _dashed_dates(window, here):
            found.append(FoundDate(item.value, item.raw, item.start + start, item.end + start))
    return sorted(found, key=lambda f: f.start)


# a document set in the US: a US state's corporation or law, "United States", "U.S."
_US_SIGNALS = re.compile(
    r"\b(?:Delaware|Nevada|California|New\s+York|Texas|Florida|Illinois|Massachusetts|Washington|Virginia|"
    r"New\s+Jersey|Pennsylvania|Georgia|Colorado|Minnesota|Ohio|Michigan|Maryland|Utah|Arizona|Oregon)\s+"
    r"(?:corporation|limited\s+liability\s+company|limited\s+partnership|law)\b|\blaws\s+of\s+the\s+State\s+of\b"
    r"|\bUnited\s+States\s+of\s+America\b|\bU\.S\.A?\.",
)


@dataclass(frozen=True)
class DateOrder:
    """How this document's ambiguous numeric dates (3/4/2024) are read, and why."""

    month_first: bool
    why: str
    assumed: bool  # no unambiguous numeric date settled it


def date_order(all_found: Sequence[FoundDate], text: str, hint: tuple[bool, str] | None = None) -> DateOrder:
    """Whether this document writes 12/5/96 meaning 5 December (US) rather than 12 May.

    Decided per document, strongest evidence first: an unambiguous numeric date in it
    (12/31/96 or 31/12/96); else ``hint`` (the sender's locale, for an attachment); else
    US signals in the text (a Delaware corporation, "United States of America") with
    "December 9, 1996"-style names outvoting "9 December 1996"; else day first.
    """
    us = world = names_us = names_world = 0
    for found in all_found:
        numeric = _NUMERIC.match(found.raw)
        if numeric:
            a, b = int(numeric["a"]), int(numeric["b"])
            us += b > 12 >= a
            world += a > 12 >= b
        elif _MONTH_NAME_FIRST.match(found.raw):
            names_us += 1
        elif found.raw[:1].isdigit() and not found.raw[:4].isdigit():
            names_world += 1
    if us != world:
        month_first = us > world
        example = "12/31" if month_first else "31/12"
        return DateOrder(month_first, f"other numeric dates in it are unambiguous ({example} style)", False)
    if hint is not None:
        return DateOrder(hint[0], hint[1], True)
    signals = len(_US_SIGNALS.findall(text[:30_000]))  # parties and governing law stand early
    if signals + names_us > names_world and (signals or names_us):
        why = "it is a US document" if signals else "it writes dates US-style (“December 9, 1996”)"
        return DateOrder(True, why, True)
    return DateOrder(False, "no sign of US-style dates in it", True)



def _as_written(found: FoundDate, month_first: bool) -> date:
    numeric = _NUMERIC.match(found.raw)
    if not (month_first and numeric):
        return found.value
    a, b = int(numeric["a"]), int(numeric["b"])
    if a > 12 or b > 12:
        return found.value  # not ambiguous: find_dates already got it right
    try:
        return date(found.value.year, a, b)
    except ValueError:
        return found.value


def _boundaries(text: str, dates: Sequence[FoundDate]) -> list[int]:
    """Offsets where sentences start near the dates, ignoring stops inside dates and after
    abbreviations (only the stretch a sentence window can reach is scanned)."""
    starts = [0]
    reach: list[tuple[int, int]] = []
    for found in dates:
        lo, hi = max(0, found.start - _WINDOW - 2), min(len(text), found.end + _WINDOW + 2)
        if reach and lo <= reach[-1][1]:
            reach[-1] = (reach[-1][0], max(hi, reach[-1][1]))
        else:
            reach.append((lo, hi))
    for lo, hi in reach:
        for match in _BOUNDARY.finditer(text, lo, hi):
            if any(f.start <= match.start() < f.end for f in dates):
                continue
            before = text[max(0, match.start() - 6) : match.start()]
            if "\n\n" not in match.group(0) and _ABBREVIATION.search(before):
                continue
            starts.append(match.end())
    return starts


_CELL_GAP = "   "  # how layout-ordered text (``pdfpages``) joins runs set apart on one row


def _labelled_cell(text: str, found: FoundDate) -> tuple[int, int] | None:
    """The "Label: value" cell holding ``found`` on a form-like line (an invoice's
    "Invoice date: 30 April 2024"), whose words are the date's whole sentence."""
    line_start = text.rfind("\n", 0, found.start) + 1
    line_end = text.find("\n", found.end)
    line_end = len(text) if line_end < 0 else line_end
    gap = text.rfind(_CELL_GAP, line_start, found.start)
    begin = gap + len(_CELL_GAP) if gap >= 0 else line_start
    after = text.find(_CELL_GAP, found.end, line_end)
    end = after if after >= 0 else line_end
    if ":" in text[begin : found.start] and found.start - begin <= 60 and end - begin <= 160:
        return begin, end
    return None


def _sentence(text: str, starts: Sequence[int], found: FoundDate) -> tuple[int, int]:
    cell = _labelled_cell(text, found)
    if cell is not None:
        return cell
    begin = max((s for s in starts if s <= found.start), default=0)
    end = min((s for s in starts if s > found.end), default=len(text))
    # a runaway "sentence" (a table, a list) is cut to a readable window around the date
    return max(begin, found.start - _WINDOW), min(end, found.end + _WINDOW)


# a notary's stamp ("My Commission Expires: Aug. 10, 2010") is nobody's deadline in the case
_NOTARY = re.compile(r"commission\s+expires?\s*:?\s*$")
# "expected to occur on or before", "anticipated to be no later than": a forecast, not a deadline
_FORECAST = re.compile(r"\b(?:expect|anticipat|estimat|forecast|project)\w*\b[^.;,()]{0,60}$")
# after a date only a cue right next to it speaks of it ("June 30 deadline", "(the
# "Effective Date")"); further on it is the next clause's ("... WO 2014/113742 N/A Expired")
_AFTER_NEAR = 14


def _label(before: str, after: str) -> str:
    before, after = before.lower(), after.lower()
    if _NOTARY.search(before[-40:]):
        return "date"
    best, best_distance = "date", None
    for label, cue in _CUES:
        for match in cue.finditer(before):
            distance = len(before) - match.end()
            if best_distance is None or distance < best_distance:
                best, best_distance = label, distance
    if best_distance is not None:
        if best == "deadline" and _FORECAST.search(before[: len(before) - best_distance]):
            return "date"
        return best
    for label, cue in _CUES:
        if cue.search(after if label == "effective" else after[:_AFTER_NEAR]):
            return label
    return "date"


@dataclass(frozen=True)
class Located:
    """A mention and where it stands: its page's text and its offsets there."""

    mention: DateMention
    page_index: int  # position in the pages given (not the page number)
    start: int
    end: int
    text: str  # the whole page's text
    ambiguous: bool  # a numeric date whose day and month could be swapped (3/4/2024)


def locate_mentions(pages: Sequence[tuple[int | None, str]],
                    hint: tuple[bool, str] | None = None) -> tuple[list[Located], DateOrder]:
    """Every date the pages mention, in order, labelled by the words around it (its cue),
    and how the document's numeric dates are read (``date_order``; ``hint``: the
    sender's locale, as (month_first, why))."""
    found_per_page = [(number, text, _all_dates(text)) for number, text in pages]
    order = date_order([f for _, _, found in found_per_page for f in found],
                       "\n".join(text for _, text in pages), hint)
    month_first = order.month_first
    located: list[Located] = []
    for index, (number, text, found) in enumerate(found_per_page):
        if not found:
            continue
        starts = _boundaries(text, found)
        for position, item in enumerate(found):
            begin, end = _sentence(text, starts, item)
            previous_end = found[position - 1].end if position else 0
            following = found[position + 1].start if position + 1 < len(found) else len(text)
            before = text[max(begin, previous_end, item.start - _BEFORE) : item.start]
            after = text[item.end : min(end, following, item.end + _AFTER)]
            numeric = _NUMERIC.match(item.raw)
            mention = DateMention(
                value=_as_written(item, month_first),
                raw=" ".join(item.raw.split()),
                sentence=" ".join(text[begin:end].split()),
                label=_label(before, after),
                page=number,
            )
            ambiguous = bool(numeric) and numeric["a"] != numeric["b"] and max(map(int, numeric.group("a", "b"))) <= 12
            located.append(Located(mention, index, item.start, item.end, text, ambiguous))
    return located, order


def date_mentions(pages: Sequence[tuple[int | None, str]]) -> tuple[DateMention, ...]:
    """Every date the pages mention, in order, with its sentence, page and cue label
    (``ingest.docdates`` then decides which of them are the document's own)."""
    return tuple(found.mention for found in locate_mentions(pages)[0])
