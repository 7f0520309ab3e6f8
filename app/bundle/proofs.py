"""checkpoint/ in a bundle: the archive's signed checkpoint (with its RFC 3161 token, if
any) and an inclusion proof for every custody entry of the bundle's documents, so a lawyer
can check that the entries in custody.json are the ones the checkpoint committed to.

``casefile verify BUNDLE`` checks the signature, that the token covers the checkpoint, and
every proof; any RFC 6962 implementation can check the proofs too (the rule is written in
the file).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence

from sqlmodel import col, select

from ..archive import Archive
from ..checkpoints import Checkpoint, ledger_leaves, make_checkpoint
from ..merkle import audit_paths, leaf_hash, verify_inclusion
from ..models import LedgerEntry
from ..timestamps import check_token
from .manifest import ledger_head

__all__ = ["CHECKPOINT_FILE", "check_checkpoint_json", "checkpoint_members"]

_CHUNK = 500
PROOF_RULE = (
    "RFC 6962: leaf = SHA-256(0x00 || the entry's hash as 32 bytes), node = SHA-256(0x01 || left || right); "
    "each audit_path goes from the leaf up; the root is the checkpoint's root_hash"
)


CHECKPOINT_FILE = "checkpoint/checkpoint.json"
STATEMENT_FILE = "checkpoint/statement.json"
TOKEN_FILE = "checkpoint/token.tsr"


def checkpoint_members(archive: Archive, item_ids: Sequence[int]) -> dict[str, bytes]:
    """The bundle's checkpoint files for these items: checkpoint.json with the proofs, and
    the signed statement and its RFC 3161 token as files ``openssl ts -verify`` reads
    (nothing for an empty ledger)."""
    head = ledger_head(archive)  # exports left out: re-running an export makes the same bundle
    checkpoint = make_checkpoint(archive, size=int(head["seq"])) if head else None
    if checkpoint is None:
        return {}
    with archive.read() as session:
        leaves = ledger_leaves(session, checkpoint.tree_size)
        entries: list[tuple[int, str]] = []
        ids = list(item_ids)
        for start in range(0, len(ids), _CHUNK):
            entries += session.exec(
                select(LedgerEntry.seq, LedgerEntry.hash)
                .where(col(LedgerEntry.item_id).in_(ids[start : start + _CHUNK]),
                       col(LedgerEntry.seq) <= checkpoint.tree_size)
            ).all()
    entries.sort()
    paths = audit_paths(leaves, [seq - 1 for seq, _ in entries])
    payload = {
        "checkpoint": {**checkpoint.as_dict(), "statement": checkpoint.statement().decode()},
        "proof_rule": PROOF_RULE,
        "proofs": [{"seq": seq, "entry_hash": digest, "leaf_index": seq - 1,
                    "audit_path": [p.hex() for p in paths[seq - 1]]} for seq, digest in entries],
    }
    members = {CHECKPOINT_FILE: (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
               STATEMENT_FILE: checkpoint.statement()}
    if checkpoint.timestamp_token:
        members[TOKEN_FILE] = base64.b64decode(checkpoint.timestamp_token)
    return members


def check_checkpoint_json(raw: bytes, custody_raw: bytes | None) -> list[str]:
    """What is wrong with a bundle's checkpoint.json (and its agreement with custody.json)."""
    try:
        found = json.loads(raw)
        checkpoint = Checkpoint.from_dict(found["checkpoint"])
        proofs = list(found["proofs"])
    except (ValueError, KeyError, TypeError) as exc:
        return [f"checkpoint.json is not a Casefile checkpoint file ({type(exc).__name__})"]
    problems: list[str] = []
    if not checkpoint.signature_ok():
        problems.append("checkpoint.json: the checkpoint's signature does not verify")
    if checkpoint.timestamp_token:
        why = check_token(checkpoint.timestamp_token, checkpoint.statement(), None)
        if why:
            problems.append(f"checkpoint.json: its timestamp token does not hold: {why}")
    root = bytes.fromhex(checkpoint.root_hash)
    proved: dict[int, str] = {}
    for proof in proofs:
        try:
            seq, digest = int(proof["seq"]), str(proof["entry_hash"])
            path = [bytes.fromhex(p) for p in proof["audit_path"]]
            ok = verify_inclusion(seq - 1, checkpoint.tree_size, leaf_hash(bytes.fromhex(digest)), path, root)
        except (ValueError, KeyError, TypeError):
            ok, seq, digest = False, -1, ""
        if not ok:
            problems.append(
                f"checkpoint.json: the inclusion proof of ledger entry {proof.get('seq')!r} does not verify")
        else:
            proved[seq] = digest
    if custody_raw is not None:
        try:
            documents = json.loads(custody_raw)["documents"]
            listed = [(int(e["seq"]), str(e["hash"])) for d in documents for e in d["entries"]]
        except (ValueError, KeyError, TypeError):
            return [*problems, "custody.json cannot be read to compare with checkpoint.json"]
        for seq, digest in listed:
            if seq <= checkpoint.tree_size and proved.get(seq) != digest:
                problems.append(f"custody.json entry {seq} is not the entry checkpoint.json proves in the ledger")
    return problems
