"""The files that describe a bundle: README.txt, SHA256SUMS and custody.json.

custody.json carries each document's custody-ledger entries with their ``hash`` and
``prev_hash``, and spells out the rule to recompute a hash, so anyone can check an entry
without Casefile. The chain head it names is the newest entry that is not itself an
export: recording an export must not change the next export of the same selection
(bundles are byte-for-byte reproducible).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import col, select

from ..archive import Archive
from ..models import LedgerEntry
from .schemas import SelectionPublic

__all__ = [
    "EXPORT_ACTION", "ReadmeFacts", "custody_json", "export_records", "ledger_head", "readme_text", "sha256sums",
]

EXPORT_ACTION = "export"


def export_records(archive: Archive, zip_sha256: str) -> list[dict[str, Any]]:
    """The details of every export custody entry that recorded a zip with this SHA-256."""
    with archive.read() as session:
        rows = session.exec(
            select(LedgerEntry.details).where(LedgerEntry.action == EXPORT_ACTION)
            .where(col(LedgerEntry.details).contains(f'"zip_sha256":"{zip_sha256[:64]}"', autoescape=True))
        ).all()
    return [json.loads(details) for details in rows]
HASH_RULE = (
    "hash = SHA-256 (hex) of the UTF-8 JSON object {seq, at, actor, action, item, details, "
    "prev_hash} with keys sorted, separators ',' and ':' and no ASCII escaping; 'item' is "
    "item_id and 'details' the parsed details. prev_hash is the previous entry's hash "
    "(64 zeros for the first), so changing any entry breaks every hash after it."
)
_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit


def _entry(row: LedgerEntry) -> dict[str, Any]:
    return {
        "seq": row.seq, "at": row.at, "actor": row.actor, "action": row.action,
        "item_id": row.item_id, "details": json.loads(row.details),
        "prev_hash": row.prev_hash, "hash": row.hash,
    }


def ledger_head(archive: Archive) -> dict[str, Any] | None:
    """The newest ledger entry that is not an export: its seq, time and hash."""
    with archive.read() as session:
        row = session.exec(
            select(LedgerEntry)
            .where(LedgerEntry.action != EXPORT_ACTION)
            .order_by(col(LedgerEntry.seq).desc())
            .limit(1)
        ).first()
    return {"seq": row.seq, "at": row.at, "hash": row.hash} if row else None


def custody_json(
    archive: Archive, *, client: str, documents: Sequence[tuple[str, int]], head: dict[str, Any] | None
) -> bytes:
    """The custody file for ``documents`` (control number, item id), in Bates order."""
    ids = [item_id for _, item_id in documents]
    entries: dict[int, list[dict[str, Any]]] = defaultdict(list)
    with archive.read() as session:
        for start in range(0, len(ids), _CHUNK):
            for row in session.exec(
                select(LedgerEntry)
                .where(col(LedgerEntry.item_id).in_(ids[start:start + _CHUNK]))
                .order_by(col(LedgerEntry.seq))
            ).all():
                entries[row.item_id].append(_entry(row))  # type: ignore[index]
    payload = {
        "client": client,
        "ledger_head": head,
        "hash_rule": HASH_RULE,
        "documents": [
            {"control_number": control, "item_id": item_id, "entries": entries.get(item_id, [])}
            for control, item_id in documents
        ],
    }
    return (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(frozen=True)
class ReadmeFacts:
    client_name: str
    client_slug: str
    filename: str
    prepared_by: str
    as_of: date
    selection: SelectionPublic
    prefix: str
    documents: int
    families: int
    containers: int
    natives: int
    pages: int
    first_bates: str
    last_bates: str
    earliest_evidence: str
    newest_evidence: str
    parts: tuple[str, ...]  # optional parts present, e.g. "timeline.html"
    missing: tuple[str, ...]  # optional parts left out, with why


_PARTS = {
    "timeline.html": "the chronology, printable; its Source column cites Bates numbers",
    "timeline.csv": "the same chronology as a spreadsheet",
}


def _selection(selection: SelectionPublic) -> str:
    parts = [f"every item of client '{selection.client}'"]
    if selection.date_from or selection.date_to:
        low = selection.date_from.isoformat() if selection.date_from else "the beginning"
        high = selection.date_to.isoformat() if selection.date_to else "the end"
        parts.append(f"dated from {low} to {high} (undated items left out)")
    if selection.tag:
        parts.append(f"tagged '{selection.tag}'")
    if selection.query:
        parts.append(f"matching the search '{selection.query}'")
    return ", ".join(parts) + "; whole email families always included"


def readme_text(facts: ReadmeFacts) -> bytes:
    """The README: what this is, who made it and when, the counts, how to verify it."""
    optional = "".join(f"  {name:<18} {_PARTS.get(name, '')}\n" for name in facts.parts)
    missing = "".join(f"  (not included: {reason})\n" for reason in facts.missing)
    text = f"""\
EVIDENCE BUNDLE: {facts.client_name} ({facts.client_slug})
{"=" * 72}

What this is
  Every piece of evidence selected below, as kept in a Casefile evidence archive:
  the original files byte for byte, a Bates-stamped PDF of each, the extracted text,
  an index, load files for review platforms, and each item's custody record.

Prepared by   {facts.prepared_by}
Bundle date   {facts.as_of.isoformat()}
File          {facts.filename}
Selection     {_selection(facts.selection)}
Evidence      dated {facts.earliest_evidence} to {facts.newest_evidence}

Counts
  {facts.documents} documents, {facts.natives} native files, {facts.pages} pages
  {facts.families} families (an email with its attachments), {facts.containers} containers
  Bates {facts.first_bates} to {facts.last_bates}, contiguous, stamped at the bottom right of every page

Contents
  README.txt         this file
  SHA256SUMS         the SHA-256 of every other file here
  index.csv          one row per document (also index.json, with exact values)
  loadfiles/         Concordance {facts.prefix}.dat (þ quotes, ASCII 20 separators, UTF-8) and
                     Opticon {facts.prefix}.opt (one line per stamped page)
  natives/           the original files, named by control number (= the document's first Bates number)
  pdf/               every document as a stamped PDF, named by control number
  text/              the extracted text of each document that has text
  custody.json       each document's custody-ledger entries, with their hashes
  checkpoint/        the archive's signed checkpoint of its ledger (checkpoint.json, with an
                     RFC 6962 inclusion proof of every entry in custody.json), the exact
                     statement signed (statement.json) and, if the archive uses a time-stamping
                     authority, its RFC 3161 token (token.tsr)
{optional}{missing}
Numbering
  Control numbers are the first Bates number of each document ({facts.prefix}000001 ...).
  An email and its attachments form a family (BegAttach/EndAttach in the index): the email
  first, then its attachments, numbered together and never split. Families are in date order.
  A mailbox, call log or zip that holds other items is a container: each message or row in it
  is a document of its own, and the container itself comes last, as its original file plus a
  one-page slip sheet listing its members' control numbers (a container that also holds other
  clients' documents has the slip sheet only, naming its SHA-256). Call-log rows and events
  recorded by hand have no file of their own, so they have a PDF page and text but no native.
  Files that could not be shown as pages have a slip sheet giving their name, SHA-256 and why.
  Dates are as the sender wrote them (with the UTC offset); DateSource says where each came from.

How to verify (no Casefile needed)
  unzip {facts.filename} -d bundle
  cd bundle
  sha256sum -c SHA256SUMS          (macOS: shasum -a 256 -c SHA256SUMS)
  Every line must end in "OK". The SHA256 column of index.csv is the hash of each
  original as it entered the archive; custody.json shows when it entered and by whom.
  The time-stamp, where there is one (checkpoint/token.tsr), says when the archive's ledger
  stood as checkpoint.json states; check it with the TSA's CA certificate:
  openssl ts -verify -data checkpoint/statement.json -in checkpoint/token.tsr -CAfile tsa-ca.pem
  With Casefile: casefile verify {facts.filename}   (checks the checkpoint and proofs too)
  The hash of this zip file itself and of its SHA256SUMS are recorded in the archive's
  custody ledger when the bundle is made.
"""
    return text.replace("\n", "\r\n").encode("utf-8")


def sha256sums(entries: Iterable[tuple[str, str]]) -> bytes:
    """``sha256sum -c`` input: ``<hash>  <path>`` per file, sorted by path."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(entries)).encode("utf-8")
