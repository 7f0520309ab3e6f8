"""Message bodies and messages in messages: every inline part in order, one rendering of an
alternative, inline messages shown and kept, attached messages kept with their exact bytes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

from app.archive import Archive
from ingest import Context, Kind, Limits, Record, Source, Status, extract
from tests.conftest import corpus_dir
from tests.ingest.hostile import ingest_hostile

HEAD = (
    b"From: Greg <greg@northwind-retail.example>\r\nTo: dana@whitfield-digital.example\r\n"
    b"Subject: outer\r\nDate: Mon, 13 May 2024 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
)

INNER = (
    "From: Carol Inner <carol@acme.example>\r\nTo: greg@northwind-retail.example\r\n"
    "Cc: Ann <ann@acme.example>\r\nSubject: the inner subject\r\nDate: Sun, 12 May 2024 08:30:00 +0000\r\n"
    "Message-ID: <inner@acme.example>\r\nX-Note: " + "a header line longer than any mailer folds it " * 3 + "\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n\r\nThe forwarded words, café.\r\n"
).encode()


def _mixed(*parts: bytes, boundary: bytes = b"B") -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    closing = b"--" + boundary + b"--\r\n"
    return HEAD + b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n" + body + closing


def _read(raw: bytes, name: str = "m.eml", ctx: Context | None = None) -> Record:
    return extract(Source.from_bytes(raw, name), ctx)


SEVERAL_BODIES = _mixed(
    b"Content-Type: text/plain\r\n\r\nbody 1",
    b"Content-Type: text/html\r\n\r\n<html><body><p>body <b>2</b></p></body></html>",
    b"Content-Type: text/plain\r\nContent-Disposition: inline\r\n\r\nbody 3",
    b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=a.bin\r\n\r\nbytes",
    b"Content-Type: text/html; charset=utf-8\r\nContent-Disposition: inline\r\n\r\n<div>body 4</div>",
)


def _in_order(text: str, *words: str) -> bool:
    places = [text.find(word) for word in words]
    return -1 not in places and places == sorted(places)


def test_every_inline_body_of_a_mixed_message_is_in_the_text_in_order() -> None:
    record = _read(SEVERAL_BODIES)
    assert _in_order(record.text, "body 1", "body 2", "body 3", "body 4"), record.text
    assert "<p>" not in record.text and "<div>" not in record.text
    assert record.facts["body"] == "partly converted from HTML"
    assert [c.filename for c in record.children] == ["a.bin"]


def test_every_inline_body_of_an_mbox_member_is_in_its_text() -> None:
    mailbox = b"From greg@northwind-retail.example Mon May 13 10:00:00 2024\n" + SEVERAL_BODIES.replace(b"\r\n", b"\n")
    (member,) = list(_read(mailbox, "box.mbox").children)
    assert member.kind == Kind.EMAIL
    assert _in_order(member.text, "body 1", "body 2", "body 3", "body 4"), member.text


def _alternative(plain: bytes, html: bytes) -> bytes:
    return (
        b"Content-Type: multipart/alternative; boundary=ALT\r\n\r\n"
        b"--ALT\r\nContent-Type: text/plain\r\n\r\n" + plain + b"\r\n"
        b"--ALT\r\nContent-Type: text/html\r\n\r\n" + html + b"\r\n--ALT--"
    )


def test_an_alternative_gives_one_rendering_preferring_plain_text() -> None:
    raw = _mixed(
        _alternative(b"the plain rendering", b"<p>the html rendering</p>"),
        b"Content-Type: text/html\r\n\r\n<p>the closing part</p>",
    )
    record = _read(raw)
    assert _in_order(record.text, "the plain rendering", "the closing part")
    assert "html rendering" not in record.text  # the alternative once, not both renderings
    assert record.facts["body"] == "partly converted from HTML"
    only_alternative = _read(_mixed(_alternative(b"the plain rendering", b"<p>the html rendering</p>")))
    assert only_alternative.text == "the plain rendering" and "body" not in only_alternative.facts


def test_an_alternative_whose_plain_part_is_empty_uses_its_html() -> None:
    record = _read(_mixed(_alternative(b"  \r\n", b"<p>only the html says it</p>")))
    assert record.text == "only the html says it"
    assert record.facts["body"] == "converted from HTML"


def test_inline_images_of_an_html_alternative_stay_attachments() -> None:
    related = (
        b"Content-Type: multipart/related; boundary=REL\r\n\r\n"
        b"--REL\r\nContent-Type: text/html\r\n\r\n<p>see the logo</p>\r\n"
        b"--REL\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16) + b"\r\n--REL--"
    )
    alternative = (
        b"Content-Type: multipart/alternative; boundary=ALT\r\n\r\n--ALT\r\nContent-Type: text/plain\r\n\r\n"
        b"see the logo (plain)\r\n--ALT\r\n" + related + b"\r\n--ALT--"
    )
    record = _read(_mixed(alternative))
    assert record.text == "see the logo (plain)"
    assert [c.filename for c in record.children] == ["attachment-1.png"]


def _message_part(disposition: bytes | None, inner: bytes = INNER, encoding: bytes = b"8bit") -> bytes:
    headers = b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: " + encoding + b"\r\n"
    if disposition is not None:
        headers += b"Content-Disposition: " + disposition + b"\r\n"
    return headers + b"\r\n" + inner


def _check_inner_child(child: Record) -> None:
    assert child.kind == Kind.EMAIL and child.status == Status.OK
    assert child.title == "the inner subject"
    assert child.message_id == "<inner@acme.example>"
    assert child.occurred is not None and child.occurred.at == datetime(2024, 5, 12, 8, 30, tzinfo=UTC)
    people = {(p.role, p.address, p.name) for p in child.participants}
    assert ("from", "carol@acme.example", "Carol Inner") in people and ("cc", "ann@acme.example", "Ann") in people
    assert child.text == "The forwarded words, café."
    assert child.data == INNER  # its own bytes, exactly as they sit in the parent


def test_an_inline_message_is_shown_in_the_body_and_kept_as_a_child() -> None:
    for disposition in (b"inline", None):
        raw = _mixed(b"Content-Type: text/plain\r\n\r\nHere is what Carol sent.", _message_part(disposition),
                     b"Content-Type: text/plain\r\n\r\nAfter the forward.")
        record = _read(raw)
        assert _in_order(
            record.text, "Here is what Carol sent.", "From: Carol Inner <carol@acme.example>",
            "To: greg@northwind-retail.example", "Date: Sun, 12 May 2024 08:30:00 +0000",
            "Subject: the inner subject", "The forwarded words, café.", "After the forward.",
        ), record.text
        (child,) = record.children
        _check_inner_child(child)


def test_an_attached_message_is_a_child_with_its_exact_bytes_not_body_text() -> None:
    raw = _mixed(b"Content-Type: text/plain\r\n\r\nSee the attached mail.",
                 _message_part(b'attachment; filename="carol.eml"'))
    record = _read(raw)
    assert record.text == "See the attached mail."
    (child,) = record.children
    assert child.filename == "carol.eml"
    _check_inner_child(child)
    assert child.data is not None and child.data in raw


def test_a_base64_attached_message_is_decoded_into_its_own_bytes() -> None:
    part = _message_part(b"attachment", base64.encodebytes(INNER).replace(b"\n", b"\r\n"), encoding=b"base64")
    (child,) = _read(_mixed(b"Content-Type: text/plain\r\n\r\nwrapped", part)).children
    _check_inner_child(child)


def test_attached_messages_past_the_nesting_limit_are_failed_children() -> None:
    deepest = INNER
    for level in range(3):
        deepest = (
            f"From: level{level}@acme.example\r\nSubject: level {level}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=L{level}\r\n\r\n--L{level}\r\n"
        ).encode() + _message_part(b"attachment", deepest) + f"\r\n--L{level}--\r\n".encode()
    record = _read(deepest, ctx=Context(limits=Limits(max_nesting=2)))
    assert record.status == Status.OK and record.title == "level 2"
    (level1,) = record.children
    (level0,) = level1.children
    (inner,) = level0.children
    assert level1.status == level0.status == Status.OK
    assert inner.kind == Kind.EMAIL and inner.status == Status.FAILED
    assert inner.error is not None and inner.error.startswith("limit: nested more than 2")
    assert inner.data == INNER


def test_corpus_attached_message_keeps_its_bytes_and_all_four_bodies() -> None:
    path = corpus_dir("emails") / "ingest_attached_message_rfc822.eml"
    raw = path.read_bytes()
    record = _read(raw, path.name)
    assert record.text == "This is the body of the email that contains the attachment."
    (child,) = record.children
    assert child.kind == Kind.EMAIL and child.title == "Multipart mixed"
    assert child.data is not None and child.data in raw and child.data.startswith(b"Content-Type: multipart/mixed")
    assert _in_order(child.text, "first part (plaintext)", "second part (HTML)", "third part (plaintext)",
                     "fourth part (HTML)"), child.text


def test_corpus_digest_shows_each_message_and_keeps_it() -> None:
    path = corpus_dir("emails") / "cpython_msg_02_mailman_digest.eml"
    raw = path.read_bytes()
    record = _read(raw, path.name)
    children = list(record.children)
    assert len(children) == 5 and all(c.kind == Kind.EMAIL and c.data and c.data in raw for c in children)
    assert _in_order(record.text, "Today's Topics", "Subject: [Ppp] testing #1", "Subject: [Ppp] testing #5")
    assert record.text.rindex("Ppp mailing list") > record.text.index("testing #5")  # the digest's footer last


def test_an_attached_message_is_stored_with_its_exact_bytes(archive: Archive, tmp_path: Path) -> None:
    raw = _mixed(b"Content-Type: text/plain\r\n\r\nSee the attached mail.", _message_part(b"attachment"))
    got = ingest_hostile(archive, tmp_path, "outer.eml", raw)
    (child,) = got.children
    assert (child.kind, child.title) == ("email", "the inner subject")
    assert child.sha256 is not None and archive.blobs.read(child.sha256) == INNER
