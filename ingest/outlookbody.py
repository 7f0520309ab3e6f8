"""What an Outlook .msg says in words: its strings in the right code page, and its body.

Outlook writes strings either as UTF-16 (``001F`` streams) or in the message's own 8-bit
code page (``001E`` streams), named by PR_MESSAGE_CODEPAGE (0x3FFD) or, for the internet
body, PR_INTERNET_CPID (0x3FDE). extract-msg falls back to ISO-8859-15 when the first is
missing, which turns a Chinese or Cyrillic message into mojibake: here the second is
used next, then the bytes themselves. Bodies kept only as RTF (Outlook's own format) are
de-encapsulated by extract-msg when they wrap HTML or text, and otherwise read as RTF.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from typing import TypeVar

import extract_msg
from charset_normalizer import from_bytes
from extract_msg.encoding import lookupCodePage
from extract_msg.enums import ErrorBehavior
from extract_msg.msg_classes import MSGFile

from .errors import IngestError
from .rtf import strip_rtf
from .text import clean_text, decode_bytes, html_to_text

__all__ = ["body", "code_page", "open_msg", "string"]

_T = TypeVar("_T")
# Keep going past broken attachments, bad RTF and sloppy S/MIME wrapping: we report them.
_TOLERANT = ErrorBehavior.ATTACH_SUPPRESS_ALL | ErrorBehavior.RTFDE | ErrorBehavior.STANDARDS_VIOLATION
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_PLAIN_STREAMS = ("__substg1.0_1000001F", "__substg1.0_1000001E")
_HTML_STREAM = "__substg1.0_10130102"
_RTF_STREAM = "__substg1.0_10090102"


def attempt(call: Callable[[], _T], default: _T) -> _T:
    """``call()``, or ``default`` when extract-msg fails on one damaged part of a file."""
    try:
        return call()
    except IngestError:
        raise
    except Exception:  # any library error on hostile bytes: the rest may still be readable
        return default


def _codec(page: object) -> str | None:
    """The Python codec of a Windows code page number, None when unknown or absent."""
    if not isinstance(page, int) or isinstance(page, bool) or page <= 0:
        return None
    try:
        # Python's own "cpN" is Windows' table itself (cp936 is GBK, a superset of the
        # GB2312 extract-msg names for it); other pages by extract-msg's table
        return codecs.lookup(f"cp{page}").name
    except LookupError:
        pass
    try:
        return codecs.lookup(lookupCodePage(page)).name
    except Exception:  # extract-msg raises its own errors for unknown and unsupported pages
        return None


def code_page(msg: MSGFile) -> str | None:
    """The codec of the message's 8-bit text: PR_MESSAGE_CODEPAGE, else PR_INTERNET_CPID."""
    for tag in ("3FFD0003", "3FDE0003"):
        if found := _codec(attempt(lambda t=tag: msg.getPropertyVal(t), None)):
            return found
    return None


def _ansi_streams(msg: MSGFile) -> bytes:
    names = attempt(lambda: [entry[-1] for entry in msg.listDir() if len(entry) == 1], [])
    chunks = [attempt(lambda n=name: msg.getStream(n), None) for name in names if name.upper().endswith("001E")]
    return b"\n".join(c for c in chunks if isinstance(c, bytes))[:200_000]


def _override(msg: MSGFile) -> tuple[str | None, str]:
    """(the codec to read a non-Unicode message's strings with, where it came from); no
    codec when extract-msg's own choice is right (Unicode strings, a known 0x3FFD)."""
    if attempt(lambda: msg.areStringsUnicode, True):
        return None, ""
    if page := _codec(attempt(lambda: msg.getPropertyVal("3FFD0003"), None)):
        return None, f"{page} (PR_MESSAGE_CODEPAGE)"
    if page := _codec(attempt(lambda: msg.getPropertyVal("3FDE0003"), None)):
        return page, f"{page} (PR_INTERNET_CPID)"
    sample = _ansi_streams(msg)
    best = from_bytes(sample).best() if sample else None
    if best is not None and best.encoding:
        return codecs.lookup(best.encoding).name, f"{codecs.lookup(best.encoding).name} (detected from the text)"
    return None, ""


def open_msg(data: bytes) -> tuple[MSGFile, str]:
    """The opened message, its strings read in the message's own code page, and a note of
    that code page for non-Unicode messages ("" for Unicode ones). The caller closes it."""
    msg = extract_msg.openMsg(data, strict=False, errorBehavior=_TOLERANT)
    encoding, note = _override(msg)
    if encoding:
        msg.close()
        msg = extract_msg.openMsg(data, strict=False, errorBehavior=_TOLERANT, overrideEncoding=encoding)
    return msg, note


def _string_stream(msg: MSGFile, name: str) -> str | None:
    """The string property stream ``name`` (without its type suffix) as written, or None.

    extract-msg decodes strictly: a stream whose bytes the code page does not quite fit
    (or a 001E stream in a Unicode message) is decoded here as best we can, not dropped.
    """
    value = attempt(lambda: msg.getStringStream(name), None)
    if value is None:
        raw = attempt(lambda: msg.getStream(name + "001E"), None)
        if isinstance(raw, bytes):
            value = decode_bytes(raw, attempt(lambda: msg.stringEncoding, None) or code_page(msg))
    return None if value is None else str(value).replace("\x00", "")


def string(msg: MSGFile, name: str) -> str:
    """The string property stream ``name`` on one line, without NULs ("" when absent)."""
    return " ".join((_string_stream(msg, name) or "").split())


def _has(msg: MSGFile, stream: str) -> bool:
    return attempt(lambda: msg.getStream(stream) is not None, False)


def body(msg: MSGFile) -> tuple[str, str, bool]:
    """(text, format, unreadable): the plain body, else the HTML one, else the RTF one.

    extract-msg derives plain or HTML from an RTF-only body that wraps one (reported as
    "rtf"); RTF that wraps nothing is converted here. ``unreadable`` says an RTF body was
    there but could not be turned into text.
    """
    plain = attempt(lambda: getattr(msg, "body", None), None) or _string_stream(msg, "__substg1.0_1000")
    if isinstance(plain, bytes):
        plain = decode_bytes(plain, code_page(msg))
    if plain and plain.replace("\x00", "").strip():
        from_stream = any(_has(msg, s) for s in _PLAIN_STREAMS)
        return clean_text(plain.replace("\x00", "")), "plain" if from_stream else "rtf", False
    html = attempt(lambda: getattr(msg, "htmlBody", None), None)
    if isinstance(html, bytes):
        declared = _CHARSET.search(html[:4096])
        # no charset in the HTML: the internet code page says what its bytes are
        html = decode_bytes(html, declared.group(1).decode("ascii") if declared else code_page(msg))
    if html and (text := html_to_text(html.replace("\x00", ""))):
        return text, "html" if _has(msg, _HTML_STREAM) else "rtf", False
    if not _has(msg, _RTF_STREAM):
        return "", "none", False
    rtf = attempt(lambda: msg.rtfBody, None)
    text = strip_rtf(rtf, code_page(msg)) if rtf else None
    if text:
        return text, "rtf", False
    # Outlook writes an RTF body even for an empty message: only one that would not
    # decompress or convert means there were words we could not read
    return "", "none", text is None
