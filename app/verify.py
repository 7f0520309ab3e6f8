"""Verifying the archive: every blob re-hashed, items and blobs matched, the ledger walked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from .archive import Archive
from .checkpoints import check_stored
from .itemstate import stale_items
from .ledger import walk_chain
from .models import DerivedFile, Item, LedgerEntry

__all__ = ["ARRIVALS", "VerifyProgress", "VerifyReport", "verify_archive"]

# custody entries that record an item's arrival: read on arrival, added by a person, or
# an upload recorded the moment its bytes were durable (read later by a job)
ARRIVALS = ("ingest", "add-event", "received")

VerifyProgress = Callable[[int, "int | None", str], None]  # (done, total or None, what is happening)


@dataclass
class VerifyReport:
    blobs_checked: int = 0
    items_checked: int = 0
    ledger_entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "blobs_checked": self.blobs_checked,
            "items_checked": self.items_checked,
            "ledger_entries": self.ledger_entries,
            "problems": self.problems,
        }


def _referenced_hashes(archive: Archive) -> Iterator[tuple[str, str]]:
    with archive.read() as session:
        for item_id, sha256 in session.exec(
            select(Item.id, Item.sha256).where(col(Item.sha256).is_not(None))
        ).all():
            yield sha256, f"item {item_id}"  # type: ignore[misc]
        for item_id, sha256 in session.exec(select(DerivedFile.item_id, DerivedFile.sha256)).all():
            yield sha256, f"derived file of item {item_id}"


def _doubled_items(session: Session) -> Iterator[str]:
    """The same bytes stored as two top-level items (two ingests that raced, before version 3)."""
    rows = session.exec(
        select(Item.sha256, func.group_concat(Item.id)).where(
            col(Item.parent_id).is_(None), col(Item.sha256).is_not(None)
        ).group_by(col(Item.sha256)).having(func.count() > 1)
    ).all()
    for sha256, ids in rows:
        numbers = sorted(int(i) for i in str(ids).split(","))
        listed = ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
        yield f"the same file (SHA-256 {sha256}) is stored twice as top-level items {listed}"


def verify_archive(archive: Archive, *, progress: VerifyProgress | None = None) -> VerifyReport:
    """Checks everything; the report lists each problem found (first one first)."""
    report = VerifyReport()
    referenced: dict[str, str] = {}
    for sha256, owner in _referenced_hashes(archive):
        referenced.setdefault(sha256, owner)
    stored = set()
    # Listed first so progress can say "n of N"; names only, so memory stays small.
    blobs = list(archive.blobs.all_hashes())
    for sha256 in blobs:
        if progress:
            progress(report.blobs_checked, len(blobs), "re-hashing the originals")
        stored.add(sha256)
        report.blobs_checked += 1
        actual = archive.blobs.hash_of_stored(sha256)
        if actual != sha256:
            report.problems.append(f"blob {sha256} was altered: its content now hashes to {actual}")
        if sha256 not in referenced:
            report.problems.append(f"blob {sha256} belongs to no item")
    report.problems.extend(archive.blobs.strays())  # never a crash: a stray is named, not opened
    for sha256, owner in sorted(referenced.items(), key=lambda kv: kv[1]):
        if sha256 not in stored:
            report.problems.append(f"{owner} has no stored original (blob {sha256} is missing)")
    if progress:
        progress(report.blobs_checked, len(blobs), "walking the custody ledger")
    with archive.read() as session:
        report.problems.extend(walk_chain(session))
        report.problems.extend(_doubled_items(session))
        report.problems.extend(stale_items(session))
        report.problems.extend(check_stored(session, archive))
        report.ledger_entries = session.exec(select(LedgerEntry.seq).order_by(col(LedgerEntry.seq).desc())).first() or 0
        ingested = set(
            session.exec(
                select(LedgerEntry.item_id).where(col(LedgerEntry.action).in_(ARRIVALS))
            ).all()
        )
        existing = session.exec(select(Item.id).order_by(col(Item.id))).all()
        for item_id in existing:
            report.items_checked += 1
            if item_id not in ingested:
                report.problems.append(f"item {item_id} has no custody entry for its arrival")
        known = set(existing)
        for orphan in sorted(i for i in ingested if i is not None and i not in known):
            report.problems.append(f"custody entry names item {orphan}, which is no longer in the archive")
    return report
