"""The e-mails of a PST: one message's record, its people, dates, bodies and attachments.

Each record carries the message's properties (subject, people, dates with the MAPI
property they came from, body text), the folder it was found in, its RFC 822
reconstruction (``pstrender``) as bytes of its own, and its attachments as children, each
read through the registry like any other attachment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from email.header import decode_header, make_header
from typing import Any

from . import registry
from .dates import order_from_address, parse_email_date
from .errors import IngestError, LimitReached
from .mailheaders import read_addresses
from .names import display_name
from .pstprops import NamedMap, Props, libpff_reason
from .pstrender import TransportHeaders, rfc822
from .records import DatedValue, DateSource, Kind, Participant, Record, Status
from .rtf import rtf_to_text
from .sniff import sniff
from .source import Context, Source
from .text import clean_text, decode_bytes, html_to_text

__all__ = ["Place", "email_record", "recipients_of", "sender_of", "subject_of", "unique"]

_MAIL, _META = DateSource.EMAIL_HEADER, DateSource.DOCUMENT_METADATA
_ROLES = {1: "to", 2: "cc", 3: "bcc"}
_BY_VALUE, _BY_REFERENCE, _EMBEDDED = 1, (2, 3, 4, 7), 5


@dataclass(frozen=True)
class Place:
    """Where an item was found: the PST's file name, the folder path, its number in the walk."""

    pst: str
    folder: str
    number: int
    nid: int | None = None

    @property
    def filename(self) -> str:
        return f"{self.pst}#{self.number}"

    @property
    def facts(self) -> dict[str, Any]:
        found: dict[str, Any] = {"folder": self.folder, "reconstructed_from": "pst"}
        if self.nid is not None:
            found["pst_nid"] = self.nid
        return found


def subject_of(props: Props) -> str:
    """The item's subject on one line, without the prefix marker Outlook may store before it."""
    subject = props.text(0x0037)
    if subject[:1] == "\x01" and len(subject) >= 2:
        subject = subject[2:]  # a prefix marker (its length in the next character) Outlook may keep
    return " ".join(subject.split())


def _decode(value: str) -> str:
    try:
        return " ".join(str(make_header(decode_header(value))).split())
    except Exception:  # malformed RFC 2047 words: the raw text is still evidence
        return " ".join(value.split())


def _person(role: str, name: str, address: str) -> Participant | None:
    name, address = name.strip().strip("'\""), address.strip().lower()
    if "@" not in address:
        # an Exchange DN ("/O=ORG/OU=...") or a bare name names no mailbox
        name, address = name or ("" if address.startswith("/") else address), ""
    return Participant(role=role, address=address, name=name) if name or address else None


def sender_of(props: Props) -> Participant | None:
    """The sender (or organizer), by name and SMTP address when the item has one."""
    address = next((a for a in (props.text(p) for p in (0x5D01, 0x0C1F, 0x5D02, 0x0065)) if "@" in a), "")
    return _person("from", props.text(0x0C1A) or props.text(0x0042), address)


def recipients_of(item: Any, codepage: str) -> list[Participant]:
    """The rows of the item's recipient table as to/cc/bcc participants; [] when it has none."""
    people = []
    try:
        table = item.recipients
        rows = list(table.record_sets) if table is not None else []
    except Exception:  # no recipient table, or an unreadable one: the headers may still say
        return []
    for row in rows:
        props = Props(_Row(row), codepage=codepage)
        address = next((a for a in (props.text(0x39FE), props.text(0x3003)) if "@" in a), "")
        found = _person(_ROLES.get(props.integer(0x0C15) or 1, "to"), props.text(0x3001), address)
        if found is not None:
            people.append(found)
    return people


class _Row:
    """A recipient table row presented as an item with one record set (what ``Props`` reads)."""

    number_of_record_sets = 1

    def __init__(self, row: Any) -> None:
        self.row = row

    def get_record_set(self, _: int) -> Any:
        return self.row


def _header_people(headers: TransportHeaders) -> list[Participant]:
    people = []
    for field, role in (("from", "from"), ("to", "to"), ("cc", "cc"), ("bcc", "bcc")):
        pairs = [pair for value in headers.all(field) for pair in read_addresses(value)[0]]
        for name, address in pairs:
            found = _person(role, _decode(name), address)
            if found is not None:
                people.append(found)
    return people


def unique(people: list[Participant]) -> tuple[Participant, ...]:
    """``people`` without repeats, in their first order."""
    return tuple(dict.fromkeys(people))


def _ids(headers: TransportHeaders | None, header: str, props: Props, prop: int) -> tuple[str, ...]:
    value = headers.get(header) if headers is not None else ""
    value = value or props.text(prop)
    found = [w for w in value.replace(">", "> ").split() if w.startswith("<") and w.endswith(">")]
    return tuple(found) or ((value,) if value else ())


def _dates(props: Props, headers: TransportHeaders | None) -> tuple[DatedValue | None, tuple[DatedValue, ...]]:
    """(occurred, others): submit time > Date header > delivery time > creation time."""
    submit, delivery, created = props.time(0x0039), props.time(0x0E06), props.time(0x3007)
    candidates = [
        DatedValue(submit, _MAIL, "Outlook PR_CLIENT_SUBMIT_TIME", "second") if submit else None,
        parse_email_date(headers.get("date")) if headers is not None else None,
        DatedValue(delivery, _MAIL, "Outlook PR_MESSAGE_DELIVERY_TIME", "second") if delivery else None,
        DatedValue(created, _META, "Outlook PR_CREATION_TIME", "second") if created else None,
    ]
    present = [c for c in candidates if c is not None]
    occurred, others = (present[0], present[1:]) if present else (None, [])
    if modified := props.time(0x3008):  # who last touched the item: never the event itself
        others.append(DatedValue(modified, _META, "Outlook PR_LAST_MODIFICATION_TIME", "second"))
    return occurred, tuple(others)


def _bodies(item: Any, props: Props) -> tuple[str, str, bytes | None, str, str]:
    """(plain, html, rtf, text, format): the stored bodies, and the text read from the best one."""
    plain = props.text(0x1000)
    raw_html = props.raw(0x1013)
    html = ""
    if raw_html:
        cpid = props.integer(0x3FDE)
        html = decode_bytes(raw_html, "utf-8" if cpid == 65001 else f"cp{cpid}" if cpid else None)
    rtf = None
    if 0x1009 in props:
        try:
            rtf = bytes(item.get_rtf_body() or b"").rstrip(b"\0") or None  # libpff keeps the C string's NUL
        except Exception:  # LZFu data that will not decompress: the other bodies may do
            rtf = None
    if plain.strip():
        return plain, html, rtf, clean_text(plain), "plain"
    if html.strip():
        return plain, html, rtf, html_to_text(html), "html"
    if rtf:
        text, how = rtf_to_text(rtf)
        return plain, html, rtf, text, how
    return plain, html, rtf, "", "none"


def email_record(
    item: Any, props: Props, place: Place, ctx: Context, message_class: str, named: NamedMap, codepage: str
) -> Record:
    """An e-mail: people, dates, body text, ids, its RFC 822 reconstruction and its attachments."""
    raw_headers = props.text(0x007D)
    headers = TransportHeaders(raw_headers) if raw_headers else None
    subject = subject_of(props) or (_decode(headers.get("subject")) if headers is not None else "")
    people = [p for p in (sender_of(props), *recipients_of(item, codepage)) if p is not None]
    has_sender = any(p.role == "from" and p.address for p in people)
    has_recipients = any(p.role != "from" for p in people)
    if headers is not None and not (has_sender and has_recipients):
        # an Exchange sender (no SMTP address) or no recipient table: the headers say who
        from_headers = _header_people(headers)
        if not has_sender:
            people = [p for p in from_headers if p.role == "from"] + [p for p in people if p.role != "from"]
        if not has_recipients:
            people += [p for p in from_headers if p.role != "from"]
    participants = unique(people)
    occurred, others = _dates(props, headers)
    plain, html, rtf, text, body_format = _bodies(item, props)
    message_ids = _ids(headers, "message-id", props, 0x1035)
    replies = _ids(headers, "in-reply-to", props, 0x1042)
    data = rfc822(
        headers=headers, subject=subject, people=participants,
        date=occurred.at if occurred else None, message_id=message_ids[0] if message_ids else None,
        in_reply_to=replies[0] if replies else None, plain=plain, html=html, rtf=rtf,
    )
    sender = next((p.address for p in participants if p.role == "from" and p.address), "")
    children, unreadable, links = _attachments(item, replace(ctx, date_order_hint=order_from_address(sender)),
                                               named, codepage)
    facts: dict[str, Any] = {
        **place.facts, "message_class": message_class, "body_format": body_format,
        "headers": "transport headers" if raw_headers else "rebuilt from MAPI properties",
    }
    problems = []
    if unreadable:
        facts["unreadable_attachments"] = unreadable
        problems.append(f"attachments not readable: {'; '.join(unreadable)}")
    if links:
        facts["linked_attachments"] = links
    if 0x1009 in props and not rtf and body_format == "none":
        problems.append("the RTF body could not be decompressed")
    return Record(
        kind=Kind.EMAIL,
        title=subject or "(no subject)",
        content_type="message/rfc822",
        text=text[: ctx.limits.max_text_chars],
        filename=place.filename,
        occurred=occurred,
        other_dates=others,
        participants=participants,
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=replies[0] if replies else None,
        references=_ids(headers, "references", props, 0x1039),
        status=Status.PARTIAL if problems else Status.OK,
        error="; ".join(problems) or None,
        facts=facts,
        data=data,
        children=tuple(children),
    )


def _attachments(
    item: Any, ctx: Context, named: NamedMap, codepage: str
) -> tuple[list[Record], list[str], list[dict[str, str]]]:
    """(children, unreadable attachments with why, links of attachments by reference)."""
    children: list[Record] = []
    unreadable: list[str] = []
    links: list[dict[str, str]] = []
    try:
        count = item.get_number_of_attachments()
    except Exception as exc:
        return [], [f"(the attachment table: {libpff_reason(exc)})"], []
    for index in range(count):
        name = f"attachment-{index + 1}"
        try:
            att = item.get_attachment(index)
            props = Props(att, named, codepage)
            name = display_name(props.text(0x3707) or props.text(0x3704) or props.text(0x3001), name)
            method = props.integer(0x3705) or _BY_VALUE
            if method in _BY_REFERENCE:
                links.append({"name": name, "path": props.text(0x370D) or props.text(0x3708)})
                continue
            if method == _EMBEDDED:
                # pypff hands out an attached message's property block but not its subnodes
                # (recipients, attachments, long bodies): read in part it would mislead
                unreadable.append(f"{name} (an attached Outlook message: pypff cannot read embedded items; "
                                  "it stays inside the PST)")
                continue
            child = _attached_file(att, props, ctx, name)
        except Exception as exc:  # one broken attachment must not lose the message
            unreadable.append(f"{name} ({libpff_reason(exc)})")
            continue
        children.append(child)
    return children, unreadable, links


def _attached_file(att: Any, props: Props, ctx: Context, name: str) -> Record:
    size = att.get_size()
    if size > ctx.limits.max_message_bytes:
        error = LimitReached(
            f"attachment of {size:,} bytes is over max_message_bytes ({ctx.limits.max_message_bytes:,}); "
            "kept inside the PST"
        )
        return registry.failed_record(Source.from_bytes(b"", name), "application/octet-stream", error, Kind.ATTACHMENT)
    data = bytes(att.read_buffer(size)) if size else b""
    source = Source.from_bytes(data, name)
    try:
        deeper = ctx.deeper()
    except IngestError as exc:
        child = registry.failed_record(source, sniff(data[:8192], name), exc, Kind.ATTACHMENT)
    else:
        child = registry.extract(source, deeper, kind=Kind.ATTACHMENT)
    facts = dict(child.facts)
    if content_id := props.text(0x3712):
        facts["content_id"] = content_id  # what an HTML body's "cid:" links point at
    if mime := props.text(0x370E):
        facts["declared_type"] = mime
    return replace(child, data=data, filename=name, facts=facts)
