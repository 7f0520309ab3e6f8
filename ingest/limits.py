"""Parser limits: the numbers that keep hostile input from hanging or exhausting us.

The app builds one ``Limits`` from its settings and hands it to every extractor, so
ingest/ never reads configuration itself.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits"]

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Upper bounds for one extraction; hitting one raises ``LimitReached``."""

    max_file_bytes: int = 512 * MiB  # files read whole: bigger ones are stored, not read (mailboxes stream)
    max_message_bytes: int = 64 * MiB  # one email (inside an mbox too)
    max_mime_parts: int = 500
    max_mime_depth: int = 12
    max_header_bytes: int = 256 * 1024
    max_text_chars: int = 20_000_000  # extracted text kept per item
    max_csv_rows: int = 100_000
    max_pdf_pages: int = 2_000
    # one compressed PDF stream, inflated: past this it is a bomb (PDFium would inflate it
    # whole, then show a blank page); room for an 80-megapixel RGB image
    max_pdf_stream_bytes: int = 256 * MiB
    max_image_pixels: int = 80_000_000
    max_zip_members: int = 5_000
    max_zip_expansion_bytes: int = 1024 * MiB
    max_zip_ratio: int = 200  # uncompressed/compressed per member
    max_nesting: int = 5  # containers inside containers (zip in zip, msg in msg)
    ocr_seconds_per_page: float = 120.0
    ocr_languages: str = "eng"
    ocr_workers: int = 0  # 0 = one per core
    # processes parsing a large mailbox while this one stores what they return; 0 parses
    # in-process. Measured on 2 cores (bench/ingest_mail.py): one worker gives ~1.4x the
    # rate, but each worker holds its own copy of the app and every parser, ~300 MB in all
    # against ~170 MB in-process for a 1 GB mailbox: an option for machines with memory to spare.
    ingest_workers: int = 0
    parallel_from_bytes: int = 4 * MiB  # smaller mailboxes are parsed in-process (workers cost a start-up)
    default_timezone: str = "UTC"  # for dates written without an offset
