"""Accounts and access: people, their sessions and tokens, and lawyers' grants to one client."""

from __future__ import annotations

__all__: list[str] = []
