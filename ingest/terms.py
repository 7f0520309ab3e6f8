"""Term clauses read whole: when this agreement starts, when it ends, how it renews.

"This Agreement shall commence on the Effective Date and continue for a period of five
(5) years" gives an end that no date in the text states: it is computed (5 years from the
effective date) and says so, with the clause's section and page, so a reader can check
the arithmetic. "... and shall terminate on July 31, 2009" states its end outright.

Only sentences about *this* agreement's term count: "the Lease terminates on ..." or a
deadline "until" in a delivery clause are not the contract's expiry.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .mentions import Located

__all__ = ["TermDate", "TermFacts", "add_duration", "read_term"]

_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "eighteen": 18, "twenty": 20, "twenty-four": 24, "thirty": 30, "thirty-six": 36, "forty-five": 45,
    "sixty": 60, "ninety": 90, "a": 1, "an": 1,
}
_NUMBER = r"(?:(?P<w>[a-z]+(?:-[a-z]+)?)\s*(?:\(\s*(?P<nw>\d{1,3})\s*\))?|(?P<n>\d{1,3}))"
_DURATION = rf"{_NUMBER}\s*(?P<unit>years?|months?|days?)"
# A term clause has this agreement (or its term) as its subject: "The term of this
# Agreement shall commence ...", "This Agreement shall continue ...", "Subject to earlier
# termination, the initial term ...", "Term: twelve (12) months ...". A clause whose subject
# is a party, a quarter, a survival period or a renewal option is not the term.
_TERM_SUBJECT = re.compile(
    r"^\W*(?:(?:section|article|clause)\s+)?(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?\s*|\([a-z0-9]{1,4}\)\s*)?"
    r"(?:(?:initial\s+)?term(?:\s+(?:of\s+(?:the\s+)?agreement|and\s+termination))?\s*[.:\-–—]?\s+"
    r"(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?\s+)?)?"
    r"(?:(?:subject\s+to|unless|except|notwithstanding)[^,]{0,160},\s*)?"
    r"(?:[\"“](?:[A-Za-z]+\s+){0,2}(?:term|period)[\"”]\s+(?:shall\s+mean|means)|"
    r"(?:the|its|this)\s+[\"“]?(?:initial\s+|original\s+)?(?:term|period)[\"”]?\s+(?:of\s+(?:this|the)\s+\w+(?:\s+\w+)?\s+)?(?:\([^)]{0,40}\)\s*)?"
    r"|this\s+[A-Za-z]+(?:\s+[A-Za-z]+)?\s+(?:\([^)]{0,40}\)\s*)?(?:shall|will|is|becomes|commences|continues|"
    r"expires|remains|begins|takes)\b|term\s*:)",
    re.IGNORECASE,
)
_NOT_TERM = re.compile(r"\bsurviv\w*|\b(?:after|following|upon)\s+(?:the\s+)?(?:termination|expiration|expiry)\b"
                       r"|\bmay\s+(?:renew|extend)\b", re.IGNORECASE)
_END_CUE = re.compile(
    r"(?:\bterminat(?:e|es|ing)|\bexpir(?:e|es|ing)|\bend(?:s|ing)?|\bconclud(?:e|es|ing)|\bcontinu\w*"
    r"[^.;]{0,60}?\b(?:until|through)|\buntil|\bthrough|\bthru|\bto\s+and\s+including)"
    r"\s*(?:on|at|at\s+midnight\s+on|at\s+the\s+close\s+of\s+business\s+on)?\s*$",
    re.IGNORECASE,
)
_START_CUE = re.compile(r"(?:\bcommenc\w*|\bbegin\w*|\bstart\w*|\beffective|\bfrom)\s*(?:on|as\s+of)?\s*$",
                        re.IGNORECASE)
_START_REF = (
    r"(?P<ref>the\s+(?:effective|commencement|execution)\s+date|the\s+date\s+(?:hereof|of\s+(?:this\s+|the\s+)?agreement|"
    r"first\s+(?:written|set\s+forth)\s+above|of\s+(?:the\s+)?(?:last\s+)?(?:signature|execution)[\w\s]{0,20}?)|"
    r"the\s+date\s+(?:on\s+which|that)\s+this\s+agreement[\w\s]{0,30}?|such\s+date|thereafter)"
)
# "for a period of five (5) years from the Effective Date", "initial term of 2 years
# commencing on the Effective Date", "Term: twelve (12) months from the date of the Agreement",
# "ending ten (10) years thereafter"
_FOR_DURATION = re.compile(
    r"(?:\b(?:for|of)\s+(?:a|an|the)\s+(?:initial\s+)?(?:period|term)\s+of|\bthe\s+date|\b(?:be|is)\s+(?:for\s+)?(?:a\s+period\s+of\s+)?"
    r"|\bterm\s*:\s*|\bfor\s+(?:an?\s+)?(?:initial\s+)?(?:term|period)\s+of|\bfor|\bending|\buntil\s+the)\s*"
    rf"{_DURATION}(?:\s+anniversary\s+of)?(?P<incl>\s+from\s+and\s+including)?"
    r"(?:\s+(?:commencing\s+(?:on|with)|from|after|following|beginning\s+(?:on|with)|starting\s+on|of)\s+"
    rf"{_START_REF}|\s+(?P<after>thereafter)|\s+(?P<other>from|after|following|commencing|beginning|starting)\b)?",
    re.IGNORECASE,
)
# a contract's cover table: "Expiration Date: August 31, 2006", "Termination Date: ..."
_END_LABEL = re.compile(r"(?:^|\n|   )\s*(?:expiration|expiry|termination|end)\s+date\s*:\s*$", re.IGNORECASE)
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "fifteenth": 15, "twentieth": 20,
}
# "until the fifth (5th) anniversary of the Effective Date", "the four-year anniversary of"
_ANNIVERSARY = re.compile(
    r"\bthe\s+(?:(?P<ord>[a-z]+)|(?P<num>\d{1,2})(?:st|nd|rd|th)|(?P<w>[a-z]+)[\s-]year|(?P<n>\d{1,2})[\s-]year)"
    r"\s*(?:\(\s*(?P<paren>\d{1,2})(?:st|nd|rd|th)?\s*\)\s*)?(?:[\s-]year\s+)?anniversary\s+of\s+"
    rf"{_START_REF}",
    re.IGNORECASE,
)
# sentence ends: "." or ";" then space before a capital, a digit or an opening bracket or
# quote; or a blank line. Matched as one character class and checked after: an
# alternation would be tried at every position of every page.
_STOP = re.compile(r"[.;\n]\s+")
_OPENS = frozenset("(“\"")
# both matched at the places their key word stands (found with str.find): as searches
# they are tried at every position of every page
_RENEWAL = re.compile(
    r"(?:renew(?:ed|s)?|extend(?:ed|s)?)\b[^.;]{0,40}?\bfor\s+(?:(?:successive|additional|"
    rf"further|consecutive|subsequent)\s+)*(?:(?:periods?|terms?)\s+of\s+)?{_DURATION}",
    re.IGNORECASE,
)
_NOTICE_BEFORE = re.compile(
    rf"\b(?:at\s+least|not\s+less\s+than|no\s+less\s+than|upon|with|giving)\s+{_DURATION}[\"”'’]*\s*"
    r"(?:prior\s+)?(?:written\s+)?$",
    re.IGNORECASE,
)
_SECTION = re.compile(r"(?:^|\n)\s*(?:(?:section|article|clause)\s+)?(?P<s>\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+\S", re.I)


@dataclass(frozen=True)
class TermDate:
    """A start or end of this agreement's term, stated or computed, and where it was read."""

    role: str  # "effective" (start) or "expiry" (end)
    value: date
    page: int | None
    sentence: str
    raw: str  # the words it rests on ("July 31, 2009", "five (5) years from the Effective Date")
    computed: str = ""  # "5 years from 1 February 2024 (§ 12.1, p. 7)" when not written out
    section: str = ""
    rule: str = "term clause"  # or "labelled expiration date" ("Expiration Date: August 31, 2006")


@dataclass(frozen=True)
class TermFacts:
    """What the term clauses say: end (expiry), renewal and notice, each as read."""

    end: TermDate | None = None
    renewal: str = ""  # "successive 1 year"
    notice: str = ""  # "90 days' written notice"


def _count(match: re.Match[str]) -> int | None:
    if match["n"]:
        return int(match["n"])
    if match["nw"]:
        return int(match["nw"])  # "five (5)": the figure in brackets is the binding one
    word = (match["w"] or "").lower()
    return _WORDS.get(word)


def add_duration(start: date, count: int, unit: str) -> date:
    """``start`` plus ``count`` years, months or days; a month end stays a month end."""
    unit = unit.lower().rstrip("s")
    if unit == "day":
        return date.fromordinal(start.toordinal() + count)
    months = count * 12 if unit == "year" else count
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


def _unit_words(count: int, unit: str) -> str:
    unit = unit.lower().rstrip("s")
    return f"{count} {unit}{'s' if count != 1 else ''}"


def _section(text: str, at: int) -> str:
    """The number of the section that ``at`` stands in (the last heading before it)."""
    last = ""
    for heading in _SECTION.finditer(text, max(0, at - 4000), at):
        last = heading["s"]
    return last


def _where(section: str, page: int | None) -> str:
    parts = [f"§ {section}"] if section else []
    if page is not None:
        parts.append(f"p. {page}")
    return f" ({', '.join(parts)})" if parts else ""


def _anchor(ref: str, effective: date | None, dated: date | None) -> tuple[date, str] | None:
    ref = " ".join(ref.lower().split())
    if "effective" in ref:  # a "Commencement Date" is often another day than the effective one
        return (effective, "the effective date") if effective else None
    if "hereof" in ref or "agreement" in ref or "above" in ref or "execution" in ref or "signature" in ref:
        value = dated or effective
        return (value, "the date of the agreement") if value else None
    return None


def _ends_sentence(text: str, stop: re.Match[str]) -> int | None:
    """Where the sentence before ``stop`` ends, or None when ``stop`` ends none."""
    gap = stop.group(0)
    if gap[0] == "\n":
        return stop.start() if gap.count("\n") >= 2 else None  # one line break: same sentence
    following = text[stop.end() : stop.end() + 1]
    if following and (following.isupper() or following.isdigit() or following in _OPENS):
        return stop.start() + 1
    return None


_REACH = 2000  # how far back a sentence's start is looked for


def _sentence_at(text: str, position: int) -> tuple[int, int]:
    """The (start, end) of the sentence holding ``position``."""
    start = None
    reach = 300  # most sentences start this close; look further only when this one did not
    while start is None:
        low = max(0, position - reach)
        for stop in _STOP.finditer(text, low, position):
            if _ends_sentence(text, stop) is not None:
                start = stop.end()
        if start is None and (low == 0 or reach >= _REACH):
            start = low
        reach *= 2
    for stop in _STOP.finditer(text, position):
        end = _ends_sentence(text, stop)
        if end is not None:
            return start, end
    return start, len(text)


def _term_sentences(text: str, lower: str, dates: Sequence[Located]) -> list[tuple[int, int]]:
    """The sentences that could end a term: those holding a date, a duration or an
    anniversary (only these are read: the clause must say when, or for how long)."""
    anchors = sorted({found.start for found in dates} | set(_at_words(lower, "year", "month", "anniversar")))
    spans: list[tuple[int, int]] = []
    for anchor in anchors:
        if spans and spans[-1][0] <= anchor < spans[-1][1]:
            continue
        spans.append(_sentence_at(text, anchor))
    return spans


def _cued(flat: str, a: int, dates: Sequence[Located], cue: re.Pattern[str], *, ranges: bool = False) -> Located | None:
    """The first of ``dates`` that ``cue`` stands right before; with ``ranges``, also the
    second date of "X to Y" / "X - Y"."""
    previous = a
    for found in dates:
        between = flat[max(previous, found.start - 80) : found.start]
        if cue.search(between) or (ranges and previous > a and between.strip().lower() in ("to", "-", "–", "—")):
            return found
        previous = found.end
    return None


def _anniversary(match: re.Match[str]) -> int | None:
    if match["paren"]:
        return int(match["paren"])
    if match["num"] or match["n"]:
        return int(match["num"] or match["n"])
    if match["ord"]:
        return _ORDINALS.get(match["ord"].lower())
    return _WORDS.get((match["w"] or "").lower())


def _computed_end(text: str, a: int, b: int, number: int | None, start: Located | None,
                  effective: date | None, dated: date | None) -> TermDate | None:
    """The end a duration in the sentence ``text[a:b]`` implies, counted from its anchor."""
    sentence = text[a:b].replace("\n", " ")
    for match in _ANNIVERSARY.finditer(sentence):
        count = _anniversary(match)
        anchor = _anchor(match["ref"], effective, dated) if count else None
        if anchor is None or count is None:
            continue
        begin = anchor[0]
        section = _section(text, a + match.start())
        how = f"{_unit_words(count, 'years')} from {begin.day} {begin:%B %Y}"
        return TermDate("expiry", add_duration(begin, count, "years"), number, " ".join(sentence.split())[:400],
                        " ".join(match.group(0).split()), computed=f"{how}{_where(section, number)}", section=section)
    for match in _FOR_DURATION.finditer(sentence):
        count = _count(match)
        if count is None:
            continue
        if match["other"]:
            continue  # counted from something else ("three years from the Launch Date"): not ours to guess
        if match["ref"] and not match["ref"].lower().startswith(("such", "thereafter")):
            anchor = _anchor(match["ref"], effective, dated)
        elif start is not None:
            anchor = (start.mention.value, "")  # "shall commence on 10 September 2015 and continue for one year"
        else:
            anchor = (effective, "the effective date") if effective else None
        if anchor is None:
            continue
        begin, _ = anchor
        # the end is the anniversary: "one year from 10 September 2015" ends on 10 September
        # 2016, as the experts' answers count it; the reason shows the arithmetic to check
        value = add_duration(begin, count, match["unit"])
        how = f"{_unit_words(count, match['unit'])} from {begin.day} {begin:%B %Y}"
        section = _section(text, a + match.start())
        raw = " ".join(match.group(0).split()).removeprefix("for ").removeprefix("of ")
        return TermDate("expiry", value, number, " ".join(sentence.split())[:400], raw,
                        computed=f"{how}{_where(section, number)}", section=section)
    return None


def read_term(pages: Sequence[tuple[int | None, str]], located: Sequence[Located], *,
              effective: date | None, dated: date | None) -> TermFacts:
    """The term's end, renewal and notice periods as the contract states or implies them.

    Only sentences whose subject is this agreement or its term are read. An end written
    out ("and shall terminate on July 31, 2009") wins; else a duration is counted from
    its stated start, or from ``effective`` / ``dated`` (the document's own dates)
    when the clause counts from "the Effective Date" / "the date hereof".
    """
    end: TermDate | None = None
    for found in located:
        if _END_LABEL.search(found.text[max(0, found.start - 40) : found.start]):
            mention = found.mention
            end = TermDate("expiry", mention.value, mention.page, mention.sentence, mention.raw,
                           rule="labelled expiration date")
            break
    renewal = notice = ""
    by_page: dict[int, list[Located]] = {}
    for found in located:
        by_page.setdefault(found.page_index, []).append(found)
    for index, (number, text) in enumerate(pages):
        flat = text.replace("\n", " ")
        lower = flat.lower()
        on_page = by_page.get(index, [])
        for a, b in _term_sentences(text, lower, on_page) if end is None else ():
            if end is not None:
                break
            sentence = flat[a:b]
            if not _TERM_SUBJECT.match(sentence) or _NOT_TERM.search(sentence):
                continue
            dates = [found for found in on_page if a <= found.start < b]
            stated = _cued(flat, a, dates, _END_CUE, ranges=True)
            if stated is not None:
                mention = stated.mention
                end = TermDate("expiry", mention.value, mention.page, mention.sentence, mention.raw,
                               section=_section(text, stated.start))
                break
            end = _computed_end(text, a, b, number, _cued(flat, a, dates, _START_CUE), effective, dated)
        renewal = renewal or _renewal(flat, lower, text, number)
        notice = notice or _notice(flat, lower, text, number)
    return TermFacts(end, renewal, notice)


def _at_words(lower: str, *words: str) -> list[int]:
    places = []
    for word in words:
        at = lower.find(word)
        while at >= 0:
            places.append(at)
            at = lower.find(word, at + 1)
    return sorted(places)


def _renewal(flat: str, lower: str, text: str, number: int | None) -> str:
    for at in _at_words(lower, "renew", "extend"):
        found = _RENEWAL.match(flat, at)
        if found and (count := _count(found)):
            return f"renews for {_unit_words(count, found['unit'])}{_where(_section(text, at), number)}"
    return ""


def _notice(flat: str, lower: str, text: str, number: int | None) -> str:
    for at in _at_words(lower, "notice"):
        window = lower[max(0, at - 80) : at]
        if "day" not in window and "month" not in window and "year" not in window:
            continue
        found = _NOTICE_BEFORE.search(flat, max(0, at - 80), at)
        if found and (count := _count(found)) and re.search(
                r"renew|expir", lower[max(0, at - 250) : at + 100]):
            return f"{_unit_words(count, found['unit'])}' notice{_where(_section(text, found.start()), number)}"
    return ""
