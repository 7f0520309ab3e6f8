"""Signed checkpoints of the custody ledger: proof, for someone who kept one, that the
ledger still holds every entry it held then, unchanged.

A checkpoint states the size of the ledger's Merkle tree (``app.merkle``) and its root, when,
and which key signed it (Ed25519). The key lives in the data folder's ``keys/``, never in
the database, and is made by ``casefile init`` (or the first checkpoint). One is written
after every ingest that added entries and on demand (``casefile checkpoint``). A person
keeps the file (``casefile checkpoint --out``; later, a receipt); ``verify-archive --since
FILE`` then checks that the signature is good and that the current ledger extends that
tree: a removed last entry, a re-hashed chain or swapped rows change the root.

The statement signed is the canonical JSON of ``{"casefile_checkpoint": 1, "tree_size",
"root_hash", "at", "key_id"}``; ``key_id`` is the SHA-256 of the raw public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlmodel import Session, col, select

from .archive import Archive
from .errors import InvalidInput
from .ledger import canonical_json
from .merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    prefix_roots,
    root,
    verify_consistency,
    verify_inclusion,
)
from .models import CheckpointRow, LedgerEntry
from .timestamps import check_token, stamp_pending, token_time

__all__ = [
    "Checkpoint",
    "check_stored",
    "ensure_key",
    "latest_checkpoint",
    "make_checkpoint",
    "prove_entries",
    "read_checkpoint_file",
    "verify_since",
    "write_receipt",
]

_KEY_FILE = "checkpoint-ed25519.pem"
_VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of the ledger's tree: what a person keeps."""

    tree_size: int
    root_hash: str  # hex
    at: str  # ISO 8601, UTC
    key_id: str  # hex SHA-256 of the raw public key
    signature: str  # base64 Ed25519 signature of ``statement()``
    public_key: str  # base64 raw public key
    timestamp_token: str | None = None  # an RFC 3161 reply over ``statement()``, base64 (app.timestamps)
    timestamp_state: str = ""  # "", pending (the TSA could not be asked yet), stamped
    timestamp_error: str = ""

    @classmethod
    def from_dict(cls, found: dict[str, Any]) -> Checkpoint:
        """A checkpoint as ``as_dict`` (or a receipt) spells it; KeyError/ValueError/TypeError if not one."""
        token = found.get("timestamp_token")
        return cls(int(found["tree_size"]), str(found["root_hash"]), str(found["at"]), str(found["key_id"]),
                   str(found["signature"]), str(found["public_key"]), str(token) if token else None)

    def statement(self) -> bytes:
        return canonical_json({"casefile_checkpoint": _VERSION, "tree_size": self.tree_size,
                               "root_hash": self.root_hash, "at": self.at, "key_id": self.key_id}).encode()

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "casefile_checkpoint": _VERSION, "tree_size": self.tree_size, "root_hash": self.root_hash,
            "at": self.at, "key_id": self.key_id, "signature": self.signature, "public_key": self.public_key,
        }
        if self.timestamp_token:
            found["timestamp_token"] = self.timestamp_token
            found["timestamp_at"] = token_time(self.timestamp_token)
        elif self.timestamp_state:
            found["timestamp_state"] = self.timestamp_state
            found["timestamp_error"] = self.timestamp_error
        return found

    def receipt(self) -> bytes:
        """The file a person keeps: the checkpoint, its token, the key, and the exact
        statement both signatures cover (for ``openssl ts -verify -data``)."""
        found = {**self.as_dict(), "statement": self.statement().decode()}
        found["how_to_check"] = (
            "casefile verify-archive --since THIS_FILE proves the archive's ledger still holds every entry this "
            "checkpoint covered. Without Casefile: write the 'statement' value (exactly, no newline) to "
            "statement.json and the base64-decoded 'timestamp_token' to token.tsr, then run: openssl ts -verify "
            "-data statement.json -in token.tsr -CAfile <the TSA's CA certificate>"
        )
        return json.dumps(found, indent=2, ensure_ascii=False).encode() + b"\n"

    def signature_ok(self) -> bool:
        try:
            raw = base64.b64decode(self.public_key, validate=True)
            if hashlib.sha256(raw).hexdigest() != self.key_id:
                return False
            Ed25519PublicKey.from_public_bytes(raw).verify(base64.b64decode(self.signature, validate=True),
                                                           self.statement())
        except (InvalidSignature, ValueError):
            return False
        return True


def _key_path(archive: Archive) -> Path:
    return archive.settings.data / "keys" / _KEY_FILE


def ensure_key(archive: Archive) -> Ed25519PrivateKey:
    """The archive's checkpoint key, made (readable by its owner only) if it has none yet."""
    path = _key_path(archive)
    if path.is_file():
        return _load_key(path)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    temp = path.with_name(f".tmp-{os.getpid()}-{_KEY_FILE}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(temp, path)  # never replaces a key another process made first
    except FileExistsError:
        pass
    finally:
        temp.unlink(missing_ok=True)
    return _load_key(path)


def _load_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"{path} is not an Ed25519 key")
    return key


def _public_raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def ledger_leaves(session: Session, size: int | None = None) -> list[bytes]:
    """The Merkle leaves of the ledger's first ``size`` entries (all), in sequence order."""
    query = select(LedgerEntry.hash).order_by(col(LedgerEntry.seq))
    if size is not None:
        query = query.limit(size)
    return [leaf_hash(bytes.fromhex(h)) for h in session.exec(query).all()]


def _of(row: CheckpointRow) -> Checkpoint:
    return Checkpoint(row.tree_size, row.root_hash, row.at, row.key_id, row.signature, row.public_key,
                      row.timestamp_token, row.timestamp_state, row.timestamp_error)


def statement_of(row: CheckpointRow) -> bytes:
    """The bytes a stored checkpoint's signature and time-stamp cover."""
    return _of(row).statement()


def latest_checkpoint(session: Session) -> Checkpoint | None:
    row = session.exec(select(CheckpointRow).order_by(col(CheckpointRow.tree_size).desc())).first()
    return _of(row) if row else None


def make_checkpoint(archive: Archive, *, size: int | None = None, now: datetime | None = None) -> Checkpoint | None:
    """Signs a checkpoint of the ledger's first ``size`` entries (all of them), unless one of
    that size is stored already (then returns it); None for an empty ledger. A TSA, when set,
    is asked for a token (``app.timestamps``), never blocking."""
    key = ensure_key(archive)
    with archive.write("casefile") as uow:
        leaves = ledger_leaves(uow.session, size)
        if not leaves:
            return None
        stored = uow.session.exec(select(CheckpointRow).where(CheckpointRow.tree_size == len(leaves))).first()
        if stored is None:
            raw = _public_raw(key)
            at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            unsigned = Checkpoint(len(leaves), root(leaves).hex(), at, hashlib.sha256(raw).hexdigest(), "",
                                  base64.b64encode(raw).decode())
            signature = base64.b64encode(key.sign(unsigned.statement())).decode()
            uow.session.add(CheckpointRow(**{**unsigned.__dict__, "signature": signature}))
    stamp_pending(archive)  # the TSA's word, when one is set: never blocks, pending if it is down
    with archive.read() as session:
        row = session.exec(select(CheckpointRow).where(CheckpointRow.tree_size == len(leaves))).one()
        return _of(row)


def write_receipt(archive: Archive, path: Path) -> Checkpoint:
    """The latest checkpoint (made now if the ledger grew), written as a receipt to ``path``,
    a new file: a kept receipt is evidence too, never written over. ``InvalidInput`` when
    the ledger is empty or the file exists or cannot be written."""
    made = make_checkpoint(archive)
    if made is None:
        raise InvalidInput("the ledger is empty: nothing to give a receipt for yet")
    try:
        with path.open("xb") as fh:
            fh.write(made.receipt())
    except FileExistsError:
        raise InvalidInput(f"{path} exists: choose another name (a receipt is never replaced)") from None
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    return made


def read_checkpoint_file(path: Path) -> Checkpoint:
    """A checkpoint a person kept (``casefile checkpoint --out``), or ``InvalidInput`` saying why not."""
    try:
        return Checkpoint.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path} is not a Casefile checkpoint ({type(exc).__name__}: {exc})") from None


def _against(kept: Checkpoint, leaves: Sequence[bytes], prefix_root: bytes | None, own_key_id: str | None,
             label: str, ca_file: Path | None = None) -> list[str]:
    """What is wrong with the ledger (``leaves``; ``prefix_root``: the root of its first
    ``kept.tree_size``) as ``kept`` saw it: empty when it still extends it."""
    if not kept.signature_ok():
        return [f"{label}: its signature does not verify (the file was altered, or it is not a Casefile checkpoint)"]
    problems = []
    if kept.timestamp_token:
        why = check_token(kept.timestamp_token, kept.statement(), ca_file)
        if why:
            problems.append(f"{label}: its timestamp token does not hold: {why}")
    if own_key_id is not None and kept.key_id != own_key_id:
        problems.append(f"{label} was signed by key {kept.key_id[:16]}…, not this archive's ({own_key_id[:16]}…)")
    if len(leaves) < kept.tree_size:
        problems.append(f"{label} saw {kept.tree_size:,} ledger entries; the ledger now has {len(leaves):,}: "
                        f"entries after {len(leaves):,} were removed")
    elif prefix_root is None or prefix_root.hex() != kept.root_hash:
        problems.append(f"{label}: the ledger's first {kept.tree_size:,} entries no longer hash to its root: "
                        "entries it covered were changed, removed, reordered or re-hashed")
    return problems


def _own_key_id(archive: Archive) -> str | None:
    path = _key_path(archive)
    return hashlib.sha256(_public_raw(_load_key(path))).hexdigest() if path.is_file() else None


def verify_since(archive: Archive, kept: Checkpoint) -> list[str]:
    """Problems, if any, with the ledger against a checkpoint someone kept (empty: it extends it)."""
    with archive.read() as session:
        leaves = ledger_leaves(session)
    label = f"the checkpoint of {kept.at} ({kept.tree_size:,} entries)"
    problems = _against(kept, leaves, prefix_roots(leaves, [kept.tree_size]).get(kept.tree_size),
                        _own_key_id(archive), label, archive.settings.tsa_ca_file)
    if not problems:  # the RFC 6962 proof, as any other implementation would check it
        proof = consistency_proof(kept.tree_size, leaves)
        if not verify_consistency(kept.tree_size, len(leaves), bytes.fromhex(kept.root_hash), root(leaves), proof):
            problems.append(f"{label}: the consistency proof to the current ledger does not verify")
    return problems


def check_stored(session: Session, archive: Archive) -> list[str]:
    """Each checkpoint the archive stored, checked against the ledger as it is now."""
    own = _own_key_id(archive)
    rows = session.exec(select(CheckpointRow).order_by(col(CheckpointRow.tree_size))).all()
    if not rows:
        return []
    leaves = ledger_leaves(session)
    roots = prefix_roots(leaves, [row.tree_size for row in rows])  # one walk for all of them
    problems: list[str] = []
    for row in rows:
        label = f"stored checkpoint {row.id} ({row.tree_size:,} entries, {row.at})"
        problems += _against(_of(row), leaves, roots.get(row.tree_size), own, label, archive.settings.tsa_ca_file)
    return problems


def prove_entries(archive: Archive, item_id: int) -> dict[str, Any]:
    """The latest checkpoint and, for each ledger entry of the item it covers, its inclusion
    proof (RFC 6962 audit path, hex): checkable with ``app.merkle.verify_inclusion``."""
    with archive.read() as session:
        latest = latest_checkpoint(session)
        if latest is None:
            raise InvalidInput("no checkpoint yet: run casefile checkpoint first")
        leaves = ledger_leaves(session, latest.tree_size)
        entries = session.exec(select(LedgerEntry).where(LedgerEntry.item_id == item_id,
                                                         col(LedgerEntry.seq) <= latest.tree_size)
                               .order_by(col(LedgerEntry.seq))).all()
        proofs = []
        for entry in entries:
            path = inclusion_proof(entry.seq - 1, leaves)
            assert verify_inclusion(entry.seq - 1, latest.tree_size, leaves[entry.seq - 1], path,
                                    bytes.fromhex(latest.root_hash))
            proofs.append({"seq": entry.seq, "action": entry.action, "entry_hash": entry.hash,
                           "leaf_index": entry.seq - 1, "audit_path": [p.hex() for p in path]})
        return {"checkpoint": latest.as_dict(), "item_id": item_id, "entries": proofs}
