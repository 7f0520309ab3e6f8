"""Whose date is it: which of the dates a document mentions are its own, and which one dates it.

A contract mentions many dates; only some belong to it. Its own are stated in its
preamble ("This Agreement is made/entered into/dated as of ..."), its ``(the "Effective
Date")`` definition, its signature blocks (``Date:``), a cover page's date line, or (for
an invoice or letter) its labelled date. A date in "... the Credit Agreement, dated ...",
"which was effective ...", a recital (WHEREAS) or a page header/footer is a *mention*:
kept and cited, but never the document's date or one of its roles.

The rules themselves are in ``ingest.ownrules``; this module chooses among what they
find. The rules are ordered by strength; where two candidates conflict the stronger wins and
the other stays a mention with its reason. Each chosen date says which rule chose it and
how sure that rule is (``confidence``), so pages and the CLI can show why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .boilerplate import running_spans
from .dates import start_of_day
from .invoices import InvoiceFacts, looks_like_invoice, read_invoice
from .mentions import DateOrder, Located, locate_mentions
from .ownrules import EFFECTIVE_IS_DATED, EFFECTIVE_WORD, LAST_SIGNED, OTHER_DOCUMENT, own_rule
from .records import DatedValue, DateMention, DateSource
from .terms import TermFacts, read_term

__all__ = ["DocumentDates", "OwnDate", "date_facts", "document_dates", "occurred_from"]

# how much each rule is trusted when it names the document's date (0-1)
CONFIDENCE = {
    "preamble": 0.95,
    "preamble, effective as of": 0.9,
    "title page": 0.85,
    "effective date definition": 0.95,
    "preamble and effective date definition": 0.95,
    "invoice date": 0.95,
    "signature block": 0.85,
    "letter date": 0.8,
    "labelled date": 0.9,
    "date line": 0.7,
    "term clause": 0.85,
    "latest signature": 0.8,
    "term end": 0.85,
    "term end, computed": 0.75,
}


@dataclass(frozen=True)
class OwnDate:
    """One of the document's own dates: the mention it rests on, the rule, how sure."""

    mention: DateMention
    rule: str
    confidence: float


@dataclass(frozen=True)
class DocumentDates:
    """Every mention labelled with its role in *this* document, and the dates chosen from them."""

    mentions: tuple[DateMention, ...]
    dated: OwnDate | None  # the date the document is dated (agreement, invoice, letter date)
    effective: OwnDate | None
    expiry: OwnDate | None  # when this agreement's term ends, stated or computed
    term: TermFacts
    invoice: InvoiceFacts | None  # an invoice's own fields, when the document is one
    month_first: bool  # numeric dates read month first (a US document)
    order_note: str  # how ambiguous numeric dates were read, when any were


def _order_note(located: Sequence[Located], order: DateOrder) -> str:
    """How an ambiguous numeric date was read, said wherever one is used; empty when none is."""
    if not any(found.ambiguous for found in located):
        return ""
    which = "month first" if order.month_first else "day first"
    return f"numeric dates read {which}{' (assumed)' if order.assumed else ''}: {order.why}"


def document_dates(pages: Sequence[tuple[int | None, str]], *,
                   running: Sequence[Sequence[tuple[int, int]]] | None = None,
                   kind: str | None = None, order_hint: tuple[bool, str] | None = None) -> DocumentDates:
    """The document's dates, each labelled with its role here, and its own date, effective
    date and expiry.

    ``running``: per page, spans of running headers/footers (their dates are never the
    document's); found from the pages when not given. ``kind``: ``contract``
    (agreements, statements of work, most PDFs), ``invoice`` (its labelled invoice date
    dates it; only its labelled or computed due date is "due"), or ``letter`` (a letter,
    memo or note: its date line at the top dates it); by default ``invoice`` when the
    first page presents itself as one, ``letter`` when it opens with a salutation, else
    ``contract``. ``order_hint``: (month_first, why) from outside the text (the sender's
    locale), used when the document's own dates do not settle the order of 3/4/2024.
    """
    if kind is None:
        kind = "invoice" if looks_like_invoice(pages) else "letter" if _looks_like_letter(pages) else "contract"
    if running is None:
        running = running_spans([text for _, text in pages])
    located, order = locate_mentions(pages, order_hint)
    month_first = order.month_first
    note = _order_note(located, order)
    first_text_page = next((i for i, (_, text) in enumerate(pages) if text.strip()), 0)
    labelled: list[DateMention] = []
    own: list[OwnDate] = []
    rules = [own_rule(found, first_text_page) for found in located]
    # signature blocks side by side share a line: a date on the line of a signature
    # block's date is a signature date too ("January 10, 2020 Date: December 11, 2018")
    signature_lines = {_line_of(found) for found, rule in zip(located, rules, strict=True)
                       if rule == ("signed", "signature block")}
    for found, rule in zip(located, rules, strict=True):
        mention = found.mention
        spans = running[found.page_index] if found.page_index < len(running) else ()
        if any(start <= found.start < end for start, end in spans):
            labelled.append(replace(mention, label="date", reason="page header/footer"))
            continue
        if rule is None and _line_of(found) in signature_lines:
            rule = ("signed", "signature block")
        if rule is None:
            # a cue word alone ("dated", "effective") does not make a date this document's
            labelled.append(replace(mention, label="date") if mention.label in ("signed", "effective") else mention)
            continue
        if rule is OTHER_DOCUMENT:
            labelled.append(replace(mention, label="date", reason=OTHER_DOCUMENT[1]))
            continue
        label, why = rule
        if found.ambiguous and note:
            why = f"{why}; {note}"
        mention = replace(mention, label=label, reason=why)
        labelled.append(mention)
        own.append(OwnDate(mention, rule[1], CONFIDENCE.get(rule[1], 0.6)))
    if kind == "invoice":
        return _invoice_dates(pages, located, labelled, month_first, note)
    own_located = [f for f, m in zip(located, labelled, strict=True) if m.reason != "page header/footer"]
    dated, effective = _choose(own, labelled, pages, kind)
    if effective is not None and effective.mention.label != "effective":
        # "entered into effective X", the last signature, a preamble's signing date also start
        # the agreement: the same words, listed once more in that role so the effective-date
        # key fact can cite them
        why = {"preamble": "preamble: in effect from this date",
               "latest signature": "effective as of the date last signed",
               "preamble: signed on this date": "in effect when signed: the preamble's date of signing",
               }.get(effective.rule, effective.rule)
        also = replace(effective.mention, label="effective", reason=why)
        labelled.insert(labelled.index(effective.mention) + 1, also)
        effective = replace(effective, mention=also)
    term = read_term(pages, own_located, effective=effective.mention.value if effective else None,
                     dated=dated.mention.value if dated else None)
    expiry = _expiry(term, labelled)
    return DocumentDates(tuple(labelled), dated, effective, expiry, term, None, month_first, note)


def _invoice_dates(pages: Sequence[tuple[int | None, str]], located: Sequence[Located], labelled: list[DateMention],
                   month_first: bool, note: str) -> DocumentDates:
    """An invoice is dated by its "Invoice date", due on its "Due date" (or its terms);
    every other date on it is a mention, whatever cue word stands near it."""
    invoice = read_invoice(pages, located)
    chosen = {id(invoice.invoice_date): ("date", "invoice date"), id(invoice.due_date): ("due", "invoice due date")}
    dated = None
    for index, found in enumerate(located):
        if found is invoice.invoice_date or found is invoice.due_date:
            label, why = chosen[id(found)]
            labelled[index] = replace(labelled[index], label=label, reason=why)
            if found is invoice.invoice_date:
                dated = OwnDate(labelled[index], "invoice date", CONFIDENCE["invoice date"])
        elif labelled[index].label != "date":
            labelled[index] = replace(labelled[index], label="date")
    if invoice.due_computed is not None:
        value, how = invoice.due_computed
        page = invoice.invoice_date.mention.page if invoice.invoice_date else None
        where = f" (payment terms, p. {page})" if page is not None else " (payment terms)"
        labelled.append(DateMention(value, invoice.payment_terms or how, invoice.payment_terms or how, "due", page,
                                    f"computed: {how}{where}"))
    return DocumentDates(tuple(labelled), dated, None, None, TermFacts(), invoice, month_first, note)


def _expiry(term: TermFacts, labelled: list[DateMention]) -> OwnDate | None:
    """The term's end as an own date; its mention relabelled, or added when computed."""
    end = term.end
    if end is None:
        return None
    if end.computed:
        mention = DateMention(end.value, end.raw, end.sentence, "expiry", end.page, f"computed: {end.computed}")
        labelled.append(mention)
        return OwnDate(mention, "term end, computed", CONFIDENCE["term end, computed"])
    where = f" (§ {end.section})" if end.section else ""
    for index, mention in enumerate(labelled):
        if mention.value == end.value and mention.page == end.page and mention.raw == end.raw:
            labelled[index] = replace(mention, label="expiry", reason=f"{end.rule}{where}")
            return OwnDate(labelled[index], "term end", CONFIDENCE["term end"])
    return None


_SIGNED_ON = re.compile(r"\b(?:entered\s+into|signed|executed|made)\s+(?:on|this)\b[^;]{0,20}$", re.IGNORECASE)
# a salutation in a page's first lines: a letter or memo, dated by its date line
_SALUTATION = re.compile(r"(?im)^\s*(?:dear\s+\S|to\s+whom\s+it\s+may\s+concern)")


def _looks_like_letter(pages: Sequence[tuple[int | None, str]]) -> bool:
    first = next((text for _, text in pages if text.strip()), "")
    return bool(_SALUTATION.search(first[:800]))


def _near(word: str, text: str, pattern: re.Pattern[str], before: int = 30, after: int = 160) -> bool:
    """``pattern`` found around an occurrence of ``word`` (lower case) in ``text``: these
    patterns all hold their word, and a whole-document search tries every position."""
    lower = text.lower()
    at = lower.find(word)
    while at >= 0:
        if pattern.search(text, max(0, at - before), at + after):
            return True
        at = lower.find(word, at + 1)
    return False


def _line_of(found: Located) -> tuple[int, int]:
    return found.page_index, found.text.rfind("\n", 0, found.start)


def _first(own: Sequence[OwnDate], rule: str) -> OwnDate | None:
    return next((o for o in own if o.rule == rule), None)


def _choose(own: Sequence[OwnDate], labelled: Sequence[DateMention], pages: Sequence[tuple[int | None, str]],
            kind: str) -> tuple[OwnDate | None, OwnDate | None]:
    both = _first(own, "preamble and effective date definition")
    effective_as_of = _first(own, "preamble, effective as of")
    preamble = _first(own, "preamble") or effective_as_of or both
    definition = both or _first(own, "effective date definition")
    signatures = [o for o in own if o.rule == "signature block"]
    latest = max(signatures, key=lambda o: o.mention.value, default=None)
    cover = _first(own, "date line")
    # "made as of X" dates the agreement; only "effective" says it takes effect then (the
    # experts' answers treat a bare "as of" either way, so it is not asserted as effective)
    effective = definition
    if effective is None and preamble is not None and EFFECTIVE_WORD.search(preamble.mention.sentence.split(
            preamble.mention.raw)[0][-60:] if preamble.mention.raw in preamble.mention.sentence else ""):
        effective = preamble  # "entered into effective September 10, 2015": it speaks from then
    if effective is None:
        effective = effective_as_of or _first(own, "term clause")
    whole = " ".join(text for _, text in pages)
    signed_on = preamble is not None and preamble.rule == "preamble" and bool(_SIGNED_ON.search(
        preamble.mention.sentence.split(preamble.mention.raw)[0][-40:]))
    # (the clause is only looked for when there is a signing date it could point at)
    if effective is None and (latest is not None or signed_on) and _near("effect", whole, LAST_SIGNED):
        if latest is not None:
            effective = replace(latest, rule="latest signature", confidence=CONFIDENCE["latest signature"])
        elif preamble is not None:
            # in effect once signed, no signature dated: "entered into on January 24, 2014" says when
            effective = replace(preamble, rule="preamble: signed on this date", confidence=CONFIDENCE["preamble"])
    if effective is None and preamble is not None and _near("date", whole, EFFECTIVE_IS_DATED, 40):
        effective = replace(preamble, rule="effective date defined as the date of the agreement",
                            confidence=CONFIDENCE["preamble"])
    # without a preamble date, a contract is dated when it was signed (the last signature
    # makes it), else by its cover page's date line, else by its stated effective date
    signed = replace(latest, rule="latest signature", confidence=CONFIDENCE["latest signature"]) if latest else None
    dated = preamble or _first(own, "labelled date") or _first(own, "title page") or signed or cover or definition
    if kind == "letter" and cover is not None:
        # a letter (or a letter agreement) is dated by the date line above its salutation
        dated = replace(cover, rule="letter date", confidence=CONFIDENCE["letter date"])
    return dated, effective


def _own_facts(own: OwnDate) -> dict[str, object]:
    mention = own.mention
    return {
        "date": mention.value.isoformat(), "rule": own.rule, "confidence": own.confidence, "raw": mention.raw,
        "sentence": mention.sentence, "page": mention.page, "reason": mention.reason,
    }


def occurred_from(found: DocumentDates, default_zone: str) -> DatedValue | None:
    """The document's own date as its ``occurred`` value, saying which rule chose it and where."""
    own = found.dated
    if own is None:
        return None
    mention = own.mention
    where = f", p. {mention.page}" if mention.page is not None else ""
    return DatedValue(start_of_day(mention.value, default_zone), DateSource.DOCUMENT_TEXT,
                      f"{own.rule}: '{mention.raw}'{where}", "day")


def date_facts(found: DocumentDates) -> dict[str, object]:
    """The record facts behind the dates: why each own date was chosen, term and invoice fields."""
    facts: dict[str, object] = {}
    for key, own in (("date_reason", found.dated), ("effective_date", found.effective), ("expiry_date", found.expiry)):
        if own is not None:
            facts[key] = _own_facts(own)
    if found.term.renewal:
        facts["renewal"] = found.term.renewal
    if found.term.notice:
        facts["notice_period"] = found.term.notice
    if found.invoice is not None:
        facts.update(found.invoice.as_facts())
    if found.order_note:
        facts["date_order"] = found.order_note
    return facts
