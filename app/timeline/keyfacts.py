"""The key facts at the top of a timeline, and the small heuristics behind them.

Every fact carries the citation it rests on; where a heuristic has to guess, it guesses
conservatively and says what it found, never what it concludes.

- Contract effective date and expiry: the date mentions labelled ``effective`` /
  ``expiry``, which ingest gives only to a document's own dates (its preamble, its
  effective-date definition, its term clause; never "the Lease dated ..."); a document
  whose title or file name says agreement/contract wins over a SOW or a letter. An
  expiry computed from a duration says so in its citation's reason.
- Deadlines: every distinct date labelled ``deadline``, cited to the agreement first.
- Delivery evidence: an item a person tagged ``delivery``; or an email from us whose
  subject speaks of delivery/release/handover (not a "Re:", which is a follow-up in the
  delivery thread) or whose own words (not the quoted thread) confirm it ("confirm
  delivery", "delivered today", "is now live"). Mail that merely recalls a delivery
  ("delivered on 26 April") does not count. Per deadline: the latest evidence on or
  before it (``delivered_before``, margin in calendar days) and the earliest after it.
- Invoices: an invoice file (a document or attachment whose title or file name says
  invoice or INV-...) or an invoice number in a title, grouped by number; mail that only
  says "invoice" without a number or a file is talk about invoices, not one. The invoice
  was sent by the email carrying the invoice file (else the first non-reply email from
  us); its due date is the latest ``due`` mention in that file or email on or after the
  sending date (an invoice states its own date before its due date). Then the first
  client reply after sending and after the due date, our follow-ups, and payment
  evidence: a ``payment``/``paid`` tag, or the client's own words saying paid /
  remittance. "Overdue" only means the due date passed with no payment evidence in the
  archive; the note says exactly that.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from .actors import Contact
from .digest import DELIVERY_WORDS, PAYMENT_WORDS
from .loading import ClientData, ItemFacts, MentionFacts
from .schemas import (
    Citation,
    DatedFact,
    DeadlineFact,
    DeliveryEvidence,
    InvoiceFact,
    KeyFacts,
    ReplyRef,
    Silence,
)
from .silences import in_time_order
from .wording import long_date

__all__ = ["delivery_evidence", "key_facts"]

_CONTRACT = re.compile(r"agreement|contract", re.IGNORECASE)
_REPLY = re.compile(r"^\s*(?:re|aw|sv|antw)\s*:", re.IGNORECASE)
_DELIVERY_SUBJECT = re.compile(r"\bdeliver(?:y|ed|ing)?\b|\breleas(?:e|ed|ing)\b|\bhand-?over\b", re.I)
_INVOICE = re.compile(r"\binvoice\b|\binv[-‐–]?\d", re.IGNORECASE)
_NUMBER = re.compile(
    r"\b(INV[-‐–]?[A-Z0-9][A-Z0-9/-]*\d)\b|invoice\s+(?:no\.?|number|#)\s*:?\s*([A-Z0-9][A-Z0-9/-]{2,})",
    re.IGNORECASE,
)
_PAYMENT_TAGS = {"payment", "paid"}

def _cite(item: ItemFacts, mention: MentionFacts) -> Citation:
    return Citation(
        item_id=item.id, title=item.title, filename=item.filename, page=mention.page, sentence=mention.sentence,
        reason=mention.reason,
    )


def _labelled(data: ClientData, label: str) -> list[tuple[ItemFacts, MentionFacts]]:
    found = [(item, m) for item in data.items.values() for m in item.mentions if m.label == label]
    # the agreement itself is the best authority for its own dates
    found.sort(key=lambda pair: (not _CONTRACT.search(f"{pair[0].title} {pair[0].filename or ''}"), pair[1].id))
    return found


def _dated_fact(pairs: Sequence[tuple[ItemFacts, MentionFacts]]) -> DatedFact:
    first_item, first = pairs[0]
    others = [_cite(i, m) for i, m in pairs[1:] if m.value == first.value]
    return DatedFact(date=first.value, citation=_cite(first_item, first), other_citations=others)


def delivery_evidence(data: ClientData, actors: Mapping[int, str]) -> list[tuple[ItemFacts, str]]:
    """Items that evidence a delivery, oldest first, each with the reason it counts."""
    found: list[tuple[ItemFacts, str]] = []
    for item in data.items.values():
        if item.at_utc is None:
            continue
        if "delivery" in item.tags:
            found.append((item, "tagged 'delivery'"))
        elif item.kind == "email" and actors.get(item.id) == "us":
            if _DELIVERY_SUBJECT.search(item.title) and not _REPLY.match(item.title):
                found.append((item, "our email's subject announces a delivery"))
            elif item.hints & DELIVERY_WORDS:
                found.append((item, "our email confirms a delivery"))
    found.sort(key=lambda pair: (pair[0].at_utc, pair[0].id))  # type: ignore[arg-type, return-value]
    return found


def _evidence(item: ItemFacts, reason: str, deadline: date) -> DeliveryEvidence:
    at = item.occurred_at
    assert at is not None
    return DeliveryEvidence(
        item_id=item.id, occurred_at=at, title=item.title, days_from_deadline=(deadline - at.date()).days,
        reason=reason,
    )


def _deadlines(data: ClientData, evidence: Sequence[tuple[ItemFacts, str]]) -> list[DeadlineFact]:
    by_date: dict[date, list[tuple[ItemFacts, MentionFacts]]] = defaultdict(list)
    for pair in _labelled(data, "deadline"):
        by_date[pair[1].value].append(pair)
    # evidence is in time order; local dates are then in order too, up to a day's offset
    # jitter, which the sort below settles so that bisecting by date is exact
    dated = sorted(((i.occurred_at.date(), n) for n, (i, _) in enumerate(evidence)))  # type: ignore[union-attr]
    days = [d for d, _ in dated]
    facts: list[DeadlineFact] = []
    for when in sorted(by_date):
        fact = _dated_fact(by_date[when])
        split = bisect_right(days, when)
        before = evidence[dated[split - 1][1]] if split else None
        after = evidence[dated[split][1]] if split < len(dated) else None
        facts.append(
            DeadlineFact(
                **fact.model_dump(),
                delivered_before=_evidence(*before, when) if before else None,
                delivered_after=_evidence(*after, when) if after else None,
            )
        )
    return facts


def _find_number(source: str) -> re.Match[str] | None:
    # Every match starts at "inv" (INV-..., invoice no. ...). In ASCII text, where the
    # lower-cased text keeps every position and no other letter folds to i, n or v, try
    # only those places rather than scanning a page of text position by position.
    if not source.isascii():
        return _NUMBER.search(source)
    low = source.lower()
    start = low.find("inv")
    while start >= 0:
        match = _NUMBER.match(source, start)
        if match:
            return match
        start = low.find("inv", start + 1)
    return None


def _number(item: ItemFacts) -> str | None:
    sources = [item.title, item.filename or ""]
    if item.kind in ("document", "attachment"):
        sources.append(item.head)
    for source in sources:
        match = _find_number(source)
        if match:
            return (match.group(1) or match.group(2)).upper().replace("‐", "-").replace("–", "-")
    return None


class _Later:
    """What happened after a moment: the client's replies and payment evidence, by time.

    Built once per timeline so each invoice costs a binary search, not a scan.
    """

    def __init__(self, data: ClientData, actors: Mapping[int, str], contacts: Sequence[Contact]) -> None:
        self.data = data
        self.replies = in_time_order(c for c in contacts if c.speaker == "client" and (c.answers or c.two_way))
        # instants as floats: bisecting aware datetimes compares their offsets at every step
        self.reply_times = [c.at.timestamp() for c in self.replies]
        payments = [
            (item, item.own_words) for item in data.items.values()
            if item.at_utc is not None and (
                (item.tags and not _PAYMENT_TAGS.isdisjoint(item.tags))
                or (item.kind == "email" and item.hints & PAYMENT_WORDS and actors.get(item.id) == "client")
            )
        ]
        self.payments = sorted(payments, key=lambda pair: (pair[0].at_utc, pair[0].id))  # type: ignore[arg-type, return-value]
        self.payment_times = [item.at_utc for item, _ in self.payments]

    def reply(self, after: datetime, since: date) -> ReplyRef | None:
        """The client's first message or call at or after ``after``."""
        index = bisect_left(self.reply_times, after.timestamp())
        if index == len(self.replies):
            return None
        item = self.data.items[self.replies[index].item_id]
        at = item.occurred_at
        assert at is not None
        return ReplyRef(item_id=item.id, occurred_at=at, title=item.title, days=(at.date() - since).days)

    def payment(self, number: str | None, after: datetime | None) -> int | None:
        """The first payment evidence at or after ``after`` that does not name another invoice."""
        start = bisect_left(self.payment_times, after) if after is not None else 0  # type: ignore[arg-type]
        for item, words in self.payments[start:]:
            if _PAYMENT_TAGS & set(item.tags):
                return item.id
            named = _NUMBER.search(words)
            if named is None or number is None or number in words.upper():
                return item.id
        return None


def _invoice(
    group: list[ItemFacts], data: ClientData, actors: Mapping[int, str], later: _Later,
    clock: datetime, zone: ZoneInfo, numbers: Mapping[int, str | None],
) -> InvoiceFact | None:
    document = next((i for i in group if i.kind in ("document", "attachment")), None)
    parent = data.items.get(document.parent_id) if document and document.parent_id else None
    ours = [i for i in group if i.kind == "email" and actors.get(i.id) == "us"]
    if parent is not None and actors.get(parent.id) == "us":
        sent: ItemFacts | None = parent
    else:
        sent = next((i for i in ours if not _REPLY.match(i.title)), None)
    if document is None and sent is None:
        return None  # only the client's mail talks of it: not an invoice of ours
    sent_at = sent.occurred_at if sent else (document.occurred_at if document else None)
    carriers = {i.id: i for i in (document, sent) if i is not None}
    for carrier in list(carriers.values()):
        carriers.update((c, data.items[c]) for c in carrier.children if c in data.items)
    dues = [(i, m) for i in carriers.values() for m in i.mentions if m.label == "due"]
    if sent_at is not None:
        dues = [(i, m) for i, m in dues if m.value >= sent_at.date()] or dues
    # the invoice's own labelled or computed due date (ingest's reason says which) beats a
    # "due" cue word near some other date
    own_dues = [(i, m) for i, m in dues if m.reason.startswith(("invoice due date", "computed"))]
    dues = own_dues or dues
    due_item, due = max(dues, key=lambda pair: (pair[1].value, -pair[1].id)) if dues else (None, None)
    number = next((n for n in (numbers.get(i.id) for i in group) if n), None)
    after_sent = later.reply(sent_at, sent_at.date()) if sent_at else None
    after_due = None
    if due is not None:
        due_start = datetime.combine(due.value, time(), tzinfo=zone)
        after_due = later.reply(due_start, due.value)
    follow_ups = [i.id for i in ours if sent is not None and i.id != sent.id and sent_at and i.at_utc
                 and i.occurred_at > sent_at]  # type: ignore[operator]
    paid = later.payment(number, sent_at)
    today = clock.astimezone(zone).date()
    if paid is not None:
        status, note = "payment_evidence", f"payment evidence: item #{paid}"
    elif due is None:
        status, note = "no_due_date", "no due date found in the invoice or the email that sent it"
    elif today > due.value:
        status = "overdue"
        note = (f"due {long_date(due.value)}; no payment evidence in the archive; "
                f"{(today - due.value).days} days past due on {long_date(today)}; ")
        note += (f"first client reply after the due date: {long_date(after_due.occurred_at)} "
                 f"({after_due.days} days after)" if after_due else
                 f"no client reply for {(today - due.value).days} days since the due date")
    else:
        status, note = "not_yet_due", f"due {long_date(due.value)}"
    head = document or sent
    assert head is not None
    stated = _invoice_fields(document)
    return InvoiceFact(
        **stated,
        number=number, item_id=head.id, title=head.title, sent_at=sent_at, sent_item_id=sent.id if sent else None,
        due_date=due.value if due else None, due_citation=_cite(due_item, due) if due_item and due else None,
        first_reply_after_sent=after_sent, first_reply_after_due=after_due, follow_ups=follow_ups,
        payment_evidence_item_id=paid, status=status, note=note,  # type: ignore[arg-type]
    )


def _invoice_fields(document: ItemFacts | None) -> dict[str, Any]:
    """What the invoice document itself states (read at ingest: ``ingest.invoices``)."""
    if document is None or "invoice" not in document.facts_json:
        return {}
    facts = json.loads(document.facts_json)
    fields: dict[str, Any] = {key: facts[key] for key in ("amount", "currency", "purchase_order") if facts.get(key)}
    if facts.get("invoice_date"):
        fields["invoice_date"] = date.fromisoformat(facts["invoice_date"])
    return fields


def key_facts(
    data: ClientData,
    *,
    actors: Mapping[int, str],
    contacts: Sequence[Contact],
    silences: Sequence[Silence],
    medians: dict[str, float | None],
    threshold_days: int,
    clock: datetime,
    zone: ZoneInfo,
) -> KeyFacts:
    """The key-facts summary for one client, by the heuristics in this module's docstring."""
    effective = _labelled(data, "effective")
    expiry = _labelled(data, "expiry")
    evidence = delivery_evidence(data, actors)
    groups: dict[str, list[ItemFacts]] = defaultdict(list)
    numbers: dict[int, str | None] = {}
    # "inv" cannot span the space that joins title and file name: test each alone, and
    # put in time order only the few items that name an invoice
    named = [
        item for item in data.items.values()
        if "inv" in item.title.lower() or (item.filename and "inv" in item.filename.lower())
    ]
    for item in sorted(named, key=lambda i: (i.at_utc is None, i.at_utc or clock, i.id)):
        if _INVOICE.search(f"{item.title} {item.filename or ''}"):
            numbers[item.id] = number = _number(item)
            # an invoice is a file or a number; "Re: invoice" chatter alone is neither
            if number or item.kind in ("document", "attachment"):
                groups[number or f"item:{item.id}"].append(item)
    invoices: list[InvoiceFact] = []
    if groups:  # replies and payment evidence are only looked up for an invoice
        later = _Later(data, actors, contacts)
        invoices = [
            fact for group in groups.values()
            if (fact := _invoice(group, data, actors, later, clock, zone, numbers)) is not None
        ]
    invoices.sort(key=lambda f: (f.sent_at is None, f.sent_at or clock, f.item_id))
    return KeyFacts(
        contract_effective=_dated_fact(effective) if effective else None,
        contract_expiry=_dated_fact(expiry) if expiry else None,
        deadlines=_deadlines(data, evidence),
        invoices=invoices,
        longest_silence=max(silences, key=lambda s: s.days) if silences else None,
        median_response_hours=medians,
        silence_threshold_days=threshold_days,
        delivery_evidence=[item.id for item, _ in evidence],
    )
