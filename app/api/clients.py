"""Clients."""

from __future__ import annotations

from fastapi import APIRouter

from .. import items
from ..schemas import ClientPublic
from .deps import ArchiveDep

router = APIRouter(tags=["clients"])


@router.get("/clients", response_model=list[ClientPublic])
def list_clients(archive: ArchiveDep) -> list[ClientPublic]:
    """Every client with item counts and learned correspondents."""
    return items.list_clients(archive)
