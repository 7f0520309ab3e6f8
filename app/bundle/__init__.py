"""Evidence bundles for a lawyer: one dated, Bates-numbered, self-verifying zip per export.

    export_bundle    select, render, number and pack a client's evidence (export.py)
    publish_bundle   the same, into the data folder's exports/ for download (published.py)
    verify_bundle    check a bundle against its own SHA256SUMS, Bates numbers and index (verify.py)
"""

from __future__ import annotations

from .export import default_filename, export_bundle, validate_prefix
from .schemas import BundleCheck, BundlePublic, BundleSummary, SelectionPublic
from .verify import verify_bundle

__all__ = [
    "BundleCheck",
    "BundlePublic",
    "BundleSummary",
    "SelectionPublic",
    "default_filename",
    "export_bundle",
    "validate_prefix",
    "verify_bundle",
]
