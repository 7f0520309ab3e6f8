"""Email: single RFC 822 messages (.eml), as read by the mbox, Apple Mail and Outlook readers too.

Parsing is the stdlib ``email`` package with ``policy.default``; we add what evidence
needs on top: every date says where it came from, bodies survive lying charsets, every
inline body part is in the text in order, every attachment becomes a child record with
its own bytes (an attached message with its exact bytes), headers a mailer wrote badly
are repaired and say so, and hostile structure hits a limit instead of a hang.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from email import policy
from email.headerregistry import BaseHeader
from email.message import Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from typing import Any

from .dates import order_from_address, parse_email_date
from .errors import Corrupt, IngestError, LimitReached
from .mailheaders import Headers, gmail_labels, message_ids, received_date, repair_folds
from .mailparts import ATTACHED_MESSAGE_TYPES, Attachment, BodyWalk, content_type, message_bytes, part_filename, render
from .records import Kind, Record
from .registry import extract as extract_any
from .registry import extract_as, failed_record, register
from .sniff import sniff, utf16_codec
from .source import Context, Source
from .text import clean_text

__all__ = ["EMAIL", "EmailExtractor", "parse_message"]


@functools.lru_cache(maxsize=512)
def _parsed_mime_header(name: str, value: str) -> Any:
    return policy.default.header_fetch_parse(name, value)


class _MimeHeaderReuse(EmailPolicy):
    """``policy.default``, with each parsed MIME header reused instead of parsed again.

    The parser asks for a part's Content-Type four or five times while it walks a message
    (multipart? message/*? the boundary?), and ``policy.default`` builds a full parse tree
    every time: that is most of the stdlib's parse time. A parsed header depends only on
    its name and raw value and is never modified, so short ``Content-*`` values are parsed
    once and shared; results are exactly ``policy.default``'s.
    """

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if not isinstance(value, BaseHeader) and len(value) <= 512 and name[:8].lower() == "content-":
            return _parsed_mime_header(name, value)
        return super().header_fetch_parse(name, value)


_POLICY = _MimeHeaderReuse()
_PARSER = BytesParser(policy=_POLICY)
_HEADER_END = re.compile(rb"\r?\n\r?\n|\r\r")
_ENCLOSED_HEADERS = (("from", "From"), ("to", "To"), ("cc", "Cc"), ("date", "Date"), ("subject", "Subject"))


def _check_header_size(data: bytes, limit: int) -> None:
    match = _HEADER_END.search(data, 0, limit + 4)
    if match is None and len(data) > limit:
        raise LimitReached(f"header block larger than {limit:,} bytes")


def parse_message(data: bytes, filename: str, ctx: Context, *, mailbox_labels: bool = False) -> Record:
    """The record of one RFC 822 message with its attachments as child records.

    ``mailbox_labels``: the message is a member of a mailbox export whose labels it
    carries (Gmail Takeout's ``X-Gmail-Labels`` and ``X-GM-THRID``), kept in its facts.
    Raises ``Corrupt`` or ``LimitReached`` when the message cannot be read at all.
    """
    return _parse(data, filename, ctx, mailbox_labels)[0]


def _parse(data: bytes, filename: str, ctx: Context, mailbox_labels: bool = False) -> tuple[Record, str]:
    """(the record, the message as its parent shows it inline: headers, then body)."""
    if len(data) > ctx.limits.max_message_bytes:
        raise LimitReached(
            f"message of {len(data):,} bytes is over max_message_bytes ({ctx.limits.max_message_bytes:,})"
        )
    codec = utf16_codec(data[:512])
    if codec:
        # a message saved as UTF-16 text: MIME is defined over bytes, so re-encode
        data = data.decode(codec, errors="replace").encode("utf-8")
    _check_header_size(data, ctx.limits.max_header_bytes)
    data, repairs = repair_folds(data)
    msg = _PARSER.parsebytes(data)
    headers = Headers(msg)
    if not headers.raw:
        raise Corrupt("no email headers found")
    walk = BodyWalk(ctx.limits.max_mime_parts, ctx.limits.max_mime_depth)
    walk.visit(msg)
    date_header = headers.text("date")
    occurred = parse_email_date(date_header) or received_date(headers)
    participants = headers.participants()
    sender = next((p.address for p in participants if p.role == "from" and p.address), "")
    hinted = replace(ctx, date_order_hint=order_from_address(sender))
    children, enclosed = _children(data, walk.attachments, hinted)
    text = clean_text(render(walk.segments, enclosed))[: ctx.limits.max_text_chars]
    facts: dict[str, object] = {}
    if msg.defects:
        facts["defects"] = sorted({type(d).__name__ for d in msg.defects})
    if not date_header:
        facts["date_header"] = "missing"
    elif occurred is None or occurred.detail != "Date header":
        facts["date_header"] = f"unreadable: {date_header[:80]}"
    shown = [s for s in walk.segments if s.kind != "message" and s.text.strip()]
    if any(s.kind == "html" for s in shown):
        every = all(s.kind == "html" for s in shown)
        facts["body"] = "converted from HTML" if every else "partly converted from HTML"
    repairs += headers.repairs()
    if repairs:
        facts["header_repairs"] = repairs
    if mailbox_labels:
        if labels := gmail_labels(headers.all("x-gmail-labels")):
            facts["labels"] = labels
        if thread := headers.text("x-gm-thrid"):
            facts["gmail_thread_id"] = thread
    subject = headers.text("subject")
    record = Record(
        kind=Kind.EMAIL,
        title=subject or "(no subject)",
        content_type="message/rfc822",
        text=text,
        filename=filename,
        occurred=occurred,
        participants=participants,
        message_id=(message_ids(headers.text("message-id")) or (None,))[0],
        in_reply_to=(message_ids(headers.text("in-reply-to")) or (None,))[0],
        references=message_ids(headers.text("references")),
        facts=facts,
        children=children,
    )
    return record, _shown_inline(headers, text)


def _shown_inline(headers: Headers, body: str) -> str:
    lines = ["---------- Enclosed message ----------"]
    lines += [f"{title}: {value}" for name, title in _ENCLOSED_HEADERS if (value := headers.text(name))]
    return "\n".join(lines) + (f"\n\n{body}" if body else "")


def _reserialised(part: Message) -> bytes:
    inner = part.get_payload()
    if isinstance(inner, list) and inner:
        inner = inner[0]
    if isinstance(inner, Message):
        return inner.as_bytes(policy=policy.default.clone(linesep="\r\n"))
    return b""


def _children(data: bytes, attachments: list[Attachment], ctx: Context) -> tuple[tuple[Record, ...], dict[int, str]]:
    """(the child records, the inline text of each attached message by its index)."""
    if not attachments:
        return (), {}
    is_message = [content_type(a.part)[0] in ATTACHED_MESSAGE_TYPES for a in attachments]
    try:
        exact = message_bytes(data, _POLICY, [a.path for a, m in zip(attachments, is_message, strict=True) if m])
    except Exception:  # a second parse of hostile bytes: the re-serialised copies still say what was sent
        exact = {}
    too_deep: IngestError | None = None
    try:
        inner = ctx.deeper()
    except LimitReached as exc:  # each child is kept, failed, with the reason
        inner, too_deep = ctx, exc
    children: list[Record] = []
    enclosed: dict[int, str] = {}
    for index, (attachment, message) in enumerate(zip(attachments, is_message, strict=True)):
        name = part_filename(attachment.part, index + 1)
        facts: dict[str, object] = {}
        if message:
            payload = exact.get(attachment.path)
            if payload is None:
                payload = _reserialised(attachment.part)
                facts["original_bytes"] = "re-serialised: the attached message was not found as written"
        else:
            decoded = attachment.part.get_payload(decode=True)
            payload = decoded if isinstance(decoded, bytes) else b""
        source = Source.from_bytes(payload, name)
        kind = Kind.EMAIL if message else Kind.ATTACHMENT
        if too_deep is not None:
            child = failed_record(source, "message/rfc822" if message else sniff(payload[:8192], name), too_deep, kind)
        elif message:
            shown: list[str] = []

            def read(src: Source, c: Context, shown: list[str] = shown) -> Record:
                record, inline = _parse(src.data or b"", src.filename, c)
                shown.append(inline)
                return record

            child = extract_as(read, source, inner, "message/rfc822", Kind.EMAIL)
            enclosed[index] = shown[0] if shown else f"---------- Enclosed message {name}: not read ({child.error})"
        else:
            child = extract_any(source, inner, kind=Kind.ATTACHMENT)
        children.append(replace(child, data=payload, filename=name, facts={**child.facts, **facts}))
    return tuple(children), enclosed


class EmailExtractor:
    """RFC 822 / MIME messages (.eml)."""

    name = "email"
    content_types = frozenset({"message/rfc822"})
    extensions = frozenset({"eml"})

    def extract(self, source: Source, ctx: Context) -> Record:
        return parse_message(source.read(ctx.limits.max_message_bytes), source.filename, ctx)


EMAIL = register(EmailExtractor())
