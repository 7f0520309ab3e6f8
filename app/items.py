"""Reading the archive: clients, item lists with filters, one item in full."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from .archive import Archive
from .clients import get_client
from .errors import ClientNotFound, InvalidInput, ItemNotFound, NotFound
from .labels import MAX_LABEL, labels_by_item, with_label
from .models import (
    Client,
    ClientAddress,
    DateMentionRow,
    DerivedFile,
    Item,
    ItemLabel,
    ItemTag,
    LedgerEntry,
    PageRow,
    ParticipantRow,
)
from .schemas import (
    ClientPublic,
    DateMentionPublic,
    DerivedPublic,
    ItemDetail,
    ItemList,
    ItemPublic,
    LedgerEntryPublic,
    PagePublic,
)
from .tags import annotations, validate_tag

__all__ = [
    "KINDS",
    "SORTS",
    "STATUSES",
    "ListingOptions",
    "derived_path",
    "get_item",
    "list_clients",
    "list_items",
    "listing_options",
    "original_path",
    "withheld_container",
]

KINDS = ("email", "attachment", "document", "note", "call", "event", "contact")
STATUSES = ("ok", "partial", "failed", "pending", "processing")
SORTS = ("date", "title", "kind", "ingested")
MAX_CORRESPONDENT_CHARS = 200


def _scoped_client(session: Session, client: str, within: Collection[str] | None) -> Client:
    """The client called ``client``; one outside ``within`` is as unknown as one that does not exist."""
    if within is not None and client not in within:
        raise ClientNotFound(client)
    return get_client(session, client)


def list_clients(archive: Archive, *, within: Collection[str] | None = None) -> list[ClientPublic]:
    """Every client (only those in ``within``, when given) with its item count and learned correspondents."""
    with archive.read() as session:
        query = select(Client).order_by(Client.slug)
        if within is not None:
            query = query.where(col(Client.slug).in_(sorted(within)))
        clients = session.exec(query).all()
        ids = [c.id for c in clients]
        counts = dict(
            session.exec(
                select(Item.client_id, func.count()).where(col(Item.client_id).in_(ids)).group_by(Item.client_id)
            ).all()
        )
        addresses: dict[int, list[str]] = defaultdict(list)
        for row in session.exec(
            select(ClientAddress).where(col(ClientAddress.client_id).in_(ids)).order_by(ClientAddress.value)
        ).all():
            addresses[row.client_id].append(row.value)
        return [
            ClientPublic(
                slug=c.slug, name=c.name, created_at=c.created_at_utc,
                item_count=counts.get(c.id, 0), addresses=addresses.get(c.id or 0, []),
            )
            for c in clients
        ]


def _publics(session: Session, items: Sequence[Item], within: Collection[str] | None = None) -> list[ItemPublic]:
    ids = [i.id for i in items]
    people: dict[int, list[ParticipantRow]] = defaultdict(list)
    if ids:
        for row in session.exec(
            select(ParticipantRow).where(col(ParticipantRow.item_id).in_(ids)).order_by(ParticipantRow.id)
        ).all():
            people[row.item_id].append(row)
    slugs = dict(session.exec(select(Client.id, Client.slug)).all())
    labels = labels_by_item(session, [i for i in ids if i is not None])
    publics = [ItemPublic.of(i, slugs[i.client_id], people[i.id or 0], labels.get(i.id or 0, ())) for i in items]
    parents = {p.parent_id for p in publics if p.parent_id is not None}
    if within is None or not parents:
        return publics
    # a parent of another client (a mailbox a message was moved out of) is not named, not even by its id
    seen = set(session.exec(
        select(Item.id).join(Client, col(Client.id) == col(Item.client_id))
        .where(col(Item.id).in_(parents), col(Client.slug).in_(sorted(within)))
    ).all())
    return [p if p.parent_id is None or p.parent_id in seen else p.model_copy(update={"parent_id": None})
            for p in publics]


def _day_start(value: date) -> datetime:
    return datetime.combine(value, time(), tzinfo=UTC)


def _ordering(sort: str, descending: bool) -> list[Any]:
    """ORDER BY terms for ``sort``; undated items stay last either way, the id breaks ties."""
    if sort not in SORTS:
        raise InvalidInput(f"unknown sort '{sort}' (one of: {', '.join(SORTS)})")

    def way(term: Any) -> Any:
        return term.desc() if descending else term.asc()

    by_date = [col(Item.occurred_at_utc).is_(None), way(col(Item.occurred_at_utc))]
    keys = {
        "date": by_date,
        "title": [way(func.lower(Item.title))],
        "kind": [way(col(Item.kind)), *by_date],
        "ingested": [way(col(Item.ingested_at_utc))],
    }
    return [*keys[sort], way(col(Item.id))]


def _correspondent(value: str | None) -> str | None:
    text = (value or "").strip().lower()
    if len(text) > MAX_CORRESPONDENT_CHARS:
        raise InvalidInput(f"a correspondent is at most {MAX_CORRESPONDENT_CHARS} characters")
    return text or None


def list_items(
    archive: Archive,
    *,
    client: str | None = None,
    kind: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    tag: str | None = None,
    status: str | None = None,
    correspondent: str | None = None,
    label: str | None = None,
    sort: str = "date",
    descending: bool = False,
    limit: int = 100,
    offset: int = 0,
    within: Collection[str] | None = None,
) -> ItemList:
    """Items filtered by client, kind, date range, tag, status, correspondent and source
    label (``label``: as the mailbox had it, e.g. Gmail's "Clients/Northwind", any case),
    sorted by ``sort``.

    The default is date order, undated last. ``correspondent`` matches any part of a
    participant's address or name ("greg" finds greg.thornton@...), case-insensitively.
    ``within`` limits the list (and its total) to those clients' items.
    """
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"unknown kind '{kind}' (one of: {', '.join(KINDS)})")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"unknown status '{status}' (one of: {', '.join(STATUSES)})")
    if limit < 1 or limit > 10_000 or offset < 0:
        raise InvalidInput("limit must be 1-10000 and offset at least 0")
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(f"the 'to' date ({date_to}) is before the 'from' date ({date_from})")
    order = _ordering(sort, descending)
    wanted_tag = validate_tag(tag) if tag is not None else None
    person = _correspondent(correspondent)
    if label is not None and (not label.strip() or len(label) > MAX_LABEL):
        raise InvalidInput(f"a label is 1-{MAX_LABEL} characters")
    with archive.read() as session:
        query = select(Item)
        if client:
            query = query.where(Item.client_id == _scoped_client(session, client, within).id)
        elif within is not None:
            query = query.where(col(Item.client_id).in_(
                select(Client.id).where(col(Client.slug).in_(sorted(within)))
            ))
        if kind:
            query = query.where(Item.kind == kind)
        if status:
            query = query.where(Item.status == status)
        if date_from:
            query = query.where(col(Item.occurred_at_utc) >= _day_start(date_from))
        if date_to:
            query = query.where(col(Item.occurred_at_utc) < _day_start(date_to + timedelta(days=1)))
        if wanted_tag:
            query = query.where(col(Item.id).in_(select(ItemTag.item_id).where(ItemTag.tag == wanted_tag)))
        if label:
            query = query.where(col(Item.id).in_(with_label(label)))
        if person:
            people = select(ParticipantRow.item_id).where(or_(
                func.lower(ParticipantRow.address).contains(person, autoescape=True),
                func.lower(ParticipantRow.name).contains(person, autoescape=True),
            ))
            query = query.where(col(Item.id).in_(people))
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(query.order_by(*order).offset(offset).limit(limit)).all()
        return ItemList(total=total, items=_publics(session, rows, within))


@dataclass(frozen=True)
class ListingOptions:
    """What a client's items can be filtered by: the client's name and the values in use."""

    client: str
    client_name: str
    tags: tuple[str, ...]
    correspondents: tuple[str, ...]  # addresses on the client's items, most frequent first
    labels: tuple[str, ...] = ()  # source labels on the client's items (Gmail's), alphabetical


def listing_options(archive: Archive, *, client: str, max_correspondents: int = 200) -> ListingOptions:
    """The client's display name, the tags on its items and its correspondents' addresses."""
    with archive.read() as session:
        row = get_client(session, client)
        tags = session.exec(
            select(ItemTag.tag).join(Item, col(Item.id) == ItemTag.item_id)
            .where(Item.client_id == row.id).distinct().order_by(col(ItemTag.tag))
        ).all()
        count = func.count(col(ParticipantRow.id))
        people = session.exec(
            select(ParticipantRow.address).join(Item, col(Item.id) == ParticipantRow.item_id)
            .where(Item.client_id == row.id, ParticipantRow.address != "")
            .group_by(col(ParticipantRow.address)).order_by(count.desc(), col(ParticipantRow.address))
            .limit(max_correspondents)
        ).all()
        labels = session.exec(
            select(ItemLabel.label).join(Item, col(Item.id) == ItemLabel.item_id)
            .where(Item.client_id == row.id).distinct().order_by(col(ItemLabel.label)).limit(max_correspondents)
        ).all()
        return ListingOptions(client=row.slug, client_name=row.name, tags=tuple(tags), correspondents=tuple(people),
                              labels=tuple(labels))


def _in_scope(session: Session, item: Item, within: Collection[str] | None) -> bool:
    if within is None:
        return True
    slug = session.exec(select(Client.slug).where(Client.id == item.client_id)).first()
    return slug in within


def get_item(archive: Archive, *, item_id: int, within: Collection[str] | None = None) -> ItemDetail:
    """One item with its text, children, pages, date mentions and ledger history.

    With ``within``, an item of another client is not found, and children of other
    clients (a message moved out of this mailbox) are left out.
    """
    with archive.read() as session:
        item = session.get(Item, item_id)
        if item is None or not _in_scope(session, item, within):
            raise ItemNotFound(item_id)
        public = _publics(session, [item], within)[0]
        children_query = select(Item).where(Item.parent_id == item_id).order_by(col(Item.id))
        if within is not None:
            children_query = children_query.join(Client, col(Client.id) == col(Item.client_id)).where(
                col(Client.slug).in_(sorted(within))
            )
        children = session.exec(children_query).all()
        pages = session.exec(
            select(PageRow).where(PageRow.item_id == item_id).order_by(col(PageRow.number))
        ).all()
        mentions = session.exec(
            select(DateMentionRow).where(DateMentionRow.item_id == item_id).order_by(col(DateMentionRow.id))
        ).all()
        derived = session.exec(select(DerivedFile).where(DerivedFile.item_id == item_id)).all()
        ledger = session.exec(
            select(LedgerEntry).where(LedgerEntry.item_id == item_id).order_by(col(LedgerEntry.seq))
        ).all()
        flags = annotations(session, item_id)
        return ItemDetail(
            **public.model_dump(),
            text=item.text,
            facts=json.loads(item.facts_json),
            other_dates=json.loads(item.other_dates_json),
            children=_publics(session, children, within),
            pages=[PagePublic.of(p) for p in pages],
            date_mentions=[DateMentionPublic.of(m) for m in mentions],
            derived=[DerivedPublic.of(d) for d in derived],
            ledger=[LedgerEntryPublic.of(e) for e in ledger],
            tags=flags.tags,
            notes=flags.notes,
        )


def withheld_container(session: Session, item: Item, within: Collection[str]) -> int:
    """How many documents of clients outside ``within`` the container ``item`` holds (0: none, or no container).

    The bundle's rule (app.bundle.selection): a container (an mbox, a call log, a zip) is
    not a family, and when it also holds other clients' documents its own bytes carry
    theirs, so its native is withheld from whoever may only see ``within``.
    """
    from .bundle.selection import FAMILY_KINDS  # the one definition of a family (the bundle package is heavy)

    if item.kind in FAMILY_KINDS:
        return 0
    return session.exec(
        select(func.count()).select_from(Item).join(Client, col(Client.id) == col(Item.client_id))
        .where(Item.parent_id == item.id, col(Client.slug).not_in(sorted(within)))
    ).one()


def original_path(archive: Archive, *, item_id: int, within: Collection[str] | None = None) -> tuple[Path, Item]:
    """Where an item's original bytes are stored, for download.

    With ``within``: another client's item is not found, and a container that also holds
    other clients' documents is refused (its bytes are theirs too), as a bundle withholds it.
    """
    with archive.read() as session:
        item = session.get(Item, item_id)
        if item is None or not _in_scope(session, item, within):
            raise ItemNotFound(item_id)
        if item.sha256 is None:
            raise NotFound(f"item {item_id} has no original file of its own (it cites its parent)")
        if within is not None and (foreign := withheld_container(session, item, within)):
            raise NotFound(
                f"the original file of item {item_id} is withheld: it also holds {foreign} document(s) of "
                "other clients; open its documents one by one instead"
            )
        return archive.blobs.path_for(item.sha256), item


def derived_path(archive: Archive, *, item_id: int, role: str) -> tuple[Path, DerivedFile]:
    """Where a derived file (e.g. the searchable PDF) of an item is stored."""
    with archive.read() as session:
        if session.get(Item, item_id) is None:
            raise ItemNotFound(item_id)
        row = session.exec(
            select(DerivedFile).where(DerivedFile.item_id == item_id, DerivedFile.role == role)
        ).first()
        if row is None:
            raise NotFound(f"item {item_id} has no {role.replace('_', ' ')}")
        return archive.blobs.path_for(row.sha256), row
