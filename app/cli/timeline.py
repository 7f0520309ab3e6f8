"""Timeline commands: timeline, tag, note."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import tags
from ..schemas import ItemAnnotations
from ..timeline import FORMATS, Timeline, TimelineQuery, build_timeline, default_cite, timeline_data, to_json
from ..timeline.render import actor_words, significance, silence_words, summary_lines
from .common import JsonOpt, app, archive_for, emit_json, err, out, parse_day


def _human(timeline: Timeline) -> str:
    lines = [f"Timeline: {timeline.client_name} ({timeline.client}), as of "
             f"{timeline.generated_at.isoformat(timespec='minutes')}"]
    lines += [f"warning: {w}" for w in timeline.warnings]
    lines += ["", "Key facts:"] + [f"  - {line}" for line in summary_lines(timeline)]
    lines += ["", f"Silences longer than {timeline.summary.silence_threshold_days} days:"]
    lines += [f"  - {silence_words(s)}: items {', '.join(f'#{i}' for i in s.unanswered)}" for s in timeline.silences]
    lines += ["  (none)"] if not timeline.silences else []
    lines += ["", f"Entries ({len(timeline.entries)}):"]
    for e in timeline.entries:
        clock = "      " if e.precision == "day" else e.occurred_at.strftime("%H:%M")
        when = f"{e.occurred_at:%Y-%m-%d} {clock}"
        flag = f"  [{significance(e)}]" if significance(e) else ""
        lines.append(f"{when} {e.occurred_at.strftime('%z')}  {actor_words(e.actor):<11} {e.kind:<10} "
                     f"{e.title}  ({default_cite(e)}, #{e.item_id}){flag}")
    if timeline.undated:
        lines += ["", f"Undated ({len(timeline.undated)}):"]
        lines += [f"  - #{u.item_id} {u.title} ({default_cite(u)}): {u.reason}" for u in timeline.undated]
    return "\n".join(lines)


@app.command("timeline")
def timeline_cmd(
    ctx: typer.Context,
    client: Annotated[str, typer.Argument(help="Client slug.")],
    date_from: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="email, call, note, deadline, due... (repeatable).")
    ] = None,
    only_flagged: Annotated[bool, typer.Option("--only-flagged", help="Only tagged or noted items.")] = False,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only items with this tag (repeatable).")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv, md or html instead of text.")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="Write the export to this file.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a client's chronology: every dated fact cited, silences, deadlines, invoices.

    Example: casefile timeline northwind --from 2024-04-01 --format html --out northwind.html
    """
    if fmt is not None and fmt not in FORMATS:
        err.print(f"error: unknown format '{fmt}' (one of: {', '.join(FORMATS)})", markup=False)
        raise typer.Exit(2)
    if fmt and as_json:
        err.print("error: give either --json or --format, not both", markup=False)
        raise typer.Exit(2)
    query = TimelineQuery(date_from=parse_day(date_from), date_to=parse_day(date_to), kinds=kind,
                          only_flagged=only_flagged, tags=tag)
    with archive_for(ctx) as archive:
        if as_json:  # what the API serves (``timeline_json``), indented
            data = timeline_data(archive, client=client, **query)
            text, count = to_json(data, indent=True).decode() + "\n", len(data["entries"])
        else:
            result = build_timeline(archive, client=client, **query)
            text, count = FORMATS[fmt][0](result) if fmt else _human(result) + "\n", len(result.entries)
    if out_path is not None:
        out_path.write_text(text, encoding="utf-8")
        out.print(f"wrote {out_path} ({count} entries)", markup=False)
    else:
        typer.echo(text, nl=False)


def _print_annotations(result: ItemAnnotations, as_json: bool) -> None:
    if as_json:
        emit_json(result)
        return
    out.print(f"#{result.item_id} tags: {', '.join(result.tags) or '(none)'}", markup=False, highlight=False)
    for note in result.notes:
        out.print(f"  note #{note.id} by {note.actor} at {note.created_at.isoformat(timespec='minutes')}: "
                  f"{note.text}", markup=False, highlight=False)


@app.command("tag")
def tag_cmd(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ITEM")],
    tag: Annotated[str, typer.Argument(metavar="TAG", help="key, scope-change, payment, delivery...")],
    remove: Annotated[bool, typer.Option("--remove", help="Take the tag off instead.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Tag an item (recorded in the custody ledger); timelines can filter on tags.

    Example: casefile tag 40 delivery
    """
    with archive_for(ctx) as archive:
        if remove:
            result = tags.untag_item(archive, item_id=item_id, tag=tag)
        else:
            result = tags.tag_item(archive, item_id=item_id, tag=tag)
    _print_annotations(result, as_json)


@app.command("note")
def note_cmd(
    ctx: typer.Context,
    item_id: Annotated[int, typer.Argument(metavar="ITEM")],
    text: Annotated[str, typer.Argument(metavar="TEXT")],
    as_json: JsonOpt = False,
) -> None:
    """Add a note to an item (recorded in the custody ledger); the original is untouched.

    Example: casefile note 50 "First complaint, 84 days after delivery"
    """
    with archive_for(ctx) as archive:
        result = tags.add_note(archive, item_id=item_id, text=text)
    _print_annotations(result, as_json)
