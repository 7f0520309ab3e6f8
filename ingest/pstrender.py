"""Bytes of their own for the items of a PST: RFC 822 messages, iCalendar events, vCards.

A PST stores properties, not files, so each item's stored original is a reconstruction
(the PST itself stays the byte-identical original): a message is its transport headers
(or headers rebuilt from its properties) over its bodies; an appointment an iCalendar
VEVENT; a contact a vCard. Attachments are not repeated inside: they are children with
their own bytes. Everything here is deterministic, so the same item always gives the same
bytes and an interrupted ingest can recognise what it stored before.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime, formataddr

from .records import Participant

__all__ = ["TransportHeaders", "icalendar", "rfc822", "vcard"]

_LINE = re.compile(r"\r\n|\n|\r")
# Headers that describe the original MIME structure: the reconstruction has its own.
_MIME_HEADERS = frozenset({
    "content-type", "content-transfer-encoding", "mime-version", "content-disposition", "content-id",
    "content-description",
})
_VERSION_LINE = "Microsoft Mail Internet Headers Version 2.0"


class TransportHeaders:
    """A message's transport headers (PR_TRANSPORT_MESSAGE_HEADERS), split once.

    A plain split rather than the ``email`` parser: only a few values are read from it, and
    a PST can hold hundreds of thousands of messages.
    """

    def __init__(self, raw: str) -> None:
        self.fields: list[str] = []  # each field as written, folded lines kept
        for line in _LINE.split(raw.removeprefix(_VERSION_LINE).lstrip("\r\n")):
            if not line.strip():
                if self.fields:
                    break  # the blank line that ends the header block
                continue
            if line[0] in " \t":
                if self.fields:
                    self.fields[-1] += "\r\n" + line
                continue
            if ":" in line:
                self.fields.append(line)
        self.values: dict[str, list[str]] = {}
        for field in self.fields:
            name, _, value = field.partition(":")
            self.values.setdefault(name.strip().lower(), []).append(" ".join(value.split()))

    def get(self, name: str) -> str:
        """The first value of header ``name`` (lower-case), unfolded; "" when absent."""
        found = self.values.get(name)
        return found[0] if found else ""

    def all(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def kept(self) -> list[str]:
        """The fields a reconstruction keeps: all but those describing the original MIME structure."""
        return [f for f in self.fields if f.split(":", 1)[0].strip().lower() not in _MIME_HEADERS]


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _encoded(value: str) -> str:
    value = _one_line(value)
    return value if value.isascii() else Header(value, "utf-8").encode()


def _address(person: Participant) -> str:
    return formataddr((_one_line(person.name), person.address), charset="utf-8") if person.address else _encoded(
        person.name
    )


def _rebuilt_headers(
    subject: str, people: Sequence[Participant], date: datetime | None, message_id: str | None,
    in_reply_to: str | None,
) -> list[str]:
    fields = []
    for role, name in (("from", "From"), ("to", "To"), ("cc", "Cc"), ("bcc", "Bcc")):
        shown = [_address(p) for p in people if p.role == role]
        if shown:
            fields.append(f"{name}: {', '.join(shown)}")
    if subject:
        fields.append(f"Subject: {_encoded(subject)}")
    if date is not None:
        fields.append(f"Date: {format_datetime(date.astimezone(UTC))}")
    if message_id:
        fields.append(f"Message-ID: {_one_line(message_id)}")
    if in_reply_to:
        fields.append(f"In-Reply-To: {_one_line(in_reply_to)}")
    return fields


def _body(text: str) -> tuple[str, bytes]:
    """(transfer encoding, bytes): 8bit when every line fits RFC 5322, quoted-printable else."""
    text = text.replace("\r\n", "\n")
    if "\x00" not in text and "\r" not in text and max(map(len, text.split("\n"))) < 990:
        # the common case, and ten times cheaper than encoding (990 characters: room for UTF-8's bytes is
        # not needed by the limit's spirit, and a longer line is rare enough to encode)
        return "8bit", text.replace("\n", "\r\n").encode("utf-8", "replace")
    encoded = binascii.b2a_qp(text.encode("utf-8", "replace"), istext=True)
    return "quoted-printable", encoded.replace(b"\n", b"\r\n")


def rfc822(
    *, headers: TransportHeaders | None, subject: str, people: Sequence[Participant], date: datetime | None,
    message_id: str | None, in_reply_to: str | None, plain: str, html: str, rtf: bytes | None,
) -> bytes:
    """The message as RFC 822 bytes: its headers, then its bodies (alternatives when several)."""
    fields = headers.kept() if headers is not None else []
    if not fields:
        fields = _rebuilt_headers(subject, people, date, message_id, in_reply_to)
    parts: list[tuple[str, str, bytes]] = []
    if plain:
        parts.append(("text/plain; charset=utf-8", *_body(plain)))
    if html:
        parts.append(("text/html; charset=utf-8", *_body(html)))
    if rtf and not parts:
        wrapped = binascii.b2a_base64(rtf).replace(b"\n", b"")
        body = b"\r\n".join(wrapped[i : i + 76] for i in range(0, len(wrapped), 76))
        parts.append(("application/rtf", "base64", body))
    if not parts:
        parts.append(("text/plain; charset=utf-8", "7bit", b""))
    head = "\r\n".join([*fields, "MIME-Version: 1.0"])
    if len(parts) == 1:
        ctype, encoding, body = parts[0]
        return f"{head}\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n".encode(
            "utf-8", "replace"
        ) + body
    boundary = "=_casefile_pst_" + hashlib.sha1(b"".join(p[2] for p in parts)).hexdigest()[:24]
    out = [f'{head}\r\nContent-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode(
        "utf-8", "replace"
    )]
    for ctype, encoding, body in parts:
        out.append(
            f"--{boundary}\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n".encode()
            + body + b"\r\n"
        )
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def _ical_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\n").replace(
        "\n", "\\n"
    )


def _folded(lines: Iterable[str]) -> bytes:
    """Content lines folded at 75 octets (RFC 5545 3.1, RFC 6350 3.2), CRLF-terminated."""
    out = bytearray()
    for line in lines:
        data = line.encode("utf-8")
        while len(data) > 75:
            cut = 75
            while cut > 1 and (data[cut] & 0xC0) == 0x80:
                cut -= 1  # never inside a UTF-8 sequence
            out += data[:cut] + b"\r\n "
            data = data[cut:]
        out += data + b"\r\n"
    return bytes(out)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def icalendar(
    *, uid: str, subject: str, start: datetime | None, end: datetime | None, location: str, body: str,
    people: Sequence[Participant], stamp: datetime | None,
) -> bytes:
    """An appointment as one iCalendar VEVENT."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Casefile//Outlook PST reconstruction//EN", "BEGIN:VEVENT",
             f"UID:{uid}"]
    when = stamp or start
    if when is not None:
        lines.append(f"DTSTAMP:{_stamp(when)}")
    if start is not None:
        lines.append(f"DTSTART:{_stamp(start)}")
    if end is not None:
        lines.append(f"DTEND:{_stamp(end)}")
    lines.append(f"SUMMARY:{_ical_text(subject)}")
    if location:
        lines.append(f"LOCATION:{_ical_text(location)}")
    for person in people:
        name = f';CN="{person.name.replace(chr(34), "")}"' if person.name else ""
        target = f"mailto:{person.address}" if person.address else "invalid:nomail"
        lines.append(f"{'ORGANIZER' if person.role == 'from' else 'ATTENDEE'}{name}:{target}")
    if body:
        lines.append(f"DESCRIPTION:{_ical_text(body)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return _folded(lines)


def vcard(*, name: str, given: str, surname: str, company: str, emails: Sequence[str], phones: Sequence[str]) -> bytes:
    """A contact as a vCard 3.0."""
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_ical_text(name)}",
             f"N:{_ical_text(surname)};{_ical_text(given)};;;"]
    if company:
        lines.append(f"ORG:{_ical_text(company)}")
    lines += [f"EMAIL;TYPE=INTERNET:{e}" for e in emails]
    lines += [f"TEL:{_ical_text(p)}" for p in phones]
    lines.append("END:VCARD")
    return _folded(lines)
