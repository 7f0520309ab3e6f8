"""Generate the Casefile sample evidence: a fictional fee dispute, reproducibly.

Story: Dana Whitfield (Whitfield Digital) built a loyalty module for Northwind Retail Ltd,
delivered it on 26 April 2024, invoiced £27,000 on 30 April and was met with 2.5 months of
silence, then a refusal to pay. A second, unrelated client (Bluebird Bakery) exists so that
tests can check that cases never mix. See README.md for the cast and the key dates.

Every output is byte-identical across runs: no clock reads, seeded randomness, fixed MIME
boundaries, fixed PDF dates/IDs and fixed zip timestamps. Run:

    python sample_docs/make_samples.py               # (re)generate everything
    python sample_docs/make_samples.py --check-ocr   # also OCR the scanned contract
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import math
import random
import re
import sys
import textwrap
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from statistics import NormalDist
from zoneinfo import ZoneInfo

from docx import Document
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

ROOT = Path(__file__).resolve().parent
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {n: FONT_DIR / f"{n}.ttf" for n in ("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSans",
                                             "DejaVuSans-Bold")}
LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
WRITTEN: list[Path] = []


def write(rel: str, data: bytes | str) -> Path:
    """Write one output (relative to this folder) and remember it for the summary."""
    path = ROOT / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    # Bytes, not text mode: our exact line endings (CRLF in .eml/.csv, LF elsewhere) survive.
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    WRITTEN.append(path)
    return path


# --------------------------------------------------------------------------- people & mail
@dataclass(frozen=True)
class Person:
    name: str
    email: str
    tz: ZoneInfo
    sig: str

    @property
    def address(self) -> Address:
        user, domain = self.email.split("@")
        return Address(self.name, user, domain)


DANA_SIG = ("-- \nDana Whitfield\nWhitfield Digital | +44 20 7946 0321\n"
            "dana@whitfield-digital.example")
PEOPLE = {
    "dana": Person("Dana Whitfield", "dana@whitfield-digital.example", LONDON, DANA_SIG),
    "greg": Person("Greg Thornton", "greg.thornton@northwind-retail.example", LONDON,
                   "Greg Thornton\nHead of E-commerce\nNorthwind Retail Ltd | +44 20 7946 0958"),
    # Non-ASCII display name on purpose: it must travel as an RFC 2047 encoded-word.
    "zoe": Person("Zoë Adeyemi", "zoe.adeyemi@northwind-retail.example", NEW_YORK,
                  "Zoë Adeyemi\nFinance Director, Northwind Retail Ltd\n(New York office)"),
    "ap": Person("Northwind Accounts Payable", "ap@northwind-retail.example", LONDON, ""),
    "tom": Person("Tom Okafor", "tom.okafor@northwind-retail.example", LONDON, "Tom"),
    "maria": Person("Maria Santos", "maria@bluebird-bakery.example", LONDON,
                    "Maria\nBluebird Bakery, 8 Mill Lane, Bristol"),
}


@dataclass
class Mail:
    key: str
    when: str  # local wall-clock time of the sender, "YYYY-MM-DD HH:MM"
    sender: str
    to: list[str]
    cc: list[str]
    subject: str  # "" = "Re: " + parent's subject
    body: str
    parent: str | None = None
    kind: str = "text"  # text | alt (text + html) | html (html only)
    threaded: bool = True  # False: "Re:" subject but no In-Reply-To/References
    attach: tuple[tuple[str, bytes, str], ...] = ()
    sig: str | None = None  # override the sender's usual signature
    refs: list[str] = field(default_factory=list)  # filled in by build()

    def dt(self) -> datetime:
        return datetime.fromisoformat(self.when).replace(tzinfo=PEOPLE[self.sender].tz)


def blocks(src: str) -> list[str]:
    return [b.strip("\n") for b in textwrap.dedent(src).strip().split("\n\n")]


def verbatim(block: str) -> bool:
    """Short-line blocks (addresses, lists) and forwarded headers keep their line breaks."""
    return block.startswith("-----") or all(len(line) < 60 for line in block.splitlines())


def to_text(src: str) -> str:
    """Reflow prose to 72 columns like a mail client (bullets hang-indented)."""
    out = []
    for b in blocks(src):
        if b.startswith("- "):
            items = re.split(r"\n(?=- )", b)
            out.append("\n".join(textwrap.fill(" ".join(i.split()), 72, subsequent_indent="  ")
                                 for i in items))
        elif verbatim(b):
            out.append(b)
        else:
            out.append(textwrap.fill(" ".join(b.split()), 72))
    return "\n\n".join(out)


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def to_html(src: str) -> str:
    out = []
    for b in blocks(src):
        if b.startswith("- "):
            lis = "".join(f"<li>{esc(' '.join(i[2:].split()))}</li>"
                          for i in re.split(r"\n(?=- )", b))
            out.append(f"<ul>{lis}</ul>")
        elif verbatim(b):
            out.append("<p>" + "<br>\n".join(map(esc, b.splitlines())) + "</p>")
        else:
            out.append(f"<p>{esc(' '.join(b.split()))}</p>")
    return "\n".join(out)


def message_id(mail: Mail) -> str:
    """Stable, per-domain Message-IDs derived from the mail's key (no randomness needed)."""
    h = hashlib.sha256(mail.key.encode()).hexdigest()
    domain = PEOPLE[mail.sender].email.split("@")[1]
    if mail.sender == "dana":  # Thunderbird style
        return f"<{uuid.UUID(h[:32])}@{domain}>"
    if mail.sender == "maria":
        return f"<CA+{h[:24]}@{domain}>"
    return f"<{mail.dt():%Y%m%d%H%M%S}.{h[:12].upper()}@{domain}>"  # Outlook-ish


def build(mail: Mail, index: dict[str, Mail]) -> EmailMessage:
    who = PEOPLE[mail.sender]
    parent = index[mail.parent] if mail.parent else None
    msg = EmailMessage()
    msg["Date"] = format_datetime(mail.dt())
    msg["From"] = who.address
    msg["To"] = [PEOPLE[p].address for p in mail.to]
    if mail.cc:
        msg["Cc"] = [PEOPLE[p].address for p in mail.cc]
    subject = mail.subject
    if parent and not subject:
        subject = parent.subject if parent.subject.startswith("Re:") else f"Re: {parent.subject}"
        mail.subject = subject
    msg["Subject"] = subject
    msg["Message-ID"] = message_id(mail)
    if parent and mail.threaded:
        # Parents are built first (the mbox is chronological), so their refs are known.
        mail.refs = [*parent.refs, message_id(parent)]
        msg["In-Reply-To"] = message_id(parent)
        msg["References"] = " ".join(mail.refs)
    if mail.sender == "dana":
        msg["User-Agent"] = "Mozilla/5.0 Thunderbird/115.6.0"
    elif "northwind" in who.email:
        msg["X-Mailer"] = "iPhone Mail (21E236)" if mail.sig else "Microsoft Outlook 16.0"
    sig = who.sig if mail.sig is None else mail.sig
    text, body_html = to_text(mail.body), to_html(mail.body)
    text += f"\n\n{sig}\n" if sig else "\n"
    body_html += "<p>" + "<br>\n".join(map(esc, sig.splitlines())) + "</p>"
    if parent:  # quote the parent's own words, as every mail client does
        p = PEOPLE[parent.sender]
        d = parent.dt()
        intro = f"On {d:%a}, {d.day} {d:%b %Y at %H:%M}, {p.name} wrote:"  # Gmail-style
        quoted = "\n".join(f"> {ln}".rstrip() for ln in to_text(parent.body).splitlines())
        text += f"\n{intro}\n{quoted}\n"
        body_html += f"<p>{esc(intro)}</p><blockquote>{to_html(parent.body)}</blockquote>"
    body_html = ('<html><head><meta charset="utf-8"></head><body style="font-family:Calibri,'
                 f'sans-serif;font-size:11pt">\n{body_html}\n</body></html>\n')
    # Outlook sends quoted-printable; Thunderbird sends 8bit UTF-8. Both must be ingestible.
    cte = "quoted-printable" if mail.sender != "dana" else None
    if mail.kind == "html":
        msg.set_content(body_html, subtype="html", cte="quoted-printable")
    else:
        msg.set_content(text, cte=cte)
        if mail.kind == "alt":
            msg.add_alternative(body_html, subtype="html", cte="quoted-printable")
    for name, data, ctype in mail.attach:
        main, sub = ctype.split("/")
        if main == "text":
            msg.add_attachment(data.decode(), subtype=sub, filename=name)
        else:
            msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    # The stdlib picks random MIME boundaries; fix them so the output is reproducible.
    for i, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_cf_{hashlib.sha256(mail.key.encode()).hexdigest()[:16]}_{i}")
    for part in msg.iter_parts() if msg.is_multipart() else ():
        del part["MIME-Version"]  # the stdlib adds it to sub-parts; real clients do not
    return msg


def write_mbox(rel: str, mails: list[Mail]) -> int:
    """mboxo: a 'From ' separator per message (UTC asctime), body 'From ' lines escaped."""
    assert [m.dt() for m in mails] == sorted(m.dt() for m in mails), "mbox must be chronological"
    index = {m.key: m for m in mails}
    buf = io.BytesIO()
    for mail in mails:
        when = mail.dt().astimezone(UTC).timetuple()
        buf.write(f"From {PEOPLE[mail.sender].email} {time.asctime(when)}\n".encode())
        BytesGenerator(buf, mangle_from_=True, policy=policy.default).flatten(build(mail, index))
        buf.write(b"\n")
    write(rel, buf.getvalue())
    return len(mails)


def write_eml(rel: str, mail: Mail) -> None:
    # Saved .eml files usually carry CRLF line endings (policy.SMTP).
    write(rel, build(mail, {}).as_bytes(policy=policy.SMTP))


# --------------------------------------------------------------------------- PDFs
def register_fonts() -> None:
    for name, path in FONTS.items():
        pdfmetrics.registerFont(TTFont(name, str(path)))


def pdf_date(stamp: str) -> Callable[..., str]:
    """invariant=1 fixes /ID; this formatter swaps its 2000-01-01 date for a realistic one."""
    return lambda *_: f"D:{stamp}"


def invoice_pdf() -> bytes:
    """A one-page text invoice; rows are (font, size, x, y-from-top, text), x == R right-aligns."""
    w, h = A4
    L, R, B, N = 56, w - 56, "DejaVuSans-Bold", "DejaVuSans"
    items = [("Milestone 1: points engine and membership tiers", "£12,000.00"),
             ("Milestone 2: vouchers, delivery and handover of the Loyalty Module", "£12,000.00"),
             ("Change note CN-01: referral bonus feature", "£3,000.00")]
    notes = ["VAT: not charged (supplier not VAT registered).",
             "Consultancy Agreement dated 15 January 2024; loyalty module delivered 26 April 2024.",
             "Payment terms: 30 days from the invoice date. Please quote INV-2024-007.", "",
             "Bank details: [BANK NAME PLACEHOLDER]  Account name: Dana Whitfield",
             "Sort code: 00-00-00  Account number: 00000000"]
    rows = [(B, 20, L, 80, "Whitfield Digital"), (B, 16, R, 80, "INVOICE"),
            (B, 10, L, 190, "Bill to"), (B, 10, L, 310, "Description"), (B, 10, R, 310, "Amount"),
            (B, 11, L, 408, "Total due"), (B, 11, R, 408, "£27,000.00")]
    rows += [(N, 9.5, L, 100 + 13 * i, t) for i, t in enumerate(
        ["Dana Whitfield, sole trader", "Studio 3, 27 Canal Walk, London N1 5XX",
         "dana@whitfield-digital.example | +44 20 7946 0321"])]
    rows += [(N, 10, R, 100 + 14 * i, t) for i, t in enumerate(
        ["Invoice number: INV-2024-007", "Invoice date: 30 April 2024", "Due date: 30 May 2024",
         "Purchase order: NW-PO-4471"])]
    rows += [(N, 10, L, 205 + 14 * i, t) for i, t in enumerate(
        ["Northwind Retail Ltd", "Accounts Payable", "1 Harbour Yard", "London SE1 9XX",
         "ap@northwind-retail.example"])]
    for i, (desc, amount) in enumerate(items):
        rows += [(N, 10, L, 332 + 22 * i, desc), (N, 10, R, 332 + 22 * i, amount)]
    rows += [(N, 9.5, L, 458 + 14 * i, t) for i, t in enumerate(notes)]
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1)
    c.setDateFormatter(pdf_date("20240430100500+01'00'"))
    c.setTitle("Invoice INV-2024-007")
    c.setAuthor("Dana Whitfield")
    c.setSubject("Northwind loyalty module")
    c.setCreator("Whitfield Digital invoicing")
    for font, size, x, top, text in rows:
        c.setFont(font, size)
        (c.drawRightString if x == R else c.drawString)(x, h - top, text)
    c.line(L, h - 316, R, h - 316)
    c.line(L, h - 388, R, h - 388)
    c.showPage()
    c.save()
    return buf.getvalue()


SOW = [  # (style, text); "BREAK" forces the two-page layout the tests expect
    ("Title", "Statement of Work: Loyalty Module"),
    ("Body", "Reference: SOW-NW-001 (Consultancy Agreement of 15 January 2024)"),
    ("Body", "Client: Northwind Retail Ltd, 1 Harbour Yard, London SE1 9XX"),
    ("Body", "Consultant: Dana Whitfield, trading as Whitfield Digital"),
    ("Body", "Effective date: 1 February 2024"),
    ("H", "1. Background"),
    ("Body", "Northwind Retail Ltd wishes to reward repeat customers of its web shop. The "
             "Consultant will design, build and deliver a loyalty module integrated with the "
             "existing order service and checkout."),
    ("H", "2. Deliverables"),
    ("Bullet", "Points engine: one point per pound spent on the order total after discounts."),
    ("Bullet", "Membership tiers Bronze, Silver and Gold, recalculated nightly."),
    ("Bullet", "Vouchers created in the admin screens and redeemed at checkout."),
    ("Bullet", "Administration screens for members, the points ledger and vouchers."),
    ("Bullet", "Documentation: admin user guide, API reference and operations runbook."),
    ("H", "3. Milestones"),
    ("Bullet", "Milestone 1 (target 22 March 2024): points engine and tiers demonstrated on "
               "staging. Fee: £12,000."),
    ("Bullet", "Milestone 2: delivery of the complete Loyalty Module. Fee: £12,000."),
    ("H", "4. Delivery"),
    ("Body", "The Consultant shall deliver the Loyalty Module no later than April 30, 2024. "
             "Delivery means merging the code into the Client's repository, deploying it to "
             "staging and sending written release notes."),
    ("BREAK", ""),
    ("H", "5. Acceptance"),
    ("Body", "The Client shall test the deliverables promptly after delivery. Deliverables are "
             "deemed accepted if the Client raises no written objection within 10 business days "
             "of delivery. An objection must describe the defect in reasonable detail."),
    ("H", "6. Fees and payment"),
    ("Body", "The fixed fee is £24,000 for the scope above, payable in the two milestones of "
             "section 3, which may be invoiced together on delivery. Payment is due within 30 "
             "days of invoice. Invoices quote the Client's purchase order number."),
    ("H", "7. Change control"),
    ("Body", "Any change to scope, fee or dates must be agreed in writing by a numbered change "
             "note before work on the change begins."),
    ("H", "8. Project contacts"),
    ("Body", "Client: Greg Thornton, Head of E-commerce. Finance: Zoë Adeyemi, Finance Director. "
             "Consultant: Dana Whitfield."),
    ("H", "9. Signatures"),
    ("Body", "For Northwind Retail Ltd: Greg Thornton, Head of E-commerce"),
    ("Body", "For Whitfield Digital: Dana Whitfield"),
]


def sow_pdf() -> bytes:
    styles = {
        "Title": ParagraphStyle("t", fontName="DejaVuSerif-Bold", fontSize=18, leading=24,
                                spaceAfter=14),
        "H": ParagraphStyle("h", fontName="DejaVuSerif-Bold", fontSize=12, leading=16,
                            spaceBefore=12, spaceAfter=4),
        "Body": ParagraphStyle("b", fontName="DejaVuSerif", fontSize=10.5, leading=15,
                               spaceAfter=4),
        "Bullet": ParagraphStyle("l", fontName="DejaVuSerif", fontSize=10.5, leading=15,
                                 leftIndent=16, bulletIndent=4, spaceAfter=2,
                                 bulletFontName="DejaVuSerif"),
    }
    story = []
    for style, text in SOW:
        if style == "BREAK":
            story.append(PageBreak())
        else:
            story.append(Paragraph(html.escape(text), styles[style],
                                   bulletText="•" if style == "Bullet" else None))
    story.append(Spacer(1, 12))

    def on_page(c: Canvas, doc: SimpleDocTemplate) -> None:
        c.setDateFormatter(pdf_date("20240112110000+00'00'"))
        c.setFont("DejaVuSans", 8)
        c.drawCentredString(A4[0] / 2, 30, f"SOW-NW-001 | page {doc.page} of 2")

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, invariant=1, title="Statement of Work SOW-NW-001",
                            author="Dana Whitfield", subject="Northwind loyalty module",
                            creator="Whitfield Digital")
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


# --------------------------------------------------------------------------- scanned contract
CONTRACT = """\
CONSULTANCY AGREEMENT

This Consultancy Agreement is made on 15 January 2024 between:

(1) Northwind Retail Ltd, a company registered in England and Wales with company number
09876543, whose registered office is at 1 Harbour Yard, London SE1 9XX (the "Client"); and

(2) Dana Whitfield, trading as Whitfield Digital, of Studio 3, 27 Canal Walk, London N1 5XX
(the "Consultant").

Effective Date: 1 February 2024

1. Services

1.1 The Consultant shall design, build and deliver a customer loyalty module for the Client's
web shop, comprising a points engine, membership tiers, vouchers, administration screens and
documentation (the "Loyalty Module"), as described in the Statement of Work.

1.2 The Consultant shall deliver the Loyalty Module on or before 30 April 2024.

1.3 The Consultant shall perform the services with reasonable skill and care and shall report
progress to the Client every week.

2. Term

2.1 This Agreement starts on the Effective Date and continues until the services are complete
and all fees have been paid, unless terminated earlier under clause 9.

3. Fees

3.1 The Client shall pay the Consultant a fixed fee of £24,000 (twenty-four thousand pounds),
payable in two milestones of £12,000 each: Milestone 1, the points engine and tiers
demonstrated on staging; and Milestone 2, delivery of the complete Loyalty Module.

3.2 The Consultant may invoice both milestones together on delivery. Any change to the services
must be agreed in writing in a change note stating the additional fee.
\f4. Payment Terms

4.1 Invoices are payable within thirty (30) days of the invoice date.

4.2 Payment shall be made by bank transfer to the account stated on the invoice, quoting the
Client's purchase order number.

4.3 If the Client fails to pay any sum by its due date, the Consultant may claim interest and
compensation under the Late Payment of Commercial Debts (Interest) Act 1998.

5. Client Obligations

5.1 The Client shall give the Consultant timely access to its systems, staging environment and
staff, and appoints Greg Thornton, Head of E-commerce, as its project lead.

6. Acceptance

6.1 The Client shall review the deliverables promptly after delivery. Deliverables are deemed
accepted if the Client raises no written objection within ten (10) business days of delivery.

6.2 An objection must describe in reasonable detail how the deliverables fail to meet the
Statement of Work, and the Consultant shall then correct that failure within a reasonable time.

7. Intellectual Property

7.1 All intellectual property rights in the Loyalty Module pass to the Client when all fees
have been paid in full.

8. Confidentiality

8.1 Each party shall keep confidential all information of the other party that it receives in
connection with this Agreement.
\f9. Termination

9.1 Either party may terminate this Agreement by written notice if the other party commits a
material breach and fails to remedy it within fourteen (14) days of being notified of it.

9.2 On termination the Client shall pay for all services performed up to the date of
termination.

10. Limitation of Liability

10.1 The total liability of the Consultant under this Agreement shall not exceed the fees paid
under it.

11. Entire Agreement

11.1 This Agreement and the Statement of Work form the entire agreement between the parties.

12. Governing Law

12.1 This Agreement is governed by the law of England and Wales, and the courts of England and
Wales have exclusive jurisdiction.

Signed for Northwind Retail Ltd: Greg Thornton, 15/01/2024

[[signature]]

Signed: Dana Whitfield, 15/01/2024

[[signature]]
"""
PAGE_W, PAGE_H, MARGIN = 2480, 3508, 300  # A4 at 300 dpi, 1 inch margins
LINE, GAP, INK, PAPER = 68, 26, 28, 250
# Mild on purpose: Tesseract must still read >= 98 % of the words (see --check-ocr).
NOISE_SIGMA, JPEG_QUALITY = 3, 85


def squiggle(draw: ImageDraw.ImageDraw, x0: float, y0: float, rng: random.Random) -> None:
    """A cursive-looking pen stroke: x and y circle at the same frequency while x also
    advances, which draws a row of loops (a cycloid); slow sines vary the loop heights."""
    p1, p2 = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)
    loops, length = rng.randint(5, 8), rng.uniform(480, 620)
    pts = []
    for i in range(600):
        t = i / 599
        phase = 2 * math.pi * loops * t + p1
        height = 34 + 26 * math.sin(2 * math.pi * 1.3 * t + p2) * math.sin(7 * t + p1)
        dy = -height * math.cos(phase) + 18 * math.sin(math.pi * t)
        # -0.4 * dy slants the loops to the right like handwriting
        pts.append((x0 + length * t + (18 + 14 * t) * math.sin(phase) - 0.4 * dy, y0 + dy))
    draw.line(pts, fill=INK + 10, width=5, joint="curve")
    draw.line([(x0 - 40, y0 + 70), (x0 + length + 40, y0 + 62)], fill=INK + 10, width=4)


def render_contract_page(src: str, number: int, total: int,
                         rng: random.Random) -> tuple[Image.Image, str]:
    """Draw one page; return (image, exact ground-truth text of the words drawn)."""
    regular = ImageFont.truetype(str(FONTS["DejaVuSerif"]), 46)  # 11 pt at 300 dpi
    bold = ImageFont.truetype(str(FONTS["DejaVuSerif-Bold"]), 46)
    title = ImageFont.truetype(str(FONTS["DejaVuSerif-Bold"]), 60)
    img = Image.new("L", (PAGE_W, PAGE_H), 255)
    draw = ImageDraw.Draw(img)
    y, truth, width = MARGIN, [], PAGE_W - 2 * MARGIN
    for block in src.strip().split("\n\n"):
        if block == "[[signature]]":
            squiggle(draw, MARGIN + 80, y + 40, rng)
            y += 170
            continue
        if block.isupper():
            draw.text((PAGE_W // 2, y), block, font=title, fill=INK, anchor="ma")
            truth += [block, ""]
            y += 110
            continue
        font = bold if re.fullmatch(r"\d+\. [A-Za-z ]+", block) else regular
        words, lines = block.split(), [""]
        for word in words:  # greedy wrap by rendered pixel width
            cand = f"{lines[-1]} {word}".strip()
            if font.getlength(cand) <= width:
                lines[-1] = cand
            else:
                lines.append(word)
        for line in lines:
            draw.text((MARGIN, y), line, font=font, fill=INK)
            y += LINE
        truth += [*lines, ""]
        y += GAP
    if y > PAGE_H - MARGIN:
        raise SystemExit(f"contract page {number} overflows ({y}px); shorten its text")
    footer = f"Page {number} of {total}"
    draw.text((PAGE_W // 2, PAGE_H - 200), footer, font=regular, fill=INK, anchor="ma")
    return img, "\n".join([*truth, footer]) + "\n"


def scan(img: Image.Image, rng: random.Random) -> Image.Image:
    """Make a clean render look scanned: skew, optics blur, sensor noise, dust specks."""
    angle = rng.uniform(0.4, 0.8) * rng.choice((-1, 1))
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(0.7)).point(lambda v: PAPER * v // 255 + 3)

    def noise(lut: list[int]) -> Image.Image:  # uniform random bytes mapped through a LUT
        return Image.frombytes("L", img.size, rng.randbytes(PAGE_W * PAGE_H)).point(lut)
    # Gaussian noise without numpy: map uniform bytes through the normal quantile function.
    gauss = [max(0, min(255, round(128 + NormalDist(0, NOISE_SIGMA).inv_cdf((i + .5) / 256))))
             for i in range(256)]
    img = ImageChops.add(img, noise(gauss), offset=-128)
    # Salt and pepper at ~0.05 %: a speck only where two independent fields both hit.
    rare = [0 if i == 0 else 255 for i in range(256)]
    eighth = [0 if i < 32 else 255 for i in range(256)]
    pepper = ImageChops.lighter(noise(rare), noise(eighth)).point(lambda v: 60 if v == 0 else 255)
    salt = ImageChops.lighter(noise(rare), noise(eighth)).point(lambda v: 255 if v == 0 else 0)
    return ImageChops.lighter(ImageChops.darker(img, pepper), salt)


def contract_pdf() -> tuple[bytes, str]:
    rng = random.Random(20240115)
    pages = CONTRACT.split("\f")
    buf, truths = io.BytesIO(), []
    c = Canvas(buf, pagesize=A4, invariant=1)
    c.setDateFormatter(pdf_date("20240115162000+00'00'"))
    # What a document scanner writes; the words live only in the JPEG pixels.
    c.setCreator("ScanSnap Manager #iX1600")
    c.setTitle("Scan 2024-01-15 16:20")
    c.setAuthor("")
    c.setSubject("")
    for n, src in enumerate(pages, 1):
        clean, truth = render_contract_page(src, n, len(pages), rng)
        jpeg = io.BytesIO()
        scan(clean, rng).save(jpeg, "JPEG", quality=JPEG_QUALITY, dpi=(300, 300))
        jpeg.seek(0)
        # A JPEG ImageReader is embedded as-is (DCTDecode); no text is drawn, so no text layer.
        c.drawImage(ImageReader(jpeg), 0, 0, width=A4[0], height=A4[1])
        c.showPage()
        truths.append(truth)
    c.save()
    return buf.getvalue(), "\f".join(truths)


def check_ocr() -> float:
    """OCR the generated scan with Tesseract and score word recall against ground truth."""
    import difflib

    import pypdfium2
    import pytesseract

    def words(s: str) -> list[str]:
        return [w for w in (re.sub(r"[^\w]", "", t.lower()) for t in s.split()) if w]
    pdf = pypdfium2.PdfDocument(ROOT / "northwind/contracts/consultancy-agreement-signed.pdf")
    truth = (ROOT / "ground_truth/consultancy-agreement-signed.txt").read_text("utf-8").split("\f")
    found = total = 0
    for i, page in enumerate(pdf):
        ocr = pytesseract.image_to_string(page.render(scale=300 / 72).to_pil(), lang="eng")
        gt, got = words(truth[i]), words(ocr)
        sm = difflib.SequenceMatcher(None, gt, got, autojunk=False)
        hit = sum(b.size for b in sm.get_matching_blocks())
        print(f"  page {i + 1}: {hit}/{len(gt)} words ({hit / len(gt):.2%}),"
              f" SequenceMatcher ratio {sm.ratio():.3f}")
        found, total = found + hit, total + len(gt)
    print(f"  OCR word accuracy: {found}/{total} = {found / total:.2%}")
    return found / total


# --------------------------------------------------------------------------- the mailbox
RELEASE_NOTES = """\
Northwind Loyalty Module - Release Notes
Version: 1.0.0
Release date: 26 April 2024
Author: Dana Whitfield, Whitfield Digital

Features
- Points engine: 1 point per GBP 1 spent, on the order total after discounts
- Tiers: Bronze, Silver (1,000 points), Gold (5,000 points); nightly update
- Vouchers: created in the admin screens, redeemed at checkout
- Referral bonus (change note CN-01): 500 points each for referrer and friend
- Admin screens: members, points ledger, vouchers, referral report
- Documentation: admin user guide, API reference, operations runbook

Quality
- 214 automated tests passing
- Load tested at 3x last year's peak order rate

Known issues
- None blocking. Tier badge colours can be changed in the theme settings.
"""


def northwind_mails(invoice: bytes) -> list[Mail]:
    M = Mail
    return [
        M("nw01", "2024-01-08 09:30", "greg", ["dana"], [],
          "Loyalty programme for our web shop", """
        Hi Dana,

        Thanks for your time on the phone last week. As discussed, we would like to add a customer
        loyalty module to the Northwind web shop: points on every order, Bronze/Silver/Gold tiers
        and vouchers that customers can redeem at checkout.

        We need it live before our summer campaign, so delivery by the end of April is important
        to us. Could you send over a proposal with a fixed price?

        Best regards,""", kind="alt"),
        M("nw02", "2024-01-09 14:05", "dana", ["greg"], [], "", """
        Hi Greg,

        Thanks for the brief. My proposal in short:

        - Scope: points engine, three tiers, vouchers, admin screens, documentation
        - Fixed fee: £24,000, in two milestones of £12,000
        - Start 1 February 2024, delivery no later than 30 April 2024

        If that works for you I'll draft a Consultancy Agreement and a Statement of Work.

        Best,
        Dana""", parent="nw01"),
        M("nw03", "2024-01-12 11:20", "dana", ["greg"], ["zoe"],
          "Consultancy Agreement – Northwind loyalty module", """
        Hi Greg, hi Zoë,

        Following our call on 10 January, the Consultancy Agreement and the Statement of Work are
        ready. Key points: effective date 1 February 2024, fixed fee £24,000, delivery of the
        loyalty module on or before 30 April 2024, invoices payable within 30 days, and deemed
        acceptance if no written objection is raised within 10 business days of delivery.

        Would Monday 15 January at 14:00 at your office work for signing?

        Best,
        Dana"""),
        M("nw04", "2024-01-12 16:02", "greg", ["dana"], ["zoe"], "", """
        Hi Dana,

        Monday 15 January at 14:00 works. Zoë has reviewed the payment terms and is happy
        with them. See you then.""", parent="nw03", kind="alt"),
        M("nw05", "2024-01-15 09:12", "dana", ["greg"], [], "", """
        Hi Greg,

        Confirming this afternoon at 14:00. I'll bring two printed copies of the agreement.

        Dana""", parent="nw04"),
        M("nw06", "2024-01-15 17:05", "greg", ["dana"], ["zoe"], "", """
        Hi Dana,

        Thanks for coming in today, good to have the agreement signed. We have scanned the
        signed copy for our records. Looking forward to kicking off on 1 February.""",
          parent="nw05", kind="alt"),
        M("nw07", "2024-01-29 10:00", "zoe", ["dana"], ["ap"], "Supplier set-up: Whitfield Digital",
          """
        Dear Dana,

        Welcome on board. To set you up as a supplier, please send us your bank details and
        confirm your invoicing address. Invoices should be sent to ap@northwind-retail.example and
        quote purchase order NW-PO-4471. Payment terms are 30 days from the invoice date, as in
        the agreement.

        Kind regards,""", kind="alt"),
        M("nw08", "2024-01-29 15:30", "dana", ["zoe"], ["ap"], "", """
        Dear Zoë,

        Thank you. The supplier form and my bank details are on their way through your secure
        upload link, and I will quote NW-PO-4471 on every invoice.

        Best regards,
        Dana""", parent="nw07"),
        M("nw09", "2024-02-01 08:45", "greg", ["dana"], ["tom"],
          "Kick-off meeting – Monday 5 February", """
        Hi Dana,

        Welcome aboard, the agreement is effective from today. Kick-off is booked for Monday
        5 February at 10:00 in the 3rd-floor meeting room at our office. Tom Okafor from the web
        team will join, and Zoë will dial in from New York.

        Agenda: scope walkthrough, environments and access, weekly status, and the 30 April
        delivery date.

        Thanks,""", kind="html"),
        M("nw10", "2024-02-01 09:20", "dana", ["greg"], ["tom"], "", """
        Hi Greg,

        Confirmed, see you on Monday at 10:00. I'll bring a draft plan for both milestones.

        Dana""", parent="nw09"),
        M("nw11", "2024-02-05 16:30", "dana", ["greg"], ["zoe", "tom"],
          "Kick-off notes and next steps", """
        Hi all,

        Thanks for this morning. Summary of what we agreed:

        - Scope as per the Statement of Work: points, tiers, vouchers, admin screens, docs
        - Delivery date: 30 April 2024, unchanged from the agreement
        - Weekly status email every Friday; staging environment from 12 February
        - Tom to provide access to the order-service API by 9 February

        Full minutes are in my notes. Shout if I missed anything.

        Best,
        Dana"""),
        M("nw12", "2024-02-19 17:10", "dana", ["greg"], [], "Progress update – week 3", """
        Hi Greg,

        Quick update: the points engine is working on staging. Points are calculated on the
        order total after discounts, as agreed at kick-off.

        From next week I will start on the tier engine (Bronze, Silver, Gold) and the nightly
        recalculation job.

        No blockers at the moment, and we remain on track for 30 April.

        Dana"""),
        M("nw13", "2024-03-08 11:15", "greg", ["dana"], [], "Loyalty module – referral bonus?", """
        Hi Dana,

        Our marketing team has asked whether we can add a referral bonus: when an existing member
        refers a friend who places a first order, both get bonus points. Is this something you
        could fit in before the end of April? Happy to discuss cost.

        Could we have a quick call early next week?""", kind="html"),
        M("nw14", "2024-03-08 13:40", "dana", ["greg"], [], "", """
        Hi Greg,

        Yes, that should be doable. Shall we talk on Tuesday 12 March at 14:00? I'll come with
        an estimate.

        Dana""", parent="nw13"),
        M("nw15", "2024-03-12 18:00", "dana", ["greg"], ["zoe"],
          "Change note CN-01 – referral bonus", """
        Hi Greg, hi Zoë,

        As agreed on our call this afternoon, here is change note CN-01:

        - Change: add a referral bonus feature (referral codes, bonus points for the referrer and
          the new customer, limit of 10 referrals per member per month)
        - Additional fee: £3,000 fixed, invoiced together with the final milestone
        - Deadline: unchanged, the loyalty module will still be delivered no later than
          30 April 2024
        - New total contract value: £27,000

        Please reply to confirm your approval and I'll start straight away.

        Best,
        Dana"""),
        M("nw16", "2024-03-13 09:05", "greg", ["dana"], ["zoe"], "", """
        Hi Dana,

        Approved, please go ahead with CN-01. Thanks for turning this round so quickly.""",
          parent="nw15", kind="alt"),
        M("nw17", "2024-03-14 10:30", "zoe", ["dana"], ["greg"], "", """
        Hi Dana,

        Noted on the finance side. I have amended purchase order NW-PO-4471 to £27,000 to cover
        CN-01.

        Best,""", parent="nw16", kind="alt"),
        M("nw18", "2024-03-22 17:45", "dana", ["greg"], ["tom"],
          "Progress update – points and tiers complete", """
        Hi Greg,

        Milestone 1 is done: the points engine and the three tiers are running on staging with
        last year's order data, and Tom's team can try it. Next up: vouchers and the referral
        bonus. Still on track for 30 April.

        Dana"""),
        M("nw19", "2024-04-05 16:20", "dana", ["greg"], [],
          "Progress update – vouchers and referral bonus", """
        Hi Greg,

        Vouchers can now be created in the admin screens and redeemed at checkout on staging.
        The referral bonus is about 70% done. Plan: feature-complete by 19 April, a week of
        testing, then delivery on Friday 26 April.

        Dana"""),
        # Deliberately broken thread: a "Re:" subject without In-Reply-To/References.
        M("nw20", "2024-04-08 09:40", "greg", ["dana"], [], "", """
        Hi Dana,

        Great progress, thanks. I tried the voucher flow on staging and it works well. The team
        is pleased.""", parent="nw19", kind="alt", threaded=False),
        M("nw21", "2024-04-19 17:30", "dana", ["greg"], [], "Weekly status – 19 April", """
        Hi Greg,

        All features are complete, including the referral bonus from CN-01. This week: 212
        automated tests passing, load test at 3x peak traffic passed, admin user guide drafted.

        Next week: final fixes and delivery on Friday 26 April, ahead of the 30 April 2024
        deadline. The full status report (weekly-status-2024-04-19.docx) is on the shared drive.

        Dana"""),
        M("nw22", "2024-04-26 15:05", "dana", ["greg"], ["zoe", "tom"],
          "Delivery: Northwind loyalty module v1.0", """
        Hi Greg,

        I'm pleased to confirm delivery of the Northwind loyalty module, version 1.0, today. The
        code is merged into your repository (tag v1.0.0) and deployed to staging; the release
        notes are attached.

        Delivered: points engine, Bronze/Silver/Gold tiers, vouchers, referral bonus (CN-01),
        admin screens and the user guide.

        Under clause 6 of the Consultancy Agreement the acceptance period is 10 business days,
        so please tell me in writing about any issues by 13 May 2024 (the 6 May bank holiday is
        excluded).

        Thanks to you and Tom's team for a smooth project.

        Best,
        Dana""", attach=(("release-notes-v1.0.txt", RELEASE_NOTES.encode(), "text/plain"),)),
        M("nw23", "2024-04-29 08:52", "greg", ["dana"], [], "", "Received, thanks.\n\nGreg",
          parent="nw22", sig="Sent from my iPhone"),
        M("nw24", "2024-04-30 10:15", "dana", ["ap"], ["zoe", "greg"],
          "Invoice INV-2024-007 – Northwind loyalty module", """
        Dear Accounts Payable team,

        Please find attached invoice INV-2024-007 for the Northwind loyalty module, purchase
        order NW-PO-4471:

        - Milestone 1, points engine and tiers: £12,000.00
        - Milestone 2, vouchers, delivery and handover: £12,000.00
        - Change note CN-01, referral bonus: £3,000.00
        - Total: £27,000.00

        Invoice date: 30 April 2024. Payment is due within 30 days, by 30 May 2024. My bank
        details are on the invoice.

        Kind regards,
        Dana Whitfield""", attach=(("INV-2024-007.pdf", invoice, "application/pdf"),)),
        M("nw25", "2024-05-02 09:30", "zoe", ["dana"], ["ap"], "", """
        Hi Dana,

        Received, thank you. The invoice has been logged and will go into the payment run.

        Best,""", parent="nw24", kind="alt"),
        # --- silence from the client from here until 19 July ---
        M("nw26", "2024-05-31 09:00", "dana", ["ap"], ["zoe"], "", """
        Dear Accounts Payable team,

        Invoice INV-2024-007 for £27,000.00 fell due yesterday, 30 May 2024, and I have not yet
        received payment. Could you let me know when it is scheduled?

        Thank you,
        Dana Whitfield""", parent="nw25"),
        M("nw27", "2024-06-10 10:30", "dana", ["zoe"], ["greg", "ap"],
          "Overdue invoice INV-2024-007", """
        Dear Zoë,

        I'm following up on invoice INV-2024-007 (£27,000.00, due 30 May 2024), which is now 11
        days overdue. I emailed Accounts Payable on 31 May but have had no reply. Could you
        please confirm the payment date?

        Kind regards,
        Dana"""),
        M("nw28", "2024-06-24 11:00", "dana", ["zoe", "greg"], ["ap"], "", """
        Dear Zoë, dear Greg,

        A second reminder: invoice INV-2024-007 is now 25 days overdue. I also left voicemails
        on 3 June and 17 June. If there is a problem with the invoice, please tell me so that we
        can resolve it.

        Kind regards,
        Dana""", parent="nw27"),
        M("nw29", "2024-07-08 09:45", "dana", ["greg", "zoe"], ["ap"],
          "Final reminder: INV-2024-007 (£27,000.00) – 39 days overdue", """
        Dear Greg, dear Zoë,

        This is a final reminder that invoice INV-2024-007 for £27,000.00, due on 30 May 2024,
        remains unpaid and is now 39 days overdue. I have had no response to my emails of
        31 May, 10 June, 17 June and 24 June, or to my voicemails.

        Please arrange payment within 7 days. If I do not hear from you, I will have to consider
        formal steps to recover the debt.

        Kind regards,
        Dana Whitfield""", kind="alt"),
        M("nw30", "2024-07-19 16:55", "greg", ["dana"], ["zoe"], "", """
        Dana,

        We have reviewed the project internally. Unfortunately the loyalty module did not meet
        our expectations, we will not be paying the invoice.

        Regards,""", parent="nw29", kind="alt"),
        M("nw31", "2024-07-22 10:10", "dana", ["greg"], ["zoe"], "", """
        Dear Greg,

        Thank you for your email of 19 July. I am surprised by it: this is the first time in
        the 84 days since delivery that any concern about the loyalty module has been raised.

        - The module was delivered on 26 April 2024 and you acknowledged receipt on 29 April.
        - Clause 6 of the Consultancy Agreement says deliverables are deemed accepted if the
          Client raises no written objection within 10 business days of delivery. That period
          ended on 13 May 2024 without any objection.
        - Zoë confirmed receipt of invoice INV-2024-007 on 2 May; it fell due on 30 May 2024.

        The fee is therefore payable in full. If you believe specific features do not work as
        specified, please list them and I will look at them, but that does not put the invoice
        on hold. Please pay £27,000.00 by 2 August 2024.

        Kind regards,
        Dana""", parent="nw30"),
        M("nw32", "2024-08-05 09:00", "dana", ["greg", "zoe"], ["ap"],
          "Letter before action – unpaid invoice INV-2024-007", """
        Dear Mr Thornton, dear Ms Adeyemi,

        LETTER BEFORE ACTION

        I write about unpaid invoice INV-2024-007 dated 30 April 2024 for £27,000.00, for the
        loyalty module delivered on 26 April 2024 under the Consultancy Agreement dated
        15 January 2024. Payment was due on 30 May 2024. The deliverables were deemed accepted
        under clause 6 on 13 May 2024; no objection was raised until 19 July 2024.

        I claim:

        - the principal sum of £27,000.00;
        - statutory interest under the Late Payment of Commercial Debts (Interest) Act 1998 at
          13.25% a year (8% above the Bank of England base rate of 5.25%) from 31 May 2024,
          currently £9.80 a day;
        - fixed compensation of £100.00.

        Unless payment is received within 14 days of this letter, by 19 August 2024, I intend
        to issue proceedings in the County Court without further notice.

        Yours sincerely,
        Dana Whitfield""", kind="alt"),
    ]


def standalone_emls() -> dict[str, Mail]:
    """Three loose .eml files: messages that are NOT in the mbox."""
    return {
        "fwd-po-raised-zoe.eml": Mail(
            "eml-zoe", "2024-02-14 09:05", "zoe", ["dana"], [],
            "Fwd: PO NW-PO-4471 raised – Whitfield Digital", """
        Hi Dana,

        FYI, your purchase order is now live. Please quote it on all invoices.

        ---------- Forwarded message ---------
        From: Northwind Accounts Payable <ap@northwind-retail.example>
        Date: Tue, 13 Feb 2024 at 14:02
        Subject: PO NW-PO-4471 raised – Whitfield Digital
        To: Zoë Adeyemi <zoe.adeyemi@northwind-retail.example>

        Purchase order NW-PO-4471 has been raised.
        Supplier: Whitfield Digital (Dana Whitfield)
        Value: £24,000.00
        Payment terms: 30 days from invoice date
        Description: Loyalty module, agreement of 15 January 2024""", kind="alt"),
        "greg-staging-feedback.eml": Mail(
            "eml-greg", "2024-04-12 14:20", "greg", ["dana"], ["tom"],
            "Staging feedback – vouchers and tiers", """
        Hi Dana,

        We ran through the staging build with the marketing team this morning. The voucher flow
        looks great and everyone liked the tier badges. Two small wishes: show the points
        balance in the site header, and make the Gold badge a little darker. Neither is urgent.

        Thanks,""", kind="alt"),
        "dana-sent-2024-06-17-call-request.eml": Mail(
            "eml-dana", "2024-06-17 10:20", "dana", ["greg"], [],
            "Tried calling you – INV-2024-007", """
        Hi Greg,

        I tried to call you this morning and left a voicemail. Could you give me a call back
        about invoice INV-2024-007? I have had no reply to my emails since 2 May.

        Thanks,
        Dana"""),
    }


def bluebird_mails() -> list[Mail]:
    return [
        Mail("bb1", "2024-03-04 10:12", "maria", ["dana"], [], "Menu page for the bakery website",
             """
        Hi Dana,

        A friend gave me your name. We need a proper menu page on our website, with prices and
        allergens, that I can update myself when the seasonal bakes change. Could you help?

        Thanks!"""),
        Mail("bb2", "2024-03-04 16:40", "dana", ["maria"], [], "", """
        Hi Maria,

        Happy to help. A simple editable menu page would be £850 fixed, ready in early April.
        Shall we have a call on Wednesday 20 March at 11:00 to go through your menu?

        Best,
        Dana""", parent="bb1"),
        Mail("bb3", "2024-04-03 15:00", "dana", ["maria"], [], "Menu page is live", """
        Hi Maria,

        The new menu page is live, and the editing guide is in the shared folder. My invoice
        INV-2024-004 for £850.00 follows separately; payment within 14 days is fine.

        Best,
        Dana"""),
        Mail("bb4", "2024-04-09 08:35", "maria", ["dana"], [], "", """
        Hi Dana,

        Paid your invoice this morning, thank you! Customers love the page. Next year we might
        do a loyalty stamp card online, so I may be in touch again.

        Croissants are on us next time you are in Bristol.""", parent="bb3"),
    ]


# --------------------------------------------------------------------------- notes & call log
KICKOFF = """\
---
title: Kick-off meeting – Northwind loyalty module
date: 2024-02-05T10:00:00+00:00
attendees: [Dana Whitfield, Greg Thornton, Zoë Adeyemi, Tom Okafor]
---
# Kick-off meeting – Northwind loyalty module

Location: Northwind office, 3rd-floor meeting room (Zoë by video from New York).
Minutes: Dana Whitfield

## Decisions

1. Scope as per the Statement of Work: points engine, Bronze/Silver/Gold tiers, vouchers,
   admin screens and documentation.
2. Points are calculated on the order total after discounts, excluding delivery charges.
3. Tier thresholds: Silver at 1,000 points, Gold at 5,000 points, recalculated nightly.
4. The delivery deadline of **30 April 2024** is confirmed; Milestone 1 demo targeted for
   22 March 2024.
5. Dana sends a status email every Friday; Greg is the single point of contact for scope.

## Action items

| Owner | Action                                         | Due         |
|-------|------------------------------------------------|-------------|
| Tom   | Staging environment and order-service API key  | 9 Feb 2024  |
| Dana  | Project plan for both milestones               | 7 Feb 2024  |
| Zoë   | Raise purchase order NW-PO-4471                | 14 Feb 2024 |
| Greg  | Confirm tier names and benefits with marketing | 16 Feb 2024 |

## Risks

- The order-service API is undocumented; Tom will pair with Dana in week 1.
- Any scope change must go through a written change note to protect the 30 April 2024 date.
"""

SCOPE_CALL = """\
Scope change call - Greg Thornton / Dana Whitfield
Phone, 14:00-14:32

Greg: marketing wants a referral bonus. Existing member shares a code, friend places a first
order, both get bonus points. They want it in the launch, not a later phase.

Discussed:
- referral codes per member, 500 bonus points each side
- fraud limit: max 10 referrals per member per month
- no change to tiers or vouchers

Agreed:
- extra fee GBP 3,000 fixed, invoiced with the final milestone
- deadline stays the same (end of April), I can absorb it
- I send change note CN-01 by email tonight, Greg approves in writing, Zoe updates the PO

Greg sounded very happy with progress so far ("exactly what we wanted").
"""

ACCEPTANCE = """\
# Acceptance review – Northwind loyalty module v1.0

Date: 29 April 2024
Prepared by: Dana Whitfield

Delivered on Friday 26 April 2024 (email "Delivery: Northwind loyalty module v1.0", release
notes attached). Greg acknowledged this morning: "Received, thanks."

## Deliverables against the Statement of Work

- [x] Points engine – on staging, 214 automated tests passing
- [x] Tiers Bronze / Silver / Gold – nightly recalculation verified on last year's data
- [x] Vouchers – admin creation and checkout redemption
- [x] Referral bonus (change note CN-01)
- [x] Admin screens
- [x] Documentation – user guide, API reference, runbook

## Acceptance window

Clause 6 of the agreement (SOW section 5): deemed accepted unless the client objects in
writing within 10 business days of delivery. Counting from 26 April and skipping the 6 May
bank holiday, the window closes on **13 May 2024**.

Open issues reported by the client: none. Greg's two wishes from 12 April (points balance in
the header, darker Gold badge) were done before delivery.

Next: invoice INV-2024-007 (£27,000) goes out tomorrow.
"""


def call_log() -> str:
    rows = [
        ("2024-01-10", "11:00", "Outgoing", "Greg Thornton", "18:45",
         "Scope, fee and timeline for the loyalty module"),
        ("2024-02-12", "15:30", "Incoming", "Greg Thornton", "7:10",
         "Staging access and order-service API"),
        ("2024-03-12", "14:00", "Outgoing", "Greg Thornton", "32:15",
         "Scope change: referral bonus, agreed +£3,000, deadline unchanged"),
        ("2024-04-23", "10:15", "Incoming", "Greg Thornton", "9:40",
         "Pre-delivery check; Greg happy with staging"),
        ("2024-05-02", "15:10", "Outgoing", "Zoë Adeyemi", "4:05",
         "Invoice INV-2024-007 received and logged for payment run"),
        ("2024-06-03", "14:00", "Outgoing", "Zoë Adeyemi", "0:00", "No answer, left voicemail"),
        ("2024-06-17", "10:00", "Outgoing", "Greg Thornton", "0:00", "No answer, left voicemail"),
        ("2024-06-17", "15:00", "Outgoing", "Zoë Adeyemi", "0:00", "No answer, left voicemail"),
        ("2024-07-01", "11:30", "Outgoing", "Greg Thornton", "0:00", "No answer, left voicemail"),
        ("2024-07-15", "09:45", "Outgoing", "Greg Thornton", "0:00", "No answer, left voicemail"),
        ("2024-07-29", "10:00", "Outgoing", "Greg Thornton", "0:00", "Call declined"),
    ]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # RFC 4180, as phone exports do
    writer.writerow(["Date", "Time", "Direction", "Contact", "Duration", "Notes"])
    writer.writerows(rows)
    return buf.getvalue()


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with sorted members and a fixed 1980-01-01 timestamp (reproducible)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in sorted(src.namelist()):  # "[Content_Types].xml" sorts first, as Word wants
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type, info.create_system = zipfile.ZIP_DEFLATED, 3
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name))
    return out.getvalue()


def weekly_status_docx() -> bytes:
    doc = Document()
    props = doc.core_properties
    props.author = props.last_modified_by = "Dana Whitfield"
    props.title = "Weekly status report – Northwind loyalty module"
    props.created = datetime(2024, 4, 19, 16, 0)  # UTC; 17:00 in London (BST)
    props.modified = datetime(2024, 4, 19, 16, 25)
    props.revision = 3
    doc.add_heading("Weekly status report – Northwind loyalty module", level=1)
    doc.add_paragraph("Week ending: 19 April 2024\nAuthor: Dana Whitfield, Whitfield Digital\n"
                      "Recipient: Greg Thornton, Northwind Retail Ltd")
    doc.add_heading("Summary", level=2)
    doc.add_paragraph("All features are complete, including the referral bonus from change note "
                      "CN-01. Delivery is planned for Friday 26 April 2024, ahead of the "
                      "30 April 2024 deadline in the Consultancy Agreement.")
    table = doc.add_table(rows=1, cols=3)
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, ("Workstream", "Status", "Notes"), strict=True):
        cell.text = text
    for row in [("Points engine", "Done", "On staging since 19 February"),
                ("Tiers", "Done", "Milestone 1 demonstrated 22 March"),
                ("Vouchers", "Done", "Admin creation and checkout redemption"),
                ("Referral bonus (CN-01)", "Done", "Approved by Greg on 13 March"),
                ("Admin screens", "Done", "Members, ledger, vouchers, referrals"),
                ("Documentation", "In progress", "User guide drafted; runbook next week"),
                ("Testing", "In progress", "212 automated tests passing; load test passed")]:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    doc.add_heading("Next week", level=2)
    for item in ("Fix the last minor findings from Tom's team",
                 "Finish the runbook and API reference",
                 "Merge to Northwind's repository, tag v1.0.0, deliver on 26 April 2024"):
        doc.add_paragraph(item, style="List Bullet")
    doc.add_heading("Risks", level=2)
    doc.add_paragraph("None. No open questions from the client.")
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_zip(buf.getvalue())


BLUEBIRD_NOTE = """\
---
title: Menu page call with Maria (Bluebird Bakery)
date: 2024-03-20T11:00:00+00:00
attendees: [Dana Whitfield, Maria Santos]
---
# Menu page call – Bluebird Bakery

- Menu in four sections: bread, pastries, cakes, drinks; allergens shown per item.
- Maria edits prices herself; keep the editor simple (no developer needed).
- Seasonal bakes section switched on and off by Maria.
- Fixed price £850 as quoted; go-live target early April 2024.
- Maria mentioned a loyalty stamp card for later – out of scope for now.
"""


# --------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check-ocr", action="store_true", help="OCR the scan and score it")
    args = parser.parse_args()
    missing = [str(p) for p in FONTS.values() if not p.is_file()]
    if missing:
        sys.exit(f"Missing font(s): {', '.join(missing)}\n"
                 "Install DejaVu (Debian/Ubuntu: apt-get install fonts-dejavu-core).")
    register_fonts()

    invoice = invoice_pdf()
    count = write_mbox("northwind/mail/northwind-2024.mbox", northwind_mails(invoice))
    for name, mail in standalone_emls().items():
        write_eml(f"northwind/mail/{name}", mail)
    write("northwind/notes/2024-02-05-kickoff-meeting.md", KICKOFF)
    write("northwind/notes/2024-03-12 scope change call.txt", SCOPE_CALL)
    write("northwind/notes/acceptance-review.md", ACCEPTANCE)
    write("northwind/notes/weekly-status-2024-04-19.docx", weekly_status_docx())
    write("northwind/calls/call-log-2024.csv", call_log())
    write("northwind/contracts/statement-of-work.pdf", sow_pdf())
    scan_pdf, truth = contract_pdf()
    write("northwind/contracts/consultancy-agreement-signed.pdf", scan_pdf)
    write("ground_truth/consultancy-agreement-signed.txt", truth)
    bb = write_mbox("bluebird/mail/bluebird-2024.mbox", bluebird_mails())
    write("bluebird/notes/2024-03-20-menu-call.md", BLUEBIRD_NOTE)

    print(f"Wrote {len(WRITTEN)} files ({count} Northwind mails, {bb} Bluebird mails):")
    for path in WRITTEN:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        print(f"  {path.stat().st_size:>9,}  {digest}  {path.relative_to(ROOT)}")
    if args.check_ocr and check_ocr() < 0.98:
        sys.exit("OCR accuracy below 98 %: make the scan noise milder")


if __name__ == "__main__":
    main()
