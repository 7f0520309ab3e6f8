"""Search."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from .. import search as search_service
from ..access import PrincipalDep, reads
from ..search import SearchResponse
from .deps import ArchiveDep

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResponse)
@reads("search")
def search(
    archive: ArchiveDep,
    principal: PrincipalDep,
    q: Annotated[str, Query(max_length=2000, description='Words, "phrases", AND/OR/NOT, prefix*, field:value')],
    client: str | None = None,
    kind: str | None = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    page: Annotated[int, Query(ge=1)] = 1,
) -> SearchResponse:
    """Ranked hits with snippets, pages and facets; same shape as `casefile search --json`."""
    return search_service.search(
        archive, query=q, client=client, kind=kind, date_from=date_from, date_to=date_to,
        limit=limit, page=page, within=principal.within(),
    )
