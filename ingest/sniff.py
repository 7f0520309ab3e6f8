"""Content sniffing: what a file *is*, judged by its bytes first and its name second."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["OLE_MAGIC", "OLE_MIN_SIZE", "looks_like_mbox_separator", "sniff", "unicode_codec", "utf16_codec"]

# An OLE2 compound file (Outlook .msg, legacy and encrypted Office files) and the smallest
# one can be: header sector + one FAT sector + one directory sector
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE_MIN_SIZE = 1536

# A real mbox "From " separator names a sender and ends in a ctime-like date; a body line
# such as "From time to time" does not, so it must not split a message.
_FROM_LINE = re.compile(
    rb"^From \S+.*\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b.*\b\d{1,2}:\d{2}(?::\d{2})?\b.*\b\d{4}\b"
)
_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:[ \t]?")
_MAIL_HEADERS = {
    b"from", b"to", b"date", b"subject", b"received", b"message-id", b"return-path",
    b"mime-version", b"delivered-to", b"x-mailer", b"reply-to", b"cc", b"content-type",
    b"x-original-to", b"dkim-signature", b"thread-topic", b"sender", b"arc-seal",
}

_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))
_EXTENSION_TEXT_TYPES = {
    "md": "text/markdown",
    "markdown": "text/markdown",
    "csv": "text/csv",
    "html": "text/html",
    "htm": "text/html",
    "eml": "message/rfc822",
    "emlx": "message/x-emlx",
}
# Apple Mail's .emlx: a line with the message's length in bytes, then the message
_EMLX_COUNT = re.compile(rb"\A[ \t]*\d{1,12}[ \t]*(?:\r\n|\n|\r)")


def looks_like_mbox_separator(line: bytes) -> bool:
    """True when ``line`` is an mbox "From " separator rather than body text."""
    return line.startswith(b"From ") and bool(_FROM_LINE.match(line.rstrip(b"\r\n")))


def utf16_codec(head: bytes) -> str | None:
    """The UTF-16 codec ``head`` is written in (with or without a BOM), if it is."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = head[:512]
    if len(sample) >= 16:
        # ASCII text in UTF-16 has a NUL in every other byte and none in the rest
        odd, even = sample[1::2], sample[0::2]
        if odd.count(0) > len(odd) * 0.9 and even.count(0) == 0:
            return "utf-16-le"
        if even.count(0) > len(even) * 0.9 and odd.count(0) == 0:
            return "utf-16-be"
    return None


# UTF-32 first: its little-endian BOM begins with UTF-16's
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_WIDE_CODECS = (("utf-32-le", 4), ("utf-32-be", 4), ("utf-16-le", 2), ("utf-16-be", 2))
_WIDE_SAMPLE = 4096
_NOT_TEXT_CATEGORIES = frozenset({"Cc", "Cn", "Co", "Cs"})


def unicode_codec(head: bytes) -> str | None:
    """The UTF-16 or UTF-32 codec ``head`` is written in, by its BOM or, without one, by its
    content; None for anything else (UTF-8 and the 8-bit charsets included).

    Without a BOM a codec is named only when the sample decodes strictly to text: no NUL
    characters, next to no control, unassigned or private-use ones, and at least a tenth
    ASCII (spaces, digits, line ends: every script's text has some). That is what tells
    UTF-16LE Arabic from the same bytes read big-endian (a run of CJK and dingbats), and
    real text from a binary file, whose runs of zero bytes decode to NULs.
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    sample = head[:_WIDE_SAMPLE]
    if b"\x00" not in sample:
        return None  # every UTF-16/32 text of any length has a zero byte somewhere
    for codec, width in _WIDE_CODECS:
        if _reads_as_text(sample, codec, width):
            return codec
    return None


def _reads_as_text(sample: bytes, codec: str, width: int) -> bool:
    """True when ``sample`` decodes strictly with ``codec`` to what reads as text."""
    usable = len(sample) - len(sample) % width
    if usable < 4 * width:
        return False
    try:
        text = sample[:usable].decode(codec)
    except UnicodeDecodeError:
        try:  # the sample may end inside a surrogate pair
            text = sample[: usable - width].decode(codec)
        except UnicodeDecodeError:
            return False
    if not text or "\x00" in text:
        return False
    unusual = sum(1 for c in text if c not in "\t\n\r\f" and unicodedata.category(c) in _NOT_TEXT_CATEGORIES)
    ascii_share = sum(1 for c in text if c < "\x80") / len(text)
    return unusual <= len(text) // 100 and ascii_share >= 0.1


def _decode_head(head: bytes) -> bytes:
    """Headers written as UTF-16 or UTF-32 are re-read as ASCII-compatible bytes."""
    codec = unicode_codec(head)
    if codec:
        return head.decode(codec, errors="ignore").encode("utf-8", errors="ignore")
    return head.removeprefix(b"\xef\xbb\xbf")


def _looks_like_headers(head: bytes) -> bool:
    lines = re.split(rb"\r\n|\r|\n", head)
    seen_mail_header = 0
    checked = 0
    for line in lines[:40]:
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            continue  # folded continuation of the previous header
        match = _HEADER_LINE.match(line)
        if not match:
            return False
        checked += 1
        name = line.split(b":", 1)[0].strip().lower()
        if name in _MAIL_HEADERS:
            seen_mail_header += 1
    return checked >= 2 and seen_mail_header >= 2


def _is_text(head: bytes) -> bool:
    if not head:
        return False
    if head.startswith(b"\xef\xbb\xbf") or unicode_codec(head):
        return True
    if b"\x00" in head:
        return False
    controls = len(head.translate(None, _NOT_CONTROL))  # C-speed count of control bytes
    return controls <= len(head) // 100


def _zip_kind(head: bytes) -> str:
    # Office and OpenDocument files are zips too, but they are one document, not a folder
    # of evidence: keep them whole (read .docx, store the rest) instead of expanding them.
    if b"word/" in head:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if b"xl/" in head:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if b"ppt/" in head:
        return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    if head[30:38] == b"mimetype":
        declared = head[38:120].split(b"PK", 1)[0]
        if declared.startswith((b"application/vnd.oasis.opendocument", b"application/epub+zip")):
            return declared.decode("ascii", "replace")
    if b"[Content_Types].xml" in head:
        return "application/vnd.openxmlformats-officedocument"
    return "application/zip"


def sniff(head: bytes, filename: str = "") -> str:
    """The content type of a file whose first bytes are ``head`` (8 KiB is plenty)."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not head:
        return "application/x-empty"
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(head)
    if head.startswith(b"!BDN"):
        # an Outlook data file (.pst, .ost): the PST reader says what is wrong with a damaged one
        return "application/vnd.ms-outlook-pst"
    if head.startswith(OLE_MAGIC):
        # OLE2 compound file: an Outlook item has __substg1.0_ streams, a Word 97 file does not
        if ext == "msg" or "__substg1.0_".encode("utf-16-le") in head or b"__substg1.0_" in head:
            return "application/vnd.ms-outlook"
        return "application/x-ole-storage"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc", b"ftypmsf1"):
        return "image/heic"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if not _is_text(head):
        # a stray NUL or two in a header (a broken mailer, a hostile sender) does not make a
        # message binary: it is still mail, and the mail reader says what was wrong with it
        if head.count(0) <= max(16, len(head) // 100) and _looks_like_headers(head.replace(b"\x00", b"").lstrip()):
            return "message/rfc822"
        return "application/octet-stream"
    text = _decode_head(head)
    if (count := _EMLX_COUNT.match(text)) and _looks_like_headers(text[count.end() :]):
        return "message/x-emlx"
    first_line = text.split(b"\n", 1)[0]
    if ext == "mbox" and first_line.startswith(b"From "):
        return "application/mbox"
    if looks_like_mbox_separator(first_line):
        # a single saved message often keeps its mbox "From " line; the parser skips it
        return "message/rfc822" if ext == "eml" else "application/mbox"
    stripped = text.lstrip()
    if _looks_like_headers(stripped):
        return "message/rfc822"
    lowered = stripped[:200].lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    return _EXTENSION_TEXT_TYPES.get(ext, "text/plain")
