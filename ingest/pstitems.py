"""The record of one item of a PST, by its message class: an e-mail, a calendar item, a
contact or a note (``pstmail`` reads e-mails); and the record of one that cannot be read.

Calendar items, contacts and notes have bytes of their own too, rebuilt from their
properties (``pstrender``): an iCalendar VEVENT, a vCard, the note's text.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from .errors import Corrupt, IngestError
from .pstmail import Place, email_record, recipients_of, sender_of, subject_of, unique
from .pstprops import PSETID_ADDRESS, PSETID_APPOINTMENT, NamedMap, Props, libpff_reason
from .pstrender import icalendar, vcard
from .records import DatedValue, DateSource, Kind, Participant, Record, Status
from .source import Context
from .text import clean_text

__all__ = ["failed_item", "item_record"]

_MAIL, _META = DateSource.EMAIL_HEADER, DateSource.DOCUMENT_METADATA


def failed_item(place: Place, exc: BaseException) -> Record:
    """A member that could not be read: kept as a failed record with libpff's reason."""
    why = exc.message if isinstance(exc, IngestError) else f"libpff: {libpff_reason(exc)}"
    return Record(
        kind=Kind.EMAIL,
        title=f"Unreadable item {place.number} in {place.folder or 'the PST'}",
        content_type="message/rfc822",
        filename=place.filename,
        status=Status.FAILED,
        error=str(Corrupt(f"item could not be read, its data in the PST is damaged ({why})")),
        facts={k: v for k, v in place.facts.items() if k != "reconstructed_from"},
    )


def item_record(item: Any, place: Place, ctx: Context, named: NamedMap, codepage: str) -> Record:
    """The record of one pypff message-like item, by its message class: an e-mail (the default),
    a calendar item, a contact or a note; raises when libpff cannot read the item at all."""
    props = Props(item, named, codepage)
    if not props.entries:
        raise Corrupt("its properties could not be read")
    message_class = props.text(0x001A) or "IPM.Note"
    lowered = message_class.lower()
    if lowered.startswith("ipm.appointment"):
        record = _event(item, props, place, codepage)
    elif lowered.startswith(("ipm.contact", "ipm.distlist")):
        record = _contact(props, place)
    elif lowered.startswith(("ipm.stickynote", "ipm.task", "ipm.activity")):
        record = _note(props, place)
    else:
        return email_record(item, props, place, ctx, message_class, named, codepage)
    text = record.text[: ctx.limits.max_text_chars]
    return replace(record, text=text, facts={**record.facts, "message_class": message_class})


def _event(item: Any, props: Props, place: Place, codepage: str) -> Record:
    start_prop = props.named(PSETID_APPOINTMENT, 0x820D)
    start = props.time(start_prop) if start_prop is not None else None
    start_detail = "Outlook PidLidAppointmentStartWhole"
    if start is None:
        start, start_detail = props.time(0x0060), "Outlook PR_START_DATE"
    end = props.named_time(PSETID_APPOINTMENT, 0x820E) or props.time(0x0061)
    location = props.named_text(PSETID_APPOINTMENT, 0x8208)
    subject, body = subject_of(props), clean_text(props.text(0x1000))
    organizer = sender_of(props)
    people = unique(([organizer] if organizer else []) + recipients_of(item, codepage))
    others = (DatedValue(end, _MAIL, "Outlook PidLidAppointmentEndWhole", "minute"),) if end else ()
    text = "\n".join(line for line in (f"Where: {location}" if location else "", body) if line)
    return Record(
        kind=Kind.EVENT,
        title=subject or "(no subject)",
        content_type="text/calendar",
        text=text,
        filename=place.filename,
        occurred=DatedValue(start, _MAIL, start_detail, "minute") if start else None,
        other_dates=others,
        participants=people,
        facts={**place.facts, **({"location": location} if location else {}),
               **({"ends": end.isoformat()} if end else {})},
        data=icalendar(uid=f"pst-item-{place.nid or place.number}@casefile.invalid", subject=subject, start=start,
                       end=end, location=location, body=body, people=people, stamp=props.time(0x3008) or start),
    )


def _contact(props: Props, place: Place) -> Record:
    name = props.text(0x3001) or subject_of(props)
    emails = [e for e in (props.named_text(PSETID_ADDRESS, lid) for lid in (0x8083, 0x8093, 0x80A3)) if "@" in e]
    phones = [p for p in (props.text(t) for t in (0x3A08, 0x3A09, 0x3A1C)) if p]
    given, surname, company = props.text(0x3A06), props.text(0x3A11), props.text(0x3A16)
    people = unique([Participant(role="contact", address=e.lower(), name=name) for e in emails]
                     or ([Participant(role="contact", address="", name=name)] if name else []))
    lines = [name, company, *emails, *phones, clean_text(props.text(0x1000))]
    return Record(
        kind=Kind.CONTACT,
        title=name or "(unnamed contact)",
        content_type="text/vcard",
        text="\n".join(line for line in lines if line),
        filename=place.filename,
        other_dates=_metadata_dates(props),
        participants=people,
        facts=place.facts,
        data=vcard(name=name, given=given, surname=surname, company=company, emails=emails, phones=phones),
    )


def _note(props: Props, place: Place) -> Record:
    subject, body = subject_of(props), clean_text(props.text(0x1000))
    dates = _metadata_dates(props)
    return Record(
        kind=Kind.NOTE,
        title=subject or "(untitled note)",
        content_type="text/plain",
        text=body,
        filename=place.filename,
        other_dates=dates,
        facts=place.facts,
        data=f"{subject}\n\n{body}\n".encode(),
    )


def _metadata_dates(props: Props) -> tuple[DatedValue, ...]:
    pairs: list[tuple[datetime | None, str]] = [
        (props.time(0x3007), "Outlook PR_CREATION_TIME"), (props.time(0x3008), "Outlook PR_LAST_MODIFICATION_TIME"),
    ]
    return tuple(DatedValue(at, _META, detail, "second") for at, detail in pairs if at)
