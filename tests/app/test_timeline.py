"""The timeline on the sample dispute (end to end, OCR included) and its placement rules."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from app import changes, items, tags
from app.archive import Archive, open_archive
from app.config import Settings
from app.errors import ClientNotFound, InvalidInput
from app.ingesting import ingest_bytes, ingest_paths
from app.timeline import Timeline, TimelineEntry, build_timeline
from tests.app.timeline_helpers import GREG, US, init_us, mail, mention
from tests.conftest import SAMPLES

CLOCK = datetime(2024, 8, 12, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Archive, Timeline]]:
    """The whole northwind folder (mail, calls, notes, contracts incl. the scan) and bluebird."""
    data = tmp_path_factory.mktemp("timeline") / "data"
    archive = open_archive(Settings(data=data, actor="tester", timezone="Europe/London"))
    init_us(archive)
    assert ingest_paths(archive, paths=[SAMPLES / "northwind"], client="northwind").ok
    assert ingest_paths(archive, paths=[SAMPLES / "bluebird"], client="bluebird").ok
    yield archive, build_timeline(archive, client="northwind", now=CLOCK)
    archive.close()


def _one(entries: list[TimelineEntry], **match: object) -> TimelineEntry:
    found = [e for e in entries if all(getattr(e, k) == v for k, v in match.items())]
    assert len(found) == 1, (match, [(e.title, e.occurred_at) for e in found])
    return found[0]


def _at(entry: TimelineEntry) -> str:
    return entry.occurred_at.isoformat(timespec="minutes")


def test_sample_contract_dates_and_delivery_before_the_deadline(sample: tuple[Archive, Timeline]) -> None:
    _, timeline = sample
    effective = timeline.summary.contract_effective
    assert effective is not None and effective.date == date(2024, 2, 1)
    assert (effective.citation.filename, effective.citation.page) == ("consultancy-agreement-signed.pdf", 1)
    assert [c.filename for c in effective.other_citations] == ["statement-of-work.pdf"]
    [deadline] = timeline.summary.deadlines
    assert deadline.date == date(2024, 4, 30)
    assert deadline.citation.filename == "consultancy-agreement-signed.pdf"
    assert "on or before 30 April 2024" in deadline.citation.sentence
    delivered = deadline.delivered_before
    assert delivered is not None and delivered.title == "Delivery: Northwind loyalty module v1.0"
    assert delivered.occurred_at.isoformat() == "2024-04-26T15:05:00+01:00"
    assert delivered.days_from_deadline == 4 and deadline.delivered_after is None
    # Dana's later mails recall the delivery ("delivered on 26 April"): not delivery evidence
    assert timeline.summary.delivery_evidence == [delivered.item_id]
    entry = _one(timeline.entries, kind="deadline", item_id=deadline.citation.item_id)
    assert entry.entry_type == "date_mention" and entry.actor == "document" and entry.precision == "day"
    assert _at(entry) == "2024-04-30T00:00+01:00" and entry.source.page == 1
    assert entry.mention is not None and entry.mention.sentence == deadline.citation.sentence


def test_sample_unpaid_invoice_with_its_replies(sample: tuple[Archive, Timeline]) -> None:
    archive, timeline = sample
    [invoice] = timeline.summary.invoices
    assert invoice.number == "INV-2024-007" and invoice.due_date == date(2024, 5, 30)
    assert invoice.due_citation is not None and invoice.due_citation.filename == "INV-2024-007.pdf"
    assert invoice.due_citation.sentence == "Due date: 30 May 2024"
    assert invoice.due_citation.reason == "invoice due date"
    # what the invoice states of itself, read at ingest
    assert invoice.invoice_date == date(2024, 4, 30)
    assert (invoice.amount, invoice.currency, invoice.purchase_order) == ("27000.00", "GBP", "NW-PO-4471")
    # the invoice is dated by its "Invoice date", not by the agreement it cites
    document = items.get_item(archive, item_id=invoice.item_id)
    assert document.occurred_at is not None and document.occurred_at.isoformat() == "2024-04-30T00:00:00+01:00"
    assert document.date_detail == "invoice date: '30 April 2024', p. 1"
    cited = [e for e in timeline.entries if e.entry_type == "date_mention" and e.item_id == invoice.item_id]
    assert {e.kind for e in cited} == {"date", "due"}
    assert [e.occurred_at.date() for e in cited if e.kind == "due"] == [date(2024, 5, 30)]
    assert invoice.sent_at is not None and invoice.sent_at.isoformat() == "2024-04-30T10:15:00+01:00"
    after_sent, after_due = invoice.first_reply_after_sent, invoice.first_reply_after_due
    assert after_sent is not None and after_sent.occurred_at.isoformat() == "2024-05-02T09:30:00-04:00"
    assert after_sent.days == 2
    assert after_due is not None and after_due.occurred_at.isoformat() == "2024-07-19T16:55:00+01:00"
    assert after_due.days == 50
    assert invoice.status == "overdue" and invoice.payment_evidence_item_id is None
    assert invoice.note.startswith("due 30 May 2024; no payment evidence in the archive; 74 days past due")
    assert len(invoice.follow_ups) == 7  # 31 May, 10 Jun, 17 Jun, 24 Jun, 8 Jul, 22 Jul, 5 Aug
    due = _one(timeline.entries, kind="due", occurred_at=datetime.fromisoformat("2024-05-30T00:00:00+01:00"))
    assert due.source.filename == "INV-2024-007.pdf" and due.item_id == invoice.item_id


def test_sample_unanswered_follow_ups_are_one_silence_awaiting_the_client(sample: tuple[Archive, Timeline]) -> None:
    _, timeline = sample
    by_id = {e.item_id: e for e in timeline.entries if e.entry_type == "item"}
    key = timeline.summary.longest_silence
    assert key is not None and key.awaiting == "client" and not key.open
    assert (key.days, key.calendar_days) == (49.3, 49)
    assert key.start.isoformat() == "2024-05-31T09:00:00+01:00" and key.end is not None
    assert by_id[key.start_item_id].title == "Re: Invoice INV-2024-007 – Northwind loyalty module"
    assert key.end_item_id is not None and by_id[key.end_item_id].actor == "client"
    assert key.end.isoformat() == "2024-07-19T16:55:00+01:00" and key.answered_in_thread is True
    unanswered = [by_id[i] for i in key.unanswered]
    assert [(_at(e)[:10], e.kind) for e in unanswered] == [
        ("2024-05-31", "email"), ("2024-06-03", "call"), ("2024-06-10", "email"), ("2024-06-17", "call"),
        ("2024-06-17", "email"), ("2024-06-17", "call"), ("2024-06-24", "email"), ("2024-07-01", "call"),
        ("2024-07-08", "email"), ("2024-07-15", "call"),
    ]
    assert all(e.actor == "us" and e.awaiting_reply for e in unanswered)
    assert any(e.source.filename == "dana-sent-2024-06-17-call-request.eml" for e in unanswered)
    # after Dana's answer of 22 July nobody wrote back: still open at the clock
    last = timeline.silences[-1]
    assert last.open and last.end is None and last.awaiting == "client" and last.days == 21.1
    assert [by_id[i].kind for i in last.unanswered] == ["email", "call", "email"]
    assert last.measured_to == CLOCK


def test_sample_entries_are_scoped_ordered_and_cited(sample: tuple[Archive, Timeline]) -> None:
    _, timeline = sample
    instants = [e.occurred_at for e in timeline.entries]
    assert instants == sorted(instants)
    assert not any("bluebird" in (e.source.filename or "") or "Bluebird" in e.title for e in timeline.entries)
    filenames = {e.source.filename for e in timeline.entries if e.entry_type == "item"}
    # containers are not events; an attachment is listed under its email
    assert "northwind-2024.mbox" not in filenames and "call-log-2024.csv" in filenames
    assert not any(e.kind == "attachment" for e in timeline.entries)
    invoice_mail = _one(timeline.entries, title="Invoice INV-2024-007 – Northwind loyalty module")
    assert [a.filename for a in invoice_mail.attachments] == ["INV-2024-007.pdf"]
    call = next(e for e in timeline.entries if e.kind == "call")
    assert call.source.row == 2 and call.direction == "outgoing" and call.actor == "us"
    [note] = [e for e in timeline.entries if e.source.filename == "2024-03-12 scope change call.txt"]
    assert note.actor == "us" and note.precision == "day" and note.date_source == "filename"
    zoe = _one(timeline.entries, title="Fwd: PO NW-PO-4471 raised – Whitfield Digital")
    assert zoe.actor == "client" and zoe.occurred_at.isoformat() == "2024-02-14T09:05:00-05:00"
    assert timeline.undated == [] and timeline.warnings == []
    # the OCR'd scan is placed at its own date, citing the page that states it
    [scan] = [e for e in timeline.entries
              if e.source.filename == "consultancy-agreement-signed.pdf" and e.entry_type == "item"]
    assert _at(scan).startswith("2024-01-15") and scan.source.page == 1


def test_sample_thread_with_a_header_less_reply(sample: tuple[Archive, Timeline]) -> None:
    _, timeline = sample
    update = _one(timeline.entries, title="Progress update – vouchers and referral bonus")
    reply = _one(timeline.entries, title="Re: Progress update – vouchers and referral bonus")
    assert reply.thread_id == update.thread_id == update.item_id
    thread = next(t for t in timeline.threads if t.thread_id == update.thread_id)
    assert thread.item_ids == [update.item_id, reply.item_id]


@pytest.fixture
def ours(archive: Archive) -> Archive:
    init_us(archive)
    return archive


def test_mixed_offsets_are_ordered_by_instant_and_keep_their_offset(ours: Archive) -> None:
    ny = mail(ours, sender=GREG, to=US, subject="from New York", date_header="Thu, 02 May 2024 09:30:00 -0400")
    london = mail(ours, sender=US, to=GREG, subject="from London", date_header="Thu, 02 May 2024 14:00:00 +0100")
    utc = mail(ours, sender=GREG, to=US, subject="in UTC", date_header="Thu, 02 May 2024 13:15:00 +0000")
    timeline = build_timeline(ours, client="northwind", now=CLOCK)
    assert [e.item_id for e in timeline.entries] == [london, utc, ny]  # 13:00Z, 13:15Z, 13:30Z
    dumped = json.loads(timeline.model_dump_json())["entries"]
    assert [e["occurred_at"] for e in dumped] == [
        "2024-05-02T14:00:00+01:00", "2024-05-02T13:15:00Z", "2024-05-02T09:30:00-04:00"
    ]


def _pdf_dated_only_by_metadata() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=1)
    page.drawString(72, 720, "Wireframes for the loyalty module, second round of comments.")
    page.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    writer.add_metadata({"/CreationDate": "D:20240701120000+01'00'", "/ModDate": "D:20240701120000+01'00'"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_items_without_a_trustworthy_date_are_listed_as_undated(ours: Archive, tmp_path: Path) -> None:
    dated = mail(ours, sender=GREG, to=US, subject="dated", date_header="Thu, 02 May 2024 09:30:00 +0100")
    no_header = mail(ours, sender=GREG, to=US, subject="no date header", date_header=None)
    pdf = ingest_bytes(ours, data=_pdf_dated_only_by_metadata(), filename="wireframes.pdf", client="northwind")
    loose = tmp_path / "loose thoughts.txt"
    loose.write_text("Some thoughts about the project, written down without a date.\n")
    note = ingest_paths(ours, paths=[loose], client="northwind")
    timeline = build_timeline(ours, client="northwind", now=CLOCK)
    assert [e.item_id for e in timeline.entries] == [dated]
    undated = {u.item_id: u for u in timeline.undated}
    assert set(undated) == {no_header, pdf.item_ids[0], note.item_ids[0]}
    assert undated[no_header].date_source == "none" and undated[no_header].date_hint is None
    metadata = undated[pdf.item_ids[0]]
    assert metadata.date_source == "document_metadata" and "metadata" in metadata.reason
    assert metadata.date_hint is not None and metadata.date_hint.isoformat() == "2024-07-01T12:00:00+01:00"
    assert undated[note.item_ids[0]].date_source == "file_mtime" and undated[note.item_ids[0]].date_hint


def test_document_date_mentions_are_cited_entries(ours: Archive) -> None:
    report = ingest_bytes(ours, data=b"Statement of work.\nDelivery by the end of April.\n",
                          filename="2024-01-20 sow.txt", client="northwind")
    doc = report.item_ids[0]
    mention(ours, doc, date(2024, 4, 30), "deadline", "The Consultant shall deliver by 30 April 2024.", page=2)
    mention(ours, doc, date(2024, 4, 30), "deadline", "Again: by 30 April 2024.", page=3)  # same fact twice
    mention(ours, doc, date(2024, 2, 1), "effective", "Effective Date: 1 February 2024.", page=1)
    timeline = build_timeline(ours, client="northwind", now=CLOCK)
    assert [(e.kind, _at(e)) for e in timeline.entries] == [
        ("note", "2024-01-20T00:00+00:00"), ("effective", "2024-02-01T00:00+00:00"),
        ("deadline", "2024-04-30T00:00+01:00"),
    ]
    deadline = timeline.entries[-1]
    assert deadline.source.filename == "2024-01-20 sow.txt" and deadline.source.page == 2
    assert deadline.summary == "The Consultant shall deliver by 30 April 2024."
    assert deadline.title == "Deadline 30 April 2024 – Statement of work." and deadline.item_id == doc
    assert timeline.summary.deadlines[0].delivered_before is None  # no delivery evidence at all
    assert timeline.summary.contract_effective is not None
    assert timeline.summary.contract_effective.date == date(2024, 2, 1)


def test_filters_by_date_kind_flag_and_tag(ours: Archive) -> None:
    first = mail(ours, sender=US, to=GREG, subject="May", date_header="Wed, 01 May 2024 10:00:00 +0100")
    second = mail(ours, sender=GREG, to=US, subject="June", date_header="Mon, 03 Jun 2024 10:00:00 +0100")
    call = changes.add_event(ours, client="northwind", when="2024-06-10 09:00", title="Called Greg", kind="call")
    tags.tag_item(ours, item_id=second, tag="key")
    tags.add_note(ours, item_id=call, text="voicemail left")
    june = build_timeline(ours, client="northwind", date_from=date(2024, 6, 1), date_to=date(2024, 6, 30), now=CLOCK)
    assert [e.item_id for e in june.entries] == [second, call]
    # the silence of 1 May-3 June overlaps June, so it is still shown, measured in full
    assert [(s.start_item_id, s.days, s.open) for s in june.silences] == [(first, 33.0, False), (call, 63.2, True)]
    july = build_timeline(ours, client="northwind", date_from=date(2024, 7, 1), now=CLOCK)
    assert july.entries == [] and [s.start_item_id for s in july.silences] == [call]
    assert [e.item_id for e in build_timeline(ours, client="northwind", kinds=["call"]).entries] == [call]
    flagged = build_timeline(ours, client="northwind", only_flagged=True, now=CLOCK)
    assert [e.item_id for e in flagged.entries] == [second, call]
    assert flagged.entries[1].notes[0].text == "voicemail left" and flagged.entries[1].flagged
    assert [e.item_id for e in build_timeline(ours, client="northwind", tags=["key"]).entries] == [second]
    assert build_timeline(ours, client="northwind", tags=["key"]).entries[0].tags == ["key"]
    with pytest.raises(InvalidInput, match="unknown kind 'fax'"):
        build_timeline(ours, client="northwind", kinds=["fax"])
    with pytest.raises(InvalidInput, match="starts"):
        build_timeline(ours, client="northwind", date_from=date(2024, 7, 1), date_to=date(2024, 6, 1))
    with pytest.raises(InvalidInput, match="timezone-aware"):
        build_timeline(ours, client="northwind", now=datetime(2024, 7, 1))
    with pytest.raises(ClientNotFound):
        build_timeline(ours, client="nobody")


def test_without_an_identity_the_timeline_says_so(archive: Archive) -> None:
    mail(archive, sender=US, to=GREG, subject="hello", date_header="Wed, 01 May 2024 10:00:00 +0100")
    timeline = build_timeline(archive, client="northwind", now=CLOCK)
    # with nobody known as "us", every correspondent was learned as the client's
    assert timeline.entries[0].actor == "client" and timeline.silences == []
    assert any("casefile init --me" in w for w in timeline.warnings)


def _contract_pdf(pages: list[str]) -> bytes:
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for text in pages:
        for row, line in enumerate(text.splitlines()):
            pdf.drawString(60, 780 - 16 * row, line)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def test_contract_expiry_is_a_key_fact_with_its_computation(ours: Archive) -> None:
    data = _contract_pdf([
        'This Services Agreement is made as of 1 February 2024 (the "Effective Date")\n'
        "between Whitfield Digital and Northwind Retail Ltd.",
        "12. TERM\n"
        "12.1 This Agreement shall commence on the Effective Date and continue for a period\n"
        "of five (5) years from the Effective Date.\n\n"
        "The Master Agreement dated 3 March 2019 is superseded.",
    ])
    report = ingest_bytes(ours, data=data, filename="services-agreement.pdf", client="northwind")
    timeline = build_timeline(ours, client="northwind", now=CLOCK)
    expiry = timeline.summary.contract_expiry
    assert expiry is not None and expiry.date == date(2029, 2, 1)
    assert expiry.citation.item_id == report.item_ids[0] and expiry.citation.page == 2
    assert expiry.citation.reason == "computed: 5 years from 1 February 2024 (§ 12.1, p. 2)"
    effective = timeline.summary.contract_effective
    assert effective is not None and effective.date == date(2024, 2, 1)
    # the other agreement's date is a mention, never this contract's date or effective date
    assert all(c.sentence.find("Master Agreement") < 0 for c in [effective.citation, *effective.other_citations])
    entry = _one(timeline.entries, kind="expiry")
    assert entry.title.startswith("Contract expiry 1 February 2029")
    assert "computed: 5 years from 1 February 2024" in entry.date_detail
