"""Background jobs: their state and progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from .. import jobs
from ..access import reads, staff
from ..jobs import JobPublic
from .deps import ArchiveDep

router = APIRouter(tags=["jobs"])


@router.get("/jobs", response_model=list[JobPublic])
@staff
def list_jobs(
    archive: ArchiveDep,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[JobPublic]:
    """The most recent jobs first (uploads being read, exports, archive checks)."""
    return jobs.list_jobs(archive, kind=kind, limit=limit)


@router.get("/jobs/{job_id}", response_model=JobPublic)
@reads()
def get_job(archive: ArchiveDep, job_id: int) -> JobPublic:
    """One job: state (queued, running, done, failed), progress, result or error."""
    return jobs.get_job(archive, job_id=job_id)
