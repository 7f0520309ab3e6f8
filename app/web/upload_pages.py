"""The upload page (drag-and-drop of files and folders, progress per file) and the jobs page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from .. import items, jobs
from ..access import PrincipalDep, staff
from ..api.deps import ArchiveDep
from .templating import page

router = APIRouter(include_in_schema=False)


@router.get("/upload", response_class=HTMLResponse)
@staff
def upload_page(
    request: Request, archive: ArchiveDep, principal: PrincipalDep, client: str | None = None
) -> HTMLResponse:
    """Files and folders in, each with its transfer and reading progress and a result line."""
    clients = [c for c in items.list_clients(archive, within=principal.within()) if c.slug != "unassigned"]
    return page(request, "upload.html", {
        "clients": clients, "chosen": client or "", "max_bytes": archive.settings.max_upload_bytes,
    })


def _jobs_context(archive: ArchiveDep) -> dict[str, object]:
    recent = jobs.list_jobs(archive, limit=100)
    return {"jobs": recent, "active": any(j.state in ("queued", "running") for j in recent)}


@router.get("/jobs", response_class=HTMLResponse)
@staff
def jobs_page(request: Request, archive: ArchiveDep) -> HTMLResponse:
    """Recent background jobs: uploads being read, exports, archive checks."""
    return page(request, "jobs.html", _jobs_context(archive))


@router.get("/jobs/table", response_class=HTMLResponse)
@staff
def jobs_table(request: Request, archive: ArchiveDep) -> HTMLResponse:
    """The jobs table alone (the page refreshes it while jobs run)."""
    return page(request, "_jobs_table.html", _jobs_context(archive))
