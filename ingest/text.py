"""Shared text helpers: decoding bytes whose charset is unknown or lied about, HTML to text."""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes
from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

from .sniff import unicode_codec

__all__ = ["clean_text", "decode_bytes", "html_to_text"]

_HTML_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_links=False)
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def _known_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip('"').lower()).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text from ``data``: the declared charset if it decodes cleanly, else UTF-8, else a guess.

    Mail in the wild is often mislabelled (a GB2312 label on UTF-8 bytes), so a declared
    charset that fails to decode strictly is not trusted. UTF-16 and UTF-32 are recognised
    by their BOM or, without one, by their content (``unicode_codec``), before anything
    else: their zero bytes are valid UTF-8, so "T\\x00h\\x00i\\x00s" would otherwise pass as
    UTF-8 text.
    """
    wide = unicode_codec(data[:4096])
    if wide is not None:
        # "utf-16"/"utf-32" (a BOM) consume the BOM; the endian-specific ones have none
        return data.decode(wide, errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    tried: list[str] = []
    for name in (_known_codec(declared), "utf-8"):
        if name and name not in tried:
            tried.append(name)
            try:
                return data.decode(name)
            except (UnicodeDecodeError, LookupError):
                continue
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace")
    return data.decode(tried[0] if tried else "latin-1", errors="replace")


def html_to_text(html: str) -> str:
    """Readable text of an HTML body (scripts and styles dropped, block layout kept)."""
    if not html.strip():
        return ""
    return clean_text(get_text(html, _HTML_CONFIG))


def clean_text(text: str) -> str:
    """Normalised text: NFC, unix newlines, no trailing spaces, at most one blank line."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()
