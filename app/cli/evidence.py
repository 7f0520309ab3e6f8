"""Evidence commands: init, ingest, clients, items, show, add-event, assign, correct, verify, serve, worker."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .. import changes, corrections, items
from ..checkpoints import make_checkpoint, prove_entries, read_checkpoint_file, verify_since, write_receipt
from ..config import Settings
from ..ingesting import IngestReport, ingest_paths, iter_files
from ..verify import verify_archive
from .accounts import is_loopback, open_serving_refusal
from .common import JsonOpt, app, archive_for, emit_json, err, out, parse_day, when


@app.command()
def init(
    ctx: typer.Context,
    me: Annotated[list[str], typer.Option("--me", help="Your own address or domain (repeatable).")],
) -> None:
    """Record who "we" are, so mail can be told apart as ours or theirs.

    Example: casefile init --me dana@whitfield-digital.example --me whitfield-digital.example
    """
    with archive_for(ctx) as archive:
        result = changes.init_archive(archive, me=me)
    ours = ", ".join(result["addresses"] + result["domains"])
    out.print(f"archive ready in {ctx.obj.data}; we are: {ours}", markup=False)


def _progress_for(paths: list[Path]) -> tuple[Callable[[str, int], None] | None, Progress | None]:
    if not sys.stderr.isatty():
        return None, None
    total = sum(1 for _ in iter_files(paths, IngestReport()))
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    )
    task = bar.add_task("ingesting", total=total)

    def update(note: str, files_done: int) -> None:
        bar.update(task, completed=files_done, description=note[:40])

    return update, bar


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (walked recursively).")],
    client: Annotated[str | None, typer.Option("--client", help="Client slug (created on first use).")] = None,
    password: Annotated[str | None, typer.Option("--password", help="Password for encrypted PDFs.")] = None,
    no_index: Annotated[
        bool, typer.Option("--no-index", help="Leave search indexing to the next search or reindex.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Store files as evidence: originals kept byte-identical, text extracted.

    Example: casefile ingest ~/Mail/northwind.mbox notes/ --client northwind
    """
    with archive_for(ctx) as archive:
        progress, bar = _progress_for(paths)
        if bar:
            with bar:
                report = ingest_paths(archive, paths=paths, client=client, password=password,
                                      progress=progress, index=not no_index)
        else:
            report = ingest_paths(archive, paths=paths, client=client, password=password, index=not no_index)
    if as_json:
        emit_json(report.as_dict())
    else:
        for line in report.resumed:
            err.print(line, markup=False, highlight=False)
        for line in report.problems:
            err.print(line, markup=False, highlight=False)
        for line in report.not_stored:
            err.print(f"NOT STORED: {line}", markup=False, highlight=False)
        out.print(report.summary(), markup=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command("clients")
def clients_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List clients with their item counts and learned correspondents."""
    with archive_for(ctx) as archive:
        result = items.list_clients(archive)
    if as_json:
        emit_json(result)
        return
    table = Table("client", "name", "items", "correspondents")
    for c in result:
        table.add_row(c.slug, c.name, str(c.item_count), ", ".join(c.addresses))
    out.print(table)


@app.command("items")
def items_cmd(
    ctx: typer.Context,
    client: Annotated[str | None, typer.Option("--client")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="email, attachment, document, note, call, event, contact")
    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
    label: Annotated[str | None, typer.Option("--label", help="A label the mailbox had on it (Gmail's).")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 100,
    offset: Annotated[int, typer.Option("--offset")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List items in date order.

    Example: casefile items --client northwind --kind email --from 2024-05-01
    """
    with archive_for(ctx) as archive:
        result = items.list_items(
            archive, client=client, kind=kind, date_from=parse_day(date_from), date_to=parse_day(date_to),
            label=label, limit=limit, offset=offset,
        )
    if as_json:
        emit_json(result)
        return
    table = Table("id", "occurred", "kind", "client", "status", "title")
    for i in result.items:
        # a container not read to the end says so (a re-run of the same ingest finishes it)
        status = i.status if i.ingest_state == "complete" else f"{i.status} (incomplete: {i.ingest_state})"
        table.add_row(str(i.id), when(i.occurred_at), i.kind, i.client, status, i.title)
    out.print(table)
    out.print(f"{len(result.items)} of {result.total} items", markup=False)


@app.command()
def show(ctx: typer.Context, item_id: Annotated[int, typer.Argument(metavar="ID")], as_json: JsonOpt = False) -> None:
    """Show one item: its dates and their sources, participants, text and custody history.

    Example: casefile show 12 --json
    """
    with archive_for(ctx) as archive:
        detail = items.get_item(archive, item_id=item_id)
    if as_json:
        emit_json(detail)
        return
    lines = [
        f"#{detail.id} {detail.kind} · {detail.client} · {detail.status}"
        + (f" ({detail.error})" if detail.error else ""),
        f"title:    {detail.title}",
        f"occurred: {when(detail.occurred_at)} [{detail.date_source}: {detail.date_detail}]",
        f"ingested: {detail.ingested_at.isoformat(timespec='seconds')}",
        f"file:     {detail.original_filename} ({detail.content_type}, {detail.size} bytes)",
        f"sha256:   {detail.sha256}",
    ]
    lines += [f"{p.role + ':':9} {p.name} <{p.address}>" for p in detail.participants]
    lines += [f"child:    #{c.id} {c.kind} {c.title} [{c.status}]" for c in detail.children]
    why = detail.facts.get("date_reason") if detail.date_source == "document_text" else None
    if isinstance(why, dict):
        lines.append(f"why:      {why.get('rule')} (confidence {why.get('confidence')}, p.{why.get('page')}): "
                     f"{str(why.get('sentence', ''))[:160]}")
    for key, heading in (("effective_date", "effective"), ("expiry_date", "expires")):
        own = detail.facts.get(key)
        if isinstance(own, dict):
            reason = own.get("reason") or own.get("rule")
            lines.append(f"{heading + ':':9} {own.get('date')} ({reason}, p.{own.get('page')})")
    lines += [f"mentions: {m.date} ({m.label}{': ' + m.reason if m.reason else ''}, p.{m.page}): {m.sentence[:100]}"
              for m in detail.date_mentions]
    lines += [f"derived:  {d.role} ({d.size} bytes)" for d in detail.derived]
    lines += [f"ledger:   #{e.seq} {e.at} {e.actor} {e.action}" for e in detail.ledger]
    lines += ["", detail.text[:4000]]
    out.print("\n".join(lines), markup=False, highlight=False)


@app.command("add-event")
def add_event(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Client slug.")],
    when: Annotated[str, typer.Option("--date", help="When it happened (2024-05-31 or '2024-05-31 14:30').")],
    title: Annotated[str, typer.Option("--title")],
    text: Annotated[str, typer.Option("--text")] = "",
    kind: Annotated[str, typer.Option("--kind", help="call, meeting or event")] = "event",
    as_json: JsonOpt = False,
) -> None:
    """Record something that happened, after the fact.

    Example: casefile add-event northwind --date "2024-06-03 10:15" --kind call --title "Greg hung up"
    """
    with archive_for(ctx) as archive:
        item_id = changes.add_event(archive, client=client, when=when, title=title, text=text, kind=kind)
    if as_json:
        emit_json({"id": item_id})
    else:
        out.print(f"recorded event #{item_id}", markup=False)


@app.command()
def assign(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ITEM")],
    client: Annotated[str, typer.Argument(metavar="CLIENT")],
    as_json: JsonOpt = False,
) -> None:
    """Move an item (with its attachments) to another client; recorded in the ledger.

    Example: casefile assign 42 northwind
    """
    with archive_for(ctx) as archive:
        moved = changes.assign_item(archive, item_id=item_id, client=client)
    if as_json:
        emit_json({"moved": moved, "client": client})
    else:
        out.print(f"moved {len(moved)} item(s) to {client}", markup=False)


@app.command()
def correct(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the correction).")],
    title: Annotated[str | None, typer.Option("--title", help="The right title.")] = None,
    new_date: Annotated[
        str | None, typer.Option("--date", help="The right date (2024-05-31 or '2024-05-31 14:30').")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Correct an item's title or date; the old value is kept and shown, and the ledger records it.

    Example: casefile correct 7 --date 2024-01-20 --reason "signed on the 20th, see page 3"
    """
    with archive_for(ctx) as archive:
        result = corrections.correct_item(
            archive, item_id=item_id, title=title, occurred_at=new_date, reason=reason
        )
    if as_json:
        emit_json(result)
    else:
        fields = [f for f, given in (("title", title), ("date", new_date)) if given is not None]
        out.print(f"corrected {', '.join(fields)} of item #{item_id}", markup=False)


@app.command("verify-archive")
def verify_archive_cmd(
    ctx: typer.Context,
    since: Annotated[Path | None, typer.Option(
        "--since", metavar="CHECKPOINT_FILE",
        help="A checkpoint kept earlier (casefile checkpoint --out): prove the ledger still extends it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-hash every original, walk the custody ledger, re-check each item's recorded state
    and the stored checkpoints; exit 1 on any problem.

    Example: casefile verify-archive --since ~/casefile-checkpoint-2024-06-30.json
    """
    with archive_for(ctx) as archive:
        kept = read_checkpoint_file(since) if since is not None else None  # a bad file: one line, exit 1
        report = verify_archive(archive)
        if kept is not None:
            report.problems.extend(verify_since(archive, kept))
    if as_json:
        emit_json({**report.as_dict(), **({"since": kept.as_dict()} if kept else {})})
    elif report.ok:
        out.print(
            f"archive intact: {report.blobs_checked} originals re-hashed, {report.items_checked} items, "
            f"{report.ledger_entries} ledger entries chained", markup=False,
        )
        if kept is not None:
            out.print(f"the ledger extends the checkpoint of {kept.at} ({kept.tree_size:,} entries, "
                      f"root {kept.root_hash[:16]}…, key {kept.key_id[:16]}…)", markup=False)
    else:
        for problem in report.problems:
            err.print(f"PROBLEM: {problem}", markup=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def checkpoint(
    ctx: typer.Context,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Also write it to this file: keep it (or mail it to yourself or your lawyer).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign a checkpoint of the custody ledger now (the latest one when nothing changed since).

    Example: casefile checkpoint --out ~/casefile-checkpoint.json
    """
    with archive_for(ctx) as archive:
        made = write_receipt(archive, out_file) if out_file is not None else make_checkpoint(archive)
    if made is None:
        raise typer.BadParameter("the ledger is empty: nothing to checkpoint yet")
    if as_json:
        emit_json(made.as_dict())
    else:
        out.print(f"checkpoint of {made.tree_size:,} ledger entries at {made.at}: root {made.root_hash}, "
                  f"key {made.key_id[:16]}…" + (f"; written to {out_file}" if out_file else ""), markup=False)


@app.command()
def receipt(
    ctx: typer.Context,
    out_file: Annotated[Path, typer.Option("--out", help="Where to write it (a new file).")],
) -> None:
    """Write a receipt: the latest checkpoint (made now if the ledger grew), its timestamp
    token and the public key, to mail to yourself or your lawyer.

    Example: casefile receipt --out ~/northwind-receipt-2024-06-30.json
    """
    with archive_for(ctx) as archive:
        made = write_receipt(archive, out_file)
    stamped = f", time-stamped {made.as_dict()['timestamp_at']}" if made.timestamp_token else (
        f"; timestamp pending: {made.timestamp_error}" if made.timestamp_state == "pending" else "")
    out.print(f"receipt for {made.tree_size:,} ledger entries (root {made.root_hash[:16]}…){stamped}: {out_file}",
              markup=False)


@app.command()
def prove(ctx: typer.Context, item_id: Annotated[int, typer.Argument(metavar="ID")], as_json: JsonOpt = False) -> None:
    """Inclusion proofs (RFC 6962) of an item's custody entries in the latest checkpoint.

    Example: casefile prove 50 --json
    """
    with archive_for(ctx) as archive:
        proved = prove_entries(archive, item_id)
    if as_json:
        emit_json(proved)
        return
    cp = proved["checkpoint"]
    out.print(f"checkpoint of {cp['tree_size']:,} entries, root {cp['root_hash']}", markup=False)
    for entry in proved["entries"]:
        out.print(f"  entry {entry['seq']} ({entry['action']}): leaf {entry['leaf_index']}, "
                  f"{len(entry['audit_path'])} hashes in its audit path", markup=False)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="Interface (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port")] = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Run no job workers here (uploads wait for 'casefile worker').")
    ] = False,
) -> None:
    """Serve the web pages and the API (OpenAPI at /docs), with job workers for uploads and exports.

    On an address other machines reach (--host 0.0.0.0) accounts must exist: see 'casefile user add'.

    Example: casefile serve --port 8000
    """
    import uvicorn

    from ..main import create_app
    from ..queue import default_workers

    settings: Settings = ctx.obj
    host, port = host or settings.host, port or settings.port
    with archive_for(ctx) as archive:  # beyond this machine, only with accounts: nobody reads unsigned-in
        refused = open_serving_refusal(archive, host)
    if refused:
        err.print(f"error: {refused}", markup=False, highlight=False)
        raise typer.Exit(2)
    if is_loopback(host):  # sign-in links name the address served (CASEFILE_PUBLIC_URL, if set, wins)
        settings = settings.model_copy(update={"host": host, "port": port})
    elif not settings.public_url:
        err.print(f"note: set CASEFILE_PUBLIC_URL (say https://casefile.example.org) so the sign-in links you share "
                  f"name the address people reach, not {host}", markup=False, highlight=False)
    workers = 0 if no_worker else default_workers(settings)
    uvicorn.run(create_app(settings, job_workers=workers), host=host, port=port)


@app.command()
def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", min=1, help="Jobs run at once (default: one per core).")
    ] = None,
) -> None:
    """Run job workers alone: read uploads and build exports queued by 'casefile serve'.

    Example: casefile worker --concurrency 2
    """
    import signal
    import threading

    from ..queue import default_workers, start_consumer, stop_consumer

    with archive_for(ctx) as archive:
        workers = concurrency or default_workers(archive.settings)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        consumer = start_consumer(archive, workers=workers)
        err.print(f"casefile worker: {workers} worker(s) on {archive.settings.data}; Ctrl-C stops", markup=False)
        while not stop.wait(1.0):  # a timed wait lets the signal handler run promptly
            pass
        err.print("stopping: waiting a few seconds for running jobs", markup=False)
        stop_consumer(*consumer)


@app.command()
def fetch(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ID")],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the file.")],
    searchable_pdf: Annotated[
        bool, typer.Option("--searchable-pdf", help="The OCR'd searchable PDF instead of the original.")
    ] = False,
) -> None:
    """Write an item's original (or its searchable PDF) to a file.

    Example: casefile fetch 7 --searchable-pdf --out contract-searchable.pdf
    """
    with archive_for(ctx) as archive:
        if searchable_pdf:
            source, _row = items.derived_path(archive, item_id=item_id, role="searchable_pdf")
        else:
            source, _item = items.original_path(archive, item_id=item_id)
    if out_path.exists() and out_path.is_dir():
        err.print(f"error: {out_path} is a folder; give a file name", markup=False)
        raise typer.Exit(2)
    shutil.copyfile(source, out_path)
    out.print(f"wrote {out_path} ({out_path.stat().st_size} bytes)", markup=False)
