"""Email: single RFC 822 messages (.eml), as read by the mbox and Outlook readers too.

Parsing is the stdlib ``email`` package with ``policy.default``; we add what evidence
needs on top: every date says where it came from, bodies survive lying charsets, every
attachment becomes a child record with its own bytes, and hostile structure hits a limit
instead of a hang.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import replace
from email import policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.headerregistry import BaseHeader
from email.message import Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses
from typing import Any

from .dates import order_from_address, parse_email_date
from .errors import Corrupt, LimitReached
from .names import display_name
from .records import DatedValue, Kind, Participant, Record
from .registry import extract as extract_any
from .registry import failed_record, register
from .sniff import utf16_codec
from .source import Context, Source
from .text import clean_text, decode_bytes, html_to_text

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


_PARSER = BytesParser(policy=_MimeHeaderReuse())
_ADDRESS_ROLES = (("from", "from"), ("sender", "from"), ("to", "to"), ("cc", "cc"), ("bcc", "bcc"))
_ATTACHED_MESSAGE_TYPES = ("message/rfc822", "message/global")
_MSGID = re.compile(r"<[^<>\s]+>")
_HEADER_END = re.compile(rb"\r?\n\r?\n|\r\r")


_FOLD = re.compile(r"\r?\n[ \t]+|\r[ \t]+")


_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _unsurrogate(value: str) -> str:
    # raw 8-bit header bytes arrive as surrogate escapes; most such mail is UTF-8
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("ascii", "surrogateescape").decode("utf-8", "replace")


def _decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded; anything malformed is kept as written, less the
    control characters (a NUL in a subject) no header may carry and no page can show."""
    value = " ".join(_CONTROLS.sub("", _FOLD.sub(" ", _unsurrogate(value))).split())
    if "=?" not in value:
        return value
    try:
        return " ".join(_CONTROLS.sub("", str(make_header(decode_header(value)))).split())
    except (ValueError, LookupError, UnicodeError, HeaderParseError):
        return value


class _Headers:
    """A message's headers read once, raw, and decoded on demand.

    ``policy.default`` builds a parsed header object on every ``msg[name]``; for the few
    headers evidence needs, decoding the raw values ourselves is several times cheaper
    and never raises on malformed input.
    """

    def __init__(self, msg: Message) -> None:
        self.raw: dict[str, list[str]] = {}
        for name, value in msg.raw_items():
            self.raw.setdefault(name.lower(), []).append(str(value))

    def text(self, name: str) -> str:
        values = self.raw.get(name)
        return _decode_words(values[0]) if values else ""

    def all(self, name: str) -> list[str]:
        return self.raw.get(name, [])

    def participants(self) -> tuple[Participant, ...]:
        people: list[Participant] = []
        seen: set[tuple[str, str, str]] = set()
        for header, role in _ADDRESS_ROLES:
            if header == "sender" and any(p.role == "from" for p in people):
                continue
            values = [_FOLD.sub(" ", _unsurrogate(v)) for v in self.all(header)]
            for name, address in getaddresses(values):
                address = address.strip().lower()
                name = _decode_words(name).strip("'\" ")
                if not address and not name:
                    continue
                if address and "@" not in address:
                    # "andy at example.com" (list archives obfuscate) or a bare display name
                    if " at " in address:
                        address = address.replace(" at ", "@")
                    else:
                        name, address = name or address, ""
                key = (role, address, name)
                if key not in seen:
                    seen.add(key)
                    people.append(Participant(role=role, address=address, name=name))
        return tuple(people)


def _message_ids(value: str) -> tuple[str, ...]:
    return tuple(_MSGID.findall(value)) or ((value.strip(),) if value.strip() else ())


def _received_date(headers: _Headers) -> DatedValue | None:
    # The top Received header is the last hop: when the message reached its mailbox.
    for value in headers.all("received"):
        text = _FOLD.sub(" ", value)
        if ";" in text:
            found = parse_email_date(text.rsplit(";", 1)[1], detail="Received header")
            if found:
                return found
    return None


def _part_text(part: Message, charset: str | None) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return decode_bytes(payload, charset)


def _content_type(part: Message) -> tuple[str, str | None]:
    """A part's content type and charset from one parse of its header.

    ``get_content_type()`` and ``get_content_charset()`` each re-parse the header under
    policy.default; a mailbox has thousands of parts.
    """
    try:
        header = part.get("content-type")
        ctype = header.content_type if header is not None else part.get_default_type()
        charset = header.params.get("charset") if header is not None else None
    except Exception:  # a header too broken to parse: the stdlib's own fallback
        return part.get_content_type(), part.get_content_charset()
    if ctype.count("/") != 1:
        ctype = "text/plain"  # what RFC 2045 says an invalid type means
    return ctype, str(charset).lower() if charset else None


def _raw_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n".join(str(p) for p in payload)
    if isinstance(payload, str):
        decoded = part.get_payload(decode=True)
        if isinstance(decoded, bytes):
            return decode_bytes(decoded, part.get_content_charset())
        return payload
    return ""


def _part_filename(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name:
        return display_name(name, f"attachment-{index}")
    subtype = part.get_content_subtype() or "bin"
    if part.get_content_type() == "message/rfc822":
        return f"attached-message-{index}.eml"
    return f"attachment-{index}.{subtype[:10]}"


class _Walk:
    """One pass over a message's MIME tree: the body text and the attachment parts."""

    def __init__(self, limits_parts: int, limits_depth: int) -> None:
        self.max_parts = limits_parts
        self.max_depth = limits_depth
        self.parts = 0
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Message] = []

    def visit(self, part: Message, depth: int) -> None:
        self.parts += 1
        if self.parts > self.max_parts:
            raise LimitReached(f"more than {self.max_parts} MIME parts")
        if depth > self.max_depth:
            raise LimitReached(f"MIME parts nested more than {self.max_depth} deep")
        ctype, charset = _content_type(part)
        if ctype in _ATTACHED_MESSAGE_TYPES:
            self.attachments.append(part)
            return
        if ctype.startswith("message/") or ctype == "text/rfc822-headers":
            # delivery reports and header dumps: machine text worth keeping in the body
            self.plain.append(_raw_text(part))
            return
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                for child in payload:
                    self.visit(child, depth + 1)
            return
        if ctype.startswith("multipart/"):
            # a multipart whose boundary is missing: its raw text is the best body we have
            self.plain.append(_raw_text(part))
            return
        # `in` looks at raw header names; parsing a header under policy.default is not free
        disposition = (part.get_content_disposition() or "") if "content-disposition" in part else ""
        is_body_text = ctype in ("text/plain", "text/html") and disposition != "attachment"
        if is_body_text and not (disposition == "inline" and part.get_filename()):
            (self.plain if ctype == "text/plain" else self.html).append(_part_text(part, charset))
        else:
            self.attachments.append(part)


def _attachment_bytes(part: Message) -> bytes:
    if part.get_content_type() in _ATTACHED_MESSAGE_TYPES:
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            inner = inner[0]
        if isinstance(inner, Message):
            return inner.as_bytes(policy=policy.default.clone(linesep="\r\n"))
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _check_header_size(data: bytes, limit: int) -> None:
    match = _HEADER_END.search(data, 0, limit + 4)
    if match is None and len(data) > limit:
        raise LimitReached(f"header block larger than {limit:,} bytes")


def parse_message(data: bytes, filename: str, ctx: Context) -> Record:
    """The record of one RFC 822 message with its attachments as child records."""
    if len(data) > ctx.limits.max_message_bytes:
        raise LimitReached(
            f"message of {len(data):,} bytes is over max_message_bytes ({ctx.limits.max_message_bytes:,})"
        )
    codec = utf16_codec(data[:512])
    if codec:
        # a message saved as UTF-16 text: MIME is defined over bytes, so re-encode
        data = data.decode(codec, errors="replace").encode("utf-8")
    _check_header_size(data, ctx.limits.max_header_bytes)
    msg = _PARSER.parsebytes(data)
    headers = _Headers(msg)
    if not headers.raw:
        raise Corrupt("no email headers found")
    walk = _Walk(ctx.limits.max_mime_parts, ctx.limits.max_mime_depth)
    walk.visit(msg, 0)
    text = "\n\n".join(t for t in walk.plain if t.strip())
    if not text.strip() and walk.html:
        text = "\n\n".join(html_to_text(h) for h in walk.html)
    date_header = headers.text("date")
    occurred = parse_email_date(date_header) or _received_date(headers)
    sender = next((p.address for p in headers.participants() if p.role == "from" and p.address), "")
    children = tuple(_attachments(walk.attachments, replace(ctx, date_order_hint=order_from_address(sender))))
    subject = headers.text("subject")
    facts: dict[str, object] = {}
    if msg.defects:
        facts["defects"] = sorted({type(d).__name__ for d in msg.defects})
    if not date_header:
        facts["date_header"] = "missing"
    elif occurred is None or occurred.detail != "Date header":
        facts["date_header"] = f"unreadable: {date_header[:80]}"
    if walk.html and not walk.plain:
        facts["body"] = "converted from HTML"
    return Record(
        kind=Kind.EMAIL,
        title=subject or "(no subject)",
        content_type="message/rfc822",
        text=clean_text(text)[: ctx.limits.max_text_chars],
        filename=filename,
        occurred=occurred,
        participants=headers.participants(),
        message_id=(_message_ids(headers.text("message-id")) or (None,))[0],
        in_reply_to=(_message_ids(headers.text("in-reply-to")) or (None,))[0],
        references=_message_ids(headers.text("references")),
        facts=facts,
        children=children,
    )


def _attachments(parts: list[Message], ctx: Context) -> Iterator[Record]:
    if not parts:
        return
    inner = ctx.deeper()
    for index, part in enumerate(parts, start=1):
        name = _part_filename(part, index)
        payload = _attachment_bytes(part)
        if part.get_content_type() in _ATTACHED_MESSAGE_TYPES:
            try:
                child = parse_message(payload, name, inner)
            except (Corrupt, LimitReached) as exc:
                child = failed_record(Source.from_bytes(payload, name), "message/rfc822", exc, Kind.EMAIL)
        else:
            child = extract_any(Source.from_bytes(payload, name), inner, kind=Kind.ATTACHMENT)
        yield replace(child, data=payload, filename=name)


class EmailExtractor:
    """RFC 822 / MIME messages (.eml)."""

    name = "email"
    content_types = frozenset({"message/rfc822"})
    extensions = frozenset({"eml"})

    def extract(self, source: Source, ctx: Context) -> Record:
        return parse_message(source.read(ctx.limits.max_message_bytes), source.filename, ctx)


EMAIL = register(EmailExtractor())
