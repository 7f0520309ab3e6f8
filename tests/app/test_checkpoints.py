"""Signed checkpoints: what someone who kept one can prove about the ledger later."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from app.archive import Archive
from app.changes import init_archive
from app.checkpoints import make_checkpoint, prove_entries, read_checkpoint_file, verify_since
from app.ingesting import ingest_paths
from app.ledger import GENESIS, entry_hash
from app.merkle import verify_inclusion
from app.tags import add_note, tag_item
from app.verify import verify_archive
from tests.conftest import SAMPLES, run


def _loaded(archive: Archive) -> None:
    init_archive(archive, me=["dana@whitfield-digital.example"])
    report = ingest_paths(archive, paths=[SAMPLES / "northwind" / "mail", SAMPLES / "northwind" / "notes"],
                          client="northwind")
    assert report.ok


def _kept(archive: Archive, tmp_path: Path) -> Path:
    checkpoint = make_checkpoint(archive)
    assert checkpoint is not None
    path = tmp_path / "kept-checkpoint.json"
    path.write_text(json.dumps(checkpoint.as_dict()))
    return path


def _rehash_from(archive: Archive, first_seq: int) -> None:
    """Recomputes every entry's hash from ``first_seq`` on, as a forger would."""
    with archive.engine.begin() as conn:
        rows = conn.execute(text("SELECT seq, at, actor, action, item_id, details FROM ledger WHERE seq >= :s "
                                 "ORDER BY seq"), {"s": first_seq}).all()
        prev = conn.execute(text("SELECT hash FROM ledger WHERE seq = :s"), {"s": first_seq - 1}).scalar() or GENESIS
        for seq, at, actor, action, item_id, details in rows:
            digest = entry_hash(seq=seq, at=at, actor=actor, action=action, item=item_id, details=details,
                                prev_hash=prev)
            conn.execute(text("UPDATE ledger SET prev_hash = :p, hash = :h WHERE seq = :s"),
                         {"p": prev, "h": digest, "s": seq})
            prev = digest


def test_the_key_lives_outside_the_database_readable_by_its_owner_only(archive: Archive) -> None:
    init_archive(archive, me=["dana@whitfield-digital.example"])
    key = archive.settings.data / "keys" / "checkpoint-ed25519.pem"
    assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" not in (archive.settings.data / "archive.db").read_bytes()


def test_an_ingest_leaves_a_signed_checkpoint_of_the_whole_ledger(archive: Archive, tmp_path: Path) -> None:
    _loaded(archive)
    kept = read_checkpoint_file(_kept(archive, tmp_path))
    with archive.read() as session:
        entries = session.exec(text("SELECT count(*) FROM ledger")).one()[0]
        stored = session.exec(text("SELECT count(*) FROM checkpoint")).one()[0]
    assert kept.tree_size == entries and kept.signature_ok() and stored >= 1
    assert verify_since(archive, kept) == [] and verify_archive(archive).ok


@pytest.mark.parametrize("removed", [1, 4])
def test_a_truncated_ledger_tail_is_caught(archive: Archive, tmp_path: Path, removed: int) -> None:
    _loaded(archive)
    item = int(archive.engine.connect().execute(text("SELECT id FROM item ORDER BY id DESC LIMIT 1")).scalar() or 0)
    tag_item(archive, item_id=item, tag="key")
    add_note(archive, item_id=item, text="the last word")
    kept = read_checkpoint_file(_kept(archive, tmp_path))
    with archive.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger WHERE seq > (SELECT max(seq) FROM ledger) - :n"), {"n": removed})
        conn.execute(text("DELETE FROM checkpoint"))  # the forger removes the stored ones too
        conn.execute(text("DELETE FROM item_note"))
        conn.execute(text("DELETE FROM item_tag"))
    problems = verify_since(archive, kept)
    assert len(problems) == 1 and f"entries after {kept.tree_size - removed:,} were removed" in problems[0]


@pytest.mark.parametrize("how", ["edited", "swapped"])
def test_a_re_hashed_chain_passes_the_chain_walk_but_not_the_kept_checkpoint(
    archive: Archive, tmp_path: Path, how: str
) -> None:
    _loaded(archive)
    kept = read_checkpoint_file(_kept(archive, tmp_path))
    with archive.engine.begin() as conn:
        if how == "edited":
            conn.execute(text("UPDATE ledger SET actor = 'mallory' WHERE seq = 3"))
        else:
            a, b = conn.execute(text("SELECT details FROM ledger WHERE seq IN (3, 4) ORDER BY seq")).scalars().all()
            conn.execute(text("UPDATE ledger SET details = :d WHERE seq = 3"), {"d": b})
            conn.execute(text("UPDATE ledger SET details = :d WHERE seq = 4"), {"d": a})
        conn.execute(text("DELETE FROM checkpoint"))
    _rehash_from(archive, 3)
    chain = [p for p in verify_archive(archive).problems if p.startswith("ledger entry")]
    assert chain == []  # the chain alone cannot tell
    (problem,) = verify_since(archive, kept)
    assert "no longer hash to its root" in problem


def test_the_stored_checkpoints_catch_a_forger_who_leaves_them(archive: Archive) -> None:
    _loaded(archive)
    assert make_checkpoint(archive) is not None
    with archive.engine.begin() as conn:
        conn.execute(text("UPDATE ledger SET actor = 'mallory' WHERE seq = 2"))
    _rehash_from(archive, 2)
    assert any("no longer hash to its root" in p for p in verify_archive(archive).problems)


def test_an_altered_checkpoint_file_is_refused(archive: Archive, tmp_path: Path) -> None:
    _loaded(archive)
    path = _kept(archive, tmp_path)
    found = json.loads(path.read_text())
    found["tree_size"] -= 1
    path.write_text(json.dumps(found))
    (problem,) = verify_since(archive, read_checkpoint_file(path))
    assert "signature does not verify" in problem


def test_each_entry_of_an_item_has_an_inclusion_proof(archive: Archive) -> None:
    _loaded(archive)
    item = int(archive.engine.connect().execute(text("SELECT id FROM item ORDER BY id LIMIT 1")).scalar() or 0)
    tag_item(archive, item_id=item, tag="key")
    make_checkpoint(archive)
    proved = prove_entries(archive, item)
    root = bytes.fromhex(proved["checkpoint"]["root_hash"])
    size = proved["checkpoint"]["tree_size"]
    assert [e["action"] for e in proved["entries"]] == ["ingest", "tag"]
    from app.merkle import leaf_hash  # noqa: PLC0415

    for entry in proved["entries"]:
        path = [bytes.fromhex(p) for p in entry["audit_path"]]
        assert verify_inclusion(entry["leaf_index"], size, leaf_hash(bytes.fromhex(entry["entry_hash"])), path, root)


def test_the_cli_writes_a_checkpoint_and_verifies_against_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, "init", "--me", "dana@whitfield-digital.example")
    run(data, "ingest", str(SAMPLES / "northwind" / "notes"), "--client", "northwind")
    kept = tmp_path / "receipt.json"
    made = json.loads(run(data, "checkpoint", "--out", str(kept), "--json").stdout)
    assert made["tree_size"] >= 2 and json.loads(kept.read_text())["root_hash"] == made["root_hash"]
    assert "extends the checkpoint" in run(data, "verify-archive", "--since", str(kept)).stdout
    with __import__("sqlite3").connect(data / "archive.db") as db:
        db.execute("DELETE FROM ledger WHERE seq = (SELECT max(seq) FROM ledger)")
        db.execute("DELETE FROM checkpoint")
    failed = run(data, "verify-archive", "--since", str(kept), check=False)
    assert failed.returncode == 1 and "were removed" in failed.stderr
    missing = run(data, "verify-archive", "--since", str(tmp_path / "nope.json"), check=False)
    assert missing.returncode != 0 and "no such file" in missing.stderr


def test_an_arrival_undone_with_its_item_and_blob_is_caught(archive: Archive, tmp_path: Path) -> None:
    _loaded(archive)
    ingest_paths(archive, paths=[SAMPLES / "northwind" / "contracts" / "consultancy-agreement-signed.pdf"],
                 client="northwind")
    kept = read_checkpoint_file(_kept(archive, tmp_path))
    with archive.engine.begin() as conn:  # the last arrival taken out, every trace of it
        item_id, sha256 = conn.execute(text("SELECT id, sha256 FROM item ORDER BY id DESC LIMIT 1")).one()
        for table in ("page", "participant", "date_mention", "derived_file", "item_label"):
            conn.execute(text(f"DELETE FROM {table} WHERE item_id = :i"), {"i": item_id})  # noqa: S608
        conn.execute(text("DELETE FROM item WHERE id = :i"), {"i": item_id})
        conn.execute(text("DELETE FROM ledger WHERE item_id = :i"), {"i": item_id})
        conn.execute(text("DELETE FROM checkpoint"))
    for blob in archive.blobs.root.rglob("*"):
        if blob.is_file() and blob.name == sha256:
            blob.unlink()
    assert not any(p.startswith("ledger entry") for p in verify_archive(archive).problems)  # the chain looks whole
    (problem,) = verify_since(archive, kept)
    assert "were removed" in problem
