"""Dependencies routes declare instead of building things themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..archive import Archive

__all__ = ["ArchiveDep"]


def _archive(request: Request) -> Archive:
    return request.app.state.archive


ArchiveDep = Annotated[Archive, Depends(_archive)]

