"""Dispute-ready timelines: a client's chronology with silences and deadlines, every fact cited.

``build_timeline`` assembles the ``Timeline`` (the JSON shape the CLI and the API share;
``timeline_json`` and ``timeline_data``/``to_json`` write that JSON straight from the same build);
the renderers turn it into a legal chronology CSV, Markdown, or one printable HTML page.
The evidence-bundle exporter calls these with its own ``cite`` (Bates numbers).
"""

from __future__ import annotations

from collections.abc import Callable

from .build import (
    ENTRY_KINDS,
    TRUSTED_SOURCES,
    TimelineQuery,
    build_timeline,
    timeline_data,
    timeline_json,
    to_json,
)
from .html import render_html
from .render import CSV_COLUMNS, Cite, default_cite, render_csv, render_markdown
from .schemas import KeyFacts, Silence, ThreadSummary, Timeline, TimelineEntry, UndatedItem

__all__ = [
    "CSV_COLUMNS",
    "ENTRY_KINDS",
    "FORMATS",
    "TRUSTED_SOURCES",
    "Cite",
    "KeyFacts",
    "Silence",
    "ThreadSummary",
    "Timeline",
    "TimelineEntry",
    "TimelineQuery",
    "UndatedItem",
    "build_timeline",
    "default_cite",
    "render_csv",
    "render_html",
    "render_markdown",
    "timeline_data",
    "timeline_json",
    "to_json",
]

# Export formats by name: the renderer and the media type to serve it as.
FORMATS: dict[str, tuple[Callable[..., str], str]] = {
    "csv": (render_csv, "text/csv; charset=utf-8"),
    "md": (render_markdown, "text/markdown; charset=utf-8"),
    "html": (render_html, "text/html; charset=utf-8"),
}
