"""Assembling a client's timeline: entries, threads, silences, undated items, key facts.

Which items are placed on the timeline and how each entry reads is in ``entries``.
Filters choose which entries and undated items are listed. Silences and key facts are
always computed from every contact of the client (a date filter must not make a silence
look shorter); silences are then limited to those overlapping the date range.

One build, two ways out. It assembles plain data (dicts, lists, tuples, datetimes) with
the fields of ``schemas.Timeline`` in field order. ``timeline_json`` writes that straight
to JSON with orjson (what the API and ``casefile timeline --json`` serve): a timeline has
tens of thousands of entries, and making them models only to serialise them again cost
more than the rest of the build. ``build_timeline`` wraps it into the ``Timeline``
models the renderers, the web page and the evidence bundle read (``trusted``). The tests
check both give the same JSON, byte for byte, and that the models equal a validated copy.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypedDict, Unpack
from zoneinfo import ZoneInfo

import orjson

from ..archive import Archive
from ..errors import InvalidInput
from ..models import utc_now
from .actors import Contact, Parties, call_facts
from .entries import ENTRY_KINDS, TRUSTED_SOURCES, Filters, listing
from .keyfacts import key_facts
from .loading import ClientData, load_client
from .schemas import Timeline
from .silences import find_silences
from .threads import build_threads
from .trusted import timeline_from

__all__ = [
    "ENTRY_KINDS", "TRUSTED_SOURCES", "TimelineQuery", "build_timeline", "timeline_data", "timeline_json", "to_json",
]

# pydantic writes a zero UTC offset as "Z"; orjson does too with this option, and writes
# every other value of the timeline (datetimes with their offset, dates, floats, text)
# exactly as pydantic does; indented, both use two spaces and ": ".
_JSON = orjson.OPT_UTC_Z
_JSON_INDENTED = orjson.OPT_UTC_Z | orjson.OPT_INDENT_2


class _Sides:
    """Who each item is from, its thread and call facts, and the contacts between the sides."""

    def __init__(self, data: ClientData) -> None:
        self.data = data
        self.parties = parties = Parties(data)
        emails = [i for i in data.items.values() if i.kind == "email"]
        self.thread_of, self.threads = build_threads(emails)
        self.actors: dict[int, str] = {}
        self.calls: dict[int, tuple[str, int | None]] = {}
        parsed: dict[str, tuple[str, int | None]] = {}  # a call log repeats a few facts texts
        for item in data.items.values():
            if item.kind == "call":
                found = parsed.get(item.facts_json)
                if found is None:
                    found = parsed[item.facts_json] = call_facts(item)
                self.calls[item.id] = found
                self.actors[item.id] = parties.actor(item, found[0])
            else:
                self.actors[item.id] = parties.actor(item)

    def contacts(self) -> list[Contact]:
        """Every message or call between us and the client (see ``actors``)."""
        found: list[Contact] = []
        contact, actors, thread_of, calls = self.parties.contact, self.actors, self.thread_of, self.calls
        for item in self.data.items.values():
            actor = actors[item.id]
            if actor != "us" and actor != "client":  # never a contact: skip the call
                continue
            direction, seconds = calls.get(item.id, (None, None))
            made = contact(item, actor, thread_of.get(item.id), direction, seconds)
            if made is not None:
                found.append(made)
        return found


@contextmanager
def _collector_paused() -> Iterator[None]:
    # A build allocates some 300,000 objects (records, entries, their lists) that live until
    # it returns and form no reference cycles: the cyclic collector walked them again and
    # again (about a fifth of a 20,000-item build) and freed nothing. Reference counting
    # still frees everything. The switch is process-wide: it is only touched if it is on,
    # and a concurrent build may turn it back on early, which costs speed, nothing else.
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _warnings(data: ClientData) -> list[str]:
    warnings = []
    if not data.identity.configured:
        warnings.append("who 'we' are is not set (casefile init --me ...): no message can be told apart as ours, "
                        "so silences cannot be measured")
    if not (data.client_addresses or data.client_domains):
        warnings.append(f"no correspondent addresses are known for '{data.slug}': no message can be told "
                        "apart as the client's")
    return warnings


class TimelineQuery(TypedDict, total=False):
    """What a timeline is asked for besides its client: filters, and the clock (default: now)."""

    date_from: date | None
    date_to: date | None
    kinds: Sequence[str] | None
    only_flagged: bool
    tags: Sequence[str] | None
    now: datetime | None


def build_timeline(archive: Archive, *, client: str, **query: Unpack[TimelineQuery]) -> Timeline:
    """The client's timeline as models: every dated fact cited, silences, undated items, key facts."""
    with _collector_paused():
        data = _build(archive, client, query)
        timeline = timeline_from(data)
    return timeline  # the collector, resumed, walks these models once


def timeline_data(archive: Archive, *, client: str, **query: Unpack[TimelineQuery]) -> dict[str, Any]:
    """The client's timeline as plain data, for ``to_json`` (the fields of ``Timeline``, in order)."""
    with _collector_paused():
        return _build(archive, client, query)


def to_json(data: dict[str, Any], *, indent: bool = False) -> bytes:
    """``timeline_data`` as UTF-8 JSON: ``Timeline.model_dump_json()``, byte for byte (``indent``: ``indent=2``)."""
    return orjson.dumps(data, option=_JSON_INDENTED if indent else _JSON)


def timeline_json(
    archive: Archive, *, client: str, indent: bool = False, **query: Unpack[TimelineQuery]
) -> bytes:
    """``to_json(timeline_data(...))`` in one go: what the API serves."""
    with _collector_paused():
        data = _build(archive, client, query)
        body = to_json(data, indent=indent)
        # Freed before the collector resumes, which then has nothing to walk; still alive
        # then, the tens of thousands of dicts cost it a pass of ~5% of the build.
        del data
    return body


def _build(archive: Archive, client: str, query: TimelineQuery) -> dict[str, Any]:
    """The timeline as plain data: the fields of ``Timeline``, in order (see this module's docstring)."""
    filters = Filters.checked(date_from=query.get("date_from"), date_to=query.get("date_to"),
                              kinds=query.get("kinds"), only_flagged=query.get("only_flagged", False),
                              tags=query.get("tags"))
    now = query.get("now")
    if now is not None and now.utcoffset() is None:
        raise InvalidInput("the clock (now) must be timezone-aware")
    clock = now or utc_now()
    zone = ZoneInfo(archive.settings.timezone)
    with archive.read() as session:
        data = load_client(session, client)
    sides = _Sides(data)
    contacts = sides.contacts()
    local = {c.item_id: data.items[c.item_id].occurred_at for c in contacts}
    threshold = archive.settings.silence_days
    report = find_silences(contacts, threshold_days=threshold, clock=clock, local=local)
    entries, undated = listing(
        data, filters, actors=sides.actors, thread_of=sides.thread_of, calls=sides.calls, zone=zone,
        awaiting={i for s in report.silences for i in s.unanswered},
    )
    facts = key_facts(
        data, actors=sides.actors, contacts=contacts, silences=report.silences,
        medians=report.median_response_hours, threshold_days=threshold, clock=clock, zone=zone,
    )
    # silences and key facts are at most a few hundred models: their plain form is cheap to take
    return {
        "client": data.slug,
        "client_name": data.name,
        "generated_at": clock,
        "filters": filters.as_dict(),
        "entries": entries,
        "silences": [s.model_dump() for s in report.silences if filters.overlaps(s)],
        "undated": undated,
        "summary": facts.model_dump(),
        "threads": sides.threads,
        "warnings": _warnings(data),
    }
