"""Outlook .msg files (OLE compound documents) read with extract-msg, attachments included.

An attached message is exported back to a standalone .msg and read through the registry,
so mail in mail stays an email with its own attachments. Third-party parsing is fenced so
one unreadable part (an RTF body, a broken attachment) marks the record partial instead of
losing the whole message.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from typing import Any

from extract_msg.enums import AttachmentType
from extract_msg.msg_classes import MessageSignedBase, MSGFile

from . import registry
from .dates import order_from_address, parse_email_date
from .errors import Corrupt, IngestError, Unsupported
from .mailheaders import read_addresses, repair_folds
from .outlookbody import attempt as _try
from .outlookbody import body as _body
from .outlookbody import open_msg, string
from .records import DatedValue, DateSource, Kind, Participant, Record, Status
from .sniff import OLE_MAGIC, OLE_MIN_SIZE, sniff
from .source import Context, Source

__all__ = ["OutlookExtractor", "pick_date"]

CONTENT_TYPE = "application/vnd.ms-outlook"
_MSGFLAG_UNSENT = 0x8
_MSGID = re.compile(r"<[^<>\s]+>")
_EXTENSIONS = {  # mimetypes knows none of these mail-report types
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "text/rfc822-headers": ".txt",
    "text/plain": ".txt",
}
_ROLES = {1: "to", 2: "cc", 3: "bcc"}


def _stream(msg: MSGFile, name: str) -> str:
    return string(msg, name)


def _decode(value: str) -> str:
    value = value.replace("\x00", "")  # Outlook's C strings end in a NUL no one wrote
    try:
        return " ".join(str(make_header(decode_header(value))).split())
    except Exception:  # malformed RFC 2047 words: the raw text is still evidence
        return " ".join(value.split())


def _aware(value: Any) -> datetime | None:
    # extract-msg yields bytes for an unparseable time and 4501-01-01 for "never"
    if not isinstance(value, datetime) or not 1970 <= value.year <= 2200:
        return None
    return value if value.tzinfo and value.utcoffset() is not None else value.replace(tzinfo=UTC)


def pick_date(
    submit: datetime | None,
    header: DatedValue | None,
    delivery: datetime | None,
    creation: datetime | None,
) -> tuple[DatedValue | None, tuple[DatedValue, ...]]:
    """(occurred, others): submit time > Date header > delivery time > creation time."""
    mail, meta = DateSource.EMAIL_HEADER, DateSource.DOCUMENT_METADATA
    candidates = [
        DatedValue(submit, mail, "Outlook PR_CLIENT_SUBMIT_TIME", "second") if submit else None,
        header,
        DatedValue(delivery, mail, "Outlook PR_MESSAGE_DELIVERY_TIME", "second")
        if delivery
        else None,
        DatedValue(creation, meta, "Outlook creation time", "second") if creation else None,
    ]
    present = [c for c in candidates if c is not None]
    return (present[0], tuple(present[1:])) if present else (None, ())


def _transport_headers(msg: MSGFile) -> tuple[Message | None, list[str]]:
    """The internet headers the message arrived with, and the broken folds repaired in them."""
    text = _try(lambda: msg.getStringStream("__substg1.0_007D"), None)
    if not text:
        return None, []
    text = str(text).replace("\x00", "").removeprefix("Microsoft Mail Internet Headers Version 2.0").lstrip()
    repaired, notes = repair_folds(text.encode("utf-8", "surrogatepass"))
    return HeaderParser(policy=compat32).parsestr(repaired.decode("utf-8", "surrogatepass")), notes


def _header_people(role: str, values: Iterable[object], repairs: list[str]) -> list[Participant]:
    people: list[Participant] = []
    for value in values:
        pairs, flaw = read_addresses(str(value))
        if flaw:
            repairs.append(f"{role.capitalize()}: parsed leniently: {flaw}")
        people += _people(role, pairs)
    return people


def _people(role: str, pairs: Iterable[tuple[str, str]]) -> list[Participant]:
    people = []
    for name, address in pairs:
        name = _decode(name).strip("'\" ")
        address = address.replace("\x00", "").strip().lower()
        if "@" not in address:
            # a bare display name parses as an address; an Exchange "/O=..." DN names no one
            name, address = name or ("" if address.startswith("/") else address), ""
        if name or address:
            people.append(Participant(role=role, address=address, name=name))
    return people


def _participants(msg: MSGFile, headers: Message | None, repairs: list[str]) -> tuple[Participant, ...]:
    """Everyone on the message: from its internet headers when it has them, else from
    Outlook's sender properties and recipient table. Lenient readings go to ``repairs``."""
    people: list[Participant] = []
    sender = headers.get_all("from", []) if headers else []
    if sender:
        people += _header_people("from", sender, repairs)
    else:
        name = _stream(msg, "__substg1.0_0C1A") or _stream(msg, "__substg1.0_0042")
        address = next(
            (
                a
                for a in (_stream(msg, f"__substg1.0_{p}") for p in ("5D01", "0C1F", "0065"))
                if "@" in a
            ),
            "",
        )
        people += _people("from", [(name, address)])
    from_headers = bool(headers and any(headers.get_all(h, []) for h in ("to", "cc", "bcc")))
    if from_headers and headers is not None:
        for role in ("to", "cc", "bcc"):
            people += _header_people(role, headers.get_all(role, []), repairs)
    else:
        for recipient in _try(lambda: list(getattr(msg, "recipients", [])), []):
            role = _ROLES.get(int(_try(lambda r=recipient: r.type, 1)), "to")
            people += _people(role, [(recipient.name or "", recipient.email or "")])
    unique: list[Participant] = []
    for person in people:
        if person not in unique:
            unique.append(person)
    return tuple(unique)


def _ids(headers: Message | None, msg: MSGFile, header: str, stream: str) -> tuple[str, ...]:
    value = str(headers.get(header) or "") if headers else ""
    value = value or _stream(msg, stream)
    return tuple(_MSGID.findall(value)) or ((value.strip(),) if value.strip() else ())


def _attachment_name(att: Any, index: int, is_message: bool) -> str:
    name = _try(lambda: att.name, None) or ""
    name = str(name).replace("\\", "/").rsplit("/", 1)[-1].strip().strip("\x00")
    if is_message and name and not name.lower().endswith(".msg"):
        name += ".msg"
    if name:
        return name
    if is_message:
        return f"attachment-{index}.msg"
    mime = (_try(lambda: att.mimetype, None) or "").lower()
    return f"attachment-{index}{_EXTENSIONS.get(mime) or mimetypes.guess_extension(mime) or '.bin'}"


def _embedded_bytes(att: Any) -> bytes | None:
    """A standalone .msg for an attached message: exported, or repaired and exported."""
    if att.type is AttachmentType.SIGNED_EMBEDDED or not hasattr(att.data, "exportBytes"):
        raw = getattr(att, "asBytes", None)
        return raw if isinstance(raw, bytes) and raw else None
    inner = att.data
    return _try(lambda: inner.exportBytes(), None) or _try(
        lambda: inner.exportBytes(allowBadEmbed=True), None
    )


def _attachments(
    msg: MSGFile, ctx: Context
) -> tuple[list[Record], list[str], list[dict[str, str]]]:
    """(children, unreadable attachment names, links of web attachments)."""
    children: list[Record] = []
    unreadable: list[str] = []
    links: list[dict[str, str]] = []
    attachments = _try(lambda: list(msg.attachments), None)
    if attachments is None:  # e.g. an S/MIME wrapper that will not unwrap: keep the raw part
        attachments = _try(lambda: list(getattr(msg, "rawAttachments", [])), [])
        unreadable.append("(S/MIME content could not be unwrapped)")
    for index, att in enumerate(attachments, start=1):
        kind_of = _try(lambda a=att: a.type, AttachmentType.UNKNOWN)
        is_message = kind_of in (AttachmentType.MSG, AttachmentType.SIGNED_EMBEDDED)
        name = _attachment_name(att, index, is_message)
        if kind_of is AttachmentType.WEB:
            links.append({"name": name, "url": str(_try(lambda a=att: a.url, "") or "")})
            continue
        if is_message:
            data = _try(lambda a=att: _embedded_bytes(a), None)
        else:
            data = _try(lambda a=att: getattr(a, "asBytes", None) or a.data, None)
        if not isinstance(data, bytes):
            unreadable.append(name)
            continue
        source = Source.from_bytes(data, name)
        # an attached message stays an email (mail in mail); anything else is an attachment
        kind = Kind.EMAIL if is_message else Kind.ATTACHMENT
        try:
            deeper = ctx.deeper()
        except IngestError as exc:
            child = registry.failed_record(source, sniff(data[:8192], name), exc, kind)
        else:
            child = registry.extract(source, deeper, kind=kind)
        facts = dict(child.facts)
        if content_id := _try(lambda a=att: a.cid, None):
            facts["content_id"] = str(content_id)  # what an HTML body's "cid:" links point at
        if _try(lambda a=att: a.hidden, False):
            facts["inline"] = True
        children.append(replace(child, data=data, facts=facts))
    return children, unreadable, links


class OutlookExtractor:
    """Outlook .msg messages: headers, body, dates and attachments (recursively)."""

    name = "outlook"
    content_types = frozenset({CONTENT_TYPE})
    extensions = frozenset({"msg"})

    def extract(self, source: Source, ctx: Context) -> Record:
        """An email record for the .msg with its attachments as children; always closes it."""
        data = source.read(ctx.limits.max_file_bytes)
        if not data.startswith(OLE_MAGIC):
            raise Corrupt("not a readable Outlook message: no OLE compound-file header")
        if len(data) < OLE_MIN_SIZE:
            # olefile would take bytes this short for a file *name*; an OLE file is never so small
            raise Corrupt(f"not a readable Outlook message: truncated ({len(data):,} bytes)")
        try:
            msg, encoding = open_msg(data)
        except Exception as exc:  # olefile/extract-msg raise many types for damaged files
            detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise Corrupt(f"not a readable Outlook message: {detail}") from exc
        try:
            if not _try(lambda: msg.classType, None):
                raise Unsupported("an OLE compound file, but not an Outlook item")
            return self._record(msg, source, ctx, encoding)
        finally:
            msg.close()

    def _record(self, msg: MSGFile, source: Source, ctx: Context, encoding: str) -> Record:
        headers, repairs = _try(lambda: _transport_headers(msg), (None, []))
        flags = _try(lambda: int(msg.getPropertyVal("0E070003", 0) or 0), 0)

        def prop(tag: str) -> datetime | None:
            return _aware(_try(lambda: msg.getPropertyVal(tag), None))

        submit = prop("00390040")
        header_date = parse_email_date(_decode(str(headers.get("date") or ""))) if headers else None
        occurred, others = pick_date(submit, header_date, prop("0E060040"), prop("30070040"))
        if modified := prop("30080040"):  # who last touched the file: never the event itself
            others += (
                DatedValue(
                    modified,
                    DateSource.DOCUMENT_METADATA,
                    "Outlook last modification time",
                    "second",
                ),
            )
        text, body_format, rtf_unreadable = _body(msg)
        participants = _participants(msg, headers, repairs)
        sender = next((p.address for p in participants if p.role == "from" and p.address), "")
        children, unreadable, links = _attachments(msg, replace(ctx, date_order_hint=order_from_address(sender)))
        signed = isinstance(msg, MessageSignedBase)
        problems = []
        if signed and not text:
            problems.append("S/MIME message: no readable body (encrypted or unwrappable)")
        elif not text and rtf_unreadable:
            problems.append("the RTF body could not be converted to text")
        if unreadable:
            problems.append(f"attachments not readable: {', '.join(unreadable)}")
        facts: dict[str, Any] = {
            "message_class": str(_try(lambda: msg.classType, "") or ""),
            "body_format": body_format,
            "unsent": bool(flags & _MSGFLAG_UNSENT),
        }
        if flags & _MSGFLAG_UNSENT and submit is None:
            facts["draft"] = True  # flagged unsent and never submitted: a saved draft
        if signed:
            facts["smime"] = True
        if encoding:
            facts["string_encoding"] = encoding  # an 8-bit message: the code page its text was read in
        if repairs:
            facts["header_repairs"] = repairs
        if unreadable:
            facts["unreadable_attachments"] = unreadable
        if links:
            facts["linked_attachments"] = links
        subject = _stream(msg, "__substg1.0_0037")
        if not subject and headers is not None:
            subject = _decode(str(headers.get("subject") or ""))
        return Record(
            kind=Kind.EMAIL,
            title=subject or "(no subject)",
            content_type=CONTENT_TYPE,
            text=text[: ctx.limits.max_text_chars],
            filename=source.filename,
            occurred=occurred,
            other_dates=others,
            participants=participants,
            message_id=(_ids(headers, msg, "message-id", "__substg1.0_1035") or (None,))[0],
            in_reply_to=(_ids(headers, msg, "in-reply-to", "__substg1.0_1042") or (None,))[0],
            references=_ids(headers, msg, "references", "__substg1.0_1039"),
            status=Status.PARTIAL if problems else Status.OK,
            error="; ".join(problems) or None,
            facts=facts,
            children=tuple(children),
        )


registry.register(OutlookExtractor())
