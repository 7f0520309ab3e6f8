"""Labels an item carried where it came from (Gmail's ``X-Gmail-Labels``), as evidence.

A label is read from the item's source, unlike a tag, which a person adds and the custody
ledger records as a change: labels are written once, with the item, from the facts its
reader found (``facts["labels"]``), and never edited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from .models import ItemLabel

__all__ = ["MAX_LABEL", "item_labels", "labels_by_item", "with_label"]

MAX_LABEL = 200  # characters; Gmail's own limit is 225 bytes for a whole label path


def item_labels(facts: Mapping[str, Any]) -> list[str]:
    """The labels in a record's facts, as written, once each (case-insensitively), in order."""
    raw = facts.get("labels")
    if not isinstance(raw, (list, tuple)):
        return []
    seen: set[str] = set()
    labels: list[str] = []
    for value in raw:
        label = " ".join(str(value).split())[:MAX_LABEL]
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            labels.append(label)
    return labels


def labels_by_item(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    """Each of these items' labels, in the order they were recorded."""
    found: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return found
    for item_id, label in session.exec(
        select(ItemLabel.item_id, ItemLabel.label).where(col(ItemLabel.item_id).in_(ids)).order_by(col(ItemLabel.id))
    ).all():
        found[item_id].append(label)
    return found


def with_label(label: str) -> Any:
    """A subquery of the ids of items carrying ``label`` (compared case-insensitively)."""
    wanted = " ".join(label.split()).lower()
    return select(ItemLabel.item_id).where(func.lower(ItemLabel.label) == wanted)
