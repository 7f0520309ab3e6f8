"""The rules that say whether a date is this document's own, and in what role.

Each rule reads the words around one located date: its preamble ("This Agreement is
made/entered into/dated as of ..."), its ``(the "Effective Date")`` definition, its
signature blocks, a labelled date line ("Date of Judgment:"), a date line at the top of
the first page, or a term clause. "... the Credit Agreement, dated ...", "which was
effective ...", and recitals (WHEREAS) speak of other documents. ``ingest.docdates``
chooses among what these rules find.
"""

from __future__ import annotations

import re

from .mentions import Located

__all__ = ["EFFECTIVE_WORD", "EFFECTIVE_IS_DATED", "LAST_SIGNED", "OTHER_DOCUMENT", "own_rule"]

_DOC_NOUN = (
    r"(?:agreement|contract|amendment|addendum|memorandum|licen[cs]e|lease|deed|understanding|"
    r"terms|order|statement of work|side letter|letter agreement|mou|protocol|plan)"
)
_VERB = (
    r"\b(?:made|entered(?:\s+into)?|dated|executed|signed|concluded|effective\s+(?:as\s+of|on|from)|"
    r"(?:is|are)\s+(?:made\s+)?(?:on|as\s+of))\b"
)
_LAST_VERB = re.compile(rf"{_VERB}(?!.*{_VERB})", re.IGNORECASE | re.DOTALL)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b|\d[/.-]\d\d?[/.-]\d\d\b")
# "This [Supply] Agreement (...) is made and entered into as of" / "THIS AGREEMENT dated"
_PREAMBLE = re.compile(
    rf"\b(?:this|these)\b[^;]{{0,250}}?\b{_DOC_NOUN}s?\b[^;]{{0,400}}?"
    rf"{_VERB}[^;]{{0,200}}$",
    re.IGNORECASE | re.DOTALL,
)
# a title-form preamble: "SPONSORSHIP AGREEMENT dated as of May 1, 2002 (this "Agreement")"
_TITLE_DATED = re.compile(rf"\b{_DOC_NOUN}\s*,?\s*(?:is\s+)?dated(?:\s+as\s+of)?\s*(?:this\s+)?$", re.IGNORECASE)
# what names the document itself right after its date: (this "Agreement"), (the "Agreement");
# not (the "License Agreement"), which names another one
_THIS_AGREEMENT_AFTER = re.compile(
    r"^\W{0,4}\(?\s*(?:this\s*[\"“”'‘’]|the\s*[\"“”'‘’]+\s*(?:agreement|contract)\s*[\"“”'‘’])", re.IGNORECASE
)
EFFECTIVE_WORD = re.compile(r"\beffective\b[^;]{0,40}$", re.IGNORECASE)
_EFFECTIVE_AFTER = re.compile(
    r"^\W{0,6}\(?\s*(?:hereinafter\s+)?(?:(?:referred\s+to|defined)\s+as\s+)?(?:the|this)?\s*"
    r"[\"“”'‘’]+\s*(?:agreement\s+)?(?:effective|commencement)\s+date",
    re.IGNORECASE,
)
_EFFECTIVE_BEFORE = re.compile(
    r"[\"“”]?\b(?:effective|commencement)\s+date\b[\"“”]?\s*(?:of\s+this(?:\s+\w+){1,3}\s*)?"
    r"(?:(?:shall\s+)?(?:mean|means|be|is)\b\s*:?|:)\s*(?:the\s+)?$",
    re.IGNORECASE,
)
# this document taking effect: "This Agreement shall become effective on", "shall commence on"
_TAKES_EFFECT = re.compile(
    rf"\bthis\s+{_DOC_NOUN}\b[^.;]{{0,80}}?\b(?:becomes?|shall\s+become|is|be)?\s*"
    r"(?:effective|commences?|shall\s+commence|begins?|shall\s+begin|takes?\s+effect|shall\s+take\s+effect|comes?\s+into\s+force|"
    r"shall\s+come\s+into\s+force|enters?\s+into\s+force)\b[^.;]{0,40}$",
    re.IGNORECASE,
)
# another document's date: "the Credit Agreement, dated", "that certain Lease dated as of"
_OTHER_DOCUMENT = re.compile(
    rf"\b{_DOC_NOUN}s?\b(?:\s*\([^)]{{0,80}}\))?[^.;]{{0,80}}?"
    r"\b(?:dated|effective|entered\s+into|executed|made|signed)\b[^.;]{0,40}$",
    re.IGNORECASE,
)
_THIS = re.compile(r"\b(?:this|these)\b", re.IGNORECASE)
_THAT_CERTAIN = re.compile(r"\b(?:that|those)\s+certain\b", re.IGNORECASE)
# a renewal or extension period's start is not when this document took effect
_RENEWAL = re.compile(r"\brenew\w*|\bextend\w*|\bextension\b|\badditional\b", re.IGNORECASE)
_WAS_EFFECTIVE = re.compile(r"\b(?:which|that)\s+(?:was|were|became|has\s+been)\s+effective\b[^.;]{0,40}$", re.I)
_RECITAL = re.compile(r"\bwhereas\b|\brecitals?\b", re.IGNORECASE)
# "Date:" opening its line, or standing after another block's date on the same line
# ("Date: 3-14-18 Date: 3-7-18", two signature blocks side by side)
_DATE_LINE = re.compile(
    r"(?:^|\n|\d[ \t]+)[ \t]*(?:date|dated|date\s+signed|signature\s+date|date\s+of\s+signature)[ \t]*[:.]{0,2}[ \t]*$",
    re.IGNORECASE,
)
# "Signed: Dana Whitfield, 15/01/2024", "Signed for Northwind Retail Ltd: Greg Thornton, 15/01/2024"
_SIGNED_LINE = re.compile(r"^\s*signed\b(?:\s+(?:for|on\s+behalf\s+of)\s+[^:\n]{1,80})?\s*:[^\n]{0,80}$", re.I)
_SIGNATURE_CUES = re.compile(r"\bBy\s*:|\bName\s*:|\bTitle\s*:|/s/|\bsignature\b|in\s+witness\s+whereof", re.I)
_WITNESS = re.compile(r"in\s+witness\s+whereof[^.]{0,300}$", re.IGNORECASE | re.DOTALL)
LAST_SIGNED = re.compile(
    r"(?:effective|take\s+effect|effective\s+date)[^.;]{0,80}?\b(?:date\s+(?:last|of\s+the\s+last)\s+"
    r"(?:signed|signature|executed)|later\s+of\s+the\s+dates?\s+(?:shown\s+by\s+the\s+)?signatures?|"
    r"last\s+(?:party\s+to\s+)?sign|last\s+party\s+(?:hereto\s+)?(?:has\s+)?(?:signed|executed))|\b(?:take|takes)\s+effect\s+(?:as\s+of\s+the\s+date\s+(?:when|on\s+which)|"
    r"upon|on\s+the\s+date\s+of)\s+(?:the\s+)?(?:authori[sz]ed\s+representatives[^.;]{0,40}?\s+sign|signatures?|"
    r"execution|signing)",
    re.IGNORECASE,
)
# "“Commencement Date” means the date of this Agreement": it starts on the day it is dated
EFFECTIVE_IS_DATED = re.compile(
    r"[\"“]?\b(?:effective|commencement)\s+date[\"”]?\s+(?:shall\s+)?(?:means?|is)\s+the\s+date\s+(?:of\s+this\s+"
    r"agreement|hereof|first\s+(?:written|set\s+forth)\s+above)",
    re.IGNORECASE,
)
# a labelled date line near the top of the first page: "Date of Judgment: 04-March-2020",
# "Date: 12 March 2024", "Issue date: ..." (not "Filed:", a registry's stamp)
_OWN_LABEL = re.compile(
    r"^\s*(?:date\s+of\s+(?:judgment|judgement|order|decision|award|issue|this\s+\w+|letter|report|minutes|meeting)|"
    r"(?:decision|issue|report|meeting|letter)\s+date|date|dated(?:\s+as\s+of)?)\s*[:.]?\s*$",
    re.IGNORECASE,
)
_LABEL_TOP = 2000
_COVER_TOP = 1200


_CELL_GAP = "   "  # how layout-ordered text joins runs set apart on one row (``pdfpages``)


def _line_before(found: Located) -> str:
    """The words before ``found`` on its line, within its cell when the row has several
    ("Date: June 25, 2009   Date: June 29, 2009": two signature blocks side by side)."""
    start = found.text.rfind("\n", 0, found.start) + 1
    gap = found.text.rfind(_CELL_GAP, start, found.start)
    return found.text[(gap + len(_CELL_GAP) if gap >= 0 else start) : found.start]


def _before(found: Located, reach: int = 300) -> str:
    return found.text[max(0, found.start - reach) : found.start]


def _after(found: Located, reach: int = 80) -> str:
    return found.text[found.end : found.end + reach]


def _sentence_start(found: Located) -> str:
    """The text from the start of the sentence holding ``found`` up to it."""
    before = _before(found, 500)
    cut = max(before.rfind(". "), before.rfind(".\n"), before.rfind("\n\n"), before.rfind(";"))
    return before[cut + 1 :] if cut >= 0 else before


def _speaks_of_another(found: Located, before: str) -> bool:
    """True when the sentence so far (``before``) speaks of another document's date."""
    if _WAS_EFFECTIVE.search(before):
        return True
    window = before[-200:]
    other = _OTHER_DOCUMENT.search(window)
    if not other:
        return False
    # "this Agreement dated ..." is our own (the name's words before the noun are looked
    # at too: "this Supply Agreement"); so is the title form "SUPPLY AGREEMENT dated May 1,
    # 2002 (this "Agreement")"
    named = window[max(0, other.start() - 80) : other.end()]
    if _THAT_CERTAIN.search(named):
        return True  # "that certain Lease dated as of ... (the "Lease")": drafting's way to cite another document
    if _THIS.search(" ".join(named.split()[-9 - len(other.group(0).split()):])):
        return False
    return not _THIS_AGREEMENT_AFTER.match(_after(found))


_PREAMBLE_PAGES = 6  # the preamble starts within the first pages with text (a cover and an index before it)
# the title on a cover page: "MANUFACTURING AND SUPPLY AGREEMENT DATED AS OF January 1, 2013"
_COVER_TITLE = re.compile(
    r"\b(?:AGREEMENT|CONTRACT|AMENDMENT|ADDENDUM|LICEN[CS]E|LEASE|DEED|MEMORANDUM|ORDER)\s*,?\s+"
    r"(?:DATED|Dated|dated)(?:\s+(?:AS\s+OF|as\s+of))?\s*$"
)
_COVER_REACH = 800


def _in_preamble(found: Located, first_text_page: int, other: bool, before: str) -> bool:
    if found.page_index >= first_text_page + _PREAMBLE_PAGES or other:
        return False
    after = _after(found)
    if _TITLE_DATED.search(before) and _THIS_AGREEMENT_AFTER.match(after):
        return True
    if not _PREAMBLE.search(before):
        return False
    # only the first date after "made/entered into/dated": "effective as of 1 August 2004 ...
    # and shall terminate on 31 July 2009" dates it on 1 August
    verb = _LAST_VERB.search(before)
    return verb is not None and not _YEAR.search(before[verb.end():])


# what ``own_rule`` says of a date in "the Credit Agreement, dated ...", "which was
# effective ...", or a recital: kept as a mention, never this document's
OTHER_DOCUMENT = ("date", "another document's date")


def own_rule(found: Located, first_text_page: int) -> tuple[str, str] | None:
    """(label, rule) when ``found`` is one of the document's own dates, ``OTHER_DOCUMENT``
    when it is another document's, else None (a date the document merely mentions)."""
    before, after = _sentence_start(found), _after(found)
    if _RECITAL.search(before):
        return OTHER_DOCUMENT  # a recital speaks of other documents and past events
    if found.page_index == first_text_page and found.start < _COVER_REACH and _COVER_TITLE.search(before):
        return "signed", "title page"
    other = _speaks_of_another(found, before)
    if _EFFECTIVE_AFTER.match(after) or _EFFECTIVE_BEFORE.search(_before(found, 80)):
        return "effective", "preamble and effective date definition" if _in_preamble(
            found, first_text_page, other, before) else "effective date definition"
    if _DATE_LINE.search(_line_before(found)) and _SIGNATURE_CUES.search(
        found.text[max(0, found.start - 600) : found.end + 300]
    ):
        return "signed", "signature block"
    if _WITNESS.search(_before(found, 400)) or _SIGNED_LINE.match(_line_before(found)):
        return "signed", "signature block"
    if other:
        return OTHER_DOCUMENT
    if found.page_index == first_text_page and found.start < _LABEL_TOP and _OWN_LABEL.match(_line_before(found)):
        return "date", "labelled date"
    if _in_preamble(found, first_text_page, other, before):
        verb = _LAST_VERB.search(before)
        if verb is not None and verb.group(0).lower().startswith("effective"):
            # "shall be effective as of May 1, 2020 and is made and entered into this 10th day
            # of January, 2020": the date it was made dates it; this one is when it takes effect
            return "effective", "preamble, effective as of"
        return "signed", "preamble"
    takes_effect = _TAKES_EFFECT.search(before)
    if takes_effect and not _RENEWAL.search(takes_effect.group(0)) and not _YEAR.search(
            before[takes_effect.start():]):
        return "effective", "term clause"
    if (
        found.page_index == first_text_page
        and found.start < _COVER_TOP
        and (found.text[found.end : found.end + 2].strip() in ("", "\n") or _after(found, 1) == "\n")
        and _line_before(found).strip().rstrip(":").lower() in ("", "date", "dated")
    ):
        return "date", "date line"  # a date alone on its line near the top: the document's date line
    return None
