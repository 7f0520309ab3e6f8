"""A sample Outlook .pst for tests, written with bench/pstgen.py (no public PST is in the corpus)."""

from __future__ import annotations

import importlib
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["HEADERS", "NOTES", "RTF", "STATEMENT", "SUBMITTED", "pstgen", "write_sample"]

# appended, not prepended: bench/ also holds modules named like common ones (dates, search)
sys.path.append(str(Path(__file__).resolve().parents[2] / "bench"))
pstgen: Any = importlib.import_module("pstgen")  # test tooling shared with the benchmark

SUBMITTED = datetime(2024, 5, 2, 9, 30, tzinfo=UTC)
STATEMENT = random.Random(3).randbytes(20_000)  # over one block: an XBLOCK in the attachment's subnode
NOTES = b"Acceptance notes: module 3 delivered on 30 April.\n"
HEADERS = (
    "Microsoft Mail Internet Headers Version 2.0\r\n"
    "Received: from mx.northwind-retail.example by mail.whitfield-digital.example; Thu, 2 May 2024 09:31:10 +0000\r\n"
    "From: Greg Hale <greg@northwind-retail.example>\r\n"
    "To: Dana Whitfield <dana@whitfield-digital.example>\r\n"
    "Subject: Invoice 42 overdue\r\n"
    "Date: Thu, 2 May 2024 10:30:00 +0100\r\n"
    "Message-ID: <inv42@northwind-retail.example>\r\n"
    "In-Reply-To: <inv42-sent@whitfield-digital.example>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
)
RTF = (
    rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Calibri;}}"
    rb"\f0 Scope change: \b two\b0  extra screens, caf\'e9 \u8364? 900.\par Thanks}"
)


def _people(*pairs: tuple[str, str, str]) -> tuple[Any, ...]:
    return tuple(pstgen.Recipient(name, address, role) for name, address, role in pairs)


def write_sample(path: Path, front: int = 0) -> Path:
    """The sample PST: five messages in three folders, a calendar item, a contact, a note."""
    dana = ("Dana Whitfield", "dana@whitfield-digital.example")
    greg = ("Greg Hale", "greg@northwind-retail.example")
    with pstgen.PstWriter(path, front=front) as pst:
        pst.add("Inbox", pstgen.Message(
            subject="Invoice 42 overdue", sender=greg, recipients=_people(("Dana Whitfield", dana[1], "to")),
            submitted=SUBMITTED, delivered=SUBMITTED + timedelta(minutes=1, seconds=10),
            body="Dana,\nInvoice 42 is still unpaid.\nGreg", headers=HEADERS,
            message_id="<inv42@northwind-retail.example>",
            attachments=(pstgen.Attachment("notes.txt", NOTES, "text/plain"),
                         pstgen.Attachment("statement.bin", STATEMENT)),
        ))
        pst.add("Inbox", pstgen.Message(
            subject="Weekly update", sender=greg, recipients=_people(("Dana", dana[1], "to")),
            submitted=SUBMITTED + timedelta(days=1),
            html="<html><body><p>The <b>loyalty module</b> is live.</p><script>x()</script></body></html>",
        ))
        pst.add("Inbox/Clients", pstgen.Message(
            subject="Scope change", sender=greg, recipients=_people(("Dana", dana[1], "to")),
            submitted=SUBMITTED + timedelta(days=2), rtf=RTF,
        ))
        pst.add("Inbox/Clients", pstgen.Message(
            subject="Café meeting notes", sender=greg,
            recipients=_people(("Dana", dana[1], "to"), ("Zoe Park", "zoe@northwind-retail.example", "cc")),
            delivered=SUBMITTED + timedelta(days=3), body="Notes from the café.",
            message_id="<cafe@northwind-retail.example>",
        ))
        pst.add("Sent Items", pstgen.Message(
            subject="Re: Invoice 42 overdue", sender=dana, recipients=_people(("Greg Hale", greg[1], "to")),
            submitted=SUBMITTED + timedelta(hours=2), body="Paid today.",
            message_id="<reply@whitfield-digital.example>", in_reply_to="<inv42@northwind-retail.example>",
        ))
        pst.add("Calendar", pstgen.Appointment(
            "Acceptance review", SUBMITTED + timedelta(days=7), SUBMITTED + timedelta(days=7, hours=1), dana,
            _people(("Greg Hale", greg[1], "to")), "Northwind HQ, room 2", "Walk through modules 1-3.",
        ))
        pst.add("Contacts", pstgen.Contact("Greg Hale", greg[1], "Greg", "Hale", "Northwind Retail", "+44 20 7946"))
        pst.add("Notes", pstgen.Message(subject="Call Greg back", sender=dana, body="About invoice 42.",
                                        message_class="IPM.StickyNote"))
    return path
