"""Full-text search over the archive, behind a narrow backend interface."""

from __future__ import annotations

from .backend import SearchBackend
from .querying import check_query
from .service import (
    SearchHit,
    SearchResponse,
    backend_for,
    matching_item_ids,
    reindex,
    search,
    sync_index,
    try_sync_index,
)

__all__ = [
    "SearchBackend",
    "SearchHit",
    "SearchResponse",
    "backend_for",
    "check_query",
    "matching_item_ids",
    "reindex",
    "search",
    "sync_index",
    "try_sync_index",
]
