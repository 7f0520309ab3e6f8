"""Clients."""

from __future__ import annotations

from fastapi import APIRouter

from .. import items
from ..access import PrincipalDep, reads
from ..schemas import ClientPublic
from .deps import ArchiveDep

router = APIRouter(tags=["clients"])


@router.get("/clients", response_model=list[ClientPublic])
@reads()
def list_clients(archive: ArchiveDep, principal: PrincipalDep) -> list[ClientPublic]:
    """Every client (a lawyer: theirs) with item counts and learned correspondents."""
    return items.list_clients(archive, within=principal.within())
