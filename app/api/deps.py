"""Dependencies routes declare instead of building things themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from ..archive import Archive

__all__ = ["ArchiveDep", "same_origin_writes"]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _archive(request: Request) -> Archive:
    return request.app.state.archive


ArchiveDep = Annotated[Archive, Depends(_archive)]


def same_origin_writes(request: Request) -> None:
    """Refuses a change (POST, DELETE…) that a browser sent on behalf of another site.

    Any web page a person visits may post a form or a ``fetch`` to 127.0.0.1 (a multipart
    upload needs no CORS preflight); browsers say where such a request came from in
    ``Origin`` and ``Sec-Fetch-Site``. Scripts (curl, the CLI's users) send neither and pass.
    """
    if request.method in _SAFE_METHODS:
        return
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if (site and site not in ("same-origin", "none")) or (
        origin and origin != f"{request.url.scheme}://{request.url.netloc}"
    ):
        raise HTTPException(403, "changes to the archive are only accepted from Casefile's own pages")
