"""Email threads: by headers first, by subject and people when the headers are missing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.archive import Archive
from app.timeline import build_timeline
from app.timeline.threads import normalise_subject
from tests.app.timeline_helpers import GREG, US, ZOE, init_us, mail

CLOCK = datetime(2024, 7, 1, tzinfo=UTC)


@pytest.fixture
def ours(archive: Archive) -> Archive:
    init_us(archive)
    return archive


def _threads(archive: Archive) -> dict[int, int | None]:
    return {e.item_id: e.thread_id for e in build_timeline(archive, client="northwind", now=CLOCK).entries}


def test_headers_make_one_thread_even_through_a_missing_message(ours: Archive) -> None:
    root = mail(ours, sender=US, to=GREG, subject="Scope", date_header="Mon, 03 Jun 2024 09:00:00 +0100",
                message_id="<root@w.example>")
    reply = mail(ours, sender=GREG, to=US, subject="Re: Scope", date_header="Mon, 03 Jun 2024 10:00:00 +0100",
                 message_id="<r1@n.example>", in_reply_to="<root@w.example>")
    deeper = mail(ours, sender=US, to=GREG, subject="Re: Re: Scope", date_header="Mon, 03 Jun 2024 11:00:00 +0100",
                  message_id="<r2@w.example>", references="<root@w.example> <r1@n.example>")
    # two answers to a message we never received still belong together
    orphan_a = mail(ours, sender=ZOE, to=US, subject="Re: Budget", date_header="Tue, 04 Jun 2024 09:00:00 +0100",
                    message_id="<o1@n.example>", in_reply_to="<lost@n.example>")
    orphan_b = mail(ours, sender=US, to=ZOE, subject="Re: Budget", date_header="Tue, 04 Jun 2024 10:00:00 +0100",
                    message_id="<o2@w.example>", references="<lost@n.example> <o1@n.example>")
    threads = _threads(ours)
    assert threads[root] == threads[reply] == threads[deeper] == root
    assert threads[orphan_a] == threads[orphan_b] == orphan_a != root
    summary = {t.thread_id: t for t in build_timeline(ours, client="northwind", now=CLOCK).threads}
    assert summary[root].item_ids == [root, reply, deeper] and summary[root].count == 3
    assert summary[root].last_at is not None and summary[root].last_at.isoformat() == "2024-06-03T11:00:00+01:00"


def test_a_reply_without_headers_joins_by_subject_and_people(ours: Archive) -> None:
    update = mail(ours, sender=US, to=GREG, subject="Progress update – vouchers",
                  date_header="Fri, 05 Apr 2024 16:20:00 +0100", message_id="<u@w.example>")
    bare_reply = mail(ours, sender=GREG, to=US, subject="RE:  progress update – Vouchers",
                      date_header="Mon, 08 Apr 2024 09:40:00 +0100", message_id="<x@n.example>")
    no_ids = mail(ours, sender=US, to=GREG, subject="Re: Progress update – vouchers",
                  date_header="Mon, 08 Apr 2024 11:00:00 +0100")
    threads = _threads(ours)
    assert threads[bare_reply] == threads[no_ids] == threads[update] == update


def test_the_subject_fallback_does_not_merge_strangers_or_new_messages(ours: Archive) -> None:
    weekly = mail(ours, sender=US, to=GREG, subject="Weekly status", date_header="Fri, 05 Apr 2024 16:00:00 +0100",
                  message_id="<w1@w.example>")
    next_week = mail(ours, sender=US, to=GREG, subject="Weekly status", date_header="Fri, 12 Apr 2024 16:00:00 +0100",
                     message_id="<w2@w.example>")
    # a "Re:" from someone who was not on the message is not a reply to it
    stranger = mail(ours, sender=ZOE, to="ap@northwind-retail.example", subject="Re: Weekly status",
                    date_header="Sat, 13 Apr 2024 09:00:00 +0100", message_id="<s@n.example>")
    threads = _threads(ours)
    assert len({threads[weekly], threads[next_week], threads[stranger]}) == 3


def test_calls_and_notes_have_no_thread(ours: Archive) -> None:
    from app import changes

    call = changes.add_event(ours, client="northwind", when="2024-06-03 10:15", title="Called Greg", kind="call")
    assert _threads(ours)[call] is None


@pytest.mark.parametrize(
    ("subject", "normalised"),
    [
        ("Re: Fwd: Invoice INV-7", "invoice inv-7"),
        ("AW: WG:  Angebot", "angebot"),
        ("[EXTERNAL] RE[2]: Delivery", "delivery"),
        ("Réponse: rien", "réponse: rien"),
        ("Re:", ""),
    ],
)
def test_normalised_subjects(subject: str, normalised: str) -> None:
    assert normalise_subject(subject) == normalised
