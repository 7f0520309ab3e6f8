"""The archive at a glance: per client, how much evidence, the latest activity, open silences."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import and_, func
from sqlmodel import col, select

from .archive import Archive
from .items import list_clients
from .models import Client, Item
from .timeline import build_timeline

__all__ = ["ClientOverview", "client_overviews"]


class ClientOverview(BaseModel):
    """One client as the clients page shows it."""

    slug: str
    name: str
    item_count: int
    last_activity: datetime | None  # the latest item date, in the offset it was written in
    open_silences: int  # silences still waiting for an answer (see app.timeline.silences)


def _last_activity(archive: Archive) -> dict[int, datetime]:
    """Each client's latest dated item, by client id (one query for every client)."""
    with archive.read() as session:
        latest = (
            select(Item.client_id, func.max(Item.occurred_at_utc).label("at"))
            .group_by(col(Item.client_id)).subquery()
        )
        rows = session.exec(
            select(Item).join(latest, and_(
                col(Item.client_id) == latest.c.client_id, col(Item.occurred_at_utc) == latest.c.at,
            ))
        ).all()
        found: dict[int, datetime] = {}
        for item in rows:
            if item.occurred_at is not None:
                found[item.client_id] = item.occurred_at
        return found


def _client_ids(archive: Archive) -> dict[str, int]:
    with archive.read() as session:
        return {slug: client_id for client_id, slug in session.exec(select(Client.id, Client.slug)).all()}


def client_overviews(
    archive: Archive, *, within: Collection[str] | None = None, now: datetime | None = None
) -> list[ClientOverview]:
    """Every client (only those in ``within``, when given) with its item count, latest activity and open silences."""
    ids = _client_ids(archive)
    latest = _last_activity(archive)
    overviews = []
    for client in list_clients(archive, within=within):
        # Silences are the timeline's to measure (who "we" are, thresholds, replies in
        # threads): counting them any other way would be a second copy of that logic.
        # A client with no items has none; the others cost one timeline build each.
        open_count = 0
        if client.item_count:
            timeline = build_timeline(archive, client=client.slug, now=now)
            open_count = sum(1 for s in timeline.silences if s.open)
        overviews.append(ClientOverview(
            slug=client.slug, name=client.name, item_count=client.item_count,
            last_activity=latest.get(ids[client.slug]), open_silences=open_count,
        ))
    return overviews
