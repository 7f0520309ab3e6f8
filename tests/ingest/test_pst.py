"""Outlook .pst files, written for the test by bench/pstgen.py (no public PST is in the corpus).

The same files open in readpst (checked here when pst-utils is installed), so what is read
is what another reader sees, not only what our writer meant.
"""

from __future__ import annotations

import mailbox
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ingest.limits import Limits
from ingest.mail import parse_message
from ingest.pst import CONTENT_TYPE
from ingest.records import DateSource, Kind, Participant, Record, Status
from ingest.registry import extract
from ingest.sniff import sniff
from ingest.source import Context, Source
from tests.ingest.pst_samples import NOTES, STATEMENT, SUBMITTED, pstgen, write_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample(tmp_path_factory.mktemp("pst") / "dana.pst")


def read(path: Path, ctx: Context | None = None) -> tuple[Record, list[Record]]:
    record = extract(Source(filename=path.name, path=path), ctx)
    return record, list(record.children)


def by_title(children: list[Record], title: str) -> Record:
    return next(c for c in children if c.title == title)


def test_sniffed_by_its_magic_and_read_by_the_pst_extractor(sample: Path) -> None:
    head = sample.read_bytes()[:8192]
    assert sniff(head, "dana.pst") == sniff(head, "backup.ost") == sniff(head, "noname") == CONTENT_TYPE
    record = extract(Source(filename="mail.ost", path=sample))
    assert (record.kind, record.content_type, record.status) == (Kind.DOCUMENT, CONTENT_TYPE, Status.OK)
    assert record.facts["store"] == "Personal Folders"


def test_children_are_streamed_lazily(sample: Path) -> None:
    record = extract(Source(filename=sample.name, path=sample))
    assert isinstance(record.children, Iterator)  # a generator: one item read at a time
    first = next(iter(record.children))
    assert first.title == "Invoice 42 overdue"
    record.children.close()  # type: ignore[attr-defined]  # the PST is closed with the generator


def test_every_item_is_a_child_with_its_folder(sample: Path) -> None:
    _, children = read(sample)
    assert len(children) == 8
    assert all(c.status == Status.OK for c in children), [c.error for c in children]
    folders = {c.title: c.facts["folder"] for c in children}
    assert folders["Invoice 42 overdue"] == "Top of Personal Folders/Inbox"
    assert folders["Scope change"] == "Top of Personal Folders/Inbox/Clients"
    assert folders["Re: Invoice 42 overdue"] == "Top of Personal Folders/Sent Items"
    kinds = {c.title: c.kind for c in children}
    assert sum(k == Kind.EMAIL for k in kinds.values()) == 5
    assert (kinds["Acceptance review"], kinds["Greg Hale"], kinds["Call Greg back"]) == (
        Kind.EVENT, Kind.CONTACT, Kind.NOTE)
    assert all(c.data and c.facts["reconstructed_from"] == "pst" for c in children)


def test_message_subject_people_dates_body_and_ids(sample: Path) -> None:
    _, children = read(sample)
    mail = by_title(children, "Invoice 42 overdue")
    assert mail.kind == Kind.EMAIL and mail.content_type == "message/rfc822"
    assert mail.participants[:2] == (
        Participant("from", "greg@northwind-retail.example", "Greg Hale"),
        Participant("to", "dana@whitfield-digital.example", "Dana Whitfield"),
    )
    assert mail.occurred is not None
    assert (mail.occurred.at, mail.occurred.source, mail.occurred.detail) == (
        SUBMITTED, DateSource.EMAIL_HEADER, "Outlook PR_CLIENT_SUBMIT_TIME")
    assert mail.occurred.at.utcoffset() == timedelta(0)
    others = {d.detail: d.at for d in mail.other_dates}
    assert others["Outlook PR_MESSAGE_DELIVERY_TIME"] == SUBMITTED + timedelta(minutes=1, seconds=10)
    assert others["Date header"] == SUBMITTED  # 10:30 +01:00, the same instant
    assert mail.text == "Dana,\nInvoice 42 is still unpaid.\nGreg"
    assert (mail.message_id, mail.in_reply_to) == (
        "<inv42@northwind-retail.example>", "<inv42-sent@whitfield-digital.example>")  # from the headers
    assert mail.facts["headers"] == "transport headers" and mail.facts["body_format"] == "plain"
    reply = by_title(children, "Re: Invoice 42 overdue")
    assert reply.in_reply_to == "<inv42@northwind-retail.example>"  # no headers: PR_IN_REPLY_TO_ID


def test_without_a_submit_time_the_delivery_time_dates_it(sample: Path) -> None:
    _, children = read(sample)
    cafe = by_title(children, "Café meeting notes")
    assert cafe.occurred is not None and cafe.occurred.detail == "Outlook PR_MESSAGE_DELIVERY_TIME"
    assert Participant("cc", "zoe@northwind-retail.example", "Zoe Park") in cafe.participants


def test_attachments_are_children_with_their_exact_bytes(sample: Path) -> None:
    _, children = read(sample)
    files = {a.filename: a for a in by_title(children, "Invoice 42 overdue").children}
    assert set(files) == {"notes.txt", "statement.bin"}
    assert files["notes.txt"].data == NOTES and files["statement.bin"].data == STATEMENT
    assert all(a.kind == Kind.ATTACHMENT for a in files.values())
    assert "module 3 delivered" in files["notes.txt"].text  # read by the registry like any attachment
    assert files["notes.txt"].facts["declared_type"] == "text/plain"


def test_html_only_and_rtf_only_bodies_become_text(sample: Path) -> None:
    _, children = read(sample)
    html = by_title(children, "Weekly update")
    assert html.text == "The loyalty module is live." and html.facts["body_format"] == "html"
    rtf = by_title(children, "Scope change")
    assert rtf.text == "Scope change: two extra screens, café € 900.\nThanks"
    assert rtf.facts["body_format"] == "rtf"


def test_each_message_has_rfc822_bytes_rebuilt_the_same_every_time(sample: Path) -> None:
    _, first = read(sample)
    _, again = read(sample)
    assert [c.data for c in first] == [c.data for c in again]  # what resuming an ingest relies on
    mail = by_title(first, "Invoice 42 overdue")
    assert mail.data is not None
    parsed = parse_message(mail.data, "x.eml", Context())
    assert (parsed.title, parsed.message_id, parsed.text) == (mail.title, mail.message_id, mail.text)
    assert b"Received: from mx.northwind-retail.example" in mail.data  # the transport headers, kept
    assert b"multipart/mixed" not in mail.data  # the original MIME structure is not claimed
    rebuilt = parse_message(by_title(first, "Café meeting notes").data or b"", "y.eml", Context())
    assert rebuilt.title == "Café meeting notes" and rebuilt.text == "Notes from the café."
    assert {p.address for p in rebuilt.participants} == {
        "greg@northwind-retail.example", "dana@whitfield-digital.example", "zoe@northwind-retail.example"}


def test_calendar_item_and_contact(sample: Path) -> None:
    _, children = read(sample)
    event = by_title(children, "Acceptance review")
    assert event.occurred is not None
    assert event.occurred.at == SUBMITTED + timedelta(days=7)
    assert event.occurred.detail == "Outlook PidLidAppointmentStartWhole"  # a named property, resolved
    assert event.facts["location"] == "Northwind HQ, room 2" and "Walk through modules" in event.text
    assert event.content_type == "text/calendar" and b"DTSTART:20240509T093000Z" in (event.data or b"")
    assert {p.address for p in event.participants} == {"dana@whitfield-digital.example",
                                                       "greg@northwind-retail.example"}
    contact = by_title(children, "Greg Hale")
    assert contact.participants == (Participant("contact", "greg@northwind-retail.example", "Greg Hale"),)
    assert contact.content_type == "text/vcard" and b"ORG:Northwind Retail" in (contact.data or b"")
    assert contact.occurred is None  # a card is not an event


def test_an_attachment_over_the_message_limit_is_kept_inside_the_pst(sample: Path) -> None:
    _, children = read(sample, Context(limits=Limits(max_message_bytes=10_000)))
    mail = by_title(children, "Invoice 42 overdue")
    files = {a.filename: a for a in mail.children}
    assert files["notes.txt"].data == NOTES
    big = files["statement.bin"]
    assert big.status == Status.FAILED and big.data is None
    assert big.error is not None and big.error.startswith("limit: attachment of 20,000 bytes")


def test_a_file_that_will_not_open_is_a_failed_record_with_the_reason(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pst"
    junk.write_bytes(b"!BDN" + b"\0" * 2000)
    record = extract(Source(filename=junk.name, path=junk))
    assert record.status == Status.FAILED and not list(record.children)
    assert record.error == "corrupt: not a readable PST: libpff: unsupported content type: 0x0000"


def test_a_truncated_copy_says_so(sample: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.pst"
    used = sample.read_bytes().rstrip(b"\0")  # then free space to the end of the allocation map's range
    cut.write_bytes(used[:-1024])  # the B-tree pages are written last: the root is lost
    record, children = read(cut)
    assert record.status == Status.FAILED and children == []
    assert record.error is not None and record.error.startswith(
        f"corrupt: not a readable PST: the file is truncated ({cut.stat().st_size:,} of the "
        f"{sample.stat().st_size:,} bytes its header declares); libpff: unable to read")


def test_a_truncated_copy_that_keeps_its_indexes_gives_what_it_holds(tmp_path: Path) -> None:
    whole = tmp_path / "whole.pst"
    with pstgen.PstWriter(whole, front=120_000) as pst:  # folders and indexes near the start
        for i in range(60):
            pst.add("Inbox", pstgen.Message(subject=f"Message {i}", sender=("G", "g@x.example"),
                                            body=f"body {i} " * 300, submitted=SUBMITTED + timedelta(hours=i)))
    cut = tmp_path / "cut.pst"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.7)])
    record, children = read(cut)
    assert record.status == Status.PARTIAL
    assert record.error is not None and record.error.startswith("the file is truncated (")
    good = [c for c in children if c.status == Status.OK]
    lost = [c for c in children if c.status == Status.FAILED]
    assert len(children) == 60 and good and lost
    assert [c.title for c in good] == [f"Message {i}" for i in range(len(good))]  # written first, kept
    assert all(c.facts["folder"] == "Top of Personal Folders/Inbox" for c in children)
    assert lost[0].error is not None and lost[0].error.startswith(
        "corrupt: item could not be read, its data in the PST is damaged (libpff: ")


def test_a_damaged_message_is_a_failed_child_and_the_rest_is_read(sample: Path, tmp_path: Path) -> None:
    data = bytearray(sample.read_bytes())
    at = data.find("Weekly update".encode("utf-16-le"))
    data[at // 64 * 64 : at // 64 * 64 + 64] = b"\xff" * 64  # inside that message's property block
    bad = tmp_path / "bad.pst"
    bad.write_bytes(bytes(data))
    record, children = read(bad)
    assert record.status == Status.OK and len(children) == 8
    failed = [c for c in children if c.status == Status.FAILED]
    assert len(failed) == 1 and failed[0].facts["folder"] == "Top of Personal Folders/Inbox"
    assert failed[0].title == "Unreadable item 2 in Top of Personal Folders/Inbox"
    assert failed[0].error is not None and failed[0].error.startswith("corrupt: item could not be read")
    assert "Weekly update" not in {c.title for c in children}
    assert by_title(children, "Invoice 42 overdue").status == Status.OK


@pytest.mark.skipif(shutil.which("readpst") is None, reason="readpst (pst-utils) is not installed")
def test_readpst_reads_the_same_file(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(["readpst", "-q", "-o", str(out), "-r", str(sample)], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    boxes = {p.parent.relative_to(out).as_posix(): p for p in out.rglob("mbox")}
    assert {"Personal Folders/Inbox", "Personal Folders/Inbox/Clients", "Personal Folders/Sent Items"} <= boxes.keys()
    inbox = list(mailbox.mbox(boxes["Personal Folders/Inbox"]))
    assert sorted(m["Subject"] for m in inbox) == ["Invoice 42 overdue", "Weekly update"]
    parts = {p.get_filename(): p.get_payload(decode=True) for m in inbox for p in m.walk() if p.get_filename()}
    assert parts == {"notes.txt": NOTES, "statement.bin": STATEMENT}
    assert len(mailbox.mbox(boxes["Personal Folders/Inbox/Clients"])) == 2
    assert b"SUMMARY:Acceptance review" in (out / "Personal Folders" / "Calendar" / "calendar").read_bytes()


def test_an_item_whose_folder_is_lost_is_kept_as_an_orphan(tmp_path: Path) -> None:
    path = tmp_path / "orphans.pst"
    with pstgen.PstWriter(path) as pst:
        pst.add("Inbox", pstgen.Message(subject="Filed", sender=("G", "g@x.example"), body="a"))
        pst.add("Inbox", pstgen.Message(subject="Folder gone", sender=("G", "g@x.example"), body="b"), orphan=True)
    _, children = read(path)
    assert [(c.title, c.facts["folder"], c.status) for c in children] == [
        ("Filed", "Top of Personal Folders/Inbox", Status.OK), ("Folder gone", "(orphan items)", Status.OK)]


def test_an_attached_message_is_named_as_not_read(tmp_path: Path) -> None:
    path = tmp_path / "forward.pst"
    inner = pstgen.Message(subject="Original offer", sender=("G", "g@x.example"), body="Offer")
    with pstgen.PstWriter(path) as pst:
        pst.add("Inbox", pstgen.Message(
            subject="Fwd: offer", sender=("D", "d@y.example"), body="See attached",
            attachments=(pstgen.Attachment("Original offer", b"", embedded=inner),
                         pstgen.Attachment("terms.txt", b"Terms: 30 days.\n", "text/plain")),
        ))
    _, children = read(path)
    mail = children[0]
    assert mail.status == Status.PARTIAL and mail.text == "See attached"
    assert [a.filename for a in mail.children] == ["terms.txt"]  # the file attachment is still read
    assert mail.error == (
        "attachments not readable: Original offer (an attached Outlook message: pypff cannot read embedded "
        "items; it stays inside the PST)")


def test_an_attachment_by_reference_is_a_link_not_a_child(tmp_path: Path) -> None:
    path = tmp_path / "links.pst"
    with pstgen.PstWriter(path) as pst:
        pst.add("Inbox", pstgen.Message(subject="Plan", sender=("G", "g@x.example"), body="On the share.",
                                        attachments=(pstgen.Attachment("plan.pdf", b"", path=r"\\fs\proj\plan.pdf"),)))
    _, children = read(path)
    assert children[0].children == () and children[0].status == Status.OK
    assert children[0].facts["linked_attachments"] == [{"name": "plan.pdf", "path": r"\\fs\proj\plan.pdf"}]


def test_limits_apply_to_every_kind_and_to_nesting(sample: Path) -> None:
    _, children = read(sample, Context(limits=Limits(max_text_chars=5)))
    assert {len(c.text) for c in children} <= {0, 5}
    deep = extract(Source(filename=sample.name, path=sample), Context(depth=Limits().max_nesting))
    assert deep.status == Status.FAILED and deep.error == "limit: nested more than 5 containers deep"
