"""CSV, Markdown and HTML renderings: column order, citations, and hostile text kept inert."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from app import changes, tags
from app.archive import Archive
from app.timeline import CSV_COLUMNS, Timeline, TimelineEntry, build_timeline, render_csv, render_html, render_markdown
from tests.app.timeline_helpers import GREG, US, init_us, mail, mention

CLOCK = datetime(2024, 8, 1, tzinfo=UTC)
SCRIPT = "<script>alert('x')</script> | pipes"


@pytest.fixture
def timeline(archive: Archive) -> Timeline:
    init_us(archive)
    root = mail(archive, sender=US, to=GREG, subject=SCRIPT, date_header="Mon, 03 Jun 2024 09:00:00 +0100",
                message_id="<a@w.example>", body="=HYPERLINK(\"http://evil.example\")")
    mail(archive, sender=GREG, to=US, subject=f"Re: {SCRIPT}", date_header="Tue, 04 Jun 2024 09:00:00 +0100",
         message_id="<b@n.example>", in_reply_to="<a@w.example>")
    formula = mail(archive, sender=GREG, to=US, subject="=1+2", date_header="Mon, 01 Jul 2024 09:00:00 -0400")
    call = changes.add_event(archive, client="northwind", when="2024-07-02", title="+44 20 7946 0958 called",
                             kind="call")
    mention(archive, formula, date(2024, 7, 31), "due", "@SUM(A1) is due on 31 July 2024.", page=4)
    tags.tag_item(archive, item_id=root, tag="key")
    tags.add_note(archive, item_id=call, text="-1 for the record")
    return build_timeline(archive, client="northwind", now=CLOCK)


def test_csv_has_the_chronology_columns_and_neutralises_formulas(timeline: Timeline) -> None:
    rows = list(csv.reader(io.StringIO(render_csv(timeline))))
    assert tuple(rows[0][:7]) == ("Date", "Time", "Event", "Actor", "Source", "Page", "Significance/Tags")
    assert tuple(rows[0]) == CSV_COLUMNS
    body = {r[2]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert body[SCRIPT]["Date"] == "2024-06-03" and body[SCRIPT]["Time"] == "09:00"
    assert body[SCRIPT]["Actor"] == "us" and body[SCRIPT]["Significance/Tags"] == "key"
    assert body[SCRIPT]["Details"] == "'=HYPERLINK(\"http://evil.example\")"
    assert body["'=1+2"]["Offset"] == "UTC-04:00" and body["'=1+2"]["Actor"] == "client"
    called = body["'+44 20 7946 0958 called"]
    assert called["Time"] == "" and called["Notes"] == "'-1 for the record"  # a day-precision entry has no time
    due = body["Due date 31 July 2024 – =1+2"]
    assert (due["Page"], due["Significance/Tags"], due["Details"]) == ("4", "due", "'@SUM(A1) is due on 31 July 2024.")
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_csv_and_html_use_the_given_citation(timeline: Timeline) -> None:
    def bates(entry: TimelineEntry) -> str:
        return f"NW-{entry.item_id:06d}"

    rows = list(csv.reader(io.StringIO(render_csv(timeline, cite=bates))))
    assert {r[4] for r in rows[1:]} == {f"NW-{e.item_id:06d}" for e in timeline.entries}
    assert "NW-" in render_html(timeline, cite=bates)
    default = list(csv.reader(io.StringIO(render_csv(timeline))))
    due = next(r for r in default if r[2].startswith("Due date"))
    assert due[4].endswith(".eml, p. 4")
    called = next(r for r in default if "called" in r[2])
    assert called[4] == f"item #{next(e.item_id for e in timeline.entries if e.kind == 'call')}"


def test_html_is_one_escaped_printable_page_with_threads_and_silences(timeline: Timeline) -> None:
    page = render_html(timeline)
    assert "<script>" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert page.startswith("<!doctype html>") and "<link" not in page and "src=" not in page
    assert "@media print" in page and "details::details-content" in page
    # the two-message thread is one expandable line
    assert page.count("<details>") == 1 and "thread of 2" in page
    assert timeline.silences and 'class="silence"' in page
    assert "Key facts" in page and page.index("Key facts") < page.index("Chronology")
    assert "note (tester): -1 for the record" in page


def test_markdown_escapes_table_cells(timeline: Timeline) -> None:
    text = render_markdown(timeline)
    assert "&lt;script&gt;" in text and "<script>" not in text and "\\| pipes" in text
    assert text.startswith("# Timeline: Northwind (northwind)")
    assert "| Date | Time | Event | Actor | Source | Page | Significance/Tags |" in text
    assert "## Silences" in text and "## Key facts" in text
