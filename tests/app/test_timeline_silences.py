"""Silences and response times, on small archives built through the real ingest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app import changes, items
from app.archive import Archive, open_archive
from app.config import Settings
from app.ingesting import ingest_bytes
from app.timeline import build_timeline
from tests.app.timeline_helpers import GREG, US, ZOE, init_us, mail

JUNE_1 = "Sat, 01 Jun 2024 10:00:00 +0100"


@pytest.fixture
def ours(archive: Archive) -> Archive:
    init_us(archive)
    return archive


def _calls(archive: Archive, *rows: str) -> list[int]:
    data = ("Date,Time,Direction,Contact,Duration,Notes\n" + "\n".join(rows) + "\n").encode()
    assert ingest_bytes(archive, data=data, filename="calls.csv", client="northwind").ok
    return [i.id for i in items.list_items(archive, client="northwind", kind="call").items]


def test_an_unanswered_message_is_an_open_silence_measured_to_the_clock(ours: Archive) -> None:
    sent = mail(ours, sender=US, to=GREG, subject="Invoice", date_header=JUNE_1)
    later = build_timeline(ours, client="northwind", now=datetime(2024, 6, 20, 9, 0, tzinfo=UTC))
    [silence] = later.silences
    assert silence.open and silence.end is None and silence.end_item_id is None
    assert (silence.awaiting, silence.unanswered, silence.start_item_id) == ("client", [sent], sent)
    assert (silence.days, silence.calendar_days) == (19.0, 19)
    assert silence.measured_to.isoformat() == "2024-06-20T10:00:00+01:00"  # in the start's offset
    assert later.entries[0].awaiting_reply
    assert later.summary.longest_silence == silence
    early = build_timeline(ours, client="northwind", now=datetime(2024, 6, 5, tzinfo=UTC))
    assert early.silences == [] and not early.entries[0].awaiting_reply  # 4 days: under the threshold


def test_consecutive_contacts_merge_and_an_answer_anywhere_ends_them(ours: Archive) -> None:
    first = mail(ours, sender=US, to=GREG, subject="Invoice", date_header=JUNE_1, message_id="<a@w.example>")
    second = mail(ours, sender=US, to=f"{GREG}, {ZOE}", subject="Reminder", date_header="Wed, 05 Jun 2024 10:00 +0100",
                  message_id="<b@w.example>")
    call = changes.add_event(ours, client="northwind", when="2024-06-10 11:00", title="Called Greg, no answer",
                             kind="call")
    answer = mail(ours, sender=GREG, to=US, subject="Something else", date_header="Thu, 20 Jun 2024 15:00:00 +0100",
                  message_id="<c@n.example>")
    timeline = build_timeline(ours, client="northwind", now=datetime(2024, 6, 21, tzinfo=UTC))
    [silence] = timeline.silences
    assert silence.unanswered == [first, second, call] and silence.end_item_id == answer
    assert silence.answered_in_thread is False  # answered, but not in any of our threads
    assert (silence.days, silence.calendar_days, silence.open) == (19.2, 19, False)
    assert silence.end is not None and silence.end.isoformat() == "2024-06-20T15:00:00+01:00"


def test_an_answer_in_the_same_thread_says_so(ours: Archive) -> None:
    mail(ours, sender=US, to=GREG, subject="Invoice", date_header=JUNE_1, message_id="<a@w.example>")
    mail(ours, sender=GREG, to=US, subject="Re: Invoice", date_header="Mon, 17 Jun 2024 10:00:00 +0100",
         message_id="<b@n.example>", in_reply_to="<a@w.example>")
    [silence] = build_timeline(ours, client="northwind", now=datetime(2024, 6, 18, tzinfo=UTC)).silences
    assert silence.answered_in_thread is True and silence.days == 16.0


def test_our_own_slow_answers_are_reported_too(ours: Archive) -> None:
    asked = mail(ours, sender=GREG, to=US, subject="Question", date_header=JUNE_1)
    mail(ours, sender=ZOE, to=US, subject="Also", date_header="Mon, 03 Jun 2024 10:00:00 +0100")
    mail(ours, sender=US, to=GREG, subject="Re: Question", date_header="Sat, 15 Jun 2024 10:00:00 +0100")
    [silence] = build_timeline(ours, client="northwind", now=datetime(2024, 6, 16, tzinfo=UTC)).silences
    assert (silence.awaiting, silence.start_item_id, silence.days) == ("us", asked, 14.0)
    assert len(silence.unanswered) == 2


def test_the_threshold_comes_from_settings(tmp_path: Path) -> None:
    archive = open_archive(Settings(data=tmp_path / "data", actor="tester", timezone="Europe/London",
                                    silence_days=20))
    try:
        init_us(archive)
        mail(archive, sender=US, to=GREG, subject="Invoice", date_header=JUNE_1)
        mail(archive, sender=GREG, to=US, subject="Re: Invoice", date_header="Sat, 15 Jun 2024 10:00:00 +0100")
        timeline = build_timeline(archive, client="northwind", now=datetime(2024, 6, 16, tzinfo=UTC))
        assert timeline.silences == [] and timeline.summary.silence_threshold_days == 20
    finally:
        archive.close()


def test_a_call_that_was_picked_up_answers_and_an_unanswered_one_does_not(ours: Archive) -> None:
    first = mail(ours, sender=US, to=GREG, subject="Invoice", date_header=JUNE_1)
    missed, picked_up = _calls(
        ours,
        "2024-06-05,10:00,Outgoing,Greg Thornton,0:00,No answer",
        "2024-06-12,10:00,Outgoing,Greg Thornton,5:10,Talked it through",
    )
    [silence] = build_timeline(ours, client="northwind", now=datetime(2024, 7, 1, tzinfo=UTC)).silences
    assert silence.unanswered == [first, missed] and silence.end_item_id == picked_up
    assert silence.answered_in_thread is None and silence.days == 11.0


def test_a_meeting_with_the_client_is_an_exchange(ours: Archive) -> None:
    mail(ours, sender=US, to=GREG, subject="Agenda", date_header=JUNE_1)
    meeting = changes.add_event(ours, client="northwind", when="2024-06-12 10:00", title="Review meeting",
                                kind="meeting")
    mail(ours, sender=GREG, to=US, subject="Thanks", date_header="Mon, 24 Jun 2024 10:00:00 +0100")
    [silence] = build_timeline(ours, client="northwind", now=datetime(2024, 7, 1, tzinfo=UTC)).silences
    assert silence.end_item_id == meeting and silence.days == 11.0  # and nothing awaited after it


def test_median_response_time_of_each_side(ours: Archive) -> None:
    mail(ours, sender=GREG, to=US, subject="a", date_header="Mon, 03 Jun 2024 09:00:00 +0100")
    mail(ours, sender=US, to=GREG, subject="b", date_header="Mon, 03 Jun 2024 11:00:00 +0100")  # us: 2 h
    mail(ours, sender=GREG, to=US, subject="c", date_header="Tue, 04 Jun 2024 09:00:00 +0100")  # client: 22 h
    mail(ours, sender=US, to=GREG, subject="d", date_header="Tue, 04 Jun 2024 13:00:00 +0100")  # us: 4 h
    timeline = build_timeline(ours, client="northwind", now=datetime(2024, 6, 5, tzinfo=UTC))
    assert timeline.summary.median_response_hours == {"us": 3.0, "client": 22.0}


def test_mail_with_a_third_party_is_not_a_contact(ours: Archive) -> None:
    mail(ours, sender=GREG, to=US, subject="Hello", date_header="Fri, 31 May 2024 09:00:00 +0100")
    # filed by hand (not learned): the accountant is nobody's correspondent
    to_them = mail(ours, sender=US, to="accountant@numbers.example", subject="VAT", date_header=JUNE_1, client=None)
    from_them = mail(ours, sender="accountant@numbers.example", to=US, subject="Re: VAT",
                     date_header="Mon, 24 Jun 2024 10:00:00 +0100", client=None)
    changes.assign_item(ours, item_id=to_them, client="northwind")
    changes.assign_item(ours, item_id=from_them, client="northwind")
    timeline = build_timeline(ours, client="northwind", now=datetime(2024, 6, 2, tzinfo=UTC))
    assert [e.actor for e in timeline.entries] == ["client", "us", "third_party"]
    # Greg's mail still awaits us: writing to the accountant is no answer to him
    [silence] = build_timeline(ours, client="northwind", now=datetime(2024, 7, 1, tzinfo=UTC)).silences
    assert silence.awaiting == "us" and silence.open and len(silence.unanswered) == 1


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Archive]:
    archive = open_archive(Settings(data=tmp_path / "d", actor="tester", timezone="America/New_York"))
    yield archive
    archive.close()


def test_days_are_elapsed_time_and_calendar_days_are_dates_as_written(fresh: Archive) -> None:
    init_us(fresh)
    mail(fresh, sender=US, to=GREG, subject="late", date_header="Fri, 31 May 2024 23:00:00 +0100")
    mail(fresh, sender=GREG, to=US, subject="early", date_header="Mon, 10 Jun 2024 01:00:00 +0100")
    [silence] = build_timeline(fresh, client="northwind", now=datetime(2024, 6, 11, tzinfo=UTC)).silences
    assert (silence.days, silence.calendar_days) == (9.1, 10)
