"""The timeline's JSON is written from plain data, and its models wrap that data without
validating it again: neither may show."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import BaseModel, Field

from app import tags
from app.archive import Archive
from app.ingesting import ingest_bytes
from app.timeline import Timeline, build_timeline, timeline_data, timeline_json, to_json
from app.timeline.schemas import SourceRef
from app.timeline.trusted import trusted
from tests.app.timeline_helpers import GREG, US, ZOE, init_us, mail, mention

CLOCK = datetime(2024, 8, 12, 12, 0, 7, 123456, tzinfo=UTC)  # microseconds and "Z" are written too
# escaping must match pydantic's: quotes, backslashes, control and line-separator
# characters, markup, non-BMP characters
HOSTILE = 'a "quote", a back\\slash, a\ttab, \x01\x1f, \u2028\u2029, </script>, Zoë 😀'
QUERIES: list[dict[str, Any]] = [
    {},
    {"date_from": date(2024, 4, 1), "kinds": ["email", "deadline"]},
    {"date_to": date(2024, 5, 31)},
    {"only_flagged": True},
    {"tags": ["payment"]},
]


@pytest.fixture
def varied(archive: Archive) -> Archive:
    """Every kind of part: a thread with a cc, an attachment, a tagged and noted call,
    a document with date mentions, an undated note, and a long silence."""
    init_us(archive)
    first = mail(archive, sender=f"Dana Whitfield <{US}>", to=GREG, cc=ZOE, subject="Invoice INV-7",
                 message_id="<a@x>", date_header="Wed, 01 May 2024 10:00:00 +0100",
                 body="Hi Greg,\nPlease find the invoice.\n", attachment=("INV-7.pdf", b"%PDF-1.4 not really"))
    mail(archive, sender=GREG, to=US, subject="Re: Invoice INV-7 – Zoë’s “reply”", message_id="<b@x>",
         in_reply_to="<a@x>", date_header="Mon, 03 Jun 2024 10:00:00 -0400",
         body="We have paid it.\n\nOn Wed wrote:\n> quoted")
    doc = ingest_bytes(archive, data=b"Agreement.\nDelivery by 30 April.\n", filename="2024-01-20 agreement.txt",
                       client="northwind").item_ids[0]
    mention(archive, doc, date(2024, 4, 30), "deadline", "Deliver by 30 April 2024.", page=2)
    mention(archive, doc, date(2024, 2, 1), "effective", "Effective 1 February 2024.", page=1)
    undated = ingest_bytes(archive, data=b"Some thoughts, no date.\n", filename="thoughts.txt",
                           client="northwind").item_ids[0]
    tags.tag_item(archive, item_id=first, tag="payment")
    tags.add_note(archive, item_id=undated, text="when was this?")
    tags.add_note(archive, item_id=first, text=HOSTILE)
    return archive


def test_the_json_is_the_models_json_byte_for_byte(varied: Archive) -> None:
    for query in QUERIES:
        models = build_timeline(varied, client="northwind", now=CLOCK, **query)
        fast = timeline_json(varied, client="northwind", now=CLOCK, **query)
        # same keys, values, order, offsets and escapes as the models write
        assert fast == models.model_dump_json().encode()
        indented = timeline_json(varied, client="northwind", now=CLOCK, indent=True, **query)
        assert indented == models.model_dump_json(indent=2).encode()
        assert to_json(timeline_data(varied, client="northwind", now=CLOCK, **query)) == fast
        # and the shape cannot drift from the models: a strict validation takes it whole
        # (a missing field fails), and writes the same bytes back (an extra field would not)
        assert Timeline.model_validate_json(fast, strict=True).model_dump_json().encode() == fast
    everything = build_timeline(varied, client="northwind", now=CLOCK)
    assert everything.entries and everything.threads and everything.undated and everything.summary.invoices
    assert any(n.text == HOSTILE for e in everything.entries for n in e.notes)
    assert any(e.participants and e.participants[0].startswith("from: Dana Whitfield <") for e in everything.entries)


def test_the_models_are_a_validated_copy_of_the_plain_data(varied: Archive) -> None:
    for query in QUERIES:
        data = timeline_data(varied, client="northwind", now=CLOCK, **query)
        timeline = build_timeline(varied, client="northwind", now=CLOCK, **query)
        # == compares every field by value and type (a tuple is not a list)
        assert timeline == Timeline.model_validate(data)
        assert timeline.model_fields_set == set(Timeline.model_fields)
    data = timeline_data(varied, client="northwind", now=CLOCK)
    timeline = build_timeline(varied, client="northwind", now=CLOCK)
    # the plain data lists each model's fields, in the model's order
    assert list(data) == list(Timeline.model_fields)
    assert all(list(e) == list(type(timeline.entries[0]).model_fields) for e in data["entries"])
    assert all(list(u) == list(type(timeline.undated[0]).model_fields) for u in data["undated"])
    assert timeline.undated[0].notes[0].text == "when was this?"


def test_trusted_needs_every_field_and_a_plain_model() -> None:
    make = trusted(SourceRef)
    assert make({"filename": "a.pdf", "page": 2, "row": None}) == SourceRef(filename="a.pdf", page=2)
    with pytest.raises(TypeError, match="needs"):
        make({"filename": "a.pdf", "page": 2})

    class Aliased(BaseModel):
        value: int = Field(alias="v")

    with pytest.raises(TypeError, match="without validation"):
        trusted(Aliased)
