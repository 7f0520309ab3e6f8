"""Silences: how long each side left the other waiting, measured the same way for both.

One pass over the contacts in time order (see ``actors``). A contact that expects an
answer joins its side's pending list; the first contact from the other side answers the
whole list, however many messages and calls it holds, anywhere (not only in the same
thread; the report says whether it was). Consecutive unanswered contacts therefore
merge into one silence that starts at the first of them. A connected call answers both
sides. Contacts still pending at the end make an open silence, measured to the clock.

``days`` is the elapsed time in days as a float rounded to one decimal (31 May 09:00 to
19 July 16:55 is 49.3); ``calendar_days`` counts the dates as written (49). A silence is
reported when it lasted longer than the threshold (``Settings.silence_days``). Response
times are measured from the first unanswered contact to the answer; the medians leave
out silences still open, which are reported on their own.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter

from .actors import Contact
from .schemas import Silence

__all__ = ["SilenceReport", "find_silences", "in_time_order"]

_OTHER = {"us": "client", "client": "us"}
_AT, _ITEM_ID = attrgetter("at"), attrgetter("item_id")


@dataclass(frozen=True)
class SilenceReport:
    silences: list[Silence]
    median_response_hours: dict[str, float | None]


def _silence(
    pending: list[Contact], answer: Contact | None, clock: datetime, local: Mapping[int, datetime]
) -> Silence:
    first = pending[0]
    start = local[first.item_id]
    end = local[answer.item_id] if answer else None
    measured_to = end if end is not None else clock.astimezone(start.tzinfo)
    elapsed = max(measured_to - start, timedelta(0))
    in_thread: bool | None = None
    if answer is not None and answer.thread_id is not None:
        in_thread = any(c.thread_id == answer.thread_id for c in pending)
    return Silence(
        start=start,
        end=end,
        open=answer is None,
        days=round(elapsed / timedelta(days=1), 1),
        calendar_days=max((measured_to.date() - start.date()).days, 0),
        awaiting=_OTHER[first.speaker],  # type: ignore[arg-type]
        unanswered=[c.item_id for c in pending],
        start_item_id=first.item_id,
        end_item_id=answer.item_id if answer else None,
        answered_in_thread=in_thread,
        measured_to=measured_to,
    )


def in_time_order(contacts: Iterable[Contact]) -> list[Contact]:
    """Contacts by instant, then item id."""
    # two stable sorts on single keys: no key tuple per contact, and the first is
    # nearly free (contacts arrive in item id order)
    return sorted(sorted(contacts, key=_ITEM_ID), key=_AT)


def find_silences(
    contacts: Sequence[Contact],
    *,
    threshold_days: int,
    clock: datetime,
    local: Mapping[int, datetime],
) -> SilenceReport:
    """Every silence longer than ``threshold_days`` and each side's median response time.

    ``local`` gives each contact's instant in its original offset, for reporting.
    """
    threshold = timedelta(days=threshold_days)
    pending: dict[str, list[Contact]] = {"us": [], "client": []}
    waits: dict[str, list[timedelta]] = {"us": [], "client": []}  # by the side that answered
    found: list[Silence] = []

    def close(side: str, answer: Contact) -> None:
        waiting = pending[side]
        if not waiting:
            return
        elapsed = answer.at - waiting[0].at
        waits[_OTHER[side]].append(elapsed)
        if elapsed > threshold:
            found.append(_silence(waiting, answer, clock, local))
        pending[side] = []

    for contact in in_time_order(contacts):
        speaker = contact.speaker
        if contact.answers:
            close(_OTHER[speaker], contact)
        if contact.two_way:
            close(speaker, contact)
        elif contact.awaits_reply:
            pending[speaker].append(contact)
    for waiting in pending.values():
        if waiting and clock - waiting[0].at > threshold:
            found.append(_silence(waiting, None, clock, local))
    found.sort(key=lambda s: (s.start, s.awaiting))
    medians = {
        side: round(statistics.median(v) / timedelta(hours=1), 1) if v else None
        for side, v in waits.items()
    }
    return SilenceReport(found, medians)
