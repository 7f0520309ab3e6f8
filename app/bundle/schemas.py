"""Public shapes of the bundle feature: what an export and a verification return."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

__all__ = ["BundleCheck", "BundlePublic", "BundleSummary", "SelectionPublic"]


class SelectionPublic(BaseModel):
    """Which items a bundle was asked for (as recorded in its README and the ledger)."""

    client: str
    date_from: date | None = None
    date_to: date | None = None
    tag: str | None = None
    query: str | None = None


class BundleSummary(BaseModel):
    """What one export wrote: where, its hashes, and its counts."""

    path: str
    filename: str
    sha256: str  # of the zip file itself
    sums_sha256: str  # of its SHA256SUMS member (recorded in the custody ledger)
    bytes: int
    client: str
    prefix: str
    documents: int
    natives: int
    pages: int
    first_bates: str
    last_bates: str
    selection: SelectionPublic
    included: list[str]  # the optional parts present, e.g. "timeline"
    missing: list[str]  # optional parts left out, each with the reason

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready values."""
        return self.model_dump(mode="json")


class BundlePublic(BaseModel):
    """A bundle built by the API, ready to download from ``download_url``."""

    id: str
    filename: str
    sha256: str
    documents: int
    pages: int
    download_url: str


class BundleCheck(BaseModel):
    """The verdict on a bundle: intact, or the list of problems found."""

    path: str
    ok: bool
    documents: int
    pages: int
    first_bates: str | None
    last_bates: str | None
    files_checked: int
    problems: list[str]

    def summary(self) -> str:
        """The one line ``casefile verify`` prints for an intact bundle."""
        return (
            f"bundle intact: {self.documents} documents, {self.pages} pages, "
            f"Bates {self.first_bates}–{self.last_bates}"
        )
