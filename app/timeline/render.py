"""Plain-text renderings of a timeline: CSV for a legal chronology, and Markdown.

Both take ``cite``, which returns the text of the source column for an entry (the
evidence bundle passes Bates numbers); by default it is "file, p. N", "file, row N" or
"item #id". CSV cells that a spreadsheet would run as a formula (starting with = + - @,
a tab or a carriage return) are prefixed with an apostrophe: evidence text is hostile
until proven otherwise.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable
from decimal import Decimal

from .schemas import Silence, Timeline, TimelineEntry, UndatedItem
from .wording import long_date

__all__ = ["CSV_COLUMNS", "Cite", "actor_words", "default_cite", "render_csv", "render_markdown", "significance"]

Cite = Callable[[TimelineEntry], str]

CSV_COLUMNS = (
    "Date", "Time", "Event", "Actor", "Source", "Page", "Significance/Tags",
    "Offset", "Date source", "Kind", "Details", "Notes", "Item", "Thread",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def default_cite(entry: TimelineEntry | UndatedItem) -> str:
    """"file, p. N" / "file, row N" / "file" / "item #id": where the fact can be checked."""
    source = entry.source
    if source.filename and source.page:
        return f"{source.filename}, p. {source.page}"
    if source.filename and source.row:
        return f"{source.filename}, row {source.row}"
    return source.filename or f"item #{entry.item_id}"


def actor_words(actor: str) -> str:
    """How a chronology names an actor."""
    return {"third_party": "third party"}.get(actor, actor)


def significance(entry: TimelineEntry) -> str:
    """The Significance/Tags cell: what the entry is (deadline...), silence, tags."""
    parts: list[str] = []
    if entry.entry_type == "date_mention" and entry.kind != "date":
        parts.append(entry.kind)
    if entry.awaiting_reply:
        parts.append("no reply")
    parts.extend(entry.tags)
    return "; ".join(parts)


def _safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _offset(entry: TimelineEntry) -> str:
    # "UTC+01:00", never a bare "+01:00" a spreadsheet would read as a number
    offset = entry.occurred_at.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else ""


def _time(entry: TimelineEntry) -> str:
    return "" if entry.precision == "day" else entry.occurred_at.strftime("%H:%M")


def render_csv(timeline: Timeline, cite: Cite | None = None) -> str:
    """The entries as CSV, in the column order of a legal chronology."""
    cite = cite or default_cite
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in timeline.entries:
        writer.writerow([_safe(v) for v in (
            e.occurred_at.date().isoformat(), _time(e), e.title, actor_words(e.actor), cite(e),
            e.source.page or "", significance(e), _offset(e), e.date_source, e.kind, e.summary,
            " | ".join(n.text for n in e.notes), e.item_id, e.thread_id or "",
        )])
    return buffer.getvalue()


def _md(value: object) -> str:
    text = " ".join(str(value or "").split())
    return html.escape(text, quote=False).replace("|", "\\|")


def silence_words(silence: Silence) -> str:
    """One silence in words, e.g. "49.3 days awaiting the client (31 May 2024 → 19 July 2024)"."""
    end = "still open" if silence.open else long_date(silence.end)  # type: ignore[arg-type]
    who = "the client" if silence.awaiting == "client" else "us"
    return (f"{silence.days} days awaiting {who} ({long_date(silence.start)} → {end}); "
            f"{len(silence.unanswered)} unanswered contact(s)")


def summary_lines(timeline: Timeline) -> list[str]:
    """The key facts as sentences, shared by the Markdown and HTML renderings."""
    s = timeline.summary
    lines: list[str] = []
    if s.contract_effective:
        c = s.contract_effective.citation
        lines.append(f"Contract effective {long_date(s.contract_effective.date)} "
                     f"({c.filename or c.title}, p. {c.page}: \"{c.sentence}\")")
    if s.contract_expiry:
        c = s.contract_expiry.citation
        why = f"; {c.reason}" if c.reason else ""
        lines.append(f"Contract expires {long_date(s.contract_expiry.date)} "
                     f"({c.filename or c.title}, p. {c.page}{why}: \"{c.sentence}\")")
    for d in s.deadlines:
        line = f"Deadline {long_date(d.date)} ({d.citation.filename or d.citation.title}, p. {d.citation.page})"
        if d.delivered_before:
            b = d.delivered_before
            line += (f": delivered {long_date(b.occurred_at)}, {b.days_from_deadline} day(s) before "
                     f"(item #{b.item_id} \"{b.title}\")")
        if d.delivered_after:
            a = d.delivered_after
            line += (f"; delivery evidence after it: {long_date(a.occurred_at)}, {-a.days_from_deadline} day(s) "
                     f"late (item #{a.item_id})")
        if not (d.delivered_before or d.delivered_after):
            line += ": no delivery evidence found"
        lines.append(line)
    for inv in s.invoices:
        sent = f"sent {long_date(inv.sent_at)}" if inv.sent_at else "sending date unknown"
        reply = (f"; first client reply {long_date(inv.first_reply_after_sent.occurred_at)} "
                 f"({inv.first_reply_after_sent.days} day(s) later)" if inv.first_reply_after_sent else
                 "; no client reply since it was sent")
        stated = "".join((
            f" dated {long_date(inv.invoice_date)}" if inv.invoice_date else "",
            f" for {inv.currency + ' ' if inv.currency else ''}{Decimal(inv.amount):,.2f}" if inv.amount else "",
            f" (PO {inv.purchase_order})" if inv.purchase_order else "",
        ))
        lines.append(f"Invoice {inv.number or inv.title}{stated} (item #{inv.item_id}): {sent}{reply}; {inv.note}")
    if s.longest_silence:
        lines.append(f"Longest silence: {silence_words(s.longest_silence)}")
    lines.append("Median response time: " + ", ".join(
        f"{side} {hours} h" if hours is not None else f"{side} n/a" for side, hours in s.median_response_hours.items()
    ))
    return lines


def render_markdown(timeline: Timeline, cite: Cite | None = None) -> str:
    """The timeline as a Markdown document: key facts, silences, chronology, undated."""
    cite = cite or default_cite
    out = [f"# Timeline: {_md(timeline.client_name)} ({_md(timeline.client)})", "",
           f"Generated {timeline.generated_at.isoformat(timespec='minutes')}.", ""]
    out += [f"> {_md(w)}" for w in timeline.warnings]
    out += ["## Key facts", ""] + [f"- {_md(line)}" for line in summary_lines(timeline)] + [""]
    out += ["## Silences", ""]
    if timeline.silences:
        out += ["| Start | End | Days | Awaiting | Unanswered items |", "|---|---|---|---|---|"]
        for s in timeline.silences:
            end = "open" if s.open else s.end.isoformat(timespec="minutes")  # type: ignore[union-attr]
            out.append(f"| {s.start.isoformat(timespec='minutes')} | {end} | {s.days} | {s.awaiting} | "
                       f"{', '.join(f'#{i}' for i in s.unanswered)} |")
    else:
        out.append(f"No silence longer than {timeline.summary.silence_threshold_days} days.")
    out += ["", "## Chronology", "", "| Date | Time | Event | Actor | Source | Page | Significance/Tags |",
            "|---|---|---|---|---|---|---|"]
    for e in timeline.entries:
        event = f"**{_md(e.title)}**" + (f" — {_md(e.summary)}" if e.summary else "")
        out.append(f"| {e.occurred_at.date().isoformat()} | {_time(e)} | {event} | {actor_words(e.actor)} | "
                   f"{_md(cite(e))} | {e.source.page or ''} | {_md(significance(e))} |")
    if timeline.undated:
        out += ["", "## Undated", ""]
        for u in timeline.undated:
            hint = f" (best guess {u.date_hint.isoformat(timespec='minutes')}, {u.date_source})" if u.date_hint else ""
            out.append(f"- **{_md(u.title)}** — {_md(default_cite(u))}: {_md(u.reason)}{_md(hint)}")
    return "\n".join(out) + "\n"
