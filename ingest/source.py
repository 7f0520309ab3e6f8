"""What an extractor reads: a named run of bytes, in memory or in a file on disk."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from .errors import LimitReached
from .limits import Limits

__all__ = ["Context", "Source"]


@dataclass(frozen=True)
class Source:
    """A file to extract: ``data`` in memory, or ``path`` to stream from (large mailboxes)."""

    filename: str
    data: bytes | None = None
    path: Path | None = None
    modified_at: datetime | None = None  # the file's mtime, when we have one

    @classmethod
    def from_bytes(cls, data: bytes, filename: str) -> Source:
        return cls(filename=filename, data=data)

    @property
    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        assert self.path is not None
        return self.path.stat().st_size

    @property
    def extension(self) -> str:
        name = self.filename.rsplit("/", 1)[-1]
        return name.rsplit(".", 1)[-1].lower() if "." in name else ""

    def open(self) -> BinaryIO:
        """A binary stream over the content (the caller closes it)."""
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return self.path.open("rb")

    def head(self, n: int = 8192) -> bytes:
        if self.data is not None:
            return self.data[:n]
        with self.open() as fh:
            return fh.read(n)

    def read(self, limit: int) -> bytes:
        """All the bytes, refusing more than ``limit`` (a ``LimitReached``)."""
        if self.size > limit:
            raise LimitReached(f"{self.size:,} bytes is over the {limit:,}-byte limit for reading a file whole; stored")
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()


@dataclass(frozen=True)
class Context:
    """What every extraction carries: limits, nesting depth, a password, the dispatcher."""

    limits: Limits = field(default_factory=Limits)
    depth: int = 0
    password: str | None = None
    # told how far a long extraction got: (done, total or None, what), e.g. pages OCR'd
    progress: Callable[[int, int | None, str], None] | None = None
    # how the sender writes 3/4/2024, for an attachment: (month_first, why); see
    # ``ingest.dates.order_from_address``
    date_order_hint: tuple[bool, str] | None = None

    def report(self, done: int, total: int | None, what: str) -> None:
        """Passes progress on to whoever asked for it (a job's progress bar); never raises."""
        if self.progress is not None:
            try:
                self.progress(done, total, what)
            except Exception:  # progress is a courtesy: it must never break an extraction
                pass

    def deeper(self) -> Context:
        """The context for a container's member; refuses nesting past the limit."""
        if self.depth + 1 > self.limits.max_nesting:
            raise LimitReached(f"nested more than {self.limits.max_nesting} containers deep")
        return replace(self, depth=self.depth + 1)
