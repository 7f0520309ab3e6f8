"""The timeline as one self-contained HTML page: inline CSS, no scripts, prints well.

Every value goes through Jinja2's autoescape (a subject line is hostile input). Email
threads are one expandable line (``<details>``) at the date of their first message;
silences are highlighted rows at the point they began, and listed at the top with the
key facts. In print every thread is expanded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from jinja2 import Environment

from .render import Cite, actor_words, default_cite, significance, silence_words, summary_lines
from .schemas import Silence, Timeline, TimelineEntry

__all__ = ["render_html"]

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Timeline · {{ t.client_name }}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f; margin: 0 auto;
       max-width: 75rem; padding: 1rem 2rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .28rem .45rem; border-bottom: 1px solid #ddd; vertical-align: top; }
th { background: #f3f3f3; }
.muted, .src { color: #666; font-size: .88em; }
.when { white-space: nowrap; font-variant-numeric: tabular-nums; }
.actor-us { color: #1a5e9a; } .actor-client { color: #8a3b00; } .actor-document { color: #4b4b4b; }
.kf li { margin: .2rem 0; }
tr.silence td { background: #fff3cd; border-left: 4px solid #d39e00; font-weight: 600; }
tr.noreply td:first-child { border-left: 4px solid #d39e00; }
tr.mention td { background: #f4f8ff; }
.tag { display: inline-block; background: #eee; border-radius: 3px; padding: 0 .3rem; margin-right: .2rem;
       font-size: .85em; }
.note { background: #fffbe6; padding: .1rem .3rem; margin-top: .2rem; font-size: .9em; }
details > summary { cursor: pointer; }
details table { margin: .3rem 0 .3rem 1rem; width: calc(100% - 1rem); }
.warn { background: #fdecea; padding: .4rem .6rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  details::details-content { display: block; content-visibility: visible; height: auto; }
  details > summary { list-style: none; font-weight: 600; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
  tr.silence td, tr.mention td { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
@page { margin: 14mm; }
</style>
</head>
<body>
{% macro row(e) -%}
<tr class="{{ 'mention' if e.entry_type == 'date_mention' }}{{ ' noreply' if e.awaiting_reply }}">
<td class="when">{{ e.occurred_at.date().isoformat() }}{% if e.precision != 'day' %}
 {{ e.occurred_at.strftime('%H:%M') }}{% endif %}<br><span class="muted">{{ offset(e) }}</span></td>
<td><strong>{{ e.title }}</strong>{% if e.summary %}<br>{{ e.summary }}{% endif %}
{% for a in e.attachments %}<br><span class="muted">attachment: {{ a.filename or a.title }}
 (item #{{ a.item_id }})</span>{% endfor %}
{% for n in e.notes %}<div class="note">note ({{ n.actor }}): {{ n.text }}</div>{% endfor %}</td>
<td class="actor-{{ e.actor }}">{{ words(e.actor) }}</td>
<td class="src">{{ cite(e) }}<br>item #{{ e.item_id }} · {{ e.date_source }}</td>
<td>{% for s in sig(e) %}<span class="tag">{{ s }}</span>{% endfor %}</td>
</tr>
{%- endmacro %}
<h1>Timeline: {{ t.client_name }}</h1>
<p class="muted">Client <code>{{ t.client }}</code> · generated {{ t.generated_at.isoformat(timespec='minutes') }}
{% if t.filters.date_from or t.filters.date_to %} · from {{ t.filters.date_from or '…' }}
 to {{ t.filters.date_to or '…' }}{% endif %}
{% if t.filters.kinds %} · kinds: {{ t.filters.kinds|join(', ') }}{% endif %}
{% if t.filters.tags %} · tags: {{ t.filters.tags|join(', ') }}{% endif %}
{% if t.filters.only_flagged %} · flagged only{% endif %}</p>
{% for w in t.warnings %}<p class="warn">{{ w }}</p>{% endfor %}
<h2>Key facts</h2>
<ul class="kf">{% for line in facts %}<li>{{ line }}</li>{% endfor %}</ul>
<h2>Silences</h2>
{% if t.silences %}<table>
<thead><tr><th>Start</th><th>End</th><th>Days</th><th>Awaiting</th><th>Unanswered items</th></tr></thead>
{% for s in t.silences %}<tr class="silence"><td class="when">{{ s.start.isoformat(timespec='minutes') }}</td>
<td class="when">{{ 'still open' if s.open else s.end.isoformat(timespec='minutes') }}</td><td>{{ s.days }}</td>
<td>{{ s.awaiting }}</td><td>{% for i in s.unanswered %}#{{ i }} {% endfor %}</td></tr>{% endfor %}
</table>{% else %}<p>No silence longer than {{ t.summary.silence_threshold_days }} days.</p>{% endif %}
<h2>Chronology</h2>
<table>
<thead><tr><th>Date</th><th>Event</th><th>Actor</th><th>Source</th><th>Significance / tags</th></tr></thead>
{% for r in rows %}
{% if r.silence %}<tr class="silence"><td class="when">{{ r.silence.start.date().isoformat() }}</td>
<td colspan="4">Silence: {{ silence_words(r.silence) }}</td></tr>
{% elif r.entries|length > 1 %}<tr><td class="when">{{ r.entries[0].occurred_at.date().isoformat() }}</td>
<td colspan="4"><details><summary><strong>{{ r.entries[0].title }}</strong> — thread of {{ r.entries|length }}
 messages, {{ r.entries[0].occurred_at.date().isoformat() }} to {{ r.entries[-1].occurred_at.date().isoformat() }}
 ({{ thread_actors(r.entries) }})</summary>
<table>{% for e in r.entries %}{{ row(e) }}{% endfor %}</table></details></td></tr>
{% else %}{{ row(r.entries[0]) }}
{% endif %}{% endfor %}
</table>
{% if t.undated %}<h2>Undated</h2>
<table><thead><tr><th>Item</th><th>Why undated</th><th>Best guess</th><th>Source</th></tr></thead>
{% for u in t.undated %}<tr><td><strong>{{ u.title }}</strong>
 <span class="muted">({{ u.kind }}, #{{ u.item_id }})</span></td><td>{{ u.reason }}</td>
<td class="when">{{ u.date_hint.isoformat(timespec='minutes') if u.date_hint else '—' }}
<br><span class="muted">{{ u.date_source }}</span></td><td class="src">{{ plain_cite(u) }}</td></tr>{% endfor %}
</table>{% endif %}
</body>
</html>
"""

_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_PAGE = _ENV.from_string(_TEMPLATE)


@dataclass
class _Row:
    at: datetime
    entries: list[TimelineEntry] = field(default_factory=list)
    silence: Silence | None = None


def _rows(timeline: Timeline) -> list[_Row]:
    """Top-level rows: single entries, whole threads at their first message, silences."""
    sizes: dict[int, int] = {}
    for e in timeline.entries:
        if e.thread_id is not None:
            sizes[e.thread_id] = sizes.get(e.thread_id, 0) + 1
    rows: list[_Row] = []
    threads: dict[int, _Row] = {}
    for e in timeline.entries:
        if e.thread_id is not None and sizes[e.thread_id] > 1:
            if e.thread_id not in threads:
                threads[e.thread_id] = _Row(e.occurred_at)
                rows.append(threads[e.thread_id])
            threads[e.thread_id].entries.append(e)
        else:
            rows.append(_Row(e.occurred_at, [e]))
    for silence in sorted(timeline.silences, key=lambda s: s.start, reverse=True):
        at = next((i for i, r in enumerate(rows) if r.at >= silence.start), len(rows))
        rows.insert(at, _Row(silence.start, silence=silence))
    return rows


def _offset(entry: TimelineEntry) -> str:
    offset = entry.occurred_at.strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else ""


def render_html(timeline: Timeline, cite: Cite | None = None) -> str:
    """The timeline as one self-contained, printable HTML page (every value escaped)."""
    return _PAGE.render(
        t=timeline,
        rows=_rows(timeline),
        facts=summary_lines(timeline),
        cite=cite or default_cite,
        plain_cite=default_cite,
        words=actor_words,
        sig=lambda e: [s for s in significance(e).split("; ") if s],
        offset=_offset,
        silence_words=silence_words,
        thread_actors=lambda entries: ", ".join(dict.fromkeys(actor_words(e.actor) for e in entries)),
    )
