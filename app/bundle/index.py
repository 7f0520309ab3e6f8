"""The bundle's index and load files: index.csv/json, Concordance .dat, Opticon .opt.

One row per document. The CSV is for people (spreadsheets), so cells that a spreadsheet
would run as a formula are neutralised; the JSON and the load files keep exact values,
since review platforms and scripts read them as data.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

__all__ = [
    "COLUMNS",
    "concordance_dat",
    "index_csv",
    "index_json",
    "neutralise",
    "opticon_opt",
]

COLUMNS = (
    "BegBates", "EndBates", "BegAttach", "EndAttach", "ControlNumber", "ItemId", "Kind",
    "Date", "DateSource", "From", "To", "Cc", "Title", "OriginalFilename", "SHA256",
    "NativePath", "TextPath", "PdfPath", "PageCount", "Tags", "Status",
)
# Concordance's conventions: þ around every value, DC4 (ASCII 20) between values,
# ® for a line break inside a value.
QUOTE, SEPARATOR, NEWLINE = "þ", "\x14", "®"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Row = dict[str, Any]


def neutralise(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: a leading ``'`` before ``= + - @`` (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def index_csv(rows: Sequence[Row]) -> bytes:
    """index.csv: a header and one row per document; UTF-8 with a BOM so Excel reads "Zoë"."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([neutralise(row[column]) for column in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def index_json(bundle: dict[str, Any], rows: Sequence[Row]) -> bytes:
    """index.json: what the bundle is, then the same rows as the CSV, values exact."""
    payload = {"bundle": bundle, "documents": [{c: row[c] for c in COLUMNS} for row in rows]}
    return (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _windows(path: str) -> str:
    # Review platforms are Windows programs; their load files use backslashes.
    return path.replace("/", "\\")


def _dat_value(column: str, value: object) -> str:
    text = "" if value is None else str(value)
    if column.endswith("Path"):
        text = _windows(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", NEWLINE)
    return text.replace(QUOTE, "").replace(SEPARATOR, "")


def concordance_dat(rows: Sequence[Row]) -> bytes:
    """The Concordance .dat: header row, þ-quoted values, DC4 separators, UTF-8 with BOM."""
    lines = [SEPARATOR.join(f"{QUOTE}{c}{QUOTE}" for c in COLUMNS)]
    for row in rows:
        lines.append(SEPARATOR.join(f"{QUOTE}{_dat_value(c, row[c])}{QUOTE}" for c in COLUMNS))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def opticon_opt(rows: Sequence[Row], *, volume: str, prefix: str) -> bytes:
    """The Opticon .opt: one line per stamped page, ``key,volume,image,docbreak,,,pages``.

    Every page of a document points to the document's (multi-page) PDF; the first page
    carries the document break ``Y`` and the page count.
    """
    lines = []
    for row in rows:
        first = int(row["BegBates"][len(prefix):])
        image = _windows(row["PdfPath"])
        for offset in range(int(row["PageCount"])):
            key = f"{prefix}{first + offset:06d}"
            if offset == 0:
                lines.append(f"{key},{volume},{image},Y,,,{row['PageCount']}")
            else:
                lines.append(f"{key},{volume},{image},,,,")
    return ("\r\n".join(lines) + "\r\n").encode("ascii", "replace")
