"""RTF bodies to text: Outlook's encapsulated HTML or text unwrapped, any other RTF stripped.

Outlook keeps many bodies only as RTF. Most of it wraps an HTML or plain-text original
(``\\fromhtml1`` / ``\\fromtext``), which RTFDE unwraps exactly; RTF written by hand or by
Word is reduced to its visible text by striprtf, so a body is never lost for want of a
converter.
"""

from __future__ import annotations

import codecs
import re

from striprtf import striprtf

from .text import clean_text, decode_bytes, html_to_text

__all__ = ["rtf_to_text", "strip_rtf"]

_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")


def rtf_to_text(data: bytes) -> tuple[str, str]:
    """(text, how) of an RTF body: ``how`` is "rtf (html)", "rtf (text)" or "rtf"; never raises."""
    head = data[:2048]
    if b"\\fromhtml" in head or b"\\fromtext" in head:
        unwrapped = _deencapsulate(data)
        if unwrapped is not None:
            return unwrapped
    return strip_rtf(data) or "", "rtf"


def _deencapsulate(data: bytes) -> tuple[str, str] | None:
    from RTFDE import DeEncapsulator  # parses with lark: imported only for the bodies that need it

    end = data.rfind(b"}")
    try:
        wrapper = DeEncapsulator(data[: end + 1] if end > 0 else data)
        wrapper.deencapsulate()
    except Exception:  # not encapsulated after all, or malformed: fall back to stripping
        return None
    if wrapper.content_type == "html" and wrapper.html:
        html = wrapper.html if isinstance(wrapper.html, str) else decode_bytes(wrapper.html)
        return html_to_text(html), "rtf (html)"
    if wrapper.content_type == "text" and wrapper.text:
        text = wrapper.text if isinstance(wrapper.text, str) else decode_bytes(wrapper.text)
        return clean_text(text), "rtf (text)"
    return None


def strip_rtf(data: bytes, fallback_codec: str | None = None) -> str | None:
    """The visible text of RTF (its ``\\ansicpg`` decides its 8-bit escapes, else
    ``fallback_codec``, else cp1252); None when it cannot be read as RTF. Never raises."""
    found = _CODEPAGE.search(data[:4096])
    codec = f"cp{int(found.group(1))}" if found else fallback_codec or "cp1252"
    try:
        codecs.lookup(codec)
    except LookupError:
        codec = "cp1252"
    try:
        text = striprtf.rtf_to_text(data.decode("latin-1"), encoding=codec, errors="replace")
    except Exception:  # striprtf on hostile input
        return None
    return clean_text(text.replace("\x00", ""))
