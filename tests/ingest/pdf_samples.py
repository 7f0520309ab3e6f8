"""Hand-built PDFs for tests: hostile structures that no generator library will write, and
small text PDFs (alone or attached to an email) for date tests."""

from __future__ import annotations

import io
import zlib
from email.message import EmailMessage

from reportlab.pdfgen import canvas

__all__ = [
    "array_bomb_pdf", "build_pdf", "circular_xref_pdf", "image_bomb_pdf", "mail_with_pdf", "one_line_pdf",
    "page_cycle_pdf",
]


def build_pdf(objects: list[bytes], root: int = 1, prev: int | None = None) -> bytes:
    """A PDF file from numbered object bodies (1-based), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, root)
    if prev is not None:
        trailer += b" /Prev %d" % (xref_at if prev == -1 else prev)
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def image_bomb_pdf(width: int = 100_000, height: int = 100_000) -> bytes:
    """One page showing one 1-bit image that declares ``width`` x ``height`` pixels.

    The stream holds only a few KB of deflated zeros: a renderer that trusts the
    declared size would allocate width*height pixels.
    """
    pixels = zlib.compress(b"\x00" * 4096, 9)
    image = _stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 1 /Filter /FlateDecode" % (width, height),
        pixels,
    )
    content = _stream(b"", b"q 612 0 0 792 0 0 cm /Im0 Do Q")
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
            image,
            content,
        ]
    )


def circular_xref_pdf() -> bytes:
    """A PDF whose trailer's /Prev points back at its own xref table (an endless chain)."""
    content = _stream(b"", b"BT /F1 24 Tf 72 700 Td (Circular reference test) Tj ET")
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            content,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ],
        prev=-1,
    )


def page_cycle_pdf() -> bytes:
    """A PDF whose page tree contains itself (/Kids of the root /Pages is the root)."""
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        ]
    )


def array_bomb_pdf(elements: int = 100_001) -> bytes:
    """A one-page PDF whose catalog carries an array longer than pypdf will parse."""
    junk = b"[" + b"0 " * elements + b"]"
    content = _stream(b"", b"BT /F1 24 Tf 72 700 Td (Array limit test page) Tj ET")
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Junk " + junk + b" >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            content,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def one_line_pdf(text: str) -> bytes:
    """A one-page text PDF saying ``text``."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.drawString(60, 780, text)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def mail_with_pdf(pdf: bytes, *, sender: str, date_header: str, subject: str, filename: str) -> bytes:
    """An email from ``sender`` carrying ``pdf`` as the attachment ``filename``."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "someone@example.com", subject
    message["Date"] = date_header
    message.set_content("Attached.")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return message.as_bytes()


def written(writer: object) -> bytes:
    """The bytes a pypdf ``PdfWriter`` writes."""
    out = io.BytesIO()
    writer.write(out)  # type: ignore[attr-defined]
    return out.getvalue()
