"""Server-rendered pages for people (escaped Jinja2 templates over the service)."""

from __future__ import annotations

__all__: list[str] = []
