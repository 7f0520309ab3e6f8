"""What one ingest call carries from file to file: its report, settings and progress hooks.

Also the two lookups by hash every ingest makes: is this file already a top-level item,
and is this member already stored (under this container, or as an email anywhere).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from ingest.source import Context

from .archive import Archive

__all__ = [
    "PENDING",
    "Counted",
    "IngestReport",
    "IngestRun",
    "Progress",
    "existing_top_level",
    "stored_email",
    "stored_member",
]

Progress = Callable[[str, int], None]  # (what happened, files finished)
Counted = Callable[[int, "int | None", str], None]  # (done, total or None, what): pages OCR'd, messages read

# Only the hash in WHERE: with "AND kind = ..." SQLite's planner may pick the (far less
# selective) kind index and scan every email. A plain statement: it runs per message.
_SAME_BYTES = text("SELECT id, kind, parent_id, ingest_state FROM item WHERE sha256 = :sha256")
PENDING = "pending"  # the status of an item whose bytes arrived and that is not read yet


@dataclass
class IngestReport:
    """What one ingest did: counts for the summary line and one line per problem."""

    files: int = 0
    stored: int = 0
    duplicates: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)  # extraction failures (still stored)
    not_stored: list[str] = field(default_factory=list)  # could not be stored at all
    item_ids: list[int] = field(default_factory=list)  # the top-level items, new or existing
    resumed: list[str] = field(default_factory=list)  # containers finished after an earlier stop

    @property
    def ok(self) -> bool:
        """True when every file was stored (even if some could not be read)."""
        return not self.not_stored

    def summary(self) -> str:
        parts = [
            f"{self.files} file{'s' if self.files != 1 else ''}",
            f"{self.stored} stored",
            f"{self.duplicates} duplicate{'s' if self.duplicates != 1 else ''}",
            f"{self.failed} failed",
        ]
        if self.not_stored:
            parts.append(f"{len(self.not_stored)} NOT stored")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "failed": self.failed,
            "problems": self.problems,
            "not_stored": self.not_stored,
            "item_ids": self.item_ids,
            "resumed": self.resumed,
        }


@dataclass
class IngestRun:
    """State shared by the files of one ingest call."""

    archive: Archive
    client: str | None
    ctx: Context
    actor: str
    report: IngestReport
    progress: Progress | None = None
    counted: Counted | None = None
    emails_seen: dict[str, int] = field(default_factory=dict)  # sha256 -> item id, this run
    # a container read again after a stop part-way: members already under it are skipped
    resuming: int | None = None
    skipped: int = 0  # members found already stored while resuming


def existing_top_level(session: Session, sha256: str) -> tuple[int, str] | None:
    """The top-level item holding these bytes and its ingest state, if there is one."""
    rows = session.connection().execute(_SAME_BYTES, {"sha256": sha256}).all()
    return next(((row.id, row.ingest_state) for row in rows if row.parent_id is None), None)


def stored_member(session: Session, sha256: str, parent_id: int) -> bool:
    """Whether these bytes are already a member of ``parent_id`` (stored before a stop)."""
    rows = session.connection().execute(_SAME_BYTES, {"sha256": sha256}).all()
    return any(row.parent_id == parent_id for row in rows)


def stored_email(session: Session, sha256: str) -> int | None:
    """The stored email with these bytes, if any (the same message in two mailboxes)."""
    rows = session.connection().execute(_SAME_BYTES, {"sha256": sha256}).all()
    return next((row.id for row in rows if row.kind == "email"), None)
