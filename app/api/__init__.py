"""HTTP API routers: thin shells over the service functions."""

from __future__ import annotations

__all__: list[str] = []
