from __future__ import annotations

import io
from datetime import timedelta
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path

import pytest

from ingest import Context, Kind, Limits, Source, Status, extract, mail
from ingest.mbox import iter_mbox
from ingest.sniff import looks_like_mbox_separator
from tests.conftest import CORPUS, SAMPLES, corpus_dir
from tests.ingest.pdf_samples import mail_with_pdf, one_line_pdf


def _eml(**headers: str) -> EmailMessage:
    msg = EmailMessage()
    for key, value in headers.items():
        msg[key.replace("_", "-")] = value
    return msg


def test_plain_email_fields() -> None:
    msg = _eml(
        From='"Zoë Adeyemi" <Zoe.Adeyemi@Northwind-Retail.example>',
        To="dana@whitfield-digital.example",
        Cc="Greg <greg@northwind-retail.example>",
        Subject="Invoice INV-2024-007",
        Date="Thu, 02 May 2024 09:15:00 -0400",
        Message_ID="<abc@northwind-retail.example>",
        In_Reply_To="<prev@whitfield-digital.example>",
        References="<root@whitfield-digital.example> <prev@whitfield-digital.example>",
    )
    msg.set_content("Received, thanks.")
    record = extract(Source.from_bytes(bytes(msg), "reply.eml"))
    assert record.kind == Kind.EMAIL and record.status == Status.OK
    assert record.title == "Invoice INV-2024-007"
    assert record.text == "Received, thanks."
    assert record.occurred is not None
    assert record.occurred.at.utcoffset() == timedelta(hours=-4)  # original offset kept
    assert record.occurred.source == "email_header" and record.occurred.detail == "Date header"
    people = {(p.role, p.address, p.name) for p in record.participants}
    assert ("from", "zoe.adeyemi@northwind-retail.example", "Zoë Adeyemi") in people
    assert ("cc", "greg@northwind-retail.example", "Greg") in people
    assert record.message_id == "<abc@northwind-retail.example>"
    assert record.in_reply_to == "<prev@whitfield-digital.example>"
    assert record.references == ("<root@whitfield-digital.example>", "<prev@whitfield-digital.example>")


def test_encoded_word_display_name_is_decoded() -> None:
    raw = (
        b"From: =?utf-8?q?Zo=C3=AB_Adeyemi?= <zoe@northwind-retail.example>\r\n"
        b"To: dana@whitfield-digital.example\r\nSubject: =?iso-8859-1?q?R=E9union?=\r\n"
        b"Date: Mon, 13 May 2024 10:00:00 +0100\r\n\r\nHi\r\n"
    )
    record = extract(Source.from_bytes(raw, "x.eml"))
    assert record.participants[0].name == "Zoë Adeyemi"
    assert record.title == "Réunion"


def test_html_only_body_is_converted_to_text() -> None:
    msg = _eml(From="a@x.example", To="b@y.example", Subject="html", Date="Mon, 13 May 2024 10:00:00 +0000")
    msg.set_content("<html><body><p>Hello <b>there</b></p><script>evil()</script></body></html>", subtype="html")
    record = extract(Source.from_bytes(bytes(msg), "h.eml"))
    assert "Hello there" in record.text
    assert "evil" not in record.text and "<p>" not in record.text
    assert record.facts["body"] == "converted from HTML"


def test_mislabelled_charset_is_decoded() -> None:
    raw = (
        "From: a@x.example\nTo: b@y.example\nSubject: s\nDate: Mon, 13 May 2024 10:00:00 +0000\n"
        "Content-Type: text/plain; charset=gb2312\nContent-Transfer-Encoding: 8bit\n\n代开发票 café\n"
    ).encode()
    record = extract(Source.from_bytes(raw, "m.eml"))
    assert "代开发票 café" in record.text


def test_attachments_become_children_with_their_bytes() -> None:
    msg = _eml(From="a@x.example", To="b@y.example", Subject="files", Date="Mon, 13 May 2024 10:00:00 +0000")
    msg.set_content("see attached")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="INV-1.pdf")
    inner = _eml(From="c@z.example", To="a@x.example", Subject="inner", Date="Sun, 12 May 2024 10:00:00 +0000")
    inner.set_content("forwarded body")
    msg.add_attachment(inner)
    record = extract(Source.from_bytes(bytes(msg), "f.eml"))
    children = list(record.children)
    assert [c.kind for c in children] == [Kind.ATTACHMENT, Kind.EMAIL]
    assert children[0].data == b"%PDF-1.4 fake" and children[0].filename == "INV-1.pdf"
    assert children[1].title == "inner" and "forwarded body" in children[1].text


def test_missing_and_bad_date_headers_are_flagged() -> None:
    raw = b"From: a@x.example\nTo: b@y.example\nSubject: s\nDate: Tue, 06 Jun 2017 27:39:33 +0600\n\nbody\n"
    record = extract(Source.from_bytes(raw, "bad.eml"))
    assert record.occurred is None
    assert record.facts["date_header"].startswith("unreadable")


def test_received_header_is_a_fallback_date_with_its_own_detail() -> None:
    raw = (
        b"Received: from mx by host; Tue, 21 Feb 2017 10:04:06 +0300\n"
        b"From: a@x.example\nTo: b@y.example\nSubject: s\n\nbody\n"
    )
    record = extract(Source.from_bytes(raw, "r.eml"))
    assert record.occurred is not None and record.occurred.detail == "Received header"


def test_mime_part_limit_fails_clearly() -> None:
    msg = _eml(From="a@x.example", To="b@y.example", Subject="many", Date="Mon, 13 May 2024 10:00:00 +0000")
    msg.set_content("x")
    for i in range(12):
        msg.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"{i}.bin")
    record = extract(Source.from_bytes(bytes(msg), "many.eml"), Context(limits=Limits(max_mime_parts=5)))
    assert record.status == Status.FAILED
    assert record.error is not None and record.error.startswith("limit: more than 5 MIME parts")


def test_deep_nesting_hits_a_limit_not_a_recursion_error() -> None:
    depth = 3000
    parts = [f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n" for i in range(depth)]
    raw = ("From: a@x.example\nSubject: deep\n" + "".join(parts) + "\nx\n").encode()
    record = extract(Source.from_bytes(raw, "deep.eml"))
    assert record.status == Status.FAILED
    assert record.error is not None and record.error.startswith("limit:")


def test_header_size_limit() -> None:
    raw = b"From: a@x.example\nX-Junk: " + b"a" * 5000 + b"\n\nbody"
    record = extract(Source.from_bytes(raw, "h.eml"), Context(limits=Limits(max_header_bytes=1000)))
    assert record.status == Status.FAILED and "header block larger" in (record.error or "")


def test_mbox_streams_messages_and_ignores_unescaped_from_in_body() -> None:
    data = CORPUS / "mbox" / "cpython_mailbox_01_unescaped_from.mbox"
    corpus_dir("mbox")
    messages = list(iter_mbox(data.open("rb"), 10_000_000))
    assert len(messages) == 1
    assert b"From time to time" in (messages[0][2] or b"")


def test_mbox_oversized_message_is_reported_not_loaded() -> None:
    big = b"From a@x Mon Jan  1 00:00:00 2024\nSubject: big\n\n" + b"x" * 5000 + b"\n\n"
    small = b"From a@x Mon Jan  1 00:00:00 2024\nSubject: small\n\nhello\n"
    stream = io.BytesIO(big + small)
    results = list(iter_mbox(stream, 1000))
    assert results[0][2] is None
    assert results[1][2] is not None and results[1][2].endswith(b"hello\n")
    assert results[1][1] == len(big)  # byte offset of the second message


def _mbox_by_lines(data: bytes, max_bytes: int) -> list[tuple[int, int, bytes | None]]:
    """The mailbox rules spelled out line by line: the reference the block splitter must match."""
    found: list[tuple[int, int, bytes | None]] = []
    lines = data.splitlines(keepends=True)
    offset, message, start, size = 0, None, 0, 0
    for line in lines:
        if looks_like_mbox_separator(line) or (message is None and line.startswith(b"From ")):
            if message is not None:
                found.append((len(found), start, _drop_gap(message) if size <= max_bytes else None))
            message, start, size = [], offset, 0
        elif message is not None:
            size += len(line) - line.startswith(b">From ")
            message.append(line[1:] if line.startswith(b">From ") else line)
        offset += len(line)
    if message is not None:
        found.append((len(found), start, _drop_gap(message) if size <= max_bytes else None))
    return found


def _drop_gap(lines: list[bytes]) -> bytes:
    return b"".join(lines[:-1] if lines and lines[-1].strip(b"\r\n") == b"" else lines)


TRICKY_MBOX = (
    b"stray text before any separator\n>From not yet\n"
    b"From alice@example.com Mon Jan  1 00:00:00 2024\r\nSubject: one\r\n\r\n>From escaped\r\n"
    b">>From twice escaped stays\r\nFrom the desk of nobody, not a separator\r\n\r\n"
    b"From bob@example.com Tue Jan  2 10:00:00 2024\nSubject: two\n\n" + b"x" * 3000 + b"\n"
    b"From carol@example.com Wed Jan  3 10:00:00 2024\nSubject: three, a very long line\n\n"
    + b"y" * 5000 + b"From inside a line\n" + b"From a body line longer than any block " + b"z" * 70_000 + b"\n\n"
    b"From dave@example.com Thu Jan  4 10:00:00 2024\nSubject: four, no newline at the end"
)


@pytest.mark.parametrize("block", [7, 64, 1000, 1 << 20])
@pytest.mark.parametrize("max_bytes", [200, 10_000])
def test_mbox_blocks_split_exactly_as_the_line_rules(block: int, max_bytes: int) -> None:
    mailboxes = [TRICKY_MBOX, (SAMPLES / "northwind" / "mail" / "northwind-2024.mbox").read_bytes()]
    if CORPUS.is_dir():
        mailboxes += [p.read_bytes() for p in sorted((CORPUS / "mbox").glob("*"))]
    for data in mailboxes:
        expected = _mbox_by_lines(data, max_bytes)
        assert list(iter_mbox(io.BytesIO(data), max_bytes, block_bytes=block)) == expected
    assert [m[2] is None for m in _mbox_by_lines(TRICKY_MBOX, 200)] == [False, True, True, False]


def test_sample_mbox_has_every_message_with_dates_and_threads() -> None:
    path = SAMPLES / "northwind" / "mail" / "northwind-2024.mbox"
    record = extract(Source(filename=path.name, path=path))
    assert record.content_type == "application/mbox"
    messages = list(record.children)
    assert len(messages) >= 25
    assert all(m.kind == Kind.EMAIL and m.status == Status.OK for m in messages)
    assert all(m.occurred is not None for m in messages)
    assert all(m.data for m in messages)
    assert any(m.in_reply_to for m in messages)
    invoice = [m for m in messages if "INV-2024-007" in m.title]
    assert invoice and any(c.filename == "INV-2024-007.pdf" for c in invoice[0].children)


@pytest.mark.parametrize(
    "folder",
    ["emails", "mbox", "malformed"],
)
def test_every_corpus_mail_file_extracts_without_a_traceback(folder: str) -> None:
    for path in sorted(corpus_dir(folder).iterdir()):
        if path.suffix not in {".eml", ".mbox", ".msg"}:
            continue
        record = extract(Source(filename=path.name, path=path))
        list(record.children)  # streamed members must not raise either
        if record.status == Status.FAILED:
            assert record.error and "\n" not in record.error, path.name
        else:
            assert record.kind in (Kind.EMAIL, Kind.DOCUMENT), path.name


def test_corpus_edge_cases() -> None:
    folder = corpus_dir("malformed")
    utf16 = extract(Source(filename="u.eml", path=folder / "unstructured_utf16le_encoded.eml"))
    assert utf16.kind == Kind.EMAIL and utf16.title == "Test Email"
    broken = extract(Source(filename="b.eml", path=folder / "paperless_broken_not_an_email.eml"))
    assert broken.status == Status.FAILED and "no email headers" in (broken.error or "")
    cr_only = extract(Source(filename="c.eml", path=folder / "sisimai_cr_only_line_endings.eml"))
    assert cr_only.status == Status.OK and cr_only.title == "Undeliverable: Nyaan"
    hebrew = extract(Source(filename="h.eml", path=Path(corpus_dir("emails")) / "unstructured_windows-1255_hebrew.eml"))
    assert hebrew.kind == Kind.EMAIL and "שלום" in hebrew.title


def _structure(msg: Message) -> list[tuple[object, ...]]:
    """Everything the walk reads from a parsed message, part by part."""
    parts = []
    for part in msg.walk():
        content_type = part.get("content-type")
        parts.append((
            part.get_content_type(), part.get_boundary(), part.get_content_charset(), part.get_filename(),
            part.get_content_disposition(), str(content_type), getattr(content_type, "defects", ()).__len__(),
            part.get_payload(decode=True) if not part.is_multipart() else None,
            sorted(type(d).__name__ for d in part.defects),
        ))
    return parts


def test_mime_header_reuse_parses_exactly_as_policy_default() -> None:
    # The parser reuses parsed Content-* headers; what it reads must not change at all.
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    files = [p for folder in ("emails", "mbox", "malformed") for p in sorted((CORPUS / folder).glob("*"))]
    files += sorted((SAMPLES / "northwind").rglob("*.eml"))
    reference = BytesParser(policy=policy.default)
    compared = 0
    for path in files:
        data = path.read_bytes()
        messages = [m for _, _, m in iter_mbox(io.BytesIO(data), 1 << 26) if m] if path.suffix == ".mbox" else [data]
        for message in messages:
            assert _structure(mail._PARSER.parsebytes(message)) == _structure(reference.parsebytes(message)), path
            compared += 1
    assert compared > 20


def test_mime_headers_are_parsed_once_per_value() -> None:
    header = "multipart/mixed; boundary=\"==b1==\""
    mail._parsed_mime_header.cache_clear()
    msg = mail._PARSER.parsebytes(
        f"Content-Type: {header}\n\n--==b1==\nContent-Type: text/plain\n\nhi\n--==b1==--\n".encode()
    )
    msg.get_content_type(), msg.get_boundary(), msg.get("content-type")
    info = mail._parsed_mime_header.cache_info()
    assert info.hits >= 2 and msg.get("content-type") is msg.get("content-type")
    assert policy.default.header_fetch_parse("Content-Type", header) is not policy.default.header_fetch_parse(
        "Content-Type", header
    )  # what policy.default alone would do: a new parse on every read


@pytest.mark.parametrize(("sender", "expected"), [("dana@studio.co.uk", "2024-04-03"), ("greg@acme.us", "2024-03-04")])
def test_an_attachments_ambiguous_dates_follow_the_senders_locale(sender: str, expected: str) -> None:
    data = mail_with_pdf(one_line_pdf("This Agreement is made as of 03/04/2024 between A and B."), sender=sender,
                         date_header="Mon, 08 Apr 2024 10:00:00 +0000", subject="the agreement",
                         filename="agreement.pdf")
    record = extract(Source.from_bytes(data, "mail.eml"), Context(limits=Limits()))
    (child,) = record.children
    assert child.occurred is not None and child.occurred.at.date().isoformat() == expected
    assert child.facts["date_order"].endswith(f"the sender's address is in .{sender.rsplit('.', 1)[1]}")
