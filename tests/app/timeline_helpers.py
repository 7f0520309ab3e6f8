"""Building small, exact archives for timeline tests through the real ingest service."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

from app import changes
from app.archive import Archive
from app.ingesting import ingest_bytes
from app.models import DateMentionRow

US = "dana@whitfield-digital.example"
GREG = "greg@northwind-retail.example"
ZOE = "zoe@northwind-retail.example"


def init_us(archive: Archive) -> None:
    changes.init_archive(archive, me=[US, "whitfield-digital.example"])


def mail(
    archive: Archive,
    *,
    sender: str,
    to: str,
    subject: str,
    date_header: str | None,
    body: str = "hello",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    cc: str | None = None,
    client: str | None = "northwind",
    attachment: tuple[str, bytes] | None = None,
) -> int:
    """Ingests one email for ``client``; returns its item id."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    if cc:
        msg["Cc"] = cc
    if date_header:
        msg["Date"] = date_header
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    msg.set_content(body)
    if attachment:
        msg.add_attachment(attachment[1], maintype="application", subtype="octet-stream", filename=attachment[0])
    name = f"{abs(hash((sender, subject, date_header, message_id)))}.eml"
    report = ingest_bytes(archive, data=bytes(msg), filename=name, client=client)
    assert report.ok and report.item_ids, report.problems
    return report.item_ids[0]


def mention(archive: Archive, item_id: int, when: date, label: str, sentence: str, page: int | None = 1) -> None:
    """Records a date mention as the PDF extractor would (for items whose text we made up)."""
    with archive.write() as uow:
        uow.session.add(
            DateMentionRow(item_id=item_id, mentioned_date=when, raw=when.isoformat(), sentence=sentence,
                           label=label, page=page)
        )
