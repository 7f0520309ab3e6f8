"""Search commands: search, reindex."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import search as search_service
from .common import JsonOpt, app, archive_for, emit_json, err, out, parse_day, when


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='Words, "phrases", AND/OR/NOT, prefix*, from:greg, kind:email.')],
    client: Annotated[str | None, typer.Option("--client", help="Only this client's items.")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Hits per page.")] = 20,
    page: Annotated[int, typer.Option("--page")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Full-text search across emails, documents (by page), notes and calls.

    Example: casefile search '"no later than" deadline' --client northwind --from 2024-01-01
    """
    with archive_for(ctx) as archive:
        result = search_service.search(
            archive,
            query=query,
            client=client,
            kind=kind,
            date_from=parse_day(date_from),
            date_to=parse_day(date_to),
            limit=limit,
            page=page,
        )
    if as_json:
        emit_json(result)
        return
    for hit in result.hits:
        where = f", p. {hit.page}" if hit.page else ""
        out.print(f"#{hit.id} {when(hit.occurred_at)} {hit.kind} [{hit.client}] {hit.title}{where}", markup=False)
        out.print(f"    {' '.join(hit.snippet.split())}", markup=False, highlight=False)
    shown = f"{(page - 1) * limit + 1}-{(page - 1) * limit + len(result.hits)}" if result.hits else "0"
    out.print(f"{shown} of {result.total} hits", markup=False)


@app.command()
def reindex(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Rebuild the search index from the archive (the database is the source of truth).

    Example: casefile reindex
    """
    with archive_for(ctx) as archive:
        with Progress(
            TextColumn("reindexing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as bar:
            task = bar.add_task("reindexing", total=None)
            count = search_service.reindex(
                archive, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
    if as_json:
        emit_json({"documents": count})
    else:
        out.print(f"search index rebuilt: {count} documents", markup=False)
