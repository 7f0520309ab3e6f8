"""Evidence bundles: build one for a client (now, or as a background job), list, download, verify.

Also the archive-wide check, run as a job: ``POST /api/verify-archive``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..access import PrincipalDep, exports, reads, writes
from ..archive import Archive
from ..bundle import BundleCheck, BundlePublic, verify_bundle
from ..bundle.history import PastBundle, list_bundles
from ..bundle.jobs import request_export, request_verify_archive
from ..bundle.published import bundle_file, exports_dir, publish_bundle
from ..jobs import JobPublic
from .deps import ArchiveDep
from .streamed import receive_file

router = APIRouter(tags=["bundles"])


class BundleRequest(BaseModel):
    """Which of the client's items go in the bundle (all of them when empty)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    date_from: date | None = Field(default=None, alias="from")
    date_to: date | None = Field(default=None, alias="to")
    tag: str | None = None
    query: str | None = None
    prefix: str | None = Field(default=None, description="Bates prefix, 1-10 of A-Z and 0-9")


@router.post("/clients/{slug}/bundles", response_model=BundlePublic, status_code=201)
@exports
def create_bundle(archive: ArchiveDep, slug: str, body: BundleRequest | None = None) -> BundlePublic:
    """Builds the client's bundle now; download it from ``download_url``."""
    body = body or BundleRequest()
    summary = publish_bundle(
        archive, client=slug, date_from=body.date_from, date_to=body.date_to, tag=body.tag,
        query=body.query, prefix=body.prefix,
    )
    return BundlePublic(
        id=summary.sha256, filename=summary.filename, sha256=summary.sha256,
        documents=summary.documents, pages=summary.pages, download_url=f"/api/bundles/{summary.sha256}",
    )


@router.get("/bundles/{bundle_id}", response_class=FileResponse)
@reads("bundle")
def download_bundle(archive: ArchiveDep, bundle_id: str) -> FileResponse:
    """The bundle's zip, as an attachment."""
    path = bundle_file(archive, bundle_id=bundle_id)
    return FileResponse(
        path, media_type="application/zip", filename=path.name, content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff"},
    )


@router.post("/clients/{slug}/bundle-jobs", response_model=JobPublic, status_code=202)
@exports
def create_bundle_job(archive: ArchiveDep, slug: str, body: BundleRequest | None = None) -> JobPublic:
    """Starts building the client's bundle in the background; poll ``GET /api/jobs/{id}``.

    The selection is checked first (unknown client: 404; bad prefix, dates or an empty
    selection: 422), so no job is made for a request that could not succeed. When the job
    is done its ``result`` has ``bundle_id`` and ``download_url``.
    """
    body = body or BundleRequest()
    return request_export(
        archive, client=slug, date_from=body.date_from, date_to=body.date_to, tag=body.tag,
        query=body.query, prefix=body.prefix,
    )


@router.get("/bundles", response_model=list[PastBundle])
@reads()
def past_bundles(archive: ArchiveDep, principal: PrincipalDep, client: str | None = None) -> list[PastBundle]:
    """Every bundle exported so far (a lawyer: of their clients), newest first, with a download URL where kept."""
    return list_bundles(archive, client=client or None, within=principal.within())


async def check_uploaded_bundle(request: Request, archive: Archive) -> BundleCheck:
    """Receives a bundle (multipart field ``file``) into the data folder, verifies it, deletes it.

    Raises ``UploadTooLarge`` over ``max_upload_bytes`` and ``InvalidInput`` without a file.
    The verdict names the file as it was uploaded, never the server's temporary path.
    """
    received = await receive_file(request, folder=exports_dir(archive), limit=archive.settings.max_upload_bytes)
    try:
        check = await run_in_threadpool(verify_bundle, path=received.path)
    finally:
        received.path.unlink(missing_ok=True)
    temp = str(received.path)
    return check.model_copy(update={
        "path": received.filename,
        "problems": [p.replace(temp, received.filename) for p in check.problems],
    })


_UPLOAD_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary", "description": "the bundle's zip"}},
        }}},
    },
}


@router.post(
    "/bundles/verify", response_model=BundleCheck, openapi_extra=_UPLOAD_SCHEMA,
    responses={413: {"description": "the file is over CASEFILE_MAX_UPLOAD_BYTES"}},
)
@reads()
async def verify_uploaded_bundle(request: Request, archive: ArchiveDep) -> BundleCheck:
    """Checks an uploaded bundle against its own SHA256SUMS, Bates numbers and index.

    ``ok`` is false, with every problem listed, for a bundle that was altered; the file
    is not kept.
    """
    return await check_uploaded_bundle(request, archive)


@router.post("/verify-archive", response_model=JobPublic, status_code=202)
@writes
def verify_archive_job(archive: ArchiveDep) -> JobPublic:
    """Starts re-hashing every original and walking the custody ledger; poll ``GET /api/jobs/{id}``."""
    return request_verify_archive(archive)
