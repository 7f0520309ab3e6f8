"""A client's timeline as a page of the site: every citation a link, a filter form, print CSS.

The exported timeline (``app.timeline.html``) is a standalone file for a lawyer's folder;
this page shows the same rows (threads folded, silences where they began, undated items)
with the same wording (``app.timeline.render``), inside the site, and links each fact to
the item (at its page) that proves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from .. import items
from ..access import reads
from ..api.deps import ArchiveDep
from ..errors import InvalidInput
from ..timeline import ENTRY_KINDS, build_timeline
from ..timeline.html import _rows as chronology_rows  # the export's grouping of threads and silences
from ..timeline.render import actor_words, default_cite, significance, silence_words, summary_lines
from ..timeline.schemas import Citation, KeyFacts, Silence, Timeline
from ..timeline.wording import LABEL_WORDS
from .forms import blank_none, optional_day, url_with
from .templating import page

__all__ = ["Link", "fact_links", "item_href", "router"]

router = APIRouter(include_in_schema=False)

KIND_WORDS = {**{k: k for k in ENTRY_KINDS}, **LABEL_WORDS, "item": "items at their own date",
              "date_mention": "dates mentioned in documents"}
EXPORTS = (("csv", "CSV (spreadsheet)"), ("md", "Markdown"), ("html", "HTML (one file)"))


@dataclass(frozen=True)
class Link:
    """A citation as a link: what it is, and the item (at its page) that shows it."""

    label: str
    href: str


def item_href(item_id: int, page: int | None = None) -> str:
    """The item page, at page ``page`` when the fact is on one (the item page has ``page-N`` anchors)."""
    return f"/items/{item_id}" + (f"#page-{page}" if page else "")


def _cited(citation: Citation, what: str) -> Link:
    where = citation.filename or citation.title
    return Link(f"{what}: {where}" + (f", p. {citation.page}" if citation.page else ""),
                item_href(citation.item_id, citation.page))


def _item(item_id: int, what: str, title: str = "") -> Link:
    return Link(f"{what}: item #{item_id}" + (f" “{title}”" if title else ""), item_href(item_id))


def _silence_links(silence: Silence) -> list[Link]:
    links = [_item(i, "unanswered") for i in silence.unanswered]
    if silence.end_item_id is not None:
        links.append(_item(silence.end_item_id, "answered by"))
    return links


def fact_links(summary: KeyFacts) -> list[list[Link]]:
    """The citations of each key fact, in the order ``summary_lines`` words them."""
    facts: list[list[Link]] = []
    if summary.contract_effective:
        fact = summary.contract_effective
        facts.append([_cited(fact.citation, "contract"), *(_cited(c, "also") for c in fact.other_citations)])
    if summary.contract_expiry:
        fact = summary.contract_expiry
        facts.append([_cited(fact.citation, "term clause"), *(_cited(c, "also") for c in fact.other_citations)])
    for deadline in summary.deadlines:
        links = [_cited(deadline.citation, "deadline"), *(_cited(c, "also") for c in deadline.other_citations)]
        for evidence, what in ((deadline.delivered_before, "delivered"), (deadline.delivered_after, "delivered late")):
            if evidence:
                links.append(_item(evidence.item_id, what, evidence.title))
        facts.append(links)
    for invoice in summary.invoices:
        links = [_item(invoice.item_id, "invoice", invoice.title)]
        if invoice.sent_item_id is not None and invoice.sent_item_id != invoice.item_id:
            links.append(_item(invoice.sent_item_id, "sent"))
        if invoice.due_citation:
            links.append(_cited(invoice.due_citation, "due date"))
        replies = [(invoice.first_reply_after_sent, "first reply"), (invoice.first_reply_after_due, "reply after due")]
        seen: set[int] = set()
        for reply, what in replies:
            if reply and reply.item_id not in seen:
                seen.add(reply.item_id)
                links.append(_item(reply.item_id, what, reply.title))
        links.extend(_item(i, "follow-up") for i in invoice.follow_ups)
        if invoice.payment_evidence_item_id is not None:
            links.append(_item(invoice.payment_evidence_item_id, "payment evidence"))
        facts.append(links)
    if summary.longest_silence:
        silence = summary.longest_silence
        facts.append([_item(silence.start_item_id, "first unanswered"),
                      *(link for link in _silence_links(silence) if link.href != item_href(silence.start_item_id))])
    facts.append([])  # the median response times: measured over every contact, no one citation
    return facts


def _key_facts(timeline: Timeline) -> list[tuple[str, list[Link]]]:
    lines = summary_lines(timeline)
    # zip_longest: a sentence added to summary_lines later still shows, if without its links
    return [(line or "", links or []) for line, links in zip_longest(lines, fact_links(timeline.summary))]


@router.get("/clients/{slug}/timeline", response_class=HTMLResponse)
@reads("timeline")
def timeline_page(
    request: Request,
    archive: ArchiveDep,
    slug: str,
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
    tag: str = "",
    kind: Annotated[list[str] | None, Query()] = None,
    only_flagged: bool = False,
) -> HTMLResponse:
    options = items.listing_options(archive, client=slug)  # an unknown client is a 404 page
    kinds = [k for k in kind or [] if k]
    form = {"from": date_from, "to": date_to, "tag": tag, "kind": kinds, "only_flagged": only_flagged}
    timeline, problem = None, None
    try:
        wanted_tag = blank_none(tag)
        timeline = build_timeline(
            archive, client=slug, date_from=optional_day(date_from, "From"), date_to=optional_day(date_to, "To"),
            kinds=kinds or None, only_flagged=only_flagged, tags=[wanted_tag] if wanted_tag else None,
        )
    except InvalidInput as exc:  # a filter a person chose or typed: say what is wrong, beside the form
        problem = str(exc)
    api = f"/api/clients/{slug}/timeline"
    context = {
        "options": options,
        "form": form,
        "problem": problem,
        "t": timeline,
        "rows": chronology_rows(timeline) if timeline else [],
        "facts": _key_facts(timeline) if timeline else [],
        "downloads": [(label, url_with(api, form, format=fmt)) for fmt, label in EXPORTS],
        "kind_words": KIND_WORDS,
        "href": item_href,
        "cite": default_cite,
        "words": actor_words,
        "sig": lambda e: [s for s in significance(e).split("; ") if s],
        "silence_words": silence_words,
        "silence_links": _silence_links,
        "thread_actors": lambda entries: ", ".join(dict.fromkeys(actor_words(e.actor) for e in entries)),
    }
    return page(request, "timeline.html", context, status_code=422 if problem else 200)
