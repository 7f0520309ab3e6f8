"""Who did what: the actor of each item, and which items are contacts between the sides.

Actor rules (one per kind of item):

- email: the side of its sender (the ``from`` participant). ``us`` is the owner's
  identity (``casefile init --me``, addresses or whole domains), checked first so our
  own domain is never the client's; ``client`` is an address or domain learned for this
  client; anyone else is ``third_party``; no sender at all is ``unknown``.
- call: ``outgoing`` is us, ``incoming`` and ``missed`` are the client (a missed call is
  the client trying to reach us). A call a person recorded by hand (``add-event --kind
  call``) has no direction and is taken as our own attempt: that is what people record.
  Any other call without a direction is ``unknown``.
- note and event: ``us`` (we wrote the note or recorded the event).
- document and attachment, and every date a document mentions: ``document`` - the fact
  is stated by the paper, which often both sides signed, not said by one of them.

A *contact* is what silences are measured on: an email from one side with someone of
the other side among its recipients, or a call. An outgoing call that lasted more than
zero seconds was picked up, so it is a two-way exchange: it answers both sides at once.
So is a meeting: a note whose attendees include one of the client's people (known by
address, or by a name seen on the client's mail), or an event recorded as a meeting.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from ..clients import Identity, domain_of
from .loading import ClientData, ItemFacts

__all__ = ["Contact", "Parties", "call_facts"]

_RECIPIENTS = frozenset({"to", "cc", "bcc"})


class Contact(NamedTuple):
    """One message or call between the sides, as the silence finder sees it."""

    item_id: int
    at: datetime  # aware, UTC
    speaker: str  # "us" | "client"
    awaits_reply: bool  # addressed to the other side, so it expects an answer
    answers: bool  # counts as the speaker answering whatever the other side sent
    two_way: bool  # a connected call: both sides spoke
    thread_id: int | None


def call_facts(item: ItemFacts) -> tuple[str, int | None]:
    """A call's direction (incoming | outgoing | missed | unknown) and duration in seconds."""
    try:
        facts = json.loads(item.facts_json)
    except ValueError:
        facts = {}
    direction = facts.get("direction") or "unknown"
    seconds = facts.get("duration_seconds")
    return direction, seconds if isinstance(seconds, int) else None


class Parties:
    """Tells us, the client and third parties apart for one client's timeline."""

    def __init__(self, data: ClientData) -> None:
        self.identity: Identity = data.identity
        self._data = data
        self._addresses = data.client_addresses
        self._domains = data.client_domains
        self._names: dict[str, str] | None = None
        self._sides: dict[str, str] = {}

    def _side_of_name(self, name: str) -> str:
        # Meeting notes list attendees by name only; learn names from mail, lazily,
        # since most timelines have no such note.
        if self._names is None:
            names: dict[str, str] = {}
            for item in self._data.items.values():
                for _, address, who in item.participants:
                    if address and who:
                        key, side = who.casefold(), self.side(address)
                        names[key] = side if names.get(key, side) == side else "unknown"
            self._names = names
        return self._names.get(name.casefold(), "unknown")

    def _is_meeting(self, item: ItemFacts) -> bool:
        if item.kind == "note" and '"recorded_as": "meeting"' in item.facts_json:
            return True
        return any(
            (self.side(address) if address else self._side_of_name(name)) == "client"
            for role, address, name in item.participants
            if role == "attendee"
        )

    def side(self, address: str) -> str:
        """us | client | third_party | unknown for one address."""
        # the same few addresses recur on thousands of messages: decide each once
        known = self._sides.get(address)
        if known is not None:
            return known
        if not address:
            side = "unknown"
        elif self.identity.is_us(address):
            side = "us"
        elif address in self._addresses or domain_of(address) in self._domains:
            side = "client"
        else:
            side = "third_party"
        self._sides[address] = side
        return side

    def actor(self, item: ItemFacts, direction: str | None = None) -> str:
        """The actor of an item, by the rules in this module's docstring."""
        if item.kind == "email":
            return self.side(item.sender) if item.sender else "unknown"
        if item.kind == "call":
            if direction in ("incoming", "missed"):
                return "client"
            if direction == "outgoing" or item.date_source == "user":
                return "us"
            return "unknown"
        if item.kind in ("note", "event"):
            return "us"
        return "document"

    def _addressed_to(self, item: ItemFacts, side: str) -> bool:
        # one plain loop: this runs for every email of the client
        sides = self._sides
        for role, address, _ in item.participants:
            if address and role in _RECIPIENTS:
                if (sides.get(address) or self.side(address)) == side:
                    return True
        return False

    def contact(self, item: ItemFacts, actor: str, thread_id: int | None, direction: str | None,
                seconds: int | None) -> Contact | None:
        """The item as a contact between the sides, or None if it is not one."""
        if item.at_utc is None or actor not in ("us", "client"):
            return None
        if item.kind == "email":
            other = "client" if actor == "us" else "us"
            addressed = self._addressed_to(item, other)
            # Mail from the client reached us whoever it was addressed to, so it answers
            # us; ours answers the client only if it went to them.
            answers = addressed if actor == "us" else True
            if not (addressed or answers):
                return None
            return Contact(item.id, item.at_utc, actor, addressed, answers, False, thread_id)
        if item.kind == "call":
            two_way = bool(seconds) and direction in ("incoming", "outgoing")
            return Contact(item.id, item.at_utc, actor, not two_way, True, two_way, None)
        if item.kind == "note" and self._is_meeting(item):
            return Contact(item.id, item.at_utc, actor, False, True, True, None)
        return None
