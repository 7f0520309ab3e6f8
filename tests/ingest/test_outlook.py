"""Outlook .msg files from the shared corpus, plus edited copies for the edge cases."""

from __future__ import annotations

import io
import struct
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import compressed_rtf
import extract_msg
import pytest
from extract_msg.ole_writer import OleWriter

from ingest.dates import parse_email_date
from ingest.errors import Corrupt
from ingest.limits import Limits
from ingest.outlook import OutlookExtractor, _aware, pick_date
from ingest.records import DateSource, Kind, Participant, Record, Status
from ingest.registry import extract
from ingest.source import Context, Source

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
MSG_DIR = CORPUS / "msg"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def msg_files() -> list[Path]:
    return sorted(MSG_DIR.glob("*.msg")) if MSG_DIR.is_dir() else []


def corpus(name: str) -> bytes:
    path = MSG_DIR / name
    if not path.is_file():
        pytest.skip(f"corpus file {path} not found")
    return path.read_bytes()


def read(name: str, ctx: Context | None = None) -> Record:
    return extract(Source(filename=name, data=corpus(name)), ctx)


def without_streams(name: str, *streams: str, replace: dict[str, bytes] | None = None) -> bytes:
    """A copy of a corpus .msg with some top-level streams/storages removed or replaced."""
    msg = extract_msg.openMsg(corpus(name))
    try:
        writer = OleWriter()
        writer.fromMsg(msg)
    finally:
        msg.close()
    for stream in streams:
        writer.deleteEntry(stream)
    for stream, data in (replace or {}).items():
        writer.editEntry(stream, data=data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- every corpus file -------------------------------------------------------------------


def test_corpus_is_present() -> None:
    if not MSG_DIR.is_dir():
        pytest.skip(f"corpus not found at {MSG_DIR}")
    assert len(msg_files()) == 8


@pytest.mark.parametrize("path", msg_files(), ids=lambda p: p.name)
def test_every_corpus_message_reads_ok(path: Path) -> None:
    record = extract(Source(filename=path.name, data=path.read_bytes()))
    assert record.kind is Kind.EMAIL
    assert record.status is Status.OK, record.error
    assert record.content_type == "application/vnd.ms-outlook"
    assert record.title
    assert record.text.strip()
    assert record.occurred is not None
    assert record.occurred.at.utcoffset() is not None
    for child in record.children:
        assert isinstance(child.data, bytes) and child.data
        assert child.filename


# --- specific corpus files -----------------------------------------------------------------


def test_client_submit_time_wins_over_delivery_and_creation() -> None:
    record = read("bbottema_issue-87_client_submit_time.msg")
    assert record.occurred is not None
    assert record.occurred.source is DateSource.EMAIL_HEADER
    assert record.occurred.detail == "Outlook PR_CLIENT_SUBMIT_TIME"
    assert record.occurred.at.replace(microsecond=0) == datetime(2024, 6, 4, 13, 31, 19, tzinfo=UTC)
    others = {d.detail: d for d in record.other_dates}
    assert others["Outlook PR_MESSAGE_DELIVERY_TIME"].at == datetime(2024, 6, 4, 13, 31, tzinfo=UTC)
    assert others["Outlook creation time"].at.date() == date(2024, 6, 10)
    assert others["Outlook creation time"].source is DateSource.DOCUMENT_METADATA
    # the sender has a display name only
    assert Participant(role="from", address="", name="Reitinger Helmut") in record.participants
    assert (
        Participant(role="to", address="helmut.reitinger@groedig.at", name="Reitinger Helmut")
        in record.participants
    )
    assert record.message_id == "<b132fa01e2d441819e053e2c57a46fb7@groedig.at>"
    images = list(record.children)
    assert [c.filename for c in images] == ["image001.jpg", "image002.png"]
    assert all(c.kind is Kind.ATTACHMENT for c in images)
    assert images[0].data is not None and images[0].data.startswith(b"\xff\xd8\xff")
    assert images[0].facts["inline"] is True
    assert images[0].facts["content_id"] == "image001.jpg@01DAB694.3F5B8B30"


def test_unsent_draft_falls_back_to_creation_time() -> None:
    record = read("msgextractor_strangeDate_unsent_draft.msg")
    assert record.title == "MSG Test File"
    assert record.occurred is not None
    assert record.occurred.source is DateSource.DOCUMENT_METADATA
    assert record.occurred.detail == "Outlook creation time"
    assert record.occurred.at.date() == date(2016, 2, 23)
    assert record.facts["unsent"] is True
    assert record.facts["draft"] is True
    assert not any(p.role == "from" for p in record.participants)
    assert Participant("to", "time2talk@online-convert.com", "time2talk@online-convert.com") in (
        record.participants
    )


def test_chinese_message_without_subject_or_sender() -> None:
    record = read("bbottema_chinese_no_subject_no_sender.msg")
    assert record.title == "(no subject)"
    assert "经过汇总" in record.text
    assert not any(p.role == "from" for p in record.participants)
    assert record.occurred is not None
    assert record.occurred.detail == "Outlook PR_MESSAGE_DELIVERY_TIME"  # no submit time


def test_nested_message_is_an_email_child_with_its_own_content() -> None:
    record = read("bbottema_nested_msg_attachment.msg")
    assert record.text == "Mail in mail.\n\nBR"
    (child,) = record.children
    assert child.kind is Kind.EMAIL
    assert child.filename == "outlookmsg2html Testmail.msg"
    assert child.data is not None and child.data.startswith(OLE_MAGIC)
    assert child.title == "outlookmsg2html Testmail"
    assert "This is a testmail." in child.text
    assert child.occurred is not None
    assert child.occurred.at == datetime(2016, 4, 11, 9, 14, 29, tzinfo=UTC)
    assert child.message_id and child.message_id != record.message_id
    # the exported bytes are a standalone .msg that reads the same on its own
    again = extract(Source(filename="inner.msg", data=child.data))
    assert again.title == child.title and again.text == child.text


def test_unicode_message_has_two_tif_attachments_and_header_participants() -> None:
    record = read("msgextractor_unicode_tif_attachments.msg")
    children = list(record.children)
    assert [c.filename for c in children] == ["import OleFileIO.tif", "raised value error.tif"]
    for child in children:
        assert child.kind is Kind.ATTACHMENT
        assert child.data is not None and child.data[:4] in (b"II*\x00", b"MM\x00*")
    assert record.participants == (
        Participant(role="from", address="brizhou@gmail.com", name="Brian Zhou"),
        Participant(role="to", address="brianzhou@me.com", name=""),
        Participant(role="cc", address="brizhou@gmail.com", name="Brian Zhou"),
    )


def test_reply_chain_threading_ids_and_display_name_only_sender() -> None:
    record = read("bbottema_plain_chain_reply.msg")
    assert record.in_reply_to == "<redmine.journal-5787.20121005124505@anca.com>"
    assert "<redmine.issue-10180.20120928175420@anca.com>" in record.references
    assert Participant(role="from", address="", name="Robert Duncan") in record.participants
    # the recipient table quotes names as 'x@y'; the quotes are not part of the name
    assert Participant("to", "rob@thegopedal.com", "rob@thegopedal.com") in record.participants


def test_smime_signed_message_body_and_attachments() -> None:
    record = read("bbottema_smime_signed.msg")
    assert record.status is Status.OK
    assert record.facts["smime"] is True
    assert "For testing purposes in the Simple Java Mail project." in record.text
    names = [c.filename for c in record.children]
    assert names == ["smime.p7s", "03-07-2005 errata SharnErrata.pdf", "module_architecture.png"]
    pdf = list(record.children)[1]
    assert pdf.data is not None and pdf.data.startswith(b"%PDF")


def test_smime_message_without_a_readable_body_is_partial() -> None:
    data = without_streams(
        "bbottema_smime_signed.msg",
        "__attach_version1.0_#00000000",
        "__substg1.0_1000001F",
        "__substg1.0_10090102",
    )
    record = extract(Source(filename="signed.msg", data=data))
    assert record.status is Status.PARTIAL
    assert record.error and "S/MIME" in record.error
    assert record.title == "S/MIME test message signed"


def test_nameless_attachments_get_generated_names() -> None:
    record = read("bbottema_forward_fraud_case_embedded_images.msg")
    names = [c.filename for c in record.children]
    assert names == ["attachment-1.txt", "attachment-2.txt", "image001.png", "image002.png"]
    assert "Delivery delayed" in record.title
    # no sender, no send time: dated by Outlook's creation stamp
    assert record.occurred is not None and record.occurred.source is DateSource.DOCUMENT_METADATA


# --- bodies --------------------------------------------------------------------------------


def test_html_body_is_used_when_there_is_no_plain_body() -> None:
    data = without_streams("bbottema_issue-87_client_submit_time.msg", "__substg1.0_1000001F")
    record = extract(Source(filename="html.msg", data=data))
    assert record.status is Status.OK
    assert record.facts["body_format"] == "html"
    assert "mit freundlichen Grüßen" in record.text
    assert "<" not in record.text


def test_rtf_only_body_is_deencapsulated() -> None:
    # this message has a plain body and an RTF one, no HTML stream: drop the plain body
    data = without_streams("bbottema_plain_chain_reply.msg", "__substg1.0_1000001F")
    record = extract(Source(filename="rtf.msg", data=data))
    assert record.status is Status.OK
    assert record.facts["body_format"] == "rtf"
    assert "Another test email to obtain raw data for Jean-Philippe." in record.text


def test_rtf_only_body_that_wraps_nothing_is_converted_to_text() -> None:
    # plain RTF (no \\fromhtml/\\fromtext): RTFDE cannot de-encapsulate it, striprtf reads it
    raw_rtf = compressed_rtf.compress(b"{\\rtf1\\ansi\\ansicpg1252 Plain RTF only, caf\\'e9.\\par Second line}")
    data = without_streams(
        "bbottema_plain_chain_reply.msg",
        "__substg1.0_1000001F",
        replace={"__substg1.0_10090102": raw_rtf},
    )
    record = extract(Source(filename="rtf.msg", data=data))
    assert record.status is Status.OK, record.error
    assert record.facts["body_format"] == "rtf"
    assert record.text == "Plain RTF only, café.\nSecond line"
    assert record.title.startswith("RE: [Redmine")


def test_rtf_body_that_cannot_be_read_is_partial() -> None:
    data = without_streams(
        "bbottema_plain_chain_reply.msg",
        "__substg1.0_1000001F",
        replace={"__substg1.0_10090102": b"\x00" * 40},  # no compressed-RTF header: will not decompress
    )
    record = extract(Source(filename="rtf.msg", data=data))
    assert record.status is Status.PARTIAL
    assert record.error == "the RTF body could not be converted to text"
    assert record.title.startswith("RE: [Redmine")


# --- strings: NULs and code pages --------------------------------------------------------


def test_a_trailing_nul_is_not_part_of_the_subject() -> None:
    data = without_streams(
        "bbottema_plain_chain_reply.msg", replace={"__substg1.0_0037001F": "Invoice 7\x00".encode("utf-16-le")}
    )
    record = extract(Source(filename="nul.msg", data=data))
    assert record.title == "Invoice 7"


def _ansi_copy(name: str, codec: str, subject: str) -> bytes:
    """A corpus .msg rewritten the way pre-Unicode Outlook stores it: every string stream
    as 8-bit text in ``codec`` (``001E``), the store's Unicode flag cleared, plus a subject."""
    msg = extract_msg.openMsg(corpus(name))
    try:
        writer = OleWriter()
        writer.fromMsg(msg)
        strings = {"/".join(path): msg.getStream("/".join(path)) for path in msg.listDir() if path[-1].endswith("001F")}
        written = set(strings)
        properties = bytearray(msg.getStream("__properties_version1.0"))
    finally:
        msg.close()
    strings["__substg1.0_0037001F"] = subject.encode("utf-16-le")
    for path, value in strings.items():
        if path in written:
            writer.deleteEntry(path)
        writer.addEntry(path[:-4] + "001E", data=value.decode("utf-16-le").encode(codec, "replace") + b"\x00")
    for offset in range(32, len(properties), 16):  # PR_STORE_SUPPORT_MASK: drop STORE_UNICODE_OK
        tag, flags, value = struct.unpack_from("<IIQ", properties, offset)
        if tag == 0x340D0003:
            struct.pack_into("<IIQ", properties, offset, tag, flags, value & ~0x40000)
    writer.editEntry("__properties_version1.0", data=bytes(properties))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_8bit_message_is_read_in_its_internet_code_page() -> None:
    # no PR_MESSAGE_CODEPAGE, PR_INTERNET_CPID 936: extract-msg alone reads ISO-8859-15 mojibake
    data = _ansi_copy("bbottema_chinese_no_subject_no_sender.msg", "gbk", "房间安排")
    record = extract(Source(filename="ansi.msg", data=data))
    assert record.status is Status.OK, record.error
    assert record.title == "房间安排"
    assert "经过汇总 大家提前合理安排进房间入住吧" in record.text
    assert record.facts["string_encoding"] == "gbk (PR_INTERNET_CPID)"


# --- dates ---------------------------------------------------------------------------------


T1 = datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
T2 = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)
T3 = datetime(2024, 1, 3, 10, 0, tzinfo=UTC)
HEADER = parse_email_date("Tue, 02 Jan 2024 12:00:00 +0200")


def test_pick_date_order() -> None:
    first, others = pick_date(T1, HEADER, T2, T3)
    assert first is not None and first.detail == "Outlook PR_CLIENT_SUBMIT_TIME"
    assert [o.detail for o in others] == [
        "Date header",
        "Outlook PR_MESSAGE_DELIVERY_TIME",
        "Outlook creation time",
    ]
    header_first, _ = pick_date(None, HEADER, T2, T3)
    assert header_first is HEADER
    assert header_first is not None and header_first.at.utcoffset() == timedelta(hours=2)
    delivery, _ = pick_date(None, None, T2, T3)
    assert delivery is not None and delivery.source is DateSource.EMAIL_HEADER
    creation, _ = pick_date(None, None, None, T3)
    assert creation is not None and creation.source is DateSource.DOCUMENT_METADATA
    assert pick_date(None, None, None, None) == (None, ())


def test_naive_outlook_times_are_utc_and_sentinels_dropped() -> None:
    assert _aware(datetime(2020, 5, 1, 12, 0)) == datetime(2020, 5, 1, 12, 0, tzinfo=UTC)
    plus_one = timezone(timedelta(hours=1))
    assert _aware(datetime(2020, 5, 1, 12, 0, tzinfo=plus_one)).utcoffset() == timedelta(hours=1)
    assert _aware(datetime(4501, 1, 1)) is None  # Outlook's "no date"
    assert _aware(b"\x00" * 8) is None


# --- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [600, 4096, 20_000])
def test_truncated_message_is_corrupt(cut: int) -> None:
    data = corpus("bbottema_plain_chain_reply.msg")[:cut]
    with pytest.raises(Corrupt, match="not a readable Outlook message"):
        OutlookExtractor().extract(Source(filename="cut.msg", data=data), Context())
    record = extract(Source(filename="cut.msg", data=data))
    assert record.status is Status.FAILED
    assert record.error and record.error.startswith("corrupt: not a readable Outlook message")


def test_an_ole_file_that_is_not_outlook_is_kept_unread() -> None:
    writer = OleWriter()
    writer.addEntry("WordDocument", b"not mail at all")
    out = io.BytesIO()
    writer.write(out)
    record = extract(Source(filename="renamed.msg", data=out.getvalue()))
    assert record.status is Status.PARTIAL
    assert record.kind is Kind.DOCUMENT


def test_rfc822_text_named_msg_is_not_ours() -> None:
    path = CORPUS / "malformed" / "ingest_rfc822_text_named_dot_msg.msg"
    if not path.is_file():
        pytest.skip("corpus file missing")
    record = extract(Source(filename=path.name, data=path.read_bytes()))
    assert record.content_type == "message/rfc822"


def test_nesting_limit_keeps_the_attached_message_as_a_failed_child() -> None:
    record = read("bbottema_nested_msg_attachment.msg", Context(limits=Limits(max_nesting=0)))
    assert record.status is Status.OK
    (child,) = record.children
    assert child.status is Status.FAILED
    assert child.error and child.error.startswith("limit:")
    assert child.data is not None and child.data.startswith(OLE_MAGIC)


def test_a_malformed_from_in_the_internet_headers_is_read_leniently() -> None:
    msg = extract_msg.openMsg(corpus("msgextractor_unicode_tif_attachments.msg"))
    try:
        headers = msg.getStringStream("__substg1.0_007D")
    finally:
        msg.close()
    broken = headers.replace("From: Brian Zhou <brizhou@gmail.com>", "From: Zhou, Brian <brizhou@gmail.com")
    data = without_streams(
        "msgextractor_unicode_tif_attachments.msg", replace={"__substg1.0_007D001F": broken.encode("utf-16-le")}
    )
    record = extract(Source(filename="broken-from.msg", data=data))
    assert Participant(role="from", address="brizhou@gmail.com", name="Zhou, Brian") in record.participants
    assert record.facts["header_repairs"] == ["From: parsed leniently: a '<' without its '>'"]
