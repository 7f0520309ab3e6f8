"""A client's timeline: JSON, or exported as CSV, Markdown or a printable HTML page."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ..access import reads
from ..timeline import FORMATS, Timeline, TimelineQuery, build_timeline, timeline_json
from .deps import ArchiveDep

router = APIRouter(tags=["timeline"])

# The HTML export is self-contained: inline CSS, no scripts, nothing to fetch.
_HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


@router.get("/clients/{slug}/timeline", response_model=Timeline)
@reads("timeline")
def get_timeline(
    archive: ArchiveDep,
    slug: str,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    kind: Annotated[list[str] | None, Query(description="entry kinds (repeatable)")] = None,
    only_flagged: bool = False,
    tag: Annotated[list[str] | None, Query(description="only items with one of these tags")] = None,
    format: Literal["json", "csv", "md", "html"] = "json",  # the public parameter name, shadowing or not
) -> Timeline | Response:
    """The client's chronology with silences, undated items and key facts, every fact cited."""
    query = TimelineQuery(date_from=date_from, date_to=date_to, kinds=kind, only_flagged=only_flagged, tags=tag)
    if format == "json":
        # Written straight from the build (see app.timeline.build): returning the model
        # would make FastAPI validate and convert all of its entries again. The response
        # model above still documents the shape in /docs; the tests check it is the same.
        return Response(timeline_json(archive, client=slug, **query), media_type="application/json")
    result = build_timeline(archive, client=slug, **query)
    render, media_type = FORMATS[format]
    headers = dict(_HTML_HEADERS) if format == "html" else {"X-Content-Type-Options": "nosniff"}
    if format == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{slug}-timeline.csv"'
    return Response(render(result), media_type=media_type, headers=headers)
