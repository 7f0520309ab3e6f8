"""The timeline is assembled from its parts without validating them again: it must not show."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import BaseModel, Field

from app import tags
from app.archive import Archive
from app.ingesting import ingest_bytes
from app.timeline import Timeline, build_timeline
from app.timeline.schemas import SourceRef, trusted
from tests.app.timeline_helpers import GREG, US, ZOE, init_us, mail, mention

CLOCK = datetime(2024, 8, 12, 12, 0, tzinfo=UTC)


@pytest.fixture
def varied(archive: Archive) -> Archive:
    """Every kind of part: a thread with a cc, an attachment, a tagged and noted call,
    a document with date mentions, an undated note, and a long silence."""
    init_us(archive)
    first = mail(archive, sender=US, to=GREG, cc=ZOE, subject="Invoice INV-7", message_id="<a@x>",
                 date_header="Wed, 01 May 2024 10:00:00 +0100", body="Hi Greg,\nPlease find the invoice.\n",
                 attachment=("INV-7.pdf", b"%PDF-1.4 not really"))
    mail(archive, sender=GREG, to=US, subject="Re: Invoice INV-7", message_id="<b@x>", in_reply_to="<a@x>",
         date_header="Mon, 03 Jun 2024 10:00:00 -0400", body="We have paid it.\n\nOn Wed wrote:\n> quoted")
    doc = ingest_bytes(archive, data=b"Agreement.\nDelivery by 30 April.\n", filename="2024-01-20 agreement.txt",
                       client="northwind").item_ids[0]
    mention(archive, doc, date(2024, 4, 30), "deadline", "Deliver by 30 April 2024.", page=2)
    mention(archive, doc, date(2024, 2, 1), "effective", "Effective 1 February 2024.", page=1)
    undated = ingest_bytes(archive, data=b"Some thoughts, no date.\n", filename="thoughts.txt",
                           client="northwind").item_ids[0]
    tags.tag_item(archive, item_id=first, tag="payment")
    tags.add_note(archive, item_id=undated, text="when was this?")
    return archive


def test_the_built_timeline_equals_a_validated_copy(varied: Archive) -> None:
    for timeline in (
        build_timeline(varied, client="northwind", now=CLOCK),
        build_timeline(varied, client="northwind", date_from=date(2024, 4, 1), kinds=["email", "deadline"],
                       now=CLOCK),
    ):
        assert timeline.entries and timeline.threads
        validated = Timeline.model_validate(timeline.model_dump())
        # == compares every field by value and type (a tuple is not a list); the JSON
        # also compares key order and each datetime's offset
        assert validated == timeline
        assert validated.model_dump_json() == timeline.model_dump_json()
        assert timeline.model_fields_set == set(Timeline.model_fields)
    assert build_timeline(varied, client="northwind", now=CLOCK).undated[0].notes[0].text == "when was this?"


def test_trusted_needs_every_field_and_a_plain_model() -> None:
    make = trusted(SourceRef)
    assert make({"filename": "a.pdf", "page": 2, "row": None}) == SourceRef(filename="a.pdf", page=2)
    with pytest.raises(TypeError, match="needs"):
        make({"filename": "a.pdf", "page": 2})

    class Aliased(BaseModel):
        value: int = Field(alias="v")

    with pytest.raises(TypeError, match="without validation"):
        trusted(Aliased)
