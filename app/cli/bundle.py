"""Bundle commands: export (the zip for a lawyer) and verify (check one without the archive)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ..bundle import export_bundle, verify_bundle
from .common import JsonOpt, app, archive_for, emit_json, err, out, parse_day


@app.command()
def export(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Client slug.")],
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Zip file to write, or a folder (default: current folder).")
    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Only items with this tag.")] = None,
    query: Annotated[str | None, typer.Option("--query", help="Only items matching this search.")] = None,
    prefix: Annotated[
        str | None, typer.Option("--prefix", help="Bates prefix, A-Z/0-9 (default: from the client).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Bundle date for the name and README (default: today).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Export a client's evidence as one dated, Bates-numbered, self-verifying zip.

    Example: casefile export northwind --from 2024-04-01 --prefix NWR --out ~/Desktop/
    """
    with archive_for(ctx) as archive:
        bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       console=err, transient=True, disable=not sys.stderr.isatty())
        task = bar.add_task("rendering", total=None)

        def progress(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total)

        with bar:
            summary = export_bundle(
                archive, client=client, out=out_path or Path.cwd(), date_from=parse_day(date_from),
                date_to=parse_day(date_to), tag=tag, query=query, prefix=prefix, as_of=parse_day(as_of),
                overwrite=force, progress=progress,
            )
    if as_json:
        emit_json(summary)
        return
    out.print(
        f"wrote {summary.path}: {summary.documents} documents, {summary.pages} pages, "
        f"Bates {summary.first_bates}–{summary.last_bates}\nsha256 {summary.sha256}",
        markup=False, highlight=False,
    )
    for missing in summary.missing:
        err.print(f"note: not included: {missing}", markup=False, highlight=False)


@app.command()
def verify(
    bundle: Annotated[Path, typer.Argument(metavar="FILE.zip", help="A bundle made by 'casefile export'.")],
    as_json: JsonOpt = False,
) -> None:
    """Check a bundle: every file against SHA256SUMS, the Bates sequence, the natives' hashes.

    Example: casefile verify northwind-evidence-2024-08-20.zip
    """
    report = verify_bundle(path=bundle)
    if as_json:
        emit_json(report)
    elif report.ok:
        out.print(report.summary(), markup=False, highlight=False)
    else:
        for problem in report.problems:
            err.print(f"PROBLEM: {problem}", markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(1)
