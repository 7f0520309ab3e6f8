from __future__ import annotations

import hashlib
import json

from sqlalchemy import text
from sqlmodel import col, select

from app.archive import Archive
from app.ledger import GENESIS, canonical_json, entry_hash, walk_chain
from app.models import LedgerEntry


def _append(archive: Archive, n: int) -> None:
    with archive.write() as uow:
        for i in range(n):
            uow.ledger.append(actor="t", action="note", item_id=None, details={"i": i, "text": "Zoë"})


def test_entries_chain_from_genesis(archive: Archive) -> None:
    _append(archive, 3)
    _append(archive, 2)
    with archive.read() as session:
        rows = session.exec(select(LedgerEntry).order_by(col(LedgerEntry.seq))).all()
        assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
        assert rows[0].prev_hash == GENESIS
        for before, after in zip(rows, rows[1:], strict=False):
            assert after.prev_hash == before.hash
        for row in rows:
            assert row.hash == entry_hash(
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                action=row.action,
                item=row.item_id,
                details=row.details,
                prev_hash=row.prev_hash,
            )
        assert list(walk_chain(session)) == []


def test_edits_and_deletions_break_the_chain(archive: Archive) -> None:
    _append(archive, 4)
    with archive.engine.begin() as conn:
        conn.execute(text("UPDATE ledger SET details = :d WHERE seq = 2"), {"d": '{"i":99}'})
        conn.execute(text("DELETE FROM ledger WHERE seq = 3"))
    with archive.read() as session:
        problems = list(walk_chain(session))
    assert "ledger entry 2 was altered (its hash does not match its content)" in problems
    assert "ledger entry 3 is missing (next is 4)" in problems


def test_hash_is_sha256_of_the_canonical_json_of_the_entry(archive: Archive) -> None:
    # What a lawyer recomputes without our code: the documented definition, literally.
    with archive.write() as uow:
        uow.ledger.append(actor="Zoë", action="note", item_id=7,
                          details={"b": [1, 2.5, None], "a": "“quoted” \\ text", "n": {"y": True}})
    with archive.read() as session:
        row = session.exec(select(LedgerEntry)).one()
    body = {"seq": row.seq, "at": row.at, "actor": row.actor, "action": row.action, "item": row.item_id,
            "details": json.loads(row.details), "prev_hash": row.prev_hash}
    assert row.hash == hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def test_a_reformatted_details_text_breaks_the_chain(archive: Archive) -> None:
    _append(archive, 2)
    with archive.engine.begin() as conn:
        conn.execute(text("UPDATE ledger SET details = :d WHERE seq = 1"), {"d": '{"i": 0, "text": "Zoë"}'})
    with archive.read() as session:
        assert "ledger entry 1 was altered (its hash does not match its content)" in list(walk_chain(session))
