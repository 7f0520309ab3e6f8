"""Which items a bundle holds, grouped into families and put in Bates order.

Numbering decisions, in one place:

- An email and everything attached to it (recursively: an attached zip and its members,
  a forwarded message and its attachments) is one *family*. Families never split: a
  selected attachment brings its parent email and its siblings, a selected email brings
  its attachments. Inside a family the parent comes first, then attachments depth-first.
- A *container* (an mbox, a call-log CSV, a zip that arrived on its own) is not a family:
  each message or row inside it is a document of its own, selected on its own merits.
  The container itself is a document too, so its original bytes are produced, but it
  only gets a slip sheet that points to its members. Containers are numbered after every
  other document, so their slip sheets can cite their members' Bates numbers.
- Families are ordered by the date of their first document (undated ones last), then by
  item id, which is arrival order.
- Only items of the chosen client are ever included, even when a family or container
  somehow spans clients: scope beats completeness. A container that also holds another
  client's documents (a message re-assigned after the mailbox was ingested) keeps its
  slip sheet but not its native: its bytes would carry the other client's mail.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from ..archive import Archive
from ..clients import get_client
from ..errors import InvalidInput
from ..models import Item, ItemTag
from ..tags import validate_tag
from .schemas import SelectionPublic

__all__ = ["FAMILY_KINDS", "Plan", "PlannedDoc", "plan_documents"]

# A parent of one of these kinds keeps its children in its family; any other parent
# with children (an mbox, a CSV, a zip) is a container whose children stand alone.
FAMILY_KINDS = frozenset({"email", "attachment"})


@dataclass(frozen=True)
class PlannedDoc:
    """One document of the bundle, in Bates order."""

    item_id: int
    family: int  # the item id of the family's first document (its own id when alone)
    container: bool  # produced natively with a slip sheet; its members stand alone
    foreign_members: int = 0  # a container's members of other clients: its native is withheld


@dataclass
class Plan:
    """The documents of a bundle in Bates order, and what a renderer needs to know."""

    client_id: int
    client_slug: str
    client_name: str
    docs: list[PlannedDoc]
    children: dict[int, list[int]] = field(default_factory=dict)  # every child of every included item
    newest_ingest: datetime | None = None


@dataclass(frozen=True)
class _Row:
    id: int
    parent_id: int | None
    kind: str
    occurred: datetime | None
    ingested: datetime


def _day_start(value: date) -> datetime:
    return datetime.combine(value, time(), tzinfo=UTC)


def _tagged(session: Session, client_id: int, tag: str) -> set[int]:
    rows = session.exec(
        select(ItemTag.item_id)
        .join(Item, col(Item.id) == ItemTag.item_id)
        .where(Item.client_id == client_id, ItemTag.tag == validate_tag(tag))
    ).all()
    return set(rows)


def _matching(archive: Archive, selection: SelectionPublic) -> set[int]:
    # The full-text index is owned by app.search; a bundle never searches on its own.
    # Imported here because the search package pulls in the index engine.
    from ..search import matching_item_ids

    return set(matching_item_ids(archive, query=selection.query or "", client=selection.client))


def _order_key(row: _Row) -> tuple[bool, datetime, int]:
    return (row.occurred is None, row.occurred or datetime.min.replace(tzinfo=UTC), row.id)


def _as_utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return value


def plan_documents(archive: Archive, *, selection: SelectionPublic) -> Plan:
    """The client's items that match ``selection``, with whole families, in Bates order."""
    if selection.date_from and selection.date_to and selection.date_from > selection.date_to:
        raise InvalidInput("--from is after --to: nothing could match")
    matched_by_search = _matching(archive, selection) if selection.query else None
    with archive.read() as session:
        client = get_client(session, selection.client)
        assert client.id is not None
        rows = {
            r[0]: _Row(r[0], r[1], r[2], _as_utc(r[3]), _as_utc(r[4]) or datetime.min.replace(tzinfo=UTC))
            for r in session.exec(
                select(Item.id, Item.parent_id, Item.kind, Item.occurred_at_utc, Item.ingested_at_utc)
                .where(Item.client_id == client.id)
            ).all()
        }
        matched = set(rows)
        if selection.date_from or selection.date_to:
            low = _day_start(selection.date_from) if selection.date_from else None
            high = _day_start(selection.date_to + timedelta(days=1)) if selection.date_to else None
            matched = {
                i for i in matched
                if rows[i].occurred is not None
                and (low is None or rows[i].occurred >= low)  # type: ignore[operator]
                and (high is None or rows[i].occurred < high)  # type: ignore[operator]
            }
        if selection.tag:
            matched &= _tagged(session, client.id, selection.tag)
        if matched_by_search is not None:
            matched &= matched_by_search
        parent = aliased(Item)
        all_children: dict[int, list[int]] = defaultdict(list)
        # Children of any client are counted (a container's slip sheet says how many
        # members it has); only the client's own are ever included.
        for child_id, parent_id in session.exec(
            select(Item.id, Item.parent_id)
            .join(parent, col(Item.parent_id) == parent.id)
            .where(parent.client_id == client.id)
        ).all():
            all_children[parent_id].append(child_id)  # type: ignore[index]
        slug, name = client.slug, client.name
    return _arrange(rows, matched, all_children, client.id, slug, name)


def _root(rows: dict[int, _Row], item_id: int) -> int:
    current = rows[item_id]
    while current.parent_id in rows and rows[current.parent_id].kind in FAMILY_KINDS:  # type: ignore[index]
        current = rows[current.parent_id]  # type: ignore[index]
    return current.id


def _family(rows: dict[int, _Row], children: dict[int, list[int]], root: int) -> list[int]:
    members = [root]
    if rows[root].kind in FAMILY_KINDS:
        for child in sorted(children.get(root, ())):
            if child in rows:  # another client's attachment stays out
                members.extend(_family(rows, children, child))
    return members


def _arrange(
    rows: dict[int, _Row], matched: set[int], children: dict[int, list[int]],
    client_id: int, slug: str, name: str,
) -> Plan:
    roots = {_root(rows, i) for i in matched}
    containers = {r for r in roots if rows[r].kind not in FAMILY_KINDS and children.get(r)}
    docs: list[PlannedDoc] = []
    for root in sorted(roots - containers, key=lambda r: _order_key(rows[r])):
        docs.extend(PlannedDoc(m, root, False) for m in _family(rows, children, root))
    for root in sorted(containers, key=lambda r: _order_key(rows[r])):
        foreign = sum(1 for child in children[root] if child not in rows)
        docs.append(PlannedDoc(root, root, True, foreign_members=foreign))
    included = {d.item_id for d in docs}
    newest = max((rows[i].ingested for i in included), default=None)
    return Plan(
        client_id=client_id, client_slug=slug, client_name=name, docs=docs,
        children={i: sorted(children[i]) for i in included if children.get(i)},
        newest_ingest=newest,
    )
