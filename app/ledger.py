"""The custody ledger: an append-only, hash-chained record of everything that happened.

Each entry's hash is SHA-256 over the canonical JSON of ``{seq, at, actor, action, item,
details, prev_hash}``; changing, removing or reordering any entry breaks every hash after
it. Nothing in Casefile updates or deletes ledger rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from .models import LedgerEntry

__all__ = ["GENESIS", "Ledger", "canonical_json", "entry_hash", "walk_chain"]

GENESIS = "0" * 64
_INSERT_ENTRY = insert(LedgerEntry.__table__)  # type: ignore[arg-type]


def canonical_json(value: Any) -> str:
    """The one JSON spelling of ``value`` that hashes are computed over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(
    *, seq: int, at: str, actor: str, action: str, item: int | None, details: str, prev_hash: str
) -> str:
    """The hash an entry with these fields must carry.

    SHA-256 over ``canonical_json({"seq", "at", "actor", "action", "item", "details",
    "prev_hash"})`` with ``details`` as the object its canonical JSON spells. The body is
    written with the stored ``details`` text spliced in, keys in canonical order: the same
    bytes without parsing and re-encoding the details of every entry, and a stored details
    text that is not byte-for-byte what was hashed no longer matches.
    """
    body = (
        f'{{"action":{_json(action)},"actor":{_json(actor)},"at":{_json(at)},"details":{details},'
        f'"item":{_json(item)},"prev_hash":{_json(prev_hash)},"seq":{_json(seq)}}}'
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _json(value: str | int | None) -> str:
    return json.dumps(value, ensure_ascii=False)


class Ledger:
    """Appends entries within one unit of work (which holds the write lock).

    Entries are buffered and written in one statement by ``flush()``, which the unit of
    work calls before it commits.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._head: tuple[int, str] | None = None
        self._pending: list[dict[str, Any]] = []

    def _load_head(self) -> tuple[int, str]:
        if self._head is None:
            last = self.session.exec(
                select(LedgerEntry).order_by(col(LedgerEntry.seq).desc()).limit(1)
            ).first()
            self._head = (last.seq, last.hash) if last else (0, GENESIS)
        return self._head

    def append(
        self, *, actor: str, action: str, item_id: int | None, details: dict[str, Any]
    ) -> str:
        """Adds one entry after the current head; returns its hash."""
        seq, prev_hash = self._load_head()
        seq += 1
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        details_json = canonical_json(details)
        digest = entry_hash(
            seq=seq, at=at, actor=actor, action=action, item=item_id,
            details=details_json, prev_hash=prev_hash,
        )
        self._pending.append(
            {"seq": seq, "at": at, "actor": actor, "action": action, "item_id": item_id,
             "details": details_json, "prev_hash": prev_hash, "hash": digest}
        )
        self._head = (seq, digest)
        return digest

    def flush(self) -> None:
        """Writes the buffered entries."""
        if self._pending:
            self.session.connection().execute(_INSERT_ENTRY, self._pending)
            self._pending = []


def walk_chain(session: Session, batch: int = 5000) -> Iterator[str]:
    """Yields one message per break in the chain (nothing when the chain is intact)."""
    expected_seq, prev_hash = 1, GENESIS
    last_seq = 0
    while True:
        rows = session.exec(
            select(LedgerEntry)
            .where(LedgerEntry.seq > last_seq)
            .order_by(col(LedgerEntry.seq))
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            if row.seq != expected_seq:
                yield f"ledger entry {expected_seq} is missing (next is {row.seq})"
            if row.prev_hash != prev_hash:
                yield f"ledger entry {row.seq} does not follow entry {row.seq - 1} (prev_hash differs)"
            try:
                recomputed = entry_hash(
                    seq=row.seq, at=row.at, actor=row.actor, action=row.action,
                    item=row.item_id, details=row.details, prev_hash=row.prev_hash,
                )
            except ValueError:
                recomputed = ""
            if recomputed != row.hash:
                yield f"ledger entry {row.seq} was altered (its hash does not match its content)"
            expected_seq, prev_hash, last_seq = row.seq + 1, row.hash, row.seq
