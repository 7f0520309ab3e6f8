"""Decompression bombs in PDFs, refused before PDFium or pypdf inflate anything.

A few hundred kilobytes of Flate data can inflate to gigabytes: PDFium would inflate a
page's content stream whole and then show a blank page, and pypdf would do the same for
an embedded file or an XFA packet. Each stream is measured inflating, chunk by chunk, and
counting stops at ``Limits.max_pdf_stream_bytes``.
"""

from __future__ import annotations

import logging
import re
import zlib

from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.generic import ArrayObject, IndirectObject, StreamObject

from .errors import LimitReached
from .limits import Limits

__all__ = ["refuse_encrypted_flate_bombs", "refuse_flate_bombs"]

log = logging.getLogger(__name__)

# "stream" then its end of line, not the "endstream" that closes one
_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")
_INFLATE_IN = 64 * 1024
_INFLATE_OUT = 4 * 1024 * 1024


def _inflated_size(data: memoryview, start: int, cap: int) -> int:
    """How many bytes the zlib stream at ``start`` inflates to, counting no further than ``cap``.

    Output is counted and dropped, so memory stays at one chunk however large the bomb.
    """
    inflater = zlib.decompressobj()
    total, at = 0, start
    try:
        while at < len(data) and not inflater.eof:
            pending = inflater.decompress(data[at : at + _INFLATE_IN], _INFLATE_OUT)
            at += _INFLATE_IN
            while True:
                total += len(pending)
                if total > cap:
                    return total
                if not inflater.unconsumed_tail:
                    break
                pending = inflater.decompress(inflater.unconsumed_tail, _INFLATE_OUT)
    except zlib.error:
        pass  # not Flate after all (or damaged): PDFium judges it
    return total


def refuse_flate_bombs(data: bytes, limits: Limits) -> None:
    """``LimitReached`` if a Flate stream inflates past ``max_pdf_stream_bytes``.

    Found by scanning the raw bytes rather than through pypdf: a bomb in a page's content
    stream is never decoded by pypdf, and PDFium would inflate it whole and show a blank page.
    """
    view = memoryview(data)
    cap = limits.max_pdf_stream_bytes
    for match in _STREAM_START.finditer(data):
        start = match.end()
        if start + 2 > len(data):
            break
        head = data[start] << 8 | data[start + 1]
        if data[start] & 0x0F != 8 or head % 31:
            continue  # no zlib header: another filter, or not compressed
        if _inflated_size(view, start, cap) > cap:
            raise _bomb(cap)


def _bomb(cap: int) -> LimitReached:
    return LimitReached(f"a compressed stream inflates past max_pdf_stream_bytes ({cap:,} bytes): a decompression bomb")


def refuse_encrypted_flate_bombs(reader: PdfReader | None, limits: Limits) -> None:
    """``refuse_flate_bombs`` for an encrypted PDF, whose streams the raw scan sees only as
    ciphertext: each stream is decrypted (pypdf, streamed objects only) and measured inflating."""
    if reader is None or not reader.is_encrypted:
        return
    cap = limits.max_pdf_stream_bytes
    try:
        for generation, numbers in reader.xref.items():
            for number in numbers:
                stream = reader.get_object(IndirectObject(number, generation, reader))
                if not isinstance(stream, StreamObject):
                    continue
                filters = stream.get("/Filter")
                first = filters[0] if isinstance(filters, ArrayObject) and filters else filters
                if first in ("/FlateDecode", "/Fl") and _inflated_size(memoryview(stream._data), 0, cap) > cap:
                    raise _bomb(cap)
    except LimitReachedError as exc:
        raise LimitReached(f"PDF structure over pypdf's limits ({exc})") from exc
    except (PyPdfError, ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
        log.debug("pypdf could not walk the encrypted objects: %s", exc)  # PDFium judges the rest
